r"""How calibrated estimates move with the assumed sinking path (MODEL.md §8).

A consortium publishes referral counts and their growth, not the doctor-days it sank: the
sinking in the two years is an assumption, and with as many moments as parameters the
estimates are a transformation of it (the residuals are 0 by construction). This module
refits for each assumed path and reports the estimates side by side, so that a reader sees
which conclusions survive the assumption.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from ..exceptions import NotIdentifiedWarning, PoorFitWarning
from ..model.parameters import Parameters
from .calibration import CalibrationResult, calibrate
from .moments import Moment

__all__ = ["PathSensitivity", "path_sensitivity"]


@dataclass(frozen=True)
class PathSensitivity(Result):
    r"""Estimates refitted under each assumed sinking path (:func:`path_sensitivity`).

    Attributes
    ----------
    previous, current : ndarray, shape (n,)
        The assumed sinking of the earlier and the later year (doctor-days per year).
    growth : ndarray, shape (n,)
        :math:`s_{now} / s_{prev} - 1`, the assumed growth of sinking (a fraction).
    estimates : dict of str to ndarray, shape (n,)
        Each free parameter's estimate under each path, in its unit.
    success : ndarray of bool, shape (n,)
        Whether each fit matched every moment (see :attr:`CalibrationResult.success`).
    cost : ndarray, shape (n,)
        Half the sum of squared weighted residuals of each fit.
    message : str
        Which paths the data reject (no parameters within the bounds match them).
    fits : tuple of CalibrationResult
        The fits themselves (not printed).
    """

    previous: NDArray[np.float64]
    current: NDArray[np.float64]
    growth: NDArray[np.float64]
    estimates: dict[str, NDArray[np.float64]]
    success: NDArray[np.bool_]
    cost: NDArray[np.float64]
    message: str
    fits: tuple[CalibrationResult, ...] = field(repr=False)


def path_sensitivity(
    p: Parameters,
    moments: Callable[[float], Mapping[str, Moment]],
    data: Mapping[str, float],
    free: Mapping[str, tuple[float, float]],
    *,
    paths: Sequence[tuple[float, float]],
    weights: Mapping[str, float] | None = None,
    residual_tolerance: float | None = 0.05,
) -> PathSensitivity:
    r"""Refit ``free`` under each assumed sinking path ``(s_prev, s_now)``.

    Parameters
    ----------
    p : Parameters
        Base scalar parameters; ``sinking_level`` is replaced by each path's :math:`s_{now}`
        (and ``max_sinking`` raised to it where it is smaller).
    moments : callable
        ``moments(s_prev)`` returns the moments (name → function of :class:`Parameters`)
        for a path whose earlier year sank ``s_prev``, e.g.
        ``lambda s: {"referrals": down_referrals, "growth": referral_growth(s)}``.
    data : mapping of str to float
        Observed value of each moment.
    free : mapping of str to (float, float)
        Parameters to fit, with bounds, as in :func:`~compensation.calibrate`.
    paths : sequence of (float, float)
        Assumed sinking :math:`(s_{prev}, s_{now})` in doctor-days per year, both finite and
        > 0; at least one.
    weights : mapping of str to float, optional
        As in :func:`~compensation.calibrate`.
    residual_tolerance : float or None, default 0.05
        As in :func:`~compensation.calibrate`; a path whose fit misses a moment by more is
        reported in ``success`` and ``message`` (no warning per path).

    Returns
    -------
    PathSensitivity
        The paths, the estimates under each (arrays), ``success``, ``cost`` and the fits.

    Raises
    ------
    ValueError
        ``paths`` empty or holding a sinking level that is not finite and > 0, or any input
        :func:`~compensation.calibrate` rejects.

    Notes
    -----
    With the saturating flow :math:`V(s) = \theta N \Delta q_{max}(1 - e^{-s/s_h})` the two
    moments solve in closed form along the path: the growth
    :math:`g = \frac{1 - e^{-s_{now}/s_h}}{1 - e^{-s_{prev}/s_h}} - 1` depends on
    :math:`s_h` only through :math:`s_{now}/s_h` and :math:`s_{prev}/s_h`, so scaling the path
    by :math:`c` scales :math:`\hat s_h` by :math:`c` and leaves :math:`\hat{\Delta q}_{max}`
    unchanged. A concave flow cannot grow faster than sinking: a path with
    :math:`s_{now}/s_{prev} - 1 \le g` is rejected.

    Examples
    --------
    >>> from compensation import Parameters, down_referrals, referral_growth
    >>> from compensation.analysis.assumed_path import path_sensitivity
    >>> base = Parameters(flow="saturating", visits=2_000_000)
    >>> r = path_sensitivity(
    ...     base, lambda s: {"referrals": down_referrals, "growth": referral_growth(s)},
    ...     {"referrals": 88_880, "growth": 0.098},
    ...     {"max_shift": (0.01, 1.0), "sinking_scale": (10, 500_000)},
    ...     paths=[(2900, 3300), (5800, 6600), (3050, 3300)])
    >>> r.estimates["sinking_scale"][:2].round(1).tolist(), r.estimates["max_shift"][:2].round(4)
    ([5027.1, 10054.2], array([0.1319, 0.1319]))
    >>> r.success.tolist()  # sinking +8.2% cannot make referrals grow 9.8% along a concave flow
    [True, True, False]
    """
    if len(paths) == 0:
        raise ValueError("paths must hold at least one (s_prev, s_now) pair")
    arr = np.asarray(paths, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or not (np.isfinite(arr).all() and (arr > 0).all()):
        raise ValueError(
            f"paths must be (s_prev, s_now) pairs of doctor-days per year, finite and > 0; "
            f"got {paths!r}"
        )
    fits = []
    for before, now in arr:
        with warnings.catch_warnings():
            # A path the data reject is a result of the sweep, reported in success.
            warnings.simplefilter("ignore", PoorFitWarning)
            warnings.simplefilter("ignore", NotIdentifiedWarning)
            fits.append(
                calibrate(
                    p.replace(sinking_level=float(now), max_sinking=max(p.max_sinking, now)),
                    moments(float(before)),
                    data,
                    free,
                    weights,
                    residual_tolerance=residual_tolerance,
                )
            )
    success = np.array([f.success for f in fits])
    rejected = [f"({b:g}, {n:g})" for (b, n), ok in zip(arr, success) if not ok]
    message = (
        f"every path fits the data ({len(fits)} paths)"
        if not rejected
        else f"no parameters within the bounds match the data for path(s) {', '.join(rejected)}"
    )
    return PathSensitivity(
        previous=arr[:, 0].copy(),
        current=arr[:, 1].copy(),
        growth=arr[:, 1] / arr[:, 0] - 1,
        estimates={n: np.array([f.estimates[n] for f in fits]) for n in fits[0].estimates},
        success=success,
        cost=np.array([f.cost for f in fits]),
        message=message,
        fits=tuple(fits),
    )
