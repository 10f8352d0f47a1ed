"""Seeded synthetic ACTG-175-like data at any size, and a product folder around it.

    python bench/generate.py 10000000 /tmp/actg_10m --format parquet
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import numpy as np
import polars as pl
import yaml

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "actg175"


def generate_patients(n: int, seed: int = 0) -> pl.DataFrame:
    """``n`` patients with the columns of actg175.csv and realistic distributions."""
    rng = np.random.default_rng(seed)
    arms = rng.integers(0, 4, n)
    age = np.clip(np.round(rng.normal(35, 8.7, n)), 12, 70).astype(np.int64)
    cd40 = np.clip(np.round(rng.normal(350, 119, n)), 0, 1200).astype(np.int64)
    arm_effect = np.array([-15, 45, 15, 20])[arms]
    cd420 = np.clip(np.round(cd40 + arm_effect + rng.normal(0, 100, n)), 0, None).astype(np.int64)
    cd496 = np.clip(np.round(cd40 + arm_effect * 1.2 + rng.normal(0, 130, n)), 0, None).astype(np.int64)
    observed_96 = rng.random(n) > 0.37
    cd80 = np.clip(np.round(rng.lognormal(6.9, 0.45, n)), 40, 6000).astype(np.int64)
    cd820 = np.clip(np.round(cd80 * rng.lognormal(0, 0.25, n)), 40, 6500).astype(np.int64)
    hazard = np.array([1.0, 0.55, 0.6, 0.7])[arms] / 2900
    event_time = rng.exponential(1 / hazard)
    censor_time = rng.uniform(14, 1231, n)
    days = np.round(np.minimum(event_time, censor_time)).clip(14, 1231).astype(np.int64)
    str2 = (rng.random(n) < 0.58).astype(np.int64)
    return pl.DataFrame({
        "pidnum": np.arange(10_000, 10_000 + n, dtype=np.int64),
        "age": age,
        "wtkg": np.round(np.clip(rng.normal(75, 13.3, n), 31, 160), 4),
        "hemo": (rng.random(n) < 0.08).astype(np.int64),
        "homo": (rng.random(n) < 0.66).astype(np.int64),
        "drugs": (rng.random(n) < 0.13).astype(np.int64),
        "karnof": rng.choice([70, 80, 90, 100], n, p=[0.02, 0.08, 0.36, 0.54]).astype(np.int64),
        "oprior": (rng.random(n) < 0.02).astype(np.int64),
        "z30": (rng.random(n) < 0.55).astype(np.int64),
        "zprior": np.ones(n, dtype=np.int64),
        "preanti": np.where(str2 == 1, rng.integers(1, 2851, n), 0).astype(np.int64),
        "race": (rng.random(n) < 0.29).astype(np.int64),
        "gender": (rng.random(n) < 0.83).astype(np.int64),
        "str2": str2,
        "strat": np.where(str2 == 0, 1, rng.choice([2, 3], n, p=[0.3, 0.7])).astype(np.int64),
        "symptom": (rng.random(n) < 0.17).astype(np.int64),
        "treat": (arms != 0).astype(np.int64),
        "offtrt": (rng.random(n) < 0.36).astype(np.int64),
        "cd40": cd40,
        "cd420": cd420,
        "cd496": pl.Series(cd496).set(~pl.Series(observed_96), None),
        "r": observed_96.astype(np.int64),
        "cd80": cd80,
        "cd820": cd820,
        "cens": (event_time <= censor_time).astype(np.int64),
        "days": days,
        "arms": arms.astype(np.int64),
    })


def write_product(folder: Path, n: int, seed: int = 0, source_format: str = "parquet") -> Path:
    """A product folder: generated data plus the example's manifest pointing at it."""
    folder = Path(folder)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    frame = generate_patients(n, seed)
    file = folder / "data" / f"patients.{source_format}"
    if source_format == "parquet":
        frame.write_parquet(file)
    elif source_format == "csv":
        frame.write_csv(file, null_value="NA")
    else:
        raise ValueError(f"format must be parquet or csv, not {source_format!r}")
    manifest = copy.deepcopy(yaml.safe_load((EXAMPLE / "dataproduct.yaml").read_text()))
    manifest["name"] = "actg_synthetic"
    manifest["sources"] = {"actg175": {"kind": source_format, "path": f"data/{file.name}"}}
    if source_format == "csv":
        manifest["sources"]["actg175"]["null_values"] = ["NA"]
    (folder / "dataproduct.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    for sub in ("protocols", "plugins"):
        target = folder / sub
        target.mkdir(exist_ok=True)
        for file in (EXAMPLE / sub).glob("*"):
            if file.is_file():
                (target / file.name).write_bytes(file.read_bytes())
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rows", type=int)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    args = parser.parse_args()
    print(write_product(args.out_dir, args.rows, args.seed, args.format))


if __name__ == "__main__":
    main()
