"""From a calibration's standard errors to an interval on the optimal subsidy, and beyond.

Run:  python examples/uncertainty.py [sobol.png]
1. Calibrate the flow's shift rate to observed down-referrals with a known measurement error.
2. Carry its uncertainty (and an expert range on society's benefit h) to the optimal subsidy:
   percentile and delta-method intervals side by side.
3. The acceptability curve: the probability that sinking pays at each subsidy.
4. A subsidy robust to the uncertainty, and what the point design loses.
5. Sobol indices of the optimal subsidy over plausible ranges (needs SALib), as bars when
   matplotlib is installed and a file name is given.
All draws are evaluated in one vectorised call: one Parameters with array fields.
"""

import sys
import time

import numpy as np

from compensation import Parameters, optimal_subsidy
from compensation.analysis.calibration import calibrate, down_referrals
from compensation.analysis.draws import draw_parameters
from compensation.analysis.uncertainty import propagate
from compensation.policy.acceptability import acceptability_curve
from compensation.policy.robust import robust_subsidy

base = Parameters()
# 8,900 down-referrals a year observed, with a standard error of 400 (a survey).
fit = calibrate(
    base,
    {"referrals": down_referrals},
    {"referrals": 8_900},
    free={"shift_rate": (1e-5, 1e-3)},
    weights={"referrals": 1 / 400},
    known_errors=True,
)
a, se = fit.estimates["shift_rate"], fit.standard_errors["shift_rate"]
print(f"1. shift_rate = {a:.4e} 1/dd (s.e. {se:.2e})")


def subsidy(p):
    return optimal_subsidy(p).subsidy


t0 = time.perf_counter()
r = propagate(fit, subsidy, draws=4000)
took = time.perf_counter() - t0
print(f"2. optimal subsidy {r.estimate:.4f} 万元/dd from the calibration alone ({took:.2f} s):")
print(
    f"   95% percentile [{r.low:.4f}, {r.high:.4f}], "
    f"delta method [{r.delta_low:.4f}, {r.delta_high:.4f}]"
)
# Society's benefit per doctor-day h is a judgement: add an expert's 0.2 ± 0.05 (s.d.).
source = ({"shift_rate": a, "social_benefit": 0.2}, np.diag([se**2, 0.05**2]))
r2 = propagate(source, subsidy, draws=4000)
print(
    f"   with h uncertain too: percentile [{r2.low:.4f}, {r2.high:.4f}], "
    f"delta [{r2.delta_low:.4f}, {r2.delta_high:.4f}]"
)

g = np.round(np.linspace(0.160, 0.176, 5), 3)
curve = acceptability_curve(source, g)
print("3. probability that sinking pays (Sink, Active an equilibrium) at each subsidy:")
for gi, pr in zip(curve.subsidy, curve.probability):
    print(f"   g = {gi:.3f}: {pr:6.1%}")

draws = draw_parameters(source, 2000, seed=1)
rob = robust_subsidy(draws, point=base.replace(shift_rate=a))
print(
    f"4. robust subsidy {rob.subsidy:.4f} vs point design {rob.point_subsidy:.4f} 万元/dd: "
    f"expected welfare {rob.expected_welfare:.2f} vs {rob.point_expected_welfare:.2f} 万元/yr "
    f"(the point design loses {rob.loss:.3f}); knowing the parameters would add "
    f"{rob.point_regret:.2f} to the point design"
)

try:
    from compensation.analysis.global_sensitivity import sobol_indices
except ImportError:  # pragma: no cover
    sys.exit(0)
# Ranges inside the closed form's domain (interior sinking below s_max): a point outside it
# is solved by the exact numeric search, about 30 ms each instead of microseconds.
ranges = {
    "shift_rate": (1.8e-4, 2.4e-4),
    "social_benefit": (0.1, 0.25),
    "cost_quadratic": (1.8e-4, 2.4e-4),
    "funds_cost": (0.15, 0.3),
}
try:
    t0 = time.perf_counter()
    s = sobol_indices(subsidy, ranges, n=512)
except ImportError:
    print("5. Sobol indices need SALib: pip install 'compensation[sensitivity]'")
    sys.exit(0)
print(
    f"5. Sobol indices of the optimal subsidy, {s.runs:,} runs in {time.perf_counter() - t0:.2f} s:"
)
for name, s1, st in zip(s.names, s.first, s.total):
    print(f"   {name:15} first {s1:5.2f}  total {st:5.2f}")
if len(sys.argv) > 1:
    from compensation.plotting import sobol_chart

    ax = sobol_chart(s)
    ax.set_title("optimal subsidy: Sobol indices")
    ax.figure.tight_layout()
    ax.figure.savefig(sys.argv[1], dpi=120)
    print(f"saved {sys.argv[1]}")
