"""Sharing at county scale: big-boss nucleolus and sampled Shapley values (MODEL.md §10-11).

Targets (issue 9): the big-boss nucleolus for N = 300 in < 10 ms; at N = 16 against the LP
nucleolus and coopgame-py (ratio, max difference); the sampled Shapley value for N = 300 with
every standard error below 1% of the mean share in < 5 s, against the previous sampler
(rotations of one ordering as the position strata) and plain permutation sampling reaching the
same target; the consortium game's prefix chains against coalition rows, and how far its
sampled values are from the target.
"""

import argparse
import time

import numpy as np

from compensation import Parameters, TUGame, nucleolus
from compensation.model.members import Members
from compensation.policy.consortium_game import consortium_game
from compensation.solvers.bigboss import big_boss
from compensation.solvers.function_game import FunctionGame
from compensation.solvers.shapley import shapley_value

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()

try:
    import coopgame
except ImportError:
    coopgame = None


def timed(fn, repeat=1):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def capacity_game(n, seed=0, chain=True):
    """A leader and n - 1 members whose weights share a capacity: a big-boss game.

    With ``chain`` the game also evaluates all prefixes of an ordering by running sums.
    """
    w = np.r_[0.0, np.random.default_rng(seed).uniform(1, 3, n - 1)]
    cap = 0.6 * w.sum()

    def prefix(perms):
        zero = np.zeros((len(perms), 1))
        total = np.concatenate([zero, np.cumsum(w[perms], axis=1)], axis=1)
        leader = np.arange(n + 1) > np.argmax(perms == 0, axis=1)[:, None]
        return np.where(leader, np.minimum(total, cap), 0.0)

    value = lambda t: np.where(t[:, 0], np.minimum(t @ w, cap), 0.0)  # noqa: E731
    return FunctionGame(n, value, prefix=prefix if chain else None)


def county(n, seed=0):
    rng = np.random.default_rng(seed)
    members = Members(
        name=[f"clinic {j}" for j in range(n)],
        visits=rng.uniform(3_000, 20_000, n),
        travel_cost=rng.uniform(0, 0.05, n),
        host_capacity=rng.uniform(50, 200, n),
        readiness_cost=0.0,
    )
    return consortium_game(Parameters(subsidy=0.2), members, leader_capacity=0.4 * 125 * n)


# ----- big-boss nucleolus at N = 300 ----------------------------------------------------------
N = 300
for label, game in (("capacity game", capacity_game(N + 1)), ("consortium game", county(N))):
    r, t = timed(lambda g=game: big_boss(g, samples=1), repeat=5)
    _, t_check = timed(lambda g=game: big_boss(g, samples=2_000 if args.quick else 20_000, rng=1))
    print(
        f"big-boss nucleolus, {label}, N = {N}: {1e3 * t:.1f} ms (2N + 2 coalitions); "
        f"with the sampled condition check {t_check:.2f} s"
    )

# ----- N = 16: against the LP nucleolus and coopgame-py ---------------------------------------
n16 = 12 if args.quick else 16
table = TUGame(n16, capacity_game(n16, 3).table())
ours, t_ours = timed(lambda: big_boss(table, samples=1).nucleolus, repeat=3)
lp, t_lp = timed(lambda: np.asarray(nucleolus(table)))
print(
    f"n = {n16}: big-boss {1e3 * t_ours:.2f} ms vs LP nucleolus {t_lp:.3f} s: "
    f"ratio {t_lp / t_ours:.0f}x, max difference {np.abs(ours - lp).max():.1e}"
)
if coopgame is not None:
    theirs, t_cg = timed(
        lambda: np.asarray(coopgame.nucleolus(coopgame.Game(list(table.v[1:])))["allocation"])
    )
    print(
        f"n = {n16}: coopgame-py nucleolus {t_cg:.3f} s: ratio {t_cg / t_ours:.0f}x, "
        f"max difference {np.abs(ours - theirs).max():.1e}"
    )


