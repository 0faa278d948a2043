r"""Replicator dynamics of two and three populations (MODEL.md §5, evolutionary game).

Generic solver: it takes payoff matrices or advantage coefficients, never
:class:`~compensation.Parameters`. Stability comes from the analytic Jacobian of the vector
field below (not from a root finder's internals).

Two populations playing a 2×2 bimatrix game :math:`(A, B)`: :math:`x` is the share of the row
population playing row 0, :math:`y` the share of the column population playing column 0, and

.. math::

    \dot x = x(1-x)\,[a_1 + y (a_0 - a_1)], \qquad \dot y = y(1-y)\,[b_1 + x (b_0 - b_1)],

with :math:`a_j = A_{0j} - A_{1j}` and :math:`b_i = B_{i0} - B_{i1}` (in MODEL.md's notation
:math:`a_0 = A_1`, :math:`a_1 = A_0`, :math:`b_0 = B_1`, :math:`b_1 = B_0`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

__all__ = [
    "BasinShares",
    "RestPoint",
    "RestPoints",
    "Stability",
    "ThreePopulationGame",
    "basin_shares",
    "replicator_rest_points",
    "simulate_replicator",
]


class Stability(str, Enum):
    """Linear stability of a rest point."""

    STABLE = "stable"
    UNSTABLE = "unstable"
    SADDLE = "saddle"
    CENTRE = "centre"
    NON_HYPERBOLIC = "non-hyperbolic"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RestPoint:
    """A rest point of the replicator dynamics with its linear stability.

    Attributes
    ----------
    point : tuple of float
        Population shares, e.g. ``(x, y)``.
    eigenvalues : ndarray
        Eigenvalues of the Jacobian of the vector field at ``point``.
    stability : Stability
        ``"stable"`` (all real parts < 0), ``"unstable"`` (all > 0), ``"saddle"``,
        ``"centre"`` (purely imaginary pair of the interior point: closed orbits) or
        ``"non-hyperbolic"`` (a zero eigenvalue: linearisation decides nothing).
    """

    point: tuple[float, ...]
    eigenvalues: NDArray[np.complex128]
    stability: Stability

    def __repr__(self) -> str:
        pts = ", ".join(f"{v:.6g}" for v in self.point)
        eig = ", ".join(
            f"{complex(e).real:.6g}"
            + (f"{complex(e).imag:+.6g}j" if abs(complex(e).imag) > 0 else "")
            for e in self.eigenvalues
        )
        return f"RestPoint(({pts}), {self.stability.value}, eigenvalues=[{eig}])"


@dataclass(frozen=True)
class RestPoints(Sequence[RestPoint]):
    """Rest points of a replicator system; behaves like a list of :class:`RestPoint`.

    Attributes
    ----------
    points : tuple of RestPoint
        Corners first, then the interior point when it exists.
    degenerate : bool
        True when an advantage vanishes identically along an edge, so rest points form a
        continuum there (only the listed isolated points are reported).
    """

    points: tuple[RestPoint, ...]
    degenerate: bool = False

    def __getitem__(self, i):  # type: ignore[no-untyped-def, override]
        return self.points[i]

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[RestPoint]:
        return iter(self.points)

    def stable(self) -> list[RestPoint]:
        """The asymptotically stable rest points."""
        return [r for r in self.points if r.stability is Stability.STABLE]


def _classify(eig: NDArray[np.complex128], tol: float, interior: bool = False) -> Stability:
    re, im = eig.real, eig.imag
    if np.any(np.abs(re) <= tol):
        if interior and np.all(np.abs(re) <= tol) and np.any(np.abs(im) > tol):
            return Stability.CENTRE
        return Stability.NON_HYPERBOLIC
    if np.all(re < 0):
        return Stability.STABLE
    if np.all(re > 0):
        return Stability.UNSTABLE
    return Stability.SADDLE


def _advantages(A: Any, B: ArrayLike | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    if hasattr(A, "payoff_matrices"):  # a nashpy.Game
        A, B = A.payoff_matrices
    if B is None:
        raise ValueError("give both payoff matrices A and B, or a nashpy.Game")
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    if A.shape[-2:] != (2, 2) or B.shape[-2:] != (2, 2):
        raise ValueError(f"A and B must have shape (2, 2); got {A.shape} and {B.shape}")
    if not (np.isfinite(A).all() and np.isfinite(B).all()):
        raise ValueError("payoff matrices A and B must be finite; got NaN or inf")
    a = A[..., 0, :] - A[..., 1, :]  # a[j]: row 0's gain against column j
    b = B[..., :, 0] - B[..., :, 1]  # b[i]: column 0's gain against row i
    return a, b


def replicator_rest_points(A: Any, B: ArrayLike | None = None, *, tol: float = 1e-12) -> RestPoints:
    r"""Rest points of the two-population replicator dynamics of a 2×2 game, classified.

    Parameters
    ----------
    A : array_like, shape (2, 2), or nashpy.Game
        Payoffs of the row population, or a game holding both matrices.
    B : array_like, shape (2, 2)
        Payoffs of the column population (omit when ``A`` is a game).
    tol : float, default 1e-12
        Eigenvalues with real part within ``tol`` times the largest advantage count as zero.

    Returns
    -------
    RestPoints
        The four corners and, when it exists, the interior point
        :math:`x^* = b_1/(b_1 - b_0)`, :math:`y^* = a_1/(a_1 - a_0)`.

    Notes
    -----
    At a corner the Jacobian is diagonal with entries :math:`(1-2x)(a_1 + y(a_0 - a_1))` and
    :math:`(1-2y)(b_1 + x(b_0 - b_1))`, so a corner is stable exactly when it is a strict
    Nash equilibrium (Friedman 1991). At the interior point the diagonal vanishes and the
    eigenvalues are :math:`\pm\sqrt{J_{12} J_{21}}`: a saddle, or a centre surrounded by closed
    orbits (the system has a constant of motion), never asymptotically stable.

    Examples
    --------
    >>> from compensation import replicator_rest_points
    >>> rps = replicator_rest_points([[1, -1], [-1, 1]], [[-1, 1], [1, -1]])
    >>> [(r.point, str(r.stability)) for r in rps][-1]
    ((0.5, 0.5), 'centre')
    >>> [r.point for r in replicator_rest_points([[3, 0], [5, 1]], [[3, 5], [0, 1]]).stable()]
    [(0.0, 0.0)]
    """
    a, b = _advantages(A, B)
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
    points = []
    for x, y in ((1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)):
        eig = np.array(
            [(1 - 2 * x) * (a[1] + y * (a[0] - a[1])), (1 - 2 * y) * (b[1] + x * (b[0] - b[1]))],
            dtype=complex,
        )
        points.append(RestPoint((x, y), eig, _classify(eig, tol * scale)))
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = b[1] / (b[1] - b[0])
        ys = a[1] / (a[1] - a[0])
    if 0 < xs < 1 and 0 < ys < 1:
        j12 = xs * (1 - xs) * (a[0] - a[1])
        j21 = ys * (1 - ys) * (b[0] - b[1])
        eig = np.sqrt(complex(j12 * j21)) * np.array([1, -1])
        points.append(RestPoint((float(xs), float(ys)), eig, _classify(eig, tol * scale, True)))
    degenerate = bool(np.any(np.abs(np.concatenate([a, b])) <= tol * scale))
    return RestPoints(tuple(points), degenerate)


def _field(a: NDArray, b: NDArray, z: NDArray) -> NDArray:
    x, y = z[..., 0], z[..., 1]
    return np.stack(
        [x * (1 - x) * (a[1] + y * (a[0] - a[1])), y * (1 - y) * (b[1] + x * (b[0] - b[1]))],
        axis=-1,
    )


def _integrate(field: Any, start: Any, t: ArrayLike, dim: int) -> NDArray[np.float64]:
    """Integrate a replicator field from ``start`` (``dim`` shares) and report it at ``t``."""
    z0 = np.asarray(start, dtype=float)
    if z0.shape != (dim,) or not np.all((z0 >= 0) & (z0 <= 1)):
        raise ValueError(f"start must be {dim} shares in [0, 1]; got {start!r}")
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0 or np.any(np.diff(t) <= 0) or not np.isfinite(t).all():
        raise ValueError("t must be a non-empty, finite, strictly increasing 1-D array")
    sol = solve_ivp(
        lambda _, z: field(z), (t[0], t[-1]), z0, t_eval=t, method="DOP853", rtol=1e-10, atol=1e-12
    )
    if not sol.success:  # pragma: no cover - the fields are polynomial and bounded
        raise RuntimeError(sol.message)
    return np.clip(sol.y.T, 0.0, 1.0)


def simulate_replicator(
    A: Any, B: ArrayLike | None, start: tuple[float, float], t: ArrayLike
) -> NDArray[np.float64]:
    """Trajectory of the two-population replicator dynamics from ``start``.

    Parameters
    ----------
    A, B : array_like, shape (2, 2)
        Payoff matrices.
    start : (float, float)
        Initial shares ``(x0, y0)`` in [0, 1].
    t : array_like
        Increasing times at which to report the state (the unit of time is one unit of payoff
        difference; rescaling payoffs rescales time).

    Returns
    -------
    ndarray, shape (len(t), 2)
        The shares ``(x, y)`` at each time, from ``solve_ivp`` (DOP853, rtol 1e-10).

    Examples
    --------
    >>> from compensation import simulate_replicator
    >>> path = simulate_replicator([[3, 0], [5, 1]], [[3, 5], [0, 1]], (0.9, 0.9), [0, 20])
    >>> path.round(4).tolist()
    [[0.9, 0.9], [0.0, 0.0]]
    """
    a, b = _advantages(A, B)
    return _integrate(lambda z: _field(a, b, z), start, t, 2)


@dataclass(frozen=True)
class BasinShares:
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
    """

    points: list[tuple[float, ...]]
    shares: NDArray[np.float64]
    unresolved: float
    labels: NDArray[np.int64] = field(repr=False)
    grid: NDArray[np.float64] = field(repr=False)


