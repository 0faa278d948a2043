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

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from .._results import Result

__all__ = ["RestPoint", "RestPoints", "Stability", "replicator_rest_points", "simulate_replicator"]


class Stability(str, Enum):
    """Linear stability of a rest point, a ``str`` (``Stability.STABLE == "stable"``).

    Members are ``STABLE``, ``UNSTABLE``, ``SADDLE``, ``CENTRE`` and ``NON_HYPERBOLIC``; see
    :class:`RestPoint` for what each means.
    """

    STABLE = "stable"
    UNSTABLE = "unstable"
    SADDLE = "saddle"
    CENTRE = "centre"
    NON_HYPERBOLIC = "non-hyperbolic"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class RestPoint(Result):
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
class RestPoints(Result, Sequence[RestPoint]):
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
        """The asymptotically stable rest points.

        Returns
        -------
        list of RestPoint
            Those whose stability is ``"stable"``, in the order of ``points``.
        """
        return [r for r in self.points if r.stability is Stability.STABLE]


def classify_rest_point(
    eig: NDArray[np.complex128], tol: float, interior: bool = False
) -> Stability:
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


def advantage_vectors(
    A: Any, B: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
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
        :math:`x^* = b_1/(b_1 - b_0)`, :math:`y^* = a_1/(a_1 - a_0)`, each with its
        eigenvalues (per unit of time, i.e. in payoff units) and stability.

    Raises
    ------
    ValueError
        If ``B`` is missing (and ``A`` is not a game), or the matrices are not 2×2 and finite.

    Notes
    -----
    With :math:`a_j = A_{0j} - A_{1j}` and :math:`b_i = B_{i0} - B_{i1}`, the field is

    .. math::

        \dot x = x(1-x)\,[a_1 + y (a_0 - a_1)], \qquad \dot y = y(1-y)\,[b_1 + x (b_0 - b_1)].

    At a corner the Jacobian is diagonal with entries :math:`(1-2x)(a_1 + y(a_0 - a_1))` and
    :math:`(1-2y)(b_1 + x(b_0 - b_1))`, so a corner is stable exactly when it is a strict
    Nash equilibrium (Friedman 1991). At the interior point the diagonal vanishes and the
    eigenvalues are :math:`\pm\sqrt{J_{12} J_{21}}` with
    :math:`J_{12} = x^*(1-x^*)(a_0 - a_1)` and :math:`J_{21} = y^*(1-y^*)(b_0 - b_1)`: a saddle,
    or a centre surrounded by closed orbits (the system has a constant of motion), never
    asymptotically stable.

    Examples
    --------
    >>> from compensation import replicator_rest_points
    >>> rps = replicator_rest_points([[1, -1], [-1, 1]], [[-1, 1], [1, -1]])
    >>> [(r.point, str(r.stability)) for r in rps][-1]
    ((0.5, 0.5), 'centre')
    >>> [r.point for r in replicator_rest_points([[3, 0], [5, 1]], [[3, 5], [0, 1]]).stable()]
    [(0.0, 0.0)]
    """
    a, b = advantage_vectors(A, B)
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-300)
    points = []
    for x, y in ((1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.0)):
        eig = np.array(
            [(1 - 2 * x) * (a[1] + y * (a[0] - a[1])), (1 - 2 * y) * (b[1] + x * (b[0] - b[1]))],
            dtype=complex,
        )
        points.append(RestPoint((x, y), eig, classify_rest_point(eig, tol * scale)))
    with np.errstate(divide="ignore", invalid="ignore"):
        xs = b[1] / (b[1] - b[0])
        ys = a[1] / (a[1] - a[0])
    if 0 < xs < 1 and 0 < ys < 1:
        j12 = xs * (1 - xs) * (a[0] - a[1])
        j21 = ys * (1 - ys) * (b[0] - b[1])
        eig = np.sqrt(complex(j12 * j21)) * np.array([1, -1])
        points.append(
            RestPoint((float(xs), float(ys)), eig, classify_rest_point(eig, tol * scale, True))
        )
    degenerate = bool(np.any(np.abs(np.concatenate([a, b])) <= tol * scale))
    return RestPoints(tuple(points), degenerate)


def vector_field(a: NDArray, b: NDArray, z: NDArray) -> NDArray:
    x, y = z[..., 0], z[..., 1]
    return np.stack(
        [x * (1 - x) * (a[1] + y * (a[0] - a[1])), y * (1 - y) * (b[1] + x * (b[0] - b[1]))],
        axis=-1,
    )


def integrate_field(field: Any, start: Any, t: ArrayLike, dim: int) -> NDArray[np.float64]:
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
    r"""Trajectory of the two-population replicator dynamics from ``start``.

    Parameters
    ----------
    A, B : array_like, shape (2, 2)
        Payoff matrices; ``A`` may be a ``nashpy.Game`` with ``B`` None.
    start : (float, float)
        Initial shares ``(x0, y0)`` in [0, 1].
    t : array_like
        Increasing times at which to report the state (the unit of time is one unit of payoff
        difference; rescaling payoffs rescales time).

    Returns
    -------
    ndarray, shape (len(t), 2)
        The shares ``(x, y)`` at each time, from ``solve_ivp`` (DOP853, rtol 1e-10).

    Raises
    ------
    ValueError
        If the matrices are not 2×2 and finite, ``start`` is not two shares in [0, 1], or
        ``t`` is not a non-empty, finite, strictly increasing 1-D array.

    Notes
    -----
    Integrates :math:`\dot x = x(1-x)\,[a_1 + y (a_0 - a_1)]`,
    :math:`\dot y = y(1-y)\,[b_1 + x (b_0 - b_1)]` (see :func:`replicator_rest_points`).

    Examples
    --------
    >>> from compensation import simulate_replicator
    >>> path = simulate_replicator([[3, 0], [5, 1]], [[3, 5], [0, 1]], (0.9, 0.9), [0, 20])
    >>> path.round(4).tolist()
    [[0.9, 0.9], [0.0, 0.0]]
    """
    a, b = advantage_vectors(A, B)
    return integrate_field(lambda z: vector_field(a, b, z), start, t, 2)
