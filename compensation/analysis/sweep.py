r"""Parameter sweeps over Cartesian grids, vectorised or in parallel (MODEL.md §8).

The numpy backend hands the grid to the function as array-valued :class:`Parameters` (every
payoff, threshold and solver in this library broadcasts), at most ``chunk_size`` points a call
so that the function's temporaries stay bounded whatever the grid. Functions that cannot take
arrays are evaluated point by point, in chunks, in this process, on a local process pool or on
a Dask cluster. The result holds the whole grid (8 bytes a point); a grid too large to hold
is streamed to a CSV or Parquet file, chunk by chunk, by
:func:`~compensation.analysis.stream.stream_sweep`.
"""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._optional import require
from .._validation import check_choice
from ..exceptions import SweepError
from ..model.parameters import Parameters
from ._parallel import (
    Dask,
    Failure,
    GridResults,
    Problem,
    Processes,
    eval_chunk,
    run_parallel,
)
from .grid import (
    VECTOR_CHUNK,
    axis_arrays,
    blocks,
    conform,
    describe_point,
    grid_axes,
    point_at,
    too_large,
    validate_grid,
)
from .sweep_result import SweepResult

__all__ = ["SweepResult", "sweep"]  # SweepResult keeps its old import path

BACKENDS = ("numpy", "processes", "dask")
#: Default limit on the memory of the result array, in bytes (2 GiB).
MAX_BYTES = 2**31


@dataclass
class _Run:
    """One sweep under way: the function, its grid, the results so far and a progress bar."""

    fn: Callable[[Parameters], ArrayLike]
    base: Parameters
    axes: dict[str, NDArray[np.float64]]
    backend: str
    results: GridResults
    bar: Any = None

    @property
    def shape(self) -> tuple[int, ...]:
        return self.results.shape

    def advance(self, points: int) -> None:
        if self.bar is not None:
            self.bar.update(points)

    def record(
        self, points: range, values: list[NDArray[Any]], failure: Failure | None
    ) -> Problem | None:
        """Store a chunk's values; the problem it met, if any."""
        self.results.store(points.start, values, self.axes)
        self.advance(len(values))
        if failure is None:
            return None
        at, exc = failure
        if at is None:  # the chunk as a whole failed: name its unfinished points
            return Problem(points.start + len(values), len(points) - len(values), exc, False)
        return Problem(points.start + at, 1, exc, False)

    def result(self, *, vectorised: bool, reason: str = "") -> SweepResult:
        message = f"all {self.results.n:,} points evaluated"
        values = self.results.result()
        return SweepResult(values, self.axes, self.backend, vectorised, reason, True, message)


