"""Builds are content-addressed, atomic, safe when killed and safe when run concurrently."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from jupyter_dataproduct.core.errors import DiskFullError
from jupyter_dataproduct.core.product import Product


def test_build_writes_parquet_and_a_manifest(tiny_product):
    result = tiny_product.build()
    snapshot = result.snapshot
    assert result.created
    assert snapshot.rows() == {"people": 5, "visits": 8}  # week -1 filtered out
    info = snapshot.info
    assert info["product"] == "tiny" and info["product_version"] == "0.1.0"
    assert set(info) >= {"id", "created", "tool_version", "config_hash", "sources", "entities", "format"}
    assert info["sources"]["people"]["fingerprint"].startswith("sha256:")
    people = snapshot.scan("people").collect()
    assert people.schema["group"] == pl.Enum(["control", "treated"])
    assert people.filter(pl.col("id") == 2).row(0, named=True)["age_months"] == 612
    assert [c["name"] for c in info["entities"]["people"]["schema"]][:3] == ["id", "name", "age"]


def test_same_sources_and_config_give_the_same_id(write_product, tiny_manifest, tiny_files, tmp_path):
    first = Product.open(write_product(tiny_manifest, tiny_files, name="one")).build().snapshot.id
    elsewhere = Product(write_product(tiny_manifest, tiny_files, name="two"), store_dir=tmp_path / "store")
    assert elsewhere.build().snapshot.id == first


def test_prose_does_not_change_the_id_but_data_and_model_do(write_product, tiny_manifest, tiny_files):
    base = Product.open(write_product(tiny_manifest, tiny_files, name="base")).build().snapshot.id
    prose = tiny_manifest.replace("description: Two small entities for tests.", "description: Other words.")
    assert Product.open(write_product(prose, tiny_files, name="prose")).build().snapshot.id == base
    model = tiny_manifest.replace("unit: years", "unit: years, required: true")
    assert Product.open(write_product(model, tiny_files, name="model")).build().snapshot.id != base
    data = dict(tiny_files, **{"data/visits.csv": tiny_files["data/visits.csv"].replace("70.5", "70.6")})
    assert Product.open(write_product(tiny_manifest, data, name="data")).build().snapshot.id != base


def test_rebuilding_unchanged_inputs_is_a_no_op(tiny_product):
    first = tiny_product.build()
    again = tiny_product.build()
    assert not again.created and again.snapshot.id == first.snapshot.id
    assert len(tiny_product.snapshots()) == 1


def test_published_files_are_read_only(tiny_product):
    snapshot = tiny_product.build().snapshot
    for file in snapshot.path.rglob("*"):
        if file.is_file():
            assert not file.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), file


def test_build_progress_is_reported(tiny_product):
    events = []
    tiny_product.build(progress=events.append)
    assert events[-1].done == events[-1].total
    assert any("modelled people: 5 rows" in e.message for e in events)


def large_product(write_product, rows: int, name: str = "large") -> Product:
    rng = np.random.default_rng(0)
    folder = write_product(
        """\
        name: large
        version: 1.0.0
        sources:
          rows: {kind: parquet, path: rows.parquet}
        model:
          entities:
            rows:
              source: rows
              key: id
              columns:
                id: {type: int}
                a: {type: float}
                b: {type: float}
                c: {type: int}
        """,
        name=name,
    )
    pl.DataFrame({
        "id": np.arange(rows), "a": rng.normal(size=rows), "b": rng.normal(size=rows), "c": rng.integers(0, 1000, rows),
    }).write_parquet(folder / "rows.parquet")
    return Product.open(folder)


BUILD_SCRIPT = textwrap.dedent("""
    import sys
    from jupyter_dataproduct.core.product import Product
    result = Product.open(sys.argv[1]).build()
    print(result.snapshot.id, result.created)
