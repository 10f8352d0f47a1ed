"""A product whose columns hold every kind of value a frame must carry intact: nulls in
every column, categories (polars Enums), dates, booleans, floats, strings, and an entity
its filter leaves empty. ``part_rows`` stores the larger entity in several Parquet files."""

from __future__ import annotations

import textwrap
from pathlib import Path

from jupyter_dataproduct.core.product import Product

MANIFEST = """\
name: {name}
version: 0.1.0
title: Mixed types
description: Nulls, categories, dates and an empty entity.
owners: [Test Team]
license: CC0
sources:
  people: {{kind: csv, path: data/people.csv}}
  visits: {{kind: csv, path: data/visits.csv}}
model:
  entities:
    people:
      source: people
      key: id
      columns:
        id: {{type: int, required: true}}
        name: {{type: string}}
        age: {{type: int}}
        group: {{type: category, labels: {{1: control, 2: treated}}, source: grp}}
        smoker: {{type: bool}}
        enrolled: {{type: date}}
        weight: {{type: float}}
    visits:
      source: visits
      key: [person_id, week]
      filter: week >= 1000
      columns:
        person_id: {{type: int, references: people.id, required: true}}
        week: {{type: int, required: true}}
        weight: {{type: float}}
"""


def people_csv(rows: int) -> str:
    lines = ["id,name,age,grp,smoker,enrolled,weight"]
    for i in range(1, rows + 1):
        name = "" if i % 7 == 0 else f"person {i}"
        age = "" if i % 11 == 0 else str(20 + i % 60)
        group = "" if i % 13 == 0 else str(1 + i % 2)
        smoker = "" if i % 17 == 0 else str(i % 2)
        enrolled = "" if i % 19 == 0 else f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"
        weight = "" if i % 23 == 0 else f"{50 + (i * 37) % 500 / 10:.1f}"
        lines.append(f"{i},{name},{age},{group},{smoker},{enrolled},{weight}")
    return "\n".join(lines) + "\n"


def write_mixed_product(folder: Path, rows: int = 3000, name: str = "mixed", part_rows: int | None = None) -> Path:
    """Write and build the product in ``folder``; ``part_rows``: rows per Parquet part."""
    (folder / "data").mkdir(parents=True)
    manifest = MANIFEST.format(name=name)
    if part_rows is not None:
        manifest += f"snapshots:\n  part_rows: {part_rows}\n"
    (folder / "dataproduct.yaml").write_text(textwrap.dedent(manifest))
    (folder / "data" / "people.csv").write_text(people_csv(rows))
    (folder / "data" / "visits.csv").write_text("person_id,week,weight\n1,0,70.5\n2,4,\n")
    Product.open(folder).build()
    return folder
