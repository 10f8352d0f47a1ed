"""Protocols: the product's versioned, parameterised, tested API methods (``protocols/*.yaml``).

::

    name: compare_arms
    version: 1.0.0
    title: Compare two cohorts
    parameters:
      cohort_a: {type: cohort, entity: patients, default: "arms == 'ZDV'"}
      ...
    steps:
      - id: comparison
        algorithm: compare_cohorts
        with: {entity: patients, cohort_a: $cohort_a, cohort_b: $cohort_b, variables: $variables}
      - id: chart
        visualisation: bar
        with: {table: $comparison, x: variable, y: p_value}
    outputs:
      comparison: {type: table, columns: {variable: string, p_value: float}}
      chart: {type: chart}
    tests:
      - name: arms differ in CD4 change
        parameters: {...}
        expect: {comparison: {rows: 20}}

Step values starting with ``$`` refer to a parameter or an earlier step's output
(``$comparison`` or ``$steps_id.output``); ``$$`` is a literal dollar sign. Several
versions of a protocol can live side by side; the newest is the default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .cohort import cohort_from_value
from .errors import DataProductError, ManifestError, ProtocolNotFoundError
from .manifest import SEMVER_PATTERN, validate_model
from .model import NAME_PATTERN, Model
from .parameters import Parameter, check_against_model
from .plugins import PluginSpec, cohort_arguments
from .yaml_files import read_yaml_mapping

OutputType = Literal["table", "value", "chart"]


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=NAME_PATTERN)
    algorithm: str | None = Field(None, description="A built-in algorithm or a plugin.")
    query: str | None = Field(None, description="Shorthand for algorithm: frame (query an entity).")
    visualisation: str | None = Field(None, description="A chart builder: bar, histogram, box, kaplan_meier.")
    with_: dict[str, Any] = Field(default_factory=dict, alias="with")

    @model_validator(mode="after")
    def _one_kind(self) -> "Step":
        given = [k for k in ("algorithm", "query", "visualisation") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a step has exactly one of 'algorithm', 'query' or 'visualisation'")
        return self

    @property
    def callable_name(self) -> str:
        if self.query is not None:
            return "frame"
        return self.algorithm or self.visualisation  # type: ignore[return-value]


class OutputSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: OutputType = "table"
    title: str = ""
    description: str = ""
    columns: dict[str, str] | None = Field(
        None, description="table: promised columns -> type (int, float, string, bool, date, any)."
    )


class Expectation(BaseModel):
    """What a protocol test expects of one output."""

    model_config = ConfigDict(extra="forbid")

    rows: int | None = None
    min_rows: int | None = None
    max_rows: int | None = None
    columns: list[str] | None = None
    where: dict[str, Any] | None = Field(None, description="Select the rows to check by column values.")
    values: dict[str, Any] | None = Field(
        None, description="column -> expected value, or {approx, tolerance} / {min, max}."
    )
    equals: Any = Field(None, description="value outputs: the expected value.")


class ProtocolTest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    parameters: dict[str, Any] = Field(default_factory=dict)
    snapshot: str | None = None
    expect: dict[str, Expectation] = Field(default_factory=dict)
    error: str | None = Field(None, description="Expect this error code instead of a result.")


class ProtocolSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    version: str = Field(pattern=SEMVER_PATTERN)
    title: str = ""
    description: str = ""
    parameters: dict[str, Parameter] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    outputs: dict[str, OutputSpec] = Field(default_factory=dict)
    tests: list[ProtocolTest] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> "ProtocolSpec":
        known = set(self.parameters)
        for step in self.steps:
            if step.id in known:
                raise ValueError(f"step id {step.id!r} is already used by a parameter or an earlier step")
            for key, value in step.with_.items():
                for ref in references_in(value):
                    if ref.split(".", 1)[0] not in known:
                        raise ValueError(
                            f"step {step.id!r}, argument {key!r}: ${ref} is neither a parameter nor an "
                            f"earlier step; known: {', '.join(sorted(known)) or 'none'}"
                        )
            known.add(step.id)
        return self

    @property
    def key(self) -> str:
        return f"{self.name}@{self.version}"

    def version_tuple(self) -> tuple[int, ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[int, ...]:
    core = re.split(r"[-+]", version, maxsplit=1)[0]
    # A pre-release sorts before its release: 1.0.0-rc1 < 1.0.0.
    return (*map(int, core.split(".")), 0 if "-" in version else 1)


_REF = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)$")


def reference_of(text: str) -> str | None:
    """The name a ``$name`` / ``$step.output`` string refers to, else None."""
    match = _REF.match(text)
    return match.group(1) if match else None


def references_in(value: Any) -> list[str]:
    """``$name`` references inside a step argument (strings, lists, dicts).

    One pass over the value; a list or dict met again (shared, as YAML aliases or Python
    callers can make) is not walked again, so the cost is linear in the distinct values."""
    found: list[str] = []
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            ref = reference_of(item)
            if ref is not None:
                found.append(ref)
        elif isinstance(item, (list, dict)) and id(item) not in seen:
            seen.add(id(item))
            pending.extend(reversed(list(item.values() if isinstance(item, dict) else item)))
    return found


@dataclass
class LoadedProtocol:
    spec: ProtocolSpec
    file: Path


@dataclass
class ProtocolCatalog:
    """Every protocol version found in a folder, plus the files that failed to load."""

    versions: dict[str, list[LoadedProtocol]] = field(default_factory=dict)  # newest first
    problems: dict[str, str] = field(default_factory=dict)  # file -> error message

    def names(self) -> list[str]:
        return sorted(self.versions)

    def latest(self) -> list[LoadedProtocol]:
        return [self.versions[n][0] for n in self.names()]

    def get(self, ref: str) -> LoadedProtocol:
        """``name`` (newest version) or ``name@version``."""
        name, _, version = ref.partition("@")
        candidates = self.versions.get(name)
        if not candidates:
            broken = [f for f in self.problems if Path(f).stem == name or Path(f).stem.startswith(name + "@")]
            if broken:
                raise ManifestError(self.problems[broken[0]], details={"file": broken[0]})
            raise ProtocolNotFoundError(
                f"No protocol {name!r}; protocols: {', '.join(self.names()) or 'none'}",
                details={"protocol": name, "allowed": self.names()},
            )
        if not version:
            return candidates[0]
        for candidate in candidates:
            if candidate.spec.version == version:
                return candidate
        raise ProtocolNotFoundError(
            f"Protocol {name!r} has no version {version}; versions: {', '.join(c.spec.version for c in candidates)}",
            details={"protocol": name, "version": version, "allowed": [c.spec.version for c in candidates]},
        )


def text_cohorts(step: Step, plugin: PluginSpec, model: Model, entity: Any = None) -> dict[str, str | None]:
    """Arguments of ``step`` that are cohorts written as text -> the entity each one filters:
    the entity it is named after, else the step's entity (``with: {entity: ...}`` or its
    ``query``); None when the step does not say. ``entity`` is the step's resolved entity
    when it runs."""
    literal = [k for k, v in step.with_.items() if isinstance(v, str) and reference_of(v) is None]
    if not literal:
        return {}
    step_entity = entity if entity is not None else step.with_.get("entity", step.query)
    known = step_entity if isinstance(step_entity, str) and step_entity in model.entities else None
    return {name: name if name in model.entities else known for name in cohort_arguments(plugin, literal, model)}


def _text_cohort_problems(step: Step, plugin: PluginSpec, model: Model) -> list[str]:
    """Text cohorts in a step that cannot be bound: no entity to filter, or a bad expression."""
    step_entity = step.with_.get("entity")
    if isinstance(step_entity, str) and reference_of(step_entity) is not None:
        return []  # the entity is a parameter: checked when the protocol runs
    problems = []
    for name, entity in text_cohorts(step, plugin, model).items():
        if entity is None:
            problems.append(
                f"argument {name!r}: a cohort written as text needs the step's entity; add entity: <name> "
                f"to with (entities: {', '.join(model.entities)})"
            )
            continue
        try:
            cohort_from_value(unescaped(step.with_[name]), entity, model.entities[entity], parameter=name)
        except DataProductError as exc:
            problems.append(f"argument {name!r}: {exc.message}")
    return problems


def unescaped(text: str) -> str:
    """A literal step value: ``$$`` stands for one ``$``."""
    return text[1:] if text.startswith("$$") else text


def load_protocol_file(file: Path, model: Model, callables: dict[str, PluginSpec]) -> ProtocolSpec:
    data = read_yaml_mapping(file)
    spec: ProtocolSpec = validate_model(ProtocolSpec, data, file)
    problems = []
    for name, parameter in spec.parameters.items():
        try:
            check_against_model(name, parameter, model)
        except ValueError as exc:
            problems.append(f"parameters.{name}: {exc}")
    for index, step in enumerate(spec.steps):
        if step.callable_name not in callables:
            problems.append(
                f"steps.{index}: {step.callable_name!r} is not a built-in algorithm or a plugin; "
                f"available: {', '.join(sorted(callables))}"
            )
            continue
        problems += [f"steps.{index} ({step.id}), {p}" for p in _text_cohort_problems(step, callables[step.callable_name], model)]
    if problems:
        raise ManifestError(
            f"{file}: {len(problems)} problem(s):\n" + "\n".join(f"  - {p}" for p in problems),
            details={"file": str(file), "problems": problems},
        )
    return spec


def load_protocols(folder: Path, model: Model, callables: dict[str, PluginSpec]) -> ProtocolCatalog:
    catalog = ProtocolCatalog()
    if not folder.is_dir():
        return catalog
    seen: dict[str, Path] = {}
    for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
        try:
            spec = load_protocol_file(file, model, callables)
        except ManifestError as exc:
            catalog.problems[str(file)] = exc.message
            continue
        except Exception as exc:  # noqa: BLE001 - whatever breaks one file must not break the others
            catalog.problems[str(file)] = f"{file}: could not be loaded ({type(exc).__name__}: {_first_line(exc)})"
            continue
        if spec.key in seen:
            catalog.problems[str(file)] = f"{file}: {spec.key} is also defined in {seen[spec.key].name}"
            continue
        seen[spec.key] = file
        catalog.versions.setdefault(spec.name, []).append(LoadedProtocol(spec, file))
    for versions in catalog.versions.values():
        versions.sort(key=lambda p: p.spec.version_tuple(), reverse=True)
    return catalog


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else "no message"
