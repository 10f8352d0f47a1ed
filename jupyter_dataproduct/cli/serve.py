from __future__ import annotations

import click

from ..core.errors import MissingDependencyError
from .output import reports_errors


@click.command("serve")
@click.argument("paths", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Interface to listen on (0.0.0.0 exposes the server to the network; put TLS in front).")
@click.option("--port", default=8750, show_default=True, type=click.IntRange(0, 65535))
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]))
@click.option("--arrow-cache/--no-arrow-cache", default=True, show_default=True,
              help="Keep each whole entity sent as Arrow as a stream file in the product's store "
                   "(arrow-cache/) and send it from there, instead of decoding Parquet per request.")
@click.option("--read-timeout", default=30.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="Seconds a client has to send a whole request (headers and body); slower ones are disconnected.")
@click.option("--max-connections", default=1000, show_default=True, type=click.IntRange(1, 1_000_000),
              help="Open connections at most; beyond it the oldest one still sending its request is closed.")
@click.option("--keep-alive", default=5, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds an idle keep-alive connection stays open.")
@click.option("--run-seconds", default=300.0, show_default=True, type=click.FloatRange(1, 86_400),
              help="Wall time one run (protocol, plugin, re-run) may take; a longer one is stopped (422).")
@click.option("--run-memory-mb", default=4096, show_default=True, type=click.IntRange(256, 10_000_000),
              help="Memory (address space) one run may use; a run needing more is stopped (422).")
@click.option("--run-workers", default=2, show_default=True, type=click.IntRange(1, 256),
              help="Runs at the same time, each in its own worker process; more wait (503 after 30 s).")
@click.option("--result-memo", default=512, show_default=True, type=click.IntRange(0, 1_000_000),
              help="Results of protocol runs kept to answer the same run (same snapshot, code, parameters) "
                   "again without running it; each answer is still recorded in the history. 0: run every call.")
@click.option("--share-plugin-source", is_flag=True, default=False,
              help="Let token holders read the plugins' source files (GET .../plugins/NAME/source); off by default.")
@reports_errors
def command(paths: tuple[str, ...], host: str, port: int, log_level: str, arrow_cache: bool, read_timeout: float,
            max_connections: int, keep_alive: int, run_seconds: float, run_memory_mb: int, run_workers: int,
            result_memo: int, share_plugin_source: bool) -> None:
    """Serve the products in PATHS over HTTP at /api/products/<name> (tokens: `dataproduct token`)."""
    try:
        from ..server.app import serve
        from ..server.runs import RunBudget
    except ImportError as exc:
        raise MissingDependencyError(
            f"The server needs the 'server' extra: pip install \"jupyter-dataproduct[server]\" ({exc.name} is missing)."
        ) from None
    serve(list(paths), host=host, port=port, log_level=log_level, announce=click.echo, arrow_cache=arrow_cache,
          read_timeout=read_timeout, max_connections=max_connections, keep_alive=keep_alive,
          run_budget=RunBudget(seconds=run_seconds, memory_mb=run_memory_mb, workers=run_workers),
          result_memo=result_memo, share_plugin_source=share_plugin_source)
