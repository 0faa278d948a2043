r"""Transfers fixed by contract before any surplus is split (MODEL.md §6).

Luzhou's "1+1+N" contract: a management fee free in year 1, 50% in year 2 and full from year 3,
each scaled by the city's assessment; dispatched staff paid at the leading hospital's level when
full-time, and by days on site × daily rate by title × two-way evaluation score when part-time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_domain

__all__ = ["ContractCashFlows", "ContractSchedule"]


@dataclass(frozen=True)
class ContractCashFlows(Result):
    """Yearly transfers from the members to the leading side, in 万元 (years 1..T).

    ``to_frame()`` gives one row per year, the totals repeated (needs pandas).

    Attributes
    ----------
    management_fee, staff_pay, transfer : ndarray, shape (T,)
        Fee, dispatched-staff pay and their sum per year.
    present_value : float
        Present value of ``transfer`` at the discount rate (end-of-year flows).
    leader_net_pv, primary_net_pv : float
        Present value of each side's net gain: transfers minus the leader's cost of dispatching,
        and the members' benefit minus transfers.
    leader_participates, primary_participates : bool
        Whether each side's net present value is ≥ 0 (participation constraint).
    """

    management_fee: NDArray[np.float64]
    staff_pay: NDArray[np.float64]
    transfer: NDArray[np.float64]
    present_value: float
    leader_net_pv: float
    primary_net_pv: float
    leader_participates: bool
    primary_participates: bool


@dataclass(frozen=True)
class ContractSchedule:
    r"""Management-fee and dispatched-staff terms of a consortium contract.

    Parameters
    ----------
    management_fee : float
        Full yearly management fee (万元), ≥ 0.
    fee_phase_in : tuple of float, default (0.0, 0.5, 1.0)
        Share of the full fee due in years 1, 2, 3, …; the last entry holds afterwards.
    full_time_staff : float, default 0
        Full-time dispatched staff (persons).
    leader_salary : float, default 0
        Their yearly pay at the leading hospital's level (万元 per person-year).
    part_time_days : mapping of str to float, optional
        Days on site per year by professional title (e.g. ``{"chief": 40}``).
    daily_rates : mapping of str to float, optional
        Pay per day on site by title (万元 per day).

    Raises
    ------
    ValueError
        A negative or non-finite amount, naming it and its unit; an empty ``fee_phase_in`` or
        one with a share outside [0, 1]; a title in ``part_time_days`` without a daily rate.

    Examples
    --------
    >>> from compensation import ContractSchedule
    >>> c = ContractSchedule(management_fee=100, full_time_staff=2, leader_salary=30,
    ...                      part_time_days={"chief": 40}, daily_rates={"chief": 0.3})
    >>> flows = c.cash_flows(years=4, assessment=[1, 1, 0.9, 1], evaluation=0.95)
    >>> flows.management_fee.tolist(), flows.staff_pay.round(2).tolist()
    ([0.0, 50.0, 90.0, 100.0], [71.4, 71.4, 71.4, 71.4])
    """

    management_fee: float
    fee_phase_in: tuple[float, ...] = (0.0, 0.5, 1.0)
    full_time_staff: float = 0.0
    leader_salary: float = 0.0
    part_time_days: Mapping[str, float] = field(default_factory=dict)
    daily_rates: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_domain("management_fee", self.management_fee, "nonneg", "万元/yr")
        phase = check_domain("fee_phase_in", self.fee_phase_in, "share")
        if phase.ndim != 1 or phase.size == 0:
            raise ValueError("fee_phase_in must be a non-empty sequence of shares in [0, 1]")
        check_domain("full_time_staff", self.full_time_staff, "nonneg", "persons")
        check_domain("leader_salary", self.leader_salary, "nonneg", "万元 per person-year")
        missing = set(self.part_time_days) - set(self.daily_rates)
        if missing:
            raise ValueError(f"daily_rates lacks a rate for title(s) {sorted(missing)}")
        for title, days in self.part_time_days.items():
            check_domain(f"part_time_days[{title!r}]", days, "nonneg", "days/yr")
        for title, rate in self.daily_rates.items():
            check_domain(f"daily_rates[{title!r}]", rate, "nonneg", "万元/day")

    def cash_flows(
        self,
        years: int = 5,
        *,
        assessment: ArrayLike = 1.0,
        evaluation: ArrayLike = 1.0,
        discount_rate: float = 0.03,
        leader_cost: ArrayLike = 0.0,
        primary_benefit: ArrayLike = 0.0,
    ) -> ContractCashFlows:
        r"""Yearly transfers, their present value and each side's participation check.

        Parameters
        ----------
        years : int, default 5
            Contract length :math:`T`.
        assessment : array_like, default 1
            City assessment factor per year in [0, 1] scaling the fee (scalar or length T).
        evaluation : array_like, default 1
            Two-way evaluation score per year in [0, 1] scaling part-time pay.
        discount_rate : float, default 0.03
            Yearly discount rate :math:`\rho` ≥ 0.
        leader_cost, primary_benefit : array_like, default 0
            The leader's yearly cost of dispatching staff and the members' yearly benefit
            (万元), ≥ 0, scalars or length T, for the participation checks.

        Returns
        -------
        ContractCashFlows
            Fee, staff pay and transfer per year (万元), their present value and each side's
            net present value and participation.

        Raises
        ------
        ValueError
            ``years`` not a whole number ≥ 1; ``assessment`` or ``evaluation`` outside
            [0, 1], a negative cost, benefit or ``discount_rate``, or a per-year input with
            neither one nor ``years`` entries.

        Notes
        -----
        .. math::

            F_t = F \cdot \text{phase}_t \cdot a_t, \qquad
            P_t = n_{ft} \cdot \text{salary} + e_t \sum_{\text{title}} d \cdot r, \qquad
            PV = \sum_{t=1}^{T} \frac{F_t + P_t}{(1 + \rho)^t}
        """
        if int(years) != years or years < 1:
            raise ValueError(f"years must be a whole number ≥ 1; got {years!r}")
        t = int(years)

        def per_year(name: str, value: ArrayLike, domain: str) -> NDArray[np.float64]:
            arr = check_domain(name, value, domain)
            if arr.ndim == 0:
                return np.full(t, float(arr))
            if arr.shape != (t,):
                raise ValueError(f"{name} must be a scalar or have {t} entries; got {arr.shape}")
            return arr

        a = per_year("assessment", assessment, "share")
        e = per_year("evaluation", evaluation, "share")
        cost = per_year("leader_cost", leader_cost, "nonneg")
        benefit = per_year("primary_benefit", primary_benefit, "nonneg")
        rho = float(check_domain("discount_rate", discount_rate, "nonneg"))
        phase = np.asarray(self.fee_phase_in, dtype=float)
        phase = np.concatenate([phase, np.full(max(t - phase.size, 0), phase[-1])])[:t]
        fee = self.management_fee * phase * a
        part_time = sum(self.part_time_days[k] * self.daily_rates[k] for k in self.part_time_days)
        staff = self.full_time_staff * self.leader_salary + e * part_time
        transfer = fee + staff
        disc = (1 + rho) ** -np.arange(1, t + 1)
        pv = float(transfer @ disc)
        leader = float((transfer - cost) @ disc)
        primary = float((benefit - transfer) @ disc)
        return ContractCashFlows(
            fee,
            np.asarray(staff, dtype=float),
            transfer,
            pv,
            leader,
            primary,
            leader >= 0,
            primary >= 0,
        )
