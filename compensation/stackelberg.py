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

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq, minimize_scalar

from ._validation import check_choice, check_domain
from .games import _scalar
from .parameters import FIELDS, Parameters, _unchecked
from .payoffs import _objectives, _payoffs
from .response import _closed_form, _gain_per_day, _inducing_bounds, _net_loss, _numeric

__all__ = ["SubsidyDesign", "optimal_subsidy"]

ALLIANCES = ("government-led", "primary-led")


@dataclass(frozen=True)
class SubsidyDesign:
    r"""Result of :func:`optimal_subsidy`; money in 万元, sinking in doctor-days per year.

    Attributes
    ----------
    subsidy : ndarray
        Optimal :math:`g` per doctor-day.
    price : ndarray
        Internal price :math:`w` in force (fixed, or chosen by primary care).
    sinking : ndarray
        The leader's response :math:`s^*`.
    welfare, leader, primary : ndarray
        :math:`W`, :math:`\Pi_L`, :math:`\Pi_P` at the solution, with primary care active.
    spending : ndarray
        Government outlay :math:`g s^* + g_P`.
    budget_binding : ndarray of bool
        True where the budget limits the subsidy.
    participation : ndarray of bool
        True where primary care is willing to be active at the solution
        (:math:`O_P(s^*, 1) \ge O_P(s^*, 0)`); the design assumes it.
    alliance, method : str
        Alliance type and ``"closed-form"``, ``"numeric"``, or ``"closed-form+numeric"`` for
        arrays where corner points were solved numerically.
    budget : float or None
        The budget used.
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

    def __repr__(self) -> str:
        def r(v: NDArray[np.float64]) -> object:
            return np.round(v, 6).tolist()

        return (
            f"SubsidyDesign(subsidy={r(self.subsidy)}, price={r(self.price)}, "
            f"sinking={r(self.sinking)}, welfare={r(self.welfare)}, alliance={self.alliance!r}, "
            f"method={self.method!r})"
        )


def _closed(p: Parameters, alliance: str, budget: float | None) -> tuple[NDArray, NDArray, NDArray]:
    """Interior solution for the linear flow; returns (g, w, valid)."""
    slope = p.common_share * p.visits * p.shift_rate
    c2, lam = p.cost_quadratic, p.funds_cost
    k = p.leader_margin - p.slot_value - p.profit_share * p.primary_margin
    jc = (
        -(p.leader_margin - p.slot_value - p.primary_margin) * slope
        - p.cost_linear
        + (p.brand_benefit - p.hosting_cost)
    )
    mu = _net_loss(p)
    if alliance == "government-led":
        s0 = (_gain_per_day(_unchecked(p, subsidy=0.0)) - mu * slope - p.cost_linear) / c2
        s_opt = (jc + p.social_benefit + lam * c2 * s0) / (c2 * (1 + 2 * lam))
        g = np.maximum(0.0, c2 * (s_opt - s0))
        if budget is not None:
            g_b = 0.5 * c2 * (-s0 + np.sqrt(np.maximum(s0 * s0 + 4 * budget / c2, 0.0)))
            g = np.where(g * (s0 + g / c2) > budget, g_b, g)
        s = s0 + g / c2
        w = np.broadcast_to(np.asarray(p.price, dtype=float), np.shape(g))
    else:
        eta = p.integration
        m1 = slope * ((1 - p.profit_share) * p.primary_margin - k) + (
            p.brand_benefit - p.cost_linear - p.hosting_cost
        )
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
    a = np.asarray(p.shift_rate, dtype=float)
    with np.errstate(divide="ignore"):
        cap = np.where(a > 0, p.max_shift / np.where(a > 0, a, 1.0), np.inf)
    # The derivation holds on the linear piece below the flow cap with an interior answer;
    # the leader's global response is recomputed to make sure.
    valid = (s > 0) & (s < p.max_sinking) & (cap >= p.max_sinking) & np.isfinite(w)
    w_safe = np.where(np.isfinite(w), w, 0.0)
    s_check = _closed_form(_unchecked(p, subsidy=g, price=w_safe))
    valid &= np.isclose(s_check, s, rtol=1e-9, atol=1e-9 * p.max_sinking)
    return np.asarray(g), np.asarray(w_safe), np.asarray(valid)


def _at(p: Parameters, idx: tuple[int, ...]) -> Parameters:
    """The scalar parameter point at ``idx`` of an array-valued ``p``."""
    changes = {
        n: float(np.broadcast_to(getattr(p, n), p.shape)[idx])
        for n in FIELDS
        if np.ndim(getattr(p, n))
    }
    return _unchecked(p, **changes)


def _welfare(p: Parameters, g: NDArray, w: NDArray, s: NDArray) -> NDArray:
    return _payoffs(_unchecked(p, subsidy=g, price=w), s, np.asarray(1.0)).welfare


def _price_range(p: Parameters, g: NDArray) -> tuple[NDArray, NDArray]:
    """Prices beyond which the leader's response no longer changes (s* = 0 or s_max)."""
    low_b, high_b = _inducing_bounds(p)
    base = g + p.brand_benefit - p.integration * p.hosting_cost
    span = 1 - p.integration
    return (low_b - base) / span, (high_b - base) / span


