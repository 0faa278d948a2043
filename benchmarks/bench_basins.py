"""Basin shares on a 100 × 100 grid of starts against a loop of solve_ivp calls.

The loop runs on a subset of starts and is extrapolated to the full grid; its verdicts are
compared with ours start by start on that subset.
"""

import argparse
import time

import numpy as np

from compensation import basin_shares, simulate_replicator

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
n_loop = 40 if args.quick else 400

games = {
    "coordination (saddle)": (np.array([[3, 0], [0, 2]]), np.array([[1, 0], [0, 3]])),
    "degenerate (RK4 path)": (np.array([[2, 1], [0, 1]]), np.array([[2, 0], [1, 0]])),
}
rng = np.random.default_rng(5)
for name, (A, B) in games.items():
    t0 = time.perf_counter()
    bs = basin_shares(A, B, grid=100)
    t_ours = time.perf_counter() - t0
    picks = rng.integers(0, 100, size=(n_loop, 2))
    t0 = time.perf_counter()
    disagree = 0
    for i, j in picks:
        end = simulate_replicator(A, B, (bs.grid[j], bs.grid[i]), [0, 150])[-1]
        hit = [k for k, pt in enumerate(bs.points) if np.allclose(end, pt, atol=1e-6)]
        disagree += bool(hit) and hit[0] != bs.labels[i, j]
    t_loop = (time.perf_counter() - t0) / n_loop * 100 * 100
    print(
        f"{name}: basin_shares on 100x100 in {t_ours:.3f} s; loop of solve_ivp "
        f"extrapolated {t_loop:.1f} s; ratio {t_loop / t_ours:,.0f}x; "
        f"disagreements on {n_loop} starts: {disagree}"
    )
    print(
        f"   shares {dict(zip(bs.points, bs.shares.round(4).tolist()))}, "
        f"unresolved {bs.unresolved:.4f}"
    )
    assert disagree == 0
    if not args.quick:
        assert t_ours < 1.0, "target: under 1 s"
