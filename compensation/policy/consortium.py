r"""Coalition values of a leader with several primary-care members (MODEL.md §7, §10).

It solves the leader's allocation of doctor-days (a policy question), so it lives above the
game builders: a builder must not call the policy layer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .._validation import check_domain
from ..model.parameters import FIELDS, Parameters, require_scalar, unchecked
from ..model.payoffs import payoffs_unchecked
from ..solvers.cooperative import TUGame
from ..solvers.function_game import coalition_matrix
from .response import best_sinking

__all__ = ["coalition_values"]


def coalition_values(
    members: Sequence[Parameters],
    *,
    capacity: float | None = None,
    names: Sequence[str] | None = None,
) -> TUGame:
    r"""Coalition values of a leader (player 0) with several primary members (players 1..m).

    Each member :math:`j` has its own scalar parameters (the leader–member pair). A coalition
    without the leader is worth 0 (nobody sinks). With the leader, a coalition is worth the
    joint surplus of optimal sinking to its members,

    .. math::

        v(T) = \max_{S \subseteq T \setminus \{L\}}\; \max_{s \ge 0,\ \sum_{j \in S} s_j \le
        \bar S} \sum_{j \in S} J_j(s_j), \qquad J_j = \Pi_L^{(j)}(s_j, 1) + \Pi_P^{(j)}(s_j, 1),

    where the optional ``capacity`` :math:`\bar S` (doctor-days per year) is shared by all
    members; internal prices cancel inside the coalition, subsidies do not. Members for whom
    joining does not pay are left out (the outer maximum), so :math:`v` is monotone.

    Each pair carries its own sinking cost :math:`C(s_j)`, as if the leader ran a separate
    team for every member. MODEL.md §10 charges one cost on the total
    :math:`C(\sum_j s_j)`, which differs once two members receive doctors: for that model,
    with a table of :class:`~compensation.Members`, use
    :func:`~compensation.policy.consortium_game.consortium_game`.

    Parameters
    ----------
    members : sequence of Parameters
        One scalar parameter set per member, all with the same ``flow``.
    capacity : float, optional
        The leader's total doctor-days per year for all members; ``None`` for no limit (the
        game is then additive).
    names : sequence of str, optional
        Player names, the leader first.

    Returns
    -------
    TUGame

    Raises
    ------
    ValueError
        For fewer than 1 or more than 16 members, members with array fields or different
        flow forms, or a negative ``capacity``.

    Notes
    -----
    The capacity is priced by a multiplier :math:`\mu` found by bisection for all coalitions at
    once, each member answering :math:`s_j(\mu) = \arg\max J_j(s) - \mu s` (the joint best
    response of :func:`best_sinking` with :math:`\eta = 1` and subsidy :math:`g - \mu`); this
    is exact when the :math:`J_j` are concave.

    Examples
    --------
    >>> from compensation import Parameters, coalition_values, shapley_value
    >>> centres = [Parameters(subsidy=0.2), Parameters(subsidy=0.2, visits=120_000)]
    >>> game = coalition_values(centres, capacity=600)
    >>> [round(game.value(t), 1) for t in [(0,), (0, 1), (0, 2), (0, 1, 2)]]
    [0.0, 27.2, 21.4, 39.6]
    """
    ps = list(members)
    m = len(ps)
    if m < 1 or m > 16:
        raise ValueError(f"members must hold 1 to 16 parameter sets; got {m}")
    for p in ps:
        require_scalar(p, "coalition_values")
    if len({p.flow for p in ps}) != 1:
        raise ValueError("all members must use the same flow form")
    stacked = unchecked(ps[0], **{n: np.array([getattr(p, n) for p in ps]) for n in FIELDS})
    subsets = coalition_matrix(np.arange(1 << m), m)  # (2^m, m) membership
    joint = unchecked(stacked, integration=1.0)

    def respond(mu: NDArray) -> NDArray:
        q = unchecked(joint, subsidy=stacked.subsidy - mu)
        return best_sinking(q) * subsets

    if capacity is None:
        s = respond(np.zeros((1 << m, 1)))
    else:
        cap = float(check_domain("capacity", capacity, "nonneg", "dd/yr"))
        lo = np.zeros((1 << m, 1))
        hi = np.full((1 << m, 1), 1.0)
        while np.any(respond(hi).sum(axis=1) > cap):  # bracket the multiplier
            hi *= 2.0
        for _ in range(100):
            mid = 0.5 * (lo + hi)
            over = respond(mid).sum(axis=1, keepdims=True) > cap
            lo, hi = np.where(over, mid, lo), np.where(over, hi, mid)
        s = respond(hi)
    r = payoffs_unchecked(stacked, s, np.asarray(1.0))
    value = ((r.leader + r.primary) * subsets).sum(axis=1)
    best = value.copy()
    for j in range(m):  # v(S) = max over sub-selections: drop members that do not pay
        block = best.reshape(-1, 2, 1 << j)
        block[:, 1, :] = np.maximum(block[:, 1, :], block[:, 0, :])
    v = np.zeros(1 << (m + 1))
    v[1::2] = np.maximum(best, 0.0)  # bit 0 = leader; members are bits 1..m
    label = (
        tuple(names) if names is not None else ("leader", *(f"member {j + 1}" for j in range(m)))
    )
    return TUGame(m + 1, v, label)
