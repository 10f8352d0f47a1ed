"""Snapshot build speed vs plain polars, in the same process.

Ours: Product.build() - read the source, model (casts, labels, derive, unpivot, filter),
check (types, required, unique keys, references), write Parquet, sha256 every file,
fsync and publish atomically.

Baseline A: the same entity frames produced by hand in polars (read, the same
transforms) and written with ``DataFrame.write_parquet``.
Baseline B: ``write_parquet`` of the already-built frames alone.

    python bench/bench_build.py --rows 10000000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import write_product  # noqa: E402

from jupyter_dataproduct.core.product import Product  # noqa: E402

LABELS = {
    "arms": ["ZDV", "ZDV+ddI", "ZDV+Zal", "ddI"], "treat": ["ZDV only", "other therapies"],
    "gender": ["female", "male"], "race": ["white", "non-white"], "str2": ["naive", "experienced"],
    "strat": ["naive", "> 1 and <= 52 weeks", "> 52 weeks"],
}
BOOLS = ["offtrt", "hemo", "homo", "drugs", "symptom", "oprior", "z30", "zprior", "cens"]
VISITS = {"cd40": ("CD4", 0), "cd420": ("CD4", 20), "cd496": ("CD4", 96), "cd80": ("CD8", 0), "cd820": ("CD8", 20)}


def hand_written_frames(source: Path) -> dict[str, pl.DataFrame]:
    raw = pl.read_parquet(source)
    offset = {"strat": 1}
    patients = raw.with_columns(
        *[pl.col(c).replace_strict(list(range(offset.get(c, 0), offset.get(c, 0) + len(v))), v, return_dtype=pl.Enum(v))
          for c, v in LABELS.items()],
        *[pl.col(c).cast(pl.Boolean) for c in BOOLS],
        (pl.col("cd420") - pl.col("cd40")).alias("cd4_change_20"),
    ).drop("r")
    labs = pl.concat([
        raw.select("pidnum", pl.lit(m).alias("marker"), pl.lit(w).alias("week"), pl.col(c).alias("count"))
        for c, (m, w) in VISITS.items()
    ]).filter(pl.col("count").is_not_null()).with_columns(pl.col("marker").cast(pl.Enum(["CD4", "CD8"])))
    return {"patients": patients, "labs": labs}


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def run(rows: int, repeat: int, workdir: Path) -> dict:
    product_dir = write_product(workdir / "product", rows, seed=0, source_format="parquet")
    source = product_dir / "data" / "patients.parquet"
    ours, baseline_a, baseline_b = [], [], []
    written = 0
    for attempt in range(repeat):
        store = workdir / f"store-{attempt}"
        seconds, result = timed(lambda: Product(product_dir, store_dir=store).build())
        ours.append(seconds)
        written = sum(m["bytes"] for m in result.snapshot.entities.values())
        out = workdir / f"plain-{attempt}"
        out.mkdir()

        def plain() -> dict[str, pl.DataFrame]:
            frames = hand_written_frames(source)
            for name, frame in frames.items():
                frame.write_parquet(out / f"{name}.parquet", compression="zstd", statistics=True)
            return frames

        seconds, frames = timed(plain)
        baseline_a.append(seconds)
        seconds, _ = timed(lambda: [f.write_parquet(out / f"again-{n}.parquet", compression="zstd", statistics=True)
                                    for n, f in frames.items()])
        baseline_b.append(seconds)
        shutil.rmtree(store)
        shutil.rmtree(out)
    best = min(ours)
    return {
        "patients": rows,
        "entity_rows": result.snapshot.rows(),
        "mb_written": round(written / 1e6, 1),
        "ours_seconds": round(best, 3),
        "plain_polars_seconds": round(min(baseline_a), 3),
        "write_parquet_only_seconds": round(min(baseline_b), 3),
        "ours_patients_per_second": round(rows / best),
        "ratio_vs_plain_polars": round(best / min(baseline_a), 2),
        "ratio_vs_write_parquet_only": round(best / min(baseline_b), 2),
        "repeat": repeat,
        "all_ours_seconds": [round(s, 3) for s in ours],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-build-") as folder:
        report = run(args.rows, args.repeat, Path(folder))
    if args.json:
        print(json.dumps(report, indent=2))
        return
    width = max(len(k) for k in report)
    for key, value in report.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
