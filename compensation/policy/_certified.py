r"""The targeted design with its welfare bound (MODEL.md §10): a branch and bound.

A branch is an interval of the leader's total :math:`S` and a range of grid columns per
member; each carries the bound of :mod:`compensation.policy._relaxation`. The branch with the
highest bound is split in two, on the member whose choice jumps at the multipliers (a
non-concave member the dual would take in part) or, while pricing costs at the interval's
lowest :math:`C'(S)` errs by more than the gap, on :math:`S`, until every bound is within the
tolerance of the best design found or the work limit is reached. Designs come from the
dual design of :mod:`compensation.policy._targeting` and from each branch's grid choice,
:math:`g_j = \max(0, C'(S) - a_j(s_j))`, re-evaluated exactly by the leader's allocation
and, if it overspends, scaled down until it fits the budget.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..model.member_payoffs import consortium_payoffs
from ._member_hull import Array, grid_points
from ._relaxation import IntervalBound, Relaxation, dual_bound, relaxation
from .allocation_result import SinkingAllocation

__all__ = ["BOUND_GRID", "MAX_INTERVALS", "Certified", "build_relaxation", "certify_design"]

BOUND_GRID = 257  # grid points per member for the bound
START = 8  # intervals of S to begin with
MAX_INTERVALS = 400  # branches evaluated at most
FIT_STEPS = 8  # bisection steps scaling an overspending design down


@dataclass(frozen=True)
class Certified:
    """A targeted design with its welfare bound (private: the fields ConsortiumSubsidy adds)."""

    subsidy: Array
    allocation: SinkingAllocation
    welfare: float
    spending: float
    bound: float
    gap: float
    certified: bool
    intervals: int


def build_relaxation(prob: Any, social: Any, size: int = BOUND_GRID) -> tuple[Relaxation, float]:
    """The relaxation of ``prob`` (a ``_targeting.Problem``) and the welfare at no sinking.

    ``social(prob, part, s)`` gives the members' social values (``_targeting.social``).
    """
    part = prob.prep.part
    s = grid_points(part.ub, part.kink, size)
    u = part.value(s)
    left = part.slope(s, "left")
    right = part.slope(s)
    p = prob.p
    rel = relaxation(
        u, (left, right), social(prob, part, s), s, c1=float(p.cost_linear),
        c2=float(p.cost_quadratic), lam=float(p.funds_cost), budget=prob.budget, cap=prob.cap,
    )  # fmt: skip
    zero = consortium_payoffs(p, prob.members, np.zeros(len(prob.members)), prob.e.astype(float))
    return rel, float(zero.welfare)


def _candidate(rel: Relaxation, ib: IntervalBound) -> Array | None:
    """Subsidies that would induce the grid choice if the leader moved one member at a time."""
    if (ib.pick < 0).any() or not np.isfinite(ib.value):
        return None
    rows = np.arange(len(ib.pick))
    s = rel.s[rows, ib.pick]
    mu = rel.c1 + rel.c2 * min(float(s.sum()), rel.cap)
    a = rel.a[rows, ib.pick]
    g = np.where(s > 0, np.maximum(0.0, mu - np.where(np.isfinite(a), a, mu)), 0.0)
    return g + np.where(s > 0, 1e-9 * (1 + mu), 0.0)  # a hair more: the leader prefers it


def _fit(prob: Any, g: Array) -> tuple[Array, SinkingAllocation, float, float] | None:
    """``g`` evaluated, scaled down (bisection) while the leader's response overspends."""
    a, w, spend = prob.outcome(g)
    if spend <= prob.budget * (1 + 1e-9) + 1e-9:
        return g, a, w, spend
    lo, hi, found = 0.0, 1.0, None
    for _ in range(FIT_STEPS):
        t = 0.5 * (lo + hi)
        a, w, spend = prob.outcome(g * t)
        if spend <= prob.budget * (1 + 1e-9) + 1e-9:
            lo, found = t, (g * t, a, w, spend)
        else:
            hi = t
    return found


@dataclass(order=True)
class _Node:
    """A branch: S in [lo, hi] and each member's grid columns in ranges[j] (inclusive)."""

    key: float
    lo: float = field(compare=False)
    hi: float = field(compare=False)
    ranges: Any = field(compare=False)
    bound: IntervalBound = field(compare=False)