""")


def start_build(folder: Path, store: Path | None = None) -> subprocess.Popen:
    env = dict(os.environ, DATAPRODUCT_STORE=str(store)) if store else None
    return subprocess.Popen([sys.executable, "-c", BUILD_SCRIPT, str(folder)], stdout=subprocess.PIPE, text=True, env=env)


def test_a_killed_build_leaves_no_partial_snapshot(write_product, tiny_product):
    earlier = tiny_product.build().snapshot
    product = large_product(write_product, 4_000_000)
    process = start_build(product.path, store=tiny_product.store.root)  # one store, with an earlier snapshot
    tmp = tiny_product.store.tmp_dir
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(tmp.glob("build-*/entities/*")):
        time.sleep(0.01)
    assert process.poll() is None, "build finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert [s.id for s in tiny_product.snapshots()] == [earlier.id]
    assert earlier.verify() == []
    assert any(tmp.glob("build-*")), "the abandoned build folder is left in tmp/"
    tiny_product.build(force=True)  # the next build cleans abandoned folders up
    assert not any(tmp.glob("build-*"))


def test_concurrent_builds_of_the_same_content_publish_one_snapshot(write_product):
    product = large_product(write_product, 300_000)
    processes = [start_build(product.path) for _ in range(3)]
    outputs = [p.communicate(timeout=120)[0].split() for p in processes]
    assert all(p.returncode == 0 for p in processes)
    ids = {out[0] for out in outputs}
    assert len(ids) == 1
    assert [s.id for s in product.snapshots()] == list(ids)
    assert product.snapshot().verify() == []
    assert not any(product.store.tmp_dir.glob("build-*"))


def test_concurrent_builds_of_different_content_both_land(write_product):
    first = large_product(write_product, 200_000, name="first")
    second = large_product(write_product, 200_001, name="second")
    processes = [start_build(p.path, store=first.store.root) for p in (first, second)]  # one shared store
    ids = {p.communicate(timeout=120)[0].split()[0] for p in processes}
    assert len(ids) == 2
    assert {s.id for s in first.snapshots()} == ids
    assert all(s.verify() == [] for s in first.snapshots())


KILLED_AT_RENAME = textwrap.dedent("""
    import os, signal, sys
    from jupyter_dataproduct.core.product import Product
    os.rename = lambda *args: os.kill(os.getpid(), signal.SIGKILL)  # die at the publishing rename
    Product.open(sys.argv[1]).build()
""")


def test_a_build_killed_at_its_publishing_rename_is_cleaned_up_by_the_next_build(tiny_product):
    killed = subprocess.run([sys.executable, "-c", KILLED_AT_RENAME, str(tiny_product.path)], timeout=120)
    assert killed.returncode == -signal.SIGKILL
    tmp = tiny_product.store.tmp_dir
    assert any(tmp.glob("build-*/entities/*.parquet")), "the finished copy is left in tmp/"
    assert tiny_product.snapshots() == []  # nothing half-visible
    built = tiny_product.build()
    assert built.created and built.snapshot.verify() == []
    assert sorted(p.name for p in tmp.iterdir()) == [".lock"], "tmp/ holds only its lock once cleaned"
    tiny_product.build()  # an up-to-date build cleans too
    assert sorted(p.name for p in tmp.iterdir()) == [".lock"]


def test_leftovers_of_an_older_build_without_a_lock_are_cleaned(tiny_product):
    leftover = tiny_product.store.tmp_dir / "build-0123456789abcdef"
    (leftover / "entities").mkdir(parents=True)
    (leftover / "entities" / "people.parquet").write_bytes(b"PAR1")
    tiny_product.build()
    assert not leftover.exists()


def test_a_build_on_a_full_disk_is_a_disk_full_error_and_leaves_nothing(write_product, small_disk):
    product = large_product(write_product, 200_000)
    disk = small_disk(product.store.root, "4m")
    disk.fill(leave=500_000)  # room to start, not to finish
    with pytest.raises(DiskFullError, match="The disk is full: the snapshot could not be written"):
        product.build()
    assert product.snapshots() == [] and not (product.store.snapshots_dir.exists() and any(product.store.snapshots_dir.iterdir()))
    assert sorted(p.name for p in product.store.tmp_dir.iterdir()) == [".lock"]
    disk.free()
    assert product.build().snapshot.verify() == []
