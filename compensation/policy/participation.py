r"""Members' participation (Active/Passive) with the leader's allocation (MODEL.md §10).

A pure Nash equilibrium by best-response iteration from all active, with its certificate: no
member gains by switching once the leader re-allocates, and the allocation is optimal given
participation. A cycle is reported, never a silent non-equilibrium.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_tol
from ..model.flow import form_of
from ..model.members import Members
from ..model.parameters import Parameters
from ..model.payoffs import savings_per_visit
from ._deviation import Deviations
from ._dual import GRID, Prepared, allocate_rows, prepare
from ._member_hull import Array
from .allocation_result import SinkingAllocation, certify, check_capacity

__all__ = ["ParticipationEquilibrium", "deviation_gains", "participation_equilibrium"]


@dataclass(frozen=True)
class ParticipationEquilibrium(Result):
    r"""Members' Active/Passive choices and the leader's allocation (MODEL.md §10).

    Attributes
    ----------
    active : ndarray of bool
        Each member's choice at the equilibrium (or where the search stopped).
    allocation : SinkingAllocation
        The leader's allocation given ``active``, with its own certificate.
    deviation_gain : ndarray
        What each member's objective gains by switching, the leader re-allocating (万元/yr):
        all ≤ ``tol`` relative at an equilibrium; NaN where not evaluated.
    success : bool
        True for a pure Nash equilibrium.
    message : str
        The equilibrium found, or the cycle or iteration cap met.
    iterations : int
        Passes over the members.
    cycle : tuple of ndarray
        Participation profiles of a best-response cycle (empty unless one was met).
    """

    active: NDArray[np.bool_]
    allocation: SinkingAllocation
    deviation_gain: Array
    success: bool
    message: str
    iterations: int
    cycle: tuple[NDArray[np.bool_], ...] = ()


def participation_equilibrium(
    p: Parameters,
    members: Members,
    *,
    leader_capacity: float = np.inf,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> ParticipationEquilibrium:
    r"""A pure Nash equilibrium of members' participation and the leader's allocation.

    Parameters
    ----------
    p : Parameters
        Scalar parameters (as for :func:`allocate_sinking`).
    members : Members
        The N members.
    leader_capacity : float, default inf
        :math:`\bar S`, the leader's doctor-days per year (dd/yr).
    max_iter : int, default 100
        Most passes of best responses over the members.
    tol : float, default 1e-9
        A member switches only if it gains more than ``tol`` times ``1 + |O_Pj|``.

    Returns
    -------
    ParticipationEquilibrium
        ``.active``, the ``.allocation`` given it and each member's ``.deviation_gain``;
        ``success=False`` with the ``.cycle`` when best responses cycle.

    Raises
    ------
    ValueError
        For array-valued ``p``, a bad ``leader_capacity``, ``max_iter < 1`` or ``tol``
        outside [0, 1e-3].
    TypeError
        If ``members`` is not a :class:`~compensation.model.members.Members`.

    Notes
    -----
    MODEL.md §10. From all active, each member in turn switches if its objective
    :math:`O_{Pj} = (1-\eta)\Pi_{Pj} + \eta(\Pi_L + \sum_k \Pi_{Pk})` rises once the leader
    re-allocates, :math:`s(e)` being :func:`allocate_sinking` given the profile :math:`e`. A
    pass without a switch is a pure Nash equilibrium, certified by ``deviation_gain``:

    .. math:: O_{Pj}(s(e), e) \ge O_{Pj}(s(e^{(j)}), e^{(j)}) \quad \text{for every } j,

    :math:`e^{(j)}` being :math:`e` with j switched. A profile met twice is a cycle.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.participation import participation_equilibrium
    >>> p = Parameters(price=0.03, subsidy=0.2, primary_margin=0.01)
    >>> m = Members(name=["A", "B"], visits=60_000, travel_cost=[0.0, 0.01])
    >>> r = participation_equilibrium(p, m, leader_capacity=300)
    >>> r.success, r.active.tolist(), r.allocation.sinking.tolist()
    (True, [True, False], [300.0, 0.0])
    >>> far = participation_equilibrium(p, m.replace(readiness_cost=[1000.0, 2.0]),
    ...                                 leader_capacity=300)
    >>> far.active.tolist(), far.allocation.sinking.tolist()
    ([False, True], [0.0, 300.0])
    """
    cap = check_capacity(p, members, leader_capacity, "participation_equilibrium")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be ≥ 1; got {max_iter!r}")
    tol = check_tol("tol", tol, allow_zero=True)
    n = len(members)
    idx = np.arange(n)
    prep = prepare(p, members, np.concatenate([idx, idx]), np.repeat([1.0, 0.0], n), GRID)

    path = _Path(p, members, prep, cap)
    e, gain, history = np.ones(n, dtype=bool), np.full(n, np.nan), [np.ones(n, dtype=bool)]
    seen = {e.tobytes(): 0}  # profile -> its place in the history, to spot a cycle at once
    obj, cycle, sweep = path.settle(e), None, 0
    while cycle is None and sweep < int(max_iter):
        sweep += 1
        switched = False
        for j in range(n):
            gain[j] = path.deviate(j) - obj[j]
            if gain[j] > tol * (1 + abs(obj[j])):
                e = e.copy()
                e[j] = not e[j]
                obj, switched = path.settle(e), True
                gain[:] = np.nan
                first = seen.setdefault(e.tobytes(), len(history))
                history.append(e.copy())
                if first < len(history) - 1:
                    cycle = tuple(history[first:])
                    break
        if not switched:
            cycle = ()
    alloc = certify(p, members, prep, active=e, cap=cap)
    if cycle == ():
        message = f"pure Nash equilibrium: {int(e.sum())} of {n} members active"
    elif cycle is None:
        message = f"no equilibrium within max_iter={sweep} passes"
    else:
        message = f"best responses cycle through {len(cycle) - 1} participation profiles"
    return ParticipationEquilibrium(e, alloc, gain, cycle == (), message, sweep, cycle or ())


def deviation_gains(
    p: Parameters, members: Members, active: ArrayLike, *, leader_capacity: float = np.inf
) -> Array:
    r"""What each member gains by switching Active/Passive, the leader re-allocating (万元/yr).

    Parameters
    ----------
    p : Parameters
        Scalar parameters (as for :func:`~compensation.policy.allocation.allocate_sinking`).
    members : Members
        The N members.
    active : array_like of bool
        The participation profile :math:`e` to check.
    leader_capacity : float, default inf
        :math:`\bar S` (dd/yr).

    Returns
    -------
    ndarray
        :math:`O_{Pj}(s(e^{(j)}), e^{(j)}) - O_{Pj}(s(e), e)` per member: all ≤ 0 (up to
        rounding) exactly when :math:`e` is a pure Nash equilibrium (MODEL.md §10).

    Raises
    ------
    ValueError
        For array-valued ``p``, a bad ``leader_capacity`` or an ``active`` that is not one 0/1
        entry per member.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.participation import deviation_gains
    >>> p = Parameters(price=0.03, subsidy=0.2, primary_margin=0.01)
    >>> m = Members(name=["A", "B"], visits=60_000, travel_cost=[0.0, 0.01])
    >>> (deviation_gains(p, m, [True, False], leader_capacity=300) <= 0).tolist()
    [True, True]
    """
    cap = check_capacity(p, members, leader_capacity, "deviation_gains")
    n = len(members)
    e = np.asarray(active)
    if e.shape != (n,) or not np.isin(e, (0, 1)).all():
        raise ValueError(f"active must hold one 0/1 entry per member ({n}); got {active!r}")
    e = e.astype(bool)
    idx = np.arange(n)
    prep = prepare(p, members, np.concatenate([idx, idx]), np.repeat([1.0, 0.0], n), GRID)
    path = _Path(p, members, prep, cap)
    base = path.settle(e)
    gain = np.array([path.deviate(j) for j in range(n)]) - base
    return gain


def _scorer(p: Parameters, members: Members) -> Callable[[Any, Array], Array]:
    r"""Members' objectives :math:`O_{Pj}` for a profile ``e`` and allocation ``s``, fast.

    The coefficients of MODEL.md §10's payoffs are computed once for both choices of every
    member; each call then costs a flow evaluation and a few vector operations (the result
    equals :func:`consortium_payoffs`' ``primary_objective``; a test checks it).
    """
    q = members.parameters(p)
    t = members.column("travel_cost", p)
    visits = q.common_share * q.visits
    siphon = q.leader_margin - q.slot_value - q.profit_share * q.primary_margin
    saving = savings_per_visit(q)
    c1, c2, eta = float(p.cost_linear), float(p.cost_quadratic), float(p.integration)
    share = form_of(p).share

    def score(e: Any, s: Array) -> Array:
        e = np.asarray(e, dtype=float)
        moved = visits * share(q, s) * (q.passive_fraction + (1 - q.passive_fraction) * e)
        kept = q.retained_share * saving * moved
        primary = (
            (1 - q.profit_share) * q.primary_margin * moved
            + (1 - q.leader_savings_share) * kept
            - (q.price + q.hosting_cost) * s * e
            + (q.primary_subsidy - q.readiness_cost) * e
        )
        primary = np.broadcast_to(primary, s.shape)
        if eta == 0:
            return primary
        total = s.sum()
        paid = q.subsidy * s * (1 - q.conditional_subsidy + q.conditional_subsidy * e)
        terms = (
            -siphon * moved
            + q.leader_savings_share * kept
            + (q.price * e + q.brand_benefit - t) * s
            + paid
        )
        leader = float(np.sum(terms)) - (c1 * total + 0.5 * c2 * total * total)
        return (1 - eta) * primary + eta * (leader + float(primary.sum()))

    return score


class _Path:
    r"""Members' objectives along best-response dynamics: a profile, then single switches.

    :meth:`settle` solves the leader's allocation for a profile; :meth:`deviate` gives member
    j's objective if it alone switched, the leader re-allocating. With piecewise-linear member
    terms and :math:`\eta = 0` a switch costs a binary search (:mod:`._deviation`), since j's
    objective depends only on its own sinking; otherwise the allocation is solved again.
    """

    def __init__(self, p: Parameters, members: Members, prep: Prepared, cap: float) -> None:
        self.n, self.prep, self.cap = len(members), prep, cap
        self.score = _scorer(p, members)
        linear = not prep.part.curved
        self.fast = _Knapsack(prep, self.n, cap) if linear else None
        self.steps = Deviations(prep, self.n, cap) if linear and p.integration == 0 else None

    def allocation(self, e: NDArray[np.bool_]) -> Array:
        s = None
        if self.steps is not None:
            s = self.steps.base(e)
        elif self.fast is not None:
            s = self.fast.allocation(e)
        if s is None:  # a curved flow, or a split member: the full solver
            idx = np.arange(self.n)
            s = allocate_rows(self.prep, np.where(e, idx, self.n + idx), self.cap)[0]
        return s

    def settle(self, e: NDArray[np.bool_]) -> Array:
        self.e, self.s = e, self.allocation(e)
        return self.score(e, self.s)

    def deviate(self, j: int) -> float:
        dev = self.e.copy()
        dev[j] = not dev[j]
        mine = None if self.steps is None else self.steps.switch(j)
        if mine is None:
            return float(self.score(dev, self.allocation(dev))[j])
        s = self.s.copy()
        s[j] = mine
        return float(self.score(dev, s)[j])


class _Knapsack:
    r"""The leader's allocation for a participation profile, piecewise-linear member terms.

    The hull edges of both variants of every member (active, passive) are sorted once; a
    profile selects one variant per member, and the allocation is the fractional knapsack of
    :func:`allocate_rows` on the selected edges (MODEL.md §10), a few vector operations. It
    returns ``None`` when the cut splits a hull bridge (a non-concave term), for the full solver.
    """

    def __init__(self, prep: Prepared, n: int, cap: float) -> None:
        self.slope, self.width, row, self.bridge = prep.edges
        self.member, self.active = row % n, row < n
        self.n, self.cap, self.c1, self.c2 = n, cap, prep.c1, prep.c2

    def allocation(self, e: NDArray[np.bool_]) -> Array | None:
        live = self.active == e[self.member]
        cum = np.cumsum(np.where(live, self.width, 0.0))
        ok = ~live | ((self.slope > self.c1 + self.c2 * cum) & (cum <= self.cap))
        stop = int(np.argmin(ok)) if not ok.all() else len(ok)
        take = live[:stop]
        # An empty bincount is integer: make it float before adding a fraction.
        s = np.bincount(self.member[:stop][take], self.width[:stop][take], minlength=self.n).astype(
            float
        )
        if stop < len(ok):
            before = cum[stop] - self.width[stop]
            want = min((self.slope[stop] - self.c1) / self.c2, self.cap)
            x = float(np.clip(want - before, 0.0, self.width[stop]))
            if self.bridge[stop] and 0 < x < self.width[stop]:
                return None
            s[self.member[stop]] += x
        total = s.sum()
        return np.minimum(s, s * self.cap / total) if total > self.cap else s
