r"""An upper bound on the welfare of any targeted subsidy design (MODEL.md §10): private kernels.

If the leader answers :math:`g` with :math:`s` (total :math:`S`, :math:`\mu_0 = C'(S)`), no
member's doctor-days alone can be moved with profit. Moving :math:`s_j` to :math:`x`
changes :math:`C` by :math:`\mu_0 (x - s_j) + \tfrac12 c_2 (x - s_j)^2`, so

.. math::

    \mu_0 - a_j(s_j) \le g_j \le \mu_0 - b_j(s_j), \quad
    a_j(s) = \min_{x < s} \Big[\frac{u_j(s) - u_j(x)}{s - x} + \frac{c_2}{2}(s - x)\Big], \quad
    b_j(s) = \max_{x > s} \Big[\frac{u_j(x) - u_j(s)}{x - s} - \frac{c_2}{2}(x - s)\Big],

with :math:`x - s_j` at most the leader capacity left. The government pays at least
:math:`k_j(s_j) = \max(0, \mu_0 - a_j(s_j))\, s_j` at member j, and can induce :math:`s_j`
only where :math:`b_j \le a_j` and :math:`b_j \le \mu_0` (no tax). Welfare is
:math:`W_0 + \sum_j [J_j(s_j) - \lambda k_j] - C(S)` with the members' social values
:math:`J_j`; dropping the joint moves of several members is a relaxation. For :math:`S` in an
interval :math:`[S_a, S_b]` costs use :math:`\mu_a = C'(S_a)` and feasibility
:math:`\mu_b = C'(S_b)`, and the sum and budget constraints are dualised
(:math:`\nu`, :math:`\tau`): every :math:`(\nu, \tau \ge 0)` gives a bound for the interval, and
the intervals cover :math:`[0, \min(\bar S, \sum_j \bar s_j)]`.

Values are taken on a grid per member (:math:`a_j`, :math:`b_j` against the grid's points,
which only loosens the bound). Between grid points a second-order allowance from the grid's
second differences covers the values (exact for quadratic terms; an estimate for curved
ones, which vary slowly on the grid), and where feasibility ends inside a cell the cell is
cut at the root of the interpolated margin (also an estimate, to second order).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._member_hull import Array

__all__ = ["Relaxation", "dual_bound", "relaxation"]

NU_STEPS = 44  # bisection steps on the multiplier of Σ s_j = S
TAU_STEPS = 24  # bisection steps on the budget's multiplier


@dataclass(frozen=True)
class Relaxation:
    """Per member, on a grid: leader's term, social value, the bounds a and b on its price."""

    s: Array  # (n, K) doctor-days
    social: Array  # J_j(s)
    a: Array  # +inf at s = 0
    b: Array  # with unlimited room; -inf at the top of the range
    u: Array
    slope_right: Array
    c1: float
    c2: float
    lam: float
    budget: float
    cap: float
    rooms: dict[float, Array] = field(default_factory=dict, compare=False)

    @cached_property
    def social_high(self) -> Array:
        """``social`` raised by its second-order allowance between grid points (every branch)."""
        return self.social + _allowance(self.social)

    @property
    def top(self) -> float:
        """The most the leader can sink in all."""
        return float(min(self.cap, self.s[:, -1].sum()))

    def b_within(self, room: float) -> Array:
        """``b`` when the leader has ``room`` doctor-days of capacity left (``inf``: any)."""
        if room <= 0:
            return np.full_like(self.b, -np.inf)
        if not np.isfinite(room) or room >= float(self.s[:, -1].max()):
            return self.b
        if room not in self.rooms:
            self.rooms[room] = _upper_price(self.s, self.u, self.slope_right, self.c2, room)
        return self.rooms[room]


def relaxation(u: Array, slopes: tuple[Array, Array], social: Array, s: Array, **kw: Any):
    """Build a :class:`Relaxation` from the leader's terms ``u`` and slopes (left, right)."""
    left, right = slopes
    c2 = float(kw["c2"])
    return Relaxation(
        s=s, social=social, a=_lower_price(s, u, left, c2),
        b=_upper_price(s, u, right, c2, np.inf), u=u, slope_right=right, **kw,
    )  # fmt: skip


