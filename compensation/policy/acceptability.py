r"""Probability that sinking pays at each subsidy: the acceptability curve of a PSA.

In probabilistic sensitivity analysis the acceptability curve gives, for each value of the
policy lever, the probability over parameter uncertainty that the intervention is worth
doing. Here the lever is the subsidy :math:`g` per doctor-day and "sinking pays" means that
(Sink, Active) is an equilibrium: :math:`g \ge g^*(\theta)`, the threshold subsidy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_domain
from ..analysis.draws import Source, draw_parameters
from ..analysis.uncertainty import evaluate
from ..model.parameters import Parameters
from .thresholds import threshold_subsidy

__all__ = ["AcceptabilityCurve", "acceptability_curve"]


@dataclass(frozen=True)
class AcceptabilityCurve(Result):
    r"""Result of :func:`acceptability_curve`.

    Attributes
    ----------
    subsidy : ndarray
        The subsidies :math:`g`, 万元 per doctor-day.
    probability : ndarray
        :math:`\Pr[g^*(\theta) \le g]` over the parameter draws.
    standard_error : ndarray
        Monte Carlo standard error :math:`\sqrt{\hat p (1 - \hat p) / n}`.
    draws : int
        Number of parameter draws :math:`n`.
    never : float
        Share of draws at which no subsidy makes sinking pay (:math:`g^* = \infty`).
    method : str
        ``"monte carlo"``.
    """

    subsidy: NDArray[np.float64]
    probability: NDArray[np.float64]
    standard_error: NDArray[np.float64]
    draws: int
    never: float
    method: str = "monte carlo"


def acceptability_curve(
    source: Source,
    subsidies: ArrayLike,
    *,
    draws: int = 10_000,
    seed: int | None = 0,
    base: Parameters | None = None,
    threshold: Callable[[Parameters], ArrayLike] = threshold_subsidy,
) -> AcceptabilityCurve:
    r"""Probability, over parameter uncertainty, that sinking pays at each subsidy.

    Parameters
    ----------
    source : CalibrationResult, (mapping, array_like) or mapping of str to distribution
        Where the parameters are uncertain (see
        :func:`~compensation.analysis.draws.draw_parameters`).
    subsidies : array_like
        Subsidies :math:`g` per doctor-day, in 万元/dd, ≥ 0.
    draws : int, default 10,000
        Parameter draws, ≥ 1.
    seed : int or None, default 0
        Seed of the draws.
    base : Parameters, optional
        The parameters not drawn (default: the calibration's).
    threshold : callable, default :func:`~compensation.policy.thresholds.threshold_subsidy`
        The least subsidy at which the intervention pays, vectorised over parameters.

    Returns
    -------
    AcceptabilityCurve
        ``.probability`` at each subsidy with its Monte Carlo standard error.

    Raises
    ------
    ValueError
        A negative or non-finite subsidy; see
        :func:`~compensation.analysis.draws.draw_parameters`.

    Notes
    -----
    .. math:: \hat A(g) = \frac1n \sum_{r=1}^n \mathbf 1[g^*(\theta^{(r)}) \le g],

    non-decreasing in :math:`g`, from the share of draws whose threshold is 0 up to
    :math:`1 - \text{never}`. All draws are evaluated in one vectorised call; each subsidy
    costs a binary search in the sorted thresholds.

    Examples
    --------
    >>> from scipy import stats
    >>> from compensation.policy.acceptability import acceptability_curve
    >>> c = acceptability_curve({"price": stats.norm(0.03, 0.004)}, [0.17, 0.184, 0.2])
    >>> c.probability.round(2).tolist()
    [0.0, 0.5, 1.0]
    """
    g = check_domain("subsidies", np.atleast_1d(np.asarray(subsidies, dtype=float)), "nonneg")
    p = draw_parameters(source, draws, seed=seed, base=base)
    t = np.sort(evaluate(threshold, p))
    n = t.size
    prob = np.searchsorted(t, g, side="right") / n
    se = np.sqrt(prob * (1 - prob) / n)
    return AcceptabilityCurve(g, prob, se, n, float(np.mean(np.isinf(t))))
