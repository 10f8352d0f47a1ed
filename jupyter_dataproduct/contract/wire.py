"""What travels over HTTP: JSON documents, tables as Arrow IPC streams.

Shared by the server and the remote client; it imports no web framework.

**Results** (``POST .../protocols/{ref}/run`` and friends) are one JSON document::

    {"provenance": {...}, "values": {...}, "charts": {"name": <Vega-Lite spec>},
     "tables": {"name": {"rows": 20, "columns": ["variable", ...],
                         "media_type": "application/vnd.apache.arrow.stream",
                         "encoding": "base64", "data": "<Arrow IPC stream, base64>"}}}

Tables keep their order (the first is the main table). With ``?tables=json`` a table
carries ``"records": [{...}, ...]`` instead of ``data``. Result tables are small
(statistics, curves); large extracts go through the frames endpoint, which streams.

**Frames** (``.../entities/{entity}/frame``) are a raw Arrow IPC stream
(``application/vnd.apache.arrow.stream``), one record batch per chunk of rows, or CSV,
JSON (an array of row objects) or NDJSON on request. An Arrow frame's buffers may be
compressed with one of the IPC format's codecs (``lz4``, ``zstd``) when, and only when, the
request names it: ``?compression=lz4,zstd,none`` lists what the client can read, best
first; the answer's ``X-Dataproduct-Compression`` header says what was used (``none``:
plain IPC, which every Arrow reader can read, apache-arrow JS included). Without the
parameter the stream is plain. A whole entity (no ``where``, ``columns``, ``join`` or
``limit``) may also come as the snapshot's own Parquet file (``application/vnd.apache.parquet``,
``?format=parquet`` or that type in the Accept header), sent as it is with a
``Content-Length``: several times fewer bytes than even LZ4 IPC, decoded on every core.

Floats that are not finite travel as the JS/Python literals ``NaN``/``Infinity`` in JSON
(Python's ``json`` reads them); in Arrow they are plain IEEE values.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import io
import json
from pathlib import Path
from typing import Any

import polars as pl

from ..core.result import Result

ARROW_STREAM = "application/vnd.apache.arrow.stream"
JSON = "application/json"
NDJSON = "application/x-ndjson"
CSV = "text/csv"
PARQUET = "application/vnd.apache.parquet"

COMPRESSION_PARAM = "compression"
COMPRESSION_HEADER = "X-Dataproduct-Compression"
ARROW_CODECS = ("lz4", "zstd", "none")  # "none": plain IPC


def parse_compression(text: str | None) -> list[str]:
    """The codecs a ``compression`` value lists, best first (``["none"]`` when absent); a
    :class:`ValueError` naming the allowed ones for anything else."""
    if text is None or not text.strip():
        return ["none"]
    codecs = [part.strip().lower() for part in text.split(",") if part.strip()]
    unknown = [codec for codec in codecs if codec not in ARROW_CODECS]
    if unknown or not codecs:
        raise ValueError(f"compression lists codecs among {', '.join(ARROW_CODECS)} (best first, comma-separated), "
                         f"not {text[:50]!r}.")
    return codecs


def json_default(value: Any) -> Any:
    """JSON for the few non-JSON values results and metadata hold."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, pl.DataFrame):
        return value.to_dicts()
    if isinstance(value, pl.Series):
        return value.to_list()
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy arrays
        return value.tolist()
    return str(value)


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=json_default, separators=(",", ":")).encode()


# -- tables ---------------------------------------------------------------------------------


def table_to_ipc(frame: pl.DataFrame) -> bytes:
    """A whole (small) table as one Arrow IPC stream."""
    buffer = io.BytesIO()
    frame.write_ipc_stream(buffer, compat_level=pl.CompatLevel.oldest())
    return buffer.getvalue()


def table_from_ipc(data: bytes) -> pl.DataFrame:
    return pl.read_ipc_stream(io.BytesIO(data))


def encode_table(frame: pl.DataFrame, tables: str = "arrow") -> dict[str, Any]:
    payload: dict[str, Any] = {"rows": frame.height, "columns": frame.columns}
    if tables == "json":
        payload["records"] = frame.to_dicts()
        payload["schema"] = column_schema(frame)  # rows lose their types; clients without Arrow (R) read them here
    else:
        payload.update(media_type=ARROW_STREAM, encoding="base64", data=base64.b64encode(table_to_ipc(frame)).decode("ascii"))
    return payload


def column_schema(frame: pl.DataFrame) -> dict[str, dict[str, Any]]:
    """Each column's model type (int, float, string, bool, date, datetime, category, other);
    categories with their levels in order."""
    schema: dict[str, dict[str, Any]] = {}
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Enum):
            schema[name] = {"type": "category", "levels": dtype.categories.to_list()}
        elif isinstance(dtype, pl.Categorical):
            schema[name] = {"type": "category", "levels": sorted(frame[name].drop_nulls().unique().cast(pl.String).to_list())}
        else:
            schema[name] = {"type": _MODEL_TYPES.get(dtype.base_type(), "other")}
    return schema


_MODEL_TYPES: dict[Any, str] = {
    **{t: "int" for t in (pl.Int8, pl.Int16, pl.Int32, pl.Int64, pl.UInt8, pl.UInt16, pl.UInt32, pl.UInt64)},
    pl.Float32: "float", pl.Float64: "float", pl.String: "string", pl.Boolean: "bool", pl.Date: "date",
    pl.Datetime: "datetime",
}


def decode_table(payload: dict[str, Any]) -> pl.DataFrame:
    if "records" in payload:
        return pl.DataFrame(payload["records"], schema=payload.get("columns"), infer_schema_length=None)
    return table_from_ipc(base64.b64decode(payload["data"]))


# -- results --------------------------------------------------------------------------------


def encode_result(result: Result, tables: str = "arrow") -> dict[str, Any]:
    return {
        "provenance": result.provenance,
        "values": result.values,
        "charts": result.charts,
        "tables": {name: encode_table(frame, tables) for name, frame in result.tables.items()},
    }


def decode_result(payload: dict[str, Any]) -> Result:
    return Result(
        provenance=payload["provenance"],
        tables={name: decode_table(table) for name, table in payload.get("tables", {}).items()},
        values=payload.get("values", {}),
        charts=payload.get("charts", {}),
    )

