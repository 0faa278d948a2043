r"""The government's subsidy design when members set their own prices (MODEL.md §5, §10).

A three-stage game: the government sets :math:`g` (uniform) or :math:`g_j` (targeted); the
active members set their internal prices :math:`w_j` at a Nash equilibrium
(:mod:`compensation.policy.member_prices`); the leader allocates. Welfare at each subsidy is
evaluated at the price equilibrium (warm-started from the last one), the best uniform
:math:`g` found by a scan, a bounded scalar search and Newton steps on differences, with
the budget :math:`\sum_j g_j s_j \le B` met at its root where it binds; a warm start whose
best responses do not settle is retried from the table's prices (the price game may have
several equilibria, and cycles near some). The targeted design improves one member's
subsidy at a time from the uniform one and, at N = 2, also from the best point of a grid
(a search: never worse than uniform or the grid, not certified optimal; the tests compare
it with a brute-force grid). Only subsidies at which the members' prices settle count (an
outcome must be an equilibrium, MODEL.md §5); where they settle nowhere the design says so
and reports the best point met.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from ._member_hull import Array
from ._member_prices import Market
from .member_prices import solve_prices

__all__ = ["Design", "Evaluator", "primary_design"]

SCAN = 13  # subsidies scanned before refining
SWEEPS = 2  # passes of the targeted design over the members
SEED = 9  # subsidies a member on the grid that seeds a second targeted search (N = 2)
RETRY = 8  # passes of a cold retry (the table's prices settled within 4 where they did)
NOISE = 1e-9  # relative noise of welfare from the price equilibria (a tie within it)


@dataclass
class Evaluator:
    """Welfare and spending at a subsidy profile, at the members' price equilibrium."""

    mk: Market
    budget: float
    start: Array
    strict: bool = True  # count only subsidies at which the members' prices settle
    calls: int = 0
    seen: dict[bytes, tuple[float, float, Array, bool]] = field(default_factory=dict)
    origin: Array = field(init=False)  # the table's prices: the cold start

    def __post_init__(self) -> None:
        self.origin = np.array(self.start, float)

    def __call__(self, g: Array) -> tuple[float, float, Array, bool]:
        key = np.asarray(g, float).tobytes()
        if key not in self.seen:
            self.calls += 1
            w, _, ok, _ = solve_prices(self.mk, g, self.start, local=self.calls > 1)
            if not ok and self.calls > 1:
                # Searched near the last prices, best responses may cycle where from the
                # table's prices they settle: equilibria of the price game are not unique.
                w, _, ok, _ = solve_prices(self.mk, g, self.origin, max_iter=RETRY)
            if ok:
                self.start = w  # warm start: neighbouring subsidies have nearby prices
            play = self.mk.play(w, g)
            self.seen[key] = (play.welfare, play.spending, w, ok)
        return self.seen[key]

    def feasible(self, spend: float) -> bool:
        return spend <= self.budget * (1 + 1e-12) + 1e-12

    def score(self, g: Array) -> float:
        welfare, spend, _, ok = self(g)
        # Only equilibrium outcomes are implementable (MODEL.md §5): where members keep
        # outbidding each other there is no outcome to count.
        return welfare if self.feasible(spend) and (ok or not self.strict) else -np.inf


@dataclass(frozen=True)
class Design:
    subsidy: Array
    price: Array
    uniform: float
    uniform_welfare: float
    method: str


def _upper(mk: Market) -> float:
    """A subsidy beyond which no member's doctors can rise (members keep about half of it)."""
    prep = mk.prep
    first = prep.slopes[:, 0][np.isfinite(prep.slopes[:, 0])]
    room = min(mk.cap, float(prep.part.ub.sum()))
    gap = prep.c1 + prep.c2 * room - (float(first.min()) if first.size else prep.c1)
    return 2.2 * max(gap, 0.0) + 1e-6


