r"""The government's subsidy design for a consortium of many members (MODEL.md §10).

The government leads, the leader allocates its doctor-days (:func:`allocate_sinking`), the
members' participation is given. A *uniform* subsidy :math:`g` per doctor-day, or a *targeted*
one :math:`g_j \ge 0` per member, maximises welfare under the budget
:math:`\sum_j g_j s_j \le B`. The targeted design works in the leader's dual: at the leader's
multiplier :math:`\mu`, a doctor-day on the hull edge :math:`k` of member j (leader's slope
:math:`\sigma_{jk}`) costs the government :math:`(\mu - \sigma_{jk})^+` per doctor-day at j, and
the leader's total is :math:`S(\mu)` with :math:`C'(S) = \mu`; a small LP (HiGHS) per
:math:`\mu` picks the edges, and the best :math:`\mu` wins. The design is then *evaluated*
exactly: the leader's best response to the designed subsidies is recomputed and certified.
With ``alliance="primary-led"`` the members set their own prices at a Nash equilibrium among
them after the subsidy is known (:mod:`compensation.policy.member_prices`), and the design
anticipates it (``policy/_primary_design.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from .._validation import check_choice
from ..model.members import Members
from ..model.parameters import Parameters
from ._member_hull import Array
from ._member_prices import Market
from ._primary_design import primary_design
from ._targeting import Problem, certified_design, social, targeted_design
from .allocation import allocate_sinking
from .allocation_result import SinkingAllocation, check_capacity, check_participation
from .member_prices import equilibrium_result, solve_prices
from .participation import deviation_gains
from .sinking_sweep import sinking_sweep

__all__ = ["ConsortiumSubsidy", "consortium_subsidy"]

G_POINTS = 1001  # uniform subsidies per sweep (piecewise-linear flows; 41 for curved ones)
CERTIFY_TOL = 1e-3  # relative welfare gap within which a targeted design counts as optimal
ALLIANCES = ("government-led", "primary-led")  # the names of optimal_subsidy (MODEL.md §5)


@dataclass(frozen=True)
class ConsortiumSubsidy(Result):
    r"""A subsidy design for a consortium (MODEL.md §10); money in 万元, sinking in dd/yr.

    Attributes
    ----------
    subsidy : ndarray
        :math:`g_j` per member (万元/dd), all equal for a uniform design.
    allocation : SinkingAllocation
        The leader's best response to ``subsidy``, with its duality gap (the certificate).
    welfare : float
        :math:`W` at the design (万元/yr).
    spending : float
        :math:`\sum_j g_j s_j` (万元/yr).
    budget : float
        :math:`B` (``inf`` for none).
    budget_binding : bool
        True when the budget limits the design (spending within 1e-6 of it).
    uniform_subsidy, uniform_welfare : float
        The best uniform :math:`g` under the same budget and its welfare.
    targeting_value : float
        ``welfare - uniform_welfare`` ≥ 0: what targeting buys at equal budget (0 for a
        uniform design).
    marginal_welfare : ndarray
        Per member, welfare gained per 万元 of extra subsidy that brings one more doctor-day
        there (see :func:`consortium_subsidy`); ``inf`` where it costs nothing, NaN where the
        member is full.
    ranking : ndarray of int
        Members by ``marginal_welfare``, best first (NaN last).
    participation : ndarray of bool
        The participation the design assumes.
    participation_gain : ndarray
        What each member would gain by switching Active/Passive at the design (万元/yr).
    participation_stable : bool
        True when no member gains by switching (``participation`` is an equilibrium).
    targeted : bool
        Targeted (per-member) or uniform design.
    alliance, method : str
        ``"government-led"`` (prices fixed by the regulator) or ``"primary-led"`` (members
        set their prices), and how it was solved.
    message : str
        What was found, in words.
    price : ndarray or None
        :math:`w_j` in force: the table's (government-led) or the members' equilibrium prices
        (primary-led), 万元/dd.
    price_gain : ndarray or None
        Primary-led: the most each member gains by another own price at the design (the
        price equilibrium's certificate, 万元/yr); zeros for government-led.
    price_stable : bool
        True when the prices are an equilibrium among members (always for government-led).
    welfare_bound : float
        Government-led, targeted, curved flow, ``certify=True``: no targeted design within the
        budget reaches more welfare (万元/yr; see :func:`consortium_subsidy`); NaN otherwise.
    gap : float
        ``welfare_bound - welfare`` ≥ 0 (NaN without a bound).
    certified : bool
        True when ``gap`` ≤ 1e-3 · (1 + ``abs(welfare)``): the design is optimal to that
        tolerance.
    """

    subsidy: Array
    allocation: SinkingAllocation
    welfare: float
    spending: float
    budget: float
    budget_binding: bool
    uniform_subsidy: float
    uniform_welfare: float
    targeting_value: float
    marginal_welfare: Array
    ranking: NDArray[np.intp]
    participation: NDArray[np.bool_]
    participation_gain: Array
    participation_stable: bool
    targeted: bool
    alliance: str
    method: str
    message: str
    price: Array | None = None
    price_gain: Array | None = None
    price_stable: bool = True
    welfare_bound: float = np.nan
    gap: float = np.nan
    certified: bool = False


def _uniform(prob: Problem) -> float:
    """Best uniform g: a sweep, then sweeps zooming in on the best feasible point."""
    c1, c2 = float(prob.p.cost_linear), float(prob.p.cost_quadratic)
    ub = np.minimum(float(prob.p.max_sinking), prob.members.column("host_capacity", prob.p))
    zero = allocate_sinking(prob.p, prob.members, participation=prob.e, leader_capacity=0.0)
    low = float(np.min(zero.marginal_value))
    top = max(c1 + c2 * min(prob.cap, float(ub.sum())) - low, 0.0) * 1.05 + 1e-6
    curved = bool(zero.marginal_value.size and _curved(prob))
    size = 41 if curved else G_POINTS
    lo, hi, best, value = 0.0, top, 0.0, -np.inf
    for _ in range(3 if curved else 4):
        grid = np.linspace(lo, hi, size)
        sweep = sinking_sweep(
            prob.p, prob.members, grid, participation=prob.e, leader_capacity=prob.cap
        )
        ok = sweep.spending <= prob.budget * (1 + 1e-12) + 1e-12
        vals = np.where(ok, sweep.welfare, -np.inf)
        k = int(np.argmax(vals))
        if vals[k] > value:
            best, value = float(grid[k]), float(vals[k])
        step = (hi - lo) / (size - 1)
        lo, hi = max(best - step, 0.0), best + step
    return best


def _curved(prob: Problem) -> bool:
    return bool(prob.prep.part.curved)  # decided on a fixed probe, whatever the grid size


def consortium_subsidy(
    p: Parameters,
    members: Members,
    *,
    budget: float = np.inf,
    targeted: bool = False,
    participation: Any = None,
    leader_capacity: float = np.inf,
    alliance: str = "government-led",
    certify: bool = True,
) -> ConsortiumSubsidy:
    r"""Welfare-maximising uniform or targeted subsidy per doctor-day under a budget.

    Parameters
    ----------
    p : Parameters
        Scalar parameters; ``p.subsidy`` and the members' ``subsidy`` column are ignored (the
        design sets them). The internal prices :math:`w_j` are fixed (government-led).
    members : Members
        The N members.
    budget : float, default inf
        :math:`B`, the most the government pays per year, :math:`\sum_j g_j s_j \le B` (万元/yr).
    targeted : bool, default False
        Per-member :math:`g_j \ge 0` instead of one uniform :math:`g`.
    participation : array_like of bool, optional
        Which members are active (default all); ``participation_gain`` says whether that is an
        equilibrium at the design.
    leader_capacity : float, default inf
        :math:`\bar S` (dd/yr).
    alliance : {"government-led", "primary-led"}
        Who sets the internal prices: the regulator (the table's ``price`` column, or
        ``p.price``), or each active member its own :math:`w_j`, all at once, knowing the
        subsidies; the leader then allocates.
    certify : bool, default True
        Government-led, targeted, curved flows: improve the design by a branch and bound that
        also bounds welfare (``welfare_bound``, ``gap``, ``certified``); about 1–5 s at
        N = 2–3 and 15–20 s at N = 300. ``False`` keeps the faster uncertified design.

    Returns
    -------
    ConsortiumSubsidy
        The subsidies, the leader's certified allocation, welfare, spending, the best uniform
        design at the same budget and the value of targeting, and members ranked by marginal
        welfare per 万元.

    Raises
    ------
    ValueError
        For array-valued ``p``, a negative or NaN ``budget`` or ``leader_capacity``, a bad
        ``participation`` or an unknown ``alliance``.

    See Also
    --------
    compensation.policy.member_prices.price_equilibrium : the members' price game alone.

    Notes
    -----
    MODEL.md §10. The government solves

    .. math::

        \max_{g \ge 0} W(s^*(g), e) \quad \text{s.t.} \quad \sum_j g_j s_j^*(g) \le B,

    :math:`s^*(g)` the leader's allocation (:func:`allocate_sinking`). Subsidies are transfers:
    welfare counts only their deadweight cost :math:`\lambda \sum_j g_j s_j`. The targeted design
    is exact for piecewise-linear member terms (the linear flow) up to the multiplier grid; for
    curved flows it works on the 257-point hull, and is never worse than the uniform design
    (which it falls back to). The LP may leave two members at the leader's margin, where the
    leader splits as it pleases (and takes a non-concave member all or nothing): the design
    then keeps one of them subsidised or withdraws one subsidy (the best within the budget)
    and, if the leader still overspends, solves the LP again with less budget; for curved
    flows the design is then improved by a branch and bound that also gives
    ``welfare_bound``: the leader's answer is relaxed to "no single member's doctor-days can
    be moved with profit", which costs the government at least
    :math:`\max(0, C'(S) - a_j(s_j))\, s_j` at member j, with
    :math:`a_j(s) = \min_{x<s} [(u_j(s) - u_j(x))/(s - x) + c_2 (s - x)/2]`, and the budget
    and :math:`\sum_j s_j = S` are dualised; ``certified`` when the gap is within 1e-3 of the
    welfare (N = 2, 3 and 20 in the tests; about 2% at N = 300 within the default work).
    Every reported
    outcome is re-evaluated from the subsidies alone. Members whose
    next doctor-day the leader would supply at the multiplier :math:`\mu` need
    :math:`c_j = \max(0, \mu - u_j'(s_j))` per doctor-day;
    ``marginal_welfare`` is :math:`(\omega_j - \mu - \lambda c_j) / c_j` per 万元, with
    :math:`\omega_j` the welfare a doctor-day more at j adds before the leader's cost.

    *Primary-led* (MODEL.md §5 for N members): a three-stage game, government, then members'
    prices at a Nash equilibrium (best-response iteration, certified on a grid of each
    member's own price), then the leader's allocation. The uniform :math:`g` is found by a
    scan, a bounded scalar search and Newton steps on differences (a binding budget spent
    exactly, at its root); with N = 1 it is the two-player primary-led design
    (:func:`~compensation.policy.stackelberg.optimal_subsidy`), pass-through ½ for the linear
    flow. The targeted design improves one member's :math:`g_j` at a time from the uniform
    one and, at N = 2, also from the best point of a 9 × 9 grid; a warm-started price solve
    that does not settle is retried from the table's prices. Never worse than uniform (or
    the grid), not certified optimal (a test compares it with a brute-force grid at N = 2).
    ``marginal_welfare`` is then the welfare gained per 万元 of extra spending when
    :math:`g_j` rises a little, prices and allocation re-solved. Participation is taken as
    given and checked, as above. With linear flows members may outbid each other for scarce
    doctors by ever smaller margins: then no price equilibrium exists, and
    ``price_stable`` is False.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.consortium_subsidy import consortium_subsidy
    >>> p = Parameters(price=0.01, primary_margin=0.02, cost_quadratic=2e-5, readiness_cost=0)
    >>> m = Members(name=["near", "far"], visits=20_000, travel_cost=[0.0, 0.03],
    ...             social_benefit=[0.15, 0.35], host_capacity=400)
    >>> u = consortium_subsidy(p, m, budget=60.0)
    >>> t = consortium_subsidy(p, m, budget=60.0, targeted=True)
    >>> u.allocation.sinking.round().tolist(), t.allocation.sinking.round().tolist()
    ([400.0, 37.0], [47.0, 400.0])
    >>> t.subsidy.round(4).tolist(), round(t.targeting_value, 1), t.participation_stable
    ([0.1073, 0.1373], 62.6, True)
    """
    check_choice("alliance", alliance, ALLIANCES)
    cap = check_capacity(p, members, leader_capacity, "consortium_subsidy")
    b = float(np.asarray(budget, dtype=float))
    if np.isnan(b) or b < 0:
        raise ValueError(f"budget must be ≥ 0 (万元/yr; inf for none); got {budget!r}")
    n = len(members)
    e = check_participation(participation, n)
    if alliance == "primary-led":
        return _primary_led(p, members, e.astype(bool), cap, b=b, targeted=targeted)
    prob = Problem(p.replace(subsidy=0.0), members.replace(subsidy=None), e.astype(bool), cap, b)
    g_uni = _uniform(prob)
    a_uni, w_uni, s_uni = prob.outcome(g_uni)
    g, alloc, welfare, spend, method = np.full(n, g_uni), a_uni, w_uni, s_uni, "sweep"
    bound = np.nan
    if targeted and certify and _curved(prob):
        cert = certified_design(prob, (g, a_uni, w_uni, s_uni), tol=CERTIFY_TOL)
        bound = cert.bound
        # A design that beats the uniform one by less than the tolerance is not worth it.
        if cert.welfare > w_uni + CERTIFY_TOL * (1 + abs(w_uni)):
            g, alloc, welfare, spend = cert.subsidy, cert.allocation, cert.welfare, cert.spending
            method = "dual+LP, branch and bound on the leader's total"
        else:
            method = "dual+LP, branch and bound (uniform kept: no better targeted design found)"
    elif targeted:
        g_t, a_t, w_t, s_t = targeted_design(prob)
        if w_t > w_uni and s_t <= b * (1 + 1e-9) + 1e-9:
            g, alloc, welfare, spend, method = g_t, a_t, w_t, s_t, "dual+LP"
        else:
            method = "dual+LP (uniform kept: no better targeted design found)"
    ratio = _marginal(prob, alloc)
    table = prob.members.replace(subsidy=g)
    gains, stable, order, binding = _checks(
        prob.p, table, prob.e, cap, alloc=alloc, ratio=ratio, spend=spend, b=b
    )
    kind = "targeted" if targeted else "uniform"
    message = (
        f"{kind} subsidy: welfare {welfare:.4g} 万元/yr, spending {spend:.4g} of budget {b:.4g}; "
        f"{int((alloc.sinking > 0).sum())} of {n} members get doctors; participation "
        + ("is" if stable else "is NOT")
        + " an equilibrium"
    )
    return ConsortiumSubsidy(
        subsidy=g, allocation=alloc, welfare=welfare, spending=spend, budget=b,
        budget_binding=binding, uniform_subsidy=g_uni, uniform_welfare=w_uni,
        targeting_value=welfare - w_uni, marginal_welfare=ratio, ranking=order,
        participation=prob.e, participation_gain=gains, participation_stable=stable,
        targeted=targeted, alliance=alliance, method=method, message=message,
        price=members.column("price", p).copy(), price_gain=np.zeros(n),
        welfare_bound=bound, gap=bound - welfare,
        certified=bool(bound - welfare <= CERTIFY_TOL * (1 + abs(welfare))),
    )  # fmt: skip


def _checks(
    p: Parameters,
    table: Members,
    e: Any,
    cap: float,
    *,
    alloc: SinkingAllocation,
    ratio: Array,
    spend: float,
    b: float,
) -> tuple[Array, bool, NDArray[np.intp], bool]:
    """Participation gains and stability, the ranking by welfare per 万元, a binding budget."""
    gains = deviation_gains(p, table, e, leader_capacity=cap)
    stable = bool(np.all(gains <= 1e-9 * (1 + np.abs(alloc.payoffs.primary_objective))))
    order = np.argsort(np.where(np.isnan(ratio), -np.inf, -ratio), kind="stable")
    binding = bool(np.isfinite(b) and spend >= b - 1e-6 * (1 + b))
    return gains, stable, order, binding


def _primary_led(
    p: Parameters, members: Members, e: Any, cap: float, *, b: float, targeted: bool
) -> ConsortiumSubsidy:
    """The design when members set their prices (see :func:`consortium_subsidy`)."""
    n = len(members)
    mk = Market.build(p, members, e, cap)
    d = primary_design(mk, b, targeted, members.column("price", p))
    eq = equilibrium_result(mk, d.subsidy, d.price)
    alloc, g = eq.allocation, d.subsidy
    table = members.replace(subsidy=g, price=eq.price)
    welfare, spend = float(alloc.payoffs.welfare), float(np.dot(g, alloc.sinking))
    ratio = _primary_marginal(mk, g, eq.price, welfare, spend)
    gains, stable, order, binding = _checks(
        mk.p, table, e, cap, alloc=alloc, ratio=ratio, spend=spend, b=b
    )
    kind = "targeted" if targeted else "uniform"
    message = (
        f"{kind} subsidy, members setting prices: welfare {welfare:.4g} 万元/yr, spending "
        f"{spend:.4g} of budget {b:.4g}; {int((alloc.sinking > 0).sum())} of {n} members get "
        f"doctors; prices {'are' if eq.success else 'are NOT'} an equilibrium ({eq.message}); "
        f"participation {'is' if stable else 'is NOT'} an equilibrium"
    )
    return ConsortiumSubsidy(
        subsidy=g, allocation=alloc, welfare=welfare, spending=spend, budget=b,
        budget_binding=binding, uniform_subsidy=d.uniform, uniform_welfare=d.uniform_welfare,
        targeting_value=welfare - d.uniform_welfare if targeted else 0.0,
        marginal_welfare=ratio, ranking=order, participation=e, participation_gain=gains,
        participation_stable=stable, targeted=targeted, alliance="primary-led",
        method=d.method, message=message, price=eq.price, price_gain=eq.price_gain,
        price_stable=eq.success,
    )  # fmt: skip


def _primary_marginal(mk: Market, g: Array, w: Array, welfare: float, spend: float) -> Array:
    """Welfare per 万元 when one member's subsidy rises a little, prices re-solved."""
    out = np.full(len(g), np.nan)
    for j in range(len(g)):
        up = g.copy()
        up[j] += 1e-4 * (1 + abs(g[j]))
        w_up, *_ = solve_prices(mk, up, w)
        play = mk.play(w_up, up)
        extra = play.spending - spend
        if abs(extra) > 1e-12 * (1 + spend):
            out[j] = (play.welfare - welfare) / extra
    return out


def _marginal(prob: Problem, alloc: SinkingAllocation) -> Array:
    """Welfare per 万元 of the extra subsidy that brings one more doctor-day to each member."""
    prep = prob.prep
    s = alloc.sinking
    h = 1e-6 * (1 + s)
    soc = social(prob, prep.part, np.column_stack([s, s + h]))
    omega = (soc[:, 1] - soc[:, 0]) / h
    lead = prep.part.slope(s[:, None])[:, 0]  # the leader's marginal value before subsidy
    cost = np.maximum(alloc.multiplier - lead, 0.0)
    lam = float(prob.p.funds_cost)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (omega - alloc.multiplier - lam * cost) / cost
    ratio = np.where(cost > 0, ratio, np.inf)
    full = s >= prep.part.ub * (1 - 1e-12)
    return np.where(full, np.nan, ratio)
