r"""Sweeps streamed to a file, chunk by chunk, with memory bounded by the chunk size.

:func:`sweep` returns the whole grid of results, 8 bytes a point; a grid of 10⁸ points or
more is better written to disk as it is computed. :func:`stream_sweep` evaluates the grid in
chunks of at most ``chunk_size`` points (vectorised, or point by point on a process pool or a
Dask cluster), writes each chunk as rows of a CSV file or a row group of a Parquet file, and
renames the file into place only when every row is written: an interrupted run never leaves
a truncated file under the final name. A grid whose file would not fit on the disk is
refused before anything runs, with the estimated size.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._optional import require
from .._results import Result
from .._validation import check_choice
from ..exceptions import SweepError
from ..model.parameters import Parameters
from ._parallel import Dask, Failure, Problem, Processes, run_parallel
from .files import (
    FORMATS,
    TableWriter,
    check_disk,
    estimate_bytes,
    parquet_module,
    replace_when_done,
)
from .grid import (
    VECTOR_CHUNK,
    axis_arrays,
    blocks,
    conform,
    describe_point,
    grid_axes,
    point_at,
    validate_grid,
)

__all__ = ["StreamResult", "stream_sweep"]


@dataclass(frozen=True)
class StreamResult(Result):
    """What :func:`stream_sweep` wrote.

    Attributes
    ----------
    path : str
        The file, complete.
    rows : int
        Grid points written, one row each.
    columns : tuple of str
        The axes, then the outputs.
    format : str
        ``"csv"`` or ``"parquet"``.
    nbytes : int
        Size of the file in bytes.
    chunk_size : int
        Largest number of points evaluated and held at once (per worker).
    backend : str
        ``"numpy"``, ``"processes"`` or ``"dask"`` (also ``method``).
    """

    path: str
    rows: int
    columns: tuple[str, ...]
    format: str
    nbytes: int
    chunk_size: int
    backend: str

    @property
    def method(self) -> str:
        """The backend, under the name every result uses for how it was computed."""
        return self.backend


Outputs = Mapping[str, Callable[[Parameters], ArrayLike]]


class PointOutputs:
    """All outputs at one point as one array (picklable when the functions are)."""

    def __init__(self, fns: Sequence[Callable[[Parameters], ArrayLike]]) -> None:
        self.fns = list(fns)

    def __call__(self, p: Parameters) -> NDArray[np.float64]:
        return np.array([float(np.asarray(f(p))) for f in self.fns])


def _vectorised_chunks(
    outputs: Outputs, base: Parameters, axes: dict[str, NDArray[np.float64]], limit: int
) -> Iterator[list[NDArray[Any]]]:
    shape = tuple(a.size for a in axes.values())
    for block in blocks(shape, limit):
        p = base.replace(**axis_arrays(axes, block))
        coords = np.meshgrid(*(a[s] for a, s in zip(axes.values(), block)), indexing="ij")
        columns = [c.ravel() for c in coords]
        for fn in outputs.values():
            value = conform(np.asarray(fn(p)), fn, base, axes, shape, block=block)
            columns.append(np.broadcast_to(value, coords[0].shape).ravel())
        yield columns


def _write_parallel(
    outputs: Outputs,
    base: Parameters,
    axes: dict[str, NDArray[np.float64]],
    limit: int,
    *,
    runner: Any,
    write: Callable[[list[NDArray[Any]]], None],
) -> None:
    """Chunks from a pool written in grid order; at most one waiting chunk per worker."""
    shape = tuple(a.size for a in axes.values())
    n = math.prod(shape)
    chunks = (range(i, min(i + limit, n)) for i in range(0, n, limit))
    fn = PointOutputs(list(outputs.values()))
    waiting: dict[int, list[NDArray[Any]]] = {}
    next_start = 0

    def on_done(points: range, values: list[NDArray[Any]], failure: Failure | None) -> Any:
        nonlocal next_start
        if failure is not None:
            at = failure[0]
            return Problem(points.start + (len(values) if at is None else at), 1, failure[1], False)
        idx = np.unravel_index(np.arange(points.start, points.stop), shape)
        out = np.stack(values).reshape(len(points), -1)
        cols = [a[i] for a, i in zip(axes.values(), idx)]
        waiting[points.start] = cols + [out[:, k] for k in range(out.shape[1])]
        while next_start in waiting:  # chunks finish out of order; the file is in order
            block = waiting.pop(next_start)
            write(block)
            next_start += block[0].size
        return None

    # Chunks that finished ahead of a slow one wait in memory: stop handing out new ones
    # while as many wait as there are workers, so memory stays a few chunks per worker.
    problem = run_parallel(
        runner,
        (fn, base, axes, shape),
        chunks,
        timeout=None,
        on_done=on_done,
        hold=lambda: len(waiting) >= runner.slots,
    )
    if problem is not None:
        _raise_point(axes, shape, problem)


def _raise_point(
    axes: dict[str, NDArray[np.float64]], shape: tuple[int, ...], problem: Problem
) -> None:
    index, point = point_at(axes, shape, problem.start)
    cause = problem.cause
    raise SweepError(
        f"fn failed at {describe_point(point)} (grid index {index}): "
        f"{type(cause).__name__}: {cause}; the file was not written",
        point=point,
        index=index,
        partial=None,
        completed=np.zeros(shape, bool),
    ) from cause


def _check_chunk(chunk_size: int) -> None:
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a whole number ≥ 1 (points); got {chunk_size!r}")


def stream_sweep(
    outputs: Outputs | Callable[[Parameters], ArrayLike],
    grid: Mapping[str, ArrayLike],
    path: str | os.PathLike[str],
    *,
    base: Parameters | None = None,
    format: str = "csv",
    chunk_size: int = VECTOR_CHUNK,
    backend: str = "numpy",
    workers: int | None = None,
    client: Any = None,
    progress: bool = False,
) -> StreamResult:
    r"""Evaluate outputs over a Cartesian grid and write them to a file, chunk by chunk.

    Parameters
    ----------
    outputs : callable or mapping of str to callable
        Functions of :class:`Parameters`, one column each (a single callable is the column
        ``value``). With ``backend="numpy"`` they must broadcast over array-valued
        parameters and return one number per point; otherwise they get one point at a time
        and must pickle (module-level functions).
    grid : mapping of str to array_like
        Parameter name → 1-D values, in the parameter's unit; rows in C order (the last
        axis varies fastest).
    path : path-like
        The file to write; replaced only when complete.
    base : Parameters, optional
        Values of the parameters not swept (default :class:`Parameters` ()).
    format : {"csv", "parquet"}
        CSV (10 significant digits) or Parquet (float64, one row group a chunk; needs
        pyarrow: ``pip install 'compensation[parquet]'``).
    chunk_size : int, default 1,048,576
        Points evaluated and held at once, ≥ 1 (per worker for the parallel backends): the
        memory bound, about a few hundred bytes a point whatever the grid's size.
    backend : {"numpy", "processes", "dask"}
        Vectorised in this process, or point by point on a local process pool or a Dask
        cluster (``client=`` or a new local one).
    workers : int, optional
        Processes (default: CPU count) or local Dask workers (default 2).
    client : dask.distributed.Client, optional
        Cluster to use with ``backend="dask"``.
    progress : bool, default False
        Show a progress bar over rows (needs tqdm).

    Returns
    -------
    StreamResult
        The file written, its rows, columns and size.

    Raises
    ------
    ValueError
        Unknown or invalid grid values, format, backend or ``chunk_size``; an output without
        one value per point; an output directory that does not exist.
    OSError
        The file would not fit on the disk (the estimate at :func:`estimate_bytes` is in the
        message), checked before anything runs.
    SweepError
        An output failed at a point, named in the message (the file is not written).
    ImportError
        ``format="parquet"`` without pyarrow; ``backend="dask"`` without dask.distributed.

    Notes
    -----
    Memory is :math:`O(\text{chunk\_size} \times (\text{axes} + \text{outputs}))`, not
    :math:`O(\prod_i |A_i|)`: a chunk is evaluated, written and dropped before the next.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from compensation.analysis.stream import stream_sweep
    >>> from compensation.policy.thresholds import threshold_subsidy
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "g.csv"
    >>> r = stream_sweep({"g_star": threshold_subsidy}, {"price": [0.0, 0.05]}, out)
    >>> r.rows, r.columns
    (2, ('price', 'g_star'))
    >>> print(out.read_text().strip())
    price,g_star
    0,0.214
    0.05,0.164
    """
    check_choice("format", format, FORMATS)
    check_choice("backend", backend, ("numpy", "processes", "dask"))
    _check_chunk(chunk_size)
    fns: dict[str, Callable[[Parameters], ArrayLike]] = (
        {"value": outputs} if callable(outputs) else dict(outputs)
    )
    if not fns:
        raise ValueError("outputs must name at least one function")
    if format == "parquet":
        parquet_module()  # before any work: a missing extra is a mistake
    base = Parameters() if base is None else base
    axes = grid_axes(grid, base)
    rows = math.prod(a.size for a in axes.values())
    columns = (*axes, *fns)
    target = Path(path)
    check_disk(target, estimate_bytes(rows, len(columns), format))
    validate_grid(base, axes)
    bar = require("tqdm").tqdm(total=rows, desc="sweep", unit="row") if progress else None

    def write(chunk: list[NDArray[Any]]) -> None:
        writer.write(chunk)
        if bar is not None:
            bar.update(chunk[0].size)

    with replace_when_done(target) as tmp:
        writer = TableWriter(tmp, columns, format)
        try:
            if backend == "numpy":
                for chunk in _vectorised_chunks(fns, base, axes, chunk_size):
                    write(chunk)
            else:
                runner = Processes(workers) if backend == "processes" else Dask(client, workers)
                _write_parallel(fns, base, axes, chunk_size, runner=runner, write=write)
        finally:
            writer.close()
            if bar is not None:
                bar.close()
    nbytes = target.stat().st_size
    return StreamResult(str(target), rows, columns, format, nbytes, chunk_size, backend)
