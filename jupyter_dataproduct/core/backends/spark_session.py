"""One Spark session per master for the whole process, kept on loopback.

Start-up dominates small runs (a JVM takes 9-35 s on a loaded 2-core machine), so the
session is created once and reused. Local sessions bind 127.0.0.1 (the host name may
resolve elsewhere) and have no UI. Spark Connect clients cannot set static settings, so
only the session's own options are sent to them.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from ..errors import EngineError, MissingDependencyError
from .choice import EngineChoice

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_LOCK = threading.Lock()
_SESSIONS: dict[str, "SparkSession"] = {}

LOCAL_SETTINGS = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "2",
    "spark.driver.memory": "2g",
}
# Snapshots hold zone-less timestamps; UTC keeps any zoned arithmetic from shifting them.
SESSION_SETTINGS = {"spark.sql.session.timeZone": "UTC"}


def spark_session(choice: EngineChoice) -> "SparkSession":
    """The shared session for ``choice`` (created on first use)."""
    if not choice.is_spark or choice.master is None:
        raise EngineError(f"{choice.name!r} is not a Spark engine.")
    with _LOCK:
        session = _SESSIONS.get(choice.master)
        if session is None:
            session = _SESSIONS[choice.master] = _start(choice.master)
        return session


def _start(master: str) -> "SparkSession":
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingDependencyError(
            "The Spark engine needs pyspark: pip install 'jupyter-dataproduct[spark]' "
            "(and Java 17 for spark-local).",
            details={"extra": "spark"},
        ) from None
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
    else:
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        builder = SparkSession.builder.master(master).appName("jupyter-dataproduct")
        for key, value in LOCAL_SETTINGS.items():
            builder = builder.config(key, value)
    for key, value in SESSION_SETTINGS.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    if not master.startswith("sc://"):
        session.sparkContext.setLogLevel("ERROR")
    return session


def spark_version(choice: EngineChoice) -> str:
    """The Spark version the session runs (for a result's provenance)."""
    return spark_session(choice).version


def jobs_started(session: "SparkSession") -> int | None:
    """How many Spark jobs the session's context has started so far (the next job's id), from
    its status tracker; None on Spark Connect (no context in the client). Benchmarks and
    tests take the difference around a run to count its jobs."""
    try:
        context = session.sparkContext
        tracker = context.statusTracker()
    except Exception:  # Spark Connect: no SparkContext in the client
        return None
    _deliver_events(context)
    known = [*tracker.getJobIdsForGroup(None), *tracker.getActiveJobsIds()]
    return max(known, default=-1) + 1


def _deliver_events(context: Any) -> None:
    """Wait until the listener bus has handed every event posted so far to its listeners.

    The status tracker reads a store those listeners fill asynchronously (Spark documents
    its "very weak consistency"): on a loaded machine, jobs that already ran could still be
    missing from it, so a count taken around a run would give some of them to the next one."""
    try:
        context._jsc.sc().listenerBus().waitUntilEmpty(60_000)
    except Exception:  # a JVM-internal call: without it the count can only lag
        pass
