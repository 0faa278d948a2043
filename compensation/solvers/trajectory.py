r"""Trajectories of multi-population replicator dynamics, heteroclinic cycles included.

Generic solver (MODEL.md §5). The shares are integrated in log-odds
:math:`u_i = \ln\frac{s_i}{1 - s_i}`, where the replicator equation
:math:`\dot s_i = s_i (1 - s_i)\,\mathrm{adv}_i(s)` becomes

.. math:: \dot u_i = \mathrm{adv}_i(s(u)),

a bounded, smooth field with the corners of the cube at infinity. Near a heteroclinic cycle
(every corner a saddle, the usual inspection game) the shares come within :math:`e^{-100}` of
the boundary and the time spent near each corner grows without bound; in shares that is a
stiff crawl which defeats an adaptive integrator, in log-odds :math:`u` simply grows linearly.
A share that starts exactly at 0 or 1 stays there: the faces of the cube are invariant.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp

from .._results import Result

__all__ = ["Trajectory", "corner_successors", "simulate_log_odds"]

METHOD = "DOP853 in log-odds (rtol 1e-10, atol 1e-10)"
Corner = tuple[float, ...]


@dataclass(frozen=True, eq=False)
class Trajectory(Result):
    r"""A trajectory of replicator dynamics and the corners it passes.

    It behaves like the array of states (``path[-1]``, ``path[:, 0]``, ``np.asarray(path)``).

    Attributes
    ----------
    t : ndarray, shape (T,)
        Reporting times, in the dynamics' time unit (one unit of payoff difference).
    states : ndarray, shape (T, n)
        Shares at each time, in [0, 1]; within about :math:`10^{-16}` of 0 or 1 they round to
        it.
    log_odds : ndarray, shape (T, n)
        :math:`\ln\frac{s}{1-s}` at each time (:math:`\pm\infty` on an invariant face): the
        distance to the boundary without rounding.
    corners : tuple of tuple
        Nearest corner (the shares rounded), each time it changes: the corners visited, in
        order.
    dwell : ndarray
        Time spent nearest each corner of ``corners``, per visit (the last visit up to
        ``t[-1]``). Near an attracting heteroclinic cycle they grow geometrically.
    closest : ndarray
        Closest approach to each corner of ``corners`` on that visit: the largest distance of
        a share from the corner, minimised over the visit.
    cycle : tuple of tuple
        The repeating tail of ``corners`` (at least three corners, seen twice in a row), or
        ``()``: the heteroclinic cycle the path follows.
    heteroclinic : bool
        True when the path follows ``cycle`` along the boundary: on its last round it came
        closer to every corner than on the round before, by a factor of at least 0.9 (the
        cycle attracts), or within ``corner_tol`` of each.
    message : str
        What the path does, in words.
    method : str
        ``"DOP853 in log-odds (rtol 1e-10, atol 1e-10)"``.
    corner_tol : float
        Closest approach to every corner of a cycle that counts as following it (a share).
    """

    t: NDArray[np.float64] = field(repr=False)
    states: NDArray[np.float64] = field(repr=False)
    log_odds: NDArray[np.float64] = field(repr=False)
    corners: tuple[Corner, ...]
    dwell: NDArray[np.float64]
    closest: NDArray[np.float64]
    cycle: tuple[Corner, ...]
    heteroclinic: bool
    message: str
    method: str = METHOD
    corner_tol: float = 1e-3

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[Any]:
        return self.states if dtype is None else self.states.astype(dtype)

    def __getitem__(self, key: Any) -> Any:
        return self.states[key]

    def __len__(self) -> int:
        return len(self.states)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of :attr:`states`."""
        return self.states.shape


