"""A full disk is one DiskFullError, whether Python, polars or pyarrow met it (a real tmpfs, filled)."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from jupyter_dataproduct.core.disk import is_full_disk, reporting_full_disk
from jupyter_dataproduct.core.errors import DiskFullError


@pytest.fixture
def full(small_disk, tmp_path):
    disk = small_disk(tmp_path / "disk", "1m")
    disk.fill(leave=0)
    return disk


def test_python_and_polars_writes_on_a_full_disk_are_recognised(full):
    with pytest.raises(OSError) as python_error:
        (full.path / "x.txt").write_bytes(b"x" * 100_000)
    assert is_full_disk(python_error.value)
    with pytest.raises(pl.exceptions.PolarsError) as polars_error:
        pl.DataFrame({"a": np.arange(200_000)}).write_parquet(full.path / "x.parquet")
    assert is_full_disk(polars_error.value)
    assert not is_full_disk(ValueError("no space for doubt"))


def test_reporting_full_disk_names_what_was_written(full):
    with pytest.raises(DiskFullError) as caught:
        with reporting_full_disk("the report"):
            (full.path / "x.txt").write_bytes(b"x" * 100_000)
    assert caught.value.http_status == 507 and caught.value.code == "disk_full"
    assert caught.value.message.startswith("The disk is full: the report could not be written.")
    with pytest.raises(KeyError):
        with reporting_full_disk("anything"):
            raise KeyError("other errors pass through")
