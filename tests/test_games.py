import nashpy
import numpy as np
import pytest

from compensation import Parameters, advantages, grid_game, payoffs, sinking_game, sinking_matrices


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
