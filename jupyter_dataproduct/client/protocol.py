"""Protocols as Python callables with real signatures and docstrings.

``product.protocols.compare_arms(cohort_a="arms == 0")`` runs a protocol. Each protocol is
an instance of a class made for it, whose ``__call__`` carries the protocol's parameters as
keyword arguments, so ``?``, ``help()`` and tab completion show them.
"""

from __future__ import annotations

import inspect
import textwrap
from typing import TYPE_CHECKING, Any

from ..core.errors import ProtocolNotFoundError
from . import display

if TYPE_CHECKING:
    from .product import DataProduct
    from .result import Result

_PYTHON_TYPES: dict[str, Any] = {
    "string": str, "int": int, "float": float, "bool": bool, "date": str,
    "column": str, "columns": list, "cohort": Any, "enum": Any,
}


class Protocol:
    """A protocol of a data product; call it with keyword arguments to run it."""

    def __init__(self, product: "DataProduct", meta: dict[str, Any]) -> None:
        self._product = product
        self.meta = meta
        self.name: str = meta["name"]
        self.version: str = meta["version"]

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return self.meta["parameters"]

    @property
    def schema(self) -> dict[str, Any]:
        """JSON Schema of the parameters (the data contract)."""
        return self._product._transport.protocol(f"{self.name}@{self.version}")["schema"]

    def __call__(self, *, snapshot: str | None = None, **parameters: Any) -> "Result":
        return self._product.run(f"{self.name}@{self.version}", snapshot=snapshot, **parameters)

    def __repr__(self) -> str:
        params = ", ".join(self.parameters)
        return f"<Protocol {self.name}@{self.version}({params}): {self.meta.get('title', '')}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        rows = [
            {"parameter": n, "type": p["type"], "default": p.get("default"),
             "description": p.get("description") or p.get("title", "")}
            for n, p in self.parameters.items()
        ]
        html = display.card(
            f"{self.name}@{self.version}: {self.meta.get('title', '')}",
            self.meta.get("description", "").strip(),
            display.section("Parameters", display.table(rows)),
            f"<div class='dp-muted'>versions: {display.escape(', '.join(self.meta.get('versions', [])))}; "
            f"{self.meta.get('tests', 0)} protocol test(s)</div>",
        )
        return {"text/plain": repr(self), "text/html": html}


def make_protocol(product: "DataProduct", meta: dict[str, Any]) -> Protocol:
    """A Protocol whose class carries this protocol's signature and docstring."""
    signature = inspect.Signature(
        [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY,
                default=p.get("default", inspect.Parameter.empty) if not _required(p) else inspect.Parameter.empty,
                annotation=_PYTHON_TYPES.get(p["type"], Any),
            )
            for name, p in meta["parameters"].items()
        ]
        + [inspect.Parameter("snapshot", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=str)]
    )
    doc = _docstring(meta)

    def __call__(self: Protocol, **kwargs: Any) -> "Result":
        return Protocol.__call__(self, **kwargs)

    __call__.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD), *signature.parameters.values()]
    )
    __call__.__doc__ = doc
    cls = type(meta["name"], (Protocol,), {"__doc__": doc, "__call__": __call__, "__module__": "dataproduct.protocols"})
    instance = cls(product, meta)
    instance.__signature__ = signature  # type: ignore[attr-defined]
    return instance


def _required(parameter: dict[str, Any]) -> bool:
    required = parameter.get("required")
    return required if required is not None else parameter.get("default") is None


def _docstring(meta: dict[str, Any]) -> str:
    lines = [f"{meta.get('title') or meta['name']} ({meta['name']}@{meta['version']})", ""]
    if meta.get("description"):
        lines += [textwrap.fill(meta["description"].strip(), 88), ""]
    lines.append("Parameters")
    lines.append("----------")
    for name, p in meta["parameters"].items():
        kind = p["type"] + (f" of {p['entity']}" if p.get("entity") else "")
        if p.get("choices"):
            kind += f", one of {p['choices']}"
        default = "required" if _required(p) else f"default {p.get('default')!r}"
        lines.append(f"{name} : {kind} ({default})")
        text = p.get("description") or p.get("title")
        if text:
            lines.append(textwrap.indent(textwrap.fill(text, 84), "    "))
    lines.append("snapshot : str, optional")
    lines.append("    Snapshot id, prefix or tag to run on (default: the product's pinned or latest snapshot).")
    lines += ["", "Returns a Result: .to_polars(), .to_pandas(), .to_arrow(), .save(name)."]
    return "\n".join(lines)


class Protocols:
    """The protocols of a product as attributes: ``product.protocols.compare_arms(...)``.

    Read afresh on every access, so protocols added to the product appear at once.
    """

    def __init__(self, product: "DataProduct") -> None:
        self._product = product

    def _metas(self) -> dict[str, dict[str, Any]]:
        return {m["name"]: m for m in self._product._transport.protocols()}

    def __getattr__(self, name: str) -> Protocol:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, ref: str) -> Protocol:
        name, _, version = ref.partition("@")
        if version:
            return make_protocol(self._product, self._product._transport.protocol(ref))
        metas = self._metas()
        if name not in metas:
            raise ProtocolNotFoundError(
                f"No protocol {name!r}; protocols: {', '.join(sorted(metas)) or 'none'}",
                details={"protocol": name, "allowed": sorted(metas)},
            )
        return make_protocol(self._product, metas[name])

    def __dir__(self) -> list[str]:
        return sorted(self._metas())

    def __iter__(self):
        return iter([make_protocol(self._product, m) for m in self._metas().values()])

    def __len__(self) -> int:
        return len(self._metas())

    def __repr__(self) -> str:
        return f"<Protocols of {self._product.name}: {', '.join(sorted(self._metas()))}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        rows = [{"protocol": m["name"], "version": m["version"], "title": m["title"],
                 "parameters": ", ".join(m["parameters"])} for m in self._metas().values()]
        return {"text/plain": repr(self), "text/html": display.card(f"Protocols of {self._product.name}", "", display.table(rows))}
