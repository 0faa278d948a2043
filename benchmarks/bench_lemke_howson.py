"""One equilibrium by Lemke–Howson: our two backends against QuantEcon's, in one run.

Ours compiled (``backend="numba"``), ours in numpy with BLAS rank-1 updates
(``backend="numpy"``) and QuantEcon's numba ``lemke_howson``, on random standard-normal
games and degenerate integer games (payoffs in {0, 1, 2}) of size k × k, the same starting
labels for all three, and on random games every starting label in turn ("all"; QuantEcon
called once per label; on degenerate games QuantEcon's path from some labels never ends,
counted separately). For each game: the pivots of each path (our two backends take the same path,
checked; on random games QuantEcon's too, checked; on degenerate games the two
lexicographic rules differ in their tolerances and may take other paths to other
equilibria), the times, the time per pivot and the ratios ours / QuantEcon (below 1: we are
faster). Times are CPU time (a busy machine's preemptions do not inflate it), the best of
several calls, the three alternated so that all see the same load; QuantEcon's game object
is built beforehand and both numba codes are warmed up. Every answer is checked: regret 0
up to rounding (QuantEcon's is printed). Last, the first call's cost in a fresh process:
compiling the kernel (an empty numba cache) and loading it from the cache.
"""

import argparse
import os
import subprocess
import sys
import tempfile
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
try:
    lemke_howson([[1.0]], [[1.0]], backend="numba")  # compiles or loads the kernel
    FAST = True
except ImportError:
    FAST = False

SIZES = args.sizes or ([10, 30] if args.quick else [30, 100, 200, 300])
REPS = 3 if args.quick else 9
ALL_UP_TO = 30  # every starting label up to this size (at 100: 436,000 pivots, 1-6 s a call)


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


def qe_solve(g, labels):
    for label in labels:
        gt.lemke_howson(g, init_pivot=label)


def row(A, B, kind, k, start):
    """Time one start (a label) or every label (None); print a line, return the ratios."""
    every = start is None
    label = 0 if every else start
    kw = {"init_label": label, "all_labels": every}
    base = lemke_howson(A, B, backend="numpy", **kw)
    backends = ["numba", "numpy"] if FAST else ["numpy"]
    if FAST:
        fast = lemke_howson(A, B, backend="numba", **kw)
        assert fast.iterations == base.iterations, (kind, k, start)
        assert len(fast.equilibria) == len(base.equilibria)
        for (x, y), (u, v) in zip(fast.equilibria, base.equilibria):
            assert np.abs(x - u).max() <= 1e-12 and np.abs(y - v).max() <= 1e-12
    assert base.regret < 1e-9, (kind, k, start, base.regret)
    labels = range(2 * k) if every else [start]
    fns = [lambda b=b: lemke_howson(A, B, backend=b, **kw) for b in backends]
    qits, qe_regret = 0, float("nan")
    if gt is not None:
        g = gt.NormalFormGame([gt.Player(A), gt.Player(B.T)])
        for lab in labels:
            (x, y), info = gt.lemke_howson(g, init_pivot=lab, full_output=True)  # warm-up
            qits += info.num_iter
            if lab == label:
                qe_regret = regret(A, B, x, y)
                if kind == "random":  # one path: the same pivots and equilibrium
                    assert info.num_iter == base.iterations, (kind, k, lab, info.num_iter)
                    assert np.allclose(x, base.x, atol=1e-9)
                    assert np.allclose(y, base.y, atol=1e-9)
        fns.append(lambda: qe_solve(g, labels))
    t0 = time.process_time()
    lemke_howson(A, B, backend=backends[0], **kw)
    reps = max(2, min(REPS, int(1.0 / max(time.process_time() - t0, 1e-9))))  # long paths
    times = best_times(fns, reps)
    its = base.iterations if not every else pivots_of_every_path(A, B)
    cells = {b: t for b, t in zip([*backends, "qe"], times)}
    out = [f"{kind:>10} {k:>4} {'all' if every else start:>5} {its:>7} "]
    out.append(f"{qits:>7} " if gt is not None else f"{'-':>7} ")
    for b in ("numba", "numpy", "qe"):
        t = cells.get(b)
        out.append(f"{t * 1e3:8.3f} " if t is not None else f"{'-':>8} ")
    for b in ("numba", "numpy", "qe"):
        t, n = cells.get(b), qits if b == "qe" else its
        out.append(f"{t / n * 1e6:7.2f} " if t is not None else f"{'-':>7} ")
    ratios = {}
    for b in ("numba", "numpy"):
        if b in cells and "qe" in cells:
            ratios[b] = cells[b] / cells["qe"]
            out.append(f"{ratios[b]:6.2f} ")
        else:
            out.append(f"{'-':>6} ")
    out.append(f"{qe_regret:9.1e}")
    print("".join(out), flush=True)
    return kind, ratios


