"""Where a product's snapshots live: the manifest's ``snapshots:`` block.

::

    snapshots:
      url: s3://bucket/products/actg175   # object storage; without it: the local .dataproduct/ folder
      part_rows: 1000000                  # rows per Parquet part of an entity

Only the location is written here. Credentials, the endpoint and the region come from the
environment or the standard AWS configuration (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``,
``AWS_ENDPOINT_URL``, ``~/.aws/...``): a manifest is shared and versioned, so a key written
in it would leak. A block that holds one is refused, saying where it belongs.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

OBJECT_STORE_PART_ROWS = 1_000_000  # default in object storage: every part is one PUT with a whole-file SHA-256
S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(?P<prefix>[^?#@]*))?\Z")
_CREDENTIAL_WORDS = ("key", "secret", "token", "password", "credential", "session")
CREDENTIALS_HELP = (
    "credentials never go in dataproduct.yaml (it is shared and versioned); set AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, ~/.aws/credentials, an instance role) in the environment "
    "of whoever builds or serves the product"
)


class SnapshotStorage(BaseModel):
    """Where snapshots are published and how entities are cut into files."""

    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(
        None, description="s3://bucket/prefix: publish and read snapshots in S3-compatible object storage "
                          "(endpoint and credentials from the environment). Without it: the local .dataproduct/ folder.",
    )
    part_rows: int | None = Field(
        None, ge=1000,
        description=f"Rows per Parquet part: a larger entity is written as several files. Default: "
                    f"{OBJECT_STORE_PART_ROWS:,} in object storage, one file per entity locally.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_credentials(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in value:
                if any(word in str(key).lower() for word in _CREDENTIAL_WORDS):
                    raise ValueError(f"{key!r}: {CREDENTIALS_HELP}")
        return value

    @field_validator("url")
    @classmethod
    def _s3_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().rstrip("/")
        if "@" in text or "?" in text:
            raise ValueError(f"{_redacted(text)} carries more than a location: {CREDENTIALS_HELP}")
        if not S3_URL.match(text):
            raise ValueError(
                f"{text!r} is not an object storage location; write s3://bucket/prefix (a bucket name of "
                "3-63 lower-case letters, digits, '.' or '-')"
            )
        return text

    @property
    def in_object_storage(self) -> bool:
        return self.url is not None

    def rows_per_part(self) -> int | None:
        """Rows per Parquet part (None: one file per entity)."""
        if self.part_rows is not None:
            return self.part_rows
        return OBJECT_STORE_PART_ROWS if self.in_object_storage else None


def _redacted(url: str) -> str:
    """The URL without what may be a secret (user info, query)."""
    scheme, _, rest = url.partition("://")
    host_and_path = rest.rsplit("@", 1)[-1].split("?", 1)[0]
    return repr(f"{scheme}://<hidden>@{host_and_path}" if "@" in rest else f"{scheme}://{host_and_path}?<hidden>")
