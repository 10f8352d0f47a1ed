"""Sources: where a product's raw data comes from, and how to read each kind.

Every source reads into a polars ``LazyFrame``. Database sources run exactly one
statement: the configured ``query``, or a ``SELECT *`` of a configured table whose
name is quoted as an identifier. No other text reaches a database.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import polars as pl
from pydantic import BaseModel, ConfigDict, Field, model_validator

from .errors import MissingDependencyError, SourceError
from .hashing import sha256_file

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$")


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = ""


class _InFolder(BaseModel):
    """A source read from a file: inside the product folder unless the owner opts out."""

    path: str = Field(description="File path, relative to the product folder.")
    allow_outside: bool = Field(
        False, description="Allow a path outside the product folder (absolute, '..' or a symlink out); "
                           "`dataproduct validate` lists such sources.",
    )

    def file(self, root: Path) -> Path:
        """The file, symlinks resolved; a SourceError if it lies outside ``root`` and may not."""
        folder = Path(root).resolve()
        file = (folder / self.path).resolve()
        if not self.allow_outside and not file.is_relative_to(folder):
            raise SourceError(
                f"Source path {self.path!r} leads outside the product folder; sources are read from inside it. "
                "If the product's owner means it, add allow_outside: true to this source.",
                details={"path": self.path},
            )
        return file


class _FileSource(_Source, _InFolder):

    def fingerprint(self, root: Path) -> str:
        return "sha256:" + sha256_file(self._existing_file(root))

    def _existing_file(self, root: Path) -> Path:
        file = self.file(root)
        if not file.is_file():
            raise SourceError(
                f"Source file {self.path!r} does not exist (looked in {file}).",
                details={"path": str(file)},
            )
        return file


class CsvSource(_FileSource):
    kind: Literal["csv"]
    separator: str = Field(",", min_length=1, max_length=1)
    null_values: list[str] = Field(default_factory=lambda: ["", "NA"])
    encoding: Literal["utf8", "utf8-lossy"] = "utf8"

    def scan(self, root: Path) -> pl.LazyFrame:
        return pl.scan_csv(
            self._existing_file(root),
            separator=self.separator,
            null_values=self.null_values,
            encoding=self.encoding,
            infer_schema_length=10_000,
        )


class ParquetSource(_FileSource):
    kind: Literal["parquet"]

    def scan(self, root: Path) -> pl.LazyFrame:
        return pl.scan_parquet(self._existing_file(root))


class JsonSource(_FileSource):
    """A JSON array of records (``kind: json``) or one record per line (``kind: ndjson``)."""

    kind: Literal["json", "ndjson"]

    def scan(self, root: Path) -> pl.LazyFrame:
        file = self._existing_file(root)
        if self.kind == "ndjson":
            return pl.scan_ndjson(file)
        return pl.read_json(file).lazy()


class _DatabaseSource(_Source):
    table: str | None = Field(None, description="A table (optionally schema.table) to read whole.")
    query: str | None = Field(None, description="One SELECT statement, written by the product owner.")

    @model_validator(mode="after")
    def _table_or_query(self) -> "_DatabaseSource":
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of 'table' or 'query'")
        if self.table is not None and not _IDENTIFIER.match(self.table):
            raise ValueError(
                f"table {self.table!r} is not a plain identifier "
                "(letters, digits and _; optionally schema.table)"
            )
        return self

    def fingerprint(self, root: Path) -> str:
        # A database has no file to hash: hash the rows themselves, so the snapshot id
        # still changes exactly when the data does.
        frame = self.scan(root).collect()
        return "sha256:" + hash_frame(frame)


class SqliteSource(_DatabaseSource, _InFolder):
    kind: Literal["sqlite"]

    def _statement(self) -> str:
        if self.query is not None:
            return self.query
        return "SELECT * FROM " + ".".join(f'"{part}"' for part in self.table.split("."))

    def scan(self, root: Path) -> pl.LazyFrame:
        file = self.file(root)
        if not file.is_file():
            raise SourceError(f"SQLite database {self.path!r} does not exist (looked in {file}).")
        # Read-only: building a snapshot never writes to a source, and the query can reach
        # no other database (ATTACH would open, even create, any file).
        try:
            conn = sqlite3.connect(file.as_uri() + "?mode=ro", uri=True)
            try:
                conn.set_authorizer(_refuse_attach)
                return pl.read_database(self._statement(), conn).lazy()
            finally:
                conn.close()
        except (sqlite3.Error, pl.exceptions.PolarsError) as exc:
            raise SourceError(f"SQLite source {self.path!r} failed: {exc}") from exc


def _refuse_attach(action: int, *_: object) -> int:
    return sqlite3.SQLITE_DENY if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH) else sqlite3.SQLITE_OK


class PostgresSource(_DatabaseSource):
    kind: Literal["postgres"]
    url: str | None = Field(None, description="postgresql:// connection URL.")
    url_env: str | None = Field(
        None, description="Name of an environment variable holding the URL (keeps passwords out of YAML)."
    )

    @model_validator(mode="after")
    def _url_or_env(self) -> "PostgresSource":
        if (self.url is None) == (self.url_env is None):
            raise ValueError("give exactly one of 'url' or 'url_env'")
        return self

    def _connection_url(self) -> str:
        if self.url is not None:
            return self.url
        value = os.environ.get(self.url_env or "")
        if not value:
            raise SourceError(
                f"Environment variable {self.url_env} is not set; it should hold the "
                "postgresql:// URL of this source."
            )
        return value

    def _statement(self) -> Any:
        from psycopg import sql

        if self.query is not None:
            return self.query
        return sql.SQL("SELECT * FROM {}").format(sql.Identifier(*self.table.split(".")))

    def scan(self, root: Path) -> pl.LazyFrame:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingDependencyError(
                "Reading PostgreSQL needs psycopg: pip install 'jupyter-dataproduct[postgres]'"
            ) from exc
        try:
            with psycopg.connect(self._connection_url(), connect_timeout=10) as conn:
                with conn.cursor() as cur:
                    cur.execute(self._statement())
                    names = [d.name for d in cur.description]
                    rows = cur.fetchall()
        except psycopg.Error as exc:
            raise SourceError(f"PostgreSQL source failed: {exc}".strip()) from exc
        return pl.DataFrame(rows, schema=names, orient="row", infer_schema_length=None).lazy()


SourceSpec = Annotated[
    Union[CsvSource, ParquetSource, JsonSource, SqliteSource, PostgresSource],
    Field(discriminator="kind"),
]

SOURCE_KINDS = ("csv", "parquet", "json", "ndjson", "sqlite", "postgres")


def hash_frame(frame: pl.DataFrame) -> str:
    """sha256 of a frame's content, stable across runs (Arrow IPC, uncompressed)."""
    import io

    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    return hashlib.sha256(buffer.getvalue()).hexdigest()
