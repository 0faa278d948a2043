"""The fast paths of nash_equilibria (issue 15) against the exhaustive oracle and brute force."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation.solvers import equilibria
from compensation.solvers._bases import label_keys, small_equilibria
from compensation.solvers._join import join_labels
from compensation.solvers.equilibria import nash_equilibria
from compensation.solvers.vertex import hull_vertices, polish

from .strategies import bimatrix
from .test_vertex import _close, _sorted_components, _sorted_pairs


def assert_auto_matches_oracle(A, B):
    """method="auto" (one batched solve up to 5×5) gives the oracle's equilibria exactly."""
    oracle = nash_equilibria(A, B, method="bases")
    fast = nash_equilibria(A, B)
    assert fast.degenerate == oracle.degenerate
    mine, theirs = _sorted_pairs(fast.equilibria), _sorted_pairs(oracle.equilibria)
    assert len(mine) == len(theirs)
    assert all(_close(x, u) and _close(y, w) for (x, y), (u, w) in zip(mine, theirs))
    mine, theirs = _sorted_components(fast), _sorted_components(oracle)
    assert len(mine) == len(theirs)
    assert all(_close(x, u) and _close(y, w) for (x, y), (u, w) in zip(mine, theirs))


@settings(max_examples=120, deadline=None)
@given(bimatrix(min_size=1, max_size=5, ints=True))
def test_small_integer_games_match_the_oracle(game):
    assert_auto_matches_oracle(*game)


@settings(max_examples=60, deadline=None)
@given(bimatrix(min_size=1, max_size=5))
def test_small_real_games_match_the_oracle(game):
    assert_auto_matches_oracle(*(np.round(x, 4) for x in game))


def test_auto_uses_the_batched_bases_only_for_small_games():
    assert equilibria._check_method("auto", (5, 5)) == "small"
    assert equilibria._check_method("auto", (2, 5)) == "small"
    assert equilibria._check_method("auto", (6, 6)) == "polytope"
    assert equilibria._check_method("auto", (1, 200)) == "bases"  # no 200 × 200 padding


def test_small_equilibria_of_a_degenerate_game_keep_every_vertex_once():
    # Against the first row the column player is indifferent: a degenerate vertex of Q met
    # by several bases must come back once, and pair with two vertices of P.
    A = np.array([[3, 3], [2, 5], [0, 6]], float)
    B = np.array([[3, 3], [2, 6], [3, 1]], float)
    Ap, Bp = equilibria._normalise(A), equilibria._normalise(B)
    X, Y, ii, _, degenerate = small_equilibria(Ap, Bp, 1e-10)
    assert degenerate
    assert len({tuple(np.round(x, 12)) for x in X}) == len(X)
    assert len({tuple(np.round(y, 12)) for y in Y}) == len(Y)
    assert len(ii) == 3


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 70), st.integers(1, 30), st.integers(1, 30))
def test_join_labels_matches_brute_force(seed, width, nx, ny):
    # Dense random label sets, more than 64 labels too (two 64-bit words).
    rng = np.random.default_rng(seed)
    m = int(rng.integers(0, width + 1))
    lab_x = rng.random((nx, width)) < 0.6
    lab_y = rng.random((ny, width)) < 0.6
    ii, jj = join_labels(lab_x, lab_y, m, width - m)
    brute = [(i, j) for i in range(nx) for j in range(ny) if (lab_x[i] | lab_y[j]).all()]
    assert list(zip(ii.tolist(), jj.tolist())) == brute


def test_label_keys_are_bit_masks_over_words():
    lab = np.zeros((2, 70), dtype=bool)
    lab[0, [0, 3, 64]] = True
    lab[1, 69] = True
    assert label_keys(lab).tolist() == [[9, 1], [0, 32]]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 6), st.integers(1, 6))
