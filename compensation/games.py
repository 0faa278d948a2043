"""Discrete games built from the payoff model (MODEL.md §5).

Builders turn :class:`~compensation.Parameters` into payoff matrices; the generic solvers in
:mod:`compensation.equilibria` and :mod:`compensation.evolution` never see parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import nashpy
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_domain
from .cooperative import TUGame
from .evolution import ThreePopulationGame
from .parameters import Parameters, _unchecked
from .payoffs import _objectives, _payoffs

__all__ = [
    "Advantages",
    "advantages",
    "coalition_values",
    "evolutionary_game",
    "grid_game",
    "sinking_game",
    "sinking_matrices",
    "tripartite_game",
]


def sinking_matrices(p: Parameters) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Payoff matrices of the 2×2 sinking game, stacked over array-valued parameters.

    Rows are L's (Sink :math:`\bar s`, Not), columns P's (Active, Passive); entries are the
    objectives :math:`O_L, O_P` of MODEL.md §4 (equal to :math:`\Pi_L, \Pi_P` when
    :math:`\eta = 0`), in 万元 per year.

    Returns
    -------
    (ndarray, ndarray)
        ``A`` and ``B`` of shape ``p.shape + (2, 2)``, ready for :func:`solve_2x2`.

    Examples
    --------
    >>> from compensation import Parameters, sinking_matrices
    >>> A, B = sinking_matrices(Parameters())
    >>> A.round(2).tolist()
    [[-49.2, -46.56], [0.0, 0.0]]
    """
    cells = _cells(p)
    A = np.stack([np.stack(cells[0][:2], -1), np.stack(cells[0][2:], -1)], -2)
    B = np.stack([np.stack(cells[1][:2], -1), np.stack(cells[1][2:], -1)], -2)
    return A, B


def _cells(p: Parameters) -> tuple[list[NDArray[np.float64]], list[NDArray[np.float64]]]:
    """O_L and O_P at (Sink, Active), (Sink, Passive), (Not, Active), (Not, Passive)."""
    shape = p.shape
    sbar = np.asarray(p.sinking_level, dtype=float)
    zero = np.zeros(())
    leader, primary = [], []
    for s, e in ((sbar, 1.0), (sbar, 0.0), (zero, 1.0), (zero, 0.0)):
        o_l, o_p = _objectives(p, s, np.asarray(e))
        leader.append(np.broadcast_to(o_l, shape))
        primary.append(np.broadcast_to(o_p, shape))
    return leader, primary


def _expand(p: Parameters, k: int) -> Parameters:
    """View of ``p`` whose array fields gain ``k`` trailing axes, to broadcast with grids."""
    from .parameters import FIELDS

    changes = {
        n: np.asarray(getattr(p, n))[(...,) + (None,) * k] for n in FIELDS if np.ndim(getattr(p, n))
    }
    return _unchecked(p, **changes)


def _scalar(p: Parameters, what: str) -> None:
    if p.shape != ():
        raise ValueError(
            f"{what} needs scalar parameters; got array fields of shape {p.shape} "
            "(use sinking_matrices and solve_2x2 for sweeps)"
        )


def sinking_game(p: Parameters) -> nashpy.Game:
    r"""The 2×2 sinking game as a ``nashpy.Game``.

    Rows: leader Sink (:math:`s = \bar s`) or Not (:math:`s = 0`); columns: primary care
    Active or Passive. Entries are the objectives of MODEL.md §4 in 万元 per year.

    Parameters
    ----------
    p : Parameters
        Scalar parameters (for arrays use :func:`sinking_matrices`).

    Examples
    --------
    >>> from compensation import Parameters, sinking_game, nash_equilibria
    >>> game = sinking_game(Parameters(subsidy=0.3))
    >>> nash_equilibria(game).pure
    [(0, 0)]
    """
    _scalar(p, "sinking_game")
    A, B = sinking_matrices(p)
    return nashpy.Game(A, B)


def grid_game(p: Parameters, sinking_levels: ArrayLike) -> nashpy.Game:
    r"""The k×2 game in which the leader picks one of several sinking levels.

    Parameters
    ----------
    p : Parameters
        Scalar parameters.
    sinking_levels : array_like, shape (k,)
        Doctor-days per year for the k rows (include 0 for "Not"), each in
        ``[0, max_sinking]``.

    Examples
    --------
    >>> from compensation import Parameters, grid_game, nash_equilibria
    >>> game = grid_game(Parameters(subsidy=0.3), [0, 150, 300, 600])
    >>> nash_equilibria(game).pure
    [(3, 0)]
    """
    _scalar(p, "grid_game")
    s = check_domain("sinking_levels", sinking_levels, "nonneg", "dd/yr")
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"sinking_levels must be a non-empty 1-D array; got shape {s.shape}")
    if np.any(s > p.max_sinking):
        raise ValueError(
            f"sinking_levels must be ≤ max_sinking = {p.max_sinking:g} (dd/yr); got {s.max():g}"
        )
    A, B = _objectives(p, s[:, None], np.array([[1.0, 0.0]]))
    return nashpy.Game(A, B)


class Advantages(NamedTuple):
    r"""Incentives of the 2×2 sinking game (MODEL.md §5), in 万元 per year.

    ``A1``, ``A0``: L's gain from Sink over Not when P is active, passive.
    ``B1``, ``B0``: P's gain from Active over Passive when L sinks, does not.
    """

    A1: NDArray[np.float64]
    A0: NDArray[np.float64]
    B1: NDArray[np.float64]
    B0: NDArray[np.float64]


