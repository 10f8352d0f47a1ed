"""%dataproduct plugins"""


def add_arguments(parser):
    pass


def run(magics, args, cell):
    return magics.product(args.product).plugins()
