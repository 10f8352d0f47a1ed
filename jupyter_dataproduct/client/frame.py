"""A frame read from a product: a polars DataFrame that remembers where it came from.

:class:`Frame` is a ``pl.DataFrame`` (every polars method works and returns plain polars
frames); it adds ``provenance`` (product, snapshot, entity, where, columns, limit) and a
display bundle for JupyterLab's result renderer, besides polars' own HTML.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from . import bundle


class Frame(pl.DataFrame):
    """Rows of an entity, with the provenance of the read."""

    provenance: dict[str, Any] = {}  # frames polars derives from this one have none
    savable = True  # False when the connection read from may not save artifacts (a reader's token)

    @classmethod
    def wrap(cls, frame: pl.DataFrame, provenance: dict[str, Any], *, savable: bool = True) -> "Frame":
        """The same data (no copy) as a Frame; ``savable``: its cohort may be saved as an artifact."""
        wrapped = cls.__new__(cls)
        wrapped._df = frame._df
        wrapped.provenance = provenance
        wrapped.savable = savable
        return wrapped

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        """polars' own HTML and text, and the app bundle for JupyterLab."""
        return {"text/plain": repr(self), "text/html": self._repr_html_(), bundle.RESULT_MIME: self._app()}

    def _app(self) -> dict[str, Any]:
        p = self.provenance
        if not p:  # not read from a product (e.g. unpickled): a table alone
            return bundle.payload("frame", "frame", f"{self.height:,} rows",
                                  tables=bundle.tables({"frame": self}, {"frame": "# your variable holds every row"}))
        code = frame_line(p)
        where = p.get("where")
        saves = []
        if self.savable and isinstance(where, str) and where and not where.startswith("@"):
            saves.append({"label": f"the cohort {where}", "code":
                          f"%dataproduct save --cohort {bundle.shell_word(where)} --entity "
                          f"{bundle.shell_word(p['entity'])} {bundle.NAME_PLACEHOLDER}"})
        return bundle.payload(
            "frame", f"{p['entity']}", f"{p['product']}@{p['snapshot'][:12]}",
            tables=bundle.tables({p["entity"]: self}, {p["entity"]: code}),
            provenance=json.loads(json.dumps(p, default=str)),
            code={"reproduce": code, "rerun": None, "save": saves, "open": None},
        )


def frame_line(provenance: dict[str, Any]) -> str:
    """The ``%dataproduct frame`` line that reads these rows again."""
    p = provenance
    words = ["%dataproduct frame", bundle.shell_word(p["entity"])]
    where = p.get("where")
    if where:
        words.append(f"--where {bundle.shell_word(where if isinstance(where, str) else json.dumps(where))}")
    if p.get("columns"):
        words.append(f"--columns {bundle.shell_word(','.join(p['columns']))}")
    if p.get("limit") is not None:
        words.append(f"--limit {p['limit']}")
    words += [f"--snapshot {p['snapshot'][:12]}", f"-o {_variable(p['entity'])}"]
    return " ".join(words)


def _variable(entity: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_]", "_", entity)
    return f"_{name}_frame" if name[:1].isdigit() else f"{name}_frame"