# ----- sampled Shapley at N = 300 to standard errors below 1% of the mean share --------------
def rotation_sampler(game, blocks, seed):
    """The previous design: a block is an ordering, its n rotations and their reverses."""
    m = game.n
    gen = np.random.default_rng(seed)
    base = np.argsort(gen.random((blocks, m)), axis=1)
    rot = base[:, (np.arange(m)[:, None] + np.arange(m)[None, :]) % m]
    perms = np.concatenate([rot, rot[:, :, ::-1]], axis=1).reshape(-1, m)
    marg = np.take_along_axis(np.diff(game.prefixes(perms), axis=1), np.argsort(perms, 1), 1)
    means = marg.reshape(blocks, 2 * m, m).mean(axis=1)
    return perms.shape[0], means.std(axis=0, ddof=1).max() / np.sqrt(blocks)


n = 60 if args.quick else N + 1
game = capacity_game(n, 5)
target = 0.01 * game.grand / n
budget = 200_000 if args.quick else 4_000_000
ours, t_ours = timed(lambda: shapley_value(game, samples=budget, tol=target, rng=1))
print(
    f"sampled Shapley, capacity game, n = {n}, target SE {target:.4f} (1% of the mean share): "
    f"{t_ours:.2f} s, {ours.samples} orderings, met={ours.success}, "
    f"largest SE {ours.standard_error.max():.4f}"
)
# The alternatives with as many orderings: the orderings each needs for the target grow with
# the square of its standard error, its time with them (the time ratio at equal accuracy).
blocks = max(2, ours.samples // (2 * n))
(used, se_rot), t_rot = timed(lambda: rotation_sampler(game, blocks, 1))
need = (se_rot / target) ** 2 * used
print(
    f"  previous sampler (rotations + reverses), {used} orderings: {t_rot:.2f} s, largest SE "
    f"{se_rot:.4f}; it needs about {need:.2g} orderings for the target: "
    f"ratio {need / used * t_rot / t_ours:.1f}x in time"
)
plain, t_plain = timed(lambda: shapley_value(game, samples=ours.samples, rng=1,
                                             antithetic=False, stratified=False))  # fmt: skip
need = (plain.standard_error.max() / target) ** 2 * plain.samples
print(
    f"  plain sampling, {plain.samples} orderings: {t_plain:.2f} s, largest SE "
    f"{plain.standard_error.max():.4f}; it needs about {need:.2g} orderings for the target: "
    f"ratio {need / plain.samples * t_plain / t_ours:.0f}x in time"
)
slow, t_slow = timed(lambda: shapley_value(capacity_game(n, 5, chain=False), samples=20 * n, rng=1))
fast, t_fast = timed(lambda: shapley_value(game, samples=20 * n, rng=1))
print(
    f"  prefix chains against n + 1 coalition rows per ordering ({20 * n} orderings): "
    f"{t_fast:.3f} s vs {t_slow:.3f} s: ratio {t_slow / t_fast:.0f}x"
)

cg = county(20 if args.quick else N)
perms = np.argsort(np.random.default_rng(0).random((2000, cg.n)), axis=1)
rows = np.arange(cg.n + 1)[None, :, None] > np.argsort(perms[:40], axis=1)[:, None, :]
chain, t_chain = timed(lambda: cg.prefixes(perms))
direct, t_rows = timed(lambda: cg.evaluate(rows.reshape(-1, cg.n)))
print(
    f"consortium game, N = {cg.n - 1}: prefix chains {2000 / t_chain:.0f} orderings/s against "
    f"coalition rows {40 / t_rows:.0f} orderings/s: ratio {2000 / t_chain / (40 / t_rows):.0f}x, "
    f"max difference {np.abs(chain[:40].ravel() - direct).max():.1e}"
)
k = (8 if args.quick else 12) * 2 * cg.n
est, t_est = timed(lambda: shapley_value(cg, method="sample", samples=k, rng=1))
share = cg.grand / cg.n
se = est.standard_error
print(
    f"sampled Shapley, consortium game, N = {cg.n - 1}: {est.samples} orderings in "
    f"{t_est:.2f} s; largest SE of the members {100 * se[1:].max() / share:.1f}% of the mean "
    f"share (target 1%: about {est.samples * (se[1:].max() / (0.01 * share)) ** 2:.2g} "
    f"orderings), of the leader {100 * se[0] / share:.1f}% (about "
    f"{est.samples * (se[0] / (0.01 * share)) ** 2:.2g} orderings)"
)
print("total time printed above; ratios compare against the obvious alternative")
