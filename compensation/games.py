"""Discrete games built from the payoff model (MODEL.md §5).

Builders turn :class:`~compensation.Parameters` into payoff matrices and advantage
coefficients; the generic solvers (:func:`~compensation.nash_equilibria`,
:func:`~compensation.solve_2x2`, :func:`~compensation.replicator_rest_points`,
:class:`~compensation.ThreePopulationGame`) never see parameters.
"""

from __future__ import annotations

from typing import NamedTuple

import nashpy
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_domain
from .model.parameters import Parameters, require_scalar, unchecked
from .model.payoffs import objectives_unchecked
from .solvers.tripartite import ThreePopulationGame

__all__ = [
    "Advantages",
    "advantages",
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

    Parameters
    ----------
    p : Parameters
        Model parameters; array fields broadcast.

    Returns
    -------
    (ndarray, ndarray)
        ``A`` and ``B`` of shape ``p.shape + (2, 2)``, ready for :func:`solve_2x2`.

    Raises
    ------
    AttributeError
        If ``p`` is not a :class:`~compensation.Parameters`; a valid ``p`` never raises (its
        values were checked when it was built).

    Notes
    -----
    .. math::

        A = \begin{pmatrix} O_L(\bar s, 1) & O_L(\bar s, 0) \\ O_L(0, 1) & O_L(0, 0)
            \end{pmatrix}, \qquad
        B = \begin{pmatrix} O_P(\bar s, 1) & O_P(\bar s, 0) \\ O_P(0, 1) & O_P(0, 0)
            \end{pmatrix}.

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
        o_l, o_p = objectives_unchecked(p, s, np.asarray(e))
        leader.append(np.broadcast_to(o_l, shape))
        primary.append(np.broadcast_to(o_p, shape))
    return leader, primary


def sinking_game(p: Parameters) -> nashpy.Game:
    r"""The 2×2 sinking game as a ``nashpy.Game``.

    Rows: leader Sink (:math:`s = \bar s`) or Not (:math:`s = 0`); columns: primary care
    Active or Passive. Entries are the objectives of MODEL.md §4 in 万元 per year.

    Parameters
    ----------
    p : Parameters
        Scalar parameters (for arrays use :func:`sinking_matrices`).

    Returns
    -------
    nashpy.Game
        The game with payoff matrices ``A`` (leader) and ``B`` (primary care) of
        :func:`sinking_matrices`, in 万元 per year.

    Raises
    ------
    ValueError
        If ``p`` has array fields.

    Examples
    --------
    >>> from compensation import Parameters, sinking_game, nash_equilibria
    >>> game = sinking_game(Parameters(subsidy=0.3))
    >>> nash_equilibria(game).pure
    [(0, 0)]
    """
    require_scalar(p, "sinking_game")
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

    Returns
    -------
    nashpy.Game
        The k×2 game: row :math:`i` is sinking :math:`s_i`, columns are primary care Active
        and Passive; entries :math:`A_{ij} = O_L(s_i, e_j)`, :math:`B_{ij} = O_P(s_i, e_j)`
        with :math:`e = (1, 0)`, in 万元 per year.

    Raises
    ------
    ValueError
        If ``p`` has array fields, or ``sinking_levels`` is not a non-empty 1-D array of
        finite values in ``[0, max_sinking]``.

    Examples
    --------
    >>> from compensation import Parameters, grid_game, nash_equilibria
    >>> game = grid_game(Parameters(subsidy=0.3), [0, 150, 300, 600])
    >>> nash_equilibria(game).pure
    [(3, 0)]
    """
    require_scalar(p, "grid_game")
    s = check_domain("sinking_levels", sinking_levels, "nonneg", "dd/yr")
    if s.ndim != 1 or s.size == 0:
        raise ValueError(f"sinking_levels must be a non-empty 1-D array; got shape {s.shape}")
    if np.any(s > p.max_sinking):
        raise ValueError(
            f"sinking_levels must be ≤ max_sinking = {p.max_sinking:g} (dd/yr); got {s.max():g}"
        )
    A, B = objectives_unchecked(p, s[:, None], np.array([[1.0, 0.0]]))
    return nashpy.Game(A, B)


class Advantages(NamedTuple):
    r"""Incentives of the 2×2 sinking game (MODEL.md §5), in 万元 per year.

    Attributes
    ----------
    A1, A0 : ndarray
        L's gain from Sink over Not when P is active, passive.
    B1, B0 : ndarray
        P's gain from Active over Passive when L sinks, does not.
    """

    A1: NDArray[np.float64]
    A0: NDArray[np.float64]
    B1: NDArray[np.float64]
    B0: NDArray[np.float64]


def advantages(p: Parameters) -> Advantages:
    r"""Each player's gain from its first strategy, given the other's choice.

    Parameters
    ----------
    p : Parameters
        Model parameters; array fields broadcast.

    Returns
    -------
    Advantages
        ``A1``, ``A0``, ``B1``, ``B0`` in 万元 per year, each of shape ``p.shape``.

    Raises
    ------
    AttributeError
        If ``p`` is not a :class:`~compensation.Parameters`; a valid ``p`` never raises.

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

    Parameters
    ----------
    p : Parameters
        Scalar parameters.

    Returns
    -------
    nashpy.Game
        The game of :func:`sinking_game` (payoffs in 万元 per year).

    Raises
    ------
    ValueError
        If ``p`` has array fields.

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
        With the advantages below as its coefficients, in 万元 per year.

    Raises
    ------
    ValueError
        If ``p`` has array fields, or a cost, reward, loss or fine is not finite and ≥ 0.

    Notes
    -----
    .. math::

        \mathrm{adv}_L &= A_0 + y (A_1 - A_0) + z (g \bar s (1 - \chi + \chi y) + F_L), \\
        \mathrm{adv}_P &= B_0 + x (B_1 - B_0) + z (g_P + F_P + \eta \chi g \bar s x), \\
        D(x, y) &= -C_G - x g \bar s (1 - \chi + \chi y) - y g_P + (1 - x) F_L
                   + (1 - y) F_P + R_G x y + L_G (1 - x y),

    with :math:`\chi` the conditional share of the subsidy (paid only while primary care is
    active) and :math:`A, B` the advantages without subsidies (retained savings of a bundled
    budget included).

    Examples
    --------
    >>> from compensation import Parameters, tripartite_game
    >>> game = tripartite_game(Parameters(subsidy=0.2, primary_subsidy=5), regulation_cost=10,
    ...                        reward=90, accountability_loss=20, fine_leader=5)
    >>> [r.point for r in game.rest_points().stable()]
    [(1.0, 1.0, 1.0)]
    """
    require_scalar(p, "tripartite_game")
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
    base = advantages(unchecked(p, subsidy=0.0, primary_subsidy=0.0))
    a1, a0, b1, b0 = (float(v) for v in base)
    paid_l = float(p.subsidy * p.sinking_level)
    paid_p = float(p.primary_subsidy)
    # The conditional part chi of the leader's subsidy is paid only when primary care is
    # active (y); through eta Pi_L it is also part of primary care's objective.
    chi, eta = float(p.conditional_subsidy), float(p.integration)
    return ThreePopulationGame(
        (a0, a1 - a0, (1 - chi) * paid_l + f_l, chi * paid_l),
        (b0, b1 - b0, paid_p + f_p, eta * chi * paid_l),
        (
            -c_g + f_l + f_p + l_g,
            -(1 - chi) * paid_l - f_l,
            -paid_p - f_p,
            r_g - l_g - chi * paid_l,
        ),
        names=("leader sinks", "primary active", "government regulates"),
    )
