"""Every run within the server's budget: too slow or too hungry is a clear 422, and the
worker is free again at once for the next run."""

from __future__ import annotations

import httpx

from jupyter_dataproduct.server.runs import RunBudget

P = "/api/products/actg175"

GREEDY = '''\
import time

from jupyter_dataproduct import plugin


@plugin(title="Sleeps")
def sleepy(seconds: float = 60.0) -> dict:
    time.sleep(seconds)
    return {"slept": seconds}


@plugin(title="Wants memory")
def hungry(megabytes: int = 4000) -> dict:
    block = bytearray(megabytes * 2**20)
    return {"bytes": len(block)}
'''


def test_a_run_past_its_time_or_memory_budget_is_stopped_and_the_worker_freed(serve_variant, headers):
    base, _ = serve_variant({"plugins/greedy.py": GREEDY},
                         run_budget=RunBudget(seconds=8, memory_mb=2048, workers=1, queue_seconds=5))
    with httpx.Client(base_url=base, headers=headers["analyst"], timeout=60) as http:
        warm = http.post(f"{P}/plugins/sleepy/run", json={"seconds": 0})  # starts the one worker
        assert warm.status_code == 200, warm.text[:300]
        slow = http.post(f"{P}/plugins/sleepy/run", json={"seconds": 60})
        assert slow.status_code == 422 and slow.json()["error"]["code"] == "run_budget_exceeded"
        assert "longer than 8 s" in slow.json()["error"]["message"]
        again = http.post(f"{P}/plugins/sleepy/run", json={"seconds": 0})
        assert again.status_code == 200, again.text[:300]  # the one worker is free again
        greedy = http.post(f"{P}/plugins/hungry/run", json={"megabytes": 4000})
        assert greedy.status_code == 422 and "2,048 MB" in greedy.json()["error"]["message"], greedy.text[:300]
        assert http.post(f"{P}/plugins/sleepy/run", json={"seconds": 0.1}).json()["values"] == {"slept": 0.1}


def test_errors_inside_a_worker_keep_their_code_and_status(http, headers):
    response = http.post(f"{P}/protocols/cd4_response/run", json={"threshold": 5000}, headers=headers["analyst"])
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_parameter"


def test_runs_work_from_a_process_whose_main_module_is_not_a_file(serve_variant, headers, monkeypatch):
    # Inside IPython (a notebook, the kernel tests) __main__ has no __spec__; workers must still start.
    import sys

    monkeypatch.delattr(sys.modules["__main__"], "__spec__", raising=False)
    base, _ = serve_variant()
    response = httpx.post(f"{base}{P}/protocols/survival/run", json={}, headers=headers["analyst"], timeout=120)
    assert response.status_code == 200, response.text[:300]
