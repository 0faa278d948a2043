r"""Fit model parameters to observed moments by weighted least squares (MODEL.md §8).

The moments (down-referral counts, their growth, the leader's volume growth, the primary
share) are in :mod:`compensation.analysis.moments`; they are re-exported here, where they
were first defined.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import OptimizeResult, least_squares

from .._optional import require
from .._results import DIGITS, Result
from ..exceptions import NotIdentifiedWarning, PoorFitWarning
from ..model.fields import parameter_name
from ..model.parameters import Parameters
from .moments import Moment, down_referrals, leader_volume_growth, primary_share, referral_growth

__all__ = [
    "CalibrationResult",
    "calibrate",
    "down_referrals",
    "leader_volume_growth",
    "primary_share",
    "referral_growth",
]

#: What :func:`calibrate` runs: scipy's trust-region reflective least squares.
METHOD = "trf least squares"
#: Its tolerances on the step, the cost and the gradient (scipy's xtol, ftol and gtol).
TOL = 1e-14


@dataclass(frozen=True)
class CalibrationResult(Result):
    r"""Result of :func:`calibrate`.

    Attributes
    ----------
    estimates, standard_errors : dict of str to float
        Fitted values and standard errors from the Jacobian, in each parameter's unit (NaN
        where not available: exactly identified without known measurement errors, or not
        identified).
    parameters : Parameters
        The base parameters with the estimates filled in (not printed: ``estimates`` are).
    residuals : dict of str to float
        Model minus data for each moment (unweighted, in the moment's unit).
    success : bool
        True when the optimiser converged *and* every moment is matched within
        ``residual_tolerance``: a converged fit that misses the data is not a success.
    message : str
        Leads with the verdict on a poor fit, then the optimiser's message, estimates at a
        bound, and identification notes.
    cost : float
        :math:`\tfrac12 \sum_k w_k^2 (m_k - d_k)^2`, half the sum of squared weighted
        residuals.
    identified : dict of str to bool
        False for parameters in the null space of the Jacobian.
    covariance : ndarray, shape (P, P)
        Covariance matrix of the estimates (order of ``estimates``); not printed.
    at_bounds : tuple of str
        Estimates that ended on a bound of ``free``. With a good fit the truth may lie on
        the bound; with a poor one the bound binds and the best fit lies outside it.
    converged : bool
        Whether the optimiser itself reported convergence.
    iterations : int
        Residual evaluations by the optimiser (scipy's ``nfev``; the finite-difference
        Jacobians are not counted).
    method : str
        ``"trf least squares"``: scipy's trust-region reflective algorithm.
    tol : float
        The optimiser's tolerance on the relative step, cost and gradient (xtol, ftol, gtol).
    residual_tolerance : float or None
        The largest relative miss of a moment counted as a match (None: not checked).
    dof : int
        Degrees of freedom :math:`K - P`, moments minus free parameters. At 0 the fit is an
        identity: the residuals are 0 by construction and say nothing about the model, and
        the estimates are only a transformation of the data and of what was assumed
        (the sinking levels, the catchment); only :math:`K > P` tests the model.
    """

    estimates: dict[str, float]
    standard_errors: dict[str, float]
    parameters: Parameters = field(repr=False)
    residuals: dict[str, float]
    success: bool
    message: str
    cost: float
    identified: dict[str, bool]
    covariance: NDArray[np.float64] = field(repr=False)
    at_bounds: tuple[str, ...] = ()
    converged: bool = True
    iterations: int = 0
    method: str = METHOD
    tol: float = TOL
    residual_tolerance: float | None = 0.05
    dof: int = 0

    def __repr__(self) -> str:
        # Result rounds numbers and arrays but prints a dict as it is: round the values first.
        shown = dataclasses.replace(
            self,
            estimates=_rounded(self.estimates),
            standard_errors=_rounded(self.standard_errors),
            residuals=_rounded(self.residuals),
        )
        return Result.__repr__(shown)


def _rounded(values: Mapping[str, float]) -> dict[str, float]:
    return {k: round(v, DIGITS) for k, v in values.items()}


@dataclass(frozen=True)
class _Fit:
    """A calibration problem: free parameters with bounds, moments with data and weights."""

    p: Parameters
    moments: Mapping[str, Moment]
    names: list[str]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    keys: list[str]
    data: NDArray[np.float64]
    weights: NDArray[np.float64]

    @property
    def span(self) -> NDArray[np.float64]:
        return self.upper - self.lower

    def with_values(self, theta: NDArray[np.float64]) -> Parameters:
        return self.p.replace(**dict(zip(self.names, theta.tolist())))

    def model(self, theta: NDArray[np.float64]) -> NDArray[np.float64]:
        """The moments at the free values ``theta``."""
        q = self.with_values(theta)
        return np.array([float(self.moments[k](q)) for k in self.keys])


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
        Observed value of each moment (same names and units), finite.
    free : mapping of str to (float, float)
        Parameters to fit with their finite bounds ``(lo, hi)``, ``lo < hi``, in each
        parameter's unit.
    weights : mapping of str to float, optional
        Multiplier of each residual (1 / the moment's unit); default ``1 / |data|``
        (relative errors). With ``known_errors=True`` pass ``1 / sigma`` (measurement
        standard deviations).
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
        Estimates with standard errors, residuals, identification, and the optimiser's
        report (``success``, ``message``, ``iterations``, ``method``, ``tol``).

    Raises
    ------
    ValueError
        ``free`` empty, naming an unknown parameter (with the closest name) or with bounds
        not finite or not ``lo < hi``; ``data`` lacking a moment, naming an unknown one or
        not finite; a moment observed as 0 without an explicit weight; a
        ``residual_tolerance`` that is negative or not finite; an estimate outside what
        :class:`Parameters` accepts.
    ImportError
        ``progress=True`` without tqdm.

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

    .. math:: \tfrac12 \sum_k w_k^2 (m_k(\theta) - d_k)^2

    over :math:`\theta` within the bounds; the covariance comes from its Jacobian :math:`J`.

    Examples
    --------
    >>> from compensation import Parameters, calibrate, down_referrals, referral_growth
    >>> truth = Parameters(flow="saturating", max_shift=0.4, sinking_scale=500)
    >>> moments = {"referrals": down_referrals, "growth": referral_growth(250.0)}
    >>> data = {k: f(truth) for k, f in moments.items()}
    >>> fit = calibrate(Parameters(flow="saturating"), moments, data,
    ...                 free={"max_shift": (0.05, 1.0), "sinking_scale": (50, 5000)})
    >>> {k: round(v, 6) for k, v in fit.estimates.items()}
    {'max_shift': 0.4, 'sinking_scale': 500.0}
    >>> fit.success, fit.method
    (True, 'trf least squares')
    """
    _check_tolerance(residual_tolerance)
    fit = _problem(p, moments, data, free, weights)
    res = _optimise(fit, _start(fit, start), progress=progress)
    message = str(res.message)
    identified, text = _identification(fit, res.jac)
    cov = np.full((len(fit.names), len(fit.names)), np.nan)
    if text:
        weak = tuple(n for n, ok in identified.items() if not ok)
        warnings.warn(NotIdentifiedWarning(text, weak), stacklevel=2)
        message += "; " + text
    else:
        cov, note = _covariance(fit, res, known_errors=known_errors)
        message += note
    residuals = fit.model(res.x) - fit.data
    at_bounds, note = _at_bounds(fit, res)
    message += note
    missed, text = _misses(fit, residuals, residual_tolerance, at_bounds)
    if missed:
        warnings.warn(PoorFitWarning(text, missed, at_bounds), stacklevel=2)
        message = f"{text}; {message}"
    return CalibrationResult(
        estimates=dict(zip(fit.names, res.x.tolist())),
        standard_errors=dict(zip(fit.names, np.sqrt(np.diag(cov)).tolist())),
        parameters=fit.with_values(res.x),
        residuals=dict(zip(fit.keys, residuals.tolist())),
        success=bool(res.success) and not missed,
        message=message,
        cost=float(res.cost),
        identified=identified,
        covariance=cov,
        at_bounds=at_bounds,
        converged=bool(res.success),
        iterations=int(res.nfev),
        method=METHOD,
        tol=TOL,
        residual_tolerance=residual_tolerance,
        dof=len(fit.keys) - len(fit.names),
    )


# ----- the problem -----------------------------------------------------------------------------
def _check_tolerance(residual_tolerance: float | None) -> None:
    if residual_tolerance is not None and not (
        np.isfinite(residual_tolerance) and residual_tolerance >= 0
    ):
        raise ValueError(
            "residual_tolerance must be finite and ≥ 0 (relative miss of a moment) or None; "
            f"got {residual_tolerance!r}"
        )


def _bounds(free: Mapping[str, tuple[float, float]]) -> tuple[list[str], NDArray, NDArray]:
    """Names of the free parameters and their lower and upper bounds."""
    free = {parameter_name(k, role="free names", stacklevel=5): v for k, v in free.items()}
    names = list(free)
    if not names:
        raise ValueError("free must name at least one parameter to fit")
    for name in names:
        lo, hi = free[name]
        if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
            raise ValueError(f"bounds of {name!r} must be finite with lo < hi; got ({lo}, {hi})")
    lower = np.array([free[n][0] for n in names], dtype=float)
    upper = np.array([free[n][1] for n in names], dtype=float)
    return names, lower, upper


def _observations(
    moments: Mapping[str, Moment], data: Mapping[str, float], weights: Mapping[str, float] | None
) -> tuple[list[str], NDArray, NDArray]:
    """Moment names, the observed values and the residual weights, in one order."""
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
    if weights is not None:
        return keys, d, np.array([float(weights.get(k, 1.0)) for k in keys])
    if np.any(d == 0):
        raise ValueError("a moment observed as 0 needs an explicit weight (weights=...)")
    return keys, d, 1.0 / np.abs(d)


def _problem(
    p: Parameters,
    moments: Mapping[str, Moment],
    data: Mapping[str, float],
    free: Mapping[str, tuple[float, float]],
    weights: Mapping[str, float] | None,
) -> _Fit:
    names, lower, upper = _bounds(free)
    keys, d, w = _observations(moments, data, weights)
    return _Fit(p, moments, names, lower, upper, keys, d, w)


def _start(fit: _Fit, start: Mapping[str, float] | None) -> NDArray[np.float64]:
    """Starting values, just inside the bounds (TRF needs a strictly interior start)."""
    x0 = np.array([float((start or {}).get(n, getattr(fit.p, n))) for n in fit.names])
    return np.clip(x0, fit.lower + 1e-9 * fit.span, fit.upper - 1e-9 * fit.span)


def _optimise(fit: _Fit, x0: NDArray[np.float64], *, progress: bool) -> OptimizeResult:
    bar = require("tqdm").tqdm(desc="calibrate", unit="eval") if progress else None

    def residuals(theta: NDArray[np.float64]) -> NDArray[np.float64]:
        if bar is not None:
            bar.update(1)
        return fit.weights * (fit.model(theta) - fit.data)

    # Scale by the bounds so that trust regions and the rank test treat parameters alike.
    try:
        return least_squares(
            residuals,
            x0,
            bounds=(fit.lower, fit.upper),
            x_scale=fit.span,
            xtol=TOL,
            ftol=TOL,
            gtol=TOL,
            max_nfev=2000 * len(fit.names),
        )
    finally:
        if bar is not None:
            bar.close()


# ----- what the fit tells --------------------------------------------------------------------
def _identification(fit: _Fit, J: NDArray[np.float64]) -> tuple[dict[str, bool], str]:
    """Which parameters the moments pin down, and the warning ("" when all of them)."""
    scaled = J * fit.span
    sv = np.linalg.svd(scaled, compute_uv=False)
    tol = max(scaled.shape) * np.finfo(float).eps * max(sv.max(initial=0.0), 1e-300) * 1e4
    rank = int(np.sum(sv > tol))
    identified = dict.fromkeys(fit.names, True)
    if rank == len(fit.names):
        return identified, ""
    null = np.linalg.svd(scaled)[2][rank:]
    weak = [n for n, col in zip(fit.names, np.abs(null).max(axis=0)) if col > 1e-6]
    identified.update(dict.fromkeys(weak, False))
    return identified, (
        f"the data do not identify {', '.join(weak)}: the moments depend on them only "
        f"through a combination (Jacobian rank {rank} < {len(fit.names)} parameters)"
    )


def _covariance(
    fit: _Fit, res: OptimizeResult, *, known_errors: bool
) -> tuple[NDArray[np.float64], str]:
    r"""Covariance of the estimates, :math:`\hat\sigma^2 (J^\top J)^{-1}`, and a note."""
    k, n = len(fit.keys), len(fit.names)
    jtj_inv = np.linalg.inv(res.jac.T @ res.jac)
    if known_errors:
        return jtj_inv, ""
    if k > n:
        return jtj_inv * (2 * res.cost / (k - n)), ""
    note = (
        "; exactly identified (as many moments as parameters): the residuals are 0 by "
        "construction and test nothing; standard errors need more moments than "
        "parameters, or known_errors=True with weights = 1/sigma"
    )
    return np.full((n, n), np.nan), note


def _at_bounds(fit: _Fit, res: OptimizeResult) -> tuple[tuple[str, ...], str]:
    """Estimates on a bound of ``free``, and a note naming each with its side."""
    # By position and by the optimiser's active set: TRF stops a hair inside a bound.
    low = (res.x - fit.lower <= 1e-6 * fit.span) | (res.active_mask < 0)
    high = (fit.upper - res.x <= 1e-6 * fit.span) | (res.active_mask > 0)
    names = tuple(n for n, a, b in zip(fit.names, low, high) if a or b)
    note = ""
    for n, x, a, lo, hi in zip(fit.names, res.x, low, fit.lower, fit.upper):
        if n in names:
            side, bound = ("lower", lo) if a else ("upper", hi)
            note += f"; {n} = {x:.6g} is at its {side} bound {bound:g}"
    return names, note


def _misses(
    fit: _Fit,
    residuals: NDArray[np.float64],
    residual_tolerance: float | None,
    at_bounds: tuple[str, ...],
) -> tuple[tuple[str, ...], str]:
    """Moments missed by more than the tolerance, and the verdict ("" when none is)."""
    if residual_tolerance is None:
        return (), ""
    scale = np.where(fit.data != 0, np.abs(fit.data), 1.0)
    relative = np.abs(residuals) / scale
    missed = tuple(k for k, r in zip(fit.keys, relative) if r > residual_tolerance)
    if not missed:
        return (), ""
    worst = ", ".join(
        f"{k} missed by {r:.1%} of its observed value"
        for k, r in zip(fit.keys, relative)
        if k in missed
    )
    text = f"poor fit: {worst} (residual_tolerance {residual_tolerance:g})"
    if at_bounds:
        text += (
            f"; {', '.join(at_bounds)} stopped at a bound, which binds: the best fit lies "
            "outside it, so widen it"
        )
    return missed, text
