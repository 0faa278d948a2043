r"""The leader's allocation problem solved through its dual (MODEL.md §10): private kernels.

The leader maximises :math:`O_L = \sum_j u_j(s_j) - C(S)` over
:math:`0 \le s_j \le \min(s_{max}, \bar s_j)`, :math:`S = \sum_j s_j \le \bar S`. A multiplier
:math:`\mu` on :math:`S` separates the members: each answers :math:`\arg\max u_j(s) - \mu s`,
found globally from the upper concave hull of :math:`u_j` on a grid (all members at once), and
:math:`\mu` balances :math:`\sum_j s_j(\mu)` with the leader's :math:`S^*(\mu)`: a fractional
knapsack over the hull edges sorted by slope, then, for curved flows, an Illinois search on
the exact responses. A member split across a hull *bridge* (its term is not concave there) is
put where it pays best, the others re-allocated; the caller reports the duality gap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..model.flow import form_of
from ..model.member_payoffs import leader_coefficients
from ..model.members import SHARED, Members
from ..model.parameters import Parameters, unchecked
from ._member_hull import PEAKS, Array, Index, Part, grid_points, refine, respond, upper_hull

__all__ = ["GRID", "Prepared", "allocate_rows", "fill_edges", "objective", "prepare"]

GRID = 257  # grid points per member for curved flows (piecewise-linear flows need three)


@dataclass(frozen=True)
class Prepared:
    """Each row's grid, values and upper hull; the hull edges of all rows sorted by slope."""

    part: Part
    grid: Array  # (n, K)
    vals: Array
    verts: Index  # hull vertex columns, padded with the last
    slopes: Array  # hull edge slopes, decreasing, padded with -inf
    edges: tuple[Array, Array, Index, NDArray[np.bool_]]  # slope, width, row, is a bridge
    c1: float
    c2: float
    share: Array | None = None  # moved shares on the grid if computed (not kept by ``sub``)

    @cached_property
    def first(self) -> Array:
        r"""Each row's best average return from zero: no row answers a μ at or above it.

        The larger of the first hull slope and the exact slope at :math:`s = 0^+` (the exact
        response refines the first grid cell); :math:`-\infty` for a row with no room.
        """
        zero = np.zeros((len(self.part.ub), 1))
        first = np.maximum(self.slopes[:, 0], self.part.slope(zero)[:, 0])
        return np.where(self.part.ub > 0, first, -np.inf)

    def sub(self, rows: Index) -> Prepared:
        if len(rows) == len(self.part.ub) and (rows == np.arange(len(rows))).all():
            return self
        return replace(
            self, part=self.part.take(rows), grid=self.grid[rows], vals=self.vals[rows],
            verts=self.verts[rows], slopes=self.slopes[rows],
            share=None,
        )  # fmt: skip


def prepare(p: Parameters, members: Members, member: Index, e: Array, size: int) -> Prepared:
    """Rows ``member`` (indices into ``members``) with participation ``e``, ready to solve."""
    n = len(member)
    q = members.parameters(p)
    q = unchecked(q, **{f: getattr(q, f)[member, None] for f in SHARED if np.ndim(getattr(q, f))})
    t = members.column("travel_cost", p)[member, None]
    beta, kappa, const = (np.broadcast_to(x, (n, 1)) for x in leader_coefficients(q, t, e[:, None]))
    ub = np.minimum(float(p.max_sinking), members.column("host_capacity", p)[member])
    form = form_of(p)
    part = Part(q, beta, kappa, const, ub, np.broadcast_to(form.kink(q), (n, 1))[:, 0], form)
    curved = bool(np.any(part.curvature(grid_points(ub, part.kink, 9)) != 0))
    part = replace(part, curved=curved)
    grid = grid_points(ub, part.kink, size if curved else 3)  # exact for piecewise-linear flows
    vals, share = _values(part, member, grid)
    verts, slopes, width, bridge = upper_hull(grid, vals)
    valid = np.isfinite(slopes)
    row = np.broadcast_to(np.arange(n)[:, None], slopes.shape)[valid]
    order = np.argsort(-slopes[valid])
    edges = (slopes[valid][order], width[valid][order], row[order], bridge[valid][order])
    c1, c2 = float(p.cost_linear), float(p.cost_quadratic)
    return Prepared(part, grid, vals, verts, slopes, edges, c1, c2, share)


def _values(part: Part, member: Index, grid: Array) -> tuple[Array, Array | None]:
    """``part.value(grid)``, the flow evaluated once per member when rows repeat members.

    Also returns the rows' moved shares on the grid when they were computed (repeated rows).
    """
    _, first, again = np.unique(member, return_index=True, return_inverse=True)
    if len(first) == len(member):
        return part.value(grid), None
    share = part.form.share(part.take(first).q, grid[first])[again.ravel()]
    return part.beta * grid - part.kappa * share + part.const, share


