r"""The coalitional game of a consortium with many members, for any N (MODEL.md §10).

Player 0 is the leader, players 1..N the members of a
:class:`~compensation.model.members.Members` table. A coalition without the leader is worth 0;
with it, the joint surplus of the leader and the members in it at their best allocation of
doctor-days (internal prices cancel, subsidies do not). Values are evaluated for thousands
of coalitions per call: each member's term is replaced by its upper concave hull on a grid,
the hull edges of all members are sorted by slope once, and every coalition's allocation is
the greedy fill of its own edges against the marginal cost :math:`C'(S)` and the capacity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..model.flow import form_of
from ..model.members import SHARED, Members, leader_coefficients
from ..model.parameters import Parameters, require_scalar, unchecked
from ..solvers.function_game import FunctionGame
from ._member_hull import grid_points, upper_hull

__all__ = ["ConsortiumValue", "consortium_game"]

Array = NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ConsortiumValue:
    r"""Vectorised coalition values of a consortium: call it on a ``(k, N + 1)`` boolean matrix.

    Built by :func:`consortium_game`; :meth:`bound` gives the hull relaxation's upper bound,
    so ``bound(t) - self(t)`` certifies each value.
    """

    p: Parameters  # the joint objective's parameters (integration = 1)
    members: Members
    beta: Array  # member terms h_j(s) = beta_j s - kappa_j Δq_j(s) + const_j, s > 0
    kappa: Array
    const: Array
    ub: Array
    capacity: float
    slope: Array  # hull edges of all members, sorted by decreasing slope
    width: Array
    owner: NDArray[np.intp]
    c1: float
    c2: float
    points: Array  # (N, G): each member's grid

    def term(self, s: Array) -> Array:
        r""":math:`\tilde h_j(s_j)`: at most 0 or the readiness balance at 0, else :math:`h_j`."""
        q = self.members.parameters(self.p)
        h = self.beta * s - self.kappa * form_of(self.p).share(q, s) + self.const
        return np.where(s > 0, h, np.maximum(self.const, 0.0))

    def _fill(self, t: NDArray[np.bool_]) -> tuple[Array, Array]:
        """Greedy fill of each coalition's hull edges: taken amount per edge and per member."""
        inside = t[:, 1:][:, self.owner]
        w = np.where(inside, self.width, 0.0)
        before = np.cumsum(w, axis=1) - w
        reach = np.minimum((self.slope - self.c1) / self.c2, self.capacity)
        x = np.clip(reach - before, 0.0, w)
        n = len(self.members)
        onehot = sp.csr_matrix(
            (np.ones(self.owner.size), (np.arange(self.owner.size), self.owner)),
            shape=(self.owner.size, n),
        )
        return x, np.asarray(x @ onehot)

    def _cost(self, total: Array) -> Array:
        return self.c1 * total + 0.5 * self.c2 * total * total

    def __call__(self, coalitions: NDArray[np.bool_]) -> Array:
        """:math:`v(T)` for each row of a ``(k, N + 1)`` boolean matrix (万元/yr)."""
        t = np.asarray(coalitions, dtype=bool)
        x, s = self._fill(t)
        members = t[:, 1:]
        base = np.where(members, self.term(s), 0.0).sum(axis=1)
        total = s.sum(axis=1)
        best = base - self._cost(total)
        # The edge filled part-way may bridge a non-concave stretch (a readiness cost at 0, a
        # flow cap): give that member its best amount on its true term, the others fixed.
        partial = (x > 0) & (x < np.where(t[:, 1:][:, self.owner], self.width, 0.0))
        rows = np.flatnonzero(partial.any(axis=1))
        if rows.size:
            j = self.owner[np.argmax(partial[rows], axis=1)]
            rest = total[rows] - s[rows, j]
            cand = self._candidates(j, rest)
            gain = self._member_term_grid(j, cand) - self._cost(rest[:, None] + cand)
            gain = np.where(rest[:, None] + cand <= self.capacity * (1 + 1e-12), gain, -np.inf)
            alt = base[rows] - self._member_term(j, s[rows, j]) + gain.max(axis=1)
            best[rows] = np.maximum(best[rows], alt)
        return np.where(t[:, 0], best, 0.0)

    def _candidates(self, j: NDArray[np.intp], rest: Array) -> Array:
        """Grid points of member j and, in each cell, where its chord slope meets C'."""
        g = self.points[j]  # (r, G)
        h = self._member_term_grid(j, g)
        h0 = np.where(g[:, :1] > 0, h[:, :1], self.const[j][:, None])  # right limit at 0
        left = np.concatenate([h0, h[:, 1:-1]], axis=1)
        dg = np.diff(g, axis=1)
        slope = (h[:, 1:] - left) / np.where(dg > 0, dg, 1.0)
        star = np.clip((slope - self.c1) / self.c2 - rest[:, None], g[:, :-1], g[:, 1:])
        room = np.clip(self.capacity - rest, 0.0, None)[:, None]
        return np.concatenate([g, star, np.minimum(g[:, -1:], room)], axis=1)

    def _member_term_grid(self, j: NDArray[np.intp], s: Array) -> Array:
        r""":math:`\tilde h_j` at the points ``s`` (r, G) of member ``j[r]``."""
        q = self.members.parameters(self.p)
        rows = {
            f: np.asarray(getattr(q, f))[..., j, None] for f in SHARED if np.ndim(getattr(q, f))
        }
        share = form_of(self.p).share(unchecked(q, **rows), s)
        h = self.beta[j, None] * s - self.kappa[j, None] * share + self.const[j, None]
        return np.where(s > 0, h, np.maximum(self.const[j, None], 0.0))

    def _member_term(self, j: NDArray[np.intp], s: Array) -> Array:
        r""":math:`\tilde h_{j_r}(s_r)` for a member index and an amount per row."""
        return self._member_term_grid(j, s[:, None])[:, 0]

    def bound(self, coalitions: ArrayLike) -> Array:
        r"""Upper bound from the concave hulls: :math:`\ge v(T)`, equal for concave terms."""
        t = np.asarray(coalitions, dtype=bool)
        x, s = self._fill(t)
        zero = np.where(t[:, 1:], np.maximum(self.const, 0.0), 0.0).sum(axis=1)
        value = zero + (x * self.slope).sum(axis=1) - self._cost(s.sum(axis=1))
        return np.where(t[:, 0], value, 0.0)