def pivots_of_every_path(A, B):
    return sum(
        lemke_howson(A, B, init_label=k, backend="numpy").iterations for k in range(sum(A.shape))
    )


def cycled(A, B, k):
    """From how many labels QuantEcon's path does not end (10^5 pivots); ours always end."""
    g = gt.NormalFormGame([gt.Player(A), gt.Player(B.T)])
    bad = [
        lab
        for lab in range(2 * k)
        if not gt.lemke_howson(g, init_pivot=lab, max_iter=10**5, full_output=True)[1].converged
    ]
    ours = lemke_howson(A, B, all_labels=True)  # raises if a path does not end
    print(
        f"degenerate {k:>4}: QuantEcon's path does not end from {len(bad)} of {2 * k} labels "
        f"{bad[:8]}; ours end from all {2 * k} ({len(ours.equilibria)} equilibria)"
    )


FIRST_CALL = """
import time
t0 = time.perf_counter()
import numba
t1 = time.perf_counter()
import numpy as np
from compensation.solvers.lemke_howson import lemke_howson
A = np.random.default_rng(0).standard_normal((30, 30))
t2 = time.perf_counter()
lemke_howson(A, -A.T, backend="numba")
t3 = time.perf_counter()
lemke_howson(A, -A.T, backend="numba")
t4 = time.perf_counter()
print(t1 - t0, t3 - t2, t4 - t3)
"""


def first_call():
    """Seconds to import numba, for the first call and for the second, in a fresh process."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for what in ("compile (empty cache)", "load from the cache"):
            out = subprocess.run(
                [sys.executable, "-c", FIRST_CALL], env=env, capture_output=True, text=True
            )
            assert out.returncode == 0, out.stderr
            imp, first, second = map(float, out.stdout.split())
            print(
                f"first numba call, {what}: {first:.2f} s (import numba {imp:.2f} s, "
                f"next call {second * 1e3:.2f} ms)"
            )


if gt is None:
    print("note: quantecon not installed (pip install quantecon): no QuantEcon column")
if not FAST:
    print("note: numba not installed (pip install 'compensation[fast]'): numpy backend only")
print(
    f"{'game':>10} {'k':>4} {'label':>5} {'pivots':>7} {'QE piv':>7} {'numba ms':>8} "
    f"{'numpy ms':>8} {'QE ms':>8} {'nb us/p':>7} {'np us/p':>7} {'QE us/p':>7} "
    f"{'ratio nb':>6} {'ratio np':>6} {'QE regret':>9}"
)
worst: dict[tuple[str, str], float] = {}
for k in SIZES:
    for kind in ("random", "degenerate"):
        A, B = game(kind, k)
        every = k <= ALL_UP_TO and kind == "random"  # QuantEcon may cycle on degenerate games
        for start in [0, k + 1] + ([None] if every else []):
            kind_, ratios = row(A, B, kind, k, start)
            for b, r in ratios.items():
                worst[b, kind_] = max(worst.get((b, kind_), 0.0), r)
        if kind == "degenerate" and gt is not None and k <= 30:
            cycled(A, B, k)
for (b, kind), r in sorted(worst.items()):
    print(f"worst ratio ours ({b}) / QuantEcon on {kind} games: {r:.2f} (below 1: we are faster)")
if FAST and not args.quick:
    first_call()
