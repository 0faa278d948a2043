"""One equilibrium by Lemke–Howson: ours (numpy + BLAS) against QuantEcon's (numba), one run.

Random standard-normal games and degenerate integer games (payoffs in {0, 1, 2}) of size
k × k, the same starting labels for both. For each game: the pivots on each path (the same
path on random games, checked; on degenerate games the two lexicographic rules differ in
their tolerances and may take different paths to different equilibria), our time and
QuantEcon's, the time per pivot and the ratio ours / QuantEcon (below 1: we are faster).
Times are CPU time (a busy machine's preemptions do not inflate it), the best of several
calls, the two alternated so that both see the same load; QuantEcon's game object is built
beforehand and numba is warmed up. Both answers are checked: regret 0 up to rounding
(QuantEcon's regret is printed), and on random games the same equilibrium.
"""

import argparse
import time

import numpy as np

from compensation.solvers.equilibria import regret
from compensation.solvers.lemke_howson import lemke_howson

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--sizes", type=int, nargs="+", help="k of the k × k games")
args = parser.parse_args()

try:
    import quantecon.game_theory as gt
except ImportError:
    gt = None

SIZES = args.sizes or ([10, 30] if args.quick else [30, 100, 200])
REPS = 3 if args.quick else 15


def game(kind, k):
    rng = np.random.default_rng(k)
    if kind == "random":
        return rng.standard_normal((k, k)), rng.standard_normal((k, k))
    return rng.integers(0, 3, (k, k)).astype(float), rng.integers(0, 3, (k, k)).astype(float)


def best_times(fns, reps):
    times = [[] for _ in fns]
    for _ in range(reps):
        for t, fn in zip(times, fns):
            t0 = time.process_time()
            fn()
            t.append(time.process_time() - t0)
    return [min(t) for t in times]


if gt is None:
    print("note: quantecon not installed (pip install quantecon): ours only")
print(
    f"{'game':>10} {'k':>4} {'label':>5} {'pivots':>7} {'QE piv':>7} {'ours ms':>8} "
    f"{'QE ms':>8} {'ours us/piv':>11} {'QE us/piv':>9} {'ratio':>6} {'QE regret':>9}"
)
worst = 0.0
for k in SIZES:
    for kind in ("random", "degenerate"):
        A, B = game(kind, k)
        for label in (0, k + 1):
            res = lemke_howson(A, B, init_label=label)
            assert res.regret < 1e-9, (kind, k, label, res.regret)
            line = f"{kind:>10} {k:>4} {label:>5} {res.iterations:>7} "
            if gt is None:
                (t_ours,) = best_times([lambda: lemke_howson(A, B, init_label=label)], REPS)
                print(line + f"{t_ours * 1e3:8.2f} {'-':>8} {t_ours / res.iterations * 1e6:11.1f}")
                continue
            g = gt.NormalFormGame([gt.Player(A), gt.Player(B.T)])
            (x, y), info = gt.lemke_howson(g, init_pivot=label, full_output=True)  # numba warm-up
            if kind == "random":  # one path: the same pivots and equilibrium
                assert info.num_iter == res.iterations, (kind, k, label, info.num_iter)
                assert np.allclose(x, res.x, atol=1e-9) and np.allclose(y, res.y, atol=1e-9)
            qe_regret = regret(A, B, x, y)
            t_ours, t_qe = best_times(
                [
                    lambda: lemke_howson(A, B, init_label=label),
                    lambda: gt.lemke_howson(g, init_pivot=label),
                ],
                REPS,
            )
            worst = max(worst, t_ours / t_qe)
            its, qits = res.iterations, info.num_iter
            print(
                line + f"{qits:>7} {t_ours * 1e3:8.2f} {t_qe * 1e3:8.2f} "
                f"{t_ours / its * 1e6:11.1f} {t_qe / qits * 1e6:9.1f} {t_ours / t_qe:6.2f} "
                f"{qe_regret:9.1e}",
                flush=True,
            )
if gt is not None:
    print(f"worst ratio ours / QuantEcon: {worst:.2f} (below 1: we are faster)")