def fill_edges(
    edges: tuple[Array, Array, Index, NDArray[np.bool_]],
    live: NDArray[np.bool_],
    owner: Index,
    size: int,
    *,
    c1: float,
    c2: float,
    cap: float,
) -> tuple[Array, Array, int, float | None]:
    r"""The leader's fractional knapsack over the live hull edges (MODEL.md §10).

    The edges, sorted by decreasing slope :math:`\sigma_k`, are taken whole while
    :math:`\sigma_k > c_1 + c_2 T_k` and :math:`T_k \le \bar S`, :math:`T_k` the cumulated
    width of the live edges up to k; of the first refused edge the leader takes
    :math:`x = \min(\max(\min((\sigma_k - c_1)/c_2, \bar S) - T_{k-1}, 0), w_k)`.

    Parameters
    ----------
    edges : tuple of ndarray
        ``Prepared.edges``: slopes, widths (dd/yr), rows and bridge flags.
    live : ndarray of bool
        The edges in play (of the rows of a profile or a sub-problem).
    owner : ndarray of int
        Where each edge's width goes in the result (read on live edges only).
    size : int
        Length of the result.
    c1, c2 : float
        The marginal cost :math:`C'(S) = c_1 + c_2 S` (万元/dd).
    cap : float
        :math:`\bar S` (dd/yr).

    Returns
    -------
    tuple
        ``(s, total, stop, x)``: each owner's width of the edges taken whole, the cumulated
        live widths, the index of the first refused edge (``len`` if none) and the part of it
        taken (``None`` if none is refused).

    Examples
    --------
    >>> import numpy as np
    >>> edges = (np.array([3.0, 2.0, 1.0]), np.array([1.0, 1.0, 1.0]),
    ...          np.array([0, 1, 0]), np.zeros(3, dtype=bool))
    >>> live = np.ones(3, dtype=bool)
    >>> s, total, stop, x = fill_edges(edges, live, edges[2], 2, c1=0.0, c2=1.0, cap=10.0)
    >>> s.tolist(), stop, x
    ([1.0, 0.0], 1, 1.0)
    """
    slope, width, _, _ = edges
    total = np.cumsum(np.where(live, width, 0.0))
    ok = ~live | ((slope > c1 + c2 * total) & (total <= cap))
    stop = int(np.argmin(ok)) if not ok.all() else len(ok)
    take = live[:stop]
    # An empty bincount is integer: make it float before adding a fraction.
    s = np.bincount(owner[:stop][take], width[:stop][take], minlength=size).astype(float)
    if stop == len(ok):
        return s, total, stop, None
    w = width[stop]
    return (
        s,
        total,
        stop,
        float(np.clip(min((slope[stop] - c1) / c2, cap) - (total[stop] - w), 0.0, w)),
    )


def _knapsack(prep: Prepared, rows: Index, c1: float, c2: float, cap: float):
    """Optimum on the rows' hulls: take edges by slope while slope > C'(S) and S ≤ cap."""
    slope, width, row, bridge = prep.edges
    pos = np.full(len(prep.part.ub), -1)
    pos[rows] = np.arange(len(rows))
    at = pos[row]
    keep = at >= 0
    s, total, stop, x = fill_edges(prep.edges, keep, at, len(rows), c1=c1, c2=c2, cap=cap)
    full = keep[:stop]
    prev = slope[:stop][full][-1] if full.any() else np.inf
    if x is None:
        return s, float(min(c1 + c2 * s.sum(), prev)), None
    before, sig, w = total[stop] - width[stop], slope[stop], width[stop]
    j, low = int(at[stop]), float(s[at[stop]])
    s[j] += x
    mu = float(np.clip(c1 + c2 * (before + x), sig, prev))
    return s, mu, (j, low, low + w) if bridge[stop] and 0 < x < w else None


def _hull_response(sub: Prepared, mu: float) -> Array:
    """Each row's global response to μ: its hull vertex, refined within the adjacent cells."""
    r, K = np.arange(len(sub.part.ub)), sub.grid.shape[1]
    v = sub.verts[r, (sub.slopes > mu).sum(axis=1)]
    at, lo, hi = (sub.grid[r, k, None] for k in (v, np.maximum(v - 1, 0), np.minimum(v + 1, K - 1)))
    root = refine(sub.part, mu, 0.0, lo, hi)
    missing = np.isnan(root)
    if missing.all():  # every row at its hull vertex (x = at below)
        return at[:, 0]
    x = np.where(missing, at, root)
    better = sub.part.value(x) - mu * x >= sub.part.value(at) - mu * at
    return np.where(better, x, at)[:, 0]


