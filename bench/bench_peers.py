"""Side by side with what a user would pick instead: DuckDB, lifelines, Datasette; and the
latencies a person feels in a notebook.

Each section prints ours, the peer's and the ratio (ours / peer's time; below 1 is faster),
from one run on one machine. The peers are the benchmarks' dev dependencies (the ``bench``
extra): DuckDB runs in this process; lifelines and Datasette run in their own venv under
``bench/out/peers`` (made on first use), because lifelines pins ``pandas<3`` and would
downgrade ours. Datasette runs as its own server process, as it serves anyway.

1. ``stats``: compare_arms (21 variables: Welch t + Mann-Whitney U on 11 numbers, chi-square
   on 10 categories) and a cohort extract, vs DuckDB SQL over the snapshot's Parquet
   (finished with scipy) and vs hand-written polars; p-values checked equal to ours.
2. ``survival``: Kaplan-Meier with 95% CIs by arm + log-rank vs lifelines
   (``KaplanMeierFitter``, ``multivariate_logrank_test``); curves, intervals and the
   log-rank statistic checked equal.
3. ``serving``: ``dataproduct serve`` vs Datasette (SQLite built from the same snapshots):
   small calls/s with 1 and N clients (our ``cd4_response`` protocol vs a canned query
   computing the same counts), and a whole-entity extract (Datasette JSON / streamed CSV vs
   our Arrow / CSV / JSON), each read into a polars frame.
4. ``latency``: in fresh kernels, ``%load_ext``, the first ``%dataproduct run`` and the
   first tab completion; in fresh processes, ``connect()`` to a server and the first run
   over HTTP.

    python bench/bench_peers.py --rows 1000000                # all sections
    python bench/bench_peers.py --rows 10000000 --only stats survival
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import polars as pl
from scipy import stats

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_algorithms import CATEGORICAL, NUMERIC, hand_compare  # noqa: E402
from bench_remote import free_port, start_server, wait_for_cache  # noqa: E402
from generate import EXAMPLE, write_product  # noqa: E402

from jupyter_dataproduct.core.product import Product  # noqa: E402
from jupyter_dataproduct.server.tokens import TokenStore  # noqa: E402

PEERS_VENV = HERE / "out" / "peers"
COHORT_A, COHORT_B = "ZDV", "ZDV+ddI"
EXTRACT_WHERE = "age >= 40 and arms in ('ZDV', 'ddI')"
EXTRACT_COLUMNS = ["pidnum", "age", "arms", "cd40", "cd420", "days", "cens"]


# -- timing ------------------------------------------------------------------------------------


def best_of(repeat: int, function) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - started)
    return min(times), value


def best_of_rotating(repeat: int, *functions) -> list[float]:
    """Best times of several functions run in turn, so each sees the same (shared, noisy) machine."""
    times: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for function, bucket in zip(functions, times):
            started = time.perf_counter()
            function()
            bucket.append(time.perf_counter() - started)
    return [min(bucket) for bucket in times]


def row(what: str, ours: float, peer: float, peer_name: str, unit: str = "s") -> dict:
    """One comparison: for times the ratio is ours / peer's, for rates peer's / ours (below 1 = we win)."""
    ratio = ours / peer if unit == "s" else peer / ours
    return {"what": what, "ours": round(ours, 4), "peer": peer_name, "peer_value": round(peer, 4),
            "unit": unit, "ratio": round(ratio, 2)}


# -- the peers' venv ---------------------------------------------------------------------------


def peer_python() -> Path:
    """The venv holding lifelines and Datasette, made (once) under bench/out/peers."""
    python = PEERS_VENV / "bin" / "python"
    probe = [str(python), "-c", "import lifelines, datasette, pyarrow"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "-r", str(HERE / "peer-requirements.txt")], check=True)
    return python


# -- 1. statistics vs DuckDB -------------------------------------------------------------------


def duckdb_compare(con, parquet: str, numeric: list[str], categorical: list[str]) -> dict[str, float]:
    """compare_arms' p-values from DuckDB SQL (moments, rank sums by value, counts) + scipy."""
    source = f"(SELECT * FROM read_parquet('{parquet}') WHERE arms IN ('{COHORT_A}', '{COHORT_B}'))"
    in_a = f"arms = '{COHORT_A}'"
    moments = ", ".join(
        f"count({c}) FILTER ({in_a}), count({c}) FILTER (NOT {in_a}), avg({c}) FILTER ({in_a}), "
        f"avg({c}) FILTER (NOT {in_a}), stddev_samp({c}) FILTER ({in_a}), stddev_samp({c}) FILTER (NOT {in_a})"
        for c in numeric)
    values = con.execute(f"SELECT {moments} FROM {source}").fetchone()
    p: dict[str, float] = {}
    for i, c in enumerate(numeric):
        na, nb, ma, mb, sa, sb = values[6 * i:6 * i + 6]
        p[c] = stats.ttest_ind_from_stats(ma, sa, na, mb, sb, nb, equal_var=False).pvalue
    # Mann-Whitney: rank sums from counts per distinct value (mid-ranks), one query per variable.
    for c in numeric:
        rank_sum, ties, na, n = con.execute(f"""
            WITH v AS (SELECT {c} AS x, count(*) FILTER ({in_a}) AS na, count(*) AS n FROM {source}
                       WHERE {c} IS NOT NULL GROUP BY {c}),
                 r AS (SELECT na, n, sum(n) OVER (ORDER BY x) - n + (n + 1) / 2.0 AS mid FROM v)
            SELECT sum(na * mid), sum(n::DOUBLE * n * n - n), sum(na), sum(n) FROM r""").fetchone()
        nb = n - na
        u = rank_sum - na * (na + 1) / 2
        sigma = math.sqrt(na * nb / 12 * ((n + 1) - ties / (n * (n - 1))))
        p[f"{c}:mw"] = 2 * stats.norm.sf((max(u, na * nb - u) - na * nb / 2 - 0.5) / sigma)
    for c in categorical:
        counts = con.execute(f"SELECT {c}, count(*) FILTER ({in_a}), count(*) FILTER (NOT {in_a}) FROM {source} "
                         f"WHERE {c} IS NOT NULL GROUP BY {c}").fetchall()
        p[c] = stats.chi2_contingency(np.array([r[1:] for r in counts])).pvalue
    stats.false_discovery_control(list(p.values()))
    return p


