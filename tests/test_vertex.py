"""method="polytope" (qhull on the polar, labels recomputed) against the exhaustive oracle."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation.solvers import vertex
from compensation.solvers.equilibria import nash_equilibria
from compensation.solvers.vertex import polytope_vertices

from .strategies import bimatrix


def _key(v):
    # Order only: two distinct equilibria of these games are never within 1e-6.
    return tuple(np.round(np.ravel(v), 6))


def _sorted_pairs(pairs):
    return sorted(
        ((np.asarray(x), np.asarray(y)) for x, y in pairs), key=lambda p: (_key(p[0]), _key(p[1]))
    )


def _sorted_components(eq):
    comps = []
    for X, Y in eq.components:
        X = np.asarray(sorted(np.asarray(X), key=_key))
        Y = np.asarray(sorted(np.asarray(Y), key=_key))
        comps.append((X, Y))
    return sorted(comps, key=lambda c: (_key(c[0]), _key(c[1])))


def _close(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=0, atol=1e-8)


def assert_same(A, B):
    """Same equilibria, components and flag, compared with a tolerance (not by rounding,
    which flips at a knife edge such as 0.6919645095 to 9 digits)."""
    oracle = nash_equilibria(A, B, method="bases")
    fast = nash_equilibria(A, B, method="polytope")
    assert fast.degenerate == oracle.degenerate
    mine, theirs = _sorted_pairs(fast.equilibria), _sorted_pairs(oracle.equilibria)
    assert len(mine) == len(theirs)
    assert all(_close(x, u) and _close(y, w) for (x, y), (u, w) in zip(mine, theirs))
    mine, theirs = _sorted_components(fast), _sorted_components(oracle)
    assert len(mine) == len(theirs)
    assert all(_close(x, u) and _close(y, w) for (x, y), (u, w) in zip(mine, theirs))
    scale = max(1.0, float(np.ptp(A)), float(np.ptp(B)))
    assert fast.max_regret() < 1e-9 * scale


@settings(max_examples=150, deadline=None)
@given(bimatrix(min_size=2, max_size=5, ints=True))
def test_degenerate_integer_games_match_the_exhaustive_oracle(game):
    assert_same(*game)


@settings(max_examples=60, deadline=None)
@given(bimatrix(min_size=2, max_size=5))
def test_real_games_match_the_exhaustive_oracle(game):
    # Payoffs on a 1e-4 grid: equal ones tie exactly, unequal ones differ far above the
    # tolerance. A gap of about tol x range (1e-9 on payoffs of 19) is a tie to one reading
    # and not to another, so no two exact methods need agree there.
    assert_same(*(np.round(x, 4) for x in game))


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
    for k in (6, 6, 6, 8, 8):
        A = rng.integers(0, 3, (k, k)).astype(float)
        B = rng.integers(0, 3, (k, k)).astype(float)
        game = gbt.Game.from_arrays(A.astype(int), B.astype(int))
        res = gbt.nash.enummixed_solve(game, rational=True).equilibria  # exact arithmetic
        players = list(game.players)
        ours = nash_equilibria(A, B, method="polytope")
        key = {(tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in ours.equilibria}
        assert len(res) > 0
        for prof in res:
            x, y = ([float(prof[st]) for st in pl.strategies] for pl in players)
            assert (tuple(np.round(x, 9)), tuple(np.round(y, 9))) in key


@pytest.mark.parametrize("seed", range(6))
def test_joggled_hull_finds_the_exact_hulls_vertices_and_labels(seed):
    # Degenerate polytopes (payoffs in {0, 1, 2}): the joggled hull's bases, solved exactly,
    # must give every vertex of the merged exact hull with every label, and nothing else.
    rng = np.random.default_rng(seed)
    k = 6 + seed % 4
    M = 1.0 + rng.integers(0, 3, (k, k)) / 2.0
    Z0, lab0 = polytope_vertices(M, 1e-10)
    Z1, lab1 = polytope_vertices(M, 1e-10, joggle=True)
    assert (lab0.sum(axis=1) > k).any()  # the case is degenerate
    o0 = np.lexsort(np.packbits(lab0, axis=1).T)
    o1 = np.lexsort(np.packbits(lab1, axis=1).T)
    assert lab0[o0].tolist() == lab1[o1].tolist()
    assert np.abs(Z0[o0] - Z1[o1]).max() < 1e-9


@pytest.mark.parametrize("joggle_from", [0, vertex.JOGGLE_FROM])
@pytest.mark.parametrize("seed", range(4))
def test_integer_games_up_to_9x9_match_the_exhaustive_oracle(seed, joggle_from, monkeypatch):
    # joggle_from = 0 sends these small games through the joggled hull (and its checks),
    # which the default keeps for games above 10 strategies.
    monkeypatch.setattr(vertex, "JOGGLE_FROM", joggle_from)
    rng = np.random.default_rng(100 + seed)
    k = 6 + seed
    A, B = (rng.integers(0, 3, (k, k)).astype(float) for _ in range(2))
    assert_same(A, B)


@settings(max_examples=60, deadline=None)
@given(bimatrix(min_size=2, max_size=5, ints=True))
def test_joggled_small_integer_games_match_the_exhaustive_oracle(game):
    old, vertex.JOGGLE_FROM = vertex.JOGGLE_FROM, 0
    try:
        assert_same(*game)
    finally:
        vertex.JOGGLE_FROM = old


@pytest.mark.parametrize("shape", [(3, 7), (7, 3), (5, 9), (9, 6), (6, 6)])
@pytest.mark.parametrize("ints", [False, True])
def test_padded_batches_of_both_polytopes_match_the_oracle_on_rectangular_games(shape, ints):
    # The vertices of P and their partners (no ties), or both polytopes' vertices (ties), are
    # solved in one batch padded to max(m, n) unknowns: rectangular games exercise the padding
    # (a wrong partner system changes the equilibria found, not just digits).
    rng = np.random.default_rng(sum(shape) + 100 * ints)
    for _ in range(3):
        if ints:  # ties (both polytopes), irregular values (qhull's digits are off)
            A, B = (np.round(rng.standard_normal(shape), 1) for _ in range(2))
        else:
            A, B = rng.standard_normal(shape), rng.standard_normal(shape)
        assert_same(A, B)
