"""A real ``dataproduct serve`` for the R client, the R package installed in a temporary
library, and the Python client's frames of the requests the R tests repeat.

The server serves a copy of ``examples/actg175`` and the tests' tiny product (strings,
dates, labelled categories), with tokens made by the CLI as a user makes them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from jupyter_dataproduct import connect
from jupyter_dataproduct.cli import main as cli
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.contract.wire import column_schema, json_default
from tests.conftest import TINY_MANIFEST, TINY_PEOPLE, TINY_VISITS
from tests.servers import dataproduct_serve

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "clients" / "r" / "dataproduct"

# The frames the R tests read and compare, value by value and type by type, with the Python client's.
FRAME_REQUESTS = [
    {"name": "patients_all", "product": "actg175", "entity": "patients"},
    {"name": "patients_cohort", "product": "actg175", "entity": "patients",
     "where": "age >= 40 and arms in ('ZDV', 'ddI')", "columns": ["pidnum", "age", "arms", "wtkg", "cens", "cd496"]},
    {"name": "labs_head", "product": "actg175", "entity": "labs", "limit": 1000},
    {"name": "tiny_people", "product": "tiny", "entity": "people"},
    {"name": "tiny_visits", "product": "tiny", "entity": "visits", "where": "weight is null or week == 0"},
]


def create_token(path: Path, role: str) -> str:
    result = CliRunner().invoke(cli, ["token", "create", str(path), "--role", role])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


@pytest.fixture(scope="session")
def products(tmp_path_factory) -> dict[str, Path]:
    """Built copies of the ACTG 175 example and of the tiny product."""
    root = tmp_path_factory.mktemp("r-served")
    actg = root / "actg175"
    shutil.copytree(REPO / "examples" / "actg175", actg, ignore=shutil.ignore_patterns(".dataproduct"))
    tiny = root / "tiny"
    (tiny / "data").mkdir(parents=True)
    (tiny / "dataproduct.yaml").write_text(TINY_MANIFEST)
    (tiny / "data" / "people.csv").write_text(TINY_PEOPLE)
    (tiny / "data" / "visits.csv").write_text(TINY_VISITS)
    for folder in (actg, tiny):
        Product.open(folder).build()
    return {"actg175": actg, "tiny": tiny}


@pytest.fixture(scope="session")
def server_env(products) -> Iterator[dict[str, str]]:
    """The environment the R tests read: URLs and tokens of the running server."""
    actg, tiny = products["actg175"], products["tiny"]
    tokens = {"analyst": create_token(actg, "analyst"), "reader": create_token(actg, "reader"),
              "tiny": create_token(tiny, "analyst")}
    with dataproduct_serve(actg, tiny) as base:
        yield {"DATAPRODUCT_URL": f"{base}/actg175", "DATAPRODUCT_TOKEN": tokens["analyst"],
               "DATAPRODUCT_READER_TOKEN": tokens["reader"], "DATAPRODUCT_TINY_URL": f"{base}/tiny",
               "DATAPRODUCT_TINY_TOKEN": tokens["tiny"]}


@pytest.fixture(scope="session")
def r_library(tmp_path_factory) -> Path:
    """``R CMD INSTALL clients/r/dataproduct`` into a temporary library."""
    library = tmp_path_factory.mktemp("r-library")
    done = subprocess.run(["R", "CMD", "INSTALL", "--no-test-load", "-l", str(library), str(PACKAGE)],
                          capture_output=True, text=True)
    assert done.returncode == 0, f"R CMD INSTALL failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return library


@pytest.fixture(scope="session")
def reference(server_env, tmp_path_factory) -> Path:
    """A folder with requests.json and, per request, the Python client's frame as
    ``{"schema": {column: {type, levels?}}, "columns": {column: [values]}}``."""
    folder = tmp_path_factory.mktemp("r-reference")
    clients = {"actg175": connect(server_env["DATAPRODUCT_URL"], token=server_env["DATAPRODUCT_TOKEN"]),
               "tiny": connect(server_env["DATAPRODUCT_TINY_URL"], token=server_env["DATAPRODUCT_TINY_TOKEN"])}
    for spec in FRAME_REQUESTS:
        frame = clients[spec["product"]].frame(spec["entity"], where=spec.get("where"), columns=spec.get("columns"),
                                               limit=spec.get("limit"))
        document = {"schema": column_schema(frame), "columns": {name: frame[name].to_list() for name in frame.columns}}
        (folder / f"{spec['name']}.json").write_text(json.dumps(document, default=json_default))
    (folder / "requests.json").write_text(json.dumps(FRAME_REQUESTS))
    return folder


@pytest.fixture(scope="session")
def r_env(r_library, server_env, reference) -> dict[str, str]:
    """The environment for Rscript: this process's, the temporary library first on R's
    library path, the server's URLs and tokens, and the reference frames' folder."""
    libraries = os.pathsep.join(filter(None, [str(r_library), os.environ.get("R_LIBS", "")]))
    return {**os.environ, "R_LIBS": libraries, **server_env, "DATAPRODUCT_REFERENCE": str(reference)}
