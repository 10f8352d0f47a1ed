"""%dataproduct connect TARGET [--as NAME] [--token TOKEN]

TARGET is a product folder, a server URL, or the name of a connection the Data Products
panel knows (its token is read from the connections file and never shown). Connecting again
to the same product keeps its pinned snapshot and cell plugins.
"""


def add_arguments(parser):
    parser.add_argument("target", help="Product folder, server URL (http://host:port/name) or connection name.")
    parser.add_argument("--as", dest="alias", help="Name for this connection (default: the product's name).")
    parser.add_argument("--token", help="Bearer token for a server (default: $DATAPRODUCT_TOKEN).")


def run(magics, args, cell):
    return magics.session.connect(args.target, name=args.alias, token=args.token)
