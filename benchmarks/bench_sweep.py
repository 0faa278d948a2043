"""Payoffs, thresholds and equilibria over 10**6 parameter points, against a Python loop."""

import argparse
import time

import numpy as np

from compensation import (
    Parameters,
    acceptable_prices,
    payoffs,
    sinking_matrices,
    solve_2x2,
    threshold_subsidy,
)

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
n, n_loop = (10_000, 200) if args.quick else (1_000_000, 2_000)

rng = np.random.default_rng(7)
prices = rng.uniform(-0.1, 0.3, n)
subsidies = rng.uniform(0.0, 0.4, n)

t0 = time.perf_counter()
p = Parameters(price=prices, subsidy=subsidies)
r = payoffs(p, p.sinking_level, 1.0)
g = threshold_subsidy(p)
iv = acceptable_prices(p)
t_ours = time.perf_counter() - t0
sol = solve_2x2(*sinking_matrices(p))
t_eq = time.perf_counter() - t0

t0 = time.perf_counter()
for k in range(n_loop):
    q = Parameters(price=prices[k], subsidy=subsidies[k])
    rk = payoffs(q, q.sinking_level, 1.0)
    gk = threshold_subsidy(q)
    assert rk.leader == r.leader[k] and gk == g[k]
t_loop = (time.perf_counter() - t0) / n_loop * n

print(f"validate + payoffs + threshold subsidy + price interval, {n:,} points: {t_ours:.3f} s")
print(f"  ... plus every equilibrium of the {n:,} sinking games: {t_eq:.3f} s in all")
print(f"the same point by point in a Python loop, extrapolated: {t_loop:.1f} s")
print(f"ratio: {t_loop / t_ours:,.0f}x; (Sink, Active) at {sol.pure[:, 0, 0].mean():.1%} of points")
if not args.quick:
    assert t_ours < 1.0, "target: under 1 s for 10**6 points"
