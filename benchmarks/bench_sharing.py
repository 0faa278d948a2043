"""Sharing at county scale: big-boss nucleolus and sampled Shapley values (MODEL.md §10-11).

Targets (issue 9): the big-boss nucleolus for N = 300 in < 10 ms; at N = 16 against the LP
nucleolus and coopgame-py (ratio, max difference); the sampled Shapley value for N = 300 with
every standard error below 1% of the mean share in < 5 s, against the previous sampler
(rotations of one ordering as the position strata) and plain permutation sampling reaching the
same target; the consortium game's prefix chains against coalition rows; on the consortium's
own game, the time to the 1% target with the leader (a veto player) first in every ordering
against the old sampler's uniform orderings.
"""

import argparse
import time

import numpy as np
from _timing import best_of

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


def cpu_timed(fn):
    """Wall and CPU time of one call: the CPU time is what the call costs on an idle core."""
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


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
    r, t = best_of(lambda g=game: big_boss(g, samples=1), repeat=5)
    _, t_check = best_of(lambda g=game: big_boss(g, samples=2_000 if args.quick else 20_000, rng=1))
    print(
        f"big-boss nucleolus, {label}, N = {N}: {1e3 * t:.1f} ms (2N + 2 coalitions); "
        f"with the sampled condition check {t_check:.2f} s"
    )