def ensure_duckdb():
    """DuckDB from PyPI in this environment (it runs in-process, handing frames to polars)."""
    try:
        import duckdb
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-r", str(HERE / "requirements.txt")], check=True)
        import duckdb
    return duckdb


def stats_section(product: Product, repeat: int) -> dict:
    duckdb = ensure_duckdb()

    parquet = str(product.snapshot().entity_file("patients"))
    con = duckdb.connect()
    parameters = {"cohort_a": f"arms == '{COHORT_A}'", "cohort_b": f"arms == '{COHORT_B}'",
                  "variables": NUMERIC + CATEGORICAL}
    ours_result = product.run("compare_arms", parameters, record=False).tables["comparison"]
    peer = duckdb_compare(con, parquet, NUMERIC, CATEGORICAL)
    checked = _check_compare(ours_result, peer)
    patients = product.snapshot().scan("patients")
    a, b = patients.filter(pl.col("arms") == COHORT_A), patients.filter(pl.col("arms") == COHORT_B)
    ours, duck, hand = best_of_rotating(repeat, lambda: product.run("compare_arms", parameters, record=False),
                                        lambda: duckdb_compare(con, parquet, NUMERIC, CATEGORICAL),
                                        lambda: hand_compare(a, b, NUMERIC, CATEGORICAL))
    # The cohort extract, as a polars frame each time.
    sql = (f"SELECT {', '.join(EXTRACT_COLUMNS)} FROM read_parquet('{parquet}') "
           f"WHERE age >= 40 AND arms IN ('ZDV', 'ddI')")
    ours_frame = product.frame("patients", EXTRACT_WHERE, EXTRACT_COLUMNS).collect()
    duck_frame = con.sql(sql).pl()
    assert ours_frame.height == duck_frame.height, (ours_frame.height, duck_frame.height)
    e_ours, e_duck, e_hand = best_of_rotating(
        5 * repeat, lambda: product.frame("patients", EXTRACT_WHERE, EXTRACT_COLUMNS).collect(),
        lambda: con.sql(sql).pl(),
        lambda: patients.filter((pl.col("age") >= 40) & pl.col("arms").is_in(["ZDV", "ddI"]))
        .select(EXTRACT_COLUMNS).collect())
    rows = [row("compare_arms, 21 variables", ours, duck, "DuckDB SQL + scipy"),
            row("compare_arms, 21 variables", ours, hand, "hand-written polars + scipy"),
            row(f"cohort extract ({ours_frame.height:,} rows x {len(EXTRACT_COLUMNS)})", e_ours, e_duck,
                "DuckDB .pl()"),
            row(f"cohort extract ({ours_frame.height:,} rows x {len(EXTRACT_COLUMNS)})", e_ours, e_hand,
                "polars scan/filter/select")]
    return {"rows": rows, "checked": checked}