def _respond(p: Parameters, g: NDArray, alliance: str, grid: int) -> tuple[NDArray, NDArray]:
    """Price and sinking that follow subsidy ``g`` (any shape), on a coarse price grid."""
    if alliance == "government-led" or p.integration >= 1:
        w = np.broadcast_to(np.asarray(p.price, dtype=float), np.shape(g))
        return w, _numeric(_unchecked(p, subsidy=g), grid)
    lo, hi = _price_range(p, g)
    ws = lo[..., None] + (hi - lo)[..., None] * np.linspace(0.0, 1.0, grid)
    q = _unchecked(p, subsidy=np.asarray(g)[..., None], price=ws)
    s = _numeric(q, grid)
    values = _objectives(q, s, np.asarray(1.0))[1]
    i = values.argmax(axis=-1)[..., None]
    step = (hi - lo) / (grid - 1)
    w0 = np.take_along_axis(ws, i, -1)[..., 0]
    g = np.asarray(g, dtype=float)

    def value(w: NDArray) -> NDArray:
        r = _unchecked(p, subsidy=g, price=w)
        return _objectives(r, _numeric(r, grid), np.asarray(1.0))[1]

    w = _golden_max(value, w0 - step, w0 + step)
    return w, _numeric(_unchecked(p, subsidy=g, price=w), grid)


def _golden_max(f, lo: NDArray, hi: NDArray, iters: int = 48) -> NDArray:  # type: ignore[no-untyped-def]
    """Golden-section maximisation of ``f`` on every bracket ``[lo, hi]`` at once."""
    r = (np.sqrt(5.0) - 1) / 2
    a, b = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iters):
        left = fc >= fd
        a, b = np.where(left, a, c), np.where(left, d, b)
        c, d = np.where(left, b - r * (b - a), d), np.where(left, c, a + r * (b - a))
        fc_new = f(np.where(left, c, d))
        fc, fd = np.where(left, fc_new, fd), np.where(left, fc, fc_new)
    return 0.5 * (a + b)


def _primary_price(p: Parameters, g: float) -> float:
    """Primary care's optimal price given the subsidy ``g`` (scalar ``p``), refined by Brent."""
    if p.integration >= 1:  # one entity: the price is an internal transfer with no effect
        return float(p.price)
    w0, _ = _respond(p, np.asarray(g), "primary-led", 257)
    lo, hi = _price_range(p, np.asarray(g))
    step = float(hi - lo) / 256

    def loss(w: float) -> float:
        q = _unchecked(p, subsidy=g, price=w)
        return -float(_objectives(q, _numeric(q), np.asarray(1.0))[1])

    res = minimize_scalar(
        loss,
        bounds=(float(w0) - step, float(w0) + step),
        method="bounded",
        options={"xatol": 1e-13 * max(1.0, float(hi - lo))},
    )
    return float(res.x) if res.fun < loss(float(w0)) else float(w0)


def _numeric_design(p: Parameters, alliance: str, budget: float | None) -> tuple[float, float]:
    low_b, high_b = _inducing_bounds(p)
    g_hi = float(np.maximum(high_b - _gain_per_day(_unchecked(p, subsidy=0.0)), 0.0))
    if alliance == "primary-led":
        # Primary care can cut its price, so saturating sinking may need a larger subsidy.
        g_hi += float(np.maximum(high_b - low_b, 0.0))
    g_hi = max(g_hi, 1e-9)

    def respond(g: float) -> tuple[float, float]:
        w = _primary_price(p, g) if alliance == "primary-led" else float(p.price)
        return w, float(_numeric(_unchecked(p, subsidy=g, price=w)))

    def loss(g: float) -> float:
        w, s = respond(g)
        if budget is not None and g * s > budget * (1 + 1e-12):
            return np.inf
        return -float(_welfare(p, np.asarray(g), np.asarray(w), np.asarray(s)))

    if budget is not None and g_hi * respond(g_hi)[1] > budget:
        # g s*(g) rises with g, so the affordable subsidies form an interval [0, g_b].
        g_b = brentq(lambda g: g * respond(g)[1] - budget, 0.0, g_hi, xtol=1e-15)
        while g_b > 0 and g_b * respond(g_b)[1] > budget:
            g_b = float(np.nextafter(g_b, 0.0))
        g_hi = g_b
    gs = np.linspace(0.0, g_hi, 129)
    w_c, s_c = _respond(p, gs, alliance, 129)
    vals = -_welfare(p, gs, w_c, s_c)
    i = int(np.argmin(vals))
    a, b = gs[max(i - 1, 0)], gs[min(i + 1, len(gs) - 1)]
    res = minimize_scalar(
        loss, bounds=(a, b), method="bounded", options={"xatol": 1e-12 * max(float(gs[-1]), 1.0)}
    )
    best = loss(float(gs[i]))
    # Flat welfare (e.g. no sinking at any affordable subsidy): keep the smallest subsidy.
    g = float(res.x) if res.fun < best - 1e-12 * max(1.0, abs(best)) else float(gs[i])
    return g, respond(g)[0]


