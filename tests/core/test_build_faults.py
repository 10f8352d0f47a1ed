"""Fault injection: `dataproduct build` killed (SIGKILL) at 20 seeded random moments. After each
kill every published snapshot verifies, no snapshot is half-visible, and the next build leaves
``tmp/`` clean. Bounded to about a minute."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

from jupyter_dataproduct.core.product import Product

KILLS = 20
SEED = 20261201
MANIFEST = """\
name: faults
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
        group: {type: category, levels: [x, y, z]}
        c: {type: int, derive: id % 7}
"""


def write_rows(folder: Path, version: int) -> None:
    """New data (so a new snapshot id) for each round."""
    rng = np.random.default_rng(version)
    n = 150_000
    pl.DataFrame({
        "id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n),
        "group": rng.choice(["x", "y", "z"], n),
    }).write_parquet(folder / "rows.parquet")


def start_build(folder: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jupyter_dataproduct.cli", "build", str(folder), "--json"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for_build_phase(product: Product, process: subprocess.Popen) -> float | None:
    """Seconds until the build holds its lock in tmp/ (its writing phase), or None if it ended first."""
    start = time.monotonic()
    while process.poll() is None:
        if any(product.store.tmp_dir.glob("build-*.lock")):
            return time.monotonic() - start
        time.sleep(0.002)
    return None


def assert_store_is_consistent(product: Product) -> None:
    folders = sorted(p.name for p in product.store.snapshots_dir.iterdir()) if product.store.snapshots_dir.exists() else []
    assert folders == sorted(product.store.ids()), "a snapshot folder without its snapshot.json is visible"
    for snapshot in product.snapshots():
        assert snapshot.verify() == [], snapshot.id


def test_builds_killed_at_random_moments_never_leave_a_broken_store(tmp_path):
    folder = tmp_path / "faults"
    folder.mkdir()
    (folder / "dataproduct.yaml").write_text(MANIFEST)
    product = Product.open(folder)
    rng = random.Random(SEED)

    # One unkilled build measures how long the writing phase lasts.
    write_rows(folder, 0)
    process = start_build(folder)
    to_phase = wait_for_build_phase(product, process)
    phase_start = time.monotonic()
    while any(product.store.tmp_dir.glob("build-*.lock")):
        time.sleep(0.002)
    phase = time.monotonic() - phase_start
    assert process.wait(120) == 0 and to_phase is not None

    killed_mid_build = 0
    for round_ in range(1, KILLS + 1):
        write_rows(folder, round_)
        process = start_build(folder)
        if round_ % 4 == 0:  # some kills anywhere, start-up included
            time.sleep(rng.uniform(0, to_phase + phase))
        elif wait_for_build_phase(product, process) is not None:
            time.sleep(rng.uniform(0, phase))
        if process.poll() is None:
            killed_mid_build += any(product.store.tmp_dir.glob("build-*.lock"))
            os.kill(process.pid, signal.SIGKILL)
        process.wait(60)
        assert_store_is_consistent(product)

        built = product.build()  # the next build cleans up after the killed one
        assert built.snapshot.verify() == []
        assert sorted(p.name for p in product.store.tmp_dir.iterdir()) == [".lock"], round_
        assert_store_is_consistent(product)

    print(f"\nfault injection: {killed_mid_build} of {KILLS} kills while a build was writing; phase {phase:.2f} s after {to_phase:.2f} s")
    assert killed_mid_build >= 1, "no kill landed while a build was writing"
    assert len(product.snapshots()) == KILLS + 1
