r"""Parameter sweeps over Cartesian grids, vectorised or in parallel (MODEL.md §8).

The numpy backend hands the grid to the function as array-valued :class:`Parameters` (every
payoff, threshold and solver in this library broadcasts), at most ``chunk_size`` points a call
so that the function's temporaries stay bounded whatever the grid. Functions that cannot take
arrays are evaluated point by point, in chunks, in this process, on a local process pool or on
a Dask cluster.
"""

from __future__ import annotations

import asyncio
import math
import os
import pickle
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from dataclasses import dataclass, field
from typing import Any, NamedTuple, NoReturn

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._optional import require
from .._validation import check_choice
from ..exceptions import SweepError
from ..model.parameters import Parameters
from .grid import (
    VECTOR_CHUNK,
    axis_arrays,
    blocks,
    conform,
    describe_point,
    format_size,
    grid_axes,
    point_at,
    too_large,
    validate_grid,
)

__all__ = ["SweepResult", "sweep"]

BACKENDS = ("numpy", "processes", "dask")
#: Default limit on the memory of the result array, in bytes (2 GiB).
MAX_BYTES = 2**31

Failure = tuple[int | None, BaseException]


class Problem(NamedTuple):
    """Points ``start`` to ``start + size`` failed (with ``cause``) or timed out."""

    start: int
    size: int
    cause: BaseException | None
    timed_out: bool


