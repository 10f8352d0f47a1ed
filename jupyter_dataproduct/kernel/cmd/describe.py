"""%dataproduct describe PROTOCOL"""


def add_arguments(parser):
    parser.add_argument("protocol", help="name or name@version")


def run(magics, args, cell):
    return magics.product(args.product).protocols[args.protocol]