def advantages(p: Parameters) -> Advantages:
    r"""Each player's gain from its first strategy, given the other's choice.

    Notes
    -----
    .. math::

        A_1 = O_L(\bar s, 1) - O_L(0, 1), \quad A_0 = O_L(\bar s, 0) - O_L(0, 0), \\
        B_1 = O_P(\bar s, 1) - O_P(\bar s, 0), \quad B_0 = O_P(0, 1) - O_P(0, 0).

    (Sink, Active) is an equilibrium exactly when :math:`A_1 \ge 0` and :math:`B_1 \ge 0`.

    Examples
    --------
    >>> from compensation import Parameters, advantages
    >>> [round(float(v), 2) for v in advantages(Parameters())]
    [-49.2, -46.56, 0.52, -2.0]
    """
    (l_sa, l_sp, l_na, l_np), (p_sa, p_sp, p_na, p_np) = _cells(p)
    return Advantages(l_sa - l_na, l_sp - l_np, p_sa - p_sp, p_na - p_np)


def evolutionary_game(p: Parameters) -> nashpy.Game:
    r"""The 2×2 game whose two-population replicator dynamics MODEL.md §5 studies.

    Population shares: :math:`x` of leading hospitals that sink, :math:`y` of primary-care
    members that are active. The matrices are those of :func:`sinking_game`, so
    :math:`\dot x = x(1-x)[A_0 + y(A_1 - A_0)]`, :math:`\dot y = y(1-y)[B_0 + x(B_1 - B_0)]`
    with the :func:`advantages`.

    Examples
    --------
    >>> from compensation import Parameters, evolutionary_game, replicator_rest_points
    >>> p = Parameters(passive_fraction=0.6, primary_margin=0.008, subsidy=0.172)
    >>> rps = replicator_rest_points(evolutionary_game(p))
    >>> [r.point for r in rps.stable()]
    [(1.0, 1.0), (0.0, 0.0)]
    """
    return sinking_game(p)


def tripartite_game(
    p: Parameters,
    *,
    regulation_cost: float,
    reward: float,
    accountability_loss: float,
    fine_leader: float = 0.0,
    fine_primary: float = 0.0,
) -> ThreePopulationGame:
    r"""Leader, primary care and government as three evolving populations (MODEL.md §5).

    Shares :math:`x` (leaders sinking), :math:`y` (primary care active), :math:`z` (government
    regulating). The subsidies ``p.subsidy`` (per doctor-day, so :math:`g \bar s` a year) and
    ``p.primary_subsidy`` are paid, and the fines levied, only when the government regulates.

    Parameters
    ----------
    p : Parameters
        Scalar parameters; the game's other payoffs come from :func:`advantages` without
        subsidies.
    regulation_cost : float
        :math:`C_G`, the government's cost of regulating (万元/yr), ≥ 0.
    reward : float
        :math:`R_G`, the government's reward when the consortium works (万元/yr), ≥ 0.
    accountability_loss : float
        :math:`L_G`, its loss when unregulated and failing (万元/yr), ≥ 0.
    fine_leader, fine_primary : float
        :math:`F_L` on a non-sinking leader, :math:`F_P` on a passive primary member (万元/yr).

    Returns
    -------
    ThreePopulationGame

    Notes
    -----
    .. math::

        \mathrm{adv}_L &= A_0 + y (A_1 - A_0) + z (g \bar s + F_L), \\
        \mathrm{adv}_P &= B_0 + x (B_1 - B_0) + z (g_P + F_P), \\
        D(x, y) &= -C_G - x g \bar s - y g_P + (1 - x) F_L + (1 - y) F_P + R_G x y
                   + L_G (1 - x y).

    Examples
    --------
    >>> from compensation import Parameters, tripartite_game
    >>> game = tripartite_game(Parameters(subsidy=0.2, primary_subsidy=5), regulation_cost=10,
    ...                        reward=90, accountability_loss=20, fine_leader=5)
    >>> [r.point for r in game.rest_points().stable()]
    [(1.0, 1.0, 1.0)]
    """
    _scalar(p, "tripartite_game")
    values = {
        "regulation_cost": regulation_cost,
        "reward": reward,
        "accountability_loss": accountability_loss,
        "fine_leader": fine_leader,
        "fine_primary": fine_primary,
    }
    c_g, r_g, l_g, f_l, f_p = (
        float(check_domain(k, v, "nonneg", "万元/yr")) for k, v in values.items()
    )
    base = advantages(_unchecked(p, subsidy=0.0, primary_subsidy=0.0))
    a1, a0, b1, b0 = (float(v) for v in base)
    paid_l = float(p.subsidy * p.sinking_level)
    paid_p = float(p.primary_subsidy)
    return ThreePopulationGame(
        (a0, a1 - a0, paid_l + f_l, 0.0),
        (b0, b1 - b0, paid_p + f_p, 0.0),
        (-c_g + f_l + f_p + l_g, -paid_l - f_l, -paid_p - f_p, r_g - l_g),
        names=("leader sinks", "primary active", "government regulates"),
    )


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
    from .response import best_sinking

    ps = list(members)
    m = len(ps)
    if m < 1 or m > 16:
        raise ValueError(f"members must hold 1 to 16 parameter sets; got {m}")
    for p in ps:
        _scalar(p, "coalition_values")
    if len({p.flow for p in ps}) != 1:
        raise ValueError("all members must use the same flow form")
    from .parameters import FIELDS

    stacked = _unchecked(ps[0], **{n: np.array([getattr(p, n) for p in ps]) for n in FIELDS})
    subsets = (np.arange(1 << m)[:, None] >> np.arange(m)) & 1  # (2^m, m) membership
    joint = _unchecked(stacked, integration=1.0)

    def respond(mu: NDArray) -> NDArray:
        q = _unchecked(joint, subsidy=stacked.subsidy - mu)
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
    r = _payoffs(stacked, s, np.asarray(1.0))
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