def _check_compare(ours: pl.DataFrame, peer: dict[str, float]) -> str:
    """Our unadjusted p-values equal DuckDB + scipy's (relative 1e-6, or both below 1e-300)."""
    by_variable = {r["variable"]: r for r in ours.iter_rows(named=True)}
    for key, value in peer.items():
        variable, _, kind = key.partition(":")
        mine = by_variable[variable]["mw_p_value" if kind else "p_value"]
        if not (math.isclose(mine, value, rel_tol=1e-6, abs_tol=1e-300)):
            raise AssertionError(f"{key}: ours {mine} vs DuckDB+scipy {value}")
    return f"{len(peer)} p-values equal (rel 1e-6)"


# -- 2. survival vs lifelines ------------------------------------------------------------------


def survival_section(product: Product, repeat: int) -> dict:
    parquet = str(product.snapshot().entity_file("patients"))
    python = peer_python()
    done = subprocess.run([str(python), str(HERE / "peer_lifelines.py"), parquet, str(repeat)],
                          capture_output=True, text=True, check=True)
    peer = json.loads(done.stdout)
    ours_s, result = best_of(repeat, lambda: product.run("survival", {}, record=False))
    checked = _check_survival(result, peer["result"])
    return {"rows": [row("KM + 95% CIs + medians + log-rank by arm", ours_s, peer["read_fit_s"],
                         "lifelines (read + fit)"),
                     row("KM + 95% CIs + medians + log-rank by arm", ours_s, peer["fit_s"],
                         "lifelines (fit alone, frame in memory)")],
            "checked": checked}


def _check_survival(result, peer: dict) -> str:
    """Survival and intervals equal lifelines' at every time; same log-rank statistic.

    lifelines' intervals are log(-log) ("exponential Greenwood"); ours are R's default
    log intervals. Both come from the same Greenwood sum, so lifelines' are rebuilt from
    our survival and standard error and compared."""
    z = stats.norm.ppf(0.975)
    curve = result.tables["curve"]
    compared = 0
    for group, theirs in peer["curves"].items():
        mine = curve.filter(pl.col("group") == group)
        times = dict(zip(theirs["time"], zip(theirs["survival"], theirs["lower"], theirs["upper"])))
        for t, s, se in mine.select("time", "survival", "std_err").iter_rows():
            their_s, lower, upper = times[t]
            assert math.isclose(s, their_s, rel_tol=1e-9, abs_tol=1e-12), (group, t, s, their_s)
            if 0 < s < 1 and se > 0:
                v = math.sqrt((se / s) ** 2) / abs(math.log(s))
                mine_lower = math.exp(-math.exp(math.log(-math.log(s)) + z * v))
                mine_upper = math.exp(-math.exp(math.log(-math.log(s)) - z * v))
                assert math.isclose(mine_lower, lower, rel_tol=1e-6), (group, t, mine_lower, lower)
                assert math.isclose(mine_upper, upper, rel_tol=1e-6), (group, t, mine_upper, upper)
            compared += 1
    chisq = result.values["chisq"]
    assert math.isclose(chisq, peer["chisq"], rel_tol=1e-6), (chisq, peer["chisq"])
    return f"{compared} curve points (survival 1e-9, CIs 1e-6) and log-rank chisq {chisq:.4f} equal"


