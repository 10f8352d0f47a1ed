"""The built-in protocols through the engine seam, on polars and on Spark local[2].

    python bench/bench_engines.py --rows 1000000 --repeat 3

Per engine: ``session_s`` is the engine's start-up (Spark's JVM and session), ``cold`` the
first run of the protocols after it, ``warm`` the best of ``--repeat`` further runs, and
``cpu_s`` the CPU seconds of this process and its children (the JVM) in the best warm run.
Ratios are against polars in the same run. The work: ``compare_arms`` (7 numbers, 5
categories, two cohorts), ``survival`` (Kaplan-Meier and log-rank by arm) and
``baseline_summary`` (summary by arm), each run by ``Product.run(..., engine=...)``.
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

from jupyter_dataproduct.core.product import Product  # noqa: E402

NUMERIC = ["age", "wtkg", "karnof", "cd40", "cd80", "cd420", "cd820"]
CATEGORICAL = ["gender", "race", "hemo", "symptom", "str2"]
PROTOCOLS = {
    "compare_arms": {"cohort_a": "arms == 'ZDV'", "cohort_b": "arms == 'ZDV+ddI'", "variables": NUMERIC + CATEGORICAL},
    "survival": {},
    "baseline_summary": {},
}


def workload(product, engine: str) -> dict:
    """Each protocol once; the numbers that must agree between engines."""
    results = {name: product.run(name, parameters, record=False, engine=engine) for name, parameters in PROTOCOLS.items()}
    comparison = results["compare_arms"].tables["comparison"]
    return {"p_values": comparison["p_value"].to_list(), "chisq": results["survival"].values["chisq"],
            "engine": results["survival"].provenance["engine"]}


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


def measure(product, engine: str, repeat: int) -> dict:
    from jupyter_dataproduct.core.backends.choice import backend_for, parse_engine

    started = time.perf_counter()
    backend_for(parse_engine(engine)).version()  # start the engine (Spark: JVM and session)
    session = time.perf_counter() - started
    started = time.perf_counter()
    answer = workload(product, engine)
    cold = time.perf_counter() - started
    warm, cpu = [], []
    for _ in range(repeat):
        cpu_before, started = cpu_seconds(), time.perf_counter()
        workload(product, engine)
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
        polars = measure(product, "polars", args.repeat)
        other = measure(product, args.engine, args.repeat)
        for mine, theirs in zip(other["answer"]["p_values"], polars["answer"]["p_values"]):
            assert mine == theirs or abs(mine - theirs) <= 1e-9 * abs(theirs), "engines disagree"
        report = {
            "rows": args.rows, "load_average_1min": os.getloadavg()[0],
            "polars": {k: v for k, v in polars.items() if k != "answer"},
            args.engine: {k: v for k, v in other.items() if k != "answer"},
            "engines": [polars["answer"]["engine"], other["answer"]["engine"]],
            "ratio_warm": round(other["warm_s"] / polars["warm_s"], 1),
            "ratio_cold_including_session": round((other["session_s"] + other["cold_s"]) / polars["cold_s"], 1),
            "spark_cpu_s_per_million_rows": round(other["cpu_s"] / (args.rows / 1e6), 2),
            "polars_cpu_s_per_million_rows": round(polars["cpu_s"] / (args.rows / 1e6), 2),
        }
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
