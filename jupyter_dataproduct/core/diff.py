"""Compare two snapshots: schema changes and row-count changes per entity."""

from __future__ import annotations

from typing import Any

from .snapshot import Snapshot


def diff_snapshots(a: Snapshot, b: Snapshot) -> dict[str, Any]:
    """What changed from ``a`` to ``b``, entity by entity."""
    names = list(dict.fromkeys([*a.entities, *b.entities]))
    entities = {name: _diff_entity(a.entities.get(name), b.entities.get(name)) for name in names}
    return {
        "a": a.id,
        "b": b.id,
        "config_changed": a.info["config_hash"] != b.info["config_hash"],
        "sources_changed": sorted(
            n
            for n in set(a.info["sources"]) | set(b.info["sources"])
            if a.info["sources"].get(n, {}).get("fingerprint") != b.info["sources"].get(n, {}).get("fingerprint")
        ),
        "entities": entities,
        "identical": a.id == b.id,
    }


def _diff_entity(a: dict | None, b: dict | None) -> dict[str, Any]:
    if a is None or b is None:
        present = b if a is None else a
        return {
            "status": "added" if a is None else "removed",
            "rows": {"a": a and a["rows"], "b": b and b["rows"], "change": None},
            "columns_added": [c["name"] for c in present["schema"]] if a is None else [],
            "columns_removed": [c["name"] for c in present["schema"]] if b is None else [],
            "type_changes": [],
        }
    columns_a = {c["name"]: c for c in a["schema"]}
    columns_b = {c["name"]: c for c in b["schema"]}
    type_changes = [
        {"column": n, "a": columns_a[n]["dtype"], "b": columns_b[n]["dtype"]}
        for n in columns_a
        if n in columns_b and columns_a[n]["dtype"] != columns_b[n]["dtype"]
    ]
    added = [n for n in columns_b if n not in columns_a]
    removed = [n for n in columns_a if n not in columns_b]
    changed = bool(added or removed or type_changes or a["rows"] != b["rows"] or a["sha256"] != b["sha256"])
    return {
        "status": "changed" if changed else "unchanged",
        "rows": {"a": a["rows"], "b": b["rows"], "change": b["rows"] - a["rows"]},
        "columns_added": added,
        "columns_removed": removed,
        "type_changes": type_changes,
    }