# -- 3. serving vs Datasette -------------------------------------------------------------------


CANNED = ("SELECT arms, count(*) AS patients, sum(cd420 - cd40 >= CAST(:threshold AS INTEGER)) AS responders, "
          "1.0 * sum(cd420 - cd40 >= CAST(:threshold AS INTEGER)) / count(*) AS response_rate "
          "FROM actg175 WHERE cd420 IS NOT NULL GROUP BY arms ORDER BY arms")


def sqlite_from_snapshots(database: Path, tables: dict[str, Product]) -> None:
    """One SQLite table per product's patients (categories as their labels, as Datasette would show)."""
    with sqlite3.connect(database) as db:
        for name, product in tables.items():
            frame = product.snapshot().scan("patients").collect()
            frame = frame.with_columns(pl.col(pl.Enum, pl.Categorical).cast(pl.String),
                                       pl.col(pl.Boolean).cast(pl.Int64))
            columns = ", ".join(f'"{c}"' for c in frame.columns)
            db.execute(f"CREATE TABLE {name} ({columns})")
            db.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' * frame.width)})", frame.iter_rows())


def start_datasette(python: Path, database: Path, port: int) -> subprocess.Popen:
    metadata = database.with_suffix(".json")
    metadata.write_text(json.dumps({"databases": {database.stem: {"queries": {"cd4_response": CANNED}}}}))
    command = [str(python), "-m", "datasette", "serve", "-i", str(database), "-m", str(metadata), "-h", "127.0.0.1",
               "-p", str(port), "--setting", "max_returned_rows", "10000000",
               "--setting", "sql_time_limit_ms", "600000", "--setting", "max_csv_mb", "0"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("Datasette did not start")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and of its children that are still running
    (the run workers), from /proc: a per-call cost that a loaded machine does not inflate
    as much as wall time."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    for p in pids + [int(c) for c in children]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


SERVER_CPU: dict[str, float] = {}  # the last call_rate's server CPU ms per call, by label
CLIENT_CPU: dict[str, float] = {}  # the benchmark's own CPU ms per call (its client threads), by label


def call_rate(make_call, threads: int, seconds: float, server: int | None = None, label: str = "") -> float:
    stop = time.perf_counter() + seconds
    counts = [0] * threads
    cpu_before = cpu_seconds(server) if server else 0.0
    client_before = time.process_time()  # this process: the client threads alone while they run

    def loop(i: int) -> None:
        call = make_call()
        while time.perf_counter() < stop:
            call()
            counts[i] += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(loop, range(threads)))
    if server and label:
        SERVER_CPU[label] = 1000 * (cpu_seconds(server) - cpu_before) / max(1, sum(counts))
        CLIENT_CPU[label] = 1000 * (time.process_time() - client_before) / max(1, sum(counts))
    return sum(counts) / (time.perf_counter() - started)


