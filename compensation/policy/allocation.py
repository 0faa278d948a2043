r"""The leader's allocation of doctor-days among many members (MODEL.md §10).

The leader maximises :math:`O_L = \sum_j u_j(s_j) - C(S)` over
:math:`0 \le s_j \le \min(s_{max}, \bar s_j)`, :math:`S = \sum_j s_j \le \bar S`. A multiplier
:math:`\mu` on :math:`S` separates the members: each answers :math:`\arg\max u_j(s) - \mu s`,
found globally from the upper concave hull of :math:`u_j` on a grid (all members at once), and
:math:`\mu` balances :math:`\sum_j s_j(\mu)` with the leader's :math:`S^*(\mu)`: a fractional
knapsack over the hull edges sorted by slope, then, for curved flows, an Illinois search on
the exact responses. A member split across a hull *bridge* (its term is not concave there) is
put where it pays best, the others re-allocated, and the duality gap is reported. The
kernels live in ``policy/_dual.py``, the participation equilibrium in ``policy/participation.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..model.members import Members
from ..model.parameters import Parameters
from ._dual import GRID, prepare
from .allocation_result import SinkingAllocation, certify, check_capacity, check_participation

# The participation equilibrium lives in participation.py; its names keep this import path.
from .participation import ParticipationEquilibrium, participation_equilibrium

__all__ = [
    "ParticipationEquilibrium",
    "SinkingAllocation",
    "allocate_sinking",
    "participation_equilibrium",
]


def allocate_sinking(
    p: Parameters,
    members: Members,
    *,
    participation: ArrayLike | None = None,
    leader_capacity: float = np.inf,
) -> SinkingAllocation:
    r"""The leader's optimal doctor-days per member, certified by its duality gap.

    Parameters
    ----------
    p : Parameters
        Scalar parameters: the leader's fields and every column ``members`` leaves out.
    members : Members
        The N members.
    participation : array_like of bool, optional
        Which members are active (default all). A passive member still sees the share
        :math:`\varepsilon` of the shift and pays no price (MODEL.md §4 with :math:`e_j = 0`).
    leader_capacity : float, default inf
        :math:`\bar S`, the leader's doctor-days per year for all members (dd/yr).

    Returns
    -------
    SinkingAllocation
        ``.sinking`` per member, ``.multiplier`` :math:`\mu`, ``.capacity_price``
        :math:`\nu`, ``.duality_gap`` with per-member ``.regret``, and the payoffs.

    Raises
    ------
    ValueError
        For array-valued ``p``, a negative or NaN ``leader_capacity``, or a
        ``participation`` that is not one 0/1 entry per member.
    TypeError
        If ``members`` is not a :class:`~compensation.model.members.Members`.

    Notes
    -----
    MODEL.md §10. Member j adds :math:`u_j(s) = b_j s - \kappa_j \Delta q_j(s) + c_j` to the
    leader's objective :math:`O_L = \Pi_L + \eta \sum_j \Pi_{Pj}`, with
    :math:`b_j = w_j e_j + g_j + \beta_B - t_j - \eta (w_j + c_{Pj}) e_j`; the leader solves

    .. math::

        \max_{0 \le s_j \le \min(s_{max}, \bar s_j),\ S = \sum_j s_j \le \bar S}
        \sum_j u_j(s_j) - C(S), \qquad
        L(s, S, \mu) = \sum_j [u_j(s_j) - \mu s_j] + [\mu S - C(S)],

    and :math:`\mu = C'(S(\mu)) + \nu`. Each :math:`s_j(\mu)` is global on a grid of 257
    points (3 for the linear flow, where it is exact) refined at every local maximum. When a
    :math:`u_j` is not concave (the siphon loss of a saturating flow, or a linear flow capped
    below :math:`s_{max}`) the reported gap :math:`D(\mu) - O_L` may be positive.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.allocation import allocate_sinking
    >>> m = Members(name=["A", "B", "C"], visits=[120_000, 60_000, 20_000],
    ...             host_capacity=[600, 600, 600], travel_cost=[0.0, 0.02, 0.05])
    >>> r = allocate_sinking(Parameters(price=0.3, subsidy=0.2), m, leader_capacity=1000)
    >>> r.sinking.round(1).tolist(), round(r.capacity_price, 4), round(r.duality_gap, 9)
    ([400.0, 600.0, 0.0], 0.1496, 0.0)
    """
    cap = check_capacity(p, members, leader_capacity, "allocate_sinking")
    n = len(members)
    e = check_participation(participation, n)
    prep = prepare(p, members, np.arange(n), e.astype(float), GRID)
    return certify(p, members, prep, active=e.astype(bool), cap=cap)