# ----- the public function -----------------------------------------------------------------
def sweep(
    fn: Callable[[Parameters], ArrayLike],
    grid: Mapping[str, ArrayLike],
    *,
    base: Parameters | None = None,
    backend: str = "numpy",
    vectorised: bool | None = None,
    progress: bool = False,
    chunk_size: int | None = None,
    workers: int | None = None,
    client: Any = None,
    timeout: float | None = None,
    max_bytes: float | None = MAX_BYTES,
) -> SweepResult:
    r"""Evaluate ``fn`` over the Cartesian product of named parameter arrays.

    Parameters
    ----------
    fn : callable
        Function of :class:`Parameters` returning a number or array for each point. For the
        numpy backend it should broadcast over array-valued parameters (all library functions
        do), returning one value per grid point: an output of another shape is an error, not
        broadcast (a reduction such as ``np.mean`` would otherwise be copied to every point).
    grid : mapping of str to array_like
        Parameter name → 1-D values, in the parameter's unit; the result has one axis per
        entry, in this order.
    base : Parameters, optional
        Values of the parameters not swept (default :class:`Parameters` ()).
    backend : {"numpy", "processes", "dask"}
        ``"numpy"`` evaluates the grid in vectorised calls when ``fn`` broadcasts, otherwise
        point by point in this process; ``"processes"`` uses a local process pool (``fn`` must
        pickle: a module-level ``def``); ``"dask"`` maps chunks over a ``dask.distributed``
        client (``client=`` or a new local cluster).
    vectorised : bool or None, default None
        For the numpy backend: True requires ``fn`` to broadcast (its errors propagate); False
        evaluates point by point; None tries the first chunk vectorised and falls back to
        points, recording why in ``fallback_reason``. A ``MemoryError`` never falls back.
    progress : bool, default False
        Show a progress bar over points (needs tqdm).
    chunk_size : int, optional
        Points per chunk, ≥ 1. Vectorised, ``fn`` sees at most this many points a call
        (default :data:`VECTOR_CHUNK`, 1,048,576), which bounds its temporaries. Point by
        point, a chunk is the unit sent to a worker (default: about four chunks per worker,
        at most 1,024 points; 1 when ``timeout`` is given).
    workers : int, optional
        Processes for the ``"processes"`` backend (default: CPU count); workers of the local
        cluster for ``"dask"`` (default 2).
    client : dask.distributed.Client, optional
        Cluster to use with ``backend="dask"``.
    timeout : float, optional
        Seconds (wall clock), > 0, one chunk may take on a worker, counted from when it is
        handed over (each worker holds one chunk at a time; a new process pool's start-up
        counts against the first chunks). Without ``chunk_size``, chunks are single points,
        so this is a per-point limit and the error names the point. Backends ``"processes"``
        and ``"dask"`` only: a point evaluated in this process cannot be stopped safely. The
        process pool is terminated; on a Dask cluster the task is cancelled, but a point stuck
        in a worker thread holds it until the worker restarts (``client.restart()``).
    max_bytes : float or None, default 2**31 (2 GiB)
        Largest memory the result array may take, in bytes. The grid is refused before any
        evaluation if 8 bytes a point exceed it, and after the first chunk if the actual
        output does; None lifts the limit.

    Returns
    -------
    SweepResult
        The values on the grid, with how they were computed.

    Raises
    ------
    ValueError
        Unknown or invalid grid values; an unknown ``backend``; ``chunk_size``, ``timeout``
        or ``max_bytes`` out of range, or ``timeout`` with the numpy backend; an output whose
        shape is not the grid's; a grid whose results would exceed ``max_bytes`` (the message
        gives the estimate).
    TypeError
        A grid axis that is not numeric; ``fn`` does not pickle with ``backend="processes"``.
    SweepError
        ``fn`` failed at a point, or a chunk exceeded ``timeout``. The error names the point
        (its parameter values and grid index) and carries every finished result (no new
        chunk starts after a failure, but those running on other workers may finish):
        ``.partial`` is a :class:`SweepResult` with NaN where nothing was computed and
        ``.completed`` the grid-shaped mask of finished points. (Vectorised, an error in the
        first call propagates as it is, or falls back to points; an error in a later chunk
        names that chunk.)
    MemoryError
        The vectorised calls or the results do not fit in memory; the message suggests a
        smaller ``chunk_size`` or grid.
    ImportError
        ``progress=True`` without tqdm, or ``backend="dask"`` without dask.distributed.

    Notes
    -----
    The grid is the product :math:`\prod_i A_i` of the axes :math:`A_i`; ``values[i, j, …]``
    is ``fn`` at :math:`(A_0[i], A_1[j], \dots)` with the other parameters from ``base``.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import sweep, threshold_subsidy
    >>> r = sweep(threshold_subsidy, {"price": np.linspace(0, 0.1, 3),
    ...                               "readiness_cost": [0.0, 400.0]})
    >>> r.values.round(3).tolist()
    [[0.214, inf], [0.164, inf], [inf, inf]]
    >>> r
    SweepResult(values=[[0.214, inf], [0.164, inf], [inf, inf]],
                axes={'price': [0.0, 0.05, 0.1], 'readiness_cost': [0.0, 400.0]},
                backend='numpy', vectorised=True, fallback_reason='', success=True,
                message='all 6 points evaluated')

    A failed point keeps the results before it:

    >>> from compensation.exceptions import SweepError
    >>> def fragile(p):
    ...     if p.price > 0.06:
    ...         raise ValueError("no data for this price")
    ...     return float(threshold_subsidy(p))
    >>> try:
    ...     sweep(fragile, {"price": [0.0, 0.05, 0.1]}, vectorised=False)
    ... except SweepError as err:
    ...     print(err.point, err.partial.values.round(3).tolist())
    {'price': 0.1} [0.214, 0.164, nan]
    """
    check_choice("backend", backend, BACKENDS)
    _check_options(backend, chunk_size=chunk_size, timeout=timeout, max_bytes=max_bytes)
    base = Parameters() if base is None else base
    axes = _checked_axes(grid, base, max_bytes)
    if backend == "processes":
        _check_pickles(fn)
    shape = tuple(a.size for a in axes.values())
    bar = (
        require("tqdm").tqdm(total=math.prod(shape), desc="sweep", unit="pt") if progress else None
    )
    run = _Run(fn, base, axes, backend, GridResults(shape, max_bytes), bar)
    try:
        reason = ""
        if backend == "numpy" and vectorised is not False:
            limit = chunk_size or VECTOR_CHUNK
            reason = _vectorised(run, limit=limit, fall_back=vectorised is None)
            if not reason:
                return run.result(vectorised=True)
        problem = _points(
            run, chunk_size=chunk_size, workers=workers, client=client, timeout=timeout
        )
        if problem is not None:
            _fail(run, problem, vectorised=False, reason=reason, timeout=timeout)
        return run.result(vectorised=False, reason=reason)
    finally:
        if bar is not None:
            bar.close()


