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
from ..model.members import Members
from ..model.parameters import Parameters
from ._dual import GRID, prepare
from ._member_hull import Array
from ._member_scores import MemberScores
from ._switches import SwitchPath
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

    Each switch is evaluated as the full re-allocation would, only faster: a member that
    sinks nothing and whose best average return from zero is below the multiplier
    :math:`\mu` in both variants cannot move the allocation (it keeps its duality gap), so
    the allocation is reused and all such switches are scored in one vector operation; a
    switch whose gain is bounded above by ``tol`` over every possible re-allocation
    (:math:`\eta = 0`) is solved only in the final pass; the leader's problem is solved once
    per profile, up to such idle members. With :math:`\eta = 0` a member's objective depends
    on its own choice and sinking only, so every profile's objectives at an allocation are
    picked from the two variants evaluated once. Each re-allocation solves only the members
    that can answer the multiplier with positive sinking. With N = 300 and curved flows this
    takes about 0.1 s of CPU on a loaded 2-core machine, against 15–18 s for a re-allocation
    at every switch (``benchmarks/bench_consortium.py``).

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

    path = SwitchPath(prep, cap, _scorer(p, members), integration=float(p.integration))
    e, gain, history = np.ones(n, dtype=bool), np.full(n, np.nan), [np.ones(n, dtype=bool)]
    seen = {e.tobytes(): 0}  # profile -> its place in the history, to spot a cycle at once
    obj, cycle, sweep = path.settle(e), None, 0
    while cycle is None and sweep < int(max_iter):
        sweep += 1
        switched = False
        for j in range(n):
            gain[j] = path.gain(j, obj[j], tol)
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
        if not switched:  # the gains a bound decided (NaN), now at the final profile
            cycle = ()
            for k in np.nonzero(np.isnan(gain))[0].tolist():
                gain[k] = path.deviate(k) - obj[k]
    alloc = certify(p, members, prep, active=e, cap=cap, solved=path.solution(e))
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
    path = SwitchPath(prep, cap, _scorer(p, members), integration=float(p.integration))
    base = path.settle(e)
    gain = np.array([path.deviate(j) for j in range(n)]) - base
    return gain


def _scorer(p: Parameters, members: Members) -> Callable[[Any, Array], Array]:
    r"""Members' objectives :math:`O_{Pj}` for a profile ``e`` and allocation ``s``, fast.

    The coefficients of MODEL.md §10's payoffs are computed once for both choices of every
    member; each call then costs a flow evaluation and a few vector operations (the result
    equals :func:`consortium_payoffs`' ``primary_objective``; a test checks it). The
    returned callable also has ``flips(e, s)``: every member's objective had it alone
    switched, at the same allocation.
    """
    return MemberScores(p, members)
