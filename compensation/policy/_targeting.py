r"""The targeted subsidy design of :mod:`compensation.policy.consortium_subsidy` (MODEL.md §10).

Private helpers: the government's problem, each member's hull edges with their social value,
the LP at a multiplier :math:`\mu`, and the search over :math:`\mu`, with the repair of ties
(members the leader is indifferent about) and of overspending.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linprog

from ..model.members import Members
from ..model.parameters import Parameters
from ..model.payoffs import savings_per_visit
from ._certified import BOUND_GRID, Certified, certify_design
from ._dual import GRID, Prepared, prepare
from ._member_hull import Array
from .allocation import allocate_sinking
from .allocation_result import SinkingAllocation

__all__ = ["MU_POINTS", "Problem", "certified_design", "social", "targeted_design"]

MU_POINTS = 41  # multipliers tried first by the targeted design (then zooming in)


@dataclass(frozen=True)
class Problem:
    p: Parameters  # subsidy 0
    members: Members  # subsidy column dropped
    e: NDArray[np.bool_]
    cap: float
    budget: float

    @cached_property
    def prep(self) -> Prepared:
        """Every member's hull at its participation, built once for the whole design."""
        n = len(self.members)
        return prepare(self.p, self.members, np.arange(n), self.e.astype(float), GRID)

    def outcome(self, g: Any) -> tuple[SinkingAllocation, float, float]:
        """Leader's allocation, welfare and spending at subsidies ``g`` (scalar or per member)."""
        m = self.members.replace(subsidy=np.broadcast_to(g, (len(self.members),)).copy())
        a = allocate_sinking(self.p, m, participation=self.e, leader_capacity=self.cap)
        return a, float(a.payoffs.welfare), float(np.dot(m.subsidy, a.sinking))


def social(prob: Problem, part: Any, s: Array) -> Array:
    r"""Member j's share of welfare before :math:`C(S)`, at ``s`` (rows × points).

    :math:`J_j(s) = (\beta_B - t_j + (h_j - c_{Pj}) e_j) s + (m_{Pj} - m_L + \rho_L
    + \sigma_M (1 + \lambda (1 - \psi))) V_j(s) f(e_j)`: the internal price, the profit share
    and the retained savings are transfers and cancel (MODEL.md §6, §10).
    """
    q, e = part.q, prob.e[:, None].astype(float)
    t = prob.members.column("travel_cost", prob.p)[:, None]
    f = q.passive_fraction + (1 - q.passive_fraction) * e
    moved = q.common_share * q.visits * part.form.share(q, s) * f
    linear = q.brand_benefit - t + (q.social_benefit - q.hosting_cost) * e
    # The insurer's saving on moved visits: ψ stays in the consortium, the rest counts at 1 + λ.
    saving = savings_per_visit(q) * (1 + q.funds_cost * (1 - q.retained_share))
    return linear * s + (q.primary_margin - q.leader_margin + q.slot_value + saving) * moved


def _edges(prob: Problem) -> tuple[Any, Array, Array, Array, Array]:
    """Per member: hull edge slopes (leader), widths, social values per dd, cumulated widths."""
    n = len(prob.members)
    prep = prob.prep
    r = np.arange(n)[:, None]
    left, right = prep.verts[:, :-1], prep.verts[:, 1:]
    width = np.where(np.isfinite(prep.slopes), prep.grid[r, right] - prep.grid[r, left], 0.0)
    soc = social(prob, prep.part, prep.grid)
    rise = soc[r, right] - soc[r, left]
    value = np.where(width > 0, rise / np.where(width > 0, width, 1.0), 0.0)
    slope = np.where(width > 0, prep.slopes, -np.inf)
    return prep, slope, width, value, np.cumsum(width, axis=1) - width


