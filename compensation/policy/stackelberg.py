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
from scipy.optimize import minimize_scalar

from .._results import Result
from .._validation import check_choice, check_domain
from ..model.flow import form_of
from ..model.leader import (
    effort_curvature,
    effort_slope,
    gain_per_day,
    leader_hull,
    lower_hull,
    net_loss,
    price_for_gain,
    primary_slope,
    support_slopes,
)
from ..model.parameters import FIELDS, Parameters, _unchecked
from ..model.payoffs import _objectives, _payoffs
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
    mu = net_loss(p)
    if alliance == "government-led":
        s0 = (gain_per_day(_unchecked(p, subsidy=0.0)) - mu * slope - p.cost_linear) / c2
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
    s_check = closed_form_sinking(_unchecked(p, subsidy=g, price=w_safe))
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


# --- exact numeric design: optimise over implementable outcomes -----------------------------


@dataclass(frozen=True)
class _Outcome:
    subsidy: float
    price: float
    sinking: float
    primary_subsidy: float
    welfare: float
    binding: tuple[str, ...]
    intervention: bool


def _participation_margin(q: Parameters, s: NDArray) -> NDArray:
    """O_P(s, 1) - O_P(s, 0): what primary care gains by being active (its objective)."""
    return np.asarray(_objectives(q, s, np.asarray(1.0))[1] - _objectives(q, s, np.asarray(0.0))[1])


class _Implementation:
    """Subsidy, price and lump sum that make ``s`` the outcome, for contact points ``s``."""

    def __init__(self, p: Parameters, alliance: str, budget: float | None, buy: bool) -> None:
        self.p, self.alliance, self.budget, self.buy = p, alliance, budget, buy
        self.leader = leader_hull(p)
        self.b0 = float(gain_per_day(_unchecked(p, subsidy=0.0)))
        if alliance == "primary-led":
            intervals = [(c.lo, c.hi) for c in self.leader]
            self.pieces = lower_hull(self._h, intervals)
        else:
            self.pieces = self.leader

    def _beta(self, s: NDArray) -> tuple[NDArray, NDArray]:
        p = self.p
        return support_slopes(
            self.leader,
            s,
            lambda x: effort_slope(p, x, "left"),
            lambda x: effort_slope(p, x, "right"),
        )

    def _cheapest_price(self, s: NDArray, g: NDArray | float) -> NDArray:
        """The lowest price at which the leader is willing to sink ``s`` (primary-led)."""
        beta = self._beta(s)[0]
        w = price_for_gain(self.p, np.where(np.isfinite(beta), beta, 0.0), g)
        # At s = 0 the price moves no money; report the dearest price that still gives 0.
        top = price_for_gain(self.p, self._beta(s)[1], g)
        return np.asarray(np.where(np.isfinite(beta), w, np.minimum(top, self.p.price)))

    def _h(self, s: NDArray) -> NDArray:
        """Minus primary care's objective when it induces ``s`` at the cheapest price, g = 0."""
        w = self._cheapest_price(s, 0.0)
        q = _unchecked(self.p, subsidy=0.0, price=w)
        return -np.asarray(_objectives(q, s, np.asarray(1.0))[1])

    def _dh(self, s: NDArray) -> NDArray:
        w = self._cheapest_price(s, 0.0)
        q = _unchecked(self.p, subsidy=0.0, price=w)
        # d/ds of O_P(s, w(s)) = dO_P/ds - s (1 - eta) w'(s), and (1 - eta) w' = F''(s).
        return -(primary_slope(q, s) - s * effort_curvature(self.p, s))

    def __call__(self, s: NDArray) -> tuple[NDArray, NDArray, NDArray, NDArray, NDArray]:
        """(g, w, g_P, feasible margin, welfare) for outcomes ``s`` on the design's pieces."""
        p = self.p
        if self.alliance == "primary-led":
            lo, hi = support_slopes(self.pieces, s, self._dh, self._dh)
            scale = 1 + p.integration
            g = np.maximum(lo, 0.0) / scale
            margin = hi / scale
            w = self._cheapest_price(s, g)
        else:
            lo, hi = self._beta(s)
            g = np.maximum(lo - self.b0, 0.0)
            margin = hi - self.b0
            w = np.broadcast_to(np.asarray(p.price, dtype=float), np.shape(s))
        g = np.where(np.isfinite(g), g, 0.0)
        q = _unchecked(p, subsidy=g, price=w)
        short = -_participation_margin(q, s)
        if self.buy:
            g_p = p.primary_subsidy + np.maximum(short, 0.0)
        else:
            g_p = np.broadcast_to(np.asarray(p.primary_subsidy, dtype=float), np.shape(s))
            margin = np.minimum(margin, -short)
        if self.budget is not None:
            margin = np.minimum(margin, self.budget - g * s)
        welfare = _payoffs(_unchecked(q, primary_subsidy=g_p), s, np.asarray(1.0)).welfare
        return g, w, g_p, margin, welfare


