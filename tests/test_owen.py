"""Owen and Banzhaf values: textbook cases, coopgame-py, sampled within their standard errors."""

import numpy as np
import pytest
from hypothesis import given, settings

from compensation import TUGame, shapley_value
from compensation.solvers.function_game import FunctionGame
from compensation.solvers.owen import banzhaf_value, owen_value

from .strategies import tu_games

coopgame = pytest.importorskip("coopgame")

MAJORITY = TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1})


def weighted_voting(votes, quota):
    n = len(votes)
    masks = np.arange(1 << n)
    inside = (masks[:, None] >> np.arange(n)) & 1
    return TUGame(n, (inside @ np.asarray(votes) >= quota).astype(float))


def test_owen_textbook_majority_with_an_alliance():
    # Owen (1977): allied players 0 and 1 face player 2 alone; the union wins everything.
    assert owen_value(MAJORITY, [[0, 1], [2]]).values == pytest.approx([0.5, 0.5, 0.0])
    assert owen_value(MAJORITY, [[0], [1, 2]]).values == pytest.approx([0.0, 0.5, 0.5])


def test_owen_reduces_to_shapley_for_trivial_unions():
    g = weighted_voting([4, 3, 2, 1], 6)
    phi = shapley_value(g).values
    assert owen_value(g, [[0], [1], [2], [3]]).values == pytest.approx(phi, abs=1e-12)
    assert owen_value(g, [[0, 1, 2, 3]]).values == pytest.approx(phi, abs=1e-12)


def test_banzhaf_weighted_voting_council():
    # Votes 50, 49, 1 and quota 51: the big party is pivotal in 3 of 4 coalitions, each other
    # party in 1 (Banzhaf 1965's point: 49 votes carry no more power than 1).
    b = banzhaf_value(weighted_voting([50, 49, 1], 51))
    assert b.raw.tolist() == [0.75, 0.25, 0.25]
    assert b.values == pytest.approx([0.6, 0.2, 0.2]) and b.normalized
    raw = banzhaf_value(weighted_voting([50, 49, 1], 51), normalized=False)
    assert raw.values.tolist() == [0.75, 0.25, 0.25]


@settings(max_examples=30, deadline=None)
@given(tu_games(players=__import__("hypothesis").strategies.integers(2, 6)))
def test_against_coopgame(game):
    theirs = coopgame.Game(list(game.v[1:]))
    n = game.n
    unions = [list(range(0, n, 2)), list(range(1, n, 2))] if n > 1 else [[0]]
    assert owen_value(game, unions).values == pytest.approx(coopgame.owen(theirs, unions), abs=1e-9)
    assert banzhaf_value(game, normalized=False).values == pytest.approx(
        coopgame.banzhaf(theirs), abs=1e-9
    )
    own = owen_value(game, unions).values
    assert own.sum() == pytest.approx(game.grand)
    # Each union's total is its Shapley value in the game between unions (quotient game).
    q = TUGame(2, [0, game.value(unions[0]), game.value(unions[1]), game.grand])
    assert own[unions[0]].sum() == pytest.approx(shapley_value(q).values[0], abs=1e-9)


def random_function_game(n, seed):
    v = np.random.default_rng(seed).random(1 << n) * 10
    v[0] = 0.0
    table = TUGame(n, v)
    return table, FunctionGame(n, table.evaluate)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sampled_values_within_three_standard_errors(seed):
    table, fg = random_function_game(7, seed)
    unions = [[0, 3], [1, 2, 5], [4], [6]]
    exact = owen_value(table, unions).values
    est = owen_value(fg, unions, method="sample", samples=6000, rng=seed)
    assert est.method == "sample" and est.samples == 6000
    assert (np.abs(est.values - exact) < 3.5 * est.standard_error).all()
    assert est.values.sum() == pytest.approx(table.grand)
    raw = banzhaf_value(table, normalized=False).values
    b = banzhaf_value(fg, method="sample", normalized=False, samples=6000, rng=seed)
    assert (np.abs(b.values - raw) < 3.5 * b.standard_error).all()


def test_sample_stop_rule_meets_the_target():
    _, fg = random_function_game(6, 5)
    est = owen_value(fg, [[0, 1], [2, 3, 4], [5]], method="sample", samples=200_000, tol=0.05,
                     rng=3)  # fmt: skip
    assert est.success and est.standard_error.max() <= 0.05 and est.samples < 200_000
    short = owen_value(fg, [[0, 1], [2, 3, 4], [5]], method="sample", samples=40, tol=1e-6, rng=3)
    assert not short.success and "not met" in short.message


def test_bad_input():
    with pytest.raises(ValueError, match=r"partition the players.*in none: \[2\]"):
        owen_value(MAJORITY, [[0, 1]])
    with pytest.raises(ValueError, match=r"in more than one: \[1\]"):
        owen_value(MAJORITY, [[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="outside 0..2"):
        owen_value(MAJORITY, [[0, 1], [2, 3]])
    with pytest.raises(ValueError, match="must not be empty"):
        owen_value(MAJORITY, [[0, 1, 2], []])
    with pytest.raises(ValueError, match=r"samples must be an integer ≥ 2 \(orderings to draw"):
        owen_value(MAJORITY, [[0, 1], [2]], method="sample", samples=0)
    with pytest.raises(ValueError, match="sum to 0"):
        banzhaf_value(TUGame(2, [0, 0, 0, 0]))
    with pytest.raises(ValueError, match="at most 20 players"):
        banzhaf_value(FunctionGame(21, lambda t: t.sum(axis=1) * 1.0), method="exact")