def _bracket(h: Any, mu: float) -> tuple[float, float, Any, Any]:
    """μ_a ≤ μ_b with h(μ_a) ≥ 0 ≥ h(μ_b), searched outwards from the grid's μ."""
    step, ma, mb = 1e-6 * (1 + abs(mu)), mu, mu
    a = b = h(mu)
    for _ in range(60):
        if a[0] < 0:
            mb, b, ma = ma, a, ma - step
            a = h(ma)
        elif b[0] > 0:
            ma, a, mb = mb, b, mb + step
            b = h(mb)
        else:
            break
        step *= 10
    return ma, mb, a, b


class _Responses:
    r"""Exact responses of some rows to μ, computed only where they can be positive.

    A row whose best average return from zero (:attr:`Prepared.first`) is at most μ answers
    exactly zero: its hull vertex is the origin and the refinement of the first cell finds no
    root. So only the rows above the lowest μ asked so far are solved; each row's arithmetic,
    and the refinement's iteration count (set by the rows with a root), are those of all rows.
    The slopes and curvatures next to the hull vertices are tabulated once: when no row has a
    root beside its vertex (the refinement's own test), every row answers its vertex.
    """

    def __init__(self, prep: Prepared, rows: Index) -> None:
        self.prep, self.rows, self.first = prep, rows, prep.first[rows]
        self.floor, self.live, self.sub = np.inf, np.zeros(0, dtype=np.intp), prep

    def _tabulate(self) -> None:
        sub, K = self.sub, self.sub.grid.shape[1]
        need = np.zeros(K, dtype=bool)
        need[np.maximum(sub.verts - 1, 0)] = need[np.minimum(sub.verts + 1, K - 1)] = True
        cols = np.flatnonzero(need)
        self.at = np.zeros(K, dtype=np.intp)
        self.at[cols] = np.arange(len(cols))
        x = sub.grid[:, cols]
        self.slope, self.bent = sub.part.slope(x), sub.part.curvature(x) != 0

    def __call__(self, mu: float) -> Array:
        if mu < self.floor:  # a little lower, as the search for a bracket steps down
            self.floor = mu - 1e-4 * (1 + abs(mu))
            self.live = np.nonzero(self.first > self.floor)[0]
            self.sub = self.prep.sub(self.rows[self.live])
            if self.live.size:
                self._tabulate()
        s = np.zeros(len(self.rows))
        if not self.live.size:
            return s
        sub, K = self.sub, self.sub.grid.shape[1]
        r = np.arange(len(self.live))
        v = sub.verts[r, (sub.slopes > mu).sum(axis=1)]
        lo, hi = self.at[np.maximum(v - 1, 0)], self.at[np.minimum(v + 1, K - 1)]
        root = (self.slope[r, lo] - mu > 0) & (self.slope[r, hi] - mu < 0)
        if (root & (self.bent[r, lo] | self.bent[r, hi])).any():
            s[self.live] = _hull_response(sub, mu)
        else:
            s[self.live] = sub.grid[r, v]
        return s


def _smooth(respond_to: _Responses, mu: float, c1: float, c2: float, cap: float):
    """μ for curved flows: Illinois search on h(μ) = Σ s_j(μ) - S*(μ), which decreases."""

    def h(m: float) -> tuple[float, Array]:
        s = respond_to(m)
        return float(s.sum() - min(max((m - c1) / c2, 0.0), cap)), s

    ub = respond_to.prep.part.ub[respond_to.rows]
    ma, mb, (ha, sa), (hb, sb) = _bracket(h, mu)
    ftol, fa, fb, side = 1e-10 * (1 + ub.sum()), ha, hb, 0
    for _ in range(200):  # Illinois: false position, halving the value of the end that stays
        jump = mb - ma <= 1e-8 * (1 + abs(ma)) and np.any(sa - sb > 1e-6 * (1 + ub))
        if min(abs(ha), abs(hb)) <= ftol or mb - ma <= 1e-15 * (1 + abs(ma)) or jump:
            break
        m = (ma * fb - mb * fa) / (fb - fa)
        m = m if ma < m < mb else 0.5 * (ma + mb)
        hm, sm = h(m)
        if hm >= 0:
            ma, ha, sa, fa, fb, side = m, hm, sm, hm, 0.5 * fb if side > 0 else fb, 1
        else:
            mb, hb, sb, fb, fa, side = m, hm, sm, hm, 0.5 * fa if side < 0 else fa, -1
    if min(abs(ha), abs(hb)) <= ftol:
        return (sb, mb, None) if abs(hb) <= abs(ha) else (sa, ma, None)
    # A jump: members leap across a bridge at μ. Tied members go up in row order while the
    # leader wants more; the one that would overshoot is split, and re-optimised later.
    mu = 0.5 * (ma + mb)
    up = np.maximum(sa - sb, 0.0)
    tied = up > 1e-6 * (1 + ub)
    over = tied & (np.cumsum(np.where(tied, up, 0.0)) > np.clip((mu - c1) / c2, 0, cap) - sb.sum())
    a = int(np.argmax(over)) if over.any() else int(np.argmax(up))
    s = np.where(tied & ~over & (np.arange(len(ub)) < a), sa, sb)
    return s, mu, (a, sb[a], sa[a])


