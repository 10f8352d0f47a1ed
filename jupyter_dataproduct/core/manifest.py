"""``dataproduct.yaml``: the manifest that defines a product, and how it is loaded.

Loading turns every problem into a :class:`ManifestError` that names the file, the key
path (``model.entities.patients.columns.age.type``) and what is allowed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import ManifestError
from .model import NAME_PATTERN, Model
from .sources import SourceSpec
from .storage import CREDENTIALS_HELP, SnapshotStorage
from .yaml_files import read_yaml_mapping

MANIFEST_FILE = "dataproduct.yaml"
SEMVER_PATTERN = r"^\d{1,9}\.\d{1,9}\.\d{1,9}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$"


class Owner(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    email: str = ""


class Manifest(BaseModel):
    """The whole of ``dataproduct.yaml``."""

    model_config = ConfigDict(extra="forbid", title="dataproduct.yaml")

    name: str = Field(pattern=NAME_PATTERN, description="Short machine name, lower_snake_case.")
    version: str = Field(pattern=SEMVER_PATTERN, description="Semantic version of the product, e.g. 1.2.0.")
    title: str = ""
    description: str = ""
    owners: list[Owner] = Field(default_factory=list)
    license: str = ""
    sources: dict[str, SourceSpec] = Field(min_length=1)
    model: Model
    protocols: str = Field("protocols", description="Folder of protocol YAML files.")
    plugins: str = Field("plugins", description="Folder of Python and R plugins.")
    snapshots: SnapshotStorage = Field(default_factory=SnapshotStorage,
                                       description="Where snapshots are published (local folder or s3://...).")

    @field_validator("version", mode="before")
    @classmethod
    def _version_as_text(cls, value: Any) -> Any:
        # YAML reads `version: 1.0` as a number; report it against the semver pattern.
        return str(value) if isinstance(value, (int, float)) else value

    @field_validator("protocols", "plugins")
    @classmethod
    def _folder_inside(cls, value: str) -> str:
        # Plugins are code the product runs: they come from the product's own repository.
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError(f"{value!r} must be a folder inside the product (a relative path without '..')")
        return value

    @field_validator("owners", mode="before", json_schema_input_type=list[Owner | str])
    @classmethod
    def _owner_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"name": v} if isinstance(v, str) else v for v in value]
        return value

    @model_validator(mode="after")
    def _entities_use_known_sources(self) -> "Manifest":
        for name, entity in self.model.entities.items():
            if entity.source not in self.sources:
                raise ValueError(
                    f"entity {name!r} reads source {entity.source!r}, which is not defined; "
                    f"defined sources: {sorted(self.sources)}"
                )
        return self

    def config_for_hash(self) -> dict[str, Any]:
        """The part of the manifest that shapes snapshot content (not the prose)."""
        return {
            # allow_outside permits a path; it does not change what is read
            "sources": {k: v.model_dump(exclude={"description", "allow_outside"}) for k, v in self.sources.items()},
            "model": self.model.model_dump(
                exclude={"entities": {"__all__": {"title", "description"}}}
            ),
        }


def manifest_json_schema() -> dict[str, Any]:
    """JSON Schema of ``dataproduct.yaml``, for editors and validation elsewhere."""
    schema = Manifest.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def load_manifest(folder: Path) -> Manifest:
    """Read and validate ``folder/dataproduct.yaml``."""
    file = Path(folder) / MANIFEST_FILE
    data = read_yaml_mapping(file)
    return validate_model(Manifest, data, file)


def validate_model(cls: type[BaseModel], data: dict[str, Any], file: Path) -> Any:
    """Validate ``data`` against ``cls``; raise one ManifestError listing every problem."""
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        problems = [_describe_problem(error) for error in exc.errors()]
        lines = "\n".join(f"  - {p['path'] or '(top level)'}: {p['message']}" for p in problems)
        raise ManifestError(
            f"{file}: {len(problems)} problem(s):\n{lines}",
            details={"file": str(file), "problems": problems},
        ) from None


def _describe_problem(error: dict[str, Any]) -> dict[str, Any]:
    # Drop pydantic's internal steps (union tags, validator names) from the path so it
    # reads as the key path a person typed.
    path = [str(p) for p in error["loc"] if not _is_internal_step(p)]
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "literal_error":
        message = message.replace("Input should be", "expected one of")
    elif error["type"] == "union_tag_invalid":
        ctx = error.get("ctx", {})
        key = str(ctx.get("discriminator", "kind")).strip("'")
        message = f"{key} {ctx.get('tag')!r} is not allowed; expected one of {ctx.get('expected_tags')}"
    elif error["type"] == "extra_forbidden":
        message = "unknown key (check the spelling; see `dataproduct schema` for allowed keys)"
    elif error["type"] == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        text = repr(error["input"])
        message = f"{text if len(text) <= 80 else text[:76] + '...'} does not match the required pattern {pattern}"
    elif error["type"] == "missing":
        message = "required key is missing"
    given = "(not shown: it may hold a secret)" if CREDENTIALS_HELP in message else _short(error.get("input"))
    return {"path": ".".join(path), "message": message, "input": given}


def _is_internal_step(step: Any) -> bool:
    return isinstance(step, str) and (
        step in {"csv", "parquet", "json", "ndjson", "sqlite", "postgres"} or "[" in step or step.startswith("function-")
    )


def _short(value: Any) -> Any:
    try:
        text = json.dumps(value, default=str)
    except (TypeError, ValueError):
        text = repr(value)
    return value if len(text) <= 80 else text[:77] + "..."
