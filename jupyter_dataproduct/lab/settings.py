"""``c.DataProductLab``: the server extension's settings (traitlets, in jupyter_server_config)."""

from __future__ import annotations

from traitlets import Dict, Float, Int, List, Union
from traitlets.config import Configurable


class DataProductLab(Configurable):
    """Settings of the Data Products panel's server side.

    ``products`` names products every user of this server sees, e.g. in
    ``jupyter_server_config.py``::

        c.DataProductLab.products = [
            "/data/products/actg175",
            {"name": "trial", "location": "https://dp.example.org/actg175", "token_env": "TRIAL_TOKEN"},
        ]

    or as a mapping ``{"trial": {"location": ..., "token_env": ...}, "local": "/data/x"}``.
    Tokens are never written in config: ``token_env`` names the environment variable that
    holds one.
    """

    products = Union([List(), Dict()], default_value=[], config=True,
                     help="Products to list: locations (folder or URL), or {name, location, token_env} entries.")
    search_depth = Int(3, config=True, help="How deep under the Jupyter root to look for dataproduct.yaml folders.")
    search_limit = Int(50, config=True, help="At most this many product folders are found under the root.")
    search_ttl = Float(30.0, config=True, help="Seconds a search of the root is reused before searching again.")
    health_timeout = Float(5.0, config=True,
                           help="Seconds the product list waits for one product before showing it as unreachable.")
    remote_timeout = Float(30.0, config=True, help="Seconds a request to a remote product may take.")
    threads = Int(8, config=True, help="Worker threads for blocking calls (a slow product holds one).")
