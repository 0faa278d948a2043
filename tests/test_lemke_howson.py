"""Lemke–Howson with lexicographic pivoting: verified by regret and by the full enumeration."""

import numpy as np
import pytest
from hypothesis import given, settings

from compensation.exceptions import ConvergenceError
from compensation.solvers.equilibria import nash_equilibria
from compensation.solvers.lemke_howson import lemke_howson

from .strategies import bimatrix


def in_components(x, y, eq):
    from scipy.optimize import nnls

    def inside(p, V):
        # p in conv(V): nonnegative weights summing to 1 reproduce p.
        M = np.vstack([V.T, np.ones(len(V))])
        _, res = nnls(M, np.append(p, 1.0))
        return res < 1e-7

    return any(inside(x, X) and inside(y, Y) for X, Y in eq.components)


@settings(max_examples=150, deadline=None)
@given(bimatrix(min_size=2, max_size=5, ints=True))
def test_every_start_ends_at_an_equilibrium_even_in_degenerate_games(game):
    A, B = game
    res = lemke_howson(A, B, all_labels=True)
    eq = nash_equilibria(A, B)
    for x, y in res.equilibria:
        assert in_components(x, y, eq)
    assert res.regret < 1e-9


def test_nondegenerate_paths_reach_known_equilibria():
    rng = np.random.default_rng(4)
    A, B = rng.standard_normal((6, 6)), rng.standard_normal((6, 6))
    every = nash_equilibria(A, B)
    keys = {(tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in every.equilibria}
    res = lemke_howson(A, B, all_labels=True)
    assert {(tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in res.equilibria} <= keys


def test_same_path_as_quantecon_on_100x100():
    gt = pytest.importorskip("quantecon.game_theory")
    rng = np.random.default_rng(100)
    A, B = rng.standard_normal((100, 100)), rng.standard_normal((100, 100))
    ours = lemke_howson(A, B, init_label=3)
    (x, y), info = gt.lemke_howson(
        gt.NormalFormGame([gt.Player(A), gt.Player(B.T)]), init_pivot=3, full_output=True
    )
    assert ours.iterations == info.num_iter
    assert np.allclose(ours.x, x) and np.allclose(ours.y, y) and ours.regret < 1e-12


def test_a_game_where_plain_pivoting_cycles():
    # All payoffs equal: every ratio ties. Lexicographic rules still give one path.
    res = lemke_howson(np.zeros((4, 4)), np.zeros((4, 4)), all_labels=True)
    assert res.regret == 0.0 and res.iterations >= 1


def test_bad_input():
    with pytest.raises(ValueError, match=r"init_label must be in \[0, 4\)"):
        lemke_howson(np.eye(2), np.eye(2), init_label=4)
    with pytest.raises(ConvergenceError, match="max_iter=1"):
        lemke_howson(
            np.array([[3, 0, 1], [0, 2, 1]]),
            np.array([[2, 0, 1], [0, 3, 2]]),
            init_label=1,
            max_iter=1,
        )


def test_payoffs_near_the_largest_float_do_not_overflow():
    # Rescaling computed hi - lo, which is inf for payoffs of ±1e308.
    A = np.array([[1e308, -1e308], [-1e308, 1e308]])
    r = lemke_howson(A, -A)
    assert np.allclose(r.x, 0.5, atol=1e-12) and np.allclose(r.y, 0.5, atol=1e-12)
