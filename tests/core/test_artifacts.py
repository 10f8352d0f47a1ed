"""Artifacts: cohorts, tables and results saved by name, with provenance; names are
validated, writes are atomic, and a saved cohort is usable as a cohort parameter."""

from __future__ import annotations

import json
import time

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from jupyter_dataproduct.core.artifacts import ArtifactStore, validate_artifact_name
from jupyter_dataproduct.core.cohort import Cohort
from jupyter_dataproduct.core.errors import (
    ArtifactError, ArtifactNotFoundError, InvalidNameError, ParameterError,
)
from jupyter_dataproduct.core.product import Product
from jupyter_dataproduct.core.result import Result

PEOPLE = """\
name: people
version: 1.0.0
parameters:
  who: {type: cohort, entity: people, default: ""}
steps:
  - {id: rows, query: people, with: {where: $who, columns: [id, age], order_by: [id]}}
outputs:
  rows: {type: table}
"""

VISITS = """\
name: visits
version: 1.0.0
parameters:
  which: {type: cohort, entity: visits, default: ""}
steps:
  - {id: rows, query: visits, with: {where: $which}}
"""


@pytest.fixture
def product(tiny_dir) -> Product:
    (tiny_dir / "protocols").mkdir()
    (tiny_dir / "protocols" / "people.yaml").write_text(PEOPLE)
    (tiny_dir / "protocols" / "visits.yaml").write_text(VISITS)
    product = Product.open(tiny_dir)
    product.build()
    return product


def files_under(folder) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_save_list_load_delete_a_cohort(product):
    info = product.save_cohort("older", "people", "age >= 45", description="Older people")
    assert info.name == "older" and info.kind == "cohort" and info.description == "Older people"
    assert info.summary == {"entity": "people", "definition": "age >= 45", "rows": 3}
    assert info.provenance["snapshot"] == product.snapshot().id and info.provenance["product"] == "tiny"
    assert info.provenance["cohort"]["tree"] == {"column": "age", "op": ">=", "value": 45}
    assert [a.name for a in product.artifacts.list()] == ["older"]
    loaded = product.artifacts.load("older")
    assert loaded == Cohort(entity="people", tree={"column": "age", "op": ">=", "value": 45}, text="age >= 45", artifact="older")
    assert info.to_json()["summary"]["rows"] == 3 and "path" not in info.to_json()
    product.artifacts.delete("older")
    assert product.artifacts.list() == []
    with pytest.raises(ArtifactNotFoundError, match=r"No artifact 'older'; artifacts: none"):
        product.artifacts.load("older")
    assert files_under(product.artifacts.root) == ["names", "objects"]  # nothing left behind


def test_artifacts_saved_in_the_same_millisecond_list_newest_first(product, monkeypatch):
    from jupyter_dataproduct.core import artifacts

    monkeypatch.setattr(artifacts, "now_iso", lambda: "2031-01-01T00:00:00.000+00:00")  # a stopped clock
    monkeypatch.setattr(artifacts, "_last_created", "")  # and restored after, for the tests that follow
    for name in ("zeta", "alpha", "mid"):
        product.save_cohort(name, "people", "age > 1")
    assert [a.name for a in product.artifacts.list()] == ["mid", "alpha", "zeta"]
    assert len({a.created for a in product.artifacts.list()}) == 3


def test_tables_and_results_round_trip(product):
    result = product.run("people", {"who": "smoker == true"})
    table = pl.DataFrame({"a": [1, 2, None], "b": ["x", None, "z"], "d": [None, 1.5, 2.5]})
    product.artifacts.save_table("numbers", table, provenance={"note": "made by hand"})
    time.sleep(0.002)
    product.artifacts.save_result("smokers", result, description="Smokers")
    assert [(a.name, a.kind) for a in product.artifacts.list()] == [("smokers", "result"), ("numbers", "table")]
    assert_frame_equal(product.artifacts.load("numbers"), table)
    assert product.artifacts.info("numbers").summary == {"rows": 3, "columns": ["a", "b", "d"]}
    loaded = product.artifacts.load("smokers")
    assert isinstance(loaded, Result) and loaded.equals(result) and loaded.provenance == result.provenance
    assert product.artifacts.info("smokers").summary == {"tables": {"rows": 2}, "values": []}
    assert product.artifacts.info("smokers").provenance["protocol"] == "people"
    with pytest.raises(ArtifactError, match=r"Artifact 'numbers' is a table, not a cohort."):
        product.artifacts.load_cohort("numbers")


