r"""Patient flow from the leading hospital to primary care (MODEL.md §3).

All functions broadcast ``s`` against every array-valued field of :class:`Parameters`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_domain
from .parameters import Parameters

__all__ = ["logit_intercept_for", "price_gap", "shift_share", "shifted_visits"]


def _logistic(u: NDArray[np.float64]) -> NDArray[np.float64]:
    # 0.5 (1 + tanh(u/2)) never overflows, unlike 1 / (1 + exp(-u)) for very negative u.
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def price_gap(p: Parameters) -> NDArray[np.float64]:
    r"""Out-of-pocket price gap between a direct visit to the leader and a primary visit.

    Parameters
    ----------
    p : Parameters
        Uses ``leader_visit_price``, ``primary_visit_price``, the two reimbursement rates,
        ``direct_surcharge`` and ``referral_discount``.

    Returns
    -------
    ndarray
        :math:`G` in 万元 per visit.

    Notes
    -----
    MODEL.md §3:

    .. math:: G = p_L (1 - r_L)(1 + \sigma) - p_P (1 - r_P)(1 - \delta)

    Examples
    --------
    >>> from compensation import Parameters, price_gap
    >>> round(float(price_gap(Parameters())), 6)
    0.012
    """
    return np.asarray(
        p.leader_visit_price * (1 - p.leader_reimbursement) * (1 + p.direct_surcharge)
        - p.primary_visit_price * (1 - p.primary_reimbursement) * (1 - p.referral_discount)
    )


def logit_intercept_for(p: Parameters, baseline_share: ArrayLike) -> NDArray[np.float64]:
    r"""Logit intercept :math:`\alpha_0` that reproduces an observed primary-care share.

    Parameters
    ----------
    p : Parameters
        Supplies :math:`\alpha_p` and the price gap :math:`G`.
    baseline_share : array_like
        Observed share :math:`q(0)` of common visits made at primary level, in (0, 1).

    Returns
    -------
    ndarray
        :math:`\alpha_0 = \operatorname{logit} q(0) - \alpha_p G`.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import Parameters, logit_intercept_for, price_gap
    >>> p = Parameters(flow="logit")
    >>> a0 = float(logit_intercept_for(p, 0.35))
    >>> q0 = 1 / (1 + np.exp(-(a0 + p.price_sensitivity * float(price_gap(p)))))
    >>> round(float(q0), 12)
    0.35
    """
    q0 = check_domain("baseline_share", baseline_share, "share")
    if np.any((q0 <= 0) | (q0 >= 1)):
        raise ValueError(f"baseline_share must be in (0, 1), open; got {baseline_share!r}")
    return np.log(q0 / (1 - q0)) - p.price_sensitivity * price_gap(p)


def shift_share(p: Parameters, s: ArrayLike) -> NDArray[np.float64]:
    r"""Share :math:`\Delta q(s)` of the :math:`\theta N` common visits moved from L to P.

    Parameters
    ----------
    p : Parameters
        ``p.flow`` selects the form.
    s : array_like
        Sinking in doctor-days per year, ≥ 0.

    Returns
    -------
    ndarray
        :math:`\Delta q(s)`, dimensionless; negative only for a logit flow with
        :math:`\alpha_s < 0` (patients migrating up, the siphon effect).

    Notes
    -----
    MODEL.md §3, with :math:`\Lambda(u) = 1/(1+e^{-u})` and :math:`\kappa(s) = 1 - e^{-s/s_h}`:

    .. math::

        \text{linear: } \Delta q = \min(a s, \Delta q_{max}), \qquad
        \text{saturating: } \Delta q = \Delta q_{max}(1 - e^{-s/s_h}),

        \text{logit: } \Delta q = \Lambda(\alpha_0 + \alpha_s \kappa(s) + \alpha_p G)
        - \Lambda(\alpha_0 + \alpha_p G).

    Examples
    --------
    >>> from compensation import Parameters, shift_share
    >>> shift_share(Parameters(), [0, 1000, 5000]).tolist()
    [0.0, 0.2, 0.5]
    """
    s = check_domain("s", s, "nonneg", "dd/yr")
    return _shift(p, s)


def _shift(p: Parameters, s: NDArray[np.float64]) -> NDArray[np.float64]:
    if p.flow == "linear":
        return np.minimum(p.shift_rate * s, p.max_shift)
    kappa = -np.expm1(-s / p.half_sinking)
    if p.flow == "saturating":
        return p.max_shift * kappa
    base = p.logit_intercept + p.price_sensitivity * price_gap(p)
    return _logistic(base + p.quality_sensitivity * kappa) - _logistic(base)


def _shift_slope(p: Parameters, s: NDArray[np.float64]) -> NDArray[np.float64]:
    """D Δq / ds; for the linear flow the right derivative (0 from the cap on)."""
    if p.flow == "linear":
        return np.where(p.shift_rate * s < p.max_shift, p.shift_rate, 0.0)
    decay = np.exp(-s / p.half_sinking) / p.half_sinking
    if p.flow == "saturating":
        return p.max_shift * decay
    u = (
        p.logit_intercept
        + p.price_sensitivity * price_gap(p)
        - p.quality_sensitivity * np.expm1(-s / p.half_sinking)
    )
    lam = _logistic(u)
    return lam * (1 - lam) * p.quality_sensitivity * decay


def _shift_slope_left(p: Parameters, s: NDArray[np.float64]) -> NDArray[np.float64]:
    """Left derivative of Δq; differs from the right one only at the linear flow's cap."""
    if p.flow == "linear":
        return np.where(p.shift_rate * s <= p.max_shift, p.shift_rate, 0.0)
    return _shift_slope(p, s)


def _shift_curvature(p: Parameters, s: NDArray[np.float64]) -> NDArray[np.float64]:
    """d² Δq / ds² (0 for the linear flow away from its cap)."""
    if p.flow == "linear":
        return np.zeros_like(np.asarray(s, dtype=float))
    decay = np.exp(-s / p.half_sinking) / p.half_sinking
    if p.flow == "saturating":
        return -p.max_shift * decay / p.half_sinking
    u = (
        p.logit_intercept
        + p.price_sensitivity * price_gap(p)
        - p.quality_sensitivity * np.expm1(-s / p.half_sinking)
    )
    lam = _logistic(u)
    d1 = lam * (1 - lam)
    du = p.quality_sensitivity * decay
    return d1 * (1 - 2 * lam) * du * du - d1 * du / p.half_sinking


def _max_slope(p: Parameters) -> NDArray[np.float64]:
    """Upper bound of |d Δq / ds| over s ≥ 0."""
    if p.flow == "linear":
        return np.asarray(p.shift_rate, dtype=float)
    if p.flow == "saturating":
        return np.asarray(p.max_shift / p.half_sinking)
    return np.asarray(0.25 * np.abs(p.quality_sensitivity) / p.half_sinking)


def shifted_visits(p: Parameters, s: ArrayLike) -> NDArray[np.float64]:
    r"""Visits moved from L to P per year, :math:`V(s) = \theta N \Delta q(s)`, with P active.

    Examples
    --------
    >>> from compensation import Parameters, shifted_visits
    >>> float(shifted_visits(Parameters(), 300))
    8400.0
    """
    s = check_domain("s", s, "nonneg", "dd/yr")
    return p.common_share * p.visits * _shift(p, s)
