"""The products every engine test runs on: the example (ACTG 175) and a generated one
with the numerical traps - nulls in every type, ties, a column near 1e9 (variance by
shifted sums) and a nearly distinct column (Mann-Whitney without a global sort)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import polars as pl

from jupyter_dataproduct.core.product import Product

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "actg175"
GENERATED_ROWS = 4000

GENERATED_MANIFEST = """\
name: generated
version: 0.1.0
title: Generated
description: Numerical traps for the engines.
owners: [Test]
license: CC0
sources:
  rows: {kind: parquet, path: data/rows.parquet}
model:
  entities:
    rows:
      source: rows
      key: id
      columns:
        id: {type: int, required: true}
        arm: {type: category, labels: {0: zeta, 1: alpha, 2: mid}}
        shifted: {type: float}
        distinct: {type: float}
        count: {type: int}
        flag: {type: bool}
        label: {type: string}
        day: {type: date}
        stamp: {type: datetime}
        time: {type: int}
        event: {type: bool}
"""


def generated_rows(n: int = GENERATED_ROWS) -> pl.DataFrame:
    """Seeded rows; about 5% missing in every column but the key."""
    generator = np.random.default_rng(7)
    missing = generator.random((10, n)) < 0.05
    start = dt.datetime(2024, 1, 1)
    frame = pl.DataFrame({
        "id": np.arange(n),
        "arm": generator.integers(0, 3, n),
        "shifted": 1e9 + generator.normal(0, 1e-3, n),
        "distinct": np.round(generator.normal(0, 1, n), 6),
        "count": generator.poisson(3, n),  # ties everywhere
        "flag": generator.random(n) < 0.4,
        "label": [["a", "b", "ab", "Z"][i] for i in generator.integers(0, 4, n)],
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=int(d)) for d in generator.integers(0, 30, n)],
        "stamp": [start + dt.timedelta(minutes=int(m)) for m in generator.integers(0, 10_000, n)],
        "time": generator.integers(1, 200, n),
        "event": generator.random(n) < 0.6,
    })
    columns = [c for c in frame.columns if c != "id"]
    return frame.with_columns(
        pl.when(pl.Series(missing[i])).then(None).otherwise(pl.col(c)).alias(c) for i, c in enumerate(columns)
    )


def copy_example(folder: Path) -> Product:
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns(".dataproduct"))
    product = Product(folder)
    product.build()
    return product


def write_generated(folder: Path) -> Product:
    (folder / "data").mkdir(parents=True)
    (folder / "dataproduct.yaml").write_text(GENERATED_MANIFEST)
    generated_rows().write_parquet(folder / "data" / "rows.parquet")
    product = Product(folder)
    product.build()
    return product
