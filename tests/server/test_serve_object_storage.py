"""`dataproduct serve` of a product whose snapshots live in object storage (a real S3 server
on loopback): a client over HTTP gets what a local copy of the product gives."""

from __future__ import annotations

import shutil

import pytest
from click.testing import CliRunner
from polars.testing import assert_frame_equal

from jupyter_dataproduct import connect
from jupyter_dataproduct.cli import main as cli
from tests.servers import dataproduct_serve

RUNS = [
    ("survival", {"group": "arms"}),
    ("compare_arms", {"cohort_a": "arms == 'ZDV'", "cohort_b": "arms in (1, 2) and age >= 40"}),
    ("baseline_summary", {"variables": ["age", "cd40", "gender"]}),
]


def without_history(provenance: dict) -> dict:
    return {k: v for k, v in provenance.items() if k != "history_id"}


@pytest.fixture
def local_copy(s3_actg_dir, tmp_path):
    """The same product, snapshots in its own folder."""
    folder = tmp_path / "local-copy"
    shutil.copytree(s3_actg_dir, folder, ignore=shutil.ignore_patterns(".dataproduct"))
    manifest = folder / "dataproduct.yaml"
    manifest.write_text(manifest.read_text().split("snapshots:\n")[0])
    product = connect(folder)
    product.build()
    return product


def test_a_product_in_object_storage_serves_what_a_local_copy_gives(s3_actg, local_copy):
    token = CliRunner().invoke(cli, ["token", "create", str(s3_actg.path), "--role", "admin"]).stdout.strip().splitlines()[0]
    with dataproduct_serve(s3_actg.path) as base:
        remote = connect(f"{base}/actg175", token=token)
        assert remote.snapshots() == []
        built = remote.build()  # the server builds in a child process and uploads to the bucket
        assert s3_actg.store.ids() == [built.id]
        remote.tag("v1", built.id)
        assert [s.id for s in remote.snapshots()] == [built.id] == [s.id for s in local_copy.snapshots()]
        assert remote.snapshot("v1").id == built.id
        assert remote.verify()["ok"] is True
        for protocol, parameters in RUNS:  # run in the server's worker processes, reading s3:// there
            there, here = remote.run(protocol, **parameters), local_copy.run(protocol, **parameters)
            # Same rows and columns; floats to 1e-9 relative (sums over three parts add in another order).
            assert list(there.tables) == list(here.tables) and there.values == pytest.approx(here.values, rel=1e-9)
            for name in here.tables:
                assert_frame_equal(there.tables[name], here.tables[name], rel_tol=1e-9)
            assert without_history(there.provenance) == without_history(here.provenance)
        for kwargs in ({}, {"where": "age >= 40 and arms in (1, 2)", "columns": ["pidnum", "age", "arms"]}):
            there, here = remote.frame("patients", **kwargs), local_copy.frame("patients", **kwargs)
            assert there.schema == here.schema and there.equals(here)
        assert remote.frame("labs").height == 9898  # all ten parts
