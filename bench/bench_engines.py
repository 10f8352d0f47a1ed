"""The backend reducers of a compare + survival protocol on polars and on Spark local[2].

    python bench/bench_engines.py --rows 1000000 --repeat 3

Per engine: ``cold`` is the first answer in a fresh process state (for Spark: session
start-up included, measured separately as ``session_s``), ``warm`` the best of
``--repeat`` further runs. Ratios are against polars in the same run. The work is what
``compare_arms`` and ``survival`` need from the rows: moments (shifted sums) and value
counts for two cohorts, quartiles, and the (arm, time) event table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import write_product  # noqa: E402

from jupyter_dataproduct.core.backends.choice import parse_engine  # noqa: E402
from jupyter_dataproduct.core.backends.polars_backend import PolarsBackend  # noqa: E402
from jupyter_dataproduct.core.backends.reducers import event_table, finish_moments, rank_sums  # noqa: E402
from jupyter_dataproduct.core.cohort import cohort_from_value  # noqa: E402
from jupyter_dataproduct.core.product import Product  # noqa: E402

NUMERIC = ["age", "wtkg", "karnof", "cd40", "cd80", "cd420", "cd820"]
CATEGORICAL = ["gender", "race", "hemo", "symptom", "arms"]


def workload(backend, snapshot, entity, cohorts) -> dict:
    references = {name: 0.0 for name in NUMERIC}
    moments = finish_moments(backend.moments(snapshot, entity, cohorts, NUMERIC, references), references)
    counts = backend.value_counts(snapshot, entity, cohorts, CATEGORICAL + ["cd40"])
    sums = rank_sums(counts["cd40"], "a")
    quartiles = backend.quantiles(snapshot, entity, cohorts, ["cd40"], [0.25, 0.5, 0.75])
    events = event_table(backend.event_counts(snapshot, entity, cohorts["all"], "days", "cens", "arms"),
                         entity.columns["arms"].polars_type())
    return {"moments": moments.height, "rank_sum_a": sums["rank_sum_a"], "quartiles": quartiles.height,
            "events": events.height}


def cpu_seconds() -> float:
    """CPU time of this process and every live descendant (the Spark JVM is one), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    pids, total = [os.getpid()], 0.0
    while pids:
        pid = pids.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
            for task in Path(f"/proc/{pid}/task").iterdir():
                pids += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def measure(make_backend, snapshot, entity, cohorts, repeat: int) -> dict:
    started = time.perf_counter()
    backend = make_backend()
    session = time.perf_counter() - started
    started = time.perf_counter()
    answer = workload(backend, snapshot, entity, cohorts)
    cold = time.perf_counter() - started
    warm, cpu = [], []
    for _ in range(repeat):
        cpu_before, started = cpu_seconds(), time.perf_counter()
        workload(backend, snapshot, entity, cohorts)
        warm.append(time.perf_counter() - started)
        cpu.append(cpu_seconds() - cpu_before)
    return {"session_s": round(session, 2), "cold_s": round(cold, 2), "warm_s": round(min(warm), 3),
            "cpu_s": round(min(cpu), 2), "answer": answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine", default="spark-local[2]")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        product = Product.open(write_product(Path(workdir) / "actg", args.rows))
        product.build()
        snapshot = product.snapshot()
        entity = product.manifest.model.entities["patients"]
        cohorts = {name: cohort_from_value(text, "patients", entity)
                   for name, text in {"a": "arms == 'ZDV'", "b": "arms == 'ZDV+ddI'", "all": ""}.items()}
        polars = measure(PolarsBackend, snapshot, entity, cohorts, args.repeat)

        def spark():
            from jupyter_dataproduct.core.backends.spark_backend import SparkBackend

            return SparkBackend(parse_engine(args.engine))

        other = measure(spark, snapshot, entity, cohorts, args.repeat)
        assert other["answer"]["rank_sum_a"] == polars["answer"]["rank_sum_a"], "engines disagree"
        report = {
            "rows": args.rows, "polars": polars, args.engine: other,
            "ratio_warm": round(other["warm_s"] / polars["warm_s"], 1),
            "ratio_cold_including_session": round((other["session_s"] + other["cold_s"]) / polars["cold_s"], 1),
            "spark_cpu_s_per_million_rows": round(other["cpu_s"] / (args.rows / 1e6), 2),
            "polars_cpu_s_per_million_rows": round(polars["cpu_s"] / (args.rows / 1e6), 2),
        }
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
