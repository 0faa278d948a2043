r"""Basins of attraction of two-population replicator dynamics (MODEL.md §5).

Generic solver: exact shares from the conserved quantity of nondegenerate games, no
integration; degenerate games fall back to integration of the field in
:mod:`~compensation.solvers.replicator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .replicator import advantage_vectors, replicator_rest_points

__all__ = ["BasinShares", "basin_shares"]


@dataclass(frozen=True)
class BasinShares(Result):
    """Where a grid of starting points ends up.

    Attributes
    ----------
    points : list of tuple
        The stable rest points, in the order of ``shares``.
    shares : ndarray
        Share of starting points that converge to each stable rest point.
    unresolved : float
        Share that did not reach a stable rest point by ``t_max`` (closed orbits around a
        centre, or slow drift near a continuum of rest points).
    labels : ndarray of int, shape (n, n)
        Index into ``points`` for each start (``-1``: unresolved); ``labels[i, j]`` is the start
        ``(grid[j], grid[i])``.
    grid : ndarray
        Grid coordinates used along each axis.
    method : str
        ``"conserved quantity"`` (exact, nondegenerate games) or ``"integration"`` (RK4 in
        log-odds, degenerate games).
    """

    points: list[tuple[float, ...]]
    shares: NDArray[np.float64]
    unresolved: float
    labels: NDArray[np.int64] = field(repr=False)
    grid: NDArray[np.float64] = field(repr=False)
    method: str = "conserved quantity"


def basin_shares(
    A: Any, B: ArrayLike | None = None, grid: int = 100, *, t_max: float | None = None
) -> BasinShares:
    r"""Share of a ``grid × grid`` lattice of starting points ending at each stable rest point.

    Parameters
    ----------
    A, B : array_like, shape (2, 2)
        Payoff matrices; ``A`` may be a ``nashpy.Game`` with ``B`` None.
    grid : int, default 100
        Points per axis, at the cell midpoints of the unit square.
    t_max : float, optional
        Integration horizon for degenerate games, in the time unit of the dynamics (one unit
        of payoff difference); by default 200 divided by the largest advantage. Starts whose
        fate is not decided by then are ``unresolved``.

    Returns
    -------
    BasinShares
        ``.points`` (the stable rest points), ``.shares`` of starts converging to each,
        ``.unresolved``, the per-start ``.labels`` and the ``.method`` used.

    Raises
    ------
    ValueError
        If the matrices are not 2×2 and finite or ``grid`` is not an integer ≥ 2.

    Notes
    -----
    For nondegenerate games no integration is needed: the system conserves
    :math:`H = (b_0 - b_1) K(x^*, x) - (a_0 - a_1) K(y^*, y)` with
    :math:`K(p, q) = p \ln\frac{p}{q} + (1-p)\ln\frac{1-p}{1-q}`, so with an interior saddle
    the separatrix is a level set of :math:`H` and each start is classified exactly (starts on
    it, to rounding, are ``unresolved``); without an interior point every start reaches the
    single stable corner. Degenerate games are integrated for all starts at once with
    fixed-step RK4 in log-odds coordinates :math:`u = \ln\frac{x}{1-x}`, where
    :math:`\dot u = a_1 + y(a_0 - a_1)` is smooth and the corners lie at infinity, retiring a
    start once both advantages keep a strict sign all the way to the corner they point at
    (from then on both shares are monotone).

    Examples
    --------
    >>> from compensation import basin_shares
    >>> bs = basin_shares([[3, 0], [0, 2]], [[1, 0], [0, 3]], grid=50)
    >>> bs.points, bs.shares.round(3).tolist(), bs.unresolved
    ([(1.0, 1.0), (0.0, 0.0)], [0.398, 0.602], 0.0)
    """
    a, b = advantage_vectors(A, B)
    if int(grid) != grid or grid < 2:
        raise ValueError(f"grid must be an integer ≥ 2; got {grid!r}")
    rest = replicator_rest_points(A, B)
    stable = [r.point for r in rest.stable()]
    g = (np.arange(grid) + 0.5) / grid
    X, Y = np.meshgrid(g, g)
    coef = np.abs(np.concatenate([a, b]))
    speed = coef.max() if coef.max() > 0 else 1.0
    horizon = t_max if t_max is not None else 200.0 / speed
    dt = 0.1 / speed
    labels: NDArray[np.int64] = np.full(X.size, -1, dtype=np.int64)
    if not rest.degenerate:
        exact = _exact_basins(a, b, X.ravel(), Y.ravel(), stable)
        labels = exact.reshape(X.shape)
        shares = np.array([np.mean(labels == k) for k in range(len(stable))])
        return BasinShares(stable, shares, float(np.mean(labels == -1)), labels, g)
    # Degenerate games: integrate. Without a stable rest point nothing can be decided.
    active = np.arange(X.size) if stable else np.arange(0)
    u = np.log(X.ravel() / (1 - X.ravel()))
    v = np.log(Y.ravel() / (1 - Y.ravel()))
    corner_index = {pt: k for k, pt in enumerate(stable)}

    def rhs(u: NDArray, v: NDArray) -> tuple[NDArray, NDArray]:
        x = 0.5 * (1 + np.tanh(0.5 * u))
        y = 0.5 * (1 + np.tanh(0.5 * v))
        return a[1] + y * (a[0] - a[1]), b[1] + x * (b[0] - b[1])

    def retire(u: NDArray, v: NDArray) -> NDArray:
        # The fate is decided once each advantage has a strict sign now and keeps it up to the
        # corner it points at (advantages are linear in the other share): x and y are then
        # monotone and converge to that corner.
        x = 0.5 * (1 + np.tanh(0.5 * u))
        y = 0.5 * (1 + np.tanh(0.5 * v))
        du, dv = a[1] + y * (a[0] - a[1]), b[1] + x * (b[0] - b[1])
        tx, ty = (du > 0).astype(float), (dv > 0).astype(float)
        du_end, dv_end = a[1] + ty * (a[0] - a[1]), b[1] + tx * (b[0] - b[1])
        decided = (du * du_end > 0) & (dv * dv_end > 0) & (du != 0) & (dv != 0)
        out = np.full(u.shape, -1, dtype=np.int64)
        for (px, py), k in corner_index.items():
            out[decided & (tx == px) & (ty == py)] = k
        return out

    t = 0.0
    while active.size and t < horizon:
        done = retire(u, v)
        hit = done >= 0
        labels[active[hit]] = done[hit]
        active, u, v = active[~hit], u[~hit], v[~hit]
        for _ in range(10):  # a few RK4 steps between checks keeps the check cheap
            k1 = rhs(u, v)
            k2 = rhs(u + 0.5 * dt * k1[0], v + 0.5 * dt * k1[1])
            k3 = rhs(u + 0.5 * dt * k2[0], v + 0.5 * dt * k2[1])
            k4 = rhs(u + dt * k3[0], v + dt * k3[1])
            u = u + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
            v = v + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        t += 10 * dt
    labels = labels.reshape(X.shape)
    shares = np.array([np.mean(labels == k) for k in range(len(stable))])
    return BasinShares(stable, shares, float(np.mean(labels == -1)), labels, g, "integration")


def _kl(p: float, q: NDArray) -> NDArray:
    """Return p ln(p/q) + (1-p) ln((1-p)/(1-q)), the conserved 'distance' from p."""
    return p * np.log(p / q) + (1 - p) * np.log((1 - p) / (1 - q))


def _exact_basins(
    a: NDArray, b: NDArray, x: NDArray, y: NDArray, stable: list[tuple[float, ...]]
) -> NDArray[np.int64]:
    """Basin labels of interior starts for a nondegenerate game, without integrating.

    With no interior rest point, every interior orbit reaches the boundary and ends at the
    unique stable corner (if any). With an interior point, H = (b0-b1) KL(x*||x) -
    (a0-a1) KL(y*||y) is conserved: a centre means closed orbits (nothing converges), a saddle
    means the stable manifold is the level set H = 0 in the two off-diagonal quadrants, and a
    start ends at the stable corner on its side of it.
    """
    out = np.full(x.shape, -1, dtype=np.int64)
    if not stable:
        return out
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = b[1] / (b[1] - b[0])
        ys = a[1] / (a[1] - a[0])
    if not (0 < xs < 1 and 0 < ys < 1):
        out[:] = 0 if len(stable) == 1 else -1
        return out
    # Saddle: the stable corners sit in two diagonal quadrants around (x*, y*).
    fx = abs(b[0] - b[1]) * _kl(xs, x)
    fy = abs(a[0] - a[1]) * _kl(ys, y)
    side_x = (x > xs).astype(float)
    side_y = (y > ys).astype(float)
    gap = fx - fy
    # Starts on the stable manifold (to rounding) converge to the saddle: unresolved.
    clear = np.abs(gap) > 1e-12 * np.maximum(fx, fy)
    for k, (cx, cy) in enumerate(stable):
        inside = (side_x == cx) & (side_y == cy)
        # In an off-diagonal quadrant the share farther from equilibrium (in H) decides.
        by_x = (side_x == cx) & (side_y != cy) & (gap > 0)
        by_y = (side_y == cy) & (side_x != cx) & (gap < 0)
        out[inside | ((by_x | by_y) & clear)] = k
    return out
