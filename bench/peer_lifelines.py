"""lifelines side of bench_peers.py: runs in the peers' venv (lifelines pins pandas<3).

    python peer_lifelines.py PATIENTS.parquet REPEAT

Reads the snapshot's Parquet with pandas, then fits ``KaplanMeierFitter`` per arm (95%
intervals) and runs ``multivariate_logrank_test``; prints one JSON object with the best
times (read, fit) and the results, for bench_peers.py to check against ours.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test


def fit(frame: pd.DataFrame) -> dict:
    curves = {}
    for arm, part in frame.groupby("arms", observed=True):
        kmf = KaplanMeierFitter().fit(part["days"], part["cens"], alpha=0.05)
        ci = kmf.confidence_interval_survival_function_
        curves[str(arm)] = {"time": kmf.timeline.tolist(), "survival": kmf.survival_function_.iloc[:, 0].tolist(),
                            "lower": ci.iloc[:, 0].tolist(), "upper": ci.iloc[:, 1].tolist(),
                            "median": float(kmf.median_survival_time_)}
    test = multivariate_logrank_test(frame["days"], frame["arms"].astype(str), frame["cens"])
    return {"curves": curves, "chisq": float(test.test_statistic), "p_value": float(test.p_value)}


def main() -> None:
    path, repeat = sys.argv[1], int(sys.argv[2])
    read_times, fit_times, result = [], [], None
    for _ in range(repeat):
        started = time.perf_counter()
        frame = pd.read_parquet(path, columns=["arms", "days", "cens"])
        read_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        result = fit(frame)
        fit_times.append(time.perf_counter() - started)
    print(json.dumps({"read_s": min(read_times), "fit_s": min(fit_times),
                      "read_fit_s": min(r + f for r, f in zip(read_times, fit_times)), "result": result}))


if __name__ == "__main__":
    main()
