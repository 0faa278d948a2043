r"""Moments for calibration: what a consortium's published figures say (MODEL.md §8).

The observables a consortium publishes (for example the Luzhou medical group's 2025 report)
are yearly down-referral counts and their growth, the leader's volume growth, and the share
of visits made at primary level. Each function here computes one from :class:`Parameters`,
taking ``sinking_level`` as the observed doctor-days on site; :func:`~compensation.calibrate`
fits parameters so that they match the data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..model.flow import flow_share, price_gap
from ..model.parameters import Parameters

__all__ = [
    "Moment",
    "down_referrals",
    "implied_trend",
    "leader_volume_growth",
    "primary_share",
    "referral_growth",
]

#: A moment: a function of scalar :class:`Parameters` returning a number.
Moment = Callable[[Parameters], Any]


def down_referrals(p: Parameters) -> float:
    r"""Visits moved from the leader to primary care per year at ``p.sinking_level``.

    Parameters
    ----------
    p : Parameters
        Scalar parameters; uses the flow, ``common_share``, ``visits`` and ``sinking_level``
        (the observed doctor-days on site per year).

    Returns
    -------
    float
        :math:`V(\bar s) = \theta N \Delta q(\bar s)`, in visits per year.

    Raises
    ------
    TypeError
        ``p`` holds arrays of more than one value (moments are numbers: sweep them instead).

    Examples
    --------
    >>> from compensation import Parameters, down_referrals
    >>> down_referrals(Parameters())
    8400.0
    """
    return float(p.common_share * p.visits * flow_share(p, np.asarray(p.sinking_level)))


def referral_growth(previous_sinking: float) -> Moment:
    r"""Moment: growth of down-referrals since sinking was ``previous_sinking``.

    Parameters
    ----------
    previous_sinking : float
        :math:`s_{prev}`, last period's sinking (doctor-days per year), finite and > 0.

    Returns
    -------
    callable
        A function of :class:`Parameters` giving the relative growth (a fraction: 0.1 is
        10%) when sinking rose from ``previous_sinking`` to ``p.sinking_level``:

        .. math:: \frac{V(\bar s)}{V(s_{prev})} - 1.

        It raises ``TypeError`` for array-valued parameters.

    Raises
    ------
    ValueError
        ``previous_sinking`` not finite or not > 0.

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
        now = flow_share(p, np.asarray(p.sinking_level))
        before = flow_share(p, np.asarray(prev))
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
    (a complex case) at rate :math:`r`, so its volume is :math:`N_L - (1 - r) V(s)`.

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
        :math:`g_T`, yearly growth from outside the model (population, reputation), as a
        fraction > -1.

    Returns
    -------
    callable
        A function of :class:`Parameters` giving the relative growth (a fraction)

        .. math:: \frac{N_L - (1 - r) V(\bar s)}{N_L - (1 - r) V(s_{prev})} (1 + g_T) - 1.

        It raises ``ValueError`` when ``leader_visits`` is smaller than the visits moved
        down, and ``TypeError`` for array-valued parameters.

    Raises
    ------
    ValueError
        ``previous_sinking`` or ``leader_visits`` not finite and > 0, ``refill`` outside
        [0, 1], or ``trend`` not finite and > -1.

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
        now = base - (1 - r) * moved * float(flow_share(p, np.asarray(p.sinking_level)))
        before = base - (1 - r) * moved * float(flow_share(p, np.asarray(prev)))
        if before <= 0 or now <= 0:
            raise ValueError("leader_visits is smaller than the visits moved down")
        return float(now / before * (1 + trend) - 1)

    growth.__name__ = f"leader_volume_growth_from_{prev:g}"
    return growth


def implied_trend(
    observed_growth: float,
    previous_sinking: float,
    leader_visits: float,
    *,
    refill: float | None = None,
) -> Moment:
    r"""The outside trend that reconciles the leader's observed volume growth with sinking.

    Parameters
    ----------
    observed_growth : float
        :math:`g_L`, the leader's observed yearly volume growth (a fraction > -1), e.g.
        0.0716 for the 江北 leader's outpatient-plus-emergency visits (门急诊).
    previous_sinking, leader_visits, refill
        As in :func:`leader_volume_growth`.

    Returns
    -------
    callable
        A function of :class:`Parameters` giving the trend :math:`g_T` (a fraction) with
        ``leader_volume_growth(..., trend=g_T)(p) == observed_growth``:

        .. math:: g_T = \frac{(1 + g_L)\,(N_L - (1 - r) V(s_{prev}))}{N_L - (1 - r) V(\bar s)}
                  - 1.

    Raises
    ------
    ValueError
        ``observed_growth`` not finite and > -1, or an argument
        :func:`leader_volume_growth` rejects.

    Notes
    -----
    One figure and no referral counts of the leader's own group: the trend is solved, not
    fitted, and is exactly as uncertain as the flow assumed for that group. With
    :math:`r \le 1`, :math:`g_T \ge g_L`: sinking can only have cost the leader volume.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.analysis.moments import implied_trend, leader_volume_growth
    >>> trend = implied_trend(0.0716, 250.0, leader_visits=100_000)(Parameters())
    >>> round(trend, 6), round(leader_volume_growth(250.0, 100_000, trend=trend)(Parameters()), 6)
    (0.081079, 0.0716)
    """
    g = float(observed_growth)
    if not np.isfinite(g) or g <= -1:
        raise ValueError(f"observed_growth must be finite and > -1 (a fraction); got {g!r}")
    no_trend = leader_volume_growth(previous_sinking, leader_visits, refill=refill)

    def trend(p: Parameters) -> float:
        return float((1 + g) / (1 + no_trend(p)) - 1)

    trend.__name__ = f"implied_trend_of_{g:g}"
    return trend


def primary_share(p: Parameters) -> float:
    r"""Share of common visits made at primary level at ``p.sinking_level`` (logit flow).

    Parameters
    ----------
    p : Parameters
        Scalar parameters with ``flow="logit"``; uses the logit coefficients, the prices and
        ``sinking_level`` (doctor-days per year).

    Returns
    -------
    float
        :math:`q(\bar s) = \Lambda(\alpha_0 + \alpha_s \kappa(\bar s) + \alpha_p G)`, a share
        in (0, 1), with :math:`\kappa(s) = 1 - e^{-s / s_h}` and :math:`\Lambda` the
        logistic function.

    Raises
    ------
    ValueError
        ``p.flow`` is not ``"logit"``.
    TypeError
        ``p`` holds arrays of more than one value.

    Examples
    --------
    >>> from compensation import Parameters, primary_share
    >>> round(primary_share(Parameters(flow="logit")), 4)
    0.6045
    """
    if p.flow != "logit":
        raise ValueError(f"primary_share needs flow='logit'; got flow={p.flow!r}")
    kappa = -np.expm1(-p.sinking_level / p.sinking_scale)
    u = p.logit_intercept + p.quality_sensitivity * kappa + p.price_sensitivity * price_gap(p)
    return float(0.5 * (1 + np.tanh(0.5 * u)))