def serving_section(synthetic: Product, actg: Product, folder: Path, repeat: int, clients: int,
                    seconds: float) -> dict:
    from jupyter_dataproduct.client.remote import RemoteTransport

    python = peer_python()
    database = folder / "bench.db"
    sqlite_from_snapshots(database, {"actg175": actg, "synthetic": synthetic})
    tokens = {p.path: TokenStore.for_product(p.path).create("analyst")[0] for p in (synthetic, actg)}
    port, ds_port = free_port(), free_port()
    server = start_server([synthetic.path, actg.path], port)
    datasette = start_datasette(python, database, ds_port)
    ours_base, ds_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ds_port}/{database.stem}"
    try:
        # Same answer both ways before timing.
        mine = RemoteTransport(f"{ours_base}/actg175", tokens[actg.path]).run("cd4_response", {"threshold": 50},
                                                                             "latest")
        theirs = httpx.get(f"{ds_base}/cd4_response.json", params={"threshold": 50, "_shape": "array"}).json()
        responders = dict(mine.tables["response"].select(pl.col("arms").cast(pl.String), "responders").iter_rows())
        assert responders == {r["arms"]: r["responders"] for r in theirs}, (responders, theirs)

        # The same client both ways: an httpx.Client per thread, a JSON body parsed per answer.
        # Our answer's tables stay base64 Arrow here, as Datasette's rows stay JSON; what our
        # own client adds (decoding the tables into polars frames) is measured apart below.
        def ours_call(vary: bool = False):
            def make():
                client = httpx.Client(headers={"Authorization": f"Bearer {tokens[actg.path]}"}, timeout=60)
                url, n = f"{ours_base}/api/products/actg175/protocols/cd4_response/run", iter(range(10**9))
                # vary: a new threshold every call (0-1000, as the protocol allows), so the server's
                # memo of results rarely holds the answer and nearly every call runs in a worker
                return lambda: client.post(url, json={"threshold": next(n) * 7 % 1001 if vary else 50}).json()
            return make

        def remote_call():
            transport = RemoteTransport(f"{ours_base}/actg175", tokens[actg.path])
            return lambda: transport.run("cd4_response", {"threshold": 50}, "latest")

        def datasette_call(vary: bool = False):
            def make():
                client, n = httpx.Client(timeout=60), iter(range(10**9))
                return lambda: client.get(f"{ds_base}/cd4_response.json",
                                          params={"threshold": next(n) * 7 % 1001 if vary else 50,
                                                  "_shape": "array"}).json()
            return make

        call_rate(ours_call(True), clients, 1.0)  # starts every run worker (not part of any rate)
        rates = {}
        for threads in (1, clients):
            rates[threads] = (call_rate(ours_call(), threads, seconds, server.pid, f"ours {threads}"),
                              call_rate(datasette_call(), threads, seconds, datasette.pid, f"datasette {threads}"))
            rates[f"{threads}v"] = (call_rate(ours_call(True), threads, seconds, server.pid, f"ours {threads}v"),
                                    call_rate(datasette_call(True), threads, seconds, datasette.pid,
                                              f"datasette {threads}v"))
            rates[f"{threads}r"] = (call_rate(remote_call, threads, seconds, server.pid, f"ours {threads}r"),
                                    rates[threads][1])
        rows = []
        for key, (o, d) in rates.items():
            t = int(str(key).rstrip("vr"))
            what = {"v": "a new threshold every call (runs)",
                    "r": "the same call again, ours through RemoteTransport.run (tables decoded to polars)"}.get(
                str(key)[-1], "the same call again (our server answers from its memo of results)")
            rows.append(row(f"small calls/s, {t} client{'s' if t > 1 else ''}, cd4_response vs canned query, {what}",
                            o, d, "Datasette canned query", unit="/s"))
        cpu = {k: round(v, 2) for k, v in SERVER_CPU.items()}  # server CPU ms per call (workers included)
        client_cpu = {k: round(v, 2) for k, v in CLIENT_CPU.items()}  # the benchmark's client threads
        rows += _extracts(synthetic, f"{ours_base}/actg_synthetic", tokens[synthetic.path], ds_base, repeat)
        return {"rows": rows, "server_cpu_ms_per_call": cpu, "client_cpu_ms_per_call": client_cpu,
                "checked": "cd4_response responders per arm equal to the canned query's"}
    finally:
        for process in (server, datasette):
            process.terminate()
            process.wait(10)