class _Search:
    """Branch and bound state: the relaxation, the best design, the open branches."""

    def __init__(self, prob: Any, rel: Relaxation, w0: float, best: Any) -> None:
        self.prob, self.rel, self.w0, self.best = prob, rel, w0, best
        self.heap: list[_Node] = []
        self.tried, self.seen = 0, set[tuple[float, ...] | None]()
        cols = np.arange(rel.s.shape[1])
        self.cols = cols

    def push(self, lo: float, hi: float, ranges: Any) -> None:
        allowed = (self.cols >= ranges[:, :1]) & (self.cols <= ranges[:, 1:])
        ib = dual_bound(self.rel, lo, hi, allowed)
        self.tried += 1
        value = ib.value + self.w0
        if value > self.best[2]:  # only a promising branch is worth an exact evaluation
            g = _candidate(self.rel, ib)
            key = None if g is None else tuple(np.round(g, 12))
            if g is not None and key not in self.seen:
                self.seen.add(key)
                fit = _fit(self.prob, g)
                if fit is not None and fit[2] > self.best[2]:
                    self.best = fit
        heapq.heappush(self.heap, _Node(-value, lo, hi, ranges, ib))

    def split(self, node: _Node) -> None:
        """Split the member whose choice jumps most at the multipliers, else split S."""
        rel, r = self.rel, node.ranges
        cell = rel.s[:, -1] / (rel.s.shape[1] - 1)
        wide = (r[:, 1] - r[:, 0] >= 2) & (node.bound.spread > 1.5 * cell)
        # Costs are priced at the interval's lowest C'(S): while that error is a large part
        # of the gap, narrowing S pays more than splitting a member.
        price_error = (1 + rel.lam + node.bound.tau) * rel.c2 * (node.hi - node.lo) * node.hi
        if wide.any() and price_error <= -node.key - self.best[2]:
            j = int(np.argmax(np.where(wide, node.bound.spread, -1.0)))
            mid = (r[j, 0] + r[j, 1]) // 2
            # Both halves keep the middle column: the cell on either side stays covered.
            for lo_c, hi_c in ((r[j, 0], mid), (mid, r[j, 1])):
                sub = r.copy()
                sub[j] = (lo_c, hi_c)
                self.push(node.lo, node.hi, sub)
            return
        mid = 0.5 * (node.lo + node.hi)
        self.push(node.lo, mid, r)
        self.push(mid, node.hi, r)


def certify_design(
    prob: Any,
    start: tuple[Array, SinkingAllocation, float, float],
    social: Any,
    *,
    tol: float = 1e-3,
    size: int = BOUND_GRID,
    max_intervals: int | None = None,
) -> Certified:
    r"""Best design found from ``start`` on, and the bound over all designs.

    ``certified`` when ``bound - welfare`` is at most ``tol`` times :math:`1 + |W|`. By
    default at most :data:`MAX_INTERVALS` branches, fewer for many members (each costs
    O(N · size) per multiplier step): 8000 / N, at least 40.
    """
    n = len(prob.members)
    if max_intervals is None:
        max_intervals = min(MAX_INTERVALS, max(40, 8000 // max(n, 1)))
    rel, w0 = build_relaxation(prob, social, size)
    best = start
    if not np.isfinite(best[2]):
        z = np.zeros(len(prob.members))
        best = (z, *prob.outcome(z))
    top = rel.top
    cuts = np.linspace(0.0, top, START + 1)
    full = np.column_stack([np.zeros(len(rel.s), int), np.full(len(rel.s), size - 1)])
    search = _Search(prob, rel, w0, best)
    for lo, hi in itertools.pairwise(cuts):
        search.push(float(lo), float(hi), full)
    while search.heap:
        node = search.heap[0]
        slack = tol * (1 + abs(search.best[2]))
        small = node.hi - node.lo <= 1e-9 * (1 + top)
        if -node.key <= search.best[2] + slack or search.tried + 2 > max_intervals or small:
            break
        heapq.heappop(search.heap)
        search.split(node)
    bound = -search.heap[0].key if search.heap else -np.inf  # below W only if it were wrong
    g, alloc, welfare, spend = search.best
    gap = bound - welfare
    ok = bool(gap <= tol * (1 + abs(welfare)))
    return Certified(g, alloc, welfare, spend, bound, gap, ok, search.tried)
