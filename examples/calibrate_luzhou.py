"""Fit the patient-flow model to the Luzhou medical group's 2025 figures (SEEDS.md, paper 003).

Run:  python examples/calibrate_luzhou.py
Observed: 88,880 outpatient down-referrals (+9.8% on 2024) and 7,757 inpatient down-referrals
(+12.7%). What we must assume: the catchment's in-scope visits and the doctor-days sunk in both
years (the paper reports 15 managers dispatched, not doctor-days): both are illustrative here,
so the estimates are only as good as those assumptions.
"""

import warnings

from compensation import (
    NotIdentifiedWarning,
    Parameters,
    calibrate,
    down_referrals,
    referral_growth,
)

sinking_2025, sinking_2024 = 3300.0, 2900.0  # doctor-days on site (assumed, +13.8%)
base = Parameters(
    flow="saturating",
    visits=2_000_000,
    common_share=0.7,
    max_sinking=6000,
    sinking_level=sinking_2025,
)
moments = {"referrals": down_referrals, "growth": referral_growth(sinking_2024)}

print("Outpatient: 88,880 down-referrals, +9.8%")
out = calibrate(
    base,
    moments,
    {"referrals": 88_880, "growth": 0.098},
    free={"max_shift": (0.01, 1.0), "half_sinking": (100, 50_000)},
)
for k, v in out.estimates.items():
    print(f"  {k:14} = {v:10.4f}")
print(f"  residuals: {out.residuals}")
print(
    "  Two moments, two parameters: exactly identified, so no standard errors without\n"
    "  known measurement errors. The growth rate, given the growth of sinking, pins the\n"
    "  curvature (half_sinking); the level then pins the cap (max_shift)."
)

print("\nInpatient: 7,757 down-referrals, +12.7% (a separate flow of inpatient stays)")
inpatient = base.replace(visits=120_000)
inp = calibrate(
    inpatient,
    moments,
    {"referrals": 7_757, "growth": 0.127},
    free={"max_shift": (0.01, 1.0), "half_sinking": (100, 50_000)},
)
for k, v in inp.estimates.items():
    print(f"  {k:14} = {v:10.4f}")

print("\nWhat the data cannot tell: freeing common_share as well")
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", NotIdentifiedWarning)
    calibrate(
        base,
        moments,
        {"referrals": 88_880, "growth": 0.098},
        free={"max_shift": (0.01, 1.0), "half_sinking": (100, 50_000), "common_share": (0.3, 0.9)},
    )
for w in caught:
    if issubclass(w.category, NotIdentifiedWarning):
        print(f"  warning: {w.message}")
print(
    "  The level of referrals depends on common_share × visits × max_shift only through\n"
    "  their product: one more observable (say the primary-care share of visits) is needed.\n"
    "  The margins, costs and subsidies that decide whether sinking pays are not touched by\n"
    "  these counts at all: they need financial data."
)
