"""%dataproduct frame ENTITY [--where EXPR] [--columns a,b] [--limit N] [-o VAR]"""


def add_arguments(parser):
    parser.add_argument("entity")
    parser.add_argument("--where", help="A cohort expression, e.g. \"age >= 40 and arms in (1, 2)\", or @saved_cohort.")
    parser.add_argument("--columns", help="Comma-separated columns.")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--snapshot")
    parser.add_argument("-o", "--output", dest="variable")


def run(magics, args, cell):
    frame = magics.product(args.product).frame(
        args.entity, where=args.where, columns=args.columns, limit=args.limit, snapshot=args.snapshot
    )
    magics.store(args.variable, frame)
    return frame