def corner_successors(
    advantage: Callable[..., NDArray[np.float64]], n: int
) -> dict[Corner, tuple[Corner, ...]]:
    r"""The edges along which the flow leaves each corner of the cube.

    Parameters
    ----------
    advantage : callable
        ``advantage(*shares)`` returns the advantages :math:`\mathrm{adv}_i`, shape ``(n,)``.
    n : int
        Number of populations, ≥ 1.

    Returns
    -------
    dict of tuple to tuple of tuple
        For each corner :math:`c`, the corners :math:`c'` that differ from it in one share
        :math:`i` with :math:`\lambda_i(c) = (1 - 2 c_i)\,\mathrm{adv}_i(c) > 0`.

    Notes
    -----
    On the edge from :math:`c` to :math:`c'` only :math:`s_i` moves, and
    :math:`\mathrm{adv}_i` does not depend on :math:`s_i`: it is constant along the edge, so the
    edge is one orbit running from :math:`c` to :math:`c'` exactly when
    :math:`\lambda_i(c) > 0` (and then :math:`\lambda_i(c') = -\lambda_i(c) < 0`). A
    heteroclinic cycle is a directed cycle of this graph.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation.solvers.trajectory import corner_successors
    >>> pennies = lambda x, y: np.array([2 * y - 1, 1 - 2 * x])
    >>> corner_successors(pennies, 2)[(0.0, 0.0)]
    ((0.0, 1.0),)
    """
    out = {}
    for corner in itertools.product((1.0, 0.0), repeat=n):
        lam = (1 - 2 * np.array(corner)) * np.asarray(advantage(*corner), dtype=float)
        out[corner] = tuple(
            tuple(1.0 - v if j == i else v for j, v in enumerate(corner))
            for i in range(n)
            if lam[i] > 0
        )
    return out


def simulate_log_odds(
    advantage: Callable[..., NDArray[np.float64]],
    start: Any,
    t: ArrayLike,
    *,
    corner_tol: float = 1e-3,
) -> Trajectory:
    r"""Integrate :math:`\dot u_i = \mathrm{adv}_i(s(u))` from ``start`` and read the corners.

    Parameters
    ----------
    advantage : callable
        ``advantage(*shares)`` returns the advantages :math:`\mathrm{adv}_i` on the last axis.
    start : sequence of float
        Initial shares in [0, 1]; those at exactly 0 or 1 stay there.
    t : array_like
        Non-empty, finite, strictly increasing reporting times.
    corner_tol : float, default 1e-3
        A cycle of corners approached within this distance (a share) on its last round is
        followed along the boundary even if the path does not come closer; in (0, 0.5).

    Returns
    -------
    Trajectory
        States, log-odds, the corners passed and the cycle followed, if any.

    Raises
    ------
    ValueError
        If ``start`` is not shares in [0, 1], ``t`` is not a non-empty, finite, strictly
        increasing 1-D array, or ``corner_tol`` is outside (0, 0.5).

    Examples
    --------
    >>> import numpy as np
    >>> from compensation.solvers.trajectory import simulate_log_odds
    >>> pennies = lambda x, y: np.stack(np.broadcast_arrays(2 * y - 1, 1 - 2 * x), axis=-1)
    >>> path = simulate_log_odds(pennies, (0.01, 0.01), np.linspace(0, 100, 1001))
    >>> path.cycle, path.heteroclinic
    (((0.0, 0.0), (0.0, 1.0), (1.0, 1.0), (1.0, 0.0)), False)
    >>> path.message.startswith("circles the corners (0, 0) → (0, 1) → (1, 1) → (1, 0)")
    True

    """
    s0 = np.asarray(start, dtype=float)
    if s0.ndim != 1 or not np.all((s0 >= 0) & (s0 <= 1)):
        raise ValueError(f"start must be shares in [0, 1]; got {start!r}")
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or t.size == 0 or np.any(np.diff(t) <= 0) or not np.isfinite(t).all():
        raise ValueError("t must be a non-empty, finite, strictly increasing 1-D array")
    if not 0 < corner_tol < 0.5:
        raise ValueError(f"corner_tol must be in (0, 0.5) (a share); got {corner_tol!r}")
    with np.errstate(divide="ignore"):
        u0 = np.log(s0) - np.log1p(-s0)
    moving = np.isfinite(u0)
    u = np.broadcast_to(u0, (t.size, s0.size)).copy()
    if moving.any() and t.size > 1:

        def rhs(_: float, v: NDArray[np.float64]) -> NDArray[np.float64]:
            full = u0.copy()
            full[moving] = v
            return np.asarray(advantage(*_shares(full)), dtype=float)[moving]

        sol = solve_ivp(
            rhs, (t[0], t[-1]), u0[moving], t_eval=t, method="DOP853", rtol=1e-10, atol=1e-10
        )
        if not sol.success:  # pragma: no cover - the field is bounded and smooth
            raise RuntimeError(sol.message)
        u[:, moving] = sol.y.T
    return _read(t, u, s0.size, corner_tol)


