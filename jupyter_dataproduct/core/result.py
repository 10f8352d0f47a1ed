"""The result of running a protocol: named tables, values and charts, with provenance.

Provenance records everything needed to reproduce the result exactly: product name and
version, snapshot id, protocol name and version, the bound parameters (cohorts as their
canonical trees) and the engine version.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

RESULT_FILE = "result.json"


def is_chart(value: Any) -> bool:
    """A Vega-Lite spec: a dict whose ``$schema`` names vega-lite."""
    return isinstance(value, dict) and "vega-lite" in str(value.get("$schema", ""))


@dataclass
class Result:
    provenance: dict[str, Any]
    tables: dict[str, pl.DataFrame] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add_output(self, name: str, value: Any) -> None:
        """File an output where it belongs: a frame as a table, a chart as a chart, else a value."""
        if isinstance(value, pl.DataFrame):
            self.tables[name] = value
        elif is_chart(value):
            self.charts[name] = value
        else:
            self.values[name] = value

    @property
    def main_table(self) -> pl.DataFrame | None:
        """The first table, which protocols list as their primary output."""
        return next(iter(self.tables.values()), None)

    def summary(self) -> dict[str, Any]:
        """JSON description without the table data."""
        return {
            "provenance": self.provenance,
            "tables": {n: {"rows": t.height, "columns": t.columns} for n, t in self.tables.items()},
            "values": self.values,
            "charts": list(self.charts),
        }

    def save_to(self, folder: Path) -> None:
        """Write the result into an (empty) folder: tables as Parquet, the rest as JSON."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "tables").mkdir(exist_ok=True)
        for name, table in self.tables.items():
            table.write_parquet(folder / "tables" / f"{name}.parquet")
        payload = {
            "provenance": self.provenance,
            "tables": list(self.tables),
            "values": self.values,
            "charts": self.charts,
        }
        (folder / RESULT_FILE).write_text(json.dumps(payload, indent=2, default=str))

    @classmethod
    def load_from(cls, folder: Path) -> "Result":
        payload = json.loads((folder / RESULT_FILE).read_text())
        tables = {name: pl.read_parquet(folder / "tables" / f"{name}.parquet") for name in payload["tables"]}
        return cls(
            provenance=payload["provenance"], tables=tables, values=payload["values"], charts=payload["charts"]
        )

    def equals(self, other: "Result") -> bool:
        """Same tables, values and charts (provenance aside)."""
        return (
            list(self.tables) == list(other.tables)
            and all(self.tables[n].equals(other.tables[n]) for n in self.tables)
            and self.values == other.values
            and self.charts == other.charts
        )