def _extracts(product: Product, url: str, token: str, ds_base: str, repeat: int) -> list[dict]:
    from jupyter_dataproduct.client.remote import DEFAULT_COMPRESSION, RemoteTransport

    remote = RemoteTransport(url, token, timeout=None, parquet=False)  # Arrow with LZ4 buffers
    parquet = RemoteTransport(url, token, timeout=None)  # the client's default: the snapshot's Parquet file
    frame_url = f"{url.rsplit('/', 1)[0]}/api/products/{remote.name}/entities/patients/frame"
    headers = {"Authorization": f"Bearer {token}"}
    n = product.snapshot().scan("patients").select(pl.len()).collect().item()
    plain = RemoteTransport(url, token, timeout=None, compression="none", parquet=False)  # what a client that cannot decompress gets
    remote.frame("patients", None, None, "latest", None)  # starts the server's Arrow cache
    wait_for_cache(product.path)  # the codec the client asks for by default
    plain.frame("patients", None, None, "latest", None)
    wait_for_cache(product.path, "none")

    def ours(fmt: str):
        def read() -> pl.DataFrame:
            if fmt == "arrow":
                return remote.frame("patients", None, None, "latest", None)
            if fmt == "arrow plain":
                return plain.frame("patients", None, None, "latest", None)
            if fmt == "parquet":
                return parquet.frame("patients", None, None, "latest", None)
            body = httpx.get(frame_url, params={"format": fmt}, headers=headers, timeout=None).content
            return pl.read_csv(io.BytesIO(body)) if fmt == "csv" else pl.read_json(io.BytesIO(body))
        return read

    def datasette(fmt: str):
        def read() -> pl.DataFrame:
            if fmt == "csv":
                body = httpx.get(f"{ds_base}/synthetic.csv", params={"_stream": "on", "_size": "max"},
                                 timeout=None).content
                return pl.read_csv(io.BytesIO(body))
            body = httpx.get(f"{ds_base}/synthetic.json", params={"_shape": "array", "_size": "max"},
                             timeout=None).content
            return pl.read_json(io.BytesIO(body))
        return read

    local = product.frame("patients").collect()
    times = {"local": best_of(repeat, lambda: product.frame("patients").collect())[0]}
    # The remote reads alternate with the local one, best of ``repeat`` each: one machine state for all.
    alternated: dict[str, list[float]] = {"local": [], "ours parquet": [], "ours arrow": [], "ours arrow plain": []}
    for _ in range(repeat):
        for name in alternated:
            elapsed, frame = best_of(1, (lambda: product.frame("patients").collect()) if name == "local"
                                     else ours(name.removeprefix("ours ")))
            assert frame.equals(local) and frame.schema == local.schema, name
            alternated[name].append(elapsed)
    times["local"] = min(times["local"], *alternated["local"])
    for name, function in [("ours csv", ours("csv")), ("ours json", ours("json")),
                           ("datasette csv", datasette("csv")), ("datasette json", datasette("json"))]:
        elapsed, frame = best_of(repeat, function)
        assert frame.height == n, (name, frame.height, n)
        times[name] = elapsed
    times.update({name: min(values) for name, values in alternated.items() if name != "local"})
    label = f"extract {n:,} rows x 27 columns to a polars frame"
    return [row(f"{label}: our remote Parquet (the snapshot's file, the client's default for whole entities) vs our "
                "local frame().collect()", times["ours parquet"], times["local"], "local read, same process"),
            row(f"{label}: our remote Arrow ({DEFAULT_COMPRESSION} buffers) vs our local frame().collect()",
                times["ours arrow"], times["local"], "local read, same process"),
            row(f"{label}: our remote Arrow (plain IPC) vs our local frame().collect()", times["ours arrow plain"],
                times["local"], "local read, same process"),
            row(f"{label}: our Arrow vs Datasette CSV (streamed)", times["ours arrow"], times["datasette csv"],
                "Datasette .csv?_stream=on"),
            row(f"{label}: our CSV vs Datasette CSV", times["ours csv"], times["datasette csv"],
                "Datasette .csv?_stream=on"),
            row(f"{label}: our JSON vs Datasette JSON", times["ours json"], times["datasette json"],
                "Datasette .json?_shape=array&_size=max")]


