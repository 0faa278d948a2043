r"""From parameter uncertainty to policy uncertainty (probabilistic sensitivity analysis).

A calibration gives estimates :math:`\hat\theta` with a covariance :math:`\hat\Sigma`; the
number a report needs is a policy quantity :math:`f(\theta)` (a threshold subsidy, the optimal
subsidy). The draws (:func:`~compensation.analysis.draws.draw_parameters`) are *one*
:class:`Parameters` with array fields, so every vectorised function of the library evaluates
all of them in one call. :func:`propagate` returns the distribution of :math:`f` with its
percentile interval beside the delta-method interval
:math:`f(\hat\theta) \pm z \sqrt{\nabla f^\top \hat\Sigma \nabla f}`;
:func:`~compensation.policy.acceptability.acceptability_curve` gives the probability that
sinking pays at each subsidy.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from .._optional import require
from .._results import Result
from ..model.parameters import Parameters
from .draws import Moments, Source, inside, moments_of, sample_draws

__all__ = ["PolicyUncertainty", "propagate"]


@dataclass(frozen=True)
class PolicyUncertainty(Result):
    r"""Distribution of a policy quantity over parameter draws, with two intervals.

    Attributes
    ----------
    estimate : float
        :math:`f` at the centre :math:`\hat\theta` (the point estimate), in ``fn``'s unit.
    mean, std : float
        Mean and standard deviation of :math:`f` over the draws (inf where some draws give
        inf, such as a threshold that no subsidy reaches).
    low, high : float
        Percentile interval: the :math:`(1 \mp \text{level})/2` quantiles of the draws.
    delta_low, delta_high : float
        Delta-method interval :math:`f(\hat\theta) \pm z_{(1+\text{level})/2}\,
        \text{delta\_se}`; NaN where :math:`f` is not finite or not differentiable there.
    delta_se : float
        :math:`\sqrt{\nabla f^\top \Sigma \nabla f}`, the gradient by central differences.
    level : float
        Nominal coverage of both intervals.
    draws : int
        Number of parameter draws.
    finite_share : float
        Share of draws where :math:`f` is finite.
    redrawn : float
        Share of draws that fell outside a parameter's domain and were drawn again.
    gradient : dict of str to float
        :math:`\partial f / \partial \theta_k` at the centre, per unit of each parameter.
    samples : ndarray, shape (draws,)
        :math:`f` at every draw (not printed).
    method : str
        ``"monte carlo + delta method"``.
    """

    estimate: float
    mean: float
    std: float
    low: float
    high: float
    delta_low: float
    delta_high: float
    delta_se: float
    level: float
    draws: int
    finite_share: float
    redrawn: float
    gradient: dict[str, float]
    samples: NDArray[np.float64] = field(repr=False)
    method: str = "monte carlo + delta method"

    def to_frame(self) -> Any:
        """The two intervals side by side, one row each.

        Returns
        -------
        pandas.DataFrame
            Index ``percentile``, ``delta method``; columns ``estimate``, ``low``, ``high``,
            ``se`` (the draws' standard deviation for the percentile row), ``level``.
        """
        pd = require("pandas")
        return pd.DataFrame(
            {
                "estimate": [self.estimate, self.estimate],
                "low": [self.low, self.delta_low],
                "high": [self.high, self.delta_high],
                "se": [self.std, self.delta_se],
                "level": [self.level, self.level],
            },
            index=pd.Index(["percentile", "delta method"], name="interval"),
        )


def evaluate(fn: Callable[[Parameters], ArrayLike], p: Parameters) -> NDArray[np.float64]:
    """``fn`` at array-valued ``p``, as floats of shape ``p.shape`` (or ``ValueError``).

    Parameters
    ----------
    fn : callable
        Vectorised function of :class:`Parameters` returning one number per point.
    p : Parameters
        Parameters with array fields.

    Returns
    -------
    ndarray
        Shape ``p.shape``.

    Raises
    ------
    ValueError
        ``fn`` does not return one value per point.
    """
    out = np.asarray(fn(p), dtype=float)
    try:
        return np.broadcast_to(out, p.shape).astype(float) if out.ndim == 0 else _shaped(out, p)
    except ValueError:
        raise ValueError(
            f"fn returned shape {out.shape} for {p.shape[0]:,} parameter draws: it must return "
            "one value per draw (vectorised over array-valued Parameters, as every function of "
            "this library is); wrap a scalar function with np.vectorize"
        ) from None


def _shaped(out: NDArray[np.float64], p: Parameters) -> NDArray[np.float64]:
    if out.shape != p.shape:
        raise ValueError
    return out


def gradient(
    fn: Callable[[Parameters], ArrayLike], m: Moments, rel_step: float = 1e-4
) -> NDArray[np.float64]:
    r"""Central-difference gradient of ``fn`` at the centre, all steps in one call.

    Parameters
    ----------
    fn : callable
        Vectorised function of :class:`Parameters`.
    m : Moments
        The centre and covariance (see :func:`moments_of`); the step of parameter :math:`k`
        is ``rel_step`` times its standard deviation (or its magnitude, or 1 when both are
        0), one-sided where a central step would leave its domain.
    rel_step : float, default 1e-4
        Relative step.

    Returns
    -------
    ndarray, shape (k,)
        :math:`\partial f / \partial \theta_k` in ``fn``'s unit per unit of the parameter.
    """
    k = len(m.names)
    sd = np.sqrt(np.clip(np.diag(m.cov), 0, None))
    h = rel_step * np.where(sd > 0, sd, np.where(m.mean != 0, np.abs(m.mean), 1.0))
    up, down = m.mean + h, m.mean - h
    up_ok = np.array([bool(inside(n, np.array(v))) for n, v in zip(m.names, up)])
    down_ok = np.array([bool(inside(n, np.array(v))) for n, v in zip(m.names, down)])
    up, down = np.where(up_ok, up, m.mean), np.where(down_ok, down, m.mean)
    rows = np.tile(m.mean, (2 * k, 1))
    rows[np.arange(k), np.arange(k)] = up
    rows[k + np.arange(k), np.arange(k)] = down
    values = evaluate(fn, m.base.replace(**{n: rows[:, i] for i, n in enumerate(m.names)}))
    with np.errstate(invalid="ignore"):
        return np.asarray((values[:k] - values[k:]) / (up - down))


def propagate(
    source: Source,
    fn: Callable[[Parameters], ArrayLike],
    *,
    draws: int = 10_000,
    level: float = 0.95,
    seed: int | None = 0,
    base: Parameters | None = None,
) -> PolicyUncertainty:
    r"""Carry parameter uncertainty through to a policy quantity :math:`f(\theta)`.

    Parameters
    ----------
    source : CalibrationResult, (mapping, array_like) or mapping of str to distribution
        Where the parameters are uncertain (see :func:`draw_parameters`).
    fn : callable
        Function of :class:`Parameters` returning one number per point; it is called twice,
        once on all draws at once and once on the :math:`2k` steps of the gradient, so it
        must broadcast over array-valued parameters (every function of this library does;
        ``lambda p: optimal_subsidy(p).subsidy`` included).
    draws : int, default 10,000
        Parameter draws, ≥ 1.
    level : float, default 0.95
        Nominal coverage of the intervals, in (0, 1).
    seed : int or None, default 0
        Seed of the draws.
    base : Parameters, optional
        The parameters not drawn (default: the calibration's).

    Returns
    -------
    PolicyUncertainty
        The point estimate, the distribution's summary, the percentile and delta-method
        intervals side by side (``.to_frame()``), and the draws (``.samples``).

    Raises
    ------
    ValueError
        ``level`` outside (0, 1); ``fn`` not returning one value per draw; see
        :func:`draw_parameters`.

    Notes
    -----
    With draws :math:`\theta^{(r)} \sim N(\hat\theta, \hat\Sigma)` (or the given
    distributions), the percentile interval is
    :math:`[Q_{(1-\ell)/2}, Q_{(1+\ell)/2}]` of :math:`f(\theta^{(r)})`; the delta method is
    :math:`f(\hat\theta) \pm z_{(1+\ell)/2} \sqrt{\nabla f^\top \hat\Sigma \nabla f}`. The two
    agree for a smooth :math:`f` that is nearly linear over the spread of :math:`\theta`; the
    percentile interval stays right where :math:`f` bends, kinks (a threshold at 0) or is
    infinite, and the delta method is exact for a linear :math:`f` without Monte Carlo error.

    Examples
    --------
    >>> from scipy import stats
    >>> from compensation.analysis.uncertainty import propagate
    >>> from compensation.policy.thresholds import threshold_subsidy
    >>> r = propagate({"price": stats.norm(0.03, 0.004)}, threshold_subsidy, draws=20_000)
    >>> round(r.estimate, 3), round(r.delta_low, 4), round(r.delta_high, 4)
    (0.184, 0.1762, 0.1918)
    >>> round(r.low, 3), round(r.high, 3)
    (0.176, 0.192)
    """
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"level must be in (0, 1) (a probability); got {level!r}")
    m = moments_of(source, base)
    p, redrawn = sample_draws(m, draws, seed)
    values = evaluate(fn, p)
    centre = m.base.replace(**{n: float(v) for n, v in zip(m.names, m.mean)})
    estimate = float(np.asarray(fn(centre), dtype=float))
    grad = gradient(fn, m)
    se = math.sqrt(max(float(grad @ m.cov @ grad), 0.0)) if np.all(np.isfinite(grad)) else np.nan
    z = float(stats.norm.ppf((1 + level) / 2))
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore"):
        std = float(values.std(ddof=1)) if values.size > 1 and finite.all() else np.inf
    # No interpolation between order statistics: inf - inf would make a finite draw NaN.
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
    ok = math.isfinite(estimate) and math.isfinite(se)
    return PolicyUncertainty(
        estimate=estimate,
        mean=float(values.mean()) if finite.all() else np.inf,
        std=std if values.size > 1 else np.nan,
        low=float(low),
        high=float(high),
        delta_low=estimate - z * se if ok else np.nan,
        delta_high=estimate + z * se if ok else np.nan,
        delta_se=se,
        level=float(level),
        draws=int(values.size),
        finite_share=float(finite.mean()),
        redrawn=float(redrawn),
        gradient={n: float(g) for n, g in zip(m.names, grad)},
        samples=values,
    )