def optimal_subsidy(
    p: Parameters,
    alliance: str = "government-led",
    budget: float | None = None,
    *,
    method: str = "auto",
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
        The numeric search needs scalar parameters.

    Returns
    -------
    SubsidyDesign
        ``.subsidy``, ``.price``, ``.sinking``, ``.welfare`` and more.

    Notes
    -----
    With :math:`W(s, g) = J(s) + h s - \lambda(g s + g_P)`, where
    :math:`J = \Pi_L + \Pi_P` at :math:`g = 0`, and for the linear flow with
    :math:`J'(s) = J_c - c_2 s`:

    *government-led*: :math:`s^*(g) = s_0 + g / c_2`, so

    .. math:: s^{opt} = \frac{J_c + h + \lambda c_2 s_0}{c_2 (1 + 2\lambda)},
              \quad g^{opt} = \max(0, c_2 (s^{opt} - s_0));

    *primary-led*: primary care induces :math:`s(g) = \alpha (g + M_1)` with
    :math:`\alpha = \frac{1+\eta}{(2+\eta) c_2}` (pass-through ½ at :math:`\eta = 0`), so

    .. math:: s^{opt} = \frac{J_c + h + \lambda M_1}{c_2 + 2 \lambda / \alpha},
              \quad g^{opt} = \max(0, s^{opt}/\alpha - M_1).

    Here :math:`s_0` is the leader's choice at :math:`g = 0` and :math:`M_1 = \theta N a
    ((1-\varphi) m_P - (m_L - \rho_L - \varphi m_P)) + \beta_B - c_1 - c_P`. A binding budget
    replaces :math:`g^{opt}` by the root of :math:`g\, s(g) = \text{budget}`.

    Examples
    --------
    >>> from compensation import Parameters, optimal_subsidy
    >>> d = optimal_subsidy(Parameters())
    >>> round(float(d.subsidy), 4), round(float(d.sinking), 2), d.method
    (0.192, 290.0, 'closed-form')
    >>> d = optimal_subsidy(Parameters(), alliance="primary-led")
    >>> round(float(d.subsidy), 4), round(float(d.price), 4)
    (0.1916, 0.0422)
    """
    check_choice("alliance", alliance, ALLIANCES)
    check_choice("method", method, ("auto", "closed-form", "numeric"))
    if budget is not None:
        budget = float(check_domain("budget", budget, "nonneg", "万元/yr"))
    if method == "closed-form" and p.flow != "linear":
        raise ValueError(f"method='closed-form' needs flow='linear'; got flow={p.flow!r}")
    if alliance == "primary-led" and np.any(np.asarray(p.integration) >= 1):
        # In one legal entity the price is an internal transfer that moves nobody.
        alliance_eff = "government-led"
    else:
        alliance_eff = alliance
    if method == "numeric" or p.flow != "linear":
        _scalar(p, "optimal_subsidy(method='numeric')")
        g_f, w_f = _numeric_design(p, alliance_eff, budget)
        g, w, valid, used = np.asarray(g_f), np.asarray(w_f), np.asarray(False), "numeric"
    else:
        g, w, valid = _closed(p, alliance_eff, budget)
        used = "closed-form"
        if not np.all(valid):
            if method == "closed-form":
                raise ValueError(
                    "method='closed-form' does not apply here: the optimum is not interior "
                    "(sinking at 0 or max_sinking, or beyond the flow cap); use method='auto'"
                )
            # Corner solutions: solve those points numerically, one scalar problem each.
            used = "closed-form+numeric" if np.any(valid) else "numeric"
            g, w = np.array(g, dtype=float), np.array(w, dtype=float)
            valid = np.broadcast_to(valid, g.shape)
            for idx in np.ndindex(g.shape):
                if not valid[idx]:
                    g[idx], w[idx] = _numeric_design(_at(p, idx), alliance_eff, budget)
    q = _unchecked(p, subsidy=g, price=w)
    s = np.where(valid, _closed_form(q), _numeric(q)) if p.flow == "linear" else _numeric(q)
    r = _payoffs(q, s, np.asarray(1.0))
    o_act = _objectives(q, s, np.asarray(1.0))[1]
    o_pas = _objectives(q, s, np.asarray(0.0))[1]
    spending = g * s + p.primary_subsidy
    binding = (
        np.zeros(np.shape(g), bool)
        if budget is None
        else np.isclose(g * s, budget, rtol=1e-9, atol=1e-12) & (budget > 0)
    )
    return SubsidyDesign(
        np.asarray(g, float),
        np.asarray(w, float),
        np.asarray(s, float),
        np.asarray(r.welfare),
        np.asarray(r.leader),
        np.asarray(r.primary),
        np.asarray(spending, float),
        np.asarray(binding),
        np.asarray(o_act >= o_pas),
        alliance,
        used,
        budget,
    )