# -- 4. latencies a person feels ---------------------------------------------------------------


def _kernel_timer(kc):
    def timed(code: str) -> float:
        started = time.perf_counter()
        msg_id = kc.execute(code)
        while True:
            reply = kc.get_shell_msg(timeout=120)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        elapsed = time.perf_counter() - started
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{code!r} failed in the kernel: {reply['content'].get('evalue')}")
        return elapsed
    return timed


def _fresh_kernel():
    from jupyter_client.manager import start_new_kernel

    return start_new_kernel(kernel_name="python3", startup_timeout=120)


THINK_SECONDS = 3.0


def latency_section(actg: Product, repeat: int) -> dict:
    measured: dict[str, list[float]] = {k: [] for k in (
        "pass", "load_ext", "connect", "first_run", "warm_run", "first_run_after_pause", "first_completion",
        "second_completion")}
    for _ in range(repeat):
        km, kc = _fresh_kernel()
        try:
            timed = _kernel_timer(kc)
            measured["pass"].append(timed("pass"))
            measured["load_ext"].append(timed("%load_ext jupyter_dataproduct"))
            measured["connect"].append(timed(f"%dataproduct connect {actg.path}"))
            measured["first_run"].append(timed("r = %dataproduct run compare_arms"))
            measured["warm_run"].append(timed("r = %dataproduct run compare_arms"))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        km, kc = _fresh_kernel()
        try:  # a person takes a few seconds to type the run: the warm-up imports meanwhile
            timed = _kernel_timer(kc)
            timed("%load_ext jupyter_dataproduct")
            timed(f"%dataproduct connect {actg.path}")
            time.sleep(THINK_SECONDS)
            measured["first_run_after_pause"].append(timed("r = %dataproduct run compare_arms"))
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        km, kc = _fresh_kernel()
        try:
            timed = _kernel_timer(kc)
            timed("%load_ext jupyter_dataproduct")
            timed(f"%dataproduct connect {actg.path}")
            for key in ("first_completion", "second_completion"):
                code = "%dataproduct run comp"
                started = time.perf_counter()
                msg_id = kc.complete(code, len(code))
                while True:
                    reply = kc.get_shell_msg(timeout=60)
                    if reply["parent_header"].get("msg_id") == msg_id:
                        break
                measured[key].append(time.perf_counter() - started)
                assert any("compare_arms" in m for m in reply["content"]["matches"]), reply["content"]
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    best = {k: min(v) for k, v in measured.items()}
    http = _http_latencies(actg, repeat)
    rows = [row("%load_ext jupyter_dataproduct (fresh kernel)", best["load_ext"], best["pass"],
                "an empty cell, same kernel"),
            row("first %dataproduct run compare_arms (fresh kernel, after connect)", best["first_run"],
                best["warm_run"], "the second run, same kernel"),
            row(f"first run, {THINK_SECONDS:g} s after the connect cell (fresh kernel)", best["first_run_after_pause"],
                best["warm_run"], "the second run, same kernel"),
            row("%dataproduct connect (local product)", best["connect"], best["pass"], "an empty cell"),
            row("first tab completion (%dataproduct run comp<TAB>)", best["first_completion"],
                best["second_completion"], "the second completion"),
            row("connect() to a server (fresh process, imports included)", http["remote"]["connect_s"],
                http["local"]["connect_s"], "connect() to the local folder"),
            row("first run over HTTP (compare_arms)", http["remote"]["first_run_s"], http["local"]["first_run_s"],
                "first local run, same kind of process"),
            row("later runs over HTTP (compare_arms)", http["remote"]["warm_run_s"], http["local"]["warm_run_s"],
                "later local runs")]
    return {"rows": rows, "fresh_kernel_to_first_result_s": round(best["load_ext"] + best["connect"]
                                                                 + best["first_run"], 3)}


