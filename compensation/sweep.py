r"""Parameter sweeps over Cartesian grids, vectorised or in parallel (MODEL.md §8).

The numpy backend hands the whole grid to the function as array-valued :class:`Parameters`
(every payoff, threshold and solver in this library broadcasts). Functions that cannot take
arrays are evaluated point by point, in chunks, on a local process pool or a Dask cluster.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._optional import require
from ._validation import check_choice, suggest
from .parameters import FIELDS, Parameters

__all__ = ["SweepResult", "sweep"]

BACKENDS = ("numpy", "processes", "dask")


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
    """

    values: NDArray[Any]
    axes: dict[str, NDArray[np.float64]]
    backend: str
    vectorised: bool = field(default=True)
    fallback_reason: str = ""

    def to_frame(self) -> Any:
        """Long table with one column per grid axis and a ``value`` column (needs pandas)."""
        pd = require("pandas")
        mesh = np.meshgrid(*self.axes.values(), indexing="ij")
        data = {name: m.ravel() for name, m in zip(self.axes, mesh)}
        vals = self.values.reshape(mesh[0].size, -1) if mesh else self.values.reshape(1, -1)
        if vals.shape[1] == 1:
            data["value"] = vals[:, 0]
        else:
            for k in range(vals.shape[1]):
                data[f"value_{k}"] = vals[:, k]
        return pd.DataFrame(data)


def _points(base: Parameters, axes: dict[str, NDArray], idx: NDArray) -> list[Parameters]:
    names = list(axes)
    out = []
    for flat in idx:
        coords = np.unravel_index(int(flat), tuple(len(a) for a in axes.values()))
        out.append(base.replace(**{n: float(axes[n][c]) for n, c in zip(names, coords)}))
    return out


def _eval_chunk(fn: Callable, base: Parameters, axes: dict, idx: NDArray) -> list:
    return [np.asarray(fn(q)) for q in _points(base, axes, idx)]


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
) -> SweepResult:
    r"""Evaluate ``fn`` over the Cartesian product of named parameter arrays.

    Parameters
    ----------
    fn : callable
        Function of :class:`Parameters` returning a number or array. For the numpy backend it
        should broadcast over array-valued parameters (all library functions do).
    grid : mapping of str to array_like
        Parameter name → 1-D values; the result has one axis per entry, in this order.
    base : Parameters, optional
        Values of the parameters not swept (default :class:`Parameters` ()).
    backend : {"numpy", "processes", "dask"}
        ``"numpy"`` evaluates the whole grid in one call when ``fn`` broadcasts, otherwise
        point by point in chunks; ``"processes"`` uses a local process pool; ``"dask"`` maps
        chunks over a ``dask.distributed`` client (``client=`` or a new local cluster).
    vectorised : bool or None, default None
        For the numpy backend: True requires ``fn`` to broadcast (its errors propagate); False
        evaluates point by point; None tries the whole grid first and falls back to points,
        recording why in ``fallback_reason``.
    progress : bool, default False
        Show a progress bar over chunks (needs tqdm).
    chunk_size : int, optional
        Points per chunk for point-by-point evaluation.
    workers : int, optional
        Processes for the ``"processes"`` backend (default: CPU count).
    client : dask.distributed.Client, optional
        Cluster to use with ``backend="dask"``.

    Returns
    -------
    SweepResult

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import sweep, threshold_subsidy
    >>> r = sweep(threshold_subsidy, {"price": np.linspace(0, 0.1, 3),
    ...                               "readiness_cost": [0.0, 400.0]})
    >>> r.values.round(3).tolist()
    [[0.214, inf], [0.164, inf], [inf, inf]]
    """
    check_choice("backend", backend, BACKENDS)
    base = Parameters() if base is None else base
    if base.shape != ():
        raise ValueError(f"base must be scalar parameters; got array fields of shape {base.shape}")
    axes: dict[str, NDArray] = {}
    for name, values in grid.items():
        if name not in FIELDS:
            raise ValueError(f"grid names unknown parameter {name!r}{suggest(name, FIELDS)}")
        arr = np.asarray(values, dtype=float)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"grid[{name!r}] must be a non-empty 1-D array; got shape {arr.shape}")
        axes[name] = arr
    shape = tuple(a.size for a in axes.values())
    reason = ""
    if backend == "numpy" and vectorised is not False:
        k = len(axes)
        changes = {}
        for i, (name, arr) in enumerate(axes.items()):
            changes[name] = arr.reshape((1,) * i + (-1,) + (1,) * (k - i - 1))
        p = base.replace(**changes)  # validates every grid value once, naming bad ones
        try:
            out = np.asarray(fn(p))
            if out.shape[: len(shape)] != shape:
                out = np.broadcast_to(out, shape + out.shape[len(shape) :])
            return SweepResult(np.array(out), axes, backend, True)
        except Exception as exc:
            if vectorised:
                raise
            # Point by point; a genuine error in fn raises again there with its own message.
            reason = f"{type(exc).__name__}: {exc}"
    n = int(np.prod(shape))
    size = chunk_size or max(1, min(1024, n // (4 * (workers or os.cpu_count() or 1)) or 1))
    chunks = [np.arange(i, min(i + size, n)) for i in range(0, n, size)]
    bar = None
    if progress:
        tqdm = require("tqdm").tqdm
        bar = tqdm(total=n, desc="sweep", unit="pt")
    results: list[list] = [None] * len(chunks)  # type: ignore[list-item]
    if backend == "numpy":
        for i, idx in enumerate(chunks):
            results[i] = _eval_chunk(fn, base, axes, idx)
            if bar is not None:
                bar.update(len(idx))
    elif backend == "processes":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(_eval_chunk, fn, base, axes, idx) for idx in chunks]
            for i, fut in enumerate(futures):
                results[i] = fut.result()
                if bar is not None:
                    bar.update(len(chunks[i]))
    else:
        distributed = require("dask.distributed")
        own = client is None
        cl = (
            distributed.Client(
                processes=True, n_workers=workers or 2, threads_per_worker=1, dashboard_address=None
            )
            if own
            else client
        )
        try:
            futures = cl.map(
                _eval_chunk,
                [fn] * len(chunks),
                [base] * len(chunks),
                [axes] * len(chunks),
                chunks,
                pure=False,
            )
            for i, fut in enumerate(futures):
                results[i] = fut.result()
                if bar is not None:
                    bar.update(len(chunks[i]))
        finally:
            if own:
                cl.close()
    if bar is not None:
        bar.close()
    flat = list(itertools.chain.from_iterable(results))
    values = np.array(flat)
    return SweepResult(values.reshape(shape + values.shape[1:]), axes, backend, False, reason)