def _solve(prep: Prepared, rows: Index, c1: float, c2: float, cap: float):
    """Dual solution on ``rows``: allocation (split member at its low end), μ, split member."""
    s, mu, split = _knapsack(prep, rows, c1, c2, cap)
    if prep.part.curved:
        return _smooth(_Responses(prep, rows), mu, c1, c2, cap)
    if split is not None:
        s[split[0]] = split[1]
    return s, mu, split


def objective(part: Part, s: Array, c1: float, c2: float) -> float:
    total = s.sum()
    return float(part.value(s[:, None]).sum() - c1 * total - 0.5 * c2 * total * total)


def _polish(part: Part, s: Array, c1: float, c2: float, cap: float, *, known: Any = None) -> Array:
    r"""Greedy coordinate ascent: the best single member's global best reply, while it pays.

    ``known``, the rows' prepared grids and values on :math:`[0, \bar u_j]`, spares their
    evaluation while a row has all its room (the same points and values).
    """
    s = np.minimum(s, s * cap / s.sum()) if s.sum() > cap else s.copy()
    size = GRID if part.curved else 17  # piecewise-linear terms: concave pieces, kink on grid
    hi, grid, vals = np.full(len(s), -1.0), np.zeros((len(s), size)), np.zeros((len(s), size))
    if known is not None and known[0].shape[1] == size:
        hi[:], grid[:], vals[:] = part.ub, known[0], known[1]
    for _ in range(4 * len(s) + 4):
        others = s.sum() - s
        lin = (c1 + c2 * others)[:, None]
        new = np.clip(np.minimum(part.ub, cap - others), 0, None)
        changed = np.nonzero(new != hi)[0]  # grids follow the room left to each member
        if changed.size:
            hi[changed] = new[changed]
            grid[changed] = grid_points(hi[changed], part.kink[changed], size)
            vals[changed] = part.take(changed).value(grid[changed])
        own = part.value(s[:, None])[:, 0] - lin[:, 0] * s - 0.5 * c2 * s * s
        rough = (vals - lin * grid - 0.5 * c2 * grid * grid).max(axis=1) - own
        top = np.argsort(-rough)[:PEAKS]  # refine only the likeliest movers
        x, val = respond(part.take(top), lin[top], c2, grid=grid[top], vals=vals[top])
        gain = val - own[top]
        k = int(np.argmax(gain))
        if gain[k] <= 0 or gain[k] <= 1e-12 * (1 + abs(objective(part, s, c1, c2))):
            break
        s[top[k]] = x[k]
    return s


def allocate_rows(prep: Prepared, rows: Index, cap: float) -> tuple[Array, float]:
    """Primal allocation: the dual solution; if it splits a member, its best rounding."""
    c1, c2 = prep.c1, prep.c2
    s, mu, split = _solve(prep, rows, c1, c2, cap)
    if split is None:
        return np.minimum(s, s * cap / s.sum()) if s.sum() > cap else s, mu
    a, low, high = split
    rest, idx = np.delete(np.arange(len(rows)), a), np.arange(len(rows))
    candidates = [(s, a)]
    for v in sorted({low, min(high, cap)}):  # the split member at either end, others re-allocated
        cand = np.full(len(rows), v)
        cand[rest], _, again = _solve(prep, rows[rest], c1 + c2 * v, c2, cap - v)
        candidates.append((cand, a if again is None else rest[again[0]]))
    # Then members improve one at a time: with bridges the problem is combinatorial (which
    # member takes the remainder matters). Only members that sink, were split, or whose best
    # average return from 0 (first hull slope) beats the marginal cost can gain.
    best, value, first, whole = s, -np.inf, prep.slopes[rows, 0], prep.part.take(rows)
    seen: list[tuple[Array, Any]] = []
    for cand, b in candidates:
        if any(b == c and np.array_equal(cand, x) for x, c in seen):
            continue  # polishes to the same allocation as before: no better
        seen.append((cand.copy(), b))
        sel = (cand > 0) | (idx == a) | (idx == b) | (first > c1 + c2 * cand.sum())
        sel = np.nonzero(sel)[0]
        fixed = cand.sum() - cand[sel].sum()
        part = prep.part.take(rows[sel])
        own = rows[sel]
        known = (prep.grid[own], prep.vals[own])
        cand[sel] = _polish(part, cand[sel], c1 + c2 * fixed, c2, cap - fixed, known=known)
        v = objective(whole, cand, c1, c2)
        best, value = (cand, v) if v > value else (best, value)
    return best, mu
