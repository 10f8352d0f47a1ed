"""%dataproduct artifacts [--delete NAME]"""


def add_arguments(parser):
    parser.add_argument("--delete", metavar="NAME")


def run(magics, args, cell):
    product = magics.product(args.product)
    if args.delete:
        product.delete_artifact(args.delete)
        print(f"Deleted artifact {args.delete}")
        return None
    return product.artifacts()