def test_names_are_not_reused_without_overwrite(product):
    product.save_cohort("group_a", "people", "age < 40")
    with pytest.raises(ArtifactError) as caught:
        product.save_cohort("group_a", "people", "age > 40")
    assert caught.value.message == "An artifact named 'group_a' already exists; pass overwrite=True (--force) to replace it."
    assert product.artifacts.load("group_a").text == "age < 40"
    product.save_cohort("group_a", "people", "age > 40", overwrite=True)
    assert product.artifacts.load("group_a").text == "age > 40"
    assert len(list((product.artifacts.root / "objects").iterdir())) == 1  # the old object is gone
    with pytest.raises(ArtifactError):
        product.artifacts.save_table("group_a", pl.DataFrame({"a": [1]}), provenance={})


@pytest.mark.parametrize(
    "name",
    ["../x", "a/b", "", ".", "..", ".hidden", "a..b", "-dash", "_under", "a b", "a\\b", "x" * 101, "abc\n",
     "\nabc", "é", "a:b", "/abs", "a\x00b", None, 5],
)
def test_bad_names_are_refused_everywhere(product, tmp_path, name):
    with pytest.raises(InvalidNameError) as caught:
        validate_artifact_name(name)
    assert caught.value.message.startswith(f"Artifact name {name!r} is not allowed")
    assert caught.value.code == "invalid_name"
    before = files_under(tmp_path)
    for attempt in (
        lambda: product.save_cohort(name, "people", "age > 1"),
        lambda: product.artifacts.save_table(name, pl.DataFrame({"a": [1]}), provenance={}),
        lambda: product.artifacts.load(name),
        lambda: product.artifacts.delete(name),
        lambda: product.run("people", {"who": {"artifact": name}}),
    ):
        with pytest.raises(InvalidNameError):
            attempt()
    assert files_under(tmp_path) == before  # nothing written anywhere


@pytest.mark.parametrize("name", ["a", "A1", "older_than-50.v2", "9lives", "x" * 100])
def test_good_names(product, name):
    assert validate_artifact_name(name) == name
    product.save_cohort(name, "people", "age > 1")
    assert [a.name for a in product.artifacts.list()] == [name]


def test_a_failed_write_leaves_no_partial_files_and_keeps_the_old_artifact(product):
    good = pl.DataFrame({"a": [1, 2]})
    product.artifacts.save_table("t", good, provenance={})
    before = files_under(product.artifacts.root)
    unwritable = pl.DataFrame({"a": [object(), object()]}, schema={"a": pl.Object})
    for attempt in range(2):
        with pytest.raises(Exception):
            product.artifacts.save_table("t", unwritable, provenance={}, overwrite=True)
        with pytest.raises(Exception):
            product.artifacts.save_table("new", unwritable, provenance={})
    assert files_under(product.artifacts.root) == before
    assert not [p for p in product.artifacts.root.rglob("*") if p.name.startswith(".")]
    assert_frame_equal(product.artifacts.load("t"), good)
    with pytest.raises(ArtifactNotFoundError):
        product.artifacts.info("new")


def test_the_store_ignores_debris_and_reports_missing_data(tmp_path):
    store = ArtifactStore(tmp_path / "artifacts")
    assert store.list() == []
    store.save_table("kept", pl.DataFrame({"a": [1]}), provenance={})
    names = tmp_path / "artifacts" / "names"
    (names / ".kept.tmp").write_text("junk")  # an interrupted write of a name file
    (tmp_path / "artifacts" / "objects" / ".tmp-deadbeef").mkdir()  # an interrupted object
    (names / "dangling").write_text("0" * 32 + "\n")  # a name whose object vanished
    assert [a.name for a in store.list()] == ["kept"]
    with pytest.raises(ArtifactNotFoundError, match="Artifact 'dangling' is missing its data."):
        store.load("dangling")
    meta = json.loads((store.info("kept").path / "artifact.json").read_text())
    assert meta["name"] == "kept" and meta["kind"] == "table"