HTTP_SCRIPT = """
import json, sys, time
started = time.perf_counter()
from jupyter_dataproduct import connect
imported = time.perf_counter()
product = connect(sys.argv[1], token=sys.argv[2] or None)
connected = time.perf_counter()
product.run("compare_arms")
first = time.perf_counter()
warm = min(__import__("timeit").repeat(lambda: product.run("compare_arms"), number=1, repeat=5))
print(json.dumps({"import_s": imported - started, "connect_s": connected - started,
                  "first_run_s": first - connected, "warm_run_s": warm}))
"""


def _http_latencies(actg: Product, repeat: int) -> dict:
    token = TokenStore.for_product(actg.path).create("analyst")[0]
    port = free_port()
    server = start_server([actg.path], port)
    try:
        found: dict[str, dict[str, float]] = {}
        for name, target, secret in (("local", str(actg.path), ""), ("remote", f"http://127.0.0.1:{port}/actg175",
                                                                     token)):
            runs = [json.loads(subprocess.run([sys.executable, "-c", HTTP_SCRIPT, target, secret], check=True,
                                              capture_output=True, text=True).stdout) for _ in range(repeat)]
            found[name] = {k: min(r[k] for r in runs) for k in runs[0]}
        return found
    finally:
        server.terminate()
        server.wait(10)


# -- report ------------------------------------------------------------------------------------


def run(sections: list[str], rows: int, repeat: int, clients: int, seconds: float, serve_rows: int,
        folder: Path) -> dict:
    report: dict = {"date": datetime.date.today().isoformat(), "cpus": os.cpu_count(), "rows": rows,
                    "load_average": [round(x, 1) for x in os.getloadavg()]}
    print(f"date {report['date']}, {report['cpus']} CPUs, load average {report['load_average']}, {rows:,} rows",
          flush=True)
    actg_folder = folder / "actg175"
    shutil.copytree(EXAMPLE, actg_folder, ignore=shutil.ignore_patterns(".dataproduct"))
    actg = Product.open(actg_folder)
    actg.build()
    big = None
    if {"stats", "survival"} & set(sections):
        big = Product.open(write_product(folder / "big", rows))
        big.build()
        if "stats" in sections:
            report["stats"] = stats_section(big, repeat)
            print_section("stats", report["stats"])
        if "survival" in sections:
            report["survival"] = survival_section(big, repeat)
            print_section("survival", report["survival"])
    if "serving" in sections:
        served = big if big is not None and serve_rows == rows else None
        if served is None:
            served = Product.open(write_product(folder / "served", serve_rows))
            served.build()
        report["serving"] = serving_section(served, actg, folder, repeat, clients, seconds)
        print_section("serving", report["serving"])
    if "latency" in sections:
        report["latency"] = latency_section(actg, repeat)
        print_section("latency", report["latency"])
    return report


def print_section(name: str, section: dict) -> None:
    print(f"[{name}]")
    for r in section["rows"]:
        print(f"  {r['what']}: ours {r['ours']} {r['unit']}, {r['peer']} {r['peer_value']} {r['unit']}, "
              f"ratio {r['ratio']}")
    for key, value in section.items():
        if key != "rows":
            print(f"  {key}: {value}")
    sys.stdout.flush()


SECTIONS = ["stats", "survival", "serving", "latency"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000, help="Rows for the statistics and survival.")
    parser.add_argument("--serve-rows", type=int, default=1_000_000, help="Rows of the served extract.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=3.0, help="Duration of each calls/s measurement.")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, default=SECTIONS)
    parser.add_argument("--json", type=Path, help="Also write the report as JSON here.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as folder:
        report = run(args.only, args.rows, args.repeat, args.clients, args.seconds, args.serve_rows, Path(folder))
    report["load_average_end"] = [round(x, 1) for x in os.getloadavg()]
    print(f"load average at the end {report['load_average_end']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
