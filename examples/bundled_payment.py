"""A county medical community (医共体) under a bundled budget: from budget to each cheque.

Run:  python examples/bundled_payment.py
One leading county hospital and four township health centres. The insurer prepays a
risk-adjusted capitation budget; at year end the balance is settled (结余留用、合理超支分担),
the retained surplus is split among the five members by Shapley value, nucleolus, and the
performance LP. All numbers are illustrative, in 万元 (10,000 CNY).
"""

import numpy as np

from compensation import (
    InfeasibleError,
    Parameters,
    SettlementRule,
    TUGame,
    capitation_budget,
    coalition_values,
    in_core,
    nucleolus,
    performance_scores,
    settle,
    shapley_value,
    split_surplus,
)

names = ["county hospital", "centre A", "centre B", "centre C", "centre D"]

# 1. Budget: enrollees by risk group (children/adults, chronic patients, elderly).
budget = float(
    capitation_budget(
        risk_scores=[0.6, 1.0, 1.8, 2.4], rates=0.035, enrollees=[60_000, 150_000, 40_000, 30_000]
    )
)
print(f"1. Capitation budget: {budget:,.0f} 万元")

# 2. Settlement under three spending scenarios.
rule = SettlementRule(retention=0.8, min_savings_rate=0.01, cap=0.06, band=0.05, payer_share=0.5)
scenarios = {"good year": 0.93, "on budget": 1.0, "bad year": 1.08}
spending = np.array(list(scenarios.values())) * budget
s = settle(budget, spending, rule, quality=0.95)
print("\n2. Settlement (retention 80% × quality 0.95, MSR 1%, cap 6%, band 5%, payer 50%)")
for k, name in enumerate(scenarios):
    print(
        f"   {name:10} spending {spending[k]:9,.0f}  balance {s.balance[k]:+8,.0f}  "
        f"consortium {s.consortium[k]:+8,.1f}  payer {s.payer[k]:+8,.1f}"
    )
surplus = float(s.consortium[0])

# 3. Performance scores: chronic-disease control rate, average length of stay (days),
# satisfaction, down-referral rate.
indicators = [
    [0.78, 8.1, 0.90, 0.05],
    [0.66, 6.0, 0.88, 0.30],
    [0.72, 5.5, 0.93, 0.42],
    [0.58, 7.2, 0.81, 0.18],
    [0.63, 6.4, 0.86, 0.25],
]
ps = performance_scores(
    indicators,
    ["higher", "lower", "higher", "higher"],
    floors=[0.5, 10.0, 0.7, 0.0],
    targets=[0.8, 5.0, 0.95, 0.4],
    weights=[0.35, 0.2, 0.2, 0.25],
    names=["control rate", "length of stay", "satisfaction", "referrals"],
)
print("\n3. Performance scores:", ", ".join(f"{n} {v:.2f}" for n, v in zip(names, ps.scores)))

# 4. What each coalition could earn from sinking (the payoff model), scaled to the surplus.
centres = [Parameters(subsidy=0.2, visits=v) for v in (180_000, 220_000, 120_000, 150_000)]
game = coalition_values(centres, capacity=900, names=names)
scale = surplus / game.grand
game = TUGame(game.n, game.v * scale, names)
phi = shapley_value(game).values
nuc = nucleolus(game)
print(f"\n4. Splitting the retained surplus of {surplus:,.1f} 万元")
try:  # policy wish: the centres together get at least 40%
    split_surplus(
        surplus, ps.scores, game=game, names=names, group_floors={"centres": ([1, 2, 3, 4], 0.4)}
    )
except InfeasibleError as err:
    print("   40% for the centres is incompatible with the core; conflicting constraints:")
    for name in err.constraints:
        print(f"     - {name}")
lp = split_surplus(surplus, ps.scores, game=game, names=names)
print(f"   {'member':16}{'Shapley':>10}{'nucleolus':>11}{'perf. LP':>10}{'score target':>14}")
for j, n in enumerate(names):
    print(f"   {n:16}{phi[j]:10.1f}{nuc[j]:11.1f}{lp.shares[j]:10.1f}{lp.target[j]:14.1f}")
print(
    f"   in the core?    {in_core(game, phi)!s:>10}{in_core(game, nuc)!s:>11}"
    f"{in_core(game, lp.shares)!s:>10}"
)
print(f"   the LP's binding constraints: {', '.join(lp.binding) or 'none'}")
print("   The leading hospital holds the scarce doctor-days, so every coalition needs it; the")
print("   core gives it most of the surplus, and performance can only move the rest.")