def _line(ev: Evaluator, make: Any, lo: float, hi: float) -> tuple[float, float]:
    """Best feasible t in [lo, hi] for the profile ``make(t)``: scan, root, search, polish."""
    for _ in range(3):
        ts = np.linspace(lo, hi, SCAN)
        vals = np.array([ev.score(make(t)) for t in ts])
        i = int(np.argmax(vals))
        if i < SCAN - 1 or not np.isfinite(vals[i]):
            break
        lo, hi = ts[-2], hi + 2 * (hi - lo)  # the best is at the edge: look further
    best, top = float(ts[i]), float(vals[i])
    if not np.isfinite(top):
        return lo, -np.inf
    cands = []
    if i + 1 < SCAN and not np.isfinite(vals[i + 1]):
        # The budget binds between these two points: spend the budget exactly.
        def excess(t: float) -> float:
            return ev(make(t))[1] - ev.budget

        if excess(float(ts[i + 1])) > 0 >= excess(best):
            cands.append(brentq(excess, best, float(ts[i + 1]), xtol=1e-15, rtol=1e-15))
    a, b = float(ts[max(i - 1, 0)]), float(ts[min(i + 1, SCAN - 1)])
    res = minimize_scalar(
        lambda t: -ev.score(make(t)) if np.isfinite(ev.score(make(t))) else 1e300,
        bounds=(a, b), method="bounded", options={"xatol": 1e-12 * (1 + abs(best))},
    )  # fmt: skip
    cands.append(float(res.x))
    polished = _newton(ev, make, float(res.x), (b - a) * 1e-3, lo)
    for t in cands:
        v = ev.score(make(t))
        if v > top:
            best, top = t, v
    # Values cannot tell apart subsidies within the square root of their noise (each one a
    # price equilibrium solved to about 1e-13 in price, so welfare to about 1e-12 relative);
    # Newton steps on differences can, so their answer wins a tie within that noise.
    v = ev.score(make(polished))
    if v >= top - NOISE * (1 + abs(top)) and not (cands[0] == best and len(cands) > 2):
        best, top = polished, max(v, top)
    return best, top


def _newton(ev: Evaluator, make: Any, t: float, h: float, lo: float) -> float:
    """Newton steps on central differences of welfare (exact for a locally quadratic one)."""
    for _ in range(3):
        if t - h < lo:
            break
        up, mid, down = (ev.score(make(x)) for x in (t + h, t, t - h))
        if not np.isfinite(up + mid + down):
            break
        curv = (up - 2 * mid + down) / (h * h)
        if not curv < 0:
            break
        new = t - (up - down) / (2 * h) / curv
        if abs(new - t) > 4 * h or not ev.score(make(new)) >= mid - NOISE * (1 + abs(mid)):
            break
        t = new
    return t


def _coordinate(ev: Evaluator, g: Array, top: float) -> Array:
    """Improve one member's subsidy at a time while it pays (at most ``SWEEPS`` passes)."""
    for _ in range(SWEEPS):
        changed = False
        for j in range(len(g)):

            def make(t: float, j: int = j, g: Array = g) -> Array:
                out = g.copy()
                out[j] = t
                return out

            t, v = _line(ev, make, 0.0, max(top, 2 * g[j]))
            if v > ev.score(g) + 1e-12 * (1 + abs(v)):
                g, changed = make(t), True
        if not changed:
            break
    return g


def _grid_seed(ev: Evaluator, n: int, top: float) -> Array:
    """The best feasible settled profile on a grid of ``SEED`` subsidies a member."""
    axis = np.linspace(0.0, top, SEED)
    grid = np.stack(np.meshgrid(*([axis] * n), indexing="ij"), axis=-1).reshape(-1, n)
    scores = [ev.score(g) for g in grid]
    return np.array(grid[int(np.argmax(scores))])


def primary_design(mk: Market, budget: float, targeted: bool, start: Array) -> Design:
    """Best uniform subsidy, and from it the targeted design, at members' price equilibria."""
    n = len(mk.e)
    ev = Evaluator(mk, budget, np.array(start, float))
    top = _upper(mk)
    g_uni, w_uni = _line(ev, lambda t: np.full(n, t), 0.0, top)
    if not np.isfinite(w_uni):  # prices settle nowhere: the best of what the search met
        ev.strict = False
        g_uni, w_uni = _line(ev, lambda t: np.full(n, t), 0.0, top)
    g = np.full(n, g_uni)
    method = "price equilibrium + scalar search"
    if targeted and np.isfinite(w_uni):
        g = _coordinate(ev, g, top)
        method = "price equilibrium + coordinate search from the uniform design"
        if n == 2:
            # From the uniform design one member's subsidy alone may lead nowhere better when
            # the gain needs both to move (one member entering with a larger subsidy while
            # the other's falls): search again from the best point of a grid.
            seed = _grid_seed(ev, n, top)
            if ev.score(seed) > ev.score(g):
                alt = _coordinate(ev, seed, top)
                if ev.score(alt) > ev.score(g):
                    g = alt
            method += f" and from the best of a {SEED}x{SEED} grid"
    w = ev(g)[2]
    if not ev.strict:
        method += " (prices settled at no subsidy tried)"
    return Design(g, w, g_uni, w_uni, method)