# ----- checks --------------------------------------------------------------------------------
def _check_options(
    backend: str, *, chunk_size: int | None, timeout: float | None, max_bytes: float | None
) -> None:
    if chunk_size is not None and (
        isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1
    ):
        raise ValueError(f"chunk_size must be a whole number ≥ 1 (points); got {chunk_size!r}")
    if timeout is not None:
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be finite and > 0 (seconds); got {timeout!r}")
        if backend == "numpy":
            raise ValueError(
                "timeout needs backend='processes' or 'dask': a point evaluated in this "
                "process cannot be stopped safely"
            )
    if max_bytes is not None and not (max_bytes > 0):
        raise ValueError(f"max_bytes must be > 0 (bytes) or None; got {max_bytes!r}")


def _checked_axes(
    grid: Mapping[str, ArrayLike], base: Parameters, max_bytes: float | None
) -> dict[str, NDArray[np.float64]]:
    """The grid's axes: names and shapes, then the size, then every value (which allocates)."""
    axes = grid_axes(grid, base)
    oversize = too_large(tuple(a.size for a in axes.values()), max_bytes)
    if oversize is not None:
        raise ValueError(oversize)
    validate_grid(base, axes)
    return axes


def _check_pickles(fn: Callable[[Parameters], ArrayLike]) -> None:
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise TypeError(
            "fn must pickle for backend='processes' (a module-level def, not a lambda or "
            f"a local function); {type(exc).__name__}: {exc}"
        ) from exc


# ----- evaluation ----------------------------------------------------------------------------
def _vectorised(run: _Run, *, limit: int, fall_back: bool) -> str:
    """Evaluate the grid in blocks of at most ``limit`` points a call.

    Returns "" when every block was evaluated, or why the first call failed when
    ``fall_back`` allows evaluating point by point instead (otherwise its error propagates).
    """
    for number, block in enumerate(blocks(run.shape, limit)):
        start = int(np.ravel_multi_index([s.start for s in block], run.shape)) if run.shape else 0
        size = math.prod(s.stop - s.start for s in block)
        try:
            out = np.asarray(run.fn(run.base.replace(**axis_arrays(run.axes, block))))
        except MemoryError as exc:
            raise MemoryError(
                f"evaluating fn on {size:,} points at once ran out of memory; pass a "
                f"smaller chunk_size (points a call, now {limit:,}) or use fewer points"
            ) from exc
        except Exception as exc:
            if number > 0:
                _fail(run, Problem(start, size, exc, False), vectorised=True)
            if not fall_back:
                raise
            return f"{type(exc).__name__}: {exc}"
        out = conform(out, run.fn, run.base, run.axes, run.shape, block=block)
        run.results.put(start, out.reshape((size, *out.shape[len(run.shape) :])))
        run.advance(size)
    return ""


def _points(
    run: _Run,
    *,
    chunk_size: int | None,
    workers: int | None,
    client: Any,
    timeout: float | None,
) -> Problem | None:
    """Evaluate point by point, in chunks; the earliest problem met, if any."""
    n = run.results.n
    slots = workers or os.cpu_count() or 1
    size = chunk_size or (1 if timeout is not None else max(1, min(1024, n // (4 * slots))))
    chunks = (range(i, min(i + size, n)) for i in range(0, n, size))
    args = (run.fn, run.base, run.axes, run.shape)
    if run.backend == "numpy":
        for points in chunks:
            problem = run.record(points, *eval_chunk(*args, points))
            if problem is not None:
                return problem
        return None
    runner = Processes(workers) if run.backend == "processes" else Dask(client, workers)
    return run_parallel(runner, args, chunks, timeout=timeout, on_done=run.record)


def _fail(
    run: _Run,
    problem: Problem,
    *,
    vectorised: bool,
    reason: str = "",
    timeout: float | None = None,
) -> NoReturn:
    """Raise :class:`SweepError` for the problem's points, keeping the results."""
    start, size, cause, timed_out = problem
    index, point = point_at(run.axes, run.shape, start)
    where = f"at {describe_point(point)} (grid index {index})"
    if size > 1:
        _, last = point_at(run.axes, run.shape, start + size - 1)
        where = (
            f"on the chunk of {size:,} points from {describe_point(point)} (grid index {index}) to "
            f"{describe_point(last)}"
        )
    if isinstance(cause, MemoryError):
        raise MemoryError(
            f"fn ran out of memory {where}; use fewer workers, a smaller chunk_size or fewer points"
        ) from cause
    if timed_out:
        what = f"fn did not finish within timeout={timeout:g} s {where}"
        if size > 1:
            what += " (the timeout is per chunk: pass chunk_size=1 to find the point)"
    else:
        what = f"fn failed {where}: {type(cause).__name__}: {cause}"
    values, completed = run.results.partial()
    message = (
        f"{what}; the {int(completed.sum()):,} of {run.results.n:,} results finished are in "
        "the error's .partial (NaN where not computed)"
    )
    partial = SweepResult(
        values, dict(run.axes), run.backend, vectorised, reason, success=False, message=message
    )
    raise SweepError(
        message,
        point=point,
        index=index,
        partial=partial,
        completed=completed,
        timed_out=timed_out,
    ) from cause
