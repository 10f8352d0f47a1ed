"""The data dictionary: one row per column of the model, for people browsing by topic."""

from __future__ import annotations

from typing import Any

from .manifest import Manifest

DICTIONARY_COLUMNS = ["entity", "collection", "column", "title", "type", "unit", "labels", "description", "references"]


def data_dictionary(manifest: Manifest) -> list[dict[str, Any]]:
    """Rows of (entity, collection, column, title, type, unit, labels, description, references)."""
    rows = []
    for entity_name, entity in manifest.model.entities.items():
        for collection, names in entity.collections().items():
            for name in names:
                column = entity.columns[name]
                rows.append(
                    {
                        "entity": entity_name,
                        "collection": collection,
                        "column": name,
                        "title": column.title,
                        "type": column.type,
                        "unit": column.unit,
                        "labels": _labels_text(column.labels, column.levels),
                        "description": column.description or ("= " + column.derive if column.derive else ""),
                        "references": column.references or "",
                    }
                )
    return rows


def _labels_text(labels: dict[str, str] | None, levels: list[str] | None) -> str:
    if labels:
        return "; ".join(f"{k}={v}" for k, v in labels.items())
    if levels:
        return "; ".join(levels)
    return ""
