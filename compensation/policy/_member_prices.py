r"""Kernels of the members' price game (primary-led alliance, MODEL.md §5 and §10).

Each active member j sets its internal price :math:`w_j`; the leader then allocates its
doctor-days (:func:`~compensation.policy.allocation.allocate_sinking`). Prices and subsidies
enter the leader's member term only through its slope,
:math:`u_j(s) = [(1-\eta) e_j w_j + g_j (1 - \chi + \chi e_j)] s + u_j^0(s)`, and adding a
line to a function leaves the vertices of its concave hull where they are. So the leader's
problem is prepared once at zero prices and subsidies (the costly part: every member's hull),
and any price and subsidy profile only shifts the hull slopes and re-sorts the hull edges.
Payoffs are likewise computed once at zero prices and shifted by the transfers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize_scalar

from ..model.members import Members
from ..model.parameters import Parameters
from ..model.payoffs import payoff_terms
from ._dual import GRID, Prepared, allocate_rows, prepare
from ._member_hull import Array, Part

__all__ = ["Market", "Play", "best_response", "price_bracket"]

POINTS = 33  # own prices scanned per best response before refining
MEMO = 20_000  # plays remembered per market (a few kB each)


def _with(obj: Any, **changes: Any) -> Any:
    """``dataclasses.replace`` without its per-call introspection (the price game's hot path).

    The fields are set as given, no ``__init__`` is run, and cached properties are dropped
    (they depend on the fields).
    """
    new = object.__new__(type(obj))
    state = {k: v for k, v in obj.__dict__.items() if k in _FIELDS[type(obj)]}
    state.update(changes)
    new.__dict__.update(state)
    return new


@dataclass(frozen=True)
class Play:
    """One price and subsidy profile played out: allocation, payoffs and objectives."""

    sinking: Array
    leader: float
    primary: Array
    objective: Array  # members' objectives O_Pj
    welfare: float
    spending: float


@dataclass(frozen=True)
class Market:
    """The price game at fixed participation: the leader's problem prepared at zero prices."""

    p: Parameters  # price 0, subsidy 0
    members: Members  # price and subsidy columns dropped
    e: NDArray[np.bool_]
    cap: float
    prep: Prepared
    factor: Array  # d(slope)/dw_j = (1 - eta) e_j
    paid: Array  # share of g_j paid per doctor-day at j: 1 - chi + chi e_j
    q: Parameters  # the members' view of p (one entry per member)
    travel: Array
    # Plays already met, by price and subsidy profile: best responses, the certificate and
    # the design's searches ask again for profiles they (or a neighbour) played before.
    memo: dict[bytes, Play] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, p: Parameters, members: Members, e: Any, cap: float) -> Market:
        n = len(members)
        p0 = p.replace(price=0.0, subsidy=0.0)
        m0 = members.replace(price=None, subsidy=None)
        act = np.asarray(e, dtype=bool)
        prep = prepare(p0, m0, np.arange(n), act.astype(float), GRID)
        eta, chi = float(p.integration), float(p.conditional_subsidy)
        factor = (1 - eta) * act.astype(float)
        q, travel = m0.parameters(p0), m0.column("travel_cost", p0)
        return cls(p0, m0, act, cap, prep, factor, 1 - chi + chi * act, q, travel)

    def shifted(self, w: Array, g: Array) -> Prepared:
        """The prepared leader problem at prices ``w`` and subsidies ``g`` (hulls reused)."""
        prep = self.prep
        d = self.factor * w + self.paid * g
        part = _with(prep.part, beta=prep.part.beta + d[:, None])
        slope, width, row, bridge = prep.edges
        moved = slope + d[row]
        order = np.argsort(-moved, kind="stable")
        return _with(
            prep,
            part=part,
            vals=prep.vals + d[:, None] * prep.grid,
            slopes=prep.slopes + d[:, None],
            edges=(moved[order], width[order], row[order], bridge[order]),
        )

    def play(self, w: Array, g: Array) -> Play:
        """The leader's allocation and everybody's payoffs at prices ``w``, subsidies ``g``."""
        key = np.asarray(w, float).tobytes() + np.asarray(g, float).tobytes()
        hit = self.memo.get(key)
        if hit is None:
            s, _ = allocate_rows(self.shifted(w, g), np.arange(len(w)), self.cap)
            if len(self.memo) >= MEMO:
                self.memo.clear()
            hit = self.memo[key] = self.payoffs(s, w, g)
        return hit

    def payoffs(self, s: Array, w: Array, g: Array) -> Play:
        # MODEL.md §10 at zero prices and subsidies (they are added below, in closed form).
        parts = payoff_terms(self.q, s, self.e.astype(float))
        total = float(s.sum())
        cost = self.prep.c1 * total + 0.5 * self.prep.c2 * total * total
        lead0 = float((parts.leader - self.travel * s).sum()) - cost
        prim0 = parts.primary
        wel0 = lead0 + float(prim0.sum()) + float(parts.public.sum())
        e = self.e.astype(float)
        price = w * s * e
        paid = self.paid * g * s
        lam, eta = float(self.p.funds_cost), float(self.p.integration)
        primary = prim0 - price
        leader = lead0 + float(price.sum() + paid.sum())
        joint = leader + float(primary.sum())
        # Prices cancel in welfare; the subsidy costs only its deadweight λ (MODEL.md §4).
        welfare = wel0 - lam * float(paid.sum())
        objective = (1 - eta) * primary + eta * joint
        return Play(s, leader, primary, objective, welfare, float(np.dot(g, s)))


