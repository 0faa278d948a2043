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
from ._targeting import Problem, social, targeted_design
from .allocation import allocate_sinking
from .allocation_result import SinkingAllocation, check_capacity
from .participation import deviation_gains
from .sinking_sweep import sinking_sweep

__all__ = ["ConsortiumSubsidy", "consortium_subsidy"]

G_POINTS = 1001  # uniform subsidies per sweep (piecewise-linear flows; 41 for curved ones)


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
        ``"government-led"`` (prices fixed by the regulator) and how it was solved.
    message : str
        What was found, in words.
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
    alliance : {"government-led"}
        The regulator fixes the internal prices. (Members setting their own prices, the
        primary-led alliance of MODEL.md §5, is a game among members not solved here.)

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
    flows the result is a good feasible design, not a certified optimum. Every reported
    outcome is re-evaluated from the subsidies alone. Members whose
    next doctor-day the leader would supply at the multiplier :math:`\mu` need
    :math:`c_j = \max(0, \mu - u_j'(s_j))` per doctor-day;
    ``marginal_welfare`` is :math:`(\omega_j - \mu - \lambda c_j) / c_j` per 万元, with
    :math:`\omega_j` the welfare a doctor-day more at j adds before the leader's cost.

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
    check_choice("alliance", alliance, ("government-led",))
    cap = check_capacity(p, members, leader_capacity, "consortium_subsidy")
    b = float(np.asarray(budget, dtype=float))
    if np.isnan(b) or b < 0:
        raise ValueError(f"budget must be ≥ 0 (万元/yr; inf for none); got {budget!r}")
    n = len(members)
    e = np.ones(n, dtype=bool) if participation is None else np.asarray(participation)
    if e.shape != (n,) or not np.isin(e, (0, 1)).all():
        raise ValueError(
            f"participation must hold one 0/1 entry per member ({n}); got {participation!r}"
        )
    prob = Problem(p.replace(subsidy=0.0), members.replace(subsidy=None), e.astype(bool), cap, b)
    g_uni = _uniform(prob)
    a_uni, w_uni, s_uni = prob.outcome(g_uni)
    g, alloc, welfare, spend, method = np.full(n, g_uni), a_uni, w_uni, s_uni, "sweep"
    if targeted:
        g_t, a_t, w_t, s_t = targeted_design(prob)
        if w_t > w_uni and s_t <= b * (1 + 1e-9) + 1e-9:
            g, alloc, welfare, spend, method = g_t, a_t, w_t, s_t, "dual+LP"
        else:
            method = "dual+LP (uniform kept: no better targeted design found)"
    gains = deviation_gains(prob.p, prob.members.replace(subsidy=g), prob.e, leader_capacity=cap)
    stable = bool(np.all(gains <= 1e-9 * (1 + np.abs(alloc.payoffs.primary_objective))))
    ratio = _marginal(prob, alloc)
    order = np.argsort(np.where(np.isnan(ratio), -np.inf, -ratio), kind="stable")
    binding = bool(np.isfinite(b) and spend >= b - 1e-6 * (1 + b))
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
    )  # fmt: skip


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
