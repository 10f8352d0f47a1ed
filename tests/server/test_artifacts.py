"""Artifacts over HTTP while they change: a reader gets the old or the new one, never an error."""

from __future__ import annotations

import threading

import httpx

P = "/api/products/actg175"


def test_reading_an_artifact_while_it_is_overwritten_never_fails(base_url, headers):
    url = f"{base_url}{P}/artifacts/contended"
    runs = [httpx.post(f"{base_url}{P}/protocols/survival/run", json={"group": group}, headers=headers["analyst"],
                       timeout=60).json()["provenance"]["history_id"] for group in ("arms", "gender")]
    save = lambda entry: httpx.put(url, json={"kind": "result", "history_id": entry, "overwrite": True},  # noqa: E731
                                   headers=headers["analyst"], timeout=60)
    assert save(runs[0]).status_code == 201
    stop = threading.Event()
    seen: list[int] = []

    def read() -> None:
        with httpx.Client(timeout=60) as client:
            while not stop.is_set():
                response = client.get(url, headers=headers["reader"])
                seen.append(response.status_code)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    saves = []
    try:
        for i in range(12):
            saves.append(save(runs[i % 2]).status_code)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert set(saves) == {201}
    assert seen and set(seen) == {200}, {s: seen.count(s) for s in set(seen)}
