r"""Fit model parameters to observed moments by weighted least squares (MODEL.md §8).

The observables in the sources (SEEDS.md, paper 003) are yearly down-referral counts and their
growth; ready-made moment functions compute them from :class:`Parameters`, taking
``sinking_level`` as the observed doctor-days on site.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import least_squares

from .._optional import require
from .._validation import suggest
from ..exceptions import NotIdentifiedWarning, PoorFitWarning
from ..model.flow import _shift, price_gap
from ..model.parameters import FIELDS, Parameters

__all__ = [
    "CalibrationResult",
    "calibrate",
    "down_referrals",
    "leader_volume_growth",
    "primary_share",
    "referral_growth",
]

Moment = Callable[[Parameters], Any]


def down_referrals(p: Parameters) -> float:
    r"""Visits moved from the leader to primary care per year at ``p.sinking_level``.

    .. math:: V(\bar s) = \theta N \Delta q(\bar s)

    Examples
    --------
    >>> from compensation import Parameters, down_referrals
    >>> down_referrals(Parameters())
    8400.0
    """
    return float(p.common_share * p.visits * _shift(p, np.asarray(p.sinking_level)))


def referral_growth(previous_sinking: float) -> Moment:
    r"""Moment: growth of down-referrals since sinking was ``previous_sinking``.

    The growth when sinking rose from ``previous_sinking`` to ``p.sinking_level``:
    :math:`V(\bar s) / V(s_{prev}) - 1`.

    Examples
    --------
    >>> from compensation import Parameters, referral_growth
    >>> round(referral_growth(250.0)(Parameters(flow="saturating")), 4)
    0.118
    """
    prev = float(previous_sinking)
    if not np.isfinite(prev) or prev <= 0:
        raise ValueError(f"previous_sinking must be finite and > 0 (dd/yr); got {prev!r}")

    def growth(p: Parameters) -> float:
        now = _shift(p, np.asarray(p.sinking_level))
        before = _shift(p, np.asarray(prev))
        return float(now / before - 1.0)

    growth.__name__ = f"referral_growth_from_{prev:g}"
    return growth


def leader_volume_growth(
    previous_sinking: float,
    leader_visits: float,
    *,
    refill: float | None = None,
    trend: float = 0.0,
) -> Moment:
    r"""Moment: growth of the leader's in-scope volume since sinking was ``previous_sinking``.

    Of every visit moved down, a crowded leader refills the freed slot with another patient
    (a complex case) at rate :math:`r`, so its volume is :math:`N_L - (1 - r) V(s)`:

    .. math:: \frac{N_L - (1 - r) V(\bar s)}{N_L - (1 - r) V(s_{prev})} (1 + g_T) - 1.

    Parameters
    ----------
    previous_sinking : float
        Last year's sinking (dd/yr), > 0.
    leader_visits : float
        :math:`N_L`, the leader's in-scope visits without sinking (visits/yr), > 0.
    refill : float, optional
        :math:`r \in [0, 1]`; by default :math:`\min(\rho_L / m_L, 1)`, reading MODEL.md's
        slot value as the refilled share of the margin (0 idle, 1 crowded).
    trend : float, default 0
        :math:`g_T`, growth from outside the model (population, reputation).

    Notes
    -----
    With :math:`r \le 1` sinking alone can only lower the leader's volume; Luzhou's leader grew
    7.16% while referring patients down, so a trend (or a refill of complex cases beyond the
    freed slots) must carry that growth: the moment says how much.

    Examples
    --------
    >>> from compensation import Parameters, leader_volume_growth
    >>> m = leader_volume_growth(250.0, leader_visits=100_000, trend=0.05)
    >>> round(m(Parameters()), 4)
    0.0408
    """
    prev = float(previous_sinking)
    base = float(leader_visits)
    if not np.isfinite(prev) or prev <= 0:
        raise ValueError(f"previous_sinking must be finite and > 0 (dd/yr); got {prev!r}")
    if not np.isfinite(base) or base <= 0:
        raise ValueError(f"leader_visits must be finite and > 0 (visits/yr); got {base!r}")
    if refill is not None and not 0 <= refill <= 1:
        raise ValueError(f"refill must be in [0, 1]; got {refill!r}")
    if not np.isfinite(trend) or trend <= -1:
        raise ValueError(f"trend must be finite and > -1; got {trend!r}")

    def growth(p: Parameters) -> float:
        r = refill
        if r is None:
            r = min(p.slot_value / p.leader_margin, 1.0) if p.leader_margin > 0 else 1.0
        moved = p.common_share * p.visits
        now = base - (1 - r) * moved * float(_shift(p, np.asarray(p.sinking_level)))
        before = base - (1 - r) * moved * float(_shift(p, np.asarray(prev)))
        if before <= 0 or now <= 0:
            raise ValueError("leader_visits is smaller than the visits moved down")
        return float(now / before * (1 + trend) - 1)

    growth.__name__ = f"leader_volume_growth_from_{prev:g}"
    return growth


def primary_share(p: Parameters) -> float:
    r"""Share of common visits made at primary level at ``p.sinking_level`` (logit flow).

    .. math:: q(\bar s) = \Lambda(\alpha_0 + \alpha_s \kappa(\bar s) + \alpha_p G)

    Examples
    --------
    >>> from compensation import Parameters, primary_share
    >>> round(primary_share(Parameters(flow="logit")), 4)
    0.6045
    """
    if p.flow != "logit":
        raise ValueError(f"primary_share needs flow='logit'; got flow={p.flow!r}")
    kappa = -np.expm1(-p.sinking_level / p.half_sinking)
    u = p.logit_intercept + p.quality_sensitivity * kappa + p.price_sensitivity * price_gap(p)
    return float(0.5 * (1 + np.tanh(0.5 * u)))


@dataclass(frozen=True)
class CalibrationResult:
    """Result of :func:`calibrate`.

    Attributes
    ----------
    estimates, standard_errors : dict of str to float
        Fitted values and standard errors from the Jacobian (NaN where not available:
        exactly identified without known measurement errors, or not identified).
    parameters : Parameters
        The base parameters with the estimates filled in.
    residuals : dict of str to float
        Model minus data for each moment (unweighted).
    success : bool
        True when the optimiser converged *and* every moment is matched within
        ``residual_tolerance``: a converged fit that misses the data is not a success.
    message : str
        Leads with the verdict on a poor fit, then the optimiser's message, estimates at a
        bound, and identification notes.
    cost : float
        Half the sum of squared weighted residuals.
    identified : dict of str to bool
        False for parameters in the null space of the Jacobian.
    covariance : ndarray
        Covariance matrix of the estimates (order of ``estimates``).
    at_bounds : tuple of str
        Estimates that ended on a bound of ``free``. With a good fit the truth may lie on
        the bound; with a poor one the bound binds and the best fit lies outside it.
    converged : bool
        Whether the optimiser itself reported convergence.
    """

    estimates: dict[str, float]
    standard_errors: dict[str, float]
    parameters: Parameters
    residuals: dict[str, float]
    success: bool
    message: str
    cost: float
    identified: dict[str, bool]
    covariance: NDArray[np.float64] = field(repr=False)
    at_bounds: tuple[str, ...] = ()
    converged: bool = True


def calibrate(
    p: Parameters,
    moments: Mapping[str, Moment],
    data: Mapping[str, float],
    free: Mapping[str, tuple[float, float]],
    weights: Mapping[str, float] | None = None,
    *,
    known_errors: bool = False,
    start: Mapping[str, float] | None = None,
    progress: bool = False,
    residual_tolerance: float | None = 0.05,
) -> CalibrationResult:
    r"""Fit the ``free`` parameters so that the model's moments match the data.

    Parameters
    ----------
    p : Parameters
        Base (scalar) parameters; the free ones are varied, the rest stay fixed.
    moments : mapping of str to callable
        Moment name → function of :class:`Parameters` returning a number, e.g.
        :func:`down_referrals`.
    data : mapping of str to float
        Observed value of each moment (same names).
    free : mapping of str to (float, float)
        Parameters to fit with their bounds.
    weights : mapping of str to float, optional
        Multiplier of each residual; default ``1 / |data|`` (relative errors). With
        ``known_errors=True`` pass ``1 / sigma`` (measurement standard deviations).
    known_errors : bool, default False
        If True the covariance is :math:`(J^\top J)^{-1}`; otherwise it is scaled by the
        residual variance :math:`\hat\sigma^2 = 2\,\text{cost} / (K - P)`, which needs more
        moments :math:`K` than parameters :math:`P`.
    start : mapping of str to float, optional
        Starting values (default: the values in ``p``, clipped into the bounds).
    progress : bool, default False
        Show a progress bar of model evaluations (needs tqdm).
    residual_tolerance : float or None, default 0.05
        Largest acceptable relative miss :math:`|m_k - d_k| / |d_k|` of any moment (the
        absolute miss for a moment observed as 0). A larger miss makes ``success`` False and
        warns; None turns the check off (say, for noisy data with ``known_errors=True``).

    Returns
    -------
    CalibrationResult

    Warns
    -----
    NotIdentifiedWarning
        When the Jacobian (scaled by the parameter ranges) is rank-deficient; names the
        parameters the data cannot pin down.
    PoorFitWarning
        When a moment is missed by more than ``residual_tolerance``; names the moments and
        the estimates at a bound (the usual cause: widen that bound).

    Notes
    -----
    ``scipy.optimize.least_squares`` (trust-region reflective) minimises
    :math:`\tfrac12 \sum_k w_k^2 (m_k(\theta) - d_k)^2` within the bounds.

    Examples
    --------
    >>> from compensation import Parameters, calibrate, down_referrals, referral_growth
    >>> truth = Parameters(flow="saturating", max_shift=0.4, half_sinking=500)
    >>> moments = {"referrals": down_referrals, "growth": referral_growth(250.0)}
    >>> data = {k: f(truth) for k, f in moments.items()}
    >>> fit = calibrate(Parameters(flow="saturating"), moments, data,
    ...                 free={"max_shift": (0.05, 1.0), "half_sinking": (50, 5000)})
    >>> {k: round(v, 6) for k, v in fit.estimates.items()}
    {'max_shift': 0.4, 'half_sinking': 500.0}
    """
    if residual_tolerance is not None and not (
        np.isfinite(residual_tolerance) and residual_tolerance >= 0
    ):
        raise ValueError(
            "residual_tolerance must be finite and ≥ 0 (relative miss of a moment) or None; "
            f"got {residual_tolerance!r}"
        )
    names = list(free)
    if not names:
        raise ValueError("free must name at least one parameter to fit")
    for name in names:
        if name not in FIELDS:
            raise ValueError(f"free names unknown parameter {name!r}{suggest(name, FIELDS)}")
        lo, hi = free[name]
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"bounds of {name!r} must be finite with lo < hi; got ({lo}, {hi})")
    keys = list(moments)
    missing = [k for k in keys if k not in data]
    if missing:
        raise ValueError(f"data lacks observed values for moment(s) {missing}")
    extra = [k for k in data if k not in moments]
    if extra:
        raise ValueError(f"data has values for unknown moment(s) {extra}")
    d = np.array([float(data[k]) for k in keys])
    if not np.isfinite(d).all():
        raise ValueError("data must be finite")
    if weights is None:
        if np.any(d == 0):
            raise ValueError("a moment observed as 0 needs an explicit weight (weights=...)")
        w = 1.0 / np.abs(d)
    else:
        w = np.array([float(weights.get(k, 1.0)) for k in keys])
    lo_b = np.array([free[n][0] for n in names], dtype=float)
    hi_b = np.array([free[n][1] for n in names], dtype=float)
    x0 = np.array([float((start or {}).get(n, getattr(p, n))) for n in names])
    x0 = np.clip(x0, lo_b + 1e-9 * (hi_b - lo_b), hi_b - 1e-9 * (hi_b - lo_b))

    bar = require("tqdm").tqdm(desc="calibrate", unit="eval") if progress else None

    def model(theta: NDArray) -> NDArray:
        q = p.replace(**dict(zip(names, theta.tolist())))
        if bar is not None:
            bar.update(1)
        return np.array([float(moments[k](q)) for k in keys])

    def resid(theta: NDArray) -> NDArray:
        return w * (model(theta) - d)

    # Scale by the bounds so that trust regions and the rank test treat parameters alike.
    try:
        res = least_squares(
            resid,
            x0,
            bounds=(lo_b, hi_b),
            x_scale=hi_b - lo_b,
            xtol=1e-14,
            ftol=1e-14,
            gtol=1e-14,
            max_nfev=2000 * len(names),
        )
    finally:
        if bar is not None:
            bar.close()
    J = res.jac
    scaled = J * (hi_b - lo_b)
    sv = np.linalg.svd(scaled, compute_uv=False)
    tol = max(scaled.shape) * np.finfo(float).eps * max(sv.max(initial=0.0), 1e-300) * 1e4
    rank = int(np.sum(sv > tol))
    identified = dict.fromkeys(names, True)
    message = str(res.message)
    k_, p_ = len(keys), len(names)
    cov = np.full((p_, p_), np.nan)
    if rank < p_:
        _, _, vt = np.linalg.svd(scaled)
        null = vt[rank:]
        weak = [n for n, col in zip(names, np.abs(null).max(axis=0)) if col > 1e-6]
        for n in weak:
            identified[n] = False
        text = (
            f"the data do not identify {', '.join(weak)}: the moments depend on them only "
            f"through a combination (Jacobian rank {rank} < {p_} parameters)"
        )
        warnings.warn(NotIdentifiedWarning(text, tuple(weak)), stacklevel=2)
        message += "; " + text
    else:
        jtj_inv = np.linalg.inv(J.T @ J)
        if known_errors:
            cov = jtj_inv
        elif k_ > p_:
            cov = jtj_inv * (2 * res.cost / (k_ - p_))
        else:
            message += (
                "; exactly identified: standard errors need more moments than "
                "parameters, or known_errors=True with weights = 1/sigma"
            )
    se = np.sqrt(np.diag(cov))
    fitted = p.replace(**dict(zip(names, res.x.tolist())))
    residuals = model(res.x) - d
    # Bounds by position and by the optimiser's active set: TRF stops a hair inside a bound.
    span = hi_b - lo_b
    low = (res.x - lo_b <= 1e-6 * span) | (res.active_mask < 0)
    high = (hi_b - res.x <= 1e-6 * span) | (res.active_mask > 0)
    at_bounds = tuple(n for n, a, b in zip(names, low, high) if a or b)
    for n, x, a, lo, hi in zip(names, res.x, low, lo_b, hi_b):
        if n in at_bounds:
            side, bound = ("lower", lo) if a else ("upper", hi)
            message += f"; {n} = {x:.6g} is at its {side} bound {bound:g}"
    missed: list[str] = []
    if residual_tolerance is not None:
        scale = np.where(d != 0, np.abs(d), 1.0)
        relative = np.abs(residuals) / scale
        missed = [k for k, r in zip(keys, relative) if r > residual_tolerance]
    if missed:
        worst = ", ".join(
            f"{k} missed by {abs(r) / abs(v) if v else abs(r):.1%} of its observed value"
            for k, r, v in zip(keys, residuals, d)
            if k in missed
        )
        text = f"poor fit: {worst} (residual_tolerance {residual_tolerance:g})"
        if at_bounds:
            text += (
                f"; {', '.join(at_bounds)} stopped at a bound, which binds: the best fit lies "
                "outside it, so widen it"
            )
        warnings.warn(PoorFitWarning(text, tuple(missed), at_bounds), stacklevel=2)
        message = f"{text}; {message}"
    return CalibrationResult(
        estimates=dict(zip(names, res.x.tolist())),
        standard_errors=dict(zip(names, se.tolist())),
        parameters=fitted,
        residuals=dict(zip(keys, residuals.tolist())),
        success=bool(res.success) and not missed,
        message=message,
        cost=float(res.cost),
        identified=identified,
        covariance=cov,
        at_bounds=at_bounds,
        converged=bool(res.success),
    )