def _lp(prob: Problem, mu: float, edges: Any) -> tuple[float, Array | None, Array]:
    """Welfare at multiplier ``mu`` (before C), subsidies (None: infeasible), indifferent rows.

    The indifferent members are those left partly filled, at the leader's margin.
    """
    _, slope, width, value, before = edges
    p = prob.p
    c1, c2, lam = float(p.cost_linear), float(p.cost_quadratic), float(p.funds_cost)
    total = min(max((mu - c1) / c2, 0.0), prob.cap)
    if total < prob.cap and mu > c1 + c2 * total + 1e-12:
        return -np.inf, None, np.zeros(0)  # the leader wants more than its capacity left
    forced = (slope > mu) & (width > 0)
    need = total - float(width[forced].sum())
    free = (slope <= mu) & (width > 0)
    if need < -1e-9 * (1 + total) or need > float(width[free].sum()) + 1e-9 * (1 + total):
        return -np.inf, None, np.zeros(0)
    # Raising g_j to (mu - σ_jk) pays it on every doctor-day at j: the extra on earlier edges.
    # Edges of zero width (padding, slope -inf) take part in no sum: give them slope mu.
    sl = np.where(width > 0, slope, mu)
    prev = np.concatenate([np.full((len(sl), 1), mu), sl[:, :-1]], axis=1)
    rise = (mu - sl) - np.clip(mu - prev, 0.0, None)
    extra = (mu - sl) * width + rise * before
    unit = np.where(free, extra / np.where(width > 0, width, 1.0), 0.0)
    idx = np.nonzero(free)
    fixed = float((value * width)[forced].sum())
    if idx[0].size == 0:
        return fixed, np.zeros(len(slope)), np.zeros(len(slope), dtype=bool)
    c = -(value[idx] - lam * unit[idx])
    res = linprog(
        c,
        A_ub=unit[idx][None, :] if np.isfinite(prob.budget) else None,
        b_ub=[prob.budget] if np.isfinite(prob.budget) else None,
        A_eq=np.ones((1, idx[0].size)),
        b_eq=[max(need, 0.0)],
        bounds=np.column_stack([np.zeros(idx[0].size), width[idx]]),
        method="highs",
    )
    if res.status != 0:
        return -np.inf, None, np.zeros(0)
    used = np.zeros_like(width)
    used[idx] = res.x
    # Only a prefix of a member's edges is implementable: its leader takes the steepest first.
    amount = (used + np.where(forced, width, 0.0)).sum(axis=1)
    ends = before + width
    g, tied = np.zeros(len(slope)), np.zeros(len(slope), dtype=bool)
    for j in np.nonzero(amount > 1e-9 * (1 + amount))[0]:
        k = int(np.searchsorted(ends[j], amount[j] * (1 - 1e-12)))
        k = min(k, width.shape[1] - 1)
        if slope[j, k] > mu:
            continue  # the leader sinks this much at j without a subsidy
        full = amount[j] >= ends[j, k] * (1 - 1e-9)
        # A fully bought edge gets a hair more, so the leader strictly prefers it.
        g[j] = (mu - slope[j, k]) + (1e-9 * (1 + abs(mu)) if full else 0.0)
        tied[j] = not full
    return fixed - float(res.fun), g, tied


def targeted_design(prob: Problem) -> tuple[Array, SinkingAllocation, float, float]:
    """The dual design, evaluated; tightened where the leader's tie-breaking overspends.

    At the chosen multiplier at most two members are left indifferent (two constraints), and
    the leader may split its doctors between them otherwise than the LP did; if that spends
    more than the budget, the LP is solved again at the same multiplier with the excess taken
    off the budget.
    """
    edges = _edges(prob)
    mu, g, tied = _best_multiplier(prob, edges)
    target, best = prob.budget, None
    for _ in range(8):
        options = _untie(prob, g, tied)  # each one a leader's allocation: solve them once
        for a, w, spend, cand in options:
            if spend <= prob.budget * (1 + 1e-9) + 1e-9 and (best is None or w > best[2]):
                best = (cand, a, w, spend)
        if best is not None:
            return best
        spend = options[0][2]
        target -= 2 * (spend - prob.budget) + 1e-9 * (1 + prob.budget)
        _, again, tied = _lp(replace(prob, budget=max(target, 0.0)), mu, edges)
        if again is None:
            break
        g = again
    a, w, spend = prob.outcome(g)
    return g, a, -np.inf, spend  # not within the budget: the caller keeps the uniform design


