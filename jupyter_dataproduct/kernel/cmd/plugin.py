"""%%dataproduct plugin NAME [--lang python|r]  (cell: the plugin's code)
%dataproduct plugin export NAME [--force]"""

from ...core.errors import ParameterError


def add_arguments(parser):
    parser.add_argument("words", nargs="+", metavar="NAME | export NAME")
    parser.add_argument("--lang", choices=["python", "r"], default="python")
    parser.add_argument("--force", action="store_true", help="export: overwrite an existing file.")


def run(magics, args, cell):
    product = magics.product(args.product)
    if args.words[0] == "export":
        if len(args.words) != 2:
            raise ParameterError("plugin export NAME [--force]")
        path = product.export_plugin(args.words[1], force=args.force)
        print(f"Exported plugin {args.words[1]} to {path}")
        if not product.is_local:
            print(f"{product.name} is served from {product.location}: commit the file to the product's "
                  "plugins/ folder and deploy it for protocols to use it.")
        return None
    if len(args.words) != 1:
        raise ParameterError("%%dataproduct plugin NAME [--lang python|r], with the plugin's code in the cell.")
    if cell is None or not cell.strip():
        raise ParameterError("Write the plugin's code in the cell: %%dataproduct plugin NAME, then def NAME(...).")
    plugin = product.define_plugin(args.words[0], cell, args.lang)
    print(f"Plugin {plugin.name}({', '.join(plugin.parameters)}) is ready: %dataproduct run {plugin.name} ...")
    return None
