"""Every source kind reads into the same typed entity; databases only run configured text."""

from __future__ import annotations

import json
import sqlite3

import polars as pl
import pytest

from jupyter_dataproduct.core.errors import ManifestError, SourceError
from jupyter_dataproduct.core.product import Product

PEOPLE = pl.DataFrame({"id": [1, 2, 3], "name": ["Ada", "Bo", "Cy"], "score": [1.5, None, 3.0]})

MODEL = """\
model:
  entities:
    people:
      source: people
      key: id
      columns:
        id: {type: int, required: true}
        name: {type: string}
        score: {type: float}
"""


def product_with_source(write_product, source_yaml: str, files=None) -> Product:
    manifest = f"name: src\nversion: 1.0.0\nsources:\n  people: {source_yaml}\n{MODEL}"
    return Product.open(write_product(manifest, files))


def built_people(product: Product) -> pl.DataFrame:
    return product.build().snapshot.scan("people").collect().sort("id")


@pytest.mark.parametrize(
    ("source_yaml", "write"),
    [
        ("{kind: csv, path: people.csv}", lambda d: PEOPLE.write_csv(d / "people.csv")),
        ("{kind: csv, path: people.tsv, separator: \"\\t\"}", lambda d: PEOPLE.write_csv(d / "people.tsv", separator="\t")),
        ("{kind: parquet, path: people.parquet}", lambda d: PEOPLE.write_parquet(d / "people.parquet")),
        ("{kind: json, path: people.json}", lambda d: (d / "people.json").write_text(json.dumps(PEOPLE.to_dicts()))),
        ("{kind: ndjson, path: people.ndjson}", lambda d: PEOPLE.write_ndjson(d / "people.ndjson")),
    ],
    ids=["csv", "tsv", "parquet", "json", "ndjson"],
)
def test_file_sources(write_product, source_yaml, write):
    product = product_with_source(write_product, source_yaml)
    write(product.path)
    assert built_people(product).equals(PEOPLE)


