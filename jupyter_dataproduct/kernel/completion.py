"""Tab completion of ``%dataproduct`` lines in the kernel.

Offers subcommands, then protocol names (then plugins, built-ins last), then parameter
names (``cohort_a=``), then values where they are known: columns of the parameter's
entity, enum choices, ``true``/``false``, saved cohorts (``@name``).

It is an IPython matcher (API v2) that runs first and suppresses every other matcher on a
``%dataproduct`` line: Jedi would otherwise put Python keywords and builtins ahead of our
candidates, and its first run takes most of a second (JupyterLab gives up at one). What
it knows of a product is read once per executed cell (a cell may add a protocol or save a
cohort) and reused for every keystroke until the next one; a JSON Schema with the values
of ``choices_from`` parameters is read only when such a value is being completed.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import DataProductError
from .cmd import COMMANDS

if TYPE_CHECKING:
    from .magic import DataProductMagics

# The magic at the start of a line, or after an assignment (``r = %dataproduct run ...``).
MAGIC = re.compile(r"\s*(?:[\w.,\[\]\s]+=\s*)?%%?dataproduct\b")
# One argument: unquoted text and quoted strings (a quote left open runs to the end).
ARGUMENT = re.compile(r"""(?:[^\s"']+|"[^"]*"?|'[^']*'?)+""")
SNAPSHOT_COMMANDS = ["build", "use", "verify", "diff", "tag"]
MAX_AGE = 30.0  # seconds a catalog is trusted without any cell running (files edited elsewhere)


@dataclass
class Catalog:
    """What completion knows of one product, read in one go."""

    protocols: dict[str, dict[str, Any]]  # name -> {parameter: its metadata}
    plugins: dict[str, list[str]]  # name -> parameter names (protocols' own names excluded)
    builtins: set[str]
    entities: dict[str, list[str]]  # entity -> column names
    artifacts: dict[str, str]  # name -> kind
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)  # protocol -> parameter JSON Schema
    read_at: float = 0.0


class Completer:
    """Candidates for the ``%dataproduct`` line being typed, for one kernel's magics."""

    def __init__(self, magics: "DataProductMagics") -> None:
        self.magics = magics
        self._catalogs: dict[int, Catalog] = {}

    # -- reading the product (cached per executed cell) --------------------------------------

    def forget(self, *_: Any) -> None:
        """After each executed cell: it may have added a protocol or saved a cohort."""
        self._catalogs.clear()

    def catalog(self, product: Any) -> Catalog:
        cached = self._catalogs.get(id(product))
        if cached and time.monotonic() - cached.read_at < MAX_AGE:
            return cached
        transport = product._transport  # the plain payloads: no client objects built per keystroke
        protocols = {m["name"]: m["parameters"] for m in transport.protocols()}
        plugins, builtins = {}, set()
        for plugin in product.plugins():
            if plugin.name not in protocols:
                plugins[plugin.name] = list(plugin.parameters or [])
                if plugin.builtin:
                    builtins.add(plugin.name)
        entities = {name: list(e["columns"]) for name, e in product.info["entities"].items()}
        artifacts = {a["name"]: a["kind"] for a in transport.artifacts()}
        catalog = Catalog(protocols, plugins, builtins, entities, artifacts, read_at=time.monotonic())
        self._catalogs[id(product)] = catalog
        return catalog

    def schema(self, product: Any, catalog: Catalog, protocol: str) -> dict[str, Any]:
        if protocol not in catalog.schemas:
            try:
                catalog.schemas[protocol] = product._transport.protocol(protocol).get("schema", {}).get("properties", {})
            except DataProductError:  # e.g. no snapshot yet for choices_from
                catalog.schemas[protocol] = {}
        return catalog.schemas[protocol]

    # -- what to offer ------------------------------------------------------------------------

    def complete(self, before_cursor: str) -> tuple[str, list[tuple[str, str]]] | None:
        """``(fragment, [(candidate, kind)])`` for the text before the cursor on its line, or
        ``None`` when the line is no ``%dataproduct`` line. ``fragment`` is the end of the
        text that a candidate replaces."""
        match = MAGIC.match(before_cursor)
        if match is None:
            return None
        line = before_cursor[match.end():]
        words = ARGUMENT.findall(line)
        typing = "" if not line or line[-1].isspace() else words.pop()
        try:
            return self._arguments(words, typing)
        except Exception:  # not connected, a server gone away...: a keystroke never shows a traceback
            return typing, []

    def _arguments(self, words: list[str], typing: str) -> tuple[str, list[tuple[str, str]]]:
        if not words:
            return typing, _matching(typing, [(c, "subcommand") for c in sorted(COMMANDS)])
        sub, rest = words[0], words[1:]
        if sub == "snapshot" and not rest:
            return typing, _matching(typing, [(c, "subcommand") for c in SNAPSHOT_COMMANDS])
        if sub == "connect" and not rest:
            return _folders(typing)
        if sub not in ("run", "describe", "frame", "load"):
            return typing, []
        product = self.magics.product(_option(words, "--product"))
        catalog = self.catalog(product)
        positional = [w for i, w in enumerate(rest) if not w.startswith("-") and not _is_option_value(rest, i)]
        if sub == "frame":
            return typing, _matching(typing, [(e, "entity") for e in catalog.entities]) if not positional else []
        if sub == "load":
            return typing, _matching(typing, [(a, kind) for a, kind in catalog.artifacts.items()])
        if not positional:
            names = [(p, "protocol") for p in sorted(catalog.protocols)]
            if sub == "run":
                names += [(p, "plugin") for p in sorted(catalog.plugins) if p not in catalog.builtins]
                names += [(p, "built-in") for p in sorted(catalog.builtins)]
            return typing, _matching(typing, names)
        if sub == "run":
            return self._parameters(product, catalog, positional[0], positional[1:], typing)
        return typing, []

    def _parameters(self, product: Any, catalog: Catalog, name: str, given: list[str],
                    typing: str) -> tuple[str, list[tuple[str, str]]]:
        parameters = catalog.protocols.get(name)
        if parameters is None:
            names = catalog.plugins.get(name, [])
            parameters = {p: {} for p in names}
        key, equals, value = typing.partition("=")
        if not equals:
            done = {w.split("=", 1)[0].rstrip(":") for w in given if "=" in w}
            return typing, _matching(typing, [(f"{p}=", "parameter") for p in parameters if p not in done])
        meta = parameters.get(key.rstrip(":"))
        if meta is None:
            return value, []
        return self._values(product, catalog, name, key, meta, value)

    def _values(self, product: Any, catalog: Catalog, protocol: str, key: str, meta: dict[str, Any],
                value: str) -> tuple[str, list[tuple[str, str]]]:
        kind = meta.get("type")
        if kind == "bool":
            return value, _matching(value, [("true", "value"), ("false", "value")])
        if kind == "enum" and meta.get("choices") is not None:
            return value, _matching(value, [(str(c), "choice") for c in meta["choices"]])
        if kind in ("enum", "column", "columns"):
            schema = self.schema(product, catalog, protocol).get(key.rstrip(":"), {})
            allowed = schema.get("enum") or schema.get("items", {}).get("enum") or catalog.entities.get(meta.get("entity", ""), [])
            last = value.rsplit(",", 1)[-1] if kind == "columns" else value
            return last, _matching(last, [(str(c), "column" if kind != "enum" else "choice") for c in allowed])
        if kind == "cohort":
            if not re.fullmatch(r"@?\w*", value):
                return value, []  # an expression is being written: nothing sure to offer
            cohorts = [(f"@{a}", "cohort") for a, k in catalog.artifacts.items() if k == "cohort"]
            columns = [(c, "column") for c in catalog.entities.get(meta.get("entity", ""), [])]
            return value, _matching(value, cohorts + columns)
        return value, []


def _folders(typed: str) -> tuple[str, list[tuple[str, str]]]:
    """Folders for ``connect``: product folders first (they hold dataproduct.yaml)."""
    parent, _, start = typed.rpartition("/")
    base = Path(parent or ".").expanduser() if parent or not typed.startswith("/") else Path("/")
    try:
        entries = sorted(e for e in base.iterdir() if e.is_dir() and e.name.startswith(start) and not e.name.startswith("."))
    except OSError:
        return start, []
    is_product = {e.name: (e / "dataproduct.yaml").is_file() for e in entries}
    products = [(name, "product") for name, yes in is_product.items() if yes]
    return start, products + [(name + "/", "folder") for name, yes in is_product.items() if not yes]


def _matching(typed: str, candidates: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(text, kind) for text, kind in candidates if text.startswith(typed)]


def _option(words: list[str], flag: str) -> str | None:
    for i, word in enumerate(words[:-1]):
        if word == flag:
            return words[i + 1]
    return None


def _is_option_value(words: list[str], index: int) -> bool:
    """Whether ``words[index]`` is the value of an option (``-o VAR``, ``--snapshot REF``)."""
    return index > 0 and words[index - 1] in ("-o", "--output", "--snapshot", "--product", "--as", "--token")


def install(ipython: Any, magics: "DataProductMagics") -> Completer:
    """Register the matcher with IPython's completer (the legacy hook on old IPythons)."""
    completer = Completer(magics)
    ipython.events.register("post_execute", completer.forget)
    try:
        from IPython.core.completer import SimpleCompletion, context_matcher
    except ImportError:  # IPython < 8.6: a complete_command hook (Jedi's results stay)
        def hook(_self: Any, event: Any) -> list[str]:
            found = completer.complete(event.text_until_cursor)
            return [text for text, _ in found[1]] if found else []

        ipython.set_hook("complete_command", hook, str_key="%dataproduct")
        ipython.set_hook("complete_command", hook, str_key="%%dataproduct")
        return completer

    @context_matcher(priority=100, identifier="jupyter_dataproduct")
    def dataproduct_matcher(context: Any) -> dict[str, Any]:
        found = completer.complete(context.text_until_cursor)
        if found is None:
            return {"completions": []}
        fragment, candidates = found
        completions = [SimpleCompletion(text, type=kind) for text, kind in candidates]
        if not completions:
            # Nothing to offer: still keep Python names out of a %dataproduct line (a matcher
            # can only suppress the others when it returns something; this one changes nothing).
            completions = [SimpleCompletion(fragment, type="text")]
        return {"completions": completions, "matched_fragment": fragment, "suppress": True, "ordered": True}

    ipython.Completer.custom_matchers = [
        m for m in ipython.Completer.custom_matchers if getattr(m, "matcher_identifier", "") != "jupyter_dataproduct"
    ] + [dataproduct_matcher]
    return completer