_FIELDS = {cls: frozenset(cls.__dataclass_fields__) for cls in (Prepared, Part)}


def price_bracket(mk: Market, w: Array, g: Array, j: int) -> tuple[float, float]:
    """Own prices of member j outside which its allocation no longer changes.

    Below the lower end the leader's marginal value at j is under :math:`c_1` (the least
    multiplier) everywhere; above the upper end it exceeds the largest multiplier the leader
    can reach (its marginal cost at full use, or any other member's steepest slope).
    """
    prep, k = mk.prep, float(mk.factor[j])
    own = prep.slopes[j][np.isfinite(prep.slopes[j])] + mk.paid[j] * g[j]
    others = np.delete(np.arange(len(w)), j)
    d = mk.factor[others] * w[others] + mk.paid[others] * g[others]
    firsts = prep.slopes[others, 0] + d
    firsts = firsts[np.isfinite(firsts)]
    room = min(mk.cap, float(prep.part.ub.sum()))
    top = max(prep.c1 + prep.c2 * room, float(firsts.max()) if firsts.size else -np.inf)
    lo = (prep.c1 - float(own.max())) / k
    hi = (top - float(own.min())) / k
    pad = 0.02 * (hi - lo) + 1e-9
    return lo - pad, hi + pad


def _ties(mk: Market, w: Array, g: Array, j: int) -> list[float]:
    """Own prices just above a tie with another member's hull edge (piecewise-linear terms).

    The leader serves the steeper edge first; at an exact tie its choice is arbitrary, so a
    member that wants priority bids a hair above.
    """
    prep, k = mk.prep, float(mk.factor[j])
    own = prep.slopes[j][np.isfinite(prep.slopes[j])] + mk.paid[j] * g[j]
    d = mk.factor * w + mk.paid * g
    other = np.delete(prep.slopes + d[:, None], j, axis=0)
    other = np.unique(other[np.isfinite(other)])
    if prep.part.curved or other.size * own.size > 400:
        return []
    x = (other[:, None] - own[None, :]).ravel() / k
    return [float(v) for v in x + 1e-10 * (1 + np.abs(x))]


def best_response(
    mk: Market, w: Array, g: Array, j: int, points: int = POINTS, *, local: bool = False
) -> tuple[float, float, float]:
    """Member j's best own price given the others' (scalar search, globally on a scan).

    Returns ``(price, objective, objective at the current price)``. The current price is kept
    unless another one is clearly better, so that a converged profile stays put. ``local``
    scans only a tenth of the range around the current price (warm starts of a design).
    """
    trial = w.copy()

    def value(x: float) -> float:
        trial[j] = x
        return float(mk.play(trial, g).objective[j])

    now = value(float(w[j]))
    lo, hi = price_bracket(mk, w, g, j)
    if local:
        grid = float(w[j]) + 0.02 * (hi - lo) * np.linspace(-1.0, 1.0, 5)
    else:
        grid = np.unique(np.concatenate([np.linspace(lo, hi, points), [w[j]]]))
    # Each value is a leader's allocation: the current price's is known already.
    vals = np.array([now if x == w[j] else value(float(x)) for x in grid])
    i = int(np.argmax(vals))
    if local and i in (0, len(grid) - 1):  # the best lies outside the window: scan it all
        return best_response(mk, w, g, j, points)
    best, top = float(grid[i]), float(vals[i])
    a, b = float(grid[max(i - 1, 0)]), float(grid[min(i + 1, len(grid) - 1)])
    if b > a:
        # Newton steps on differences first (exact on a quadratic); the bounded scalar
        # search where they make no progress.
        x, fx = _polish(value, best, top, (b - a) * 1e-3, b - a)
        if x == best:
            res = minimize_scalar(
                lambda x: -value(x), bounds=(a, b), method="bounded",
                options={"xatol": 1e-12 * (1 + abs(best))},
            )  # fmt: skip
            x, fx = (float(res.x), -float(res.fun)) if -res.fun > top else (best, top)
            x, fx = _polish(value, x, fx, (b - a) * 1e-3, b - a)
        # Values cannot tell apart prices within the square root of rounding; the Newton
        # steps can, so their answer wins a tie within rounding.
        if fx >= top - 1e-12 * (1 + abs(top)):
            best, top = x, max(fx, top)
    for x in _ties(mk, w, g, j):
        v = value(x)
        if v > top:
            best, top = x, v
    rounding = 1e-12 * (1 + abs(now))
    near = abs(best - w[j]) <= 1e-6 * (1 + abs(w[j])) and top >= now - rounding
    if top <= now + rounding and not near:
        return float(w[j]), now, now
    return best, top, now


def _polish(value: Any, x: float, fx: float, h: float, reach: float) -> tuple[float, float]:
    """Newton steps on central differences: exact where the objective is locally quadratic.

    A search on values stops at about the square root of rounding in the argument; a Newton
    step on differences of step ``h`` lands on a quadratic's peak to rounding. Steps longer
    than ``reach`` are not trusted.
    """
    for _ in range(6):
        up, down = value(x + h), value(x - h)
        slope, curv = (up - down) / (2 * h), (up - 2 * fx + down) / (h * h)
        if not curv < 0:
            break
        new = x - slope / curv
        if abs(new - x) > reach:
            break
        fn = value(new)
        if fn < fx - 1e-12 * (1 + abs(fx)):
            break
        done = abs(new - x) <= 1e-13 * (1 + abs(x))
        x, fx = new, fn
        if done:
            break
    return x, fx
