r"""Payoffs of the leading hospital, primary care and society (MODEL.md §4).

Every function broadcasts ``s``, ``e`` and all array-valued fields of :class:`Parameters`
against each other; no Python loop runs over grid points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_domain
from .flow import flow_share
from .parameters import Parameters

__all__ = ["Payoffs", "objectives", "payoffs", "savings_per_visit", "sinking_cost"]
# leader_loss, primary_gain, Terms and payoff_terms are kernels for the other modules.


@dataclass(frozen=True)
class Payoffs(Result):
    r"""Yearly payoffs relative to the no-sinking status quo, in 万元.

    Attributes
    ----------
    leader : ndarray
        :math:`\Pi_L`, the leading hospital's payoff.
    primary : ndarray
        :math:`\Pi_P`, primary care's payoff.
    welfare : ndarray
        :math:`W`, social welfare net of the cost of public funds.
    insurer : ndarray
        :math:`\Pi_M`, the insurer's net saving: its saving on moved visits less the share the
        consortium retains under a bundled budget.
    """

    leader: NDArray[np.float64]
    primary: NDArray[np.float64]
    welfare: NDArray[np.float64]
    insurer: NDArray[np.float64] = field(default_factory=lambda: np.zeros(()))


def sinking_cost(p: Parameters, s: ArrayLike) -> NDArray[np.float64]:
    r"""Leader's cost of sinking :math:`C(s) = c_1 s + \tfrac12 c_2 s^2` in 万元 per year.

    Parameters
    ----------
    p : Parameters
        Uses ``cost_linear`` (万元/dd) and ``cost_quadratic`` (万元/dd²); arrays broadcast.
    s : array_like
        Sinking in doctor-days per year, ≥ 0.

    Returns
    -------
    ndarray
        :math:`C(s)` in 万元 per year.

    Raises
    ------
    ValueError
        If ``s`` is negative or not finite.

    Examples
    --------
    >>> from compensation import Parameters, sinking_cost
    >>> float(sinking_cost(Parameters(), 300))
    45.0
    """
    s = check_domain("s", s, "nonneg", "dd/yr")
    return p.cost_linear * s + 0.5 * p.cost_quadratic * s * s


def savings_per_visit(p: Parameters) -> NDArray[np.float64]:
    r"""The insurer's saving when one visit moves from the leader to primary care.

    Parameters
    ----------
    p : Parameters
        Uses ``leader_visit_price``, ``primary_visit_price`` and the reimbursement rates.

    Returns
    -------
    ndarray
        :math:`\sigma_M = r_L p_L - r_P p_P` in 万元 per visit (negative when a primary visit
        costs the insurer more).

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.payoffs import savings_per_visit
    >>> round(float(savings_per_visit(Parameters())), 6)  # 80 CNY a visit
    0.008
    """
    return np.asarray(
        p.leader_reimbursement * p.leader_visit_price
        - p.primary_reimbursement * p.primary_visit_price
    )


def leader_loss(p: Parameters) -> NDArray[np.float64]:
    r""":math:`k_L`: what the leader's own payoff loses per moved visit, net of retained savings.

    :math:`k_L = m_L - \rho_L - \varphi m_P - \omega \psi \sigma_M` in 万元 per visit.
    """
    return np.asarray(
        p.leader_margin
        - p.slot_value
        - p.profit_share * p.primary_margin
        - p.leader_savings_share * p.retained_share * savings_per_visit(p)
    )


def primary_gain(p: Parameters) -> NDArray[np.float64]:
    r""":math:`k_P`: what primary care's own payoff gains per moved visit.

    :math:`k_P = (1 - \varphi) m_P + (1 - \omega) \psi \sigma_M` in 万元 per visit.
    """
    return np.asarray(
        (1 - p.profit_share) * p.primary_margin
        + (1 - p.leader_savings_share) * p.retained_share * savings_per_visit(p)
    )


class Terms(NamedTuple):
    """A sinking's payoff terms before the leader's cost of sinking (万元/yr)."""

    leader: NDArray[np.float64]  # the leader's payoff gross of C(s)
    primary: NDArray[np.float64]
    insurer: NDArray[np.float64]
    public: NDArray[np.float64]  # welfare beyond the two payoffs: benefit and public money


def payoff_terms(p: Parameters, s: NDArray[np.float64], e: NDArray[np.float64]) -> Terms:
    """MODEL.md §4 per sink site, once: the two-player payoffs and §10's members both use it.

    The cost of sinking is left out because a consortium pays it on the total, not per member.
    """
    moved = (
        p.common_share
        * p.visits
        * flow_share(p, s)
        * (p.passive_fraction + (1 - p.passive_fraction) * e)
    )
    insurer = (1 - p.retained_share) * savings_per_visit(p) * moved
    # A conditional subsidy is paid only while primary care is active (MODEL.md §4).
    paid = p.subsidy * s * (1 - p.conditional_subsidy + p.conditional_subsidy * e)
    leader = -leader_loss(p) * moved + (p.price * e + p.brand_benefit) * s + paid
    primary = (
        primary_gain(p) * moved
        - (p.price + p.hosting_cost) * s * e
        + (p.primary_subsidy - p.readiness_cost) * e
    )
    # The insurance fund is public money: what it saves is worth 1 + λ, like the subsidy.
    public = p.social_benefit * s * e + (1 + p.funds_cost) * (
        insurer - paid - p.primary_subsidy * e
    )
    return Terms(leader, primary, insurer, public)


def payoffs_unchecked(p: Parameters, s: NDArray[np.float64], e: NDArray[np.float64]) -> Payoffs:
    t = payoff_terms(p, s, e)
    leader = t.leader - (p.cost_linear * s + 0.5 * p.cost_quadratic * s * s)
    welfare = leader + t.primary + t.public
    return Payoffs(
        np.asarray(leader), np.asarray(t.primary), np.asarray(welfare), np.asarray(t.insurer)
    )


def _check_se(s: ArrayLike, e: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    s = check_domain("s", s, "nonneg", "dd/yr")
    e = check_domain("e", e, "share")
    return s, e


def payoffs(p: Parameters, s: ArrayLike, e: ArrayLike = 1.0) -> Payoffs:
    r"""Payoffs of L, P and society when L sinks ``s`` and P's activity is ``e``.

    Parameters
    ----------
    p : Parameters
        Model parameters; array fields broadcast.
    s : array_like
        Sinking in doctor-days per year, ≥ 0.
    e : array_like, default 1
        1 if primary care is active, 0 if passive; values in between are the probability of
        being active, so the payoffs are expectations.

    Returns
    -------
    Payoffs
        ``.leader``, ``.primary``, ``.welfare`` in 万元 per year, relative to no sinking.

    Raises
    ------
    ValueError
        If ``s`` is negative or not finite, or ``e`` is outside [0, 1].

    Notes
    -----
    MODEL.md §4, with :math:`f(e) = \varepsilon + (1-\varepsilon) e`,
    :math:`V(s) = \theta N \Delta q(s)`, the insurer's saving per moved visit
    :math:`\sigma_M = r_L p_L - r_P p_P` (:func:`savings_per_visit`), the retained savings
    :math:`R = \psi \sigma_M V f` and the subsidy paid :math:`g s (1 - \chi + \chi e)`:

    .. math::

        \Pi_L &= -(m_L - \rho_L - \varphi m_P) V f + \omega R - C(s)
                 + (w e + \beta_B) s + g s (1 - \chi + \chi e) \\
        \Pi_P &= (1 - \varphi) m_P V f + (1 - \omega) R - (w + c_P) s e - K_P e + g_P e \\
        \Pi_M &= \sigma_M V f - R \\
        W &= \Pi_L + \Pi_P + h s e
             + (1 + \lambda)\left[\Pi_M - g s (1 - \chi + \chi e) - g_P e\right]

    Fee-for-service is :math:`\psi = 0`; under a bundled budget (结余留用) the consortium keeps
    the share :math:`\psi` of what the insurer saves. The siphon effect is the term
    :math:`-(m_L - \rho_L) V f`: the leader loses margin on moved patients unless it is crowded
    (:math:`\rho_L` near :math:`m_L`) or keeps enough of the savings.

    Examples
    --------
    >>> from compensation import Parameters, payoffs
    >>> r = payoffs(Parameters(), s=300, e=1)
    >>> round(float(r.leader), 4), round(float(r.primary), 4), round(float(r.welfare), 4)
    (-49.2, 10.6, 102.04)
    >>> r = payoffs(Parameters(retained_share=1.0), s=300, e=1)  # bundled, savings kept
    >>> round(float(r.leader), 4), round(float(r.insurer), 4), round(float(r.welfare), 4)
    (-15.6, 0.0, 88.6)
    """
    s, e = _check_se(s, e)
    return payoffs_unchecked(p, s, e)


def objectives(
    p: Parameters, s: ArrayLike, e: ArrayLike = 1.0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Objectives that L and P maximise in a consortium of integration :math:`\eta`.

    Parameters
    ----------
    p, s, e
        As in :func:`payoffs`.

    Returns
    -------
    (ndarray, ndarray)
        :math:`O_L` and :math:`O_P` in 万元 per year.

    Raises
    ------
    ValueError
        If ``s`` is negative or not finite, or ``e`` is outside [0, 1].

    Notes
    -----
    MODEL.md §4 (tight vs loose consortium, 紧密型 vs 松散型):

    .. math:: O_L = (1 - \eta)\Pi_L + \eta(\Pi_L + \Pi_P), \quad
              O_P = (1 - \eta)\Pi_P + \eta(\Pi_L + \Pi_P)

    Examples
    --------
    >>> from compensation import Parameters, objectives
    >>> o_l, o_p = objectives(Parameters(integration=1.0), 300, 1)
    >>> bool(o_l == o_p)
    True
    """
    s, e = _check_se(s, e)
    return objectives_unchecked(p, s, e)


def objectives_unchecked(
    p: Parameters, s: NDArray[np.float64], e: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r = payoffs_unchecked(p, s, e)
    return r.leader + p.integration * r.primary, r.primary + p.integration * r.leader
