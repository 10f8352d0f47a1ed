"""%dataproduct connect TARGET [--as NAME] [--token TOKEN]"""


def add_arguments(parser):
    parser.add_argument("target", help="Product folder or server URL (http://host:port/name).")
    parser.add_argument("--as", dest="alias", help="Name for this connection (default: the product's name).")
    parser.add_argument("--token", help="Bearer token for a server (default: $DATAPRODUCT_TOKEN).")


def run(magics, args, cell):
    return magics.session.connect(args.target, name=args.alias, token=args.token)