def _untie(prob: Problem, g: Array, tied: Array) -> list[tuple[Any, float, float, Array]]:
    """Outcomes with the indifferent members' subsidies as designed, one alone kept, or one cut.

    The leader splits the remainder among indifferent members as it pleases, and takes a
    non-concave member all or nothing; withdrawing or keeping one subsidy makes its choice
    unique, and the government picks the best outcome.
    """
    options, rows = [g], np.nonzero(tied)[0]
    for j in rows:
        drop = g.copy()
        drop[j] = 0.0
        options.append(drop)
        if len(rows) > 1:
            alone = g.copy()
            alone[tied & (np.arange(len(g)) != j)] = 0.0
            options.append(alone)
    return [(*prob.outcome(c), c) for c in options]


def _best_multiplier(prob: Problem, edges: Any) -> tuple[float, Array, Array]:
    """The multiplier whose LP gives the most welfare, on zooming grids, and its subsidies."""
    slope, width = edges[1], edges[2]
    c1, c2 = float(prob.p.cost_linear), float(prob.p.cost_quadratic)
    room = min(prob.cap, float(width.sum()))
    finite = np.unique(slope[np.isfinite(slope)])
    lo, hi = c1, max(c1 + c2 * room, float(finite.max()) if finite.size else c1)
    extra = [*(finite[finite >= c1] if finite.size <= 100 else []), c1 + c2 * room]
    best, best_mu, best_g = -np.inf, c1, np.zeros(len(prob.members))
    best_tied = np.zeros(len(prob.members), dtype=bool)
    for round_ in range(4):
        mus = np.linspace(lo, hi, MU_POINTS if round_ == 0 else 21)
        for mu in np.unique(np.concatenate([mus, extra])) if round_ == 0 else mus:
            val, g, tied = _lp(prob, float(mu), edges)
            total = min(max((mu - c1) / c2, 0.0), prob.cap)
            val -= c1 * total + 0.5 * c2 * total * total
            if g is not None and val > best:
                best, best_mu, best_g, best_tied = val, float(mu), g, tied
        step = (hi - lo) / (len(mus) - 1)
        lo, hi = max(best_mu - step, c1), best_mu + step
    return best_mu, best_g, best_tied


def certified_design(
    prob: Problem,
    start: tuple[Array, SinkingAllocation, float, float] | None = None,
    *,
    tol: float = 1e-3,
    size: int = BOUND_GRID,
    max_intervals: int | None = None,
) -> Certified:
    r""":func:`targeted_design` improved, with an upper bound on every design's welfare.

    ``start`` is a design already known (subsidies, allocation, welfare, spending; e.g. the
    best uniform one): the result is never worse. The bound relaxes the leader's response to
    "no single member's doctor-days can be moved with profit"
    (:mod:`compensation.policy._relaxation`), on a grid of ``size`` points per member; a
    branch and bound on the leader's total and on the members' ranges
    (:mod:`compensation.policy._certified`) tightens it, evaluating at most
    ``max_intervals`` branches (default 400, fewer beyond 20 members). ``certified`` when
    ``bound - welfare`` ≤ ``tol`` · (1 + |W|).
    """
    first = targeted_design(prob)
    within = first[3] <= prob.budget * (1 + 1e-9) + 1e-9
    if not within or (start is not None and start[2] > first[2]):
        first = start if start is not None else (first[0], first[1], -np.inf, first[3])
    return certify_design(prob, first, social, tol=tol, size=size, max_intervals=max_intervals)
