"""Client-wide options (the magics set them from their traitlets config)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ..core.errors import ParameterError

if TYPE_CHECKING:  # polars loads with the first frame, not with %load_ext
    import polars as pl


@dataclass
class Options:
    frame_library: Literal["polars", "pandas"] = "polars"
    display_max_rows: int = 10
    chart_svg: bool = True  # an SVG copy of each chart, when vl-convert is installed
    engine: str = ""  # "" lets DATAPRODUCT_ENGINE or the manifest choose; else polars, spark-local[N], sc://...
    # Bounds of each table in the JupyterLab app bundle (Arrow, saved in the notebook).
    bundle_max_rows: int = 100_000
    bundle_max_bytes: int = 5_000_000


options = Options()


def as_frame(frame: pl.DataFrame, library: str | None = None) -> Any:
    """A real polars or pandas frame, as configured."""
    library = library or options.frame_library
    if library == "polars":
        return frame
    if library == "pandas":
        return frame.to_pandas()
    raise ParameterError(f"frame_library {library!r} is not supported; use 'polars' or 'pandas'.")
