r"""Parameter grids for sweeps: axes, validation, size estimates, blocks and output shapes.

Shared by :func:`~compensation.sweep` and the command line, which streams a grid block by
block into a CSV file without holding it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import suggest
from ..model.parameters import FIELDS, Parameters

#: Points per vectorised call. Library functions hold a few dozen grid-sized temporaries, so
#: 2**20 points keep them to a few hundred MiB however large the grid.
VECTOR_CHUNK = 2**20


def format_size(nbytes: float) -> str:
    """Human-readable size: 8053063680 → '7.5 GiB'."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
    power = 0
    while nbytes >= 1024 and power < len(units) - 1:
        nbytes /= 1024
        power += 1
    return f"{nbytes:.0f} bytes" if power == 0 else f"{nbytes:.1f} {units[power]}"


def grid_axes(grid: Mapping[str, ArrayLike], base: Parameters) -> dict[str, NDArray[np.float64]]:
    """Check the grid's names and shapes; values are checked by :func:`validate_grid`."""
    if base.shape != ():
        raise ValueError(f"base must be scalar parameters; got array fields of shape {base.shape}")
    axes: dict[str, NDArray[np.float64]] = {}
    for name, values in grid.items():
        if name not in FIELDS:
            raise ValueError(f"grid names unknown parameter {name!r}{suggest(name, FIELDS)}")
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"grid[{name!r}] must be real numbers; got {values!r}") from exc
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"grid[{name!r}] must be a non-empty 1-D array; got shape {arr.shape}")
        axes[name] = arr
    return axes


def validate_grid(base: Parameters, axes: Mapping[str, NDArray[np.float64]]) -> None:
    """Check every grid value once, naming bad ones (after the size check: this allocates)."""
    base.replace(**axis_arrays(axes))


def too_large(shape: tuple[int, ...], max_bytes: float | None) -> str | None:
    """Describe a grid whose float results would exceed ``max_bytes``, else None."""
    n = math.prod(shape)
    if max_bytes is None or 8 * n <= max_bytes:
        return None
    sizes = " × ".join(f"{s:,}" for s in shape)
    return (
        f"the grid has {n:,} points" + (f" ({sizes})" if len(shape) > 1 else "") + ", whose "
        f"results need about {format_size(8 * n)} (8 bytes a point), over max_bytes = "
        f"{format_size(max_bytes)}; use fewer points, split the grid into several sweeps, or raise "
        "max_bytes"
    )


def axis_arrays(
    axes: Mapping[str, NDArray[np.float64]], block: tuple[slice, ...] | None = None
) -> dict[str, NDArray[np.float64]]:
    """Axis ``i`` as an array of shape (1, …, n_i, …, 1): the grid by broadcasting, no copies."""
    k = len(axes)
    out = {}
    for i, (name, arr) in enumerate(axes.items()):
        part = arr if block is None else arr[block[i]]
        out[name] = part.reshape((1,) * i + (-1,) + (1,) * (k - i - 1))
    return out


def point_at(
    axes: Mapping[str, NDArray[np.float64]], shape: tuple[int, ...], flat: int
) -> tuple[tuple[int, ...], dict[str, float]]:
    """Grid index and parameter values of the point at C-order position ``flat``."""
    index = tuple(int(c) for c in np.unravel_index(flat, shape)) if shape else ()
    return index, {n: float(a[c]) for (n, a), c in zip(axes.items(), index)}


def describe_point(point: Mapping[str, float]) -> str:
    """A grid point in words, e.g. ``price=0.05, subsidy=0.1``."""
    return ", ".join(f"{n}={v:.10g}" for n, v in point.items()) or "the base parameters"


