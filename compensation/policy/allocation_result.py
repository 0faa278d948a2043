r"""The leader's allocation as a result with its certificate (MODEL.md §10).

:class:`SinkingAllocation` and the helpers that build and check it, shared by
:mod:`compensation.policy.allocation` and :mod:`compensation.policy.participation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from ..model.members import ConsortiumPayoffs, Members, consortium_payoffs
from ..model.parameters import Parameters, require_scalar
from ._dual import Prepared, allocate_rows
from ._member_hull import Array, respond

__all__ = ["SinkingAllocation", "certify", "check_capacity", "check_participation"]


@dataclass(frozen=True)
class SinkingAllocation(Result):
    r"""The leader's doctor-days per member (MODEL.md §10) with its optimality certificate.

    Attributes
    ----------
    sinking : ndarray
        :math:`s_j` per member (dd/yr).
    total : float
        :math:`S = \sum_j s_j` (dd/yr).
    value : float
        :math:`O_L` at the allocation (万元/yr; :math:`\Pi_L` when :math:`\eta = 0`).
    multiplier : float
        :math:`\mu = C'(S) + \nu`, the dual price of a doctor-day (万元/dd).
    capacity_price : float
        :math:`\nu \ge 0`, the value of a doctor-day more of leader capacity (万元/dd).
    duality_gap : float
        ``dual_bound - value`` (≥ 0 up to rounding): no feasible allocation beats ``value`` by
        more; 0 when every member's term is concave.
    dual_bound : float
        :math:`D(\mu) = \sum_j \max_s [u_j(s) - \mu s] + \max_{0 \le S \le \bar S} [\mu S - C(S)]`.
    regret : ndarray
        :math:`\max_s [u_j(s) - \mu s] - [u_j(s_j) - \mu s_j] \ge 0` per member; the regrets
        and ``cost_regret`` sum to the gap (the certificate).
    cost_regret : float
        :math:`\max_S [\mu S - C(S)] - [\mu S - C(S)]` at the allocation's total.
    marginal_value : ndarray
        :math:`u_j'(s_j)`: what a doctor-day more at j adds before :math:`C` (万元/dd).
    payoffs : ConsortiumPayoffs
        Payoffs and objectives of leader, members and society at the allocation.
    participation : ndarray of bool
        Which members are active.
    leader_capacity : float
        :math:`\bar S` (dd/yr; ``inf`` for none).
    """

    sinking: Array
    total: float
    value: float
    multiplier: float
    capacity_price: float
    duality_gap: float
    dual_bound: float
    regret: Array
    cost_regret: float
    marginal_value: Array
    payoffs: ConsortiumPayoffs
    participation: NDArray[np.bool_]
    leader_capacity: float


def certify(
    p: Parameters,
    members: Members,
    prep: Prepared,
    *,
    active: Any,
    cap: float,
    solved: tuple[Array, float] | None = None,
):
    """Allocation for a participation profile, with the dual bound of its multiplier.

    ``solved`` is the allocation and multiplier of :func:`allocate_rows` for this profile
    when the caller has them already (the certificate is computed from them either way).
    """
    n, c1, c2 = len(members), prep.c1, prep.c2
    # Rows n.. hold the passive variants when ``prep`` has both (participation_equilibrium).
    rows = np.where(active, np.arange(n), np.arange(n) + len(prep.part.ub) - n)
    s, mu = allocate_rows(prep, rows, cap) if solved is None else solved
    sub = prep.sub(rows)
    best = respond(sub.part, mu, 0.0, grid=sub.grid, vals=sub.vals)[1]
    own = sub.part.value(s[:, None])[:, 0] - mu * s
    regret = np.maximum(best, own) - own
    S, star = float(s.sum()), float(np.clip((mu - c1) / c2, 0.0, cap))
    cost_regret = (mu - c1 - 0.5 * c2 * star) * star - (mu - c1 - 0.5 * c2 * S) * S
    pay = consortium_payoffs(p, members, s, np.asarray(active, dtype=float))
    value = float(pay.leader_objective)
    gap = float(regret.sum()) + cost_regret
    return SinkingAllocation(
        sinking=s, total=S, value=value, multiplier=mu,
        capacity_price=max(0.0, mu - c1 - c2 * cap) if np.isfinite(cap) else 0.0,
        duality_gap=gap, dual_bound=value + gap, regret=regret, cost_regret=cost_regret,
        marginal_value=sub.part.slope(s[:, None])[:, 0], payoffs=pay,
        participation=np.asarray(active, dtype=bool), leader_capacity=cap,
    )  # fmt: skip


def check_capacity(p: Parameters, members: Any, leader_capacity: Any, what: str) -> float:
    r"""Scalar ``p``, a :class:`Members` table and :math:`\bar S \ge 0` for ``what``; returns it."""
    require_scalar(p, what)
    if not isinstance(members, Members):
        raise TypeError(f"members must be a Members table; got {type(members).__name__}")
    cap = float(np.asarray(leader_capacity, dtype=float))
    if np.isnan(cap) or cap < 0:
        raise ValueError(f"leader_capacity must be ≥ 0 (dd/yr; inf for none); got {cap!r}")
    return cap


def check_participation(participation: Any, n: int) -> NDArray[np.bool_]:
    """Which of ``n`` members are active: all for ``None``, else one 0/1 entry per member."""
    e = np.ones(n, dtype=bool) if participation is None else np.asarray(participation)
    if e.shape != (n,) or not np.isin(e, (0, 1)).all():
        raise ValueError(
            f"participation must hold one 0/1 entry per member ({n}); got {participation!r}"
        )
    return e.astype(bool)