def consortium_game(
    p: Parameters,
    members: Members,
    *,
    leader_capacity: float = np.inf,
    grid: int = 129,
) -> FunctionGame:
    r"""The consortium's coalitional game (MODEL.md §10): leader (player 0) and N members.

    Parameters
    ----------
    p : Parameters
        Scalar parameters: the leader's fields and every column ``members`` leaves out.
        ``integration`` is ignored: a coalition maximises its joint surplus.
    members : Members
        The N members (players 1..N, in table order).
    leader_capacity : float, default inf
        :math:`\bar S`, the leader's doctor-days per year for all members (dd/yr).
    grid : int, default 129
        Grid points per member for curved flows (≥ 9); piecewise-linear flows are exact on
        their kinks.

    Returns
    -------
    FunctionGame
        ``n = N + 1`` players named ``"leader"`` and the members' names; its ``function``
        is a :class:`ConsortiumValue` (``.bound(t)`` certifies values).

    Raises
    ------
    ValueError
        Array-valued ``p``, a negative or NaN ``leader_capacity``, ``grid`` < 9.
    TypeError
        If ``members`` is not a :class:`~compensation.model.members.Members`.

    Notes
    -----
    With member terms of the joint objective (:math:`\eta = 1`, all in T active)
    :math:`h_j(s) = (g_j + \beta_B - t_j - c_{Pj}) s - (m_L - \rho_L - m_{Pj}) V_j(s)
    + g_{Pj} - K_{Pj}` for :math:`s > 0` and :math:`\tilde h_j(0) = \max(0, g_{Pj} - K_{Pj})`
    (a member may stay out),

    .. math::

        v(T) = \max_{0 \le s_j \le \min(s_{max}, \bar s_j),\ \sum_j s_j \le \bar S}
        \sum_{j \in T \setminus L} \tilde h_j(s_j) - C\Big(\sum_j s_j\Big)
        \quad (L \in T), \qquad v(T) = 0 \quad (L \notin T).

    Each :math:`\tilde h_j` is replaced by its upper concave hull on the grid; the hull
    problem is a fractional knapsack solved by one sorted pass per coalition. The edge filled
    part-way is then tried empty and full on the true terms, and the best feasible value is
    returned: exact for concave piecewise-linear terms, otherwise within ``bound - value``.
    Check the big-boss condition with :func:`~compensation.solvers.bigboss.big_boss`.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.consortium_game import consortium_game
    >>> from compensation.solvers.bigboss import big_boss
    >>> m = Members(name=["A", "B", "C"], visits=[120_000, 60_000, 20_000],
    ...             travel_cost=[0.0, 0.02, 0.05], host_capacity=400, readiness_cost=0.0)
    >>> game = consortium_game(Parameters(subsidy=0.3), m, leader_capacity=900)
    >>> round(game.grand, 2), round(game.value((0, 1)), 2), game.value((1, 2))
    (82.08, 62.72, 0.0)
    >>> r = big_boss(game)
    >>> r.holds, r.nucleolus.round(2).tolist()
    (True, [64.01, 11.88, 6.2, 0.0])
    """
    require_scalar(p, "consortium_game")
    if not isinstance(members, Members):
        raise TypeError(f"members must be a Members table; got {type(members).__name__}")
    cap = float(np.asarray(leader_capacity, dtype=float))
    if np.isnan(cap) or cap < 0:
        raise ValueError(f"leader_capacity must be ≥ 0 (dd/yr; inf for none); got {cap!r}")
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 9:
        raise ValueError(f"grid must be an integer ≥ 9 (points per member); got {grid!r}")
    joint = p.replace(integration=1.0)
    q = members.parameters(joint)
    t = members.column("travel_cost", joint)
    beta, kappa, const = (np.broadcast_to(np.asarray(a, dtype=float), (len(members),)).copy()
                          for a in leader_coefficients(q, t, 1.0))  # fmt: skip
    ub = np.minimum(float(p.max_sinking), members.column("host_capacity", joint))
    form = form_of(joint)
    kink = np.broadcast_to(np.asarray(form.kink(q), dtype=float), ub.shape)
    value = ConsortiumValue(joint, members, beta, kappa, const, ub, cap, np.zeros(0),
                            np.zeros(0), np.zeros(0, dtype=np.intp), float(p.cost_linear),
                            float(p.cost_quadratic), np.zeros((len(members), 0)))  # fmt: skip
    probe = grid_points(ub, kink, 9)
    curved = bool(np.any(form.curvature(q, probe.T).T != 0)) if ub.size else False
    points = grid_points(ub, kink, grid if curved else 4)
    vals = value.term(points.T).T
    _, slopes, width, _ = upper_hull(points, vals)
    keep = np.isfinite(slopes) & (width > 0) & (slopes > value.c1)
    owner = np.broadcast_to(np.arange(len(members))[:, None], slopes.shape)[keep]
    order = np.argsort(-slopes[keep], kind="stable")
    value = _with_edges(value, slopes[keep][order], width[keep][order], owner[order], points)
    names = ("leader", *(str(x) for x in members.name))
    return FunctionGame(len(members) + 1, value, names)


def _with_edges(
    value: ConsortiumValue, slope: Array, width: Array, owner: Any, points: Array
) -> ConsortiumValue:
    return replace(
        value, slope=slope, width=width, owner=np.asarray(owner, dtype=np.intp), points=points
    )
