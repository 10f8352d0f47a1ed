"""%dataproduct list: connected products, and the protocols of the current one."""

from ...client.objects import Listing


def add_arguments(parser):
    pass


def run(magics, args, cell):
    connected = Listing(magics.session.listing(), "Connected data products", ["name", "location", "default", "pinned"])
    if not magics.session.products:
        return connected
    from IPython.display import display

    display(connected)
    return magics.product(args.product).protocols