def write_sqlite(path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE people (id INTEGER, name TEXT, score REAL)")
        conn.executemany("INSERT INTO people VALUES (?, ?, ?)", PEOPLE.rows())
        conn.execute('CREATE TABLE "odd name" (id INTEGER, name TEXT, score REAL)')


def test_sqlite_table_and_query(write_product):
    table = product_with_source(write_product, "{kind: sqlite, path: db.sqlite, table: people}")
    write_sqlite(table.path / "db.sqlite")
    assert built_people(table).equals(PEOPLE)
    query = product_with_source(
        write_product, '{kind: sqlite, path: ../product/db.sqlite, query: "SELECT id, name, score FROM people WHERE id > 1"}',
    )
    assert built_people(query).equals(PEOPLE.filter(pl.col("id") > 1))


def test_reading_sqlite_never_writes_to_it(write_product):
    product = product_with_source(write_product, '{kind: sqlite, path: db.sqlite, query: "DROP TABLE people"}')
    write_sqlite(product.path / "db.sqlite")
    with pytest.raises(SourceError, match="not valid .read. queries|readonly"):
        product.build()
    with sqlite3.connect(product.path / "db.sqlite") as conn:
        assert conn.execute("SELECT count(*) FROM people").fetchone() == (3,)


@pytest.mark.parametrize("table", ["people; DROP TABLE people", "people--", "a.b.c", "'people'"])
def test_table_names_are_identifiers_not_sql(write_product, table):
    folder = write_product(f"name: src\nversion: 1.0.0\nsources:\n  people: {{kind: sqlite, path: db.sqlite, table: \"{table}\"}}\n{MODEL}")
    with pytest.raises(ManifestError, match="not a plain identifier"):
        Product.open(folder).manifest


def test_table_or_query_not_both(write_product):
    folder = write_product(f"name: src\nversion: 1.0.0\nsources:\n  people: {{kind: sqlite, path: db.sqlite, table: people, query: SELECT 1}}\n{MODEL}")
    with pytest.raises(ManifestError, match="exactly one of 'table' or 'query'"):
        Product.open(folder).manifest


def test_missing_file_is_a_clear_source_error(write_product):
    product = product_with_source(write_product, "{kind: csv, path: nowhere.csv}")
    with pytest.raises(SourceError, match="nowhere.csv' does not exist"):
        product.build()


@pytest.fixture
def people_in_postgres(postgres_url):
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS people; DROP SCHEMA IF EXISTS clinic CASCADE")
        conn.execute("CREATE TABLE people (id integer, name text, score double precision)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO people VALUES (%s, %s, %s)", PEOPLE.rows())
        conn.execute("CREATE SCHEMA clinic; CREATE TABLE clinic.people AS SELECT * FROM people")
    return postgres_url


def test_postgres_table_with_url_from_environment(write_product, people_in_postgres, monkeypatch):
    monkeypatch.setenv("PEOPLE_DB", people_in_postgres)
    product = product_with_source(write_product, "{kind: postgres, url_env: PEOPLE_DB, table: people}")
    assert built_people(product).equals(PEOPLE)
    schema_table = product_with_source(write_product, "{kind: postgres, url_env: PEOPLE_DB, table: clinic.people}")
    assert built_people(schema_table).equals(PEOPLE)


def test_postgres_query_and_content_fingerprint(write_product, people_in_postgres):
    import psycopg

    product = product_with_source(
        write_product, f'{{kind: postgres, url: "{people_in_postgres}", query: "SELECT * FROM people WHERE id <= 2"}}'
    )
    first = product.build()
    assert built_people(product).equals(PEOPLE.head(2))
    assert product.build().snapshot.id == first.snapshot.id  # same rows, same id
    with psycopg.connect(people_in_postgres, autocommit=True) as conn:
        conn.execute("UPDATE people SET name = 'Al' WHERE id = 1")
    changed = product.build()
    assert changed.created and changed.snapshot.id != first.snapshot.id


def test_postgres_errors_are_source_errors(write_product, postgres_url, monkeypatch):
    product = product_with_source(write_product, f'{{kind: postgres, url: "{postgres_url}", table: no_such_table}}')
    with pytest.raises(SourceError, match="no_such_table"):
        product.build()
    monkeypatch.delenv("MISSING_DB", raising=False)
    unset = product_with_source(write_product, "{kind: postgres, url_env: MISSING_DB, table: people}")
    with pytest.raises(SourceError, match="MISSING_DB is not set"):
        unset.build()


# -- sources stay inside the product folder ------------------------------------------------------


@pytest.fixture
def outside_file(tmp_path):
    """A file beside the product folder, whose first line must never be shown."""
    secret = tmp_path / "secret.csv"
    secret.write_text("root:x:0:0:TOP-SECRET-FIRST-LINE\n1\n")
    return secret


@pytest.mark.parametrize("path", ["../secret.csv", "{outside}", "data/link.csv", "data/../../secret.csv"])
def test_a_source_outside_the_product_folder_is_refused_without_reading_it(write_product, outside_file, path):
    product = product_with_source(write_product, "{kind: csv, path: " + path.format(outside=outside_file) + "}")
    (product.path / "data").mkdir(exist_ok=True)
    (product.path / "data" / "link.csv").symlink_to(outside_file)  # a symlink is followed, then checked
    with pytest.raises(SourceError) as caught:
        product.build()
    assert "outside the product folder" in caught.value.message and "allow_outside: true" in caught.value.message
    assert "TOP-SECRET" not in str(caught.value.to_dict())
    assert [p["kind"] for p in product.problems()] == ["source"]


def test_a_source_may_opt_in_to_a_file_outside(write_product, tmp_path):
    PEOPLE.write_csv(tmp_path / "shared.csv")
    product = product_with_source(write_product, f"{{kind: csv, path: {tmp_path / 'shared.csv'}, allow_outside: true}}")
    assert built_people(product).equals(PEOPLE)
    assert product.problems() == []


def test_opting_in_does_not_change_the_snapshot_id(write_product, tmp_path):
    inside = product_with_source(write_product, "{kind: csv, path: people.csv}")
    PEOPLE.write_csv(inside.path / "people.csv")
    opted = product_with_source(write_product, "{kind: csv, path: people.csv, allow_outside: true}")
    assert inside.build().snapshot.id == opted.build().snapshot.id


def test_a_sqlite_source_outside_is_refused_too(write_product, tmp_path):
    write_sqlite(tmp_path / "elsewhere.sqlite")
    product = product_with_source(write_product, "{kind: sqlite, path: ../elsewhere.sqlite, table: people}")
    with pytest.raises(SourceError, match="outside the product folder"):
        product.build()


def test_a_sqlite_query_cannot_attach_another_database(write_product, tmp_path):
    target = tmp_path / "created_by_attach.sqlite"
    product = product_with_source(
        write_product, f"{{kind: sqlite, path: db.sqlite, query: \"ATTACH DATABASE '{target}' AS x\"}}")
    write_sqlite(product.path / "db.sqlite")
    with pytest.raises(SourceError, match="not authorized|ATTACH"):
        product.build()
    assert not target.exists()


def test_a_sqlite_file_with_uri_characters_in_its_name_opens_read_only(write_product):
    product = product_with_source(write_product, "{kind: sqlite, path: 'db?mode=rwc#x.sqlite', table: people}")
    write_sqlite(product.path / "db?mode=rwc#x.sqlite")
    assert built_people(product).equals(PEOPLE)


def test_an_unreadable_csv_is_a_source_error(write_product):
    product = product_with_source(write_product, "{kind: csv, path: people.csv}", {"people.csv": "id,name,score\n1,a,2,3,4\n"})
    with pytest.raises(SourceError, match="source 'people' could not be read"):
        product.build()


def test_an_unreadable_json_source_is_a_source_error(write_product):
    product = product_with_source(write_product, "{kind: json, path: people.json}", {"people.json": "[{\"id\": 1,"})
    with pytest.raises(SourceError, match="source 'people' could not be read"):
        product.build()
