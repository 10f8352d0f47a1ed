"""A 1M-row frame through the R client (``dp_frame``) vs the Python client's frame of the
same request, both against one ``dataproduct serve`` on 127.0.0.1.

R reads the frame as CSV streamed to a temporary file and parsed by ``data.table::fread``,
then typed from the product's model (factors for categories); Python reads it as an Arrow
IPC stream (its default). Each is timed inside its own process (best of ``--repeat``,
after one warm-up read that also builds the server's Arrow cache), so R's start-up and
package loading are not counted. A second request (a cohort and three columns) shows
the filtered case. ``csv_body_s`` is the same CSV body read and dropped by Python (httpx):
the server's CSV encoding plus the transfer, i.e. what R waits for before parsing.

    python bench/bench_rclient.py --rows 1000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_remote import best_of, free_port, start_server  # noqa: E402
from generate import write_product  # noqa: E402

from jupyter_dataproduct import connect  # noqa: E402
from jupyter_dataproduct.core.product import Product  # noqa: E402
from jupyter_dataproduct.server.tokens import TokenStore  # noqa: E402

PACKAGE = Path(__file__).resolve().parent.parent / "clients" / "r" / "dataproduct"
REQUESTS = {
    "whole entity": {"entity": "patients"},
    "cohort, 3 columns": {"entity": "patients", "where": "age >= 40 and arms in ('ZDV', 'ddI')",
                          "columns": ["pidnum", "age", "arms"]},
}

R_TIMER = """
suppressPackageStartupMessages(library(dataproduct))
args <- jsonlite::fromJSON(Sys.getenv("BENCH_ARGS"), simplifyVector = FALSE)
dp <- dp_connect(args$url, token = args$token)
out <- list()
for (name in names(args$requests)) {
  r <- args$requests[[name]]
  read <- function() dp_frame(dp, r$entity, where = r$where, columns = unlist(r$columns), progress = FALSE)
  frame <- read()  # warm-up
  times <- vapply(seq_len(args$repeat_), function(i) system.time(frame <<- read())[["elapsed"]], 0)
  out[[name]] <- list(seconds = min(times), rows = nrow(frame), columns = ncol(frame),
                      factors = sum(vapply(frame, is.factor, TRUE)))
}
cat(jsonlite::toJSON(out, auto_unbox = TRUE))
"""


def r_frames(url: str, token: str, repeat: int, library: str) -> dict[str, dict]:
    environment = {**os.environ, "R_LIBS": os.pathsep.join(filter(None, [library, os.environ.get("R_LIBS", "")])),
                   "BENCH_ARGS": json.dumps({"url": url, "token": token, "requests": REQUESTS, "repeat_": repeat})}
    done = subprocess.run(["Rscript", "-e", R_TIMER], env=environment, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def python_frames(url: str, token: str, repeat: int) -> dict[str, dict]:
    product = connect(url, token=token)
    out = {}
    for name, request in REQUESTS.items():
        def read():
            return product.frame(request["entity"], where=request.get("where"), columns=request.get("columns"))

        read()  # warm-up
        seconds, frame = best_of(repeat, read)
        body = {"where": request.get("where"), "columns": request.get("columns")}
        drain, _ = best_of(repeat, lambda: csv_body(url, token, request["entity"], body))
        out[name] = {"seconds": seconds, "rows": frame.height, "columns": frame.width, "csv_body_s": drain}
    return out


def csv_body(url: str, token: str, entity: str, body: dict) -> int:
    root, name = url.rsplit("/", 1)
    size = 0
    with httpx.stream("POST", f"{root}/api/products/{name}/entities/{entity}/frame", params={"format": "csv"},
                      json=body, headers={"Authorization": f"Bearer {token}"}, timeout=None) as response:
        for chunk in response.iter_raw():
            size += len(chunk)
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--r-library", help="an R library holding the dataproduct package (default: install it into a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        library = args.r_library
        if library is None:
            library = str(Path(temporary) / "r-library")
            os.mkdir(library)
            subprocess.run(["R", "CMD", "INSTALL", "-l", library, str(PACKAGE)], check=True, capture_output=True)
        started = time.perf_counter()
        folder = write_product(Path(temporary) / "synthetic", args.rows)
        Product.open(folder).build()
        print(f"built {args.rows:,} patients in {time.perf_counter() - started:.1f} s")
        token = TokenStore.for_product(folder).create("reader")[0]
        port = free_port()
        server = start_server([folder], port)
        try:
            url = f"http://127.0.0.1:{port}/actg_synthetic"
            python = python_frames(url, token, args.repeat)
            r = r_frames(url, token, args.repeat, library)
        finally:
            server.terminate()
            server.wait(10)
    print(f"{'request':<20} {'rows':>10} {'R dp_frame (CSV)':>17} {'Python frame (Arrow)':>21} {'ratio R/Python':>15}"
          f" {'CSV body alone':>15}")
    for name in REQUESTS:
        assert r[name]["rows"] == python[name]["rows"] and r[name]["columns"] == python[name]["columns"], (r, python)
        print(f"{name:<20} {r[name]['rows']:>10,} {r[name]['seconds']:>15.3f} s {python[name]['seconds']:>19.3f} s "
              f"{r[name]['seconds'] / python[name]['seconds']:>15.2f} {python[name]['csv_body_s']:>13.3f} s")
    print(json.dumps({"rows": args.rows, "r": r, "python": python}))


if __name__ == "__main__":
    main()
