r"""The exact subsidy design: welfare over implementable equilibrium outcomes (MODEL.md §5).

The leader's response to a gain ``b`` per doctor-day is where a line of slope ``b`` supports
the lower convex hull of its cost (:mod:`compensation.model.leader`), so the least subsidy
that makes ``s`` its choice is the hull's left slope at ``s``; primary care's price choice is
the same construction on the leader's contact set. :func:`design_point` maximises welfare
over these outcomes for one parameter point; :mod:`~compensation.policy.stackelberg` calls it
wherever its closed forms do not apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar

from ..model.flow import form_of
from ..model.leader import (
    effort_curvature,
    effort_slope,
    gain_per_day,
    leader_hull,
    lower_hull,
    price_for_gain,
    primary_slope,
    support_slopes,
)
from ..model.parameters import Parameters, unchecked
from ..model.payoffs import objectives_unchecked, payoffs_unchecked
from .response import closed_form_sinking, numeric_sinking

__all__: list[str] = []


@dataclass(frozen=True)
class Outcome:
    subsidy: float
    price: float
    sinking: float
    primary_subsidy: float
    welfare: float
    binding: tuple[str, ...]
    intervention: bool


def participation_margin(q: Parameters, s: NDArray) -> NDArray:
    """O_P(s, 1) - O_P(s, 0): what primary care gains by being active (its objective)."""
    return np.asarray(
        objectives_unchecked(q, s, np.asarray(1.0))[1]
        - objectives_unchecked(q, s, np.asarray(0.0))[1]
    )


class Implementation:
    """Subsidy, price and lump sum that make ``s`` the outcome, for contact points ``s``."""

    def __init__(self, p: Parameters, alliance: str, budget: float | None, buy: bool) -> None:
        self.p, self.alliance, self.budget, self.buy = p, alliance, budget, buy
        self.leader = leader_hull(p)
        self.b0 = float(gain_per_day(unchecked(p, subsidy=0.0)))
        if alliance == "primary-led":
            intervals = [(c.lo, c.hi) for c in self.leader]
            self.pieces = lower_hull(self._h, intervals)
        else:
            self.pieces = self.leader

    def _beta(self, s: NDArray) -> tuple[NDArray, NDArray]:
        p = self.p
        return support_slopes(
            self.leader,
            s,
            lambda x: effort_slope(p, x, "left"),
            lambda x: effort_slope(p, x, "right"),
        )

    def _cheapest_price(self, s: NDArray, g: NDArray | float) -> NDArray:
        """The lowest price at which the leader is willing to sink ``s`` (primary-led)."""
        beta, beta_right = self._beta(s)
        w = price_for_gain(self.p, np.where(np.isfinite(beta), beta, 0.0), g)
        # At s = 0 the price moves no money; report the dearest price that still gives 0.
        top = price_for_gain(self.p, beta_right, g)
        return np.asarray(np.where(np.isfinite(beta), w, np.minimum(top, self.p.price)))

    def _h(self, s: NDArray) -> NDArray:
        """Minus primary care's objective when it induces ``s`` at the cheapest price, g = 0."""
        w = self._cheapest_price(s, 0.0)
        q = unchecked(self.p, subsidy=0.0, price=w)
        return -np.asarray(objectives_unchecked(q, s, np.asarray(1.0))[1])

    def _dh(self, s: NDArray) -> NDArray:
        w = self._cheapest_price(s, 0.0)
        q = unchecked(self.p, subsidy=0.0, price=w)
        # d/ds of O_P(s, w(s)) = dO_P/ds - s (1 - eta) w'(s), and (1 - eta) w' = F''(s).
        return -(primary_slope(q, s) - s * effort_curvature(self.p, s))

    def __call__(self, s: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
        """(g, w, g_P, feasible margin, welfare) for outcomes ``s`` on the design's pieces."""
        p = self.p
        if self.alliance == "primary-led":
            lo, hi = support_slopes(self.pieces, s, self._dh, self._dh)
            scale = 1 + p.integration
            g = np.maximum(lo, 0.0) / scale
            margin = hi / scale
            w = self._cheapest_price(s, g)
        else:
            lo, hi = self._beta(s)
            g = np.maximum(lo - self.b0, 0.0)
            margin = hi - self.b0
            w = np.broadcast_to(np.asarray(p.price, dtype=float), np.shape(s))
        g = np.where(np.isfinite(g), g, 0.0)
        q = unchecked(p, subsidy=g, price=w)
        short = -participation_margin(q, s)
        if self.buy:
            g_p = p.primary_subsidy + np.maximum(short, 0.0)
        else:
            g_p = np.broadcast_to(np.asarray(p.primary_subsidy, dtype=float), np.shape(s))
            margin = np.minimum(margin, -short)
        if self.budget is not None:
            margin = np.minimum(margin, self.budget - g * s)
        welfare = payoffs_unchecked(unchecked(q, primary_subsidy=g_p), s, np.asarray(1.0)).welfare
        return g, w, g_p, margin, welfare


def refine_candidates(imp: Implementation, lo: float, hi: float) -> list[float]:
    """Candidate optima of welfare on one contact piece: every local maximum, refined."""
    if hi <= lo:
        return [lo]
    s = np.linspace(lo, hi, 513)
    *_, margin, welfare = imp(s)
    ok = margin >= -1e-12 * (1 + np.abs(margin))
    score = np.where(ok, welfare, -np.inf)
    out = [float(s[0]), float(s[-1])]
    # Where feasibility flips between grid points, bisect to the feasible edge.
    flips = np.nonzero(ok[:-1] != ok[1:])[0]
    for i in map(int, flips):
        a, b = (s[i], s[i + 1]) if ok[i] else (s[i + 1], s[i])
        for _ in range(80):
            mid = 0.5 * (a + b)
            if imp(np.array([mid]))[3][0] >= 0:
                a = mid
            else:
                b = mid
        out.append(float(a))
    n = len(s)
    for i in range(n):
        if not ok[i]:
            continue
        left = score[i - 1] if i > 0 else -np.inf
        right = score[i + 1] if i + 1 < n else -np.inf
        if score[i] >= left and score[i] >= right:
            a, b = s[max(i - 1, 0)], s[min(i + 1, n - 1)]

            def loss(x: float) -> float:
                *_, m, w = imp(np.array([x]))
                return -float(w[0]) if m[0] >= 0 else 1e300

            res = minimize_scalar(
                loss, bounds=(a, b), method="bounded", options={"xatol": 1e-12 * max(1.0, hi)}
            )
            out.extend([float(s[i]), float(res.x)])
    return out


def design_point(p: Parameters, alliance: str, budget: float | None, buy: bool) -> Outcome:
    """The welfare-maximising equilibrium outcome for one parameter point."""
    imp = Implementation(p, alliance, budget, buy)
    cands = np.unique(np.concatenate([refine_candidates(imp, c.lo, c.hi) for c in imp.pieces]))
    # Keep only points inside a piece (refinement stays inside; this guards rounding).
    inside = np.zeros(cands.shape, bool)
    for c in imp.pieces:
        inside |= (cands >= c.lo) & (cands <= c.hi)
    cands = cands[inside]
    g, w, g_p, margin, welfare = imp(cands)
    ok = margin >= -1e-12 * (1 + np.abs(margin))
    if not ok.any() or np.max(welfare[ok]) < 0:
        return Outcome(0.0, float(p.price), 0.0, float(p.primary_subsidy), 0.0, (), False)
    score = np.where(ok, welfare, -np.inf)
    best = float(score.max())
    # Among (numerically) equal optima prefer the smallest outlay.
    near = np.nonzero(score >= best - 1e-12 * max(1.0, abs(best)))[0]
    k = int(near[np.argmin((g * cands + g_p)[near])])
    binding = []
    if budget is not None and np.isclose(g[k] * cands[k], budget, rtol=1e-9, atol=1e-12):
        binding.append("budget")
    if g[k] <= 0 and alliance == "government-led" and cands[k] > 0:
        binding.append("subsidy >= 0")
    if g_p[k] > p.primary_subsidy:
        binding.append("participation (paid by primary_subsidy)")
    elif not buy and abs(margin[k]) <= 1e-9 and budget is None:
        binding.append("participation")
    return Outcome(
        float(g[k]),
        float(w[k]),
        float(cands[k]),
        float(g_p[k]),
        float(welfare[k]),
        tuple(binding),
        True,
    )


def primary_response(p: Parameters, g: float) -> tuple[float, float, float]:
    """Primary care's best price given subsidy ``g`` (scalar ``p``): (price, sinking, value).

    Primary care in effect chooses the leader's sinking ``s`` on the leader's contact set and
    pays the least price that induces it; its value is searched on a grid of every contact
    piece and refined around each local maximum.
    """
    imp = Implementation(unchecked(p, subsidy=0.0), "primary-led", None, True)

    def value(x: NDArray) -> NDArray:
        w = imp._cheapest_price(x, g)
        q = unchecked(p, subsidy=g, price=w)
        return np.asarray(objectives_unchecked(q, x, np.asarray(1.0))[1])

    best_s, best_v = 0.0, -np.inf
    for c in imp.leader:
        grid = np.linspace(c.lo, c.hi, 1025) if c.hi > c.lo else np.array([c.lo])
        v = value(grid)
        cands = [(float(grid[i]), float(v[i])) for i in (0, len(grid) - 1, int(v.argmax()))]
        i = int(v.argmax())
        if 0 < i < len(grid) - 1:
            res = minimize_scalar(
                lambda x: -float(value(np.array([x]))[0]),
                bounds=(grid[i - 1], grid[i + 1]),
                method="bounded",
                options={"xatol": 1e-12 * max(1.0, c.hi)},
            )
            cands.append((float(res.x), -float(res.fun)))
        for x, val in cands:
            if val > best_v:
                best_s, best_v = x, val
    w = float(imp._cheapest_price(np.array([best_s]), g)[0])
    return w, best_s, best_v


def primary_price(p: Parameters, g: float) -> float:
    """Primary care's best internal price given the subsidy ``g`` (scalar ``p``)."""
    if p.integration >= 1:  # one entity: the price is an internal transfer with no effect
        return float(p.price)
    return primary_response(p, g)[0]


def price_regret(q: Parameters, s: float) -> float:
    """Primary care's gain from its best price, given the subsidy in ``q`` (scalar ``q``)."""
    best = primary_response(q, float(q.subsidy))[2]
    now = float(objectives_unchecked(q, np.asarray(s), np.asarray(1.0))[1])
    return max(best - now, 0.0)


def passive_outcome(q: Parameters) -> tuple[NDArray, NDArray, NDArray]:
    """Leader's response to a passive primary care, welfare there, and whether it is stable.

    Stable means primary care prefers Passive there, at the designed instruments ``q``.
    """
    # O_L(s, 0) equals O_L(s, 1) of a point where only the passive share of visits moves, no
    # price or hosting cost is paid and only the unconditional part of the subsidy is: the
    # active-P machinery (closed form or global search) then answers the passive question.
    alone = unchecked(
        q,
        visits=q.passive_fraction * q.visits,
        price=0.0,
        hosting_cost=0.0,
        subsidy=q.subsidy * (1 - q.conditional_subsidy),
        conditional_subsidy=0.0,
    )
    s = closed_form_sinking(alone) if form_of(q).closed_form else numeric_sinking(alone)
    welfare = payoffs_unchecked(q, s, np.asarray(0.0)).welfare
    stays = participation_margin(q, s) <= 0
    shape = np.shape(welfare)
    return (
        np.asarray(np.broadcast_to(s, shape), float),
        np.asarray(welfare, float),
        np.asarray(np.broadcast_to(stays, shape)),
    )