def _shares(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Logistic function, exact 0 and 1 at -inf and +inf."""
    return 0.5 * (1 + np.tanh(0.5 * u))


def _read(t: NDArray, u: NDArray, n: int, corner_tol: float) -> Trajectory:
    """The corners visited, the time near each, and the cycle, from the log-odds path."""
    states = _shares(u)
    nearest = np.where(u > 0, 1.0, 0.0)  # the corner of the orthant of u: round(s) exactly
    change = np.flatnonzero(np.any(nearest[1:] != nearest[:-1], axis=1)) + 1
    first = np.concatenate([[0], change])
    corners = [tuple(float(v) for v in nearest[k]) for k in first]
    dwell = np.diff(np.concatenate([t[first], [t[-1]]]))
    cycle = _cycle(corners)
    stops = np.concatenate([first[1:], [t.size]])
    closest = np.array(
        [np.abs(states[a:b] - nearest[a]).max(axis=1).min() for a, b in zip(first, stops)]
    )
    heteroclinic = _follows(closest, len(cycle), corner_tol)
    return Trajectory(
        t=t,
        states=states,
        log_odds=u,
        corners=tuple(corners),
        dwell=dwell,
        closest=closest,
        cycle=cycle,
        heteroclinic=heteroclinic,
        message=_message(states[-1], corners, closest, cycle, heteroclinic),
        corner_tol=corner_tol,
    )


def _cycle(corners: list[Corner]) -> tuple[Corner, ...]:
    """The tail of ``corners`` repeating twice with its shortest period, if ≥ 3 corners."""
    for k in range(1, len(corners) // 2 + 1):
        if corners[-k:] == corners[-2 * k : -k]:
            # Back and forth between two corners is a wobble across a share of 1/2, no cycle.
            return tuple(corners[-k:]) if k >= 3 else ()
    return ()


def _follows(closest: NDArray, k: int, corner_tol: float) -> bool:
    """Whether the last two rounds of a k-corner cycle hug the boundary."""
    if k == 0:
        return False
    last, before = closest[-k:], closest[-2 * k : -k]
    # The last visit may be cut short by t[-1]: judge it by the others.
    return bool((last[:-1] < 0.9 * before[:-1]).all() or (last <= corner_tol).all())


def _message(
    end: NDArray, corners: list[Corner], closest: NDArray, cycle: tuple, hetero: bool
) -> str:
    end_text = "(" + ", ".join(f"{v:.6g}" for v in end) + ")"
    if not cycle:
        return f"ends at {end_text}, nearest corner changed {len(corners) - 1} time(s)"
    order = " → ".join("(" + ", ".join(f"{v:g}" for v in c) + ")" for c in cycle)
    if not hetero:
        return (
            f"circles the corners {order} without closing in on them (closed orbits or a "
            f"limit cycle): not a heteroclinic cycle; ends at {end_text}"
        )
    k = len(cycle)
    shrinking = bool((closest[-k:-1] < 0.9 * closest[-2 * k : -k - 1]).all())
    trend = (
        "it comes closer to every corner each round: the cycle attracts, the time spent near "
        "each corner grows and time averages do not settle"
        if shrinking
        else "it stays near the corners without approaching them: closed orbits near the cycle"
    )
    return (
        f"heteroclinic cycle {order}: the path runs along the boundary from corner to corner "
        f"(each a saddle on the boundary); {trend}; last closest approach "
        f"{closest[-k:-1].max():.3g}"
    )
