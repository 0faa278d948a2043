"""Every equilibrium of random k×k games: compensation against QuantEcon, pygambit and nashpy.

QuantEcon's support enumeration (numba) and nashpy's assume nondegenerate games; pygambit's
enummixed enumerates extreme equilibria like ours. Each peer's count is compared with ours.
"""

import argparse
import time
import warnings

import numpy as np

from compensation import nash_equilibria

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
sizes = [2, 3, 4, 5, 6] if args.quick else [2, 3, 4, 5, 6, 7, 8, 9, 10]
games_per_size = 3


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def quantecon_solver():
    try:
        import quantecon.game_theory as gt
    except ImportError:
        return None

    def solve(A, B):
        return gt.support_enumeration(gt.NormalFormGame([gt.Player(A), gt.Player(B.T)]))

    solve(np.eye(2), np.eye(2))  # compile once, outside the timing
    return solve


def gambit_solver():
    try:
        import pygambit as gbt
    except ImportError:
        return None

    def solve(A, B):
        game = gbt.Game.from_arrays(A, B)
        return gbt.nash.enummixed_solve(game, rational=False).equilibria

    return solve


def nashpy_solver():
    import nashpy

    return lambda A, B: list(nashpy.Game(A, B).support_enumeration())


warnings.simplefilter("ignore", RuntimeWarning)  # nashpy warns on even counts
peers = {"quantecon": quantecon_solver(), "pygambit": gambit_solver(), "nashpy": nashpy_solver()}
rng = np.random.default_rng(10)
print(
    f"{'k':>3} {'ours ms':>9} {'#eq':>4} "
    + " ".join(f"{name + ' ms':>14} {'#eq':>4}" for name in peers)
)
missing = {name: 0 for name in peers}
by_size: dict[tuple[str, int], float] = {}
for k in sizes:
    for _ in range(games_per_size):
        A = rng.standard_normal((k, k))
        B = rng.standard_normal((k, k))
        eq, t = timed(lambda: nash_equilibria(A, B))
        assert eq.max_regret() < 1e-9
        by_size["ours", k] = by_size.get(("ours", k), 0.0) + t
        row = f"{k:>3} {t * 1e3:9.1f} {len(eq):>4} "
        for name, solve in peers.items():
            if solve is None or (name == "nashpy" and k > (5 if args.quick else 7)):
                row += f"{'skipped':>14} {'':>4} "
                continue
            theirs, t_peer = timed(lambda solve=solve: solve(A, B))
            by_size[name, k] = by_size.get((name, k), 0.0) + t_peer
            missing[name] += max(0, len(eq) - len(theirs))
            row += f"{t_peer * 1e3:14.1f} {len(theirs):>4} "
        print(row)
for name in peers:
    ran = [k for k in sizes if (name, k) in by_size]
    if ran:
        k = max(ran)
        print(
            f"{name}: time / ours at k = {k}: {by_size[name, k] / by_size['ours', k]:.2f}; "
            f"equilibria it missed in all: {missing[name]}"
        )
