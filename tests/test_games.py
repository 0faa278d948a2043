import itertools

import nashpy
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation import (
    Parameters,
    advantages,
    evolutionary_game,
    grid_game,
    objectives,
    payoffs,
    replicator_rest_points,
    sinking_game,
    sinking_matrices,
    tripartite_game,
)

from .strategies import parameters


def test_sinking_game_entries_are_objectives():
    p = Parameters(subsidy=0.1, integration=0.3)
    game = sinking_game(p)
    assert isinstance(game, nashpy.Game)
    A, B = game.payoff_matrices
    for i, s in enumerate([p.sinking_level, 0.0]):
        for j, e in enumerate([1.0, 0.0]):
            r = payoffs(p, s, e)
            assert A[i, j] == pytest.approx(float(r.leader + 0.3 * r.primary), rel=1e-12)
            assert B[i, j] == pytest.approx(float(r.primary + 0.3 * r.leader), rel=1e-12)


def test_matrices_stack_over_arrays():
    p = Parameters(subsidy=np.linspace(0, 0.4, 7)[:, None], price=[0.0, 0.1])
    A, B = sinking_matrices(p)
    assert A.shape == B.shape == (7, 2, 2, 2)
    A1, *_ = sinking_game(Parameters(subsidy=p.subsidy[3, 0], price=0.1)).payoff_matrices
    assert np.allclose(A[3, 1], A1, rtol=1e-14)


def test_advantage_b0_is_readiness_net_of_subsidy():
    a = advantages(Parameters(readiness_cost=3.0, primary_subsidy=1.0))
    assert float(a.B0) == pytest.approx(-2.0)


def test_grid_game_rows_follow_levels():
    p = Parameters(subsidy=0.3)
    A, _ = grid_game(p, [0, 300]).payoff_matrices
    A2, _ = sinking_game(p).payoff_matrices
    assert np.allclose(A[::-1], A2)


def test_bad_input():
    with pytest.raises(ValueError, match="needs scalar parameters"):
        sinking_game(Parameters(subsidy=[0.0, 0.1]))
    with pytest.raises(ValueError, match="sinking_levels must be ≤ max_sinking"):
        grid_game(Parameters(), [0, 5000])
    with pytest.raises(ValueError, match="sinking_levels must be finite and ≥ 0"):
        grid_game(Parameters(), [0, -5])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        grid_game(Parameters(), [])


@given(parameters(bundled=True), st.floats(0, 0.4), st.floats(0, 5))
def test_tripartite_advantages_are_payoff_differences(p, g, g_p):
    # Issue 14: with a conditional subsidy (paid only while primary care is active) and the
    # retained savings of a bundled budget, every corner's advantage is a difference of the
    # objectives of MODEL.md §4 with the subsidies paid when the government regulates.
    p = p.replace(subsidy=g, primary_subsidy=g_p)
    reg = dict(regulation_cost=3.0, reward=40.0, accountability_loss=7.0)
    fines = dict(fine_leader=2.0, fine_primary=1.5)
    game = tripartite_game(p, **reg, **fines)
    sbar = float(p.sinking_level)
    for x, y, z in itertools.product((0.0, 1.0), repeat=3):
        q = p.replace(subsidy=g * z, primary_subsidy=g_p * z)

        def o(s, e, q=q):
            return [float(v) for v in objectives(q, s, e)]

        adv_l = o(sbar, y)[0] - o(0.0, y)[0] + z * fines["fine_leader"]
        adv_p = o(sbar * x, 1.0)[1] - o(sbar * x, 0.0)[1] + z * fines["fine_primary"]
        paid = g * sbar * x * (1 - p.conditional_subsidy + p.conditional_subsidy * y)
        d = (
            -reg["regulation_cost"]
            - paid
            - y * g_p
            + (1 - x) * fines["fine_leader"]
            + (1 - y) * fines["fine_primary"]
            + reg["reward"] * x * y
            + reg["accountability_loss"] * (1 - x * y)
        )
        got = game.advantages(x, y, z)
        scale = 1 + abs(adv_l) + abs(adv_p) + abs(d)
        assert got[0] == pytest.approx(adv_l, abs=1e-9 * scale)
        assert got[1] == pytest.approx(adv_p, abs=1e-9 * scale)
        assert got[2] == pytest.approx(d, abs=1e-9 * scale)


def test_bundled_budget_makes_full_cooperation_evolutionarily_stable():
    # At g = 0.1 < g*_FFS = 0.164 only (Not, Passive) is stable under fee-for-service; with
    # psi = 0.76 the threshold is 0.0789 and (Sink, Active) becomes an attractor too: full
    # cooperation is stable (x = y = 1), with A1 = s (g - g*) by the closed form.
    ffs = Parameters(subsidy=0.1)
    bundled = ffs.replace(retained_share=0.76)
    stable = [r.point for r in replicator_rest_points(evolutionary_game(ffs)).stable()]
    assert stable == [(0.0, 0.0)]
    stable = [r.point for r in replicator_rest_points(evolutionary_game(bundled)).stable()]
    assert sorted(stable) == [(0.0, 0.0), (1.0, 1.0)]
    g_star = 0.164 - 0.5 * 0.76 * 0.008 * 8400 / 300
    assert float(advantages(bundled).A1) == pytest.approx(300 * (0.1 - g_star), rel=1e-12)
