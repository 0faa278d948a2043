"""Warm-started row generation for the nucleolus and least core (issue 15)."""

import time

import numpy as np
import pytest

from compensation.solvers import _rowgen
from compensation.solvers.cooperative import TUGame
from compensation.solvers.nucleolus import least_core, nucleolus


def subset_sums(x):
    return _rowgen.subset_sums(np.asarray(x, float))


def game(kind, n, seed):
    rng = np.random.default_rng(seed)
    pc = _rowgen.popcount(n)
    if kind == "convex":  # a thin least core: many nearly tight coalitions
        v = subset_sums(rng.random(n)) ** 2 + 1e-2 * rng.random(1 << n)
    elif kind == "superadditive":
        v = pc * (0.5 + rng.random(1 << n))
        v[-1] = 1.6 * n
    elif kind == "ties":
        v = (pc + rng.integers(0, 3, 1 << n)).astype(float)
        v[pc <= 1], v[-1] = 0.0, 1.5 * n + 3
    elif kind == "voting":
        s = subset_sums(rng.integers(1, 10, n))
        v = (s >= s[-1] / 2 + 0.5).astype(float)
    else:  # empty core
        v = pc * (1 + 0.2 * rng.random(1 << n))
        v[pc <= 1], v[-1] = 0.0, 1.05 * n
    v[0] = 0.0
    return TUGame(n, v)


KINDS = ["convex", "superadditive", "ties", "voting", "empty core"]


@pytest.mark.parametrize("kind", KINDS)
def test_warm_start_gives_the_linprog_answer(kind):
    g = game(kind, 9, 1)
    warm, cold = nucleolus(g), nucleolus(g, method="highs")
    assert np.abs(warm.x - cold.x).max() <= 1e-9
    assert warm.max_excess == pytest.approx(cold.max_excess, abs=1e-9)
    assert least_core(g).epsilon == pytest.approx(least_core(g, method="highs").epsilon, abs=1e-9)


@pytest.mark.parametrize("kind", KINDS)
def test_agrees_with_coopgame_py(kind):
    coopgame = pytest.importorskip("coopgame")
    g = game(kind, 11, 2)
    cg = coopgame.Game(list(g.v[1:]))
    theirs = np.array(coopgame.nucleolus(cg)["allocation"])
    assert np.abs(nucleolus(g).x - theirs).max() <= 1e-9
    assert least_core(g, tol=1e-10).epsilon == pytest.approx(
        coopgame.least_core(cg)["epsilon"], abs=1e-9
    )


def test_nucleolus_certificate_on_a_thin_least_core():
    # The excess vector of the nucleolus is lexicographically no larger than at nearby
    # efficient points that keep individual rationality.
    g = game("convex", 8, 5)
    x = nucleolus(g).x
    theta = np.sort(g.v - subset_sums(x))[::-1][1:-1]
    rng = np.random.default_rng(0)
    lower = g.v[1 << np.arange(8)]
    for _ in range(200):
        d = rng.standard_normal(8) * 1e-4
        y = x + d - d.mean()
        if (y < lower).any():
            continue
        other = np.sort(g.v - subset_sums(y))[::-1][1:-1]
        diff = other - theta
        first = diff[np.abs(diff) > 1e-12]
        assert first.size == 0 or first[0] > 0


def test_convex_game_with_many_nearly_tight_coalitions_is_fast():
    # Used to need over 1,000 LPs and minutes at n = 14 (issue 15).
    g = game("convex", 14, 0)
    t0 = time.perf_counter()
    nuc = nucleolus(g)
    assert time.perf_counter() - t0 < 10
    assert nuc.iterations < 200
    assert nuc.x.sum() == pytest.approx(g.grand, rel=1e-12)


def test_pulp_cbc_agrees_on_random_four_player_games():
    pytest.importorskip("pulp")
    for seed in range(3):
        g = game("superadditive", 4, seed)
        assert nucleolus(g, method="pulp-cbc").x == pytest.approx(nucleolus(g).x, abs=1e-7)
    g = TUGame(3, [0, 4, 9, 13.78438, 2, 20.67657, 16.081777, 33.634735])
    assert nucleolus(g, method="pulp-cbc").x == pytest.approx(nucleolus(g).x, abs=1e-9)