def blocks(shape: tuple[int, ...], limit: int) -> Iterator[tuple[slice, ...]]:
    """Cover the grid in C order by sub-grids of at most ``limit`` points.

    A block fixes the leading axes to one index, takes a run of the next axis and all of the
    later ones, so its points are contiguous in the flattened grid and blocks come in order.
    """
    k = len(shape)
    split = 0
    while split < k and math.prod(shape[split:]) > limit:
        split += 1
    if split == 0:
        yield tuple(slice(0, n) for n in shape)
        return
    split -= 1
    step = max(1, limit // math.prod(shape[split + 1 :]))
    for outer in np.ndindex(*shape[:split]):
        for start in range(0, shape[split], step):
            yield (
                *(slice(i, i + 1) for i in outer),
                slice(start, min(start + step, shape[split])),
                *(slice(0, n) for n in shape[split + 1 :]),
            )


def _short(x: NDArray[Any]) -> str:
    return np.array2string(np.asarray(x), precision=6, threshold=6)


def _same(a: NDArray[Any], b: NDArray[Any]) -> bool:
    if a.shape != b.shape:
        return False
    try:
        return bool(np.allclose(a, b, rtol=1e-9, atol=0.0, equal_nan=True))
    except TypeError:  # non-numeric outputs
        return bool(np.array_equal(a, b))


def _spot_check(
    fn: Callable[[Parameters], ArrayLike],
    base: Parameters,
    axes: Mapping[str, NDArray[np.float64]],
    block: tuple[slice, ...],
    full: NDArray[Any],
) -> str:
    """Compare broadcast values with ``fn`` at single points; describe the first mismatch."""
    # An output smaller than the grid is either constant along some axes (fn ignores those
    # parameters: broadcasting is right) or a reduction over points (np.mean: broadcasting
    # copies one number everywhere). Corners and the middle tell the two apart.
    sizes = tuple(s.stop - s.start for s in block)
    picks = {tuple(0 for _ in sizes), tuple(n - 1 for n in sizes), tuple(n // 2 for n in sizes)}
    for i in range(len(sizes)):
        picks.add(tuple(n - 1 if j == i else 0 for j, n in enumerate(sizes)))
    for local in sorted(picks):
        point = {n: float(a[s.start + c]) for (n, a), s, c in zip(axes.items(), block, local)}
        try:
            alone = np.asarray(fn(base.replace(**point)))
        except Exception as exc:
            return (
                f"; fn fails at the single point {describe_point(point)} "
                f"({type(exc).__name__}: {exc}), so the broadcast cannot be checked"
            )
        if not _same(alone, full[local]):
            return (
                f"; at {describe_point(point)} fn alone gives {_short(alone)} but the broadcast "
                f"value is {_short(full[local])}"
            )
    return ""


def conform(
    out: NDArray[Any],
    fn: Callable[[Parameters], ArrayLike],
    base: Parameters,
    axes: Mapping[str, NDArray[np.float64]],
    shape: tuple[int, ...],
    block: tuple[slice, ...],
) -> NDArray[Any]:
    """``out`` with the block's shape in front, or ``ValueError`` naming both shapes."""
    sizes = tuple(s.stop - s.start for s in block)
    k = len(sizes)
    if out.shape[:k] == sizes:
        return out
    if out.ndim >= k:
        fits = all(a in (1, b) for a, b in zip(out.shape, sizes))
        trailing = out.shape[k:]
    else:
        try:
            fits = np.broadcast_shapes(out.shape, sizes) == sizes
        except ValueError:
            fits = False
        trailing = ()
    problem = ""
    if fits:
        full = np.broadcast_to(out, sizes + trailing)
        problem = _spot_check(fn, base, axes, block, full)
        if not problem:
            return full
    where = "" if sizes == shape else f" (a chunk of the grid of shape {shape})"
    raise ValueError(
        f"fn returned shape {out.shape} for a grid of shape {sizes}{where}: it must return one "
        f"value per grid point, shape {sizes} (followed by the output's own shape if that is "
        f"an array){problem}. A reduction over its argument (np.mean, np.max, float(...)) "
        "gives one number for all points: reduce the SweepResult's values instead, or pass "
        "vectorised=False to evaluate point by point"
    )
