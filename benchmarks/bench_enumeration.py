"""Every equilibrium of k×k games: compensation against every peer, in one run.

Peers: QuantEcon's ``vertex_enumeration`` (qhull on both polytopes) and
``support_enumeration`` (numba), pygambit's ``enummixed`` (exact, complete), nashpy's
support enumeration. Random normal games (nondegenerate) and integer games with payoffs in
{0, 1, 2} (degenerate) of each size. Each peer's time is divided by ours (ratio > 1: we are
faster) and the equilibria it missed are counted against ours, which are checked by regret
and, up to 7×7, against the exhaustive ``method="bases"`` oracle. Slow peers are run only
up to the size where one game takes seconds; missing peers are skipped with a note.
"""

import argparse
import time
import warnings

import numpy as np

from compensation.solvers.equilibria import nash_equilibria

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
sizes = [4, 6, 8] if args.quick else [10, 12, 14, 16]
games_per_size = 1 if args.quick else 2
# Largest k each peer is run at (beyond it one game takes minutes).
limit = {"qe-vertex": 16, "qe-support": 10, "gambit": 10, "nashpy": 6}


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def key(x, y):
    return (tuple(np.round(np.asarray(x, float), 7)), tuple(np.round(np.asarray(y, float), 7)))


def quantecon_solvers():
    try:
        import quantecon.game_theory as gt
    except ImportError:
        print("note: quantecon not installed (pip install quantecon): its columns are skipped")
        return {}

    def game(A, B):
        return gt.NormalFormGame([gt.Player(A), gt.Player(B.T)])

    out = {
        "qe-vertex": lambda A, B: gt.vertex_enumeration(game(A, B)),
        "qe-support": lambda A, B: gt.support_enumeration(game(A, B)),
    }
    for solve in out.values():  # compile once, outside the timing
        solve(np.eye(2), np.eye(2))
    return out


def gambit_solver():
    try:
        import pygambit as gbt
    except ImportError:
        print("note: pygambit not installed (pip install pygambit): its column is skipped")
        return {}

    def solve(A, B):
        eqs = gbt.nash.enummixed_solve(gbt.Game.from_arrays(A, B), rational=False).equilibria
        players = lambda p: p.game.players  # noqa: E731
        return [
            (
                [float(v) for v in p.mixed_strategy(players(p)[0])],
                [float(v) for v in p.mixed_strategy(players(p)[1])],
            )
            for p in eqs
        ]

    return {"gambit": solve}


def nashpy_solver():
    import nashpy

    return {"nashpy": lambda A, B: list(nashpy.Game(A, B).support_enumeration())}


warnings.simplefilter("ignore", RuntimeWarning)  # nashpy warns on even counts
peers = {**quantecon_solvers(), **gambit_solver(), **nashpy_solver()}
rng = np.random.default_rng(10)
print(
    f"{'game':>10} {'k':>3} {'ours s':>8} {'#eq':>4} "
    + " ".join(f"{p + ' s':>13} {'miss':>4}" for p in peers)
)
totals: dict[tuple[str, str, int], float] = {}
missed: dict[str, int] = {p: 0 for p in peers}
for kind in ("random", "integer"):
    for k in sizes:
        for _ in range(games_per_size):
            if kind == "random":
                A, B = rng.standard_normal((k, k)), rng.standard_normal((k, k))
            else:
                A, B = (rng.integers(0, 3, (k, k)).astype(float) for _ in range(2))
            eq, t = timed(lambda: nash_equilibria(A, B))
            assert eq.max_regret() < 1e-9
            if k <= 7:
                oracle = nash_equilibria(A, B, method="bases")
                assert {key(*e) for e in oracle.equilibria} == {key(*e) for e in eq.equilibria}
            ours = {key(*e) for e in eq.equilibria}
            totals["ours", kind, k] = totals.get(("ours", kind, k), 0.0) + t
            row = f"{kind:>10} {k:>3} {t:8.3f} {len(eq):>4} "
            for name, solve in peers.items():
                if k > limit[name]:
                    row += f"{'-':>13} {'':>4} "
                    continue
                theirs, tp = timed(lambda solve=solve: solve(A, B))
                totals[name, kind, k] = totals.get((name, kind, k), 0.0) + tp
                miss = len(ours - {key(x, y) for x, y in theirs})
                missed[name] += miss
                row += f"{tp:13.3f} {miss:>4} "
            print(row, flush=True)
print()
for name in peers:
    for kind in ("random", "integer"):
        ratios = [
            f"k={k}: {totals[name, kind, k] / totals['ours', kind, k]:.2f}"
            for k in sizes
            if (name, kind, k) in totals
        ]
        if ratios:
            print(f"{name} time / ours ({kind}): ratio " + ", ".join(ratios))
    print(f"{name}: equilibria missed in all (extreme ones we found, it did not): {missed[name]}")