def _lower_price(s: Array, u: Array, left: Array, c2: float) -> Array:
    """a_j on the grid: the cheapest escape downwards, and the limit slope u'(s−)."""
    a = np.where(s > 0, left, np.inf)
    for d in range(1, s.shape[1]):
        ds = s[:, d:] - s[:, :-d]
        with np.errstate(divide="ignore", invalid="ignore"):
            q = (u[:, d:] - u[:, :-d]) / ds + 0.5 * c2 * ds
        a[:, d:] = np.minimum(a[:, d:], np.where(ds > 0, q, np.inf))
    return a


def _upper_price(s: Array, u: Array, right: Array, c2: float, room: float) -> Array:
    """b_j on the grid with at most ``room`` more doctor-days; the limit slope u'(s+)."""
    top = s[:, -1:]
    b = np.where(s < top, right, -np.inf)
    for d in range(1, s.shape[1]):
        ds = s[:, d:] - s[:, :-d]
        with np.errstate(divide="ignore", invalid="ignore"):
            q = (u[:, d:] - u[:, :-d]) / ds - 0.5 * c2 * ds
        b[:, :-d] = np.maximum(b[:, :-d], np.where((ds > 0) & (ds <= room), q, -np.inf))
    return b


def _allowance(v: Array) -> Array:
    """Upward second-order allowance per node: max(0, -Δ²v)/8 over its two cells."""
    d2 = np.zeros_like(v)
    d2[:, 1:-1] = np.maximum(0.0, -(v[:, 2:] - 2 * v[:, 1:-1] + v[:, :-2])) / 8
    out = d2.copy()
    out[:, 1:] = np.maximum(out[:, 1:], d2[:, :-1])
    out[:, :-1] = np.maximum(out[:, :-1], d2[:, 1:])
    return out


@dataclass(frozen=True)
class IntervalBound:
    """The bound for S in [lo, hi], the multipliers reached and the grid choices there."""

    value: float
    nu: float
    tau: float
    pick: Array  # (n,) chosen grid column per member (-1 where none is feasible)
    spread: Array  # (n,) doctor-days between the member's choices at the bracket ends


def dual_bound(rel: Relaxation, lo: float, hi: float, allowed: Any = None) -> IntervalBound:
    r"""Bound on :math:`\sum_j [J_j - \lambda k_j] - C(S)` for :math:`S \in [lo, hi]`.

    ``allowed`` (n × K, bool) restricts each member's grid columns (a branch). Minimises the
    dual over :math:`\tau \ge 0` (outer bisection on the budget's subgradient) and :math:`\nu`
    (inner bisection on :math:`S^*(\nu) - \sum_j s_j(\nu)`); every evaluated pair is a valid
    bound, the least is kept.
    """
    n = len(rel.s)
    empty = IntervalBound(-np.inf, np.nan, np.nan, np.full(n, -1), np.zeros(n))
    arrays = _branch(rel, lo, hi, allowed)
    if arrays is None:
        return empty
    s_at, base, cl, steep = arrays
    rows = np.arange(n)
    c1, c2, budget = rel.c1, rel.c2, rel.budget
    best: list[Any] = [np.inf, np.nan, np.nan, empty.pick, np.zeros(n)]  # d, ν, τ, pick, spread

    seen: dict[float, tuple[float, Array | None]] = {}

    def inner(tau: float) -> tuple[float, Array | None]:
        """Spending at τ's best ν and the choice below the sum's root (None: not bracketed)."""
        if tau in seen:  # evaluated before: its pairs are already in ``best``
            return seen[tau]
        f = base - tau * cl
        scale = float(steep) * (1 + rel.lam + tau) + abs(c1) + c2 * hi + 1.0
        na, nb, top, spend, picks = -scale, scale, np.inf, 0.0, {}
        paid = tau * budget if tau > 0 else 0.0
        for _ in range(NU_STEPS):
            nu = 0.5 * (na + nb)
            g = f - nu * s_at
            k = g.argmax(axis=1)
            star = min(max((nu - c1) / c2, lo), hi)
            d = float(g[rows, k].sum()) + (nu - c1 - 0.5 * c2 * star) * star + paid
            chosen = s_at[rows, k]
            if d < top:
                top, spend = d, float(cl[rows, k].sum())
                if d < best[0]:
                    best[:4] = d, nu, tau, k
            more = star > float(chosen.sum())
            picks[more] = chosen
            nb, na = (nu, na) if more else (nb, nu)
        if len(picks) == 2 and best[2] == tau:
            best[4] = np.abs(picks[True] - picks[False])
        seen[tau] = spend, picks.get(False)
        return seen[tau]

    spend, _ = inner(0.0)
    if np.isfinite(budget) and spend > budget:
        # Members that change between the two ends of the budget's bracket are split too.
        below = [inner(t)[1] for t in _tau_bracket(inner, budget)]
        low, high = (s_at[rows, best[3]] if x is None else x for x in below)
        best[4] = np.maximum(best[4], np.abs(high - low))
    if not np.isfinite(best[0]):
        return empty
    return IntervalBound(float(best[0]), float(best[1]), float(best[2]), best[3], best[4])


