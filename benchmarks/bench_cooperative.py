"""Shapley value and nucleolus against coopgame-py (Rust) and the obvious Python loops.

Nucleolus and least core on five kinds of games (random superadditive, convex with a thin
least core, tie-heavy integer, weighted voting, empty core) at n = 16, 20, 22 against
coopgame-py on the same games: time ratio (ours / theirs, below 1 means faster), largest
difference of the allocations, peak memory of ours (tracemalloc). Also times one least-core LP
through pulp (model building included) against scipy's HiGHS, the reason "auto" avoids pulp.
"""

import argparse
import itertools
import math
import tracemalloc

import numpy as np
from _timing import best_of

from compensation import TUGame, least_core, nucleolus, shapley_value

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--sizes", type=int, nargs="+", help="player counts (default 16 20 22)")
parser.add_argument("--kinds", nargs="+", help="game kinds (default: all five)")
parser.add_argument("--only-cooperative", action="store_true", help="skip Shapley and the LP")
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


if not args.only_cooperative:
    ref, t_perm = best_of(lambda: by_orderings(g))
    ours, t_ours = best_of(lambda: shapley_value(g).values)
    assert np.allclose(ours, ref)
    print(
        f"Shapley n={n_perm}: ours {t_ours * 1e3:.2f} ms, loop over {math.factorial(n_perm):,} "
        f"orderings {t_perm:.2f} s, ratio {t_perm / t_ours:,.0f}x"
    )

# Nucleolus and least core by kind of game, against coopgame-py (Rust), on the same games.


def popcount(n):
    pc = np.zeros(1, dtype=np.int64)
    for _ in range(n):
        pc = np.concatenate([pc, pc + 1])
    return pc


def subset_sums(x):
    s = np.zeros(1)
    for xi in x:
        s = np.concatenate([s, s + xi])
    return s


def kind_game(kind, n, rng):
    pc = popcount(n)
    if kind == "superadditive":
        v = pc * (0.5 + rng.random(1 << n))
        v[-1] = 1.6 * n
    elif kind == "convex":  # (sum of weights)^2 plus small noise: a thin least core
        v = subset_sums(rng.random(n)) ** 2 + 1e-2 * rng.random(1 << n)
    elif kind == "ties":  # integer values: many exactly tied excesses
        v = (pc + rng.integers(0, 3, 1 << n)).astype(float)
        v[pc <= 1], v[-1] = 0.0, 1.5 * n + 3
    elif kind == "voting":  # weighted majority game
        s = subset_sums(rng.integers(1, 10, n))
        v = (s >= s[-1] / 2 + 0.5).astype(float)
    else:  # empty core: large coalitions worth more than the grand coalition can pay
        v = pc * (1 + 0.2 * rng.random(1 << n))
        v[pc <= 1], v[-1] = 0.0, 1.05 * n
    v[0] = 0.0
    return TUGame(n, v)


def peak_mb(fn):
    tracemalloc.start()
    out = fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, peak / 2**20


KINDS = args.kinds or ["superadditive", "convex", "ties", "voting", "empty core"]
worst = {"nucleolus": 0.0, "least core": 0.0}
if coopgame is None:
    print("note: coopgame-py not installed (pip install coopgame-py): ours only")
print(
    f"{'kind':>14} {'n':>3} {'ours s':>8} {'cg s':>8} {'ratio':>6} {'max diff':>9} "
    f"{'LC ours':>8} {'LC cg':>8} {'ratio':>6} {'peak MB':>8}"
)
for n in args.sizes or ([10, 12] if args.quick else [16, 20, 22]):
    for kind in KINDS:
        g = kind_game(kind, n, np.random.default_rng(n))
        x, t_n = best_of(lambda g=g: nucleolus(g).x)
        lc, t_l = best_of(lambda g=g: least_core(g))
        _, mb = peak_mb(lambda g=g: nucleolus(g))
        line = f"{kind:>14} {n:>3} {t_n:8.3f} "
        if coopgame is not None:
            cg = coopgame.Game(list(g.v[1:]))
            y, t_c = best_of(lambda cg=cg: np.array(coopgame.nucleolus(cg)["allocation"]))
            lc2, t_cl = best_of(lambda cg=cg: coopgame.least_core(cg))
            diff = np.abs(x - y).max()
            assert diff <= 1e-8, (kind, n, diff)
            assert abs(lc.epsilon - lc2["epsilon"]) <= 1e-8 * max(1.0, np.abs(g.v).max())
            worst["nucleolus"] = max(worst["nucleolus"], t_n / t_c)
            worst["least core"] = max(worst["least core"], t_l / t_cl)
            line += (
                f"{t_c:8.3f} {t_n / t_c:6.2f} {diff:9.1e} {t_l:8.3f} {t_cl:8.3f} {t_l / t_cl:6.2f}"
            )
        else:
            line += f"{'-':>8} {'-':>6} {'-':>9} {t_l:8.3f} {'-':>8} {'-':>6}"
        print(line + f" {mb:8.1f}", flush=True)
if coopgame is not None:
    print(
        f"worst ratio ours/coopgame-py: nucleolus {worst['nucleolus']:.2f}, "
        f"least core {worst['least core']:.2f} (below 1: we are faster)"
    )
if not (args.quick or args.only_cooperative):
    g = kind_game("convex", 24, np.random.default_rng(24))
    _, t24 = best_of(lambda: nucleolus(g))
    print(f"n=24 convex nucleolus: {t24:.1f} s (target < 60 s)")

if args.only_cooperative:
    raise SystemExit(0)
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
r1, t1 = best_of(
    lambda: _lp.solve(c, A_ub=A, b_ub=b, A_eq=eq, b_eq=grand, bounds=bounds, method="highs")
)
r2, t2 = best_of(
    lambda: _lp.solve(c, A_ub=A, b_ub=b, A_eq=eq, b_eq=grand, bounds=bounds, method="pulp-cbc")
)
print(
    f"least-core LP with all {len(rows):,} coalition rows: scipy HiGHS {t1:.3f} s, "
    f"pulp + CBC (model building included) {t2:.3f} s, ratio {t2 / t1:.1f}x; "
    f"same epsilon: {abs(r1.fun - r2.fun) < 1e-6}"
)