def test_polish_solves_each_square_system_in_one_batch(seed, r, d):
    # Systems of every size share one batched solve (tight rows plus unit rows): each must
    # come out as its own k × k solve, from a start 1e-9 off (qhull's digits, exaggerated).
    rng = np.random.default_rng(seed)
    M = 1.0 + rng.random((r, d))
    N = 20
    rows = np.zeros((N, r), dtype=bool)
    cols = np.zeros((N, d), dtype=bool)
    expected = np.zeros((N, d))
    for v in range(N):
        k = int(rng.integers(1, min(r, d) + 1))
        R = rng.choice(r, k, replace=False)
        C = rng.choice(d, k, replace=False)
        rows[v, R], cols[v, C] = True, True
        expected[v, C] = np.linalg.solve(M[np.ix_(R, C)], np.ones(k))
    start = np.where(cols, expected + 1e-9, 0.0)
    z = polish(M, start, np.concatenate([~cols, rows], axis=1))
    fine = (expected >= 0).all(axis=1)  # polish keeps a start it cannot trust (clipped)
    assert np.allclose(z[fine], expected[fine], rtol=1e-9, atol=1e-13)
    off = expected.min(axis=1) < -1e-6
    assert np.array_equal(z[off], np.clip(start[off], 0.0, None))


def test_joggled_vertices_are_exact_and_not_solved_twice(monkeypatch):
    # A degenerate polytope through the joggled hull: its vertices are exact basis solutions
    # (flagged so), equal to the exact hull's after polishing; equilibrium_vertices must not
    # hand them to polish again.
    rng = np.random.default_rng(4)
    M = 1.0 + rng.integers(0, 3, (8, 8)) / 2.0
    Z1, lab1, exact = hull_vertices(M, 1e-10, joggle=True)
    assert exact
    Z0, lab0, exact0 = hull_vertices(M, 1e-10)
    assert not exact0
    o0 = np.lexsort(np.packbits(lab0, axis=1).T)
    o1 = np.lexsort(np.packbits(lab1, axis=1).T)
    assert lab0[o0].tolist() == lab1[o1].tolist()
    assert np.abs(Z0[o0] - Z1[o1]).max() < 1e-9
    from compensation.solvers import vertex

    calls = []
    real = vertex.polish
    monkeypatch.setattr(vertex, "polish", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(vertex, "JOGGLE_FROM", 0)
    A, B = (rng.integers(0, 3, (8, 8)).astype(float) for _ in range(2))
    eq = nash_equilibria(A, B, method="polytope")
    assert eq.max_regret() < 1e-9 and calls == []


@pytest.mark.parametrize("seed", range(4))
def test_loosened_joggle_needs_no_singular_basis_check_and_matches_the_exact_hull(
    seed, monkeypatch
):
    # Tie-heavy polytopes of 10 and 11 dimensions (payoffs in {0, 1, 2}, or normal payoffs
    # rounded to 0.1): loosening the constraints before joggling leaves every basis of the
    # joggled hull regular, so the covering check of singular bases never runs, and the
    # exact solutions are exactly the exact hull's vertices with all their labels.
    from compensation.solvers import _joggle

    calls = []
    real = _joggle._edges_covered
    monkeypatch.setattr(_joggle, "_edges_covered", lambda *a: calls.append(1) or real(*a))
    rng = np.random.default_rng(50 + seed)
    k = 10 + seed % 2
    if seed < 2:
        M = 1.0 + rng.integers(0, 3, (k, k)) / 2.0
    else:
        M = equilibria._normalise(np.round(rng.standard_normal((k, k)), 1))
    Z1, lab1, exact = hull_vertices(M, 1e-10, joggle=True)
    Z0, lab0, _ = hull_vertices(M, 1e-10)
    assert exact and calls == []
    o0 = np.lexsort(np.packbits(lab0, axis=1).T)
    o1 = np.lexsort(np.packbits(lab1, axis=1).T)
    assert lab0[o0].tolist() == lab1[o1].tolist()
    assert np.abs(Z0[o0] - Z1[o1]).max() < 1e-9
