"""A build checks the data against the model and reports each failure with counts and examples."""

from __future__ import annotations

import pytest

from jupyter_dataproduct.core.errors import BuildCheckError
from jupyter_dataproduct.core.product import Product


def failures_of(write_product, tiny_manifest, people: str, visits: str, manifest_edit=None) -> list[dict]:
    manifest = manifest_edit(tiny_manifest) if manifest_edit else tiny_manifest
    product = Product.open(write_product(manifest, {"data/people.csv": people, "data/visits.csv": visits}))
    with pytest.raises(BuildCheckError) as caught:
        product.build()
    assert product.snapshots() == []  # nothing was published
    assert "no snapshot was written" in caught.value.message
    return caught.value.details["failures"]


GOOD_PEOPLE = "id,name,age,grp,smoker,enrolled\n1,A,30,1,0,2024-01-01\n2,B,40,2,1,2024-01-02\n"
GOOD_VISITS = "person_id,week,weight\n1,0,70\n2,0,80\n"


def test_duplicate_keys(write_product, tiny_manifest):
    people = GOOD_PEOPLE + "2,B2,41,2,1,2024-01-03\n2,B3,42,2,1,2024-01-04\n"
    [failure] = failures_of(write_product, tiny_manifest, people, GOOD_VISITS)
    assert failure["check"] == "unique_key" and failure["entity"] == "people"
    assert failure["count"] == 3
    assert failure["examples"] == [{"id": 2, "rows": 3}]


def test_composite_key_duplicates(write_product, tiny_manifest):
    [failure] = failures_of(write_product, tiny_manifest, GOOD_PEOPLE, GOOD_VISITS + "1,0,71\n")
    assert failure["check"] == "unique_key" and failure["column"] == "person_id, week"
    assert failure["examples"] == [{"person_id": 1, "week": 0, "rows": 2}]


def test_referential_integrity(write_product, tiny_manifest):
    [failure] = failures_of(write_product, tiny_manifest, GOOD_PEOPLE, GOOD_VISITS + "9,0,50\n9,4,51\n")
    assert failure["check"] == "reference" and failure["count"] == 2
    assert "not in people.id" in failure["message"]
    assert {e["person_id"] for e in failure["examples"]} == {9}


def test_values_that_do_not_fit_their_type(write_product, tiny_manifest):
    people = GOOD_PEOPLE + "3,C,abc,7,maybe,2024-13-45\n"
    failures = {f["column"]: f for f in failures_of(write_product, tiny_manifest, people, GOOD_VISITS)}
    assert set(failures) == {"age", "group", "smoker", "enrolled"}
    assert failures["age"]["examples"] == [{"id": 3, "age": "abc"}]
    assert "not valid int values" in failures["age"]["message"]
    assert "allowed: 1, 2" in failures["group"]["message"]
    assert all(f["count"] == 1 and f["check"] == "type" for f in failures.values())


def test_required_values(write_product, tiny_manifest):
    [failure] = failures_of(write_product, tiny_manifest, GOOD_PEOPLE, GOOD_VISITS + ",4,72\n")
    assert failure["check"] == "required" and failure["column"] == "person_id" and failure["count"] == 1
    assert failure["examples"] == [{"person_id": None, "week": 4, "weight": 72.0}]


def test_source_without_a_declared_column(write_product, tiny_manifest):
    product = Product.open(write_product(tiny_manifest, {
        "data/people.csv": GOOD_PEOPLE.replace(",smoker", ",smokes"), "data/visits.csv": GOOD_VISITS}))
    with pytest.raises(BuildCheckError, match="source has no column for smoker") as caught:
        product.build()
    assert caught.value.details["missing_columns"] == ["smoker"]
    assert "smokes" in caught.value.message  # lists what the source does have


def test_every_failure_is_reported_at_once(write_product, tiny_manifest):
    people = GOOD_PEOPLE + "2,X,abc,1,0,2024-01-01\n"
    failures = failures_of(write_product, tiny_manifest, people, GOOD_VISITS + "9,0,1\n")
    assert {f["check"] for f in failures} == {"type", "unique_key", "reference"}


UNPIVOT_MANIFEST = """\
name: long
version: 1.0.0
sources:
  wide: {kind: csv, path: wide.csv}
model:
  entities:
    measures:
      source: wide
      key: [id, visit]
      unpivot:
        index: [id]
        value: value
        columns:
          v0: {visit: 0}
          v1: {visit: 1}
      filter: value IS NOT NULL
      columns:
        id: {type: int}
        visit: {type: int}
        value: {type: float}
"""


def test_unpivoted_keys_are_checked_through_the_source(write_product):
    good = Product.open(write_product(UNPIVOT_MANIFEST, {"wide.csv": "id,v0,v1\n1,1.0,2.0\n2,3.0,\n"}, name="good"))
    assert good.build().snapshot.rows() == {"measures": 3}
    bad = Product.open(write_product(UNPIVOT_MANIFEST, {"wide.csv": "id,v0,v1\n1,1.0,2.0\n1,3.0,4.0\n"}, name="bad"))
    with pytest.raises(BuildCheckError) as caught:
        bad.build()
    [failure] = caught.value.details["failures"]
    assert failure["check"] == "unique_key" and failure["count"] == 4
    same_visit = UNPIVOT_MANIFEST.replace("v1: {visit: 1}", "v1: {visit: 0}")
    clash = Product.open(write_product(same_visit, {"wide.csv": "id,v0,v1\n1,1.0,2.0\n"}, name="clash"))
    with pytest.raises(BuildCheckError, match="share a key"):
        clash.build()
