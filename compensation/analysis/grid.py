r"""Parameter grids for sweeps: axes, validation, sizes, blocks, output shapes and results.

Shared by :func:`~compensation.sweep` and the command line, which streams a grid block by
block into a CSV file without holding it. A grid is an ordered mapping of parameter names to
1-D axes; its points are their Cartesian product in C order (the last axis varies fastest).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..model.fields import parameter_name
from ..model.parameters import Parameters

#: Points per vectorised call. Library functions hold a few dozen grid-sized temporaries, so
#: 2**20 points keep them to a few hundred MiB however large the grid.
VECTOR_CHUNK = 2**20

Axes = Mapping[str, NDArray[np.float64]]


def format_size(nbytes: float) -> str:
    """Human-readable size in binary units.

    Parameters
    ----------
    nbytes : float
        A size in bytes, ≥ 0.

    Returns
    -------
    str
        E.g. ``'7.5 GiB'`` for 8,053,063,680 bytes.

    Examples
    --------
    >>> from compensation.analysis.grid import format_size
    >>> format_size(8053063680), format_size(512)
    ('7.5 GiB', '512 bytes')
    """
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB")
    power = 0
    while nbytes >= 1024 and power < len(units) - 1:
        nbytes /= 1024
        power += 1
    return f"{nbytes:.0f} bytes" if power == 0 else f"{nbytes:.1f} {units[power]}"


def grid_axes(grid: Mapping[str, ArrayLike], base: Parameters) -> dict[str, NDArray[np.float64]]:
    """Check the grid's names and shapes; values are checked by :func:`validate_grid`.

    Parameters
    ----------
    grid : mapping of str to array_like
        Parameter name → 1-D values (in the parameter's unit).
    base : Parameters
        Scalar values of the parameters not swept.

    Returns
    -------
    dict of str to ndarray
        The axes as float arrays, in the grid's order.

    Raises
    ------
    ValueError
        ``base`` holds arrays; a name that is no parameter (with the closest one); an axis
        that is not a non-empty 1-D array.
    TypeError
        An axis that is not numeric.
    """
    if base.shape != ():
        raise ValueError(f"base must be scalar parameters; got array fields of shape {base.shape}")
    axes: dict[str, NDArray[np.float64]] = {}
    for old, values in grid.items():
        name = parameter_name(old, role="grid names", stacklevel=5)
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"grid[{name!r}] must be real numbers; got {values!r}") from exc
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"grid[{name!r}] must be a non-empty 1-D array; got shape {arr.shape}")
        axes[name] = arr
    return axes


def validate_grid(base: Parameters, axes: Axes) -> None:
    """Check every grid value once, naming bad ones (after the size check: this allocates).

    Parameters
    ----------
    base : Parameters
        The parameters not swept.
    axes : mapping of str to ndarray
        The grid's axes (from :func:`grid_axes`).

    Returns
    -------
    None

    Raises
    ------
    ValueError
        A value outside its parameter's range, with the parameter, range, unit and index.
    """
    base.replace(**axis_arrays(axes))


def too_large(shape: tuple[int, ...], max_bytes: float | None) -> str | None:
    """Describe a grid whose float results would exceed ``max_bytes``, else None.

    Parameters
    ----------
    shape : tuple of int
        The grid's shape.
    max_bytes : float or None
        The memory limit in bytes (None: no limit).

    Returns
    -------
    str or None
        The refusal, with the estimate at 8 bytes a point, or None when the grid fits.
    """
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
    axes: Axes, block: tuple[slice, ...] | None = None
) -> dict[str, NDArray[np.float64]]:
    """Axis ``i`` as an array of shape (1, …, n_i, …, 1): the grid by broadcasting, no copies.

    Parameters
    ----------
    axes : mapping of str to ndarray
        The grid's axes.
    block : tuple of slice, optional
        One slice per axis (from :func:`blocks`); default the whole grid.

    Returns
    -------
    dict of str to ndarray
        Views of the axes, shaped to broadcast against each other.
    """
    k = len(axes)
    out = {}
    for i, (name, arr) in enumerate(axes.items()):
        part = arr if block is None else arr[block[i]]
        out[name] = part.reshape((1,) * i + (-1,) + (1,) * (k - i - 1))
    return out


def point_at(
    axes: Axes, shape: tuple[int, ...], flat: int
) -> tuple[tuple[int, ...], dict[str, float]]:
    """Grid index and parameter values of the point at C-order position ``flat``.

    Parameters
    ----------
    axes : mapping of str to ndarray
        The grid's axes.
    shape : tuple of int
        The grid's shape.
    flat : int
        Position in the flattened grid, from 0.

    Returns
    -------
    index : tuple of int
        The point's index on each axis.
    point : dict of str to float
        The swept parameters' values there.

    Raises
    ------
    ValueError
        ``flat`` outside the grid.
    """
    index = tuple(int(c) for c in np.unravel_index(flat, shape)) if shape else ()
    return index, {n: float(a[c]) for (n, a), c in zip(axes.items(), index)}


def describe_point(point: Mapping[str, float]) -> str:
    """A grid point in words, e.g. ``price=0.05, subsidy=0.1``.

    Parameters
    ----------
    point : mapping of str to float
        Swept parameters and their values.

    Returns
    -------
    str
        ``name=value`` pairs (10 significant digits), or "the base parameters" when empty.
    """
    return ", ".join(f"{n}={v:.10g}" for n, v in point.items()) or "the base parameters"


def blocks(shape: tuple[int, ...], limit: int) -> Iterator[tuple[slice, ...]]:
    """Cover the grid in C order by sub-grids of at most ``limit`` points.

    A block fixes the leading axes to one index, takes a run of the next axis and all of the
    later ones, so its points are contiguous in the flattened grid and blocks come in order.

    Parameters
    ----------
    shape : tuple of int
        The grid's shape.
    limit : int
        Largest number of points in a block, ≥ 1.

    Yields
    ------
    tuple of slice
        One slice per axis.

    Examples
    --------
    >>> from compensation.analysis.grid import blocks
    >>> [tuple((s.start, s.stop) for s in b) for b in blocks((3, 2), 4)]
    [((0, 2), (0, 2)), ((2, 3), (0, 2))]
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
    axes: Axes,
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


def _broadcastable(shape: tuple[int, ...], sizes: tuple[int, ...]) -> tuple[bool, tuple[int, ...]]:
    """Whether an output of ``shape`` broadcasts to the block's ``sizes``, and its own shape."""
    k = len(sizes)
    if len(shape) >= k:
        return all(a in (1, b) for a, b in zip(shape, sizes)), shape[k:]
    try:
        return np.broadcast_shapes(shape, sizes) == sizes, ()
    except ValueError:
        return False, ()


def conform(
    out: NDArray[Any],
    fn: Callable[[Parameters], ArrayLike],
    base: Parameters,
    axes: Axes,
    shape: tuple[int, ...],
    *,
    block: tuple[slice, ...],
) -> NDArray[Any]:
    """``out`` with the block's shape in front, or ``ValueError`` naming both shapes.

    An output smaller than the block is broadcast when ``fn`` is constant along the missing
    axes, which single-point evaluations at the block's corners and middle confirm.

    Parameters
    ----------
    out : ndarray
        What ``fn`` returned for the block.
    fn : callable
        The function swept.
    base : Parameters
        The parameters not swept.
    axes : mapping of str to ndarray
        The grid's axes.
    shape : tuple of int
        The whole grid's shape (for the message).
    block : tuple of slice
        The block evaluated (from :func:`blocks`).

    Returns
    -------
    ndarray
        Shape ``block sizes + output shape``.

    Raises
    ------
    ValueError
        ``out`` does not have one value per point of the block (e.g. a reduction such as
        ``np.mean``), naming both shapes and, where a spot check fails, the point.
    """
    sizes = tuple(s.stop - s.start for s in block)
    if out.shape[: len(sizes)] == sizes:
        return out
    fits, trailing = _broadcastable(out.shape, sizes)
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
