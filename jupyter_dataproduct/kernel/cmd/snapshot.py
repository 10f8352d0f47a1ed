"""%dataproduct snapshot build [--force] | use ID | verify [ID] | diff A [B] | tag NAME [ID]"""

from ...core.errors import ParameterError
from ..progress import notebook_progress


def add_arguments(parser):
    parser.add_argument("action", choices=["build", "use", "verify", "diff", "tag"])
    parser.add_argument("refs", nargs="*")
    parser.add_argument("--force", action="store_true", help="build: rebuild even if unchanged.")


def run(magics, args, cell):
    product = magics.product(args.product)
    refs = args.refs
    if args.action == "build":
        with notebook_progress(enabled=magics.show_progress) as progress:
            return product.build(progress=progress, force=args.force)
    if args.action == "use":
        if len(refs) != 1:
            raise ParameterError("snapshot use takes one snapshot id, prefix, tag or 'latest' (or 'none' to unpin).")
        return product.use(None if refs[0] == "none" else refs[0])
    if args.action == "verify":
        report = product.verify(refs[0] if refs else None)
        if not report["ok"]:
            problems = "; ".join(f"{p['file']}: {p['problem']}" for p in report["problems"])
            raise ParameterError(f"Snapshot {report['id'][:12]} failed verification: {problems}", details=report)
        print(f"Snapshot {report['id'][:12]}: ok (every file matches its hash)")
        return report
    if args.action == "diff":
        if not 1 <= len(refs) <= 2:
            raise ParameterError("snapshot diff takes A [B] (B defaults to latest).")
        return product.diff(*refs)
    if len(refs) not in (1, 2):
        raise ParameterError("snapshot tag takes NAME [ID].")
    return product.tag(*refs)
