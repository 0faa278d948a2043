r"""Exact coalition values of the consortium game by branch and bound (MODEL.md §10).

Helpers of :mod:`compensation.policy.consortium_game`. A coalition's value is

.. math::

    v(T) = \max_{0 \le s_j \le u_j,\ \sum_j s_j \le \bar S}
    \sum_{j \in T} \tilde h_j(s_j) - C\Big(\sum_j s_j\Big), \qquad
    C(S) = c_1 S + \tfrac12 c_2 S^2 .

The relaxation replaces each :math:`\tilde h_j` by the upper concave hull of its values on a
grid, a fractional knapsack solved greedily; it puts every member on a hull vertex except the
one whose edge is filled part-way. Only that member can open a gap, and only when its edge
*bridges* a non-concave stretch (a readiness cost at 0, a flow cap) or starts at the jump at 0.
A branch splits that member's domain, at the jump (:math:`\{0\}` against :math:`(0, u_j]`) or
at the grid point deepest below the bridge; each child is the same relaxation with the
member's hull taken over its piece only. Pieces shrink, so the search ends; it stops as soon as
every open node's bound is within the tolerance of the best feasible value found. Before a
node branches, members whose jump at 0 the node's multiplier settles are fixed on or off for
its subtree (:mod:`._coalition_fix`); each node's feasible value also tries its part-way member
at 0.

The relaxation is exact on the grid's piecewise-linear interpolant of each term. For the linear
flow (kinks on the grid) that *is* the term. For curved flows each member's term exceeds its
interpolant by at most ``excess[j]`` (tangent lines bound a concave cell, the chord a convex
one), added to the upper bound: raise ``grid`` to shrink it quadratically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from ._coalition_branch import branch, piece
from ._coalition_fix import fixable, node_fix
from ._member_hull import upper_hull

__all__ = ["MAX_NODES", "TOL", "CoalitionValues", "branch_and_bound", "excess"]

TOL = 1e-9  # relative optimality gap of a certified value (absolute below 1 万元)
MAX_NODES = 10_000  # nodes per coalition before the search stops and reports its bound
CELLS = 1 << 22  # floats per batch of nodes: nodes × (edges + piece edges + members)
Array = NDArray[np.float64]


@dataclass(frozen=True)
class CoalitionValues(Result):
    r"""Coalition values with their certificates (万元/yr).

    Attributes
    ----------
    values : ndarray
        :math:`v(T)`, the best feasible joint surplus found, one per coalition.
    upper : ndarray
        A proven upper bound of :math:`v(T)`.
    certified : ndarray of bool
        ``upper - values <= tol * max(1, |values|)``: the value is optimal to ``tol``.
    nodes : ndarray of int
        Branch-and-bound nodes solved per coalition (0: the greedy fill was already exact).
    tol : float
        The relative tolerance of the certificate.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.consortium_game import consortium_game
    >>> m = Members(name=["A", "B"], visits=[120_000, 60_000], readiness_cost=2.0)
    >>> r = consortium_game(Parameters(subsidy=0.2), m, leader_capacity=600).function.solve(
    ...     [[True, True, True], [True, False, True], [False, True, True]])
    >>> r.values.round(3).tolist(), bool(r.certified.all())
    ([21.426, 17.536, 0.0], True)
    """

    values: Array
    upper: Array
    certified: NDArray[np.bool_]
    nodes: NDArray[np.intp]
    tol: float

    @property
    def gap(self) -> Array:
        """``upper - values`` (万元/yr), ≥ 0."""
        return np.asarray(self.upper - self.values)

    @property
    def all_certified(self) -> bool:
        """Whether every value is optimal to ``tol``."""
        return bool(self.certified.all())


class _Pieces:
    """The pieces a search has cut members into: id -> member, start, hull edges (padded)."""

    def __init__(self, cv: Any) -> None:
        self.cv, self.size = cv, cv.points.shape[1] - 1  # edges per piece at most
        self.ids: dict[tuple[int, int, int, bool], int] = {}
        self.rows: list[tuple[Any, ...]] = []
        self.table: tuple[Array, ...] = ()
        self.cuts: dict[tuple[int, int, int, bool], list[int]] = {}

    def get(self, j: int, lo: int, hi: int, open_: bool) -> int:
        key = (j, lo, hi, open_)
        if key not in self.ids:
            g, v = piece(self.cv, j, (lo, hi, open_))
            sl, wd = np.full(self.size, -np.inf), np.zeros(self.size)
            gp, verts = np.zeros(self.size, dtype=bool), np.zeros(1, dtype=np.intp)
            if g.size > 1:
                vx, s1, w1, br = upper_hull(g[None], v[None])
                n = g.size - 1
                sl[:n], wd[:n], gp[:n] = s1[0], w1[0], br[0]
                gp[0] |= lo == 0 and not open_ and self.cv.const[j] < v[0]  # the jump at 0
                verts = np.unique(vx[0])
            self.ids[key] = len(self.rows)
            self.rows.append((j, g[0], v[0], sl, wd, gp, verts, key))
            self.table = ()
        return self.ids[key]

    def arrays(self) -> tuple[Array, ...]:
        if not self.table:
            cols = list(zip(*self.rows))
            self.table = tuple(np.asarray(c) for c in cols[:6])
        return self.table


def _relax(cv: Any, pieces: _Pieces, inside: Any, pid: Any) -> tuple[Array, ...]:
    """Greedy fill of each node's hull edges, members of ``pid`` kept on their pieces.

    The pieces' edges are merged into the global slope order by position, not by sorting:
    ``O(E + X^2)`` per node for ``E`` edges and ``X`` piece edges.
    """
    k, n = inside.shape
    member, start, sval, sl, wd, gp = pieces.arrays() if pid.size else (np.zeros(0),) * 6
    valid = pid >= 0
    safe = np.where(valid, pid, 0)
    pm = np.where(valid, member[safe], 0).astype(np.intp) if pid.size else pid
    held = inside.copy()
    rr = np.broadcast_to(np.arange(k)[:, None], pid.shape)
    held[rr[valid], pm[valid]] = False
    wb = np.where(held[:, cv.owner], cv.width, 0.0)
    fixed = np.where(valid, start[safe], 0.0).sum(axis=1) if pid.size else np.zeros(k)
    worth = held @ np.maximum(cv.const, 0.0)
    worth = worth + (np.where(valid, sval[safe], 0.0).sum(axis=1) if pid.size else 0.0)
    x_slope = np.where(valid[..., None], sl[safe], -np.inf).reshape(k, -1) if pid.size else None
    cost_c1 = cv.c1
    cap = cv.capacity - fixed
    e = cv.slope.size
    run = np.cumsum(wb, axis=1)
    cum = run - wb  # base edges before each base edge
    if x_slope is not None and x_slope.shape[1]:
        xw = np.where(valid[..., None], wd[safe], 0.0).reshape(k, -1)
        xg = np.where(valid[..., None], gp[safe], False).reshape(k, -1)
        xo = np.repeat(pm, pieces.size, axis=1)
        pos = np.searchsorted(-cv.slope, -x_slope, side="right")
        flat = (np.arange(k)[:, None] * (e + 1) + pos).ravel()
        add = _scatter(flat, xw, k * (e + 1)).reshape(k, e + 1)
        cum += np.cumsum(add, axis=1, out=add)[:, :e]  # in place: fewer (k, E) arrays
        base_before = np.concatenate([np.zeros((k, 1)), run], axis=1)
        order = np.argsort(-x_slope, axis=1, kind="stable")  # piece edges among themselves
        ws = np.take_along_axis(xw, order, 1)
        among = np.empty_like(xw)
        np.put_along_axis(among, order, np.cumsum(ws, axis=1) - ws, 1)
        xb = np.take_along_axis(base_before, pos, 1) + among
        reach = np.minimum((x_slope - cost_c1) / cv.c2 - fixed[:, None], cap[:, None])
        xx = np.where(xw > 0, np.clip(reach - xb, 0.0, xw), 0.0)
        xpart = (xx > 0) & (xx < xw) & xg
        extra = (xx * np.where(xw > 0, x_slope, 0.0)).sum(axis=1)
    else:
        xx, xo, xpart = np.zeros((k, 0)), np.zeros((k, 0), dtype=np.intp), np.zeros((k, 0), bool)
        x_slope, extra, xw = np.zeros((k, 0)), np.zeros(k), np.zeros((k, 0))
    x = (cv.slope - cost_c1) / cv.c2 - fixed[:, None]
    np.minimum(x, cap[:, None], out=x)  # how far the fill may reach at each edge
    x -= cum
    np.clip(x, 0.0, wb, out=x)
    total = fixed + x.sum(axis=1) + xx.sum(axis=1)
    bound = worth + x @ cv.slope + extra - cv._cost(total)
    bound = np.where(fixed <= cv.capacity * (1 + 1e-12), bound, -np.inf)
    share = cv.per_member(x)
    share[rr[valid], pm[valid]] += start[safe][valid]  # one piece per member and node
    if xx.shape[1]:
        flat = (np.arange(k)[:, None] * n + xo).ravel()
        share += _scatter(flat, xx, k * n).reshape(k, n)
    # the part-way gapped edge, if any: the steepest of the base and the piece edges
    bpart = (x > 0) & (x < wb) & cv.gapped
    b_i = np.argmax(bpart, axis=1)
    b_s = np.where(bpart.any(axis=1), cv.slope[np.minimum(b_i, max(e - 1, 0))] if e else 0, -np.inf)
    x_s = np.where(xpart, x_slope, -np.inf).max(axis=1, initial=-np.inf)
    x_i = np.argmax(np.where(xpart, x_slope, -np.inf), axis=1) if xx.shape[1] else b_i
    x_owner = xo[np.arange(k), x_i] if xx.shape[1] else -1
    split = np.where(b_s >= x_s, cv.owner[b_i] if e else -1, x_owner)
    split = np.where(np.isfinite(np.maximum(b_s, x_s)), split, -1)
    sinks = inside & (share > 0)
    if sinks.sum() * 4 < sinks.size:  # few members sink: the flow only where they do
        terms = np.where(inside, np.maximum(cv.const, 0.0), 0.0)
        r_, c_ = np.nonzero(sinks)
        terms[r_, c_] = cv.terms(share[r_, c_, None], c_)[:, 0]
    else:
        terms = np.where(inside, cv.term(share), 0.0)
    load = share.sum(axis=1)
    value = terms.sum(axis=1) - cv._cost(load)
    # the part-way member taken out: often better when its edge bridges the jump at 0
    j = np.maximum(split, 0)
    sj = share[np.arange(k), j]
    out = value - terms[np.arange(k), j] + np.maximum(cv.const[j], 0.0) + cv._cost(load)
    out -= cv._cost(load - sj)
    value = np.where(split >= 0, np.maximum(value, out), value)
    value = np.where(np.isfinite(bound), value, -np.inf)
    # the multiplier of the node's fill: C'(S), or the slope of its steepest edge left out
    price = cv.c1 + cv.c2 * total
    if fixable(cv):  # only the fixing needs it
        # the steepest edge left out: the first, the slopes being sorted (ties: equal)
        out_ = (x < wb) & (wb > 0)
        left = np.where(out_.any(axis=1), cv.slope[np.argmax(out_, axis=1)] if e else 0, -np.inf)
        left = np.maximum(left, np.where(xx < xw, x_slope, -np.inf).max(axis=1, initial=-np.inf))
        price = np.maximum(price, left)
    return bound, share, split.astype(np.intp), value, price


def _scatter(flat: Any, weights: Array, size: int) -> Array:
    """``np.bincount(flat, weights, size)``: the same sums in the same order.

    Several times faster: bincount's weighted path is slow on long outputs.
    """
    out = np.zeros(size)
    np.add.at(out, flat, weights.ravel())
    return out


def _relax_chunked(cv: Any, pieces: _Pieces, inside: Any, pid: Any) -> tuple[Array, ...]:
    step = max(1, CELLS // (cv.slope.size + pid.shape[1] * (pieces.size + 8) + inside.shape[1]))
    if len(inside) <= step:
        return _relax(cv, pieces, inside, pid)
    parts = [_relax(cv, pieces, inside[i : i + step], pid[i : i + step])
             for i in range(0, len(inside), step)]  # fmt: skip
    return tuple(np.concatenate(c) for c in zip(*parts))


def branch_and_bound(
    cv: Any,
    rows: Any,
    start: Array,
    *,
    tol: float = TOL,
    max_nodes: int = MAX_NODES,
    lift: Callable[[Array], Array] | None = None,
) -> tuple[Array, Array, NDArray[np.intp]]:
    """(values, upper bounds, nodes) of coalitions ``rows`` (leader in each), from ``start``.

    Best values found and the bounds of closed nodes are kept per row; the open nodes of all
    rows are solved together, one level of the search at a time, each node's members fixed
    on or off first where the multiplier proves it (:func:`._coalition_fix.node_fix`).
    ``lift`` maps the rows' best values to values of feasible allocations at least as good
    (along a prefix chain: a smaller coalition's allocation, the newcomers off).
    """
    inside = np.asarray(rows, dtype=bool)[:, 1:]
    m = len(inside)
    pieces = _Pieces(cv)
    best, closed = np.asarray(start, dtype=float).copy(), np.full(m, -np.inf)
    nodes = np.zeros(m, dtype=np.intp)
    mask, pid = inside, np.zeros((m, 0), dtype=np.intp)
    owner = np.arange(m)
    while owner.size:
        bound, at, split, value, price = _relax_chunked(cv, pieces, mask, pid)
        np.maximum.at(best, owner, value)
        if lift is not None:
            best = np.maximum(best, lift(best))
        atol = tol * np.maximum(1.0, np.abs(best[owner]))
        stop = (split < 0) | (bound <= best[owner] + atol) | (nodes[owner] >= max_nodes)
        np.maximum.at(closed, owner[stop], bound[stop])
        go = ~stop
        mask, pid = node_fix(cv, pieces, (mask[go], pid[go]), (price[go], best[owner[go]]),
                             split[go])  # fmt: skip
        state = (owner[go], pid, at[go], mask)
        owner, pid, mask = branch(cv, pieces, state, split[go], (bound[go], closed))
        np.add.at(nodes, owner, 1)
    upper = np.maximum(closed, best) + inside @ cv.excess
    return best, upper, nodes


def excess(cv: Any) -> Array:
    r"""Per member, a bound of :math:`\max_s \tilde h_j(s) - \text{interpolant}_j(s)` (万元/yr).

    On each grid cell the term is bounded by its tangents where it is concave and by its chord
    where it is convex; a cell whose ends differ in curvature is split at the inflection
    (bisection; the flows of §3 have at most one). The first cell starts from the right limit
    at 0, below the point 0 when there is a readiness cost. ``cv.part`` gives the terms.
    """
    part, g = cv.part, cv.points  # (N, G)
    a, b = g[:, :-1], g[:, 1:]
    ya, yb = part.value(a), cv.terms(b)
    width = np.where(b > a, b - a, 1.0)
    chord = (yb - ya) / width

    def above(x: Array) -> Array:  # the term over the chord, and its bound on [lo, hi]
        return part.value(x) - (ya + chord * (x - a))

    curv_a, curv_b = part.curvature(a), part.curvature(b)
    lo, hi = a.copy(), b.copy()
    mixed = (curv_a < 0) != (curv_b < 0)
    for _ in range(60 if mixed.any() else 0):
        mid = 0.5 * (lo + hi)
        same = (part.curvature(mid) < 0) == (curv_a < 0)
        lo, hi = np.where(same, mid, lo), np.where(same, hi, mid)
    x = np.where(mixed, 0.5 * (lo + hi), b)  # the inflection, or the cell's right end
    out = np.maximum(_concave_part(cv, part, a, x, above=above), 0.0)
    out = np.maximum(out, np.where(mixed, _concave_part(cv, part, x, b, above=above), 0.0))
    # convex stretches lie under their chord, whose ends are term values: covered by above()
    out = np.maximum(out, np.where(mixed, above(x), 0.0))
    return np.where(b > a, out, 0.0).max(axis=1, initial=0.0)


def _concave_part(cv: Any, part: Any, lo: Array, hi: Array, *, above: Any) -> Array:
    """Bound of the term over the chord on [lo, hi] if concave there (tangents), else 0."""
    concave = (part.curvature(lo) <= 0) & (part.curvature(hi) <= 0) & (hi > lo)
    da, db = part.slope(lo), part.slope(hi)
    ya, yb = part.value(lo), cv.terms(hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        x = (yb - ya + da * lo - db * hi) / (da - db)  # where the two tangents meet
    x = np.where(np.isfinite(x), np.clip(x, lo, hi), lo)
    top = ya + da * (x - lo)
    gap = top - (part.value(x) - above(x))  # tangent minus chord at x
    return np.where(concave, np.maximum(gap, above(lo)), 0.0)
