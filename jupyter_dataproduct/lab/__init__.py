"""The Jupyter Server extension behind the Data Products sidebar (REST under ``/dataproduct/``).

Thin tornado handlers over :mod:`jupyter_dataproduct.client`: the product catalog (server
config, the shared connections file, folders found under the Jupyter root), metadata,
protocol forms, parameter validation and cohort counts. It runs no analysis (analyses run
in the kernel, from the cells the sidebar inserts) and keeps tokens on the server side.

Importing this package is cheap: polars, pyarrow and the engine load on the first request,
in a worker thread (JupyterLab logs extensions that slow its start-up).
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyter_dataproduct.lab"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Called by Jupyter Server: read ``c.DataProductLab``, register the handlers."""
    from .catalog import Catalog
    from .routes import handlers
    from .settings import DataProductLab

    settings = DataProductLab(parent=serverapp)
    catalog = Catalog(settings, root_dir=serverapp.root_dir, log=serverapp.log)
    catalog.share_configured_products()
    serverapp.web_app.settings["dataproduct_catalog"] = catalog
    serverapp.web_app.add_handlers(".*$", handlers(serverapp.web_app.settings["base_url"]))
    serverapp.log.info("jupyter_dataproduct: the Data Products panel's API is at %sdataproduct/",
                       serverapp.web_app.settings["base_url"])