@dataclass(frozen=True)
class SweepResult:
    """Values of a function over a Cartesian grid of parameters.

    Attributes
    ----------
    values : ndarray
        Shape ``tuple(len(a) for a in axes.values())`` (plus any trailing output shape).
    axes : dict of str to ndarray
        The grid, in axis order.
    backend : str
        How it was computed.
    vectorised : bool
        True when ``fn`` received array-valued parameters, False when it ran point by point.
    fallback_reason : str
        Why a vectorised attempt fell back to points ("" when it did not).
    """

    values: NDArray[Any]
    axes: dict[str, NDArray[np.float64]]
    backend: str
    vectorised: bool = field(default=True)
    fallback_reason: str = ""

    def to_frame(self) -> Any:
        """Long table with one column per grid axis and a ``value`` column (needs pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:
            # The extra is called "frame", not "pandas" (setup.cfg).
            raise ImportError(
                "pandas is needed for to_frame(); install it with: "
                "pip install 'compensation[frame]'"
            ) from exc
        mesh = np.meshgrid(*self.axes.values(), indexing="ij")
        data = {name: m.ravel() for name, m in zip(self.axes, mesh)}
        vals = self.values.reshape(mesh[0].size, -1) if mesh else self.values.reshape(1, -1)
        if vals.shape[1] == 1:
            data["value"] = vals[:, 0]
        else:
            for k in range(vals.shape[1]):
                data[f"value_{k}"] = vals[:, k]
        return pd.DataFrame(data)


# ----- grid helpers ---------------------------------------------------------------------------
class _Results:
    """Grid-shaped results filled by contiguous runs of points, allocated at the first run."""

    def __init__(self, shape: tuple[int, ...], max_bytes: float | None) -> None:
        self.shape = shape
        self.n = math.prod(shape)
        self.max_bytes = max_bytes
        self.values: NDArray[Any] | None = None
        self.done = np.zeros(self.n, dtype=bool)

    def put(self, start: int, part: NDArray[Any]) -> None:
        if self.values is None:
            nbytes = self.n * math.prod(part.shape[1:]) * part.dtype.itemsize
            if self.max_bytes is not None and nbytes > self.max_bytes:
                raise ValueError(
                    f"the results need {format_size(nbytes)} ({self.n:,} points × "
                    f"{math.prod(part.shape[1:])} value(s) × {part.dtype.itemsize} bytes), over "
                    f"max_bytes = {format_size(self.max_bytes)}; use fewer points, split the grid "
                    "into several sweeps, or raise max_bytes"
                )
            try:
                self.values = np.empty((self.n, *part.shape[1:]), part.dtype)
            except MemoryError as exc:
                raise MemoryError(
                    f"the results ({format_size(nbytes)}) do not fit in memory; use fewer "
                    "points or split the grid into several sweeps"
                ) from exc
        elif part.shape[1:] != self.values.shape[1:]:
            raise ValueError(
                f"fn's output changed shape across the grid: {self.values.shape[1:]} per point "
                f"before position {start:,}, then {part.shape[1:]}"
            )
        wider = np.result_type(self.values.dtype, part.dtype)
        if wider != self.values.dtype:
            self.values = self.values.astype(wider)
        stop = start + part.shape[0]
        self.values[start:stop] = part
        self.done[start:stop] = True

    def result(self) -> NDArray[Any]:
        assert self.values is not None  # every sweep evaluates at least one point
        return self.values.reshape(self.shape + self.values.shape[1:])

    def partial(self) -> tuple[NDArray[Any], NDArray[np.bool_]]:
        """Finished values as float (NaN elsewhere) and the grid-shaped mask of finished ones."""
        if self.values is None:
            values: NDArray[Any] = np.full(self.n, np.nan)
        else:
            try:
                values = self.values.astype(float)
            except (TypeError, ValueError):
                values = self.values.astype(object)
            values[~self.done] = np.nan
        return values.reshape(self.shape + values.shape[1:]), self.done.reshape(self.shape)


# ----- point-by-point evaluation ----------------------------------------------------------
def _eval_chunk(
    fn: Callable[[Parameters], ArrayLike],
    base: Parameters,
    axes: Mapping[str, NDArray[np.float64]],
    shape: tuple[int, ...],
    points: range,
) -> tuple[list[NDArray[Any]], Failure | None]:
    """Values at consecutive points; on an error, those before it and (position, error)."""
    out: list[NDArray[Any]] = []
    for flat in points:
        _, point = point_at(axes, shape, flat)
        try:
            out.append(np.asarray(fn(base.replace(**point))))
        except Exception as exc:
            return out, (len(out), exc)
    return out, None


def _store(results: _Results, start: int, values: list[NDArray[Any]], axes: Any) -> None:
    if not values:
        return
    first = results.values.shape[1:] if results.values is not None else values[0].shape
    at = next((i for i, v in enumerate(values) if v.shape != first), None)
    if at is not None:
        _, point = point_at(axes, results.shape, start + at)
        raise ValueError(
            f"fn returned shape {values[at].shape} at {describe_point(point)} but {first} before: "
            "every point must give the same shape"
        )
    results.put(start, np.stack(values))


class _Processes:
    """A local process pool that can be abandoned with a hung point in it."""

    def __init__(self, workers: int | None) -> None:
        self.slots = workers or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(max_workers=self.slots)

    def submit(self, *args: Any) -> Any:
        return self.pool.submit(_eval_chunk, *args)

    def wait(self, futures: list[Any], timeout: float | None) -> Iterable[Any]:
        return wait_futures(futures, timeout, FIRST_COMPLETED).done

    def close(self, failed: bool, running: list[Any]) -> None:
        if not failed:
            self.pool.shutdown()
            return
        # A hung point never returns, and shutdown (or interpreter exit) would wait for it:
        # its process must be ended. Python 3.14 has terminate_workers(); before it only the
        # executor's private process table reaches them.
        terminate = getattr(self.pool, "terminate_workers", None)
        if terminate is not None:
            terminate()  # also shuts the pool down
            return
        processes = list((getattr(self.pool, "_processes", None) or {}).values())
        self.pool.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.terminate()
        for proc in processes:
            proc.join(5)


class _Dask:
    """A dask.distributed client: the caller's, or a local cluster closed afterwards."""

    def __init__(self, client: Any, workers: int | None) -> None:
        self.distributed = require("dask.distributed")
        self.own = client is None
        # ":0" picks a free port for the dashboard: None still binds 8787, which a second
        # cluster on the machine finds taken (a warning, an error under -W error).
        self.client = (
            self.distributed.Client(
                processes=True, n_workers=workers or 2, threads_per_worker=1, dashboard_address=":0"
            )
            if self.own
            else client
        )
        self.slots = max(1, sum(self.client.nthreads().values()))

    def submit(self, *args: Any) -> Any:
        return self.client.submit(_eval_chunk, *args, pure=False)

    def wait(self, futures: list[Any], timeout: float | None) -> Iterable[Any]:
        try:
            return self.distributed.wait(
                futures, timeout=timeout, return_when="FIRST_COMPLETED"
            ).done
        except (TimeoutError, asyncio.TimeoutError):
            return ()

    def close(self, failed: bool, running: list[Any]) -> None:
        if failed and running:
            self.client.cancel(running)
        if self.own:
            self.client.close()


