"""The built-in protocols before and after a change to the engine, in one process.

    python bench/bench_before_after.py --before /tmp/base --rows 1000000 --repeat 15

``--before`` is a folder holding an older ``jupyter_dataproduct`` (e.g. ``git archive <commit>
jupyter_dataproduct | tar -x -C /tmp/base``). It is imported under another package name,
so both versions run the same protocols on the same snapshot in the same process, in turn
(on a shared machine, separate processes see different loads). Prints the best time of each
and the ratio after / before; results are checked equal (to 1e-9 relative).
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from polars.testing import assert_frame_equal  # noqa: E402

from bench_algorithms import CATEGORICAL, NUMERIC  # noqa: E402
from generate import write_product  # noqa: E402

from jupyter_dataproduct.core.product import Product  # noqa: E402

BEFORE_PACKAGE = "jupyter_dataproduct_before"


def import_before(folder: Path, workdir: Path):
    """The older package's Product class, imported as ``jupyter_dataproduct_before``."""
    shutil.copytree(folder / "jupyter_dataproduct", workdir / BEFORE_PACKAGE,
                    ignore=shutil.ignore_patterns("labextension", "__pycache__"))
    sys.path.insert(0, str(workdir))
    return importlib.import_module(f"{BEFORE_PACKAGE}.core.product").Product


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-before-after-") as folder:
        workdir = Path(folder)
        OldProduct = import_before(args.before, workdir)
        path = write_product(workdir / "actg", args.rows)
        after = Product.open(path)
        after.build()
        before = OldProduct(after.path, after.store.root)
        runs = {
            "compare_arms": ("compare_arms", {"cohort_a": "arms == 0", "cohort_b": "arms == 1",
                                              "variables": NUMERIC + CATEGORICAL}),
            "survival": ("survival", {}),
        }
        report = {"rows": args.rows}
        for name, (protocol, parameters) in runs.items():
            times = {"before": [], "after": []}
            results = {}
            for _ in range(args.repeat):
                for side, product in (("before", before), ("after", after)):
                    started = time.perf_counter()
                    results[side] = product.run(protocol, parameters, record=False)
                    times[side].append(time.perf_counter() - started)
            for table in results["after"].tables:
                assert_frame_equal(results["after"].tables[table], results["before"].tables[table],
                                   check_exact=False, rel_tol=1e-9, abs_tol=1e-12)
            best = {side: min(values) for side, values in times.items()}
            report[name] = {"before_s": round(best["before"], 4), "after_s": round(best["after"], 4),
                            "ratio_after_before": round(best["after"] / best["before"], 3)}
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
