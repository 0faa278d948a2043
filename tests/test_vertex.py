"""method="polytope" (qhull on the polar, labels recomputed) against the exhaustive oracle."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation.solvers.equilibria import nash_equilibria
from compensation.solvers.vertex import polytope_vertices

from .strategies import bimatrix


def canonical(eq):
    pairs = sorted((tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in eq.equilibria)
    comps = sorted(
        (tuple(map(tuple, np.round(X, 9))), tuple(map(tuple, np.round(Y, 9))))
        for X, Y in eq.components
    )
    return pairs, comps, eq.degenerate


def assert_same(A, B):
    oracle = nash_equilibria(A, B, method="bases")
    fast = nash_equilibria(A, B, method="polytope")
    assert canonical(fast) == canonical(oracle)
    assert fast.max_regret() < 1e-9


@settings(max_examples=150, deadline=None)
@given(bimatrix(min_size=2, max_size=5, ints=True))
def test_degenerate_integer_games_match_the_exhaustive_oracle(game):
    assert_same(*game)


@settings(max_examples=60, deadline=None)
@given(bimatrix(min_size=2, max_size=5))
def test_real_games_match_the_exhaustive_oracle(game):
    assert_same(*game)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 7), st.integers(2, 7), st.booleans())
def test_random_games_up_to_7x7_match(seed, m, n, zero_sum):
    rng = np.random.default_rng(seed)
    A = rng.integers(-2, 3, (m, n)).astype(float) if seed % 2 else rng.standard_normal((m, n))
    B = -A if zero_sum else rng.permutation(A.ravel()).reshape(m, n) + rng.integers(0, 2, (m, n))
    assert_same(A, B)


def test_degenerate_vertex_keeps_all_its_labels():
    # Every row sums to 4.5, so all four are tight at z = (2/9, 2/9, 2/9): four labels in a
    # 3-dimensional polytope. qhull splits that facet; the labels must all come back.
    M = np.array([[1.0, 2.0, 1.5], [2.0, 1.0, 1.5], [1.5, 1.5, 1.5], [1.0, 1.0, 2.5]])
    Z, labels = polytope_vertices(M, 1e-10)
    centre = np.all(np.isclose(Z, 1 / 3 / 1.5 * np.array([1.0, 1.0, 1.0])), axis=1)
    assert centre.sum() == 1
    assert labels[centre][0].tolist() == [False] * 3 + [True] * 4


def test_random_12x12_regret_and_count_parity():
    rng = np.random.default_rng(12)
    A, B = rng.standard_normal((12, 12)), rng.standard_normal((12, 12))
    eq = nash_equilibria(A, B)
    assert not eq.degenerate and len(eq) % 2 == 1 and eq.max_regret() < 1e-9


def test_quantecon_finds_the_same_equilibria_on_a_random_10x10():
    gt = pytest.importorskip("quantecon.game_theory")
    rng = np.random.default_rng(3)
    A, B = rng.standard_normal((10, 10)), rng.standard_normal((10, 10))
    theirs = gt.vertex_enumeration(gt.NormalFormGame([gt.Player(A), gt.Player(B.T)]))
    ours = nash_equilibria(A, B)
    key = {(tuple(np.round(x, 8)), tuple(np.round(y, 8))) for x, y in ours.equilibria}
    assert key == {(tuple(np.round(x, 8)), tuple(np.round(y, 8))) for x, y in theirs}


def test_gambit_extreme_equilibria_of_integer_games_are_all_found():
    gbt = pytest.importorskip("pygambit")
    rng = np.random.default_rng(8)
    for _ in range(5):
        A = rng.integers(0, 3, (6, 6)).astype(float)
        B = rng.integers(0, 3, (6, 6)).astype(float)
        res = gbt.nash.enummixed_solve(gbt.Game.from_arrays(A, B), rational=True).equilibria
        ours = nash_equilibria(A, B, method="polytope")
        key = {(tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in ours.equilibria}
        for prof in res:
            x = np.array([float(p) for p in prof.mixed_strategy(prof.game.players[0])])
            y = np.array([float(p) for p in prof.mixed_strategy(prof.game.players[1])])
            assert (tuple(np.round(x, 9)), tuple(np.round(y, 9))) in key
