r"""Subsidy design with the government as Stackelberg leader (MODEL.md §5).

The government picks the subsidy :math:`g \ge 0` per doctor-day sunk, anticipating the rest:

* **government-led** alliance: the regulator fixes the internal price :math:`w`; the leading
  hospital answers with :math:`s^*(w, g)`;
* **primary-led** alliance: primary care sets :math:`w` to maximise its objective given
  :math:`g`, then the leader answers. Part of every subsidy yuan is captured by primary care
  through a lower price, so only a fraction passes through to sinking (½ for the linear flow
  and :math:`\eta = 0`); the chosen price can be negative.

Welfare :math:`W(s^*, 1)` is maximised, optionally under a budget :math:`g s \le` ``budget``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from .._validation import check_choice, check_domain
from ..model.flow import form_of
from ..model.leader import flow_cap, gain_per_day, leader_loss, net_loss, primary_gain
from ..model.parameters import FIELDS, Parameters, unchecked
from ..model.payoffs import objectives_unchecked, payoffs_unchecked, savings_per_visit
from ._design import (
    design_point,
    participation_margin,
    passive_outcome,
    price_regret,
    primary_price,
)
from .response import closed_form_sinking, numeric_sinking

__all__ = ["SubsidyDesign", "optimal_subsidy"]

ALLIANCES = ("government-led", "primary-led")


@dataclass(frozen=True)
class SubsidyDesign(Result):
    r"""Result of :func:`optimal_subsidy`; money in 万元, sinking in doctor-days per year.

    Every outcome reported is an equilibrium: the leader's sinking is a best response to the
    price and subsidy, primary care is willing to be active, and (primary-led) its price is a
    best response; ``leader_regret`` and ``primary_regret`` certify it. Where no design with
    primary care active beats the status quo (welfare 0: no sinking, primary care passive,
    MODEL.md §5), the design is "no intervention" (``intervention`` False).

    Attributes
    ----------
    subsidy : ndarray
        Optimal :math:`g` per doctor-day.
    price : ndarray
        Internal price :math:`w` in force (fixed, or chosen by primary care).
    sinking : ndarray
        The leader's response :math:`s^*`.
    primary_subsidy : ndarray
        Lump sum :math:`g_P` to an active primary care, raised above ``p.primary_subsidy``
        where the government buys its participation.
    welfare, leader, primary : ndarray
        :math:`W`, :math:`\Pi_L`, :math:`\Pi_P` at the outcome.
    spending : ndarray
        Government outlay :math:`g s^* + g_P e`.
    participation : ndarray of bool
        True where primary care is active at the outcome
        (:math:`O_P(s^*, 1) \ge O_P(s^*, 0)`).
    intervention : ndarray of bool
        False where the best design is to do nothing (the status quo).
    budget_binding : ndarray of bool
        True where the budget limits the subsidy.
    binding : tuple of str, or ndarray of tuples
        Constraints that bind at the optimum: ``"budget"``, ``"subsidy >= 0"``,
        ``"participation"``, ``"participation (paid by primary_subsidy)"``,
        ``"status quo"``.
    leader_regret, primary_regret : ndarray
        What the leader (by changing its sinking) and primary care (by changing its price,
        primary-led; or its participation) could gain by deviating: 0 up to rounding.
    alliance, method : str
        Alliance type and ``"closed-form"``, ``"numeric"``, or ``"closed-form+numeric"`` for
        arrays where some points were solved numerically.
    budget : float or None
        The budget used.
    message : str
        What was found, in words.
    passive_sinking, passive_welfare : ndarray
        The leader's best response if primary care stayed passive under the designed price,
        subsidy and lump sum, and welfare there.
    passive_equilibrium : ndarray of bool
        True where (``passive_sinking``, Passive) is an equilibrium too, so the designed outcome
        is not the only one: with an unconditional subsidy the government may pay for doctors
        that primary care does not receive. A subsidy conditional on primary care being active
        (``conditional_subsidy = 1``) removes the leader's reason to sink alone.
    """

    subsidy: NDArray[np.float64]
    price: NDArray[np.float64]
    sinking: NDArray[np.float64]
    welfare: NDArray[np.float64]
    leader: NDArray[np.float64]
    primary: NDArray[np.float64]
    spending: NDArray[np.float64]
    budget_binding: NDArray[np.bool_]
    participation: NDArray[np.bool_]
    alliance: str
    method: str
    budget: float | None = None
    primary_subsidy: NDArray[np.float64] = field(default_factory=lambda: np.zeros(()))
    intervention: NDArray[np.bool_] = field(default_factory=lambda: np.ones((), bool))
    binding: Any = ()
    leader_regret: NDArray[np.float64] = field(default_factory=lambda: np.zeros(()))
    primary_regret: NDArray[np.float64] = field(default_factory=lambda: np.zeros(()))
    message: str = ""
    passive_sinking: NDArray[np.float64] = field(default_factory=lambda: np.zeros(()))
    passive_welfare: NDArray[np.float64] = field(default_factory=lambda: np.zeros(()))
    passive_equilibrium: NDArray[np.bool_] = field(default_factory=lambda: np.ones((), bool))


def _closed(p: Parameters, alliance: str, budget: float | None) -> tuple[NDArray, NDArray, NDArray]:
    """Interior solution for the linear flow; returns (g, w, valid)."""
    slope = p.common_share * p.visits * p.shift_rate
    c2, lam = p.cost_quadratic, p.funds_cost
    k_l, k_p = leader_loss(p), primary_gain(p)
    # Per moved visit the consortium gains k_P - k_L (retained savings included) and the
    # insurer keeps (1 - psi) sigma_M, public money worth 1 + lambda in welfare.
    insurer = (1 + lam) * (1 - p.retained_share) * savings_per_visit(p)
    jc = (k_p - k_l + insurer) * slope - p.cost_linear + (p.brand_benefit - p.hosting_cost)
    mu = net_loss(p)
    if alliance == "government-led":
        s0 = (gain_per_day(unchecked(p, subsidy=0.0)) - mu * slope - p.cost_linear) / c2
        s_opt = (jc + p.social_benefit + lam * c2 * s0) / (c2 * (1 + 2 * lam))
        g = np.maximum(0.0, c2 * (s_opt - s0))
        if budget is not None:
            g_b = 0.5 * c2 * (-s0 + np.sqrt(np.maximum(s0 * s0 + 4 * budget / c2, 0.0)))
            g = np.where(g * (s0 + g / c2) > budget, g_b, g)
        s = s0 + g / c2
        w = np.broadcast_to(np.asarray(p.price, dtype=float), np.shape(g))
    else:
        eta = p.integration
        m1 = slope * (k_p - k_l) + (p.brand_benefit - p.cost_linear - p.hosting_cost)
        alpha = (1 + eta) / ((2 + eta) * c2)
        s_opt = (jc + p.social_benefit + lam * m1) / (c2 + 2 * lam / alpha)
        g = np.maximum(0.0, s_opt / alpha - m1)
        if budget is not None:
            root = np.sqrt(np.maximum(alpha * alpha * m1 * m1 + 4 * alpha * budget, 0.0))
            g_b = (-alpha * m1 + root) / (2 * alpha)
            g = np.where(g * alpha * (g + m1) > budget, g_b, g)
        s = alpha * (g + m1)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = (
                c2 * s + mu * slope + p.cost_linear - g - p.brand_benefit + eta * p.hosting_cost
            ) / (1 - eta)
    cap = flow_cap(p)
    # The derivation holds on the linear piece below the flow cap with an interior answer;
    # the leader's global response is recomputed to make sure.
    valid = (s > 0) & (s < p.max_sinking) & (cap >= p.max_sinking) & np.isfinite(w)
    w_safe = np.where(np.isfinite(w), w, 0.0)
    s_check = closed_form_sinking(unchecked(p, subsidy=g, price=w_safe))
    valid &= np.isclose(s_check, s, rtol=1e-9, atol=1e-9 * p.max_sinking)
    return np.asarray(g), np.asarray(w_safe), np.asarray(valid)


def _at(p: Parameters, idx: tuple[int, ...]) -> Parameters:
    """The scalar parameter point at ``idx`` of an array-valued ``p``."""
    changes = {
        n: float(np.broadcast_to(getattr(p, n), p.shape)[idx])
        for n in FIELDS
        if np.ndim(getattr(p, n))
    }
    return unchecked(p, **changes)


def optimal_subsidy(
    p: Parameters,
    alliance: str = "government-led",
    budget: float | None = None,
    *,
    method: str = "auto",
    buy_participation: bool = True,
) -> SubsidyDesign:
    r"""Welfare-maximising subsidy per doctor-day, anticipating prices and sinking.

    Parameters
    ----------
    p : Parameters
        ``p.subsidy`` is ignored; for ``"government-led"`` the price is ``p.price``.
    alliance : {"government-led", "primary-led"}
        Who sets the internal price: the regulator (fixed ``p.price``) or primary care.
    budget : float, optional
        Ceiling on the subsidy outlay :math:`g s^*` in 万元 per year, ≥ 0.
    method : {"auto", "closed-form", "numeric"}
        The closed form needs the linear flow, an interior answer and the flow cap beyond
        :math:`s_{max}`; ``"auto"`` uses it where valid and the numeric search otherwise.
        Points where it does not apply are solved one at a time by the exact search.
    buy_participation : bool, default True
        Let the government raise the lump sum :math:`g_P` (above ``p.primary_subsidy``) to
        the least amount that makes primary care willing to be active; with False the
        design keeps ``p.primary_subsidy`` and only outcomes at which primary care is active
        of its own accord are allowed.

    Returns
    -------
    SubsidyDesign
        ``.subsidy``, ``.price``, ``.sinking``, ``.welfare``, ``.participation``,
        ``.binding`` and the certificate ``.leader_regret``, ``.primary_regret``.

    Raises
    ------
    ValueError
        For an unknown alliance or method, a negative budget, or ``method="closed-form"``
        where the closed form does not give an equilibrium.

    Notes
    -----
    With :math:`W(s, g) = J(s) + h s - \lambda(g s + g_P)`, where
    :math:`J = \Pi_L + \Pi_P + (1 + \lambda)\Pi_M` at :math:`g = 0` (the insurer's net
    saving :math:`\Pi_M` is public money, MODEL.md §4), and for the linear flow with
    :math:`J'(s) = J_c - c_2 s`, :math:`J_c = \theta N a\,(k_P - k_L + (1 + \lambda)(1 - \psi)
    \sigma_M) - c_1 + \beta_B - c_P`:

    *government-led*: :math:`s^*(g) = s_0 + g / c_2`, so

    .. math:: s^{opt} = \frac{J_c + h + \lambda c_2 s_0}{c_2 (1 + 2\lambda)},
              \quad g^{opt} = \max(0, c_2 (s^{opt} - s_0));

    *primary-led*: primary care induces :math:`s(g) = \alpha (g + M_1)` with
    :math:`\alpha = \frac{1+\eta}{(2+\eta) c_2}` (pass-through ½ at :math:`\eta = 0`), so

    .. math:: s^{opt} = \frac{J_c + h + \lambda M_1}{c_2 + 2 \lambda / \alpha},
              \quad g^{opt} = \max(0, s^{opt}/\alpha - M_1).

    Here :math:`s_0` is the leader's choice at :math:`g = 0`, :math:`M_1 = \theta N a
    (k_P - k_L) + \beta_B - c_1 - c_P`, and per moved visit the leader loses
    :math:`k_L = m_L - \rho_L - \varphi m_P - \omega \psi \sigma_M` and primary care gains
    :math:`k_P = (1-\varphi) m_P + (1 - \omega)\psi \sigma_M` (fee-for-service:
    :math:`\psi = 0`). A binding budget
    replaces :math:`g^{opt}` by the root of :math:`g\, s(g) = \text{budget}`.

    *Participation* (MODEL.md §5): only equilibrium outcomes count, so primary care must
    prefer Active, :math:`O_P(s, 1) \ge O_P(s, 0)` (else :math:`g_P` buys it, at welfare cost
    :math:`\lambda g_P`), and welfare must not fall below the status quo :math:`W = 0`.
    Elsewhere, and for nonlinear flows, the design is exact by a search over outcomes: the
    leader's response to a gain :math:`b` per doctor-day is where a line of slope :math:`b`
    supports the convex hull of its cost :math:`F(s) = C(s) + \mu V(s)`, so the least subsidy
    that makes ``s`` its choice is the hull's left slope at ``s`` (jumps of the response
    included; ties go to the designer, as in a strong Stackelberg equilibrium). Primary care's
    price choice is the same construction on the leader's contact set. Welfare is maximised
    over these outcomes on every contact piece, each local maximum refined.

    Examples
    --------
    >>> from compensation import Parameters, optimal_subsidy
    >>> d = optimal_subsidy(Parameters())
    >>> round(float(d.subsidy), 4), round(float(d.sinking), 2), d.method
    (0.384, 1250.0, 'closed-form')
    >>> d = optimal_subsidy(Parameters(), alliance="primary-led")
    >>> round(float(d.subsidy), 4), round(float(d.price), 4)
    (0.4902, -0.1071)
    >>> d = optimal_subsidy(Parameters(retained_share=0.76))  # bundled budget
    >>> round(float(d.subsidy), 4), round(float(d.sinking), 2)
    (0.2867, 1189.2)
    """
    check_choice("alliance", alliance, ALLIANCES)
    check_choice("method", method, ("auto", "closed-form", "numeric"))
    if budget is not None:
        budget = float(check_domain("budget", budget, "nonneg", "万元/yr"))
    if method == "closed-form" and not form_of(p).closed_form:
        raise ValueError(f"method='closed-form' needs flow='linear'; got flow={p.flow!r}")
    if alliance == "primary-led" and np.any(np.asarray(p.integration) >= 1):
        # In one legal entity the price is an internal transfer that moves nobody.
        alliance_eff = "government-led"
    else:
        alliance_eff = alliance
    shape = p.shape
    g = np.zeros(shape)
    w = np.broadcast_to(np.asarray(p.price, dtype=float), shape).copy()
    s = np.zeros(shape)
    g_p = np.broadcast_to(np.asarray(p.primary_subsidy, dtype=float), shape).copy()
    act = np.ones(shape, bool)
    binding = np.empty(shape, object)
    for idx in np.ndindex(shape):
        binding[idx] = ()
    valid = np.zeros(shape, bool)
    if method != "numeric" and form_of(p).closed_form:
        g_c, w_c, valid_c = _closed(p, alliance_eff, budget)
        q = unchecked(p, subsidy=g_c, price=w_c)
        s_c = closed_form_sinking(q)
        # The closed form knows nothing of participation or the status quo: keep it only where
        # primary care is willing to be active and welfare is not below doing nothing.
        valid = np.broadcast_to(
            valid_c
            & (participation_margin(q, s_c) >= 0)
            & (payoffs_unchecked(q, s_c, np.asarray(1.0)).welfare >= 0),
            shape,
        )
        g = np.where(valid, g_c, g)
        w = np.where(valid, w_c, w)
        s = np.where(valid, s_c, s)
        if budget is not None:
            hit = np.isclose(g * s, budget, rtol=1e-9, atol=1e-12) & (budget > 0)
            hit = np.broadcast_to(valid & hit, shape)
            for idx in np.ndindex(shape):
                if hit[idx]:
                    binding[idx] = ("budget",)
        if method == "closed-form" and not np.all(valid):
            raise ValueError(
                "method='closed-form' does not apply here: the optimum is not interior "
                "(sinking at 0 or max_sinking, or beyond the flow cap), or primary care would "
                "not be active there; use method='auto'"
            )
    for idx in np.ndindex(shape):
        if valid[idx]:
            continue
        # One exact scalar problem per remaining point; closed-form points cost nothing here.
        o = design_point(_at(p, idx), alliance_eff, budget, buy_participation)
        g[idx], w[idx], s[idx], g_p[idx] = o.subsidy, o.price, o.sinking, o.primary_subsidy
        act[idx] = o.intervention
        binding[idx] = o.binding if o.intervention else ("status quo",)
    used = "closed-form" if valid.all() else "numeric" if not valid.any() else "closed-form+numeric"
    solved = _Solved(g, w, s, g_p, act, binding)
    return _report(p, solved, alliance=alliance, effective=alliance_eff, budget=budget, used=used)


class _Solved(NamedTuple):
    """Per-point solution arrays: subsidy, price, sinking, lump sum, intervention, binding."""

    g: NDArray
    w: NDArray
    s: NDArray
    g_p: NDArray
    act: NDArray
    binding: NDArray


def _report(
    p: Parameters,
    solved: _Solved,
    *,
    alliance: str,
    effective: str,
    budget: float | None,
    used: str,
) -> SubsidyDesign:
    g, w, s, g_p, act, binding = solved
    e = act.astype(float)
    q = unchecked(p, subsidy=g, price=w, primary_subsidy=g_p)
    r = payoffs_unchecked(q, s, e)
    margin = participation_margin(q, s)
    # Certificate: the leader's best response computed afresh, and primary care's gain from
    # the best price (primary-led) or from switching to passive.
    # The linear flow's closed form is its exact global response; a grid for 10⁷ points is not.
    best = closed_form_sinking(q) if form_of(p).closed_form else numeric_sinking(q)
    o_l = objectives_unchecked(q, s, np.asarray(1.0))[0]
    leader_regret = np.where(
        act, np.maximum(objectives_unchecked(q, best, np.asarray(1.0))[0] - o_l, 0), 0
    )
    primary_regret = np.where(act, np.maximum(-margin, 0.0), 0.0)
    if effective == "primary-led":
        for idx in np.ndindex(np.shape(g)):
            if act[idx]:
                primary_regret[idx] = max(primary_regret[idx], price_regret(_at(q, idx), s[idx]))
    spending = g * s * e + g_p * e
    budget_binding = np.array([("budget" in b) for b in binding.ravel()], bool).reshape(g.shape)
    scalar = np.shape(g) == ()
    n_quo = int(np.sum(~act))
    message = (
        "every point is an equilibrium with primary care active"
        if n_quo == 0
        else "no intervention beats the status quo (no sinking, primary care passive, welfare 0)"
        if scalar
        else f"{n_quo} of {act.size} points: no intervention beats the status quo"
    )
    return SubsidyDesign(
        np.asarray(g, float),
        np.asarray(w, float),
        np.asarray(s, float),
        np.asarray(r.welfare),
        np.asarray(r.leader),
        np.asarray(r.primary),
        np.asarray(spending, float),
        budget_binding,
        np.asarray(act & (margin >= -1e-9 * (1 + np.abs(r.primary)))),
        alliance,
        used,
        budget,
        np.asarray(g_p, float),
        np.asarray(act),
        binding.item() if scalar else binding,
        np.asarray(leader_regret, float),
        np.asarray(primary_regret, float),
        message,
        *passive_outcome(q),
    )


# Kept for code that imported it from here.
_primary_price = primary_price