def _refine(imp: _Implementation, lo: float, hi: float) -> list[float]:
    """Candidate optima of welfare on one contact piece: every local maximum, refined."""
    if hi <= lo:
        return [lo]
    s = np.linspace(lo, hi, 513)
    *_, margin, welfare = imp(s)
    ok = margin >= -1e-12 * (1 + np.abs(margin))
    score = np.where(ok, welfare, -np.inf)
    out = [float(s[0]), float(s[-1])]
    # Where feasibility flips between grid points, bisect to the feasible edge.
    flips = np.nonzero(ok[:-1] != ok[1:])[0]
    for i in map(int, flips):
        a, b = (s[i], s[i + 1]) if ok[i] else (s[i + 1], s[i])
        for _ in range(80):
            mid = 0.5 * (a + b)
            if imp(np.array([mid]))[3][0] >= 0:
                a = mid
            else:
                b = mid
        out.append(float(a))
    n = len(s)
    for i in range(n):
        if not ok[i]:
            continue
        left = score[i - 1] if i > 0 else -np.inf
        right = score[i + 1] if i + 1 < n else -np.inf
        if score[i] >= left and score[i] >= right:
            a, b = s[max(i - 1, 0)], s[min(i + 1, n - 1)]

            def loss(x: float) -> float:
                *_, m, w = imp(np.array([x]))
                return -float(w[0]) if m[0] >= 0 else 1e300

            res = minimize_scalar(
                loss, bounds=(a, b), method="bounded", options={"xatol": 1e-12 * max(1.0, hi)}
            )
            out.extend([float(s[i]), float(res.x)])
    return out


