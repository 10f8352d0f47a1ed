"""%dataproduct frame ENTITY [--where EXPR] [--columns a,b] [--limit N] [-o VAR]

From a server, a progress bar shows the bytes arriving.
"""


def add_arguments(parser):
    parser.add_argument("entity")
    parser.add_argument("--where", help="A cohort expression, e.g. \"age >= 40 and arms in (1, 2)\", or @saved_cohort.")
    parser.add_argument("--columns", help="Comma-separated columns.")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--snapshot")
    parser.add_argument("-o", "--output", dest="variable")


def run(magics, args, cell):
    from ..progress import notebook_progress

    product = magics.product(args.product)
    # A server's frame can be large: show the bytes arriving. A local read is quick.
    with notebook_progress(enabled=magics.show_progress and not product.is_local,
                           description=f"frame {args.entity}", unit="B") as progress:
        frame = product.frame(
            args.entity, where=args.where, columns=args.columns, limit=args.limit, snapshot=args.snapshot,
            progress=progress,
        )
    magics.store(args.variable, frame)
    return frame