def _parallel(
    runner: _Processes | _Dask,
    args: tuple[Any, ...],
    chunks: Iterator[range],
    timeout: float | None,
    on_done: Callable[[range, list[NDArray[Any]], Failure | None], Problem | None],
) -> Problem | None:
    """Keep every worker busy with one chunk; return the earliest failure, if any.

    After a failure no new chunk starts, but chunks already running may finish (within their
    deadlines), so that every result a worker is computing is kept.
    """
    # One chunk per worker slot, so a chunk starts as it is handed over and its deadline can
    # count from then; it also bounds the memory held by queued chunks.
    running: dict[Any, tuple[range, float]] = {}
    problems: list[Problem] = []
    abandoned: list[Any] = []
    failed = True
    try:
        while True:
            while not problems and len(running) < runner.slots:
                points = next(chunks, None)
                if points is None:
                    break
                deadline = math.inf if timeout is None else time.monotonic() + timeout
                running[runner.submit(*args, points)] = (points, deadline)
            if not running:
                break
            wait = None
            if timeout is not None:
                wait = max(0.0, min(d for _, d in running.values()) - time.monotonic())
            for fut in runner.wait(list(running), wait):
                points, _ = running.pop(fut)
                try:
                    values, failure = fut.result()
                except Exception as exc:  # the worker died, or a result did not pickle
                    values, failure = [], (None, exc)
                problem = on_done(points, values, failure)
                if problem is not None:
                    problems.append(problem)
            now = time.monotonic()
            for fut, (points, deadline) in list(running.items()):
                if deadline <= now:
                    del running[fut]  # abandoned: its worker is ended or cancelled below
                    problems.append(Problem(points.start, len(points), None, True))
                    abandoned.append(fut)
        failed = bool(problems)
    finally:
        runner.close(failed, list(running) + abandoned)
    return min(problems, key=lambda p: p.start) if problems else None


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
        Parameter name → 1-D values; the result has one axis per entry, in this order.
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
        Points per chunk. Vectorised, ``fn`` sees at most this many points a call (default
        :data:`VECTOR_CHUNK`, 1,048,576), which bounds its temporaries. Point by point, a chunk
        is the unit sent to a worker (default: about four chunks per worker, at most 1,024
        points; 1 when ``timeout`` is given).
    workers : int, optional
        Processes for the ``"processes"`` backend (default: CPU count); workers of the local
        cluster for ``"dask"`` (default 2).
    client : dask.distributed.Client, optional
        Cluster to use with ``backend="dask"``.
    timeout : float, optional
        Seconds (wall clock) one chunk may take on a worker, counted from when it is handed
        over (each worker holds one chunk at a time; a new process pool's start-up counts
        against the first chunks). Without ``chunk_size``, chunks are single points, so this
        is a per-point limit and the error names the point. Backends ``"processes"`` and
        ``"dask"`` only: a point evaluated in this process cannot be stopped safely. The
        process pool is terminated; on a Dask cluster the task is cancelled, but a point stuck
        in a worker thread holds it until the worker restarts (``client.restart()``).
    max_bytes : float or None, default 2**31 (2 GiB)
        Largest memory the result array may take. The grid is refused before any evaluation
        if 8 bytes a point exceed it, and after the first chunk if the actual output does;
        None lifts the limit.

    Returns
    -------
    SweepResult

    Raises
    ------
    ValueError
        Unknown or invalid grid values; an output whose shape is not the grid's; a grid whose
        results would exceed ``max_bytes`` (the message gives the estimate).
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

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import sweep, threshold_subsidy
    >>> r = sweep(threshold_subsidy, {"price": np.linspace(0, 0.1, 3),
    ...                               "readiness_cost": [0.0, 400.0]})
    >>> r.values.round(3).tolist()
    [[0.214, inf], [0.164, inf], [inf, inf]]

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
    base = Parameters() if base is None else base
    axes = grid_axes(grid, base)
    shape = tuple(a.size for a in axes.values())
    n = math.prod(shape)
    oversize = too_large(shape, max_bytes)
    if oversize is not None:
        raise ValueError(oversize)
    validate_grid(base, axes)
    if backend == "processes":
        try:
            pickle.dumps(fn)
        except Exception as exc:
            raise TypeError(
                "fn must pickle for backend='processes' (a module-level def, not a lambda or "
                f"a local function); {type(exc).__name__}: {exc}"
            ) from exc
    bar = require("tqdm").tqdm(total=n, desc="sweep", unit="pt") if progress else None
    results = _Results(shape, max_bytes)
    try:
        reason = ""
        if backend == "numpy" and vectorised is not False:
            limit = chunk_size or VECTOR_CHUNK
            for number, block in enumerate(blocks(shape, limit)):
                start = int(np.ravel_multi_index([s.start for s in block], shape)) if shape else 0
                size = math.prod(s.stop - s.start for s in block)
                try:
                    out = np.asarray(fn(base.replace(**axis_arrays(axes, block))))
                except MemoryError as exc:
                    raise MemoryError(
                        f"evaluating fn on {size:,} points at once ran out of memory; pass a "
                        f"smaller chunk_size (points a call, now {limit:,}) or use fewer points"
                    ) from exc
                except Exception as exc:
                    if number == 0 and vectorised is None:
                        reason = f"{type(exc).__name__}: {exc}"
                        break
                    if number == 0:
                        raise
                    _fail(results, axes, backend, True, "", start, None, exc, size)
                out = conform(out, fn, base, axes, shape, block)
                results.put(start, out.reshape((size, *out.shape[len(shape) :])))
                if bar is not None:
                    bar.update(size)
            else:
                return SweepResult(results.result(), axes, backend, True)

        def done(
            points: range, values: list[NDArray[Any]], failure: Failure | None
        ) -> Problem | None:
            _store(results, points.start, values, axes)
            if bar is not None:
                bar.update(len(values))
            if failure is None:
                return None
            at, exc = failure
            if at is None:  # the chunk as a whole failed: name its unfinished points
                return Problem(points.start + len(values), len(points) - len(values), exc, False)
            return Problem(points.start + at, 1, exc, False)

        slots = workers or os.cpu_count() or 1
        size = chunk_size or (1 if timeout is not None else max(1, min(1024, n // (4 * slots))))
        chunks = (range(i, min(i + size, n)) for i in range(0, n, size))
        problem = None
        if backend == "numpy":
            for points in chunks:
                problem = done(points, *_eval_chunk(fn, base, axes, shape, points))
                if problem is not None:
                    break
        else:
            runner = _Processes(workers) if backend == "processes" else _Dask(client, workers)
            problem = _parallel(runner, (fn, base, axes, shape), chunks, timeout, done)
        if problem is not None:
            start, size, cause, timed_out = problem
            _fail(
                results,
                axes,
                backend,
                False,
                reason,
                start,
                timeout if timed_out else None,
                cause,
                size,
            )
        return SweepResult(results.result(), axes, backend, False, reason)
    finally:
        if bar is not None:
            bar.close()


def _fail(
    results: _Results,
    axes: Mapping[str, NDArray[np.float64]],
    backend: str,
    vectorised: bool,
    reason: str,
    start: int,
    timeout: float | None,
    cause: BaseException | None,
    size: int,
) -> NoReturn:
    """Raise :class:`SweepError` for the ``size`` points from ``start``, keeping the results."""
    index, point = point_at(axes, results.shape, start)
    if size == 1:
        where = f"at {describe_point(point)} (grid index {index})"
    else:
        _, last = point_at(axes, results.shape, start + size - 1)
        where = (
            f"on the chunk of {size:,} points from {describe_point(point)} (grid index {index}) to "
            f"{describe_point(last)}"
        )
    if isinstance(cause, MemoryError):
        raise MemoryError(
            f"fn ran out of memory {where}; use fewer workers, a smaller chunk_size or fewer points"
        ) from cause
    if timeout is not None:
        what = f"fn did not finish within timeout={timeout:g} s {where}"
        if size > 1:
            what += " (the timeout is per chunk: pass chunk_size=1 to find the point)"
    else:
        what = f"fn failed {where}: {type(cause).__name__}: {cause}"
    values, completed = results.partial()
    finished = int(completed.sum())
    raise SweepError(
        f"{what}; the {finished:,} of {results.n:,} results finished are in the error's "
        ".partial (NaN where not computed)",
        point=point,
        index=index,
        partial=SweepResult(values, dict(axes), backend, vectorised, reason),
        completed=completed,
        timed_out=timeout is not None,
    ) from cause