def _design_point(p: Parameters, alliance: str, budget: float | None, buy: bool) -> _Outcome:
    """The welfare-maximising equilibrium outcome for one parameter point."""
    imp = _Implementation(p, alliance, budget, buy)
    cands = np.unique(np.concatenate([_refine(imp, c.lo, c.hi) for c in imp.pieces]))
    # Keep only points inside a piece (refinement stays inside; this guards rounding).
    inside = np.zeros(cands.shape, bool)
    for c in imp.pieces:
        inside |= (cands >= c.lo) & (cands <= c.hi)
    cands = cands[inside]
    g, w, g_p, margin, welfare = imp(cands)
    ok = margin >= -1e-12 * (1 + np.abs(margin))
    if not ok.any() or np.max(welfare[ok]) < 0:
        return _Outcome(0.0, float(p.price), 0.0, float(p.primary_subsidy), 0.0, (), False)
    score = np.where(ok, welfare, -np.inf)
    best = float(score.max())
    # Among (numerically) equal optima prefer the smallest outlay.
    near = np.nonzero(score >= best - 1e-12 * max(1.0, abs(best)))[0]
    k = int(near[np.argmin((g * cands + g_p)[near])])
    binding = []
    if budget is not None and np.isclose(g[k] * cands[k], budget, rtol=1e-9, atol=1e-12):
        binding.append("budget")
    if g[k] <= 0 and alliance == "government-led" and cands[k] > 0:
        binding.append("subsidy >= 0")
    if g_p[k] > p.primary_subsidy:
        binding.append("participation (paid by primary_subsidy)")
    elif not buy and abs(margin[k]) <= 1e-9 and budget is None:
        binding.append("participation")
    return _Outcome(
        float(g[k]),
        float(w[k]),
        float(cands[k]),
        float(g_p[k]),
        float(welfare[k]),
        tuple(binding),
        True,
    )


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
    (0.192, 290.0, 'closed-form')
    >>> d = optimal_subsidy(Parameters(), alliance="primary-led")
    >>> round(float(d.subsidy), 4), round(float(d.price), 4)
    (0.1916, 0.0422)
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
        q = _unchecked(p, subsidy=g_c, price=w_c)
        s_c = closed_form_sinking(q)
        # The closed form knows nothing of participation or the status quo: keep it only where
        # primary care is willing to be active and welfare is not below doing nothing.
        valid = np.broadcast_to(
            valid_c
            & (_participation_margin(q, s_c) >= 0)
            & (_payoffs(q, s_c, np.asarray(1.0)).welfare >= 0),
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
        o = _design_point(_at(p, idx), alliance_eff, budget, buy_participation)
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
    q = _unchecked(p, subsidy=g, price=w, primary_subsidy=g_p)
    r = _payoffs(q, s, e)
    margin = _participation_margin(q, s)
    # Certificate: the leader's best response computed afresh, and primary care's gain from
    # the best price (primary-led) or from switching to passive.
    # The linear flow's closed form is its exact global response; a grid for 10⁷ points is not.
    best = closed_form_sinking(q) if form_of(p).closed_form else numeric_sinking(q)
    o_l = _objectives(q, s, np.asarray(1.0))[0]
    leader_regret = np.where(act, np.maximum(_objectives(q, best, np.asarray(1.0))[0] - o_l, 0), 0)
    primary_regret = np.where(act, np.maximum(-margin, 0.0), 0.0)
    if effective == "primary-led":
        for idx in np.ndindex(np.shape(g)):
            if act[idx]:
                primary_regret[idx] = max(primary_regret[idx], _price_regret(_at(q, idx), s[idx]))
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
    )


def _primary_response(p: Parameters, g: float) -> tuple[float, float, float]:
    """Primary care's best price given subsidy ``g`` (scalar ``p``): (price, sinking, value).

    Primary care in effect chooses the leader's sinking ``s`` on the leader's contact set and
    pays the least price that induces it; its value is searched on a grid of every contact
    piece and refined around each local maximum.
    """
    imp = _Implementation(_unchecked(p, subsidy=0.0), "primary-led", None, True)

    def value(x: NDArray) -> NDArray:
        w = imp._cheapest_price(x, g)
        q = _unchecked(p, subsidy=g, price=w)
        return np.asarray(_objectives(q, x, np.asarray(1.0))[1])

    best_s, best_v = 0.0, -np.inf
    for c in imp.leader:
        grid = np.linspace(c.lo, c.hi, 1025) if c.hi > c.lo else np.array([c.lo])
        v = value(grid)
        cands = [(float(grid[i]), float(v[i])) for i in (0, len(grid) - 1, int(v.argmax()))]
        i = int(v.argmax())
        if 0 < i < len(grid) - 1:
            res = minimize_scalar(
                lambda x: -float(value(np.array([x]))[0]),
                bounds=(grid[i - 1], grid[i + 1]),
                method="bounded",
                options={"xatol": 1e-12 * max(1.0, c.hi)},
            )
            cands.append((float(res.x), -float(res.fun)))
        for x, val in cands:
            if val > best_v:
                best_s, best_v = x, val
    w = float(imp._cheapest_price(np.array([best_s]), g)[0])
    return w, best_s, best_v


def _primary_price(p: Parameters, g: float) -> float:
    """Primary care's best internal price given the subsidy ``g`` (scalar ``p``)."""
    if p.integration >= 1:  # one entity: the price is an internal transfer with no effect
        return float(p.price)
    return _primary_response(p, g)[0]


def _price_regret(q: Parameters, s: float) -> float:
    """Primary care's gain from its best price, given the subsidy in ``q`` (scalar ``q``)."""
    best = _primary_response(q, float(q.subsidy))[2]
    now = float(_objectives(q, np.asarray(s), np.asarray(1.0))[1])
    return max(best - now, 0.0)