def basin_shares(
    A: Any, B: ArrayLike | None = None, grid: int = 100, *, t_max: float | None = None
) -> BasinShares:
    r"""Share of an ``grid × grid`` lattice of starting points ending at each stable rest point.

    Parameters
    ----------
    A, B : array_like, shape (2, 2)
        Payoff matrices.
    grid : int, default 100
        Points per axis, at the cell midpoints of the unit square.
    t_max : float, optional
        Integration horizon; by default 200 divided by the largest advantage. Starts whose fate
        is not decided by then are ``unresolved``.

    Returns
    -------
    BasinShares

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
    a, b = _advantages(A, B)
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
    return BasinShares(stable, shares, float(np.mean(labels == -1)), labels, g)


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


@dataclass(frozen=True)
class ThreePopulationGame:
    r"""Three-population replicator game given by multilinear advantages.

    Population shares :math:`(x, y, z)` play their first strategy; each population's gain from
    its first strategy over its second is bilinear in the other two shares:

    .. math::

        \dot x &= x(1-x)\,(l_0 + l_1 y + l_2 z + l_3 y z), \\
        \dot y &= y(1-y)\,(p_0 + p_1 x + p_2 z + p_3 x z), \\
        \dot z &= z(1-z)\,(d_0 + d_1 x + d_2 y + d_3 x y).

    Attributes
    ----------
    first, second, third : tuple of 4 floats
        Coefficients :math:`(l_0, l_1, l_2, l_3)`, :math:`(p_0, \dots)`, :math:`(d_0, \dots)`.
    names : tuple of str
        Population names for display.

    Examples
    --------
    >>> from compensation import ThreePopulationGame
    >>> game = ThreePopulationGame((1, 0, 0, 0), (-1, 2, 0, 0), (0.5, 0, 0, 0))
    >>> [r.point for r in game.rest_points().stable()]
    [(1.0, 1.0, 1.0)]
    """

    first: tuple[float, float, float, float]
    second: tuple[float, float, float, float]
    third: tuple[float, float, float, float]
    names: tuple[str, str, str] = ("x", "y", "z")

    def __post_init__(self) -> None:
        for name in ("first", "second", "third"):
            c = np.asarray(getattr(self, name), dtype=float)
            if c.shape != (4,) or not np.isfinite(c).all():
                raise ValueError(
                    f"{name} must be 4 finite coefficients; got {getattr(self, name)!r}"
                )
            object.__setattr__(self, name, tuple(float(v) for v in c))

    def advantages(self, x: ArrayLike, y: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        """Each population's gain from its first strategy, stacked on the last axis."""
        x, y, z = (np.asarray(v, dtype=float) for v in (x, y, z))
        l, p, d = self.first, self.second, self.third
        return np.stack(
            np.broadcast_arrays(
                l[0] + l[1] * y + l[2] * z + l[3] * y * z,
                p[0] + p[1] * x + p[2] * z + p[3] * x * z,
                d[0] + d[1] * x + d[2] * y + d[3] * x * y,
            ),
            axis=-1,
        )

    def field(self, state: ArrayLike) -> NDArray[np.float64]:
        """The replicator vector field at ``state`` (..., 3)."""
        s = np.asarray(state, dtype=float)
        adv = self.advantages(s[..., 0], s[..., 1], s[..., 2])
        return s * (1 - s) * adv

    def rest_points(self, *, tol: float = 1e-12) -> RestPoints:
        r"""The eight corners with their eigenvalues and stability.

        Only corners can be asymptotically stable in multi-population replicator dynamics
        (Ritzberger and Weibull 1995), so the edge and interior rest points, which are never
        stable, are not enumerated. At a corner the Jacobian is diagonal with entries
        :math:`(1 - 2 s_i)\\,\\mathrm{adv}_i`.
        """
        scale = max(max(abs(v) for v in (*self.first, *self.second, *self.third)), 1e-300)
        points = []
        for corner in itertools.product((1.0, 0.0), repeat=3):
            adv = self.advantages(*corner)
            eig = ((1 - 2 * np.array(corner)) * adv).astype(complex)
            points.append(RestPoint(corner, eig, _classify(eig, tol * scale)))
        degenerate = any(r.stability is Stability.NON_HYPERBOLIC for r in points)
        return RestPoints(tuple(points), degenerate)

    def simulate(self, start: tuple[float, float, float], t: ArrayLike) -> NDArray[np.float64]:
        """Trajectory from ``start``, shape (len(t), 3) (solve_ivp, DOP853, rtol 1e-10)."""
        return _integrate(self.field, start, t, 3)
