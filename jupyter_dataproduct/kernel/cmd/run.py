"""%dataproduct run PROTOCOL key=value ... [-o VAR] [--snapshot REF]

Runs a protocol; if PROTOCOL names no protocol but a plugin, runs the plugin directly.
"""

from ...core.assignments import parse_assignments
from ...core.errors import ProtocolNotFoundError
from ..progress import answer_progress


def add_arguments(parser):
    parser.add_argument("protocol")
    parser.add_argument("assignments", nargs="*", metavar="key=value")
    parser.add_argument("-o", "--output", dest="variable", help="Also store the result in this variable.")
    parser.add_argument("--snapshot", help="Snapshot id, prefix or tag (default: pinned or latest).")


def run(magics, args, cell):
    product = magics.product(args.product)
    parameters = parse_assignments(args.assignments)
    with answer_progress(magics, product, f"run {args.protocol}"):
        try:
            result = product.run(args.protocol, snapshot=args.snapshot, **parameters)
        except ProtocolNotFoundError:
            plugins = {p.name for p in product.plugins()}
            if args.protocol not in plugins:
                raise
            result = product.run_plugin(args.protocol, snapshot=args.snapshot, **parameters)
    magics.store(args.variable, result)
    show_notes(result)
    return result


def show_notes(result, most=5):
    """The result's notes (cohorts that overlap, rows left out, tests undefined) as warnings."""
    import sys

    notes = [result.values.get("note") or ""]
    notes += [n or "" for t in result.tables.values() if "note" in t.columns for n in t.get_column("note").to_list()]
    parts = list(dict.fromkeys(part for note in notes for part in note.split("; ") if part))
    for part in parts[:most]:
        print(f"Warning: {part}", file=sys.stderr)
    if len(parts) > most:
        print(f"Warning: and {len(parts) - most} more notes (see the note column)", file=sys.stderr)

