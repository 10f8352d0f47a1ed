"""The built-in protocols through the engine seam, on polars and on Spark local[2].

    python bench/bench_engines.py --rows 1000000 --repeat 3

Per engine: ``session_s`` is the engine's start-up (Spark's JVM and session), ``cold`` the
first run of the protocols after it, ``warm`` the best of ``--repeat`` further runs, and
``cpu_s`` the CPU seconds of this process and its children (the JVM) in the best warm run.
Ratios are against polars in the same run. The work: ``compare_arms`` (7 numbers, 5
categories, two cohorts), ``survival`` (Kaplan-Meier and log-rank by arm) and
``baseline_summary`` (summary by arm), each run by ``Product.run(..., engine=...)``.

For Spark, ``jobs`` counts the Spark jobs of each protocol in the best warm run (from the
context's status tracker) with its seconds; ``--profile`` adds, per protocol, every reducer
call (and the ``frame`` fetch) with the jobs it started and its wall seconds.
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


class JobCounter:
    """Spark jobs and seconds per protocol (and, with ``calls``, per reducer call)."""

    def __init__(self, engine: str, calls: bool) -> None:
        from jupyter_dataproduct.core.backends.choice import parse_engine

        self.session, self.calls = None, calls
        self.protocols: dict[str, dict] = {}
        self.log: list[tuple[str, int, float]] = []
        choice = parse_engine(engine)
        if choice.is_spark:
            from jupyter_dataproduct.core.backends.spark_session import spark_session

            self.session = spark_session(choice)
            if calls:
                self._wrap()

    def jobs(self) -> int:
        from jupyter_dataproduct.core.backends.spark_session import jobs_started

        return (jobs_started(self.session) or 0) if self.session is not None else 0

    def _wrap(self) -> None:
        from jupyter_dataproduct.core.backends import spark_backend

        counter = self

        def wrapped(owner, name):
            original = getattr(owner, name)
            if getattr(original, "_profiled", False):
                return

            def call(*args, **kwargs):
                jobs, started = counter.jobs(), time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    counter.log.append((name, counter.jobs() - jobs, time.perf_counter() - started))

            call._profiled = True
            setattr(owner, name, call)

        for name in ("rows", "moments", "value_counts", "rank_sums", "event_counts", "quantiles", "values", "release"):
            wrapped(spark_backend.SparkReducers, name)
        wrapped(spark_backend.SparkBackend, "frame")

    def run(self, product, name: str, parameters: dict, engine: str):
        self.log = []
        jobs, started = self.jobs(), time.perf_counter()
        result = product.run(name, parameters, record=False, engine=engine)
        self.protocols[name] = {"jobs": self.jobs() - jobs, "seconds": round(time.perf_counter() - started, 3)}
        if self.calls:
            self.protocols[name]["calls"] = [f"{call}: {n} jobs, {s:.2f} s" for call, n, s in self.log]
        return result


def workload(product, engine: str, counter: "JobCounter | None" = None) -> dict:
    """Each protocol once; the numbers that must agree between engines."""
    if counter is None:
        results = {name: product.run(name, parameters, record=False, engine=engine) for name, parameters in PROTOCOLS.items()}
    else:
        results = {name: counter.run(product, name, parameters, engine) for name, parameters in PROTOCOLS.items()}
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


def measure(product, engine: str, repeat: int, profile: bool = False) -> dict:
    from jupyter_dataproduct.core.backends.choice import backend_for, parse_engine

    started = time.perf_counter()
    backend_for(parse_engine(engine)).version()  # start the engine (Spark: JVM and session)
    session = time.perf_counter() - started
    counter = JobCounter(engine, profile)
    started = time.perf_counter()
    answer = workload(product, engine)
    cold = time.perf_counter() - started
    warm, cpu, jobs = [], [], []
    for _ in range(repeat):
        cpu_before, started = cpu_seconds(), time.perf_counter()
        workload(product, engine, counter)
        warm.append(time.perf_counter() - started)
        cpu.append(cpu_seconds() - cpu_before)
        jobs.append(dict(counter.protocols))
    report = {"session_s": round(session, 2), "cold_s": round(cold, 2), "warm_s": round(min(warm), 3),
              "cpu_s": round(min(cpu), 2), "answer": answer}
    if counter.session is not None:
        report["jobs"] = jobs[warm.index(min(warm))]
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--engine", default="spark-local[2]")
    parser.add_argument("--profile", action="store_true", help="list every reducer call's Spark jobs and seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        product = Product.open(write_product(Path(workdir) / "actg", args.rows))
        product.build()
        polars = measure(product, "polars", args.repeat)
        other = measure(product, args.engine, args.repeat, args.profile)
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
