"""%dataproduct load NAME [-o VAR]: the artifact's value (a cohort, a frame or a Result)."""


def add_arguments(parser):
    parser.add_argument("name")
    parser.add_argument("-o", "--output", dest="variable")


def run(magics, args, cell):
    from ..progress import answer_progress

    product = magics.product(args.product)
    with answer_progress(magics, product, f"load {args.name}"):
        artifact = product.load(args.name)
    value = artifact.value
    magics.store(args.variable, value)
    return artifact if value is None else value
