"""The consortium's coalition values for any N (MODEL.md §10) and its big-boss test."""

import numpy as np
import pytest

from compensation import Parameters, coalition_values
from compensation.model.members import Members
from compensation.policy.allocation import allocate_sinking
from compensation.policy.consortium_game import consortium_game
from compensation.solvers.bigboss import big_boss
from compensation.solvers.function_game import coalition_matrix

P = Parameters(subsidy=0.2)
THREE = Members(
    name=["A", "B", "C"],
    visits=[120_000, 60_000, 20_000],
    travel_cost=[0.0, 0.02, 0.05],
    host_capacity=[800, 500, 600],
    readiness_cost=[2.0, 3.0, 0.5],
)


def brute(game, t, points=201):
    """max over a grid of allocations of the coalition's joint surplus (members may stay out)."""
    fn = game.function
    mem = [j for j in range(len(fn.ub)) if t[j + 1]]
    if not t[0] or not mem:
        return 0.0
    grids = np.meshgrid(*[np.linspace(0, fn.ub[j], points) for j in mem], indexing="ij")
    total = sum(grids)
    value = -fn._cost(total)
    for k, j in enumerate(mem):
        s = np.zeros((*grids[k].shape, len(fn.ub)))
        s[..., j] = grids[k]
        value = value + fn.term(s)[..., j]
    return float(np.where(total <= fn.capacity, value, -np.inf).max())


@pytest.mark.parametrize("capacity", [np.inf, 900.0, 300.0])
def test_values_against_brute_force_for_three_members(capacity):
    game = consortium_game(P, THREE, leader_capacity=capacity)
    t = coalition_matrix(np.arange(16), 4)
    values, bound = game.evaluate(t), game.function.bound(t)
    for row, v in zip(t, values):
        b = brute(game, row, 801 if row.sum() <= 3 else 61)
        # At least as good as any grid allocation, and no better than a fine grid's best
        # (801 points miss the optimum by ~1e-5 万元 here; 61 points for three members).
        assert v >= b - 1e-9
        if row.sum() <= 3:
            assert v <= b + 1e-3
    assert (values <= bound + 1e-9).all()
    assert (values[~t[:, 0]] == 0).all()


def test_grand_coalition_is_the_joint_allocation_of_allocate_sinking():
    members = THREE.replace(readiness_cost=[0.0, 0.0, 0.0])
    for capacity in (np.inf, 700.0):
        joint = allocate_sinking(P.replace(integration=1.0), members, leader_capacity=capacity)
        game = consortium_game(P, members, leader_capacity=capacity)
        assert game.grand == pytest.approx(joint.value, abs=1e-9)


def test_two_members_without_capacity_match_the_two_player_coalition_values():
    # Without a shared capacity and with one member's sinking only, both models agree.
    members = Members(name=["A", "B"], visits=[200_000, 120_000])
    game = consortium_game(P, members, leader_capacity=600.0)
    old = coalition_values([P, P.replace(visits=120_000)], capacity=600.0)
    for t in [(0, 1), (0, 2)]:
        assert game.value(t) == pytest.approx(old.value(t), abs=1e-3)


def test_big_boss_exact_for_small_and_sampled_for_large_consortia():
    small = big_boss(consortium_game(P, THREE.replace(readiness_cost=0.0), leader_capacity=700))
    assert small.holds and small.checked == "exact" and small.coalitions == 16
    assert small.nucleolus[1:] == pytest.approx(small.marginal[1:] / 2)
    rng = np.random.default_rng(0)
    n = 30
    many = Members(
        name=[f"clinic {j}" for j in range(n)],
        visits=rng.uniform(3_000, 20_000, n),
        travel_cost=rng.uniform(0, 0.05, n),
        host_capacity=rng.uniform(50, 200, n),
        readiness_cost=0.0,
    )
    game = consortium_game(P, many, leader_capacity=2_000)
    r = big_boss(game, samples=2_000, rng=1)
    assert r.holds and r.checked == "sampled" and r.coalitions == 2_000
    # M_j = v(N) - v(N \ j), the most member j can get in the core.
    drop = ~np.eye(n + 1, dtype=bool)[1:]
    assert r.marginal[1:] == pytest.approx(game.grand - game.evaluate(drop), abs=1e-12)
    assert (r.nucleolus[1:] >= 0).all() and r.nucleolus.sum() == pytest.approx(game.grand)


def test_readiness_costs_break_monotonicity_of_the_heuristic_values_and_big_boss_says_so():
    # With a readiness cost (a jump at zero) the greedy fill is a heuristic: the test reports
    # a violation rather than hiding it.
    rng = np.random.default_rng(0)
    n = 300
    many = Members(
        name=[f"m{j}" for j in range(n)],
        visits=rng.uniform(2_000, 20_000, n),
        travel_cost=rng.uniform(0, 0.05, n),
        host_capacity=rng.uniform(50, 200, n),
        readiness_cost=rng.uniform(0, 0.5, n),
    )
    r = big_boss(consortium_game(P, many, leader_capacity=8_000), samples=4_000, rng=0)
    assert not r.holds and r.violation.startswith("monotone") and r.worst > 0


def test_bad_input():
    with pytest.raises(ValueError, match="leader_capacity must be ≥ 0"):
        consortium_game(P, THREE, leader_capacity=-1.0)
    with pytest.raises(ValueError, match="grid must be an integer ≥ 9"):
        consortium_game(P, THREE, grid=3)
    with pytest.raises(TypeError, match="members must be a Members table"):
        consortium_game(P, [P, P])
