r"""Several consortia competing for enrollees in one city (MODEL.md §9, co-opetition).

Consortium :math:`k`'s enrollee share follows a logit in its quality, which sinking raises:

.. math::

    n_k = N_{city} \frac{e^{U_k}}{\sum_j e^{U_j}}, \qquad
    U_k = \beta_Q Q_k(s_k) - \beta_p p_k, \qquad Q_k(s) = 1 - e^{-s / s_{h,k}},

and its bundled budget follows its enrollees at a margin :math:`m_E` per enrollee. Each
leader maximises :math:`\Pi_L^{(k)}(s_k, 1) + m_E n_k(s)` over :math:`s_k \in [0, s_{max,k}]`
given the others; the Nash equilibrium is found by damped best-response iteration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_domain
from ..model.flow import _shift_slope
from ..model.parameters import Parameters, require_scalar
from ..model.payoffs import _payoffs

__all__ = ["CoopetitionResult", "coopetition_equilibrium"]

GRID = 2049


@dataclass(frozen=True)
class CoopetitionResult:
    r"""Nash equilibrium of the co-opetition game, with its convergence report.

    Attributes
    ----------
    sinking : ndarray, shape (K,)
        Equilibrium sinking of each leader (doctor-days per year).
    enrollees : ndarray, shape (K,)
        Enrollees of each consortium.
    payoffs : ndarray, shape (K,)
        Each leader's objective :math:`\Pi_L + m_E n_k` (万元 per year).
    converged : bool
        Whether the largest change of an iteration fell below ``tol``.
    iterations : int
        Best-response rounds used.
    max_change : float
        Largest change of the last round (doctor-days).
    foc_residual : ndarray, shape (K,)
        First-order-condition check: the marginal objective at interior solutions, and the
        violation of the sign condition at a bound (0 when the bound is optimal).
    history : ndarray, shape (iterations + 1, K)
        Sinking profile after each round.
    """

    sinking: NDArray[np.float64]
    enrollees: NDArray[np.float64]
    payoffs: NDArray[np.float64]
    converged: bool
    iterations: int
    max_change: float
    foc_residual: NDArray[np.float64]
    history: NDArray[np.float64] = field(repr=False)


def _quality(p: Parameters, s: NDArray) -> NDArray:
    return -np.expm1(-s / p.half_sinking)


def coopetition_equilibrium(
    consortia: Sequence[Parameters],
    *,
    city_enrollees: float,
    enrollee_margin: float,
    quality_weight: float,
    price_weight: float = 0.0,
    premiums: ArrayLike | None = None,
    damping: float = 0.5,
    tol: float = 1e-9,
    max_iter: int = 2000,
    start: ArrayLike | None = None,
) -> CoopetitionResult:
    r"""Nash equilibrium in sinking levels among consortia competing for enrollees.

    Parameters
    ----------
    consortia : sequence of Parameters
        One scalar parameter set per consortium (its leader's payoff with P active).
    city_enrollees : float
        :math:`N_{city}`, insured residents choosing a consortium, > 0.
    enrollee_margin : float
        :math:`m_E`, budget margin per enrollee (万元 per enrollee per year), ≥ 0.
    quality_weight : float
        :math:`\beta_Q`, weight of quality :math:`Q_k` in residents' choice, ≥ 0.
    price_weight : float, default 0
        :math:`\beta_p`, weight of the out-of-pocket premium :math:`p_k` (per 万元), ≥ 0.
    premiums : array_like, optional
        :math:`p_k` for each consortium (万元); zeros by default.
    damping : float, default 0.5
        Weight :math:`\omega` of the new best response: :math:`s \leftarrow (1-\omega) s +
        \omega\, BR(s)`, in (0, 1].
    tol : float, default 1e-9
        Convergence threshold on the largest change, relative to :math:`s_{max}`.
    max_iter : int, default 2000
        Maximum rounds.
    start : array_like, optional
        Initial sinking profile; zeros by default.

    Returns
    -------
    CoopetitionResult

    Notes
    -----
    Each best response maximises a one-dimensional objective on a 2049-point grid and bisects
    its derivative

    .. math::

        \frac{\partial}{\partial s_k} = \frac{\partial \Pi_L^{(k)}}{\partial s_k}
        + m_E N_{city} \beta_Q Q_k'(s_k)\, \hat n_k (1 - \hat n_k)

    in the best cell (:math:`\hat n_k` the share). The equilibrium is then checked by these
    first-order conditions (``foc_residual``).

    Examples
    --------
    >>> from compensation import Parameters, coopetition_equilibrium
    >>> groups = [Parameters(subsidy=0.1), Parameters(subsidy=0.1, cost_linear=0.15),
    ...           Parameters(subsidy=0.1, cost_linear=0.2)]
    >>> eq = coopetition_equilibrium(groups, city_enrollees=1e6, enrollee_margin=0.002,
    ...                              quality_weight=0.8)
    >>> eq.converged, eq.sinking.round(1).tolist()
    (True, [610.9, 569.5, 507.7])
    >>> bool(abs(eq.foc_residual).max() < 1e-6)
    True
    """
    ps = list(consortia)
    if len(ps) < 2:
        raise ValueError(f"consortia must hold at least 2 parameter sets; got {len(ps)}")
    for p in ps:
        require_scalar(p, "coopetition_equilibrium")
    n_city = float(check_domain("city_enrollees", city_enrollees, "positive", "enrollees"))
    m_e = float(check_domain("enrollee_margin", enrollee_margin, "nonneg", "万元/enrollee"))
    b_q = float(check_domain("quality_weight", quality_weight, "nonneg"))
    b_p = float(check_domain("price_weight", price_weight, "nonneg", "1/万元"))
    omega = float(check_domain("damping", damping, "share"))
    if omega == 0:
        raise ValueError("damping must be in (0, 1]; got 0.0")
    k = len(ps)
    prem = np.zeros(k) if premiums is None else check_domain("premiums", premiums, "nonneg", "万元")
    if prem.shape != (k,):
        raise ValueError(f"premiums must have one entry per consortium ({k}); got {prem.shape}")
    smax = np.array([p.max_sinking for p in ps])
    s = np.zeros(k) if start is None else np.clip(check_domain("start", start, "nonneg"), 0, smax)
    if s.shape != (k,):
        raise ValueError(f"start must have one entry per consortium ({k}); got {s.shape}")

    def utilities(s: NDArray) -> NDArray:
        return np.array([b_q * float(_quality(p, np.asarray(x))) for p, x in zip(ps, s)]) - (
            b_p * prem
        )

    def objective(i: int, si: NDArray, others: float) -> NDArray:
        # others: exp-utility sum of the rivals; si may be an array of candidate levels.
        p = ps[i]
        ui = b_q * _quality(p, si) - b_p * prem[i]
        share = np.exp(ui) / (np.exp(ui) + others)
        return _payoffs(p, si, np.asarray(1.0)).leader + m_e * n_city * share

    def slope(i: int, si: NDArray, others: float) -> NDArray:
        p = ps[i]
        ui = b_q * _quality(p, si) - b_p * prem[i]
        share = np.exp(ui) / (np.exp(ui) + others)
        loss = p.leader_margin - p.slot_value - p.profit_share * p.primary_margin
        moved = p.common_share * p.visits * _shift_slope(p, si)
        d_leader = (
            -loss * moved
            - p.cost_linear
            - p.cost_quadratic * si
            + p.price
            + p.subsidy
            + p.brand_benefit
        )
        d_quality = np.exp(-si / p.half_sinking) / p.half_sinking
        return d_leader + m_e * n_city * b_q * d_quality * share * (1 - share)

    def rivals(i: int, s: NDArray) -> float:
        u = utilities(s)
        shift = u.max()
        return float(np.exp(u - shift)[np.arange(k) != i].sum() * np.exp(shift))

    def best(i: int, s: NDArray) -> float:
        others = rivals(i, s)
        grid = np.linspace(0.0, smax[i], GRID)
        vals = objective(i, grid, others)
        j = int(np.argmax(vals))
        lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, GRID - 1)]
        if slope(i, np.asarray(lo), others) > 0 > slope(i, np.asarray(hi), others):
            for _ in range(64):
                mid = 0.5 * (lo + hi)
                lo, hi = (mid, hi) if slope(i, np.asarray(mid), others) > 0 else (lo, mid)
            cand = 0.5 * (lo + hi)
            if objective(i, np.asarray(cand), others) >= vals[j]:
                return float(cand)
        return float(grid[j])

    history = [s.copy()]
    change = np.inf
    it = 0
    while it < max_iter and change > tol * smax.max():
        target = np.array([best(i, s) for i in range(k)])  # simultaneous (Jacobi) update
        new = (1 - omega) * s + omega * target
        change = float(np.abs(new - s).max())
        s = new
        history.append(s.copy())
        it += 1
    u = utilities(s)
    shares = np.exp(u - u.max()) / np.exp(u - u.max()).sum()
    pay = np.array([float(objective(i, np.asarray(s[i]), rivals(i, s))) for i in range(k)])
    resid = np.empty(k)
    for i in range(k):
        d = float(slope(i, np.asarray(s[i]), rivals(i, s)))
        if s[i] <= 0:
            resid[i] = max(d, 0.0)
        elif s[i] >= smax[i]:
            resid[i] = min(d, 0.0)
        else:
            resid[i] = d
    return CoopetitionResult(
        s,
        n_city * shares,
        pay,
        bool(change <= tol * smax.max()),
        it,
        change,
        resid,
        np.array(history),
    )
