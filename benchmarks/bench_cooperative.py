"""Shapley value and nucleolus against coopgame-py (Rust) and the obvious Python loops.

Targets: exact Shapley for n = 20 under 0.2 s; nucleolus for n = 16 under 2 s and n = 20 under
30 s, agreeing with coopgame-py to 1e-8. Also times one nucleolus LP round through pulp
(model building included) against scipy's HiGHS, the reason "auto" uses the latter.
"""

import argparse
import itertools
import math
import time

import numpy as np

from compensation import TUGame, nucleolus, shapley_value

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()

try:
    import coopgame
except ImportError:
    coopgame = None


def random_game(n, rng):
    pc = np.array([bin(t).count("1") for t in range(1 << n)])
    v = pc * (0.5 + rng.random(1 << n))
    v[0], v[-1] = 0.0, 1.6 * n
    return TUGame(n, v)


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


rng = np.random.default_rng(16)

# Shapley: ours (vectorised subset sums) vs a Python loop over orderings, extrapolated.
n_perm = 7 if args.quick else 8
g = random_game(n_perm, rng)


def by_orderings(game):
    phi = np.zeros(game.n)
    for order in itertools.permutations(range(game.n)):
        mask = 0
        for i in order:
            phi[i] += game.v[mask | (1 << i)] - game.v[mask]
            mask |= 1 << i
    return phi / math.factorial(game.n)


ref, t_perm = timed(lambda: by_orderings(g))
ours, t_ours = timed(lambda: shapley_value(g).values)
assert np.allclose(ours, ref)
print(
    f"Shapley n={n_perm}: ours {t_ours * 1e3:.2f} ms, loop over {math.factorial(n_perm):,} "
    f"orderings {t_perm:.2f} s, ratio {t_perm / t_ours:,.0f}x"
)

for n in [16] if args.quick else [16, 20]:
    g = random_game(n, rng)
    phi, t_s = timed(lambda g=g: shapley_value(g).values)
    x, t_n = timed(lambda g=g: nucleolus(g))
    line = f"n={n}: Shapley {t_s:.3f} s, nucleolus {t_n:.3f} s"
    if coopgame is not None:
        cg = coopgame.Game(list(g.v[1:]))
        y, t_c = timed(lambda cg=cg: np.array(coopgame.nucleolus(cg)["allocation"]))
        z, t_cs = timed(lambda cg=cg: np.array(coopgame.shapley(cg)))
        line += (
            f"; coopgame-py nucleolus {t_c:.3f} s (ours/theirs {t_n / t_c:.2f}), "
            f"max difference {np.abs(x - y).max():.1e}; coopgame-py Shapley {t_cs:.3f} s"
        )
        assert np.abs(x - y).max() < 1e-8
    else:
        line += "; coopgame-py not installed (pip install coopgame-py)"
    print(line)
    if not args.quick:
        assert t_s < 0.2 or n > 20
        assert t_n < (2.0 if n == 16 else 30.0)

# One least-core LP over all coalitions of n = 12, built through pulp vs handed to scipy.
n = 10 if args.quick else 12
g = random_game(n, rng)
rows = ((np.arange(1, (1 << n) - 1)[:, None] >> np.arange(n)) & 1).astype(float)
A = np.hstack([-rows, -np.ones((len(rows), 1))])
b = -g.v[1:-1]
eq = np.hstack([np.ones((1, n)), np.zeros((1, 1))])
c = np.zeros(n + 1)
c[-1] = 1
from compensation.solvers import _lp  # noqa: E402

bounds = [(None, None)] * (n + 1)
grand = np.array([g.grand])
r1, t1 = timed(
    lambda: _lp.solve(c, A_ub=A, b_ub=b, A_eq=eq, b_eq=grand, bounds=bounds, method="highs")
)
r2, t2 = timed(
    lambda: _lp.solve(c, A_ub=A, b_ub=b, A_eq=eq, b_eq=grand, bounds=bounds, method="pulp-cbc")
)
print(
    f"least-core LP with all {len(rows):,} coalition rows: scipy HiGHS {t1:.3f} s, "
    f"pulp + CBC (model building included) {t2:.3f} s, ratio {t2 / t1:.1f}x; "
    f"same epsilon: {abs(r1.fun - r2.fun) < 1e-6}"
)
