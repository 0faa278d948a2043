"""Luzhou's "1+1+N" contract over five years: management fee and dispatched-staff pay.

Run:  python examples/luzhou_contract.py
The university hospital leads technically (领办), the district hospital administratively
(牵头). The management fee is free in year 1, half in year 2 and full from year 3, each year
scaled by the city's assessment; dispatched staff are paid at the leader's level (full-time) or
by days on site × daily rate by title × the two-way evaluation score (part-time). The 江南
group reports 15 managers dispatched in 2025 (source 003); rates and benefits below are
illustrative (万元).
"""

from compensation import ContractSchedule

contract = ContractSchedule(
    management_fee=300.0,
    fee_phase_in=(0.0, 0.5, 1.0),
    full_time_staff=15,
    leader_salary=28.0,
    part_time_days={"chief physician": 120, "associate chief": 240, "attending": 480},
    daily_rates={"chief physician": 0.30, "associate chief": 0.22, "attending": 0.15},
)
assessment = [1.0, 1.0, 0.85, 1.0, 0.95]  # the city's yearly assessment factor
evaluation = [0.92, 0.95, 0.97, 0.98, 0.98]  # two-way evaluation of dispatched staff
flows = contract.cash_flows(
    years=5,
    assessment=assessment,
    evaluation=evaluation,
    discount_rate=0.03,
    leader_cost=[560, 560, 570, 580, 590],  # the leader's cost of sending the staff
    primary_benefit=[600, 700, 850, 950, 1000],  # the group's gain from the cooperation
)
print(f"{'year':>4} {'assessment':>11} {'fee':>8} {'staff pay':>10} {'transfer':>9}")
for t in range(5):
    print(
        f"{t + 1:>4} {assessment[t]:>11.2f} {flows.management_fee[t]:>8.1f} "
        f"{flows.staff_pay[t]:>10.1f} {flows.transfer[t]:>9.1f}"
    )
print(f"\npresent value of transfers at 3%: {flows.present_value:,.1f} 万元")
print(
    f"leader's net present value: {flows.leader_net_pv:+,.1f} "
    f"(participates: {flows.leader_participates})"
)
print(
    f"members' net present value: {flows.primary_net_pv:+,.1f} "
    f"(participate: {flows.primary_participates})"
)
