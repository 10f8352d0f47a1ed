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
