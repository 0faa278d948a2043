"""Share a county consortium's surplus year and overrun year among its members (MODEL.md §10-11).

The county of ``examples/data/county.csv`` (20 township health centres in five sub-districts,
ILLUSTRATIVE numbers, not measured data) and its county hospital (``county_leader.toml``).
The coalition game: what the hospital and any group of centres create together by sinking
doctors (万元/yr). Its split by five rules side by side, the consortium's retained surplus of a
good year and its share of an overrun in a bad year, and who would leave under which rule.

Run: ``python examples/county_surplus.py [--plot out.png]``.
"""

import argparse
import sys
from pathlib import Path

import numpy as np

from compensation import Parameters
from compensation.bundled.sharing import share_settlement
from compensation.model.members import Members
from compensation.policy.consortium_game import consortium_game
from compensation.solvers.bigboss import big_boss
from compensation.solvers.owen import owen_value
from compensation.solvers.shapley import shapley_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

parser = argparse.ArgumentParser()
parser.add_argument("--plot", help="save a bar chart of the shares to this PNG file")
args = parser.parse_args()

DATA = Path(__file__).parent / "data"
members = Members.from_csv(DATA / "county.csv")
leader = tomllib.loads((DATA / "county_leader.toml").read_text(encoding="utf-8"))
capacity = leader.pop("leader_capacity")
p = Parameters(**leader)
N = len(members)

# ----- the game and its solutions ------------------------------------------------------------
game = consortium_game(p, members, leader_capacity=capacity)
boss = big_boss(game, samples=20_000, rng=1)
print(f"v(N) = {game.grand:.1f} 万元/yr from {N} centres; {boss.message}")

phi = shapley_value(game, samples=21 * 2 * 200, rng=7)  # 200 stratified, antithetic blocks
groups = sorted(set(members.group.tolist()))
unions = [[0]] + [[1 + j for j in np.flatnonzero(members.group == g)] for g in groups]
owen = owen_value(game, unions, method="sample", samples=20_000, rng=7)
visits = np.asarray(members.visits)

# Each rule's shares of the cooperative value, as fractions of v(N).
rules = {
    "Shapley": phi.values,
    "nucleolus": boss.nucleolus,
    "Owen": owen.values,
}
print(
    f"\nshares of v(N) (万元/yr); sampled values ± one standard error "
    f"(Shapley largest {phi.standard_error.max():.2f}, Owen {owen.standard_error.max():.2f})"
)
print(f"{'player':<16}{'M_j':>8}{'Shapley':>16}{'nucleolus':>11}{'Owen':>16}")
for i, name in enumerate(game.names[:8]):
    print(
        f"{name:<16}{boss.marginal[i]:>8.2f}{phi.values[i]:>9.2f} ± {phi.standard_error[i]:<4.2f}"
        f"{boss.nucleolus[i]:>11.2f}{owen.values[i]:>9.2f} ± {owen.standard_error[i]:<4.2f}"
    )
print(f"... {N - 7} more centres")

# ----- a surplus year and an overrun year -----------------------------------------------------
budget = 12_000.0  # 万元: the county's bundled insurance budget (illustrative)
weights = np.r_[0.5 * visits.sum(), visits]  # performance scores: the hospital and catchments
claims = 0.05 * budget * weights / weights.sum()  # each one's part of a 5% reasonable overrun
years = {"surplus year": 11_700.0, "overrun year": 12_150.0}
results = {}
for year, spending in years.items():
    by_scores = share_settlement(budget, spending, scores=weights, claims=claims,
                                 loss_rule="split", names=game.names)  # fmt: skip
    talmud = share_settlement(budget, spending, scores=weights, claims=claims,
                              loss_rule="talmud", names=game.names)  # fmt: skip
    amount = by_scores.amount
    table = {r: amount * x / game.grand for r, x in rules.items()}
    table["scores"] = by_scores.shares
    if amount < 0:
        table["Talmud"] = talmud.shares
    results[year] = table
    print(f"\n{year}: spending {spending:.0f} of {budget:.0f}; the consortium keeps {amount:+.1f}")
    # Participation: alone a centre gets 0 and bears nothing, so it leaves when its share of
    # the cooperative value plus its share of the settlement is negative. Game rules split
    # both; the scores and Talmud rows split the settlement only, the value by Shapley.
    for rule, shares in table.items():
        value = rules.get(rule, phi.values)
        leave = [game.names[i].split()[0] for i in np.flatnonzero(value[1:] + shares[1:] < 0) + 1]
        outside = int(((value[1:] < boss.core_lower[1:] - 1e-9)
                       | (value[1:] > boss.core_upper[1:] + 1e-9)).sum())  # fmt: skip
        core = f"; {outside} centres outside the core box" if rule in rules and outside else ""
        print(
            f"  {rule:<10} hospital {shares[0]:+7.1f}  centres {shares[1:].sum():+7.1f}  "
            f"would leave: {', '.join(leave) or 'none'}{core}"
        )

if args.plot:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 1, figsize=(11, 6), sharex=True)
    x = np.arange(N)
    for ax, (year, table) in zip(axes, results.items()):
        width = 0.8 / len(table)
        for k, (rule, shares) in enumerate(table.items()):
            ax.bar(x + k * width, shares[1:], width, label=rule)
        ax.set_title(f"{year}: each centre's share of the settlement (10k CNY)")
        ax.axhline(0, color="black", linewidth=0.5)
    axes[1].set_xticks(x + 0.4, [n.split()[0] for n in game.names[1:]], rotation=90)
    axes[0].legend(ncol=5, fontsize=8)
    fig.tight_layout()
    fig.savefig(args.plot, dpi=120)
    print(f"\nbar chart saved to {args.plot}")
