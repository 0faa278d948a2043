"""Sweeps: a 10**6-point grid of thresholds and equilibria on the numpy backend, and the
processes backend against point-by-point numpy on a function that does not vectorise.
"""

import argparse
import os
import time

import numpy as np

from compensation import (
    Parameters,
    optimal_subsidy,
    sinking_matrices,
    solve_2x2,
    sweep,
    threshold_subsidy,
)

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()


def thresholds_and_equilibria(p):
    sol = solve_2x2(*sinking_matrices(p))
    return np.stack([threshold_subsidy(p), sol.pure[..., 0, 0]], axis=-1)


def numeric_design(p):  # a Stackelberg design with a non-linear flow: one scalar search
    return float(optimal_subsidy(p, "government-led").subsidy)


if __name__ == "__main__":
    side = 100 if args.quick else 1000
    grid = {"price": np.linspace(-0.1, 0.3, side), "subsidy": np.linspace(0, 0.4, side)}
    t0 = time.perf_counter()
    r = sweep(thresholds_and_equilibria, grid)
    t_vec = time.perf_counter() - t0
    print(
        f"numpy backend, {side * side:,} points (threshold subsidy + equilibria): "
        f"{t_vec:.3f} s; vectorised: {r.vectorised}"
    )
    if not args.quick:
        assert t_vec < 2.0, "target: under 2 s"

    n = 8 if args.quick else 40
    slow = {"social_benefit": np.linspace(0.1, 0.5, n)}
    base = Parameters(flow="saturating", leader_margin=0.003)
    t0 = time.perf_counter()
    a = sweep(numeric_design, slow, base=base, backend="numpy")
    t_np = time.perf_counter() - t0
    t0 = time.perf_counter()
    b = sweep(numeric_design, slow, base=base, backend="processes", chunk_size=1)
    t_pr = time.perf_counter() - t0
    assert np.allclose(a.values, b.values)
    print(
        f"non-vectorisable design over {n} points: numpy (one point at a time) {t_np:.2f} s, "
        f"processes ({os.cpu_count()} cores) {t_pr:.2f} s, ratio {t_np / t_pr:.2f}x"
    )
