"""The analysis history: every run is recorded newest first, with protocol, version,
snapshot and parameters; an entry can be re-run and saved as an artifact."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core import history as history_module
from jupyter_dataproduct.core.errors import DiskFullError, ParameterError
from jupyter_dataproduct.core.history import History, HistoryEntryNotFoundError
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.result import Result

PEOPLE = """\
name: people
version: {version}
parameters:
  who: {{type: cohort, entity: people, default: ""}}
  limit: {{type: int, required: false}}
steps:
  - {{id: rows, query: people, with: {{where: $who, limit: $limit, order_by: [id]}}}}
"""


@pytest.fixture
def product(tiny_dir, monkeypatch) -> Product:
    monkeypatch.setenv("DATAPRODUCT_USER", "ada")
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "protocols" / "people.yaml").write_text(PEOPLE.format(version="1.0.0"))
    (tiny_dir / "protocols" / "people_2.yaml").write_text(PEOPLE.format(version="2.0.0"))
    product = Product.open(tiny_dir)
    product.build()
    return product


def run_several(product: Product) -> list[Result]:
    results = []
    for ref, parameters in [("people@1.0.0", {"who": "age > 40"}), ("people", {"limit": 2}),
                            ("people", {"who": {"column": "smoker", "op": "==", "value": True}})]:
        results.append(product.run(ref, parameters))
        time.sleep(0.002)  # distinct timestamps
    return results


def test_every_run_is_recorded_newest_first(product):
    results = run_several(product)
    entries = product.history.list()
    assert [e.id for e in entries] == [r.provenance["history_id"] for r in reversed(results)]
    assert [e.protocol for e in entries] == ["people@2.0.0", "people@2.0.0", "people@1.0.0"]
    assert [e.when for e in entries] == sorted((e.when for e in entries), reverse=True)
    oldest = entries[-1]
    assert oldest.who == "ada" and oldest.stored
    assert oldest.provenance == {k: v for k, v in results[0].provenance.items() if k != "history_id"}
    assert oldest.summary == {"rows": {"rows": 3, "columns": ["id", "name", "age", "group", "smoker", "enrolled", "age_months"]}}
    data = entries[1].to_json()
    assert data["protocol"] == "people@2.0.0" and data["snapshot"] == product.snapshot().id
    assert data["parameters"] == {"who": {"entity": "people", "tree": {"and": []}, "text": ""}, "limit": 2}
    assert data["who"] == "ada" and data["stored"] is True
    assert entries[0].provenance["parameters"]["who"]["tree"] == {"column": "smoker", "op": "==", "value": True}
    assert [e.id for e in product.history.list(limit=2)] == [e.id for e in entries[:2]]


def test_runs_not_recorded_and_failed_runs_leave_no_entry(product):
    product.run("people", record=False)
    for bad in ({"limit": "many"}, {"who": "nobody == 1"}):
        with pytest.raises(Exception):
            product.run("people", bad)
    assert product.history.list() == []
    assert not product.history.root.exists() or list(product.history.root.iterdir()) == []


def test_entries_are_found_by_id_or_unique_prefix(product):
    results = run_several(product)
    wanted = results[1].provenance["history_id"]
    assert product.history.get(wanted).id == wanted
    assert product.history.get(wanted[:-3]).id == wanted  # the random suffix makes it unique
    with pytest.raises(HistoryEntryNotFoundError, match="matches no entry"):
        product.history.get("nope")
    with pytest.raises(HistoryEntryNotFoundError, match="matches several entries"):
        product.history.get(wanted[:4])  # the year: every entry
    with pytest.raises(HistoryEntryNotFoundError):
        product.history.get("")


def test_an_entry_reruns_to_the_same_result(product):
    results = run_several(product)
    for result in results:
        entry = product.history.get(result.provenance["history_id"])
        stored = product.history_result(entry)
        assert stored.equals(result)
        again = product.rerun(entry.provenance)
        assert again.equals(result)
        assert again.provenance["protocol_version"] == result.provenance["protocol_version"]
        for name in result.tables:
            assert_frame_equal(again.tables[name], result.tables[name])
    assert len(product.history.list()) == 6  # the re-runs are recorded too


def test_an_entry_is_saveable_as_an_artifact(product):
    result = product.run("people@1.0.0", {"who": "age > 40"})
    info = product.save_history_entry(result.provenance["history_id"], "over_40")
    assert info.kind == "result" and info.provenance["protocol_version"] == "1.0.0"
    saved = product.artifacts.load("over_40")
    assert isinstance(saved, Result) and saved.equals(result)
    assert saved.tables["rows"]["id"].to_list() == [2, 4, 5]
    with pytest.raises(Exception) as caught:
        product.save_history_entry(result.provenance["history_id"], "over_40")
    assert caught.value.code == "artifact_error"
    product.save_history_entry(result.provenance["history_id"][:-2], "over_40", overwrite=True)


def test_large_results_are_not_stored_but_rerun(product, monkeypatch):
    small = product.run("people", {"limit": 1})
    monkeypatch.setattr(history_module, "STORE_BYTES", 1_000)  # a parquet file alone is ~2 kB
    large = product.run("people", {"who": "age > 0"})
    small_entry, large_entry = (product.history.get(r.provenance["history_id"]) for r in (small, large))
    assert small_entry.stored and not large_entry.stored
    assert product.history.stored_result(large_entry) is None
    assert len(list((product.history.root / "results").iterdir())) == 1  # only the small one
    assert product.history_result(large_entry).equals(large)  # re-run from the provenance
    assert product.history_result(large_entry.id).equals(large)
    assert len(product.history.list()) == 2  # fetching a result does not record a run
    product.save_history_entry(large_entry.id, "large")
    assert product.artifacts.load("large").equals(large)


def test_identical_results_are_stored_once_and_entries_are_small(product):
    runs = [product.run("people", {"who": "age > 40"}) for _ in range(5)]
    assert len(product.history.list()) == 5
    assert len(list((product.history.root / "results").iterdir())) == 1
    entry_files = list((product.history.root / "entries").iterdir())
    assert len(entry_files) == 5 and all(f.stat().st_size < 4_000 for f in entry_files)
    for run in runs:
        assert product.history_result(run.provenance["history_id"]).equals(runs[0])


def test_the_listing_is_paged(product):
    ids = [product.run("people", {"limit": n}).provenance["history_id"] for n in range(1, 8)]
    newest_first = ids[::-1]
    assert [e.id for e in product.history.list()] == newest_first
    pages = [product.history.list(limit=3, offset=offset) for offset in (0, 3, 6, 9)]
    assert [[e.id for e in page] for page in pages] == [newest_first[0:3], newest_first[3:6], newest_first[6:], []]
    assert product.history.count() == 7


def test_pruning_keeps_the_newest_and_drops_unused_results(product):
    ids = [product.run("people", {"limit": n}).provenance["history_id"] for n in range(1, 6)]
    assert product.history.prune(keep=2) == 3
    assert [e.id for e in product.history.list()] == ids[:-3:-1]
    assert len(list((product.history.root / "results").iterdir())) == 2  # results of pruned entries are gone
    assert product.history.prune(older_than=timedelta(days=1)) == 0
    assert product.history.prune(older_than=timedelta(0)) == 2
    assert product.history.list() == [] and list((product.history.root / "results").iterdir()) == []
    with pytest.raises(ParameterError, match="--keep or --older-than"):
        product.history.prune()


def test_plugin_runs_are_recorded_and_rerunnable(product):
    (product.path / "plugins").mkdir()
    (product.path / "plugins" / "oldest.py").write_text(
        "import polars as pl\nfrom jupyter_dataproduct import plugin\n\n\n@plugin\n"
        "def oldest(people: pl.LazyFrame):\n    return people.select(pl.col('age').max()).collect().item()\n"
    )
    result = product.run_plugin("oldest", {"people": "smoker == false"})
    entry = product.history.list()[0]
    assert entry.protocol == "oldest@plugin" and result.values == {"oldest": 45}
    assert product.history_result(entry).values == {"oldest": 45}
    assert product.rerun(entry.provenance).values == {"oldest": 45}


def test_who_defaults_to_the_login_name(product, monkeypatch):
    monkeypatch.delenv("DATAPRODUCT_USER")
    product.run("people")
    assert product.history.list()[0].who == history_module.current_user() != ""


def test_a_server_records_who_acted(tiny_product):
    from jupyter_dataproduct.core.history import acting_as

    tiny_product.build()
    with acting_as("token:4f2a"):
        tiny_product.run_plugin("summary", {"entity": "people"})
    tiny_product.run_plugin("summary", {"entity": "visits"})
    newest, older = tiny_product.history.list()[:2]
    assert older.who == "token:4f2a"
    assert newest.who != "token:4f2a"


def test_a_run_on_a_full_disk_says_so_and_leaves_no_half_entry(product, small_disk):
    product.run("people", {"limit": 1})
    disk = small_disk(product.history.root / "results", "1m")  # results fill up; entries stay readable
    disk.fill(leave=0)
    with pytest.raises(DiskFullError, match="the history entry of this run"):
        product.run("people", {"limit": 2})
    assert len(product.history.list()) == 1
    assert [p.name for p in (product.history.root / "results").iterdir()] == [".filler"]
    assert not [p for p in product.history.entries_dir.iterdir() if p.name.startswith(".")]


def test_a_history_written_by_an_older_version_is_kept(product):
    """Older versions kept ``<id>/entry.json`` with the result beside it: read on first use."""
    import json

    result = product.run("people", {"limit": 2}, record=False)
    legacy = product.history.root / "20240101T000000000-abcdef12"
    result.save_to(legacy / "result")
    (legacy / "entry.json").write_text(json.dumps({
        "id": legacy.name, "when": "2024-01-01T00:00:00.000+00:00", "who": "bo", "provenance": result.provenance,
        "stored": True, "summary": result.summary()["tables"]}))
    newer = product.run("people", {"limit": 1})
    entries = History(product.history.root).list()
    assert [e.id for e in entries] == [newer.provenance["history_id"], legacy.name]
    assert entries[1].who == "bo" and product.history_result(legacy.name).equals(result)
    assert not legacy.exists()


def test_pruning_migrates_an_older_history_first(product):
    legacy = product.history.root / "20240101T000000000-abcdef12"
    legacy.mkdir(parents=True)
    result = product.run("people", {"limit": 1}, record=False)
    (legacy / "entry.json").write_text(__import__("json").dumps({
        "id": legacy.name, "when": "2024-01-01T00:00:00.000+00:00", "who": "bo", "provenance": result.provenance,
        "stored": False, "summary": {}}))
    assert History(product.history.root).prune(older_than=timedelta(days=1)) == 1
    assert not legacy.exists() and History(product.history.root).list() == []


def test_stored_values_keep_the_order_the_run_gave_them(product):
    (product.path / "plugins").mkdir()
    (product.path / "plugins" / "ordered.py").write_text(
        "from jupyter_dataproduct import plugin\n\n\n@plugin\n"
        "def ordered(n: int = 1):\n    return {'zeta': n, 'p_value': 0.5, 'alpha': 'text'}\n"
    )
    result = product.run_plugin("ordered")
    stored = product.history_result(product.history.list()[0])
    assert list(stored.values) == list(result.values) == ["zeta", "p_value", "alpha"]


def test_a_run_answered_again_gets_its_own_entry_pointing_at_the_same_result(product):
    from jupyter_dataproduct.core.history import acting_as

    first = product.run("people", {"limit": 2})
    with acting_as("token 1234 (analyst)"):
        again = product.history.record_again(first.provenance["history_id"])
    newest, earlier = product.history.list()[:2]
    assert newest.id == again.id != earlier.id == first.provenance["history_id"]
    assert newest.who == "token 1234 (analyst)" and earlier.who == "ada"
    assert newest.provenance == earlier.provenance and newest.result == earlier.result and newest.stored
    assert_frame_equal(product.history_result(newest).tables["rows"], first.tables["rows"])
    assert not [n for n in (product.history.root / "entries").iterdir() if n.name.startswith(".")]  # no leftovers


def test_an_entry_pruned_or_not_stored_is_not_answered_again(product, monkeypatch):
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    product.history.prune(keep=0)
    assert product.history.record_again(first) is None and product.history.list() == []
    monkeypatch.setattr(history_module, "STORE_BYTES", 10)
    large = product.run("people", {"limit": 3}).provenance["history_id"]
    assert not product.history.is_stored(large)
    assert product.history.record_again(large) is None and product.history.count() == 1
    assert product.history.record_again("20990101T000000000-nothing") is None


def test_runs_in_the_same_millisecond_list_in_the_order_they_ran(product, monkeypatch):
    monkeypatch.setattr(history_module, "now_iso", lambda: "2026-12-01T23:00:15.634+00:00")
    monkeypatch.setattr(history_module, "_last_id", "")  # ids made by earlier tests are later
    first = product.run("people", {"limit": 2}).provenance["history_id"]
    again = [product.history.record_again(first).id for _ in range(30)]
    recorded = [first, *again]
    assert [e.id for e in product.history.list()] == recorded[::-1]
    assert all(i.startswith("20261201T230015634-") for i in recorded)
    product.history.prune(keep=3)
    assert [e.id for e in product.history.list()] == recorded[:-4:-1]  # the three run last