# ----- N = 16: against the LP nucleolus and coopgame-py ---------------------------------------
n16 = 12 if args.quick else 16
table = TUGame(n16, capacity_game(n16, 3).table())
ours, t_ours = best_of(lambda: big_boss(table, samples=1).nucleolus, repeat=3)
lp, t_lp = best_of(lambda: np.asarray(nucleolus(table)))
print(
    f"n = {n16}: big-boss {1e3 * t_ours:.2f} ms vs LP nucleolus {t_lp:.3f} s: "
    f"ratio {t_lp / t_ours:.0f}x, max difference {np.abs(ours - lp).max():.1e}"
)
if coopgame is not None:
    theirs, t_cg = best_of(
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
ours, t_ours = best_of(lambda: shapley_value(game, samples=budget, tol=target, rng=1))
print(
    f"sampled Shapley, capacity game, n = {n}, target SE {target:.4f} (1% of the mean share): "
    f"{t_ours:.2f} s, {ours.samples} orderings, met={ours.success}, "
    f"largest SE {ours.standard_error.max():.4f}"
)
# The alternatives with as many orderings: the orderings each needs for the target grow with
# the square of its standard error, its time with them (the time ratio at equal accuracy).
blocks = max(2, ours.samples // (2 * n))
(used, se_rot), t_rot = best_of(lambda: rotation_sampler(game, blocks, 1))
need = (se_rot / target) ** 2 * used
print(
    f"  previous sampler (rotations + reverses), {used} orderings: {t_rot:.2f} s, largest SE "
    f"{se_rot:.4f}; it needs about {need:.2g} orderings for the target: "
    f"ratio {need / used * t_rot / t_ours:.1f}x in time"
)
plain, t_plain = best_of(lambda: shapley_value(game, samples=ours.samples, rng=1,
                                             antithetic=False, stratified=False))  # fmt: skip
need = (plain.standard_error.max() / target) ** 2 * plain.samples
print(
    f"  plain sampling, {plain.samples} orderings: {t_plain:.2f} s, largest SE "
    f"{plain.standard_error.max():.4f}; it needs about {need:.2g} orderings for the target: "
    f"ratio {need / plain.samples * t_plain / t_ours:.0f}x in time"
)
slow, t_slow = best_of(
    lambda: shapley_value(capacity_game(n, 5, chain=False), samples=20 * n, rng=1)
)
fast, t_fast = best_of(lambda: shapley_value(game, samples=20 * n, rng=1))
print(
    f"  prefix chains against n + 1 coalition rows per ordering ({20 * n} orderings): "
    f"{t_fast:.3f} s vs {t_slow:.3f} s: ratio {t_slow / t_fast:.0f}x"
)

cg = county(20 if args.quick else N)
perms = np.argsort(np.random.default_rng(0).random((2000, cg.n)), axis=1)
rows = np.arange(cg.n + 1)[None, :, None] > np.argsort(perms[:40], axis=1)[:, None, :]
chain, t_chain = best_of(lambda: cg.prefixes(perms))
direct, t_rows = best_of(lambda: cg.evaluate(rows.reshape(-1, cg.n)))
print(
    f"consortium game, N = {cg.n - 1}: prefix chains {2000 / t_chain:.0f} orderings/s against "
    f"coalition rows {40 / t_rows:.0f} orderings/s: ratio {2000 / t_chain / (40 / t_rows):.0f}x, "
    f"max difference {np.abs(chain[:40].ravel() - direct).max():.1e}"
)
# The leader is a veto player (a coalition without it is worth 0): the new design puts it first
# in every ordering and weights the members by (m + 1)/n; the old one draws uniform orderings.
share = cg.grand / cg.n
members_only = np.r_[np.inf, np.full(cg.n - 1, 0.01 * share)]  # the members' 1% target
budget = 40_000 if args.quick else 400_000
new, t_new, c_new = cpu_timed(
    lambda: shapley_value(cg, samples=budget, tol=members_only, rng=1, veto=0)
)
se = new.standard_error
print(
    f"sampled Shapley, consortium game, N = {cg.n - 1}, leader first (veto): members' SE below "
    f"1% of the mean share in {t_new:.2f} s wall, {c_new:.2f} s CPU ({new.samples} orderings, "
    f"met={new.success}, largest member SE {100 * se[1:].max() / share:.2f}%); the leader's SE "
    f"(by efficiency) {100 * se[0] / share:.2f}% of the mean share"
)
both, t_both, c_both = cpu_timed(
    lambda: shapley_value(cg, samples=budget, tol=0.01 * share, rng=2, veto=0)
)
print(
    f"  every player's SE, the leader's too, below 1%: {t_both:.2f} s wall, {c_both:.2f} s CPU "
    f"({both.samples} orderings, met={both.success})"
)
k = (8 if args.quick else 12) * 2 * cg.n
old, t_old, c_old = cpu_timed(lambda: shapley_value(cg, method="sample", samples=k, rng=1, veto=()))
se = old.standard_error
need = old.samples * (se[1:].max() / (0.01 * share)) ** 2
need_all = old.samples * (se.max() / (0.01 * share)) ** 2
print(
    f"  old sampler (uniform orderings), {old.samples} orderings in {t_old:.2f} s wall, "
    f"{c_old:.2f} s CPU: largest member SE {100 * se[1:].max() / share:.1f}% (about "
    f"{need:.2g} orderings, {need / old.samples * c_old:.0f} s CPU for the members' target: "
    f"ratio {need / old.samples * c_old / c_new:.0f}x in time), leader "
    f"{100 * se[0] / share:.1f}% (every player: about {need_all / old.samples * c_old:.0f} s "
    f"CPU, ratio {need_all / old.samples * c_old / c_both:.0f}x)"
)
# Members who add value only when few others have joined are rarely drawn right behind the
# leader in uniform orderings: the old sampler reports them at 0 ± 0, or from one or two draws
# with a standard error that is no guide (the largest gaps below are such members).
blind = (old.standard_error == 0) & (new.values > 3 * new.standard_error)
seen = (old.standard_error > 0) & (new.standard_error > 0)
gap = np.abs(new.values - old.values)[seen] / np.hypot(new.standard_error, old.standard_error)[seen]
print(
    f"  new against old values: largest gap {gap.max(initial=0.0):.1f} of their standard errors; "
    f"{blind.sum()} members the old sampler never saw contribute (0 ± 0) are worth up to "
    f"{100 * new.values[blind].max(initial=0.0) / share:.1f}% of the mean share"
)
print("total time printed above; ratios compare against the obvious alternative")
