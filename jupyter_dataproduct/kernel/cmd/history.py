"""%dataproduct history [--limit N] [--rerun ID] [--save ID NAME] [--result ID]"""


def add_arguments(parser):
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--rerun", metavar="ID")
    parser.add_argument("--result", metavar="ID", help="The result of an entry (stored, or re-run).")
    parser.add_argument("--save", nargs=2, metavar=("ID", "NAME"))
    parser.add_argument("-o", "--output", dest="variable")


def run(magics, args, cell):
    from ..progress import answer_progress

    product = magics.product(args.product)
    if args.rerun:
        entry = _entry(product, args.rerun)
        with answer_progress(magics, product, f"rerun {entry['provenance'].get('protocol', '')}"):
            value = product.rerun(entry["provenance"])
    elif args.result:
        with answer_progress(magics, product, "history result"):
            value = product.history_result(_entry(product, args.result)["id"])
    elif args.save:
        entry_id, name = args.save
        value = product.save(product.history_result(_entry(product, entry_id)["id"]), name)
    else:
        value = product.history(args.limit)
    magics.store(args.variable, value)
    return value


def _entry(product, prefix):
    from ...core.errors import ParameterError

    matches = [e for e in product.history(None) if e["id"].startswith(prefix)]
    if len(matches) != 1:
        raise ParameterError(f"History entry {prefix!r} matches {len(matches)} entries; give more of its id.")
    return matches[0]
