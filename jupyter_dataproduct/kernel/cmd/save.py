"""%dataproduct save RESULT_VARIABLE NAME [--force] | save --cohort EXPR --entity ENTITY NAME"""

from ...client.result import Result
from ...core.errors import ParameterError


def add_arguments(parser):
    parser.add_argument("names", nargs="+", metavar="RESULT NAME")
    parser.add_argument("--cohort", help="Save this cohort expression instead of a result.")
    parser.add_argument("--entity", help="Entity the cohort filters.")
    parser.add_argument("--force", action="store_true", help="Replace an existing artifact.")


def run(magics, args, cell):
    product = magics.product(args.product)
    if args.cohort is not None:
        if len(args.names) != 1 or not args.entity:
            raise ParameterError("save --cohort EXPR --entity ENTITY NAME")
        return product.save(args.cohort, args.names[0], entity=args.entity, overwrite=args.force)
    if len(args.names) != 2:
        raise ParameterError("save RESULT NAME: the variable holding a result, and the artifact name.")
    variable, name = args.names
    value = magics.shell.user_ns.get(variable)
    if not isinstance(value, Result):
        raise ParameterError(f"{variable!r} is not a result in this notebook (it is {type(value).__name__}).")
    return product.save(value, name, overwrite=args.force)
