"""``python -m jupyter_dataproduct.cli``: the ``dataproduct`` command."""

from . import main

main()
