"""How a sweep runs: grid-shaped results, and chunks of points here or in parallel.

Private to :mod:`compensation.analysis.sweep`. The results fill in by contiguous runs of
points (C order), from vectorised blocks or from chunks evaluated point by point. A chunk is a
run of consecutive grid points; a worker evaluates one chunk at a time, so that a chunk's
deadline counts from when it is handed over and a hung point can be ended (the process pool's
worker is terminated, the Dask task cancelled).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor
from concurrent.futures import wait as wait_futures
from typing import Any, NamedTuple, Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._optional import require
from ..model.parameters import Parameters
from .grid import describe_point, format_size, point_at

#: How a chunk failed: the position of the failing point within it (None: the chunk as a
#: whole, e.g. a worker that died) and the exception.
Failure = tuple[int | None, BaseException]


class GridResults:
    """Grid-shaped results filled by contiguous runs of points, allocated at the first run."""

    def __init__(self, shape: tuple[int, ...], max_bytes: float | None) -> None:
        self.shape = shape
        self.n = math.prod(shape)
        self.max_bytes = max_bytes
        self.values: NDArray[Any] | None = None
        self.done = np.zeros(self.n, dtype=bool)

    def _allocate(self, part: NDArray[Any]) -> NDArray[Any]:
        nbytes = self.n * math.prod(part.shape[1:]) * part.dtype.itemsize
        if self.max_bytes is not None and nbytes > self.max_bytes:
            raise ValueError(
                f"the results need {format_size(nbytes)} ({self.n:,} points × "
                f"{math.prod(part.shape[1:])} value(s) × {part.dtype.itemsize} bytes), over "
                f"max_bytes = {format_size(self.max_bytes)}; use fewer points, split the grid "
                "into several sweeps, or raise max_bytes"
            )
        try:
            return np.empty((self.n, *part.shape[1:]), part.dtype)
        except MemoryError as exc:
            raise MemoryError(
                f"the results ({format_size(nbytes)}) do not fit in memory; use fewer "
                "points or split the grid into several sweeps"
            ) from exc

    def put(self, start: int, part: NDArray[Any]) -> None:
        if self.values is None:
            self.values = self._allocate(part)
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

    def store(
        self, start: int, values: list[NDArray[Any]], axes: Mapping[str, NDArray[np.float64]]
    ) -> None:
        """Put point-by-point values from position ``start``, checking that their shapes agree."""
        if not values:
            return
        first = self.values.shape[1:] if self.values is not None else values[0].shape
        at = next((i for i, v in enumerate(values) if v.shape != first), None)
        if at is not None:
            _, point = point_at(axes, self.shape, start + at)
            raise ValueError(
                f"fn returned shape {values[at].shape} at {describe_point(point)} but {first} "
                "before: every point must give the same shape"
            )
        self.put(start, np.stack(values))

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


class Problem(NamedTuple):
    """Points ``start`` to ``start + size`` failed (with ``cause``) or timed out."""

    start: int
    size: int
    cause: BaseException | None
    timed_out: bool


def eval_chunk(
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


class Runner(Protocol):
    """Where chunks run: a number of worker slots, submission, waiting and closing."""

    slots: int

    def submit(self, *args: Any) -> Any: ...

    def wait(self, futures: list[Any], timeout: float | None) -> Iterable[Any]: ...

    def close(self, failed: bool, running: list[Any]) -> None: ...


class Processes:
    """A local process pool that can be abandoned with a hung point in it."""

    def __init__(self, workers: int | None) -> None:
        self.slots = workers or os.cpu_count() or 1
        self.pool = ProcessPoolExecutor(max_workers=self.slots)

    def submit(self, *args: Any) -> Any:
        return self.pool.submit(eval_chunk, *args)

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


class Dask:
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
        return self.client.submit(eval_chunk, *args, pure=False)

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


OnDone = Callable[[range, list[NDArray[Any]], Failure | None], Problem | None]


def run_parallel(
    runner: Runner,
    args: tuple[Any, ...],
    chunks: Iterator[range],
    *,
    timeout: float | None,
    on_done: OnDone,
    hold: Callable[[], bool] | None = None,
) -> Problem | None:
    """Keep every worker busy with one chunk; return the earliest failure, if any.

    ``args`` are :func:`eval_chunk`'s arguments before the chunk's points; ``on_done`` takes
    each finished chunk (its points, values and failure) and returns a :class:`Problem` or
    None. After a failure no new chunk starts, but chunks already running may finish (within
    their deadlines), so that every result a worker is computing is kept. While ``hold()``
    is true no new chunk starts (a caller that writes chunks in order holds the pool back
    while too many finished chunks wait for a slow one).
    """
    # One chunk per worker slot, so a chunk starts as it is handed over and its deadline can
    # count from then; it also bounds the memory held by queued chunks.
    running: dict[Any, tuple[range, float]] = {}
    problems: list[Problem] = []
    abandoned: list[Any] = []
    failed = True
    try:
        while True:
            if not problems and not (hold is not None and running and hold()):
                _hand_out(runner, args, chunks, running, timeout)
            if not running:
                break
            for fut in runner.wait(list(running), _next_deadline(running)):
                points, _ = running.pop(fut)
                problem = on_done(points, *_outcome(fut))
                if problem is not None:
                    problems.append(problem)
            for fut, points in _overdue(running):
                problems.append(Problem(points.start, len(points), None, True))
                abandoned.append(fut)  # its worker is ended or its task cancelled below
        failed = bool(problems)
    finally:
        runner.close(failed, list(running) + abandoned)
    return min(problems, key=lambda p: p.start) if problems else None


def _hand_out(
    runner: Runner,
    args: tuple[Any, ...],
    chunks: Iterator[range],
    running: dict[Any, tuple[range, float]],
    timeout: float | None,
) -> None:
    """Submit chunks until every worker slot holds one (or the chunks run out)."""
    while len(running) < runner.slots:
        points = next(chunks, None)
        if points is None:
            return
        deadline = math.inf if timeout is None else time.monotonic() + timeout
        running[runner.submit(*args, points)] = (points, deadline)


def _next_deadline(running: dict[Any, tuple[range, float]]) -> float | None:
    """Seconds until the first running chunk is due (None: no deadline)."""
    first = min(deadline for _, deadline in running.values())
    return None if math.isinf(first) else max(0.0, first - time.monotonic())


def _outcome(fut: Any) -> tuple[list[NDArray[Any]], Failure | None]:
    try:
        values, failure = fut.result()
    except Exception as exc:  # the worker died, or a result did not pickle
        return [], (None, exc)
    return values, failure


def _overdue(running: dict[Any, tuple[range, float]]) -> list[tuple[Any, range]]:
    """Remove and return the chunks past their deadline."""
    now = time.monotonic()
    late = [(fut, points) for fut, (points, deadline) in running.items() if deadline <= now]
    for fut, _ in late:
        del running[fut]
    return late