def _tau_bracket(inner: Any, budget: float) -> tuple[float, float]:
    """τ_a < τ_b about the budget's multiplier: bisection on the spending, which falls in τ."""
    ta, tb = 0.0, 1.0
    while inner(tb)[0] > budget and tb < 1e6:
        ta, tb = tb, tb * 4
    for _ in range(TAU_STEPS):
        tm = 0.5 * (ta + tb)
        ta, tb = (tm, tb) if inner(tm)[0] > budget else (ta, tm)
    return ta, tb


def _branch(rel: Relaxation, lo: float, hi: float, allowed: Any) -> tuple[Array, ...] | None:
    """Grid points, welfare before the budget, cost lower bounds and a slope scale; or None."""
    n = len(rel.s)
    keep, t, toward = _feasible(rel, lo, hi)
    if allowed is not None:
        keep &= allowed
    if not keep.any(axis=1).all() or lo > float(rel.s[:, -1].sum()):
        return None
    cost = np.where(rel.s > 0, np.maximum(0.0, rel.c1 + rel.c2 * lo - rel.a) * rel.s, 0.0)
    value = rel.social_high
    cost_low = cost - _allowance(-cost)  # a lower bound on the cost between grid points
    rows = np.arange(n)[:, None]

    def moved(x: Array) -> Array:
        return x[rows, toward] + t * (x - x[rows, toward])

    span = np.abs(np.diff(value, axis=1)) + np.abs(np.diff(cost, axis=1))
    steep = float(np.max(span / np.maximum(np.diff(rel.s, axis=1), 1e-300), initial=0.0))
    s_at, value, cost_low = moved(rel.s), moved(value), moved(cost_low)
    base = np.where(keep, value - rel.lam * cost_low, -np.inf)
    return s_at, base, np.where(keep, cost_low, 0.0), np.asarray(steep)


def _feasible(rel: Relaxation, lo: float, hi: float) -> tuple[NDArray[np.bool_], Array, Array]:
    r"""Grid points some S in [lo, hi] can induce, and where partly feasible cells end.

    A node next to a feasible one stands for the feasible part of their cell: it is moved
    to the root of the margin :math:`\min(a - b, \mu_b - b)`, interpolated linearly
    (``t``, 1 = the node itself), towards the feasible neighbour (``toward``).
    """
    mu_b = rel.c1 + rel.c2 * hi if hi < rel.cap else np.inf
    b = rel.b_within(rel.cap - hi)
    ok = (b <= mu_b + 1e-12) & (b <= rel.a + 1e-12)
    # The margin as a continuous function: at s = 0, a's limit is the slope u'(0+).
    a = np.where(np.isfinite(rel.a), rel.a, rel.slope_right)
    with np.errstate(invalid="ignore"):
        margin = np.minimum(a - b, mu_b - b)
    keep, t = ok.copy(), np.ones_like(rel.s)
    keep[:, 1:-1] |= ok[:, :-2] & ok[:, 2:]  # feasible on both sides: the node stays whole
    toward = np.broadcast_to(np.arange(rel.s.shape[1]), rel.s.shape).copy()
    for shift in (1, -1):  # shift 1: the feasible neighbour is on the left
        src = slice(None, -1) if shift == 1 else slice(1, None)
        dst = slice(1, None) if shift == 1 else slice(None, -1)
        edge = np.zeros_like(ok)
        edge[:, dst] = ok[:, src] & ~ok[:, dst] & ~keep[:, dst]
        mf = np.zeros_like(margin)
        mf[:, dst] = margin[:, src]
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.clip(mf / (mf - margin), 0.0, 1.0)
        frac = np.where(np.isfinite(frac) & np.isfinite(mf), frac, 1.0)
        # Feasible only as an end (s = 0 has no way down): the cell holds nothing more.
        frac = np.where(margin >= 0, 1.0, np.where(mf <= 0, 0.0, frac))
        keep |= edge
        t = np.where(edge, frac, t)
        toward = np.where(edge, toward - shift, toward)
    return keep, t, toward