def test_a_saved_cohort_is_a_cohort_parameter(product):
    product.save_cohort("older", "people", "age >= 45")
    by_name = product.run("people", {"who": "@older"})
    by_dict = product.run("people", {"who": {"artifact": "older"}})
    by_text = product.run("people", {"who": "age >= 45"})
    assert by_name.tables["rows"]["id"].to_list() == [2, 4, 5]
    assert by_name.equals(by_dict) and by_name.equals(by_text)
    assert by_name.provenance["parameters"]["who"]["artifact"] == "older"
    assert product.bind("people", {"who": "@older"})["who"].artifact == "older"
    assert product.frame("people", where="@older").collect()["id"].sort().to_list() == [2, 4, 5]
    assert product.cohort("people", {"artifact": "older"}).text == "age >= 45"


def test_saved_cohorts_of_another_entity_or_missing_ones_are_refused(product):
    product.save_cohort("late", "visits", "week >= 4")
    assert product.run("visits", {"which": "@late"}).tables["rows"].height == 3
    with pytest.raises(ParameterError) as caught:
        product.run("people", {"who": "@late"})
    assert caught.value.message == (
        "Parameter 'who': {'artifact': 'late'} is not allowed; expected a cohort of people "
        "(saved cohort 'late' is of visits)."
    )
    with pytest.raises(ArtifactNotFoundError, match=r"No artifact 'nobody'; artifacts: late"):
        product.run("people", {"who": "@nobody"})
    product.artifacts.save_table("table", pl.DataFrame({"a": [1]}), provenance={})
    with pytest.raises(ArtifactError, match="is a table, not a cohort"):
        product.run("people", {"who": "@table"})
    assert [e.protocol for e in product.history.list()] == ["visits@1.0.0"]


def test_a_saved_cohort_follows_the_snapshot_it_runs_on(product, tiny_dir):
    info = product.save_cohort("older", "people", "age >= 45")
    assert info.summary["rows"] == 3
    people = tiny_dir / "data" / "people.csv"
    people.write_text(people.read_text() + "6,Fay,70,1,0,2024-06-01\n")
    product.build()
    assert product.run("people", {"who": "@older"}).tables["rows"]["id"].to_list() == [2, 4, 5, 6]
    assert product.save_cohort("older2", "people", "age >= 45").summary["rows"] == 4


def test_invalid_cohorts_are_not_saved(product):
    with pytest.raises(Exception) as caught:
        product.save_cohort("bad", "people", "agee > 3")
    assert caught.value.code == "column_not_found"
    with pytest.raises(ParameterError, match="No entity 'peeple'; entities: people, visits"):
        product.save_cohort("bad", "peeple", "age > 3")
    assert product.artifacts.list() == []


def test_racing_saves_of_a_new_name_leave_one_winner_and_nothing_half_done(tiny_product):
    import threading

    tiny_product.build()
    store = tiny_product.artifacts
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def save(i: int) -> None:
        start.wait()
        try:
            tiny_product.save_cohort("shared", "people", f"age >= {20 + i}")
            outcomes.append(f"saved {i}")
        except ArtifactError:
            outcomes.append("refused")

    threads = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[:7] == ["refused"] * 7 and outcomes.count("refused") == 7
    winner = int(next(o for o in outcomes if o.startswith("saved")).split()[1])
    assert store.load("shared").text == f"age >= {20 + winner}"
    objects = [p for p in store.objects.iterdir()]
    assert len(objects) == 1  # the losers' objects are gone, no temporary folder is left


def test_readers_see_the_old_or_the_new_artifact_while_it_is_overwritten(product):
    import threading

    results = [product.run("people", {"who": "age >= 40"}), product.run("people", {"who": "age < 40"})]
    store = product.artifacts
    store.save_result("busy", results[0])
    stop = threading.Event()
    problems: list[str] = []
    reads = [0]

    def read() -> None:
        while not stop.is_set():
            try:
                info, value = store.read("busy")
                store.load("busy")
                listed = {a.name for a in store.list()}
            except Exception as exc:  # noqa: BLE001 - any failure is what this test looks for
                problems.append(f"{type(exc).__name__}: {exc}")
                continue
            if not any(value.equals(r) for r in results) or info.kind != "result" or "busy" not in listed:
                problems.append("a torn or missing artifact")
            reads[0] += 1

    readers = [threading.Thread(target=read) for _ in range(4)]
    for thread in readers:
        thread.start()
    try:
        for i in range(40):
            store.save_result("busy", results[i % 2], overwrite=True)
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert not problems, problems[:5]
    assert reads[0] > 40
