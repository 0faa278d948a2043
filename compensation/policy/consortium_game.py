r"""The coalitional game of a consortium with many members, for any N (MODEL.md §10).

Player 0 is the leader, players 1..N the members of a
:class:`~compensation.model.members.Members` table. A coalition without the leader is worth 0;
with it, the joint surplus of the leader and the members in it at their best allocation of
doctor-days (internal prices cancel, subsidies do not). Values are evaluated for thousands
of coalitions per call: each member's term is replaced by its upper concave hull on a grid,
the hull edges of all members are sorted by slope once, and every coalition's allocation is
the greedy fill of its own edges against the marginal cost :math:`C'(S)` and the capacity.
For permutation sampling, :meth:`ConsortiumValue.prefix` gives all prefixes of an ordering
by walking the cutoff of that fill as players join, :math:`O(N + E)` per ordering.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from ..model.flow import form_of
from ..model.members import SHARED, Members, leader_coefficients
from ..model.parameters import Parameters, unchecked
from ..solvers.function_game import FunctionGame
from ._coalition_chain import chain, distinct, lift_along, own_before, restrict
from ._coalition_value import TOL, CoalitionValues, branch_and_bound, excess
from ._member_hull import Part, grid_points, upper_hull
from .allocation_result import check_capacity

__all__ = ["CoalitionValues", "ConsortiumValue", "consortium_game"]

Array = NDArray[np.float64]
CHAIN_CELLS = 1 << 23  # floats per prefix call: orderings × (edges + a few per player)


@dataclass(frozen=True, eq=False)
class ConsortiumValue:
    r"""Vectorised coalition values of a consortium: call it on a ``(k, N + 1)`` boolean matrix.

    Built by :func:`consortium_game`. Values are optimal to ``tol`` wherever
    :meth:`solve` certifies them (always for the linear flow); :meth:`bound` gives the grid
    hull relaxation's upper bound, the fast screen.
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
    exact: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # exact[j]: member j's term is concave and linear between its grid points, so the greedy
    # fill is optimal for it and the part-way edge needs no second look
    values: Array = field(default_factory=lambda: np.zeros((0, 0)))  # (N, G) terms on points
    gapped: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # gapped[e]: edge e bridges a non-concave stretch or starts at the jump at 0
    excess: Array = field(default_factory=lambda: np.zeros(0))  # (N,) term over interpolant
    tol: float = TOL
    search: bool = True  # branch and bound where the greedy fill leaves a gap

    @cached_property
    def part(self) -> Part:
        r"""The member terms :math:`h_j(s) = \beta_j s - \kappa_j \Delta q_j(s) + c_j`, a row each.

        Fields of shape ``(N, 1)`` (:class:`~compensation.policy._member_hull.Part`), built
        once: its ``value``, ``slope`` and ``curvature`` take amounts of shape ``(N, G)``.
        """
        q = self.members.parameters(self.p)
        rows = {f: np.asarray(getattr(q, f))[:, None] for f in SHARED if np.ndim(getattr(q, f))}
        form = form_of(self.p)
        kink = np.broadcast_to(np.asarray(form.kink(q), dtype=float), self.ub.shape)
        return Part(unchecked(q, **rows), self.beta[:, None], self.kappa[:, None],
                    self.const[:, None], self.ub, kink, form)  # fmt: skip

    @cached_property
    def onehot(self) -> sp.csr_matrix:
        """``(E, N)`` sparse: edge e belongs to member ``owner[e]`` (amounts per member)."""
        e = self.owner.size
        return sp.csr_matrix((np.ones(e), (np.arange(e), self.owner)), shape=(e, len(self.const)))

    @cached_property
    def _by_slot(self) -> tuple[tuple[Any, NDArray[np.intp]], ...]:
        """Per slot i: the members with more than i edges (a slice if all) and their i-th."""
        order = np.argsort(self.owner, kind="stable")  # by member, then by edge
        counts = np.bincount(self.owner, minlength=len(self.const))
        start = np.cumsum(counts) - counts
        out = []
        for i in range(int(counts.max(initial=0))):
            who = np.flatnonzero(counts > i)
            out.append((slice(None) if who.size == counts.size else who, order[start[who] + i]))
        return tuple(out)

    def per_member(self, x: Array) -> Array:
        """Amounts per edge ``x`` of shape ``(k, E)`` summed per member: ``x @ onehot``.

        Bit for bit the sparse product, layout (column-major) included, whose reductions
        later depend on it: each member's edges added to 0 in edge order, without the
        product's transposed copy of ``x``.
        """
        if len(self._by_slot) > 4:  # curved flows' many edges: a pass per slot costs more
            return np.asarray(x @ self.onehot)
        out = np.zeros((len(x), len(self.const)), order="F")
        for who, edge in self._by_slot:
            out[:, who] += x[:, edge]
        return out

    @cached_property
    def _edge_start(self) -> Array:
        return np.asarray(own_before(self))

    def term(self, s: Array) -> Array:
        r""":math:`\tilde h_j(s_j)`: at most 0 or the readiness balance at 0, else :math:`h_j`.

        ``s`` has the members on its last axis, shape ``(..., N)``.
        """
        s = np.asarray(s, dtype=float)
        return self.terms(s.reshape(-1, len(self.const)).T).T.reshape(s.shape)

    def terms(self, s: Array, rows: Any = None) -> Array:
        r""":math:`\tilde h_j` at amounts ``s`` of shape ``(r, G)``, row i member ``rows[i]``.

        ``rows`` defaults to every member in order (``r = N``).
        """
        part = self.part if rows is None else self.part.take(rows)
        return np.where(s > 0, part.value(s), np.maximum(part.const, 0.0))

    def _fill(self, t: NDArray[np.bool_]) -> tuple[Array, Array]:
        """Greedy fill of each coalition's hull edges: taken amount per edge and per member."""
        inside = t[:, 1:][:, self.owner]
        w = np.where(inside, self.width, 0.0)
        before = np.cumsum(w, axis=1) - w
        reach = np.minimum((self.slope - self.c1) / self.c2, self.capacity)
        x = np.clip(reach - before, 0.0, w)
        return x, np.asarray(x @ self.onehot)

    def _best_move(self, j: NDArray[np.intp], rest: Array) -> Array:
        """Member j's best term less the cost, the others' total ``rest`` fixed (per row)."""
        cand = self._candidates(j, rest)
        total = rest[:, None] + cand
        gain = self.terms(cand, j) - self._cost(total)
        return np.where(total <= self.capacity * (1 + 1e-12), gain, -np.inf).max(axis=1)

    def _cost(self, total: Array) -> Array:
        return self.c1 * total + 0.5 * self.c2 * total * total

    def __call__(self, coalitions: NDArray[np.bool_]) -> Array:
        """:math:`v(T)` for each row of a ``(k, N + 1)`` boolean matrix (万元/yr)."""
        return self.solve(coalitions).values

    def solve(self, coalitions: ArrayLike) -> CoalitionValues:
        r"""Values of the rows of a ``(k, N + 1)`` boolean matrix with their certificates.

        The greedy fill of the hull edges is exact unless the edge it fills part-way bridges
        a non-concave stretch; those coalitions go to a branch and bound over the members'
        concave pieces (:mod:`._coalition_value`), usually one or two branches.
        """
        t = np.asarray(coalitions, dtype=bool)
        if t.ndim != 2 or t.shape[1] != len(self.members) + 1:
            raise ValueError(f"coalitions must have shape (k, {len(self.members) + 1})")
        best, hull, gapped = self._greedy(t)
        return self._certify(t, best, hull, gapped)

    def _certify(
        self, t: Any, best: Array, hull: Array, gapped: Any, lift: Any = None
    ) -> CoalitionValues:
        lead = t[:, 0]
        best = np.where(lead, best, 0.0)
        upper = np.where(lead, np.maximum(hull + t[:, 1:] @ self.excess, best), 0.0)
        nodes = np.zeros(len(t), dtype=np.intp)
        todo = lead & gapped & (hull - best > self.tol * np.maximum(1.0, np.abs(best)))
        todo &= self.search
        if todo.any():
            # a coalition drawn many times (small prefixes, Owen's unions) is searched once
            first, inv = distinct(t[todo])
            start = np.full(first.size, -np.inf)
            np.maximum.at(start, inv, best[todo])
            sub = None if lift is None else restrict(lift, best, todo, inv)
            v, u, n = branch_and_bound(self, t[todo][first], start, tol=self.tol, lift=sub)
            best[todo], upper[todo] = v[inv], np.minimum(upper[todo], np.maximum(u, v)[inv])
            nodes[todo] = n[inv]
        certified = upper - best <= self.tol * np.maximum(1.0, np.abs(best))
        return CoalitionValues(best, upper, certified, nodes, self.tol)

    def _greedy(self, t: NDArray[np.bool_]) -> tuple[Array, Array, NDArray[np.bool_]]:
        """Greedy fill, its part-way edge repaired: values, hull bounds, gapped part-way edge."""
        x, s = self._fill(t)
        members = t[:, 1:]
        base = np.where(members, self.term(s), 0.0).sum(axis=1)
        total = s.sum(axis=1)
        best = base - self._cost(total)
        hull = self._hull(t, x, total)
        # The edge filled part-way may bridge a non-concave stretch (a readiness cost at 0, a
        # flow cap): give that member its best amount on its true term, the others fixed.
        partial = (x > 0) & (x < np.where(t[:, 1:][:, self.owner], self.width, 0.0))
        gapped = np.asarray((partial & self.gapped).any(axis=1), dtype=bool)
        rows = np.flatnonzero(partial.any(axis=1))
        if rows.size:
            j = self.owner[np.argmax(partial[rows], axis=1)]
            rest = total[rows] - s[rows, j]
            alt = base[rows] - self._member_term(j, s[rows, j]) + self._best_move(j, rest)
            best[rows] = np.maximum(best[rows], alt)
        return best, hull, gapped

    def _candidates(self, j: NDArray[np.intp], rest: Array) -> Array:
        """Grid points of member j and, in each cell, where its chord slope meets C'."""
        g = self.points[j]  # (r, G)
        h = self.terms(g, j)
        h0 = np.where(g[:, :1] > 0, h[:, :1], self.const[j][:, None])  # right limit at 0
        left = np.concatenate([h0, h[:, 1:-1]], axis=1)
        dg = np.diff(g, axis=1)
        slope = (h[:, 1:] - left) / np.where(dg > 0, dg, 1.0)
        star = np.clip((slope - self.c1) / self.c2 - rest[:, None], g[:, :-1], g[:, 1:])
        room = np.clip(self.capacity - rest, 0.0, None)[:, None]
        return np.concatenate([g, star, np.minimum(g[:, -1:], room)], axis=1)

    def _member_term(self, j: NDArray[np.intp], s: Array) -> Array:
        r""":math:`\tilde h_{j_r}(s_r)` for a member index and an amount per row."""
        return self.terms(s[:, None], j)[:, 0]

    def prefix(self, orderings: ArrayLike) -> Array:
        r"""Values of every prefix of each ordering, shape ``(k, N + 2)`` (万元/yr).

        The same values as calling on the ``N + 2`` nested coalitions, in :math:`O(N + E)` per
        ordering (``E`` hull edges) instead of :math:`O(N E)`: players join one at a time, and
        the edge where the greedy fill stops only moves towards steeper edges as they do (more
        supply at every slope), so one pointer per ordering walks the edges once.
        """
        perms = np.asarray(orderings, dtype=np.intp)
        n1 = perms.shape[1]
        step = max(1, CHAIN_CELLS // (self.slope.size + 8 * (n1 + 1)))
        if perms.shape[0] > step:  # bounded memory: an edge row per ordering
            parts = [self.prefix(perms[i : i + step]) for i in range(0, perms.shape[0], step)]
            return np.concatenate(parts, axis=0)
        state = chain(self, perms)
        rank = np.empty_like(perms)
        np.put_along_axis(rank, perms, np.arange(n1), axis=1)
        size = np.arange(n1 + 1)
        lead = rank[:, :1] < size  # (k, n1 + 1): the leader is in the prefix
        values, hull, gapped = self._chain_values(state, rank, size)
        values = np.where(lead, values, 0.0)
        # prefixes whose part-way edge bridges a gap: the same branch and bound as __call__
        r, c = np.nonzero(lead & gapped & (hull - values > self.tol * np.maximum(1, abs(values))))
        if r.size and self.search:
            rows = rank[r] < c[:, None]
            lift = lift_along(values, perms, np.maximum(self.const, 0.0), (r, c))
            values[r, c] = self._certify(rows, values[r, c], hull[r, c], c >= 0, lift).values
        return values

    def _chain_values(self, state: tuple[Any, ...], rank: Any, size: Any) -> tuple[Any, ...]:
        cut, taken, worth, zero = state  # cutoff edge, amount and hull value before it, zero terms
        e = self.slope.size
        safe = np.minimum(cut, max(e - 1, 0))
        if e:
            owner = self.owner[safe]
            has = (cut < e) & (np.take_along_axis(rank, owner + 1, axis=1) < size)
            reach = np.minimum((self.slope[safe] - self.c1) / self.c2, self.capacity)
            x = np.where(has, np.clip(reach - taken, 0.0, self.width[safe]), 0.0)
        else:
            owner, has, x = np.zeros_like(cut), np.zeros(cut.shape, bool), np.zeros(cut.shape)
        total = taken + x
        base = zero + worth + (x * self.slope[safe] if e else 0.0)
        best = base - self._cost(total)
        hull = best.copy()
        partial = has & (x > 0) & (x < (self.width[safe] if e else 0.0))
        gapped = partial & self.gapped[safe] if e else partial
        exact = self.exact if self.exact.size else np.zeros(len(self.members), bool)
        r, c = np.nonzero(partial & ~exact[owner])
        if r.size:
            j = owner[r, c]
            own = self._edge_start[safe[r, c]]
            s_j = own + x[r, c]
            # the hull's value on the part-way edge, replaced by the member's true term
            true = base[r, c] - x[r, c] * self.slope[safe[r, c]] - self._member_term(j, own)
            true += self._member_term(j, s_j)
            rest = total[r, c] - s_j
            alt = true - self._member_term(j, s_j) + self._best_move(j, rest)
            best[r, c] = np.maximum(true - self._cost(total[r, c]), alt)
        return best, hull, gapped

    def bound(self, coalitions: ArrayLike) -> Array:
        r"""The grid hull relaxation: :math:`\ge v(T)` for the linear flow, equal when concave.

        For curved flows it bounds the problem on the grid's interpolants; the proven bound
        adds ``excess`` per member: use ``solve(t).upper``.
        """
        t = np.asarray(coalitions, dtype=bool)
        x, s = self._fill(t)
        return np.where(t[:, 0], self._hull(t, x, s.sum(axis=1)), 0.0)

    def _hull(self, t: NDArray[np.bool_], x: Array, total: Array) -> Array:
        """The concave hull's value of the greedy fill ``x`` (the relaxation's bound)."""
        zero = np.where(t[:, 1:], np.maximum(self.const, 0.0), 0.0).sum(axis=1)
        return zero + (x * self.slope).sum(axis=1) - self._cost(total)


def consortium_game(
    p: Parameters,
    members: Members,
    *,
    leader_capacity: float = np.inf,
    grid: int = 129,
    exact: bool = True,
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
    exact : bool, default True
        Branch and bound wherever the greedy fill leaves a gap (a readiness cost, a flow cap,
        a curved flow). ``False`` keeps the greedy values, feasible and certified by
        :meth:`ConsortiumValue.solve` but possibly below :math:`v(T)` and not monotone: 10–60
        times faster on such members, for sampling with thousands of orderings.

    Returns
    -------
    FunctionGame
        ``n = N + 1`` players named ``"leader"`` and the members' names; its ``function``
        is a :class:`ConsortiumValue` (``.solve(t)`` returns the values with proven upper
        bounds, :class:`CoalitionValues`), its ``prefix`` the same values along orderings
        (:meth:`ConsortiumValue.prefix`, for sampling). Its ``veto`` is ``(0,)``: a
        coalition without the leader is worth 0, so sampled Shapley values put the leader
        first in every ordering.

    Raises
    ------
    ValueError
        Array-valued ``p``, a negative or NaN ``leader_capacity``, ``grid`` < 9, a
        non-boolean ``exact``.
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
    problem is a fractional knapsack solved by one sorted pass per coalition, which puts
    every member on a hull vertex but the one on the edge filled part-way. When that edge
    bridges a non-concave stretch, a branch and bound cuts that member's domain into
    :math:`\{0\}` and its concave runs (one child each) and solves the same relaxation on
    each, until every open bound is within ``tol`` (1e-9, relative) of the best value: exact
    for the linear flow, whose terms are linear between the grid's points. At every node,
    members whose readiness cost cannot (or must) pay at the node's marginal cost, by more than
    the node's gap, are fixed off (or on) for the subtree below, and along orderings each
    prefix starts from its predecessor's value. For curved flows
    the search is exact on the grid's interpolant of each term, and the proven upper bound
    adds each member's largest excess of its term over that interpolant (a few 1e-4 relative
    at ``grid=129``, shrinking as ``grid``\ :sup:`-2`); :meth:`ConsortiumValue.solve`
    reports which values are certified. Check the big-boss condition with
    :func:`~compensation.solvers.bigboss.big_boss`.

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
    >>> game.veto, game.function.solve([[1, 1, 1, 1]]).all_certified
    ((0,), True)
    """
    cap = check_capacity(p, members, leader_capacity, "consortium_game")
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)) or grid < 9:
        raise ValueError(f"grid must be an integer ≥ 9 (points per member); got {grid!r}")
    if not isinstance(exact, (bool, np.bool_)):
        raise ValueError(f"exact must be True or False; got {exact!r}")
    joint = p.replace(integration=1.0)
    q = members.parameters(joint)
    t = members.column("travel_cost", joint)
    beta, kappa, const = (np.broadcast_to(np.asarray(a, dtype=float), (len(members),)).copy()
                          for a in leader_coefficients(q, t, 1.0))  # fmt: skip
    ub = np.minimum(float(p.max_sinking), members.column("host_capacity", joint))
    value = ConsortiumValue(joint, members, beta, kappa, const, ub, cap, np.zeros(0),
                            np.zeros(0), np.zeros(0, dtype=np.intp), float(p.cost_linear),
                            float(p.cost_quadratic), np.zeros((len(members), 0)))  # fmt: skip
    part = value.part
    probe = grid_points(ub, part.kink, 9)
    bent = np.any(part.form.curvature(part.q, probe) != 0, axis=-1)
    curved = bool(np.any(bent))
    points = grid_points(ub, part.kink, grid if curved else 4)
    vals = value.terms(points)
    _, slopes, width, bridge = upper_hull(points, vals)
    bridge[:, 0] |= value.const < 0  # the first edge leaves the point 0, above the right limit
    keep = np.isfinite(slopes) & (width > 0) & (slopes > value.c1)
    owner = np.broadcast_to(np.arange(len(members))[:, None], slopes.shape)[keep]
    order = np.argsort(-slopes[keep], kind="stable")
    value = _with_edges(value, slopes[keep][order], width[keep][order], owner[order], points)
    concave = _concave(value, np.broadcast_to(bent, ub.shape), vals)
    value = replace(value, exact=concave, values=vals,
                    gapped=bridge[keep][order], excess=np.zeros(len(members)),
                    search=bool(exact))  # fmt: skip
    if curved:
        value = replace(value, excess=excess(value))
    names = ("leader", *(str(x) for x in members.name))
    return FunctionGame(len(members) + 1, value, names, prefix=value.prefix, veto=(0,))


def _concave(value: ConsortiumValue, bent: Any, h: Array) -> NDArray[np.bool_]:
    """Members whose term (``h``, on the grid) is piecewise linear, concave, continuous at 0."""
    g = value.points
    dg = np.diff(g, axis=1)
    chord = np.diff(h, axis=1) / np.where(dg > 0, dg, 1.0)
    chord = np.where(dg > 0, chord, np.inf)  # repeated points: no constraint
    scale = 1e-9 * (1.0 + np.abs(chord[np.isfinite(chord)]).max(initial=0.0))
    steepest = np.minimum.accumulate(chord, axis=1)[:, :-1]  # least slope of earlier cells
    falling = np.all(chord[:, 1:] <= steepest + scale, axis=1)
    return ~np.asarray(bent, dtype=bool) & falling & (value.const >= 0)


def _with_edges(
    value: ConsortiumValue, slope: Array, width: Array, owner: Any, points: Array
) -> ConsortiumValue:
    return replace(
        value, slope=slope, width=width, owner=np.asarray(owner, dtype=np.intp), points=points
    )
