"""Sweeps streamed to CSV or Parquet: same values as sweep(), bounded memory, atomic files."""

import time
import tracemalloc
from collections import namedtuple

import numpy as np
import pytest

from compensation import _optional
from compensation.analysis import files
from compensation.analysis.files import estimate_bytes
from compensation.analysis.stream import stream_sweep
from compensation.analysis.sweep import sweep
from compensation.exceptions import SweepError
from compensation.policy.thresholds import threshold_price, threshold_subsidy

GRID = {"price": np.linspace(0, 0.1, 7), "readiness_cost": [0.0, 1.0, 5.0]}


def read_csv(path):
    return np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)


def slow_first(p):
    # The first chunk finishes last, so a pool returns chunks out of order.
    if float(p.price) == 0.0:
        time.sleep(0.3)
    return threshold_subsidy(p)


def fails_at_high_price(p):
    if float(p.price) > 0.06:
        raise ValueError("no data for this price")
    return threshold_subsidy(p)


def test_csv_rows_are_the_grid_in_c_order_with_sweeps_values(tmp_path):
    out = tmp_path / "g.csv"
    r = stream_sweep({"g": threshold_subsidy, "w": threshold_price}, GRID, out, chunk_size=2)
    table = read_csv(out)
    assert r.rows == 21 and r.columns == ("price", "readiness_cost", "g", "w")
    whole = sweep(threshold_subsidy, GRID).values.ravel()
    assert table[:, 2] == pytest.approx(whole, rel=1e-9)
    mesh = np.meshgrid(*GRID.values(), indexing="ij")
    assert table[:, 0] == pytest.approx(mesh[0].ravel()) and r.nbytes == out.stat().st_size


def test_parquet_has_one_row_group_per_chunk(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "g.parquet"
    r = stream_sweep(threshold_subsidy, GRID, out, format="parquet", chunk_size=6)
    table = pq.read_table(out)
    assert table.column_names == ["price", "readiness_cost", "value"]
    assert np.asarray(table["value"]) == pytest.approx(
        sweep(threshold_subsidy, GRID).values.ravel()
    )
    # blocks of whole rows of the last axis: 6 // 3 = 2 prices a block, 7 prices
    assert pq.ParquetFile(out).num_row_groups == 4 and r.format == "parquet"


def test_processes_write_the_same_file_in_order(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    stream_sweep({"g": threshold_subsidy}, GRID, a)
    r = stream_sweep({"g": slow_first}, GRID, b, backend="processes", workers=2, chunk_size=2)
    assert a.read_text() == b.read_text() and r.backend == "processes"


def test_a_failed_point_is_named_and_leaves_no_file(tmp_path):
    out = tmp_path / "g.csv"
    out.write_text("old")
    with pytest.raises(SweepError, match="price=0.06666666667") as err:
        stream_sweep(fails_at_high_price, GRID, out, backend="processes", workers=2, chunk_size=4)
    assert err.value.point["price"] == pytest.approx(0.1 / 1.5)
    assert out.read_text() == "old" and not list(tmp_path.glob(".*.part"))


def test_an_interrupted_stream_keeps_the_previous_file(tmp_path):
    out = tmp_path / "g.csv"
    out.write_text("old")
    calls = []

    def interrupted(p):
        calls.append(1)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return threshold_subsidy(p)

    with pytest.raises(KeyboardInterrupt):
        stream_sweep(interrupted, GRID, out, chunk_size=3)
    assert out.read_text() == "old" and not list(tmp_path.glob(".*.part"))


def test_a_grid_too_large_for_the_disk_is_refused_before_it_starts(tmp_path, monkeypatch):
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(files.shutil, "disk_usage", lambda d: usage(10**6, 0, 10**6))
    big = {"price": np.linspace(0, 0.1, 1000), "subsidy": np.linspace(0, 1, 1000)}
    with pytest.raises(OSError, match=r"about 22\.9 MiB.*976\.6 KiB free"):
        stream_sweep(threshold_subsidy, big, tmp_path / "g.parquet", format="parquet")
    assert list(tmp_path.iterdir()) == []
    assert estimate_bytes(10**6, 3, "parquet") == 24_000_000
    assert estimate_bytes(10**6, 3, "csv") == 39_000_000


def test_memory_stays_bounded_by_the_chunk_size(tmp_path):
    pytest.importorskip("pyarrow")
    grid = {"price": np.linspace(0, 0.04, 2000), "subsidy": np.linspace(0, 1, 2000)}
    stream_sweep(threshold_subsidy, GRID, tmp_path / "warm.parquet", format="parquet")  # imports
    tracemalloc.start()
    try:
        stream_sweep(
            threshold_subsidy, grid, tmp_path / "g.parquet", format="parquet", chunk_size=2**15
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 4 million points: 92 MiB traced with the grid in one chunk; 1.5 MiB in chunks of 2**15.
    assert peak < 8 * 2**20, peak


def test_bad_options_are_named(tmp_path):
    with pytest.raises(ValueError, match="format"):
        stream_sweep(threshold_subsidy, GRID, tmp_path / "g.csv", format="xlsx")
    with pytest.raises(ValueError, match="chunk_size"):
        stream_sweep(threshold_subsidy, GRID, tmp_path / "g.csv", chunk_size=0)
    with pytest.raises(ValueError, match="does not exist"):
        stream_sweep(threshold_subsidy, GRID, tmp_path / "no" / "g.csv")
    with pytest.raises(ValueError, match="is a directory"):
        stream_sweep(threshold_subsidy, GRID, tmp_path)
    with pytest.raises(ValueError, match="at least one"):
        stream_sweep({}, GRID, tmp_path / "g.csv")


def test_parquet_without_pyarrow_names_the_extra(tmp_path, monkeypatch):
    def missing(module):  # the extra is not installed
        raise ImportError(module)

    monkeypatch.setattr(_optional.importlib, "import_module", missing)
    with pytest.raises(ImportError, match=r"compensation\[parquet\]"):
        stream_sweep(threshold_subsidy, GRID, tmp_path / "g.parquet", format="parquet")
    assert list(tmp_path.iterdir()) == []
