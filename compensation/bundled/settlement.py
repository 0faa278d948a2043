r"""Bundled payment: capitation budget and year-end settlement (MODEL.md §6).

Global budget prepaid, surplus retained, reasonable overspend shared (总额预付、结余留用、合理
超支分担).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_domain, domain_error

__all__ = ["Settlement", "SettlementRule", "capitation_budget", "retained_share", "settle"]


def capitation_budget(
    risk_scores: ArrayLike, rates: ArrayLike, enrollees: ArrayLike
) -> NDArray[np.float64]:
    r"""Risk-adjusted capitation budget :math:`B = \sum_k r_k c_k n_k` over enrollee groups.

    Parameters
    ----------
    risk_scores : array_like
        :math:`r_k`, relative risk of each group (1 = average), ≥ 0.
    rates : array_like
        :math:`c_k`, capitation rate per enrollee-year (万元), ≥ 0.
    enrollees : array_like
        :math:`n_k`, enrollees in each group, ≥ 0.

    Returns
    -------
    ndarray
        The budget in 万元 per year, summed over the last axis (leading axes broadcast).

    Raises
    ------
    ValueError
        A negative or non-finite input, naming it, its unit and the first bad entry; inputs
        whose shapes do not broadcast together.
    TypeError
        An input that is not numeric.

    Examples
    --------
    >>> from compensation import capitation_budget
    >>> float(capitation_budget([0.8, 1.0, 1.6], 0.05, [40_000, 30_000, 10_000]))
    3900.0
    """
    r = check_domain("risk_scores", risk_scores, "nonneg")
    c = check_domain("rates", rates, "nonneg", "万元 per enrollee-year")
    n = check_domain("enrollees", enrollees, "nonneg", "enrollees")
    return np.asarray((r * c * n).sum(axis=-1))


@dataclass(frozen=True)
class SettlementRule:
    r"""Year-end settlement rule of a bundled budget (MODEL.md §6).

    Parameters
    ----------
    retention : float, default 1
        :math:`r_s`, share of a surplus the consortium keeps (结余留用), in [0, 1].
    min_savings_rate : float, default 0
        MSR: surpluses below ``min_savings_rate × budget`` are not shared, in [0, 1].
    cap : float, default inf
        :math:`cap_s`: retained surplus at most ``cap × budget``, ≥ 0.
    band : float, default 0.05
        :math:`\tau`: overruns up to ``band × budget`` are "reasonable" (合理超支), ≥ 0.
    payer_share : float, default 0.5
        :math:`r_d`, share of a reasonable overrun the payer bears (分担), in [0, 1].
    net_of_threshold : bool, default False
        If True the consortium shares only the savings beyond the MSR, which makes the
        settlement continuous; if False (MODEL.md §6, as in Medicare's shared savings) it
        shares from the first yuan once the MSR is met, with a jump at the threshold.

    Raises
    ------
    ValueError
        Every value outside its range, all named in one message.

    Examples
    --------
    >>> from compensation import SettlementRule
    >>> SettlementRule(retention=0.8, cap=0.06).cap
    0.06
    """

    retention: float = 1.0
    min_savings_rate: float = 0.0
    cap: float = np.inf
    band: float = 0.05
    payer_share: float = 0.5
    net_of_threshold: bool = False

    def __post_init__(self) -> None:
        errors = [
            domain_error("retention", self.retention, "share"),
            domain_error("min_savings_rate", self.min_savings_rate, "share"),
            domain_error("band", self.band, "nonneg"),
            domain_error("payer_share", self.payer_share, "share"),
        ]
        if np.isnan(self.cap) or self.cap < 0:
            errors.append(f"cap must be ≥ 0 (share of the budget, inf for none); got {self.cap!r}")
        found = [e for e in errors if e]
        if found:
            raise ValueError("; ".join(found))


@dataclass(frozen=True)
class Settlement(Result):
    """Outcome of :func:`settle`, in 万元; arrays broadcast like the inputs.

    ``to_frame()`` gives one row per (broadcast) budget-spending pair (needs pandas).

    Attributes
    ----------
    balance : ndarray
        :math:`D = B - E`: positive surplus, negative overrun.
    consortium : ndarray
        The consortium's share of the balance: retained surplus (> 0) or borne overrun (< 0).
    payer : ndarray
        The payer's share, ``balance - consortium``.
    payer_outlay : ndarray
        What the payer pays in total: spending plus the consortium's share.
    """

    balance: NDArray[np.float64]
    consortium: NDArray[np.float64]
    payer: NDArray[np.float64]
    payer_outlay: NDArray[np.float64]


def settle(
    budget: ArrayLike,
    spending: ArrayLike,
    rule: SettlementRule | None = None,
    quality: ArrayLike = 1.0,
) -> Settlement:
    r"""Split the year-end balance of a bundled budget between consortium and payer.

    Parameters
    ----------
    budget : array_like
        :math:`B`, the prepaid budget (万元), > 0.
    spending : array_like
        :math:`E`, members' insured spending plus leakage to outside providers (万元), ≥ 0.
    rule : SettlementRule, optional
        Defaults to :class:`SettlementRule` () (full retention, no MSR, 5% band, half shared).
    quality : array_like, default 1
        :math:`q`, quality multiplier in [0, 1] applied to retained surpluses.

    Returns
    -------
    Settlement
        Balance and its split, in 万元, shaped like ``budget``, ``spending`` and ``quality``
        broadcast together.

    Raises
    ------
    ValueError
        ``budget`` not > 0, ``spending`` negative, ``quality`` outside [0, 1] (or any of them
        not finite), naming the first bad entry; shapes that do not broadcast together.
    TypeError
        An input that is not numeric.

    Notes
    -----
    With :math:`D = B - E`:

    .. math::

        \text{consortium} = \begin{cases}
        \min(r_s q D, \; cap_s B) & D \ge MSR \cdot B,\ D > 0 \\
        0 & 0 \le D < MSR \cdot B \\
        -(1 - r_d) |D| & 0 < -D \le \tau B \\
        -(1 - r_d) \tau B - (|D| - \tau B) & -D > \tau B
        \end{cases}

    (with ``net_of_threshold`` the first line uses :math:`D - MSR \cdot B`). Piecewise linear
    in :math:`E`, and continuous unless a first-dollar MSR is set.

    Examples
    --------
    >>> from compensation import settle
    >>> s = settle(1000.0, [900.0, 1030.0, 1100.0])
    >>> s.consortium.tolist(), s.payer.tolist()
    ([100.0, -15.0, -75.0], [0.0, -15.0, -25.0])
    >>> settle(1000.0, 900.0)
    Settlement(balance=100.0, consortium=100.0, payer=0.0, payer_outlay=1000.0)
    """
    rule = SettlementRule() if rule is None else rule
    B = check_domain("budget", budget, "positive", "万元")
    E = check_domain("spending", spending, "nonneg", "万元")
    q = check_domain("quality", quality, "share")
    D = B - E
    msr = rule.min_savings_rate * B
    shared = D - msr if rule.net_of_threshold else D
    kept = np.minimum(rule.retention * q * shared, rule.cap * B)
    surplus = np.where(msr <= D, kept, 0.0)
    over = -D
    within = -(1 - rule.payer_share) * over
    beyond = -(1 - rule.payer_share) * rule.band * B - (over - rule.band * B)
    overrun = np.where(over <= rule.band * B, within, beyond)
    consortium = np.where(D > 0, surplus, np.where(D < 0, overrun, 0.0))
    consortium = np.asarray(consortium, dtype=float)
    balance = np.asarray(np.broadcast_to(D, consortium.shape), dtype=float)
    return Settlement(
        balance,
        consortium,
        balance - consortium,
        np.asarray(np.broadcast_to(E, consortium.shape) + consortium),
    )


def retained_share(
    budget: ArrayLike,
    spending: ArrayLike,
    savings: ArrayLike = 0.0,
    rule: SettlementRule | None = None,
    quality: ArrayLike = 1.0,
) -> NDArray[np.float64]:
    r"""Share of the insurer's savings the consortium keeps under a settlement rule.

    This is the :math:`\psi` (``Parameters.retained_share``) that ties the bundled budget to
    the sinking game (MODEL.md §4, §6): moving visits to primary care lowers the spending
    :math:`E` charged to the budget, and the settlement decides how much of the saving the
    consortium keeps.

    Parameters
    ----------
    budget : array_like
        :math:`B`, the prepaid budget (万元), > 0.
    spending : array_like
        :math:`E`, spending without the saving (万元), ≥ 0.
    savings : array_like, default 0
        The saving :math:`\Delta E` (万元), ≥ 0 and ≤ ``spending``. With 0 the share is the
        marginal one (the right derivative as spending falls); otherwise the average share
        over the saving.
    rule : SettlementRule, optional
        Defaults to :class:`SettlementRule` ().
    quality : array_like, default 1
        :math:`q`, quality multiplier in [0, 1].

    Returns
    -------
    ndarray
        :math:`\psi` in [0, 1], shaped like the inputs broadcast together.

    Raises
    ------
    ValueError
        As :func:`settle`, and for ``savings`` negative or above ``spending``.

    Notes
    -----
    With :math:`D = B - E` the balance before the saving, the marginal share is

    .. math::

        \psi = \begin{cases}
        1 & -D > \tau B \text{ (beyond the band the consortium bears overruns in full)} \\
        1 - r_d & 0 < -D \le \tau B \\
        r_s q & D \ge MSR \cdot B \text{ and the cap does not bind} \\
        0 & \text{otherwise (below the MSR, or capped)}
        \end{cases}

    and the average share over a saving :math:`\Delta E > 0` is
    :math:`[\text{consortium}(E - \Delta E) - \text{consortium}(E)] / \Delta E` with the
    consortium's settlement of :func:`settle` (it includes the first-dollar jump at the MSR).

    Examples
    --------
    >>> from compensation.bundled.settlement import SettlementRule, retained_share
    >>> rule = SettlementRule(retention=0.8)
    >>> retained_share(1000.0, [900.0, 1030.0, 1100.0], rule=rule).tolist()
    [0.8, 0.5, 1.0]
    >>> float(retained_share(1000.0, 1030.0, savings=60.0, rule=rule))  # half in the band
    0.65
    """
    rule = SettlementRule() if rule is None else rule
    B = check_domain("budget", budget, "positive", "万元")
    E = check_domain("spending", spending, "nonneg", "万元")
    q = check_domain("quality", quality, "share")
    d_e = check_domain("savings", savings, "nonneg", "万元")
    if np.any(d_e > E):
        raise ValueError(f"savings must be ≤ spending (万元); got {np.max(d_e):g} > {np.min(E):g}")
    D = B - E
    over = -D
    msr = rule.min_savings_rate * B
    shared = D - msr if rule.net_of_threshold else D
    keeps = (msr <= D) & (rule.retention * q * shared < rule.cap * B)
    marginal = np.where(
        over > rule.band * B,
        1.0,
        np.where(over > 0, 1.0 - rule.payer_share, np.where(keeps, rule.retention * q, 0.0)),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        after = settle(B, E - d_e, rule, q).consortium
        average = (after - settle(B, E, rule, q).consortium) / np.where(d_e > 0, d_e, 1.0)
    return np.asarray(np.where(d_e > 0, average, marginal), dtype=float)
