"""Exact coalition values of the consortium game at N = 300 (MODEL.md §10; issue 9).

Time per 1,000 coalitions: the greedy fill of the hull edges (the values before exactness,
a certified bound only) against the certified values (greedy fill, then branch and bound on
the coalitions whose part-way edge bridges a gap), in one run, for concave members (linear
flow, no readiness cost), for readiness costs (a jump at 0, the model's default) and for a
curved flow. Also: how many values the branch and bound changed and by how much, and the
prefix chains used by sampled Shapley values.
"""

import argparse

import numpy as np
from _timing import best_of

from compensation import Parameters
from compensation.model.members import Members
from compensation.policy.consortium_game import consortium_game

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()

N = 60 if args.quick else 300
K = 100 if args.quick else 1_000


def members(readiness, **fields):
    rng = np.random.default_rng(0)
    return Members(
        name=[f"clinic {j}" for j in range(N)],
        visits=rng.uniform(2_000, 20_000, N),
        travel_cost=rng.uniform(0, 0.05, N),
        host_capacity=rng.uniform(50, 200, N),
        readiness_cost=readiness * rng.uniform(0, 1, N),
        **fields,
    )


rng = np.random.default_rng(1)
rows = rng.random((K, N + 1)) < 0.5
rows[:, 0] = True
cases = {
    "concave (linear, no readiness)": (Parameters(subsidy=0.2), members(0.0)),
    "readiness costs (linear)": (Parameters(subsidy=0.2), members(0.5)),
    "readiness + flow caps (linear)": (
        Parameters(subsidy=0.4),
        members(2.0, shift_rate=rng.uniform(1e-3, 5e-3, N)),
    ),
    "curved (saturating, readiness)": (Parameters(subsidy=0.2, flow="saturating"), members(0.5)),
}
print(f"N = {N} members, {K} coalitions per call; machine shared (timings as ratios)")
print(f"{'case':34s} {'greedy ms':>10s} {'exact ms':>10s} {'ratio':>7s} "
      f"{'B&B rows':>8s} {'nodes':>7s} {'certified':>9s} {'max gain':>9s}")  # fmt: skip
for name, (p, m) in cases.items():
    fn = consortium_game(p, m, leader_capacity=0.4 * 125 * N).function
    (greedy, _, _), t_greedy = best_of(lambda fn=fn: fn._greedy(rows), repeat=2)
    r, t_exact = best_of(lambda fn=fn: fn.solve(rows), repeat=2)
    print(
        f"{name:34s} {1e3 * t_greedy * 1000 / K:10.1f} {1e3 * t_exact * 1000 / K:10.1f} "
        f"{t_exact / t_greedy:7.1f} {int((r.nodes > 0).sum()):8d} {int(r.nodes.sum()):7d} "
        f"{r.certified.mean():9.1%} {np.max(r.values - greedy):9.4f}"
    )
    if "curved" in name:
        print(f"{'':34s} curved: largest gap {r.gap.max():.2e} 万元 (grid excess, not search)")

# prefix chains (sampled Shapley): 20 orderings of N + 1 players
p, m = cases["readiness costs (linear)"]
game = consortium_game(p, m, leader_capacity=0.4 * 125 * N)
perms = np.argsort(rng.random((20, N + 1)), axis=1)
chain, t_chain = best_of(lambda: game.prefixes(perms), repeat=1)
quick = consortium_game(p, m, leader_capacity=0.4 * 125 * N, exact=False)
fast, t_fast = best_of(lambda: quick.prefixes(perms), repeat=2)
print(
    f"prefix chains, readiness costs, ms per ordering of {N + 1}: greedy {1e3 * t_fast / 20:.1f},"
    f" exact {1e3 * t_chain / 20:.1f}, ratio {t_chain / t_fast:.0f}; exact gains up to "
    f"{np.max(chain - fast):.4f} 万元"
)
print("ratio = exact time / greedy time (the price of certified values)")
