"""Every equilibrium of k×k games: compensation against every peer, in one run.

Peers: QuantEcon's ``vertex_enumeration`` (qhull on both polytopes, labels from qhull's
triangulated facets) and ``support_enumeration`` (numba), pygambit's ``enummixed`` (exact,
complete), nashpy's support enumeration. Random normal games (nondegenerate) and integer games
with payoffs in {0, 1, 2} (degenerate, tie-heavy) of each size. Every solver's time is the
median of several runs of each game (numba compiled beforehand); each peer's time is divided
by ours (ratio > 1: we are faster), and the extreme equilibria it missed are counted against
ours, which are checked by regret and, up to 7×7, against the exhaustive ``method="bases"``
oracle. Slow peers are run only up to the size where one game takes seconds; missing peers
are skipped with a note. ``--large`` adds k = 12, 14, 16 (one run each).
"""

import argparse
import statistics
import time
import warnings

import numpy as np

from compensation.solvers.equilibria import nash_equilibria

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--large", action="store_true", help="add k = 12, 14, 16")
args = parser.parse_args()
sizes = [3, 4] if args.quick else [3, 4, 6, 8, 10] + ([12, 14, 16] if args.large else [])
games_per_size = 1 if args.quick else 3
# Largest k each peer is run at (beyond it one game takes minutes).
limit = {"qe-vertex": 16, "qe-support": 10, "gambit": 10, "nashpy": 6}


def repeats(k):
    return 3 if args.quick else (9 if k <= 8 else 5 if k <= 10 else 1)


def timed(fn, runs):
    """Result, median wall time and median CPU time of ``runs`` calls (one if over 0.2 s).

    On a loaded machine a call longer than the scheduler's time slice waits for other
    processes, so its wall time grows more than a short call's: the CPU time of the calling
    thread (qhull and numba both run on it) is the fairer comparison there.
    """
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.thread_time()
        out = fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
        if wall[0] > 0.2:
            break
    return out, statistics.median(wall), statistics.median(cpu)


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
        solve(np.eye(3), np.eye(3))
    return out


def gambit_solver():
    try:
        import pygambit as gbt
    except ImportError:
        print("note: pygambit not installed (pip install pygambit): its column is skipped")
        return {}

    def solve(A, B):
        game = gbt.Game.from_arrays(A, B)
        eqs = gbt.nash.enummixed_solve(game, rational=False).equilibria
        players = list(game.players)  # pygambit 16.7 indexes players by label, not position
        return [tuple([float(p[s]) for s in pl.strategies] for pl in players) for p in eqs]

    return {"gambit": solve}


def nashpy_solver():
    import nashpy

    return {"nashpy": lambda A, B: list(nashpy.Game(A, B).support_enumeration())}


warnings.simplefilter("ignore", RuntimeWarning)  # nashpy warns on even counts
peers = {**quantecon_solvers(), **gambit_solver(), **nashpy_solver()}
nash_equilibria(np.eye(3), np.eye(3))  # import scipy.spatial and fill caches outside timing
rng = np.random.default_rng(10)
print(
    f"{'game':>8} {'k':>3} {'ours ms':>9} {'#eq':>4} "
    + " ".join(f"{p + ' ms':>13} {'miss':>4}" for p in peers)
)
totals: dict[tuple[str, str, int], float] = {}
cpus: dict[tuple[str, str, int], float] = {}
missed: dict[tuple[str, str], int] = {}
for kind in ("random", "integer"):
    for k in sizes:
        for _ in range(games_per_size):
            if kind == "random":
                A, B = rng.standard_normal((k, k)), rng.standard_normal((k, k))
            else:
                A, B = (rng.integers(0, 3, (k, k)).astype(float) for _ in range(2))
            eq, t, c = timed(lambda: nash_equilibria(A, B), repeats(k))
            assert eq.max_regret() < 1e-9
            if k <= 7:
                oracle = nash_equilibria(A, B, method="bases")
                assert {key(*e) for e in oracle.equilibria} == {key(*e) for e in eq.equilibria}
            ours = {key(*e) for e in eq.equilibria}
            totals["ours", kind, k] = totals.get(("ours", kind, k), 0.0) + t
            cpus["ours", kind, k] = cpus.get(("ours", kind, k), 0.0) + c
            row = f"{kind:>8} {k:>3} {1e3 * t:9.3f} {len(eq):>4} "
            for name, solve in peers.items():
                if k > limit[name]:
                    row += f"{'-':>13} {'':>4} "
                    continue
                theirs, tp, cp = timed(lambda solve=solve: solve(A, B), repeats(k))
                totals[name, kind, k] = totals.get((name, kind, k), 0.0) + tp
                cpus[name, kind, k] = cpus.get((name, kind, k), 0.0) + cp
                miss = len(ours - {key(x, y) for x, y in theirs})
                missed[name, kind] = missed.get((name, kind), 0) + miss
                row += f"{1e3 * tp:13.3f} {miss:>4} "
            print(row, flush=True)
for label, table in (("wall", totals), ("CPU", cpus)):
    print()
    print(f"{label} time ratio, peer / ours (> 1: ours faster; sums of per-game medians):")
    for name in peers:
        for kind in ("random", "integer"):
            ratios = [
                f"k={k}: {table[name, kind, k] / table['ours', kind, k]:.2f}"
                for k in sizes
                if (name, kind, k) in table
            ]
            if ratios:
                print(f"  {name} ({kind}): ratio " + ", ".join(ratios))
print("extreme equilibria each peer missed (found by ours, not by it):")
for (name, kind), count in missed.items():
    print(f"  {name} ({kind}): {count}")
