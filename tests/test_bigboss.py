"""Big-boss games: condition, core box, nucleolus = τ-value (Muto et al. 1988)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import TUGame, in_core, nucleolus
from compensation.solvers.bigboss import big_boss
from compensation.solvers.function_game import FunctionGame

coopgame = pytest.importorskip("coopgame")

CONCAVE = {
    "capacity": lambda w, cap: np.minimum(w, cap),
    "sqrt": lambda w, cap: np.sqrt(w * cap),
    "saturating": lambda w, cap: cap * -np.expm1(-w / cap),
}


def boss_game(weights, cap, form, boss=0):
    """v(T) = f(sum of the others' weights in T) when the boss is in T: concave f, substitutes."""
    n = len(weights) + 1
    w = np.insert(np.asarray(weights, float), boss, 0.0)
    masks = np.arange(1 << n)
    inside = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
    v = np.where(inside[:, boss], CONCAVE[form]((inside * w).sum(axis=1), cap), 0.0)
    return TUGame(n, v)


@st.composite
def boss_games(draw, max_others=7):
    k = draw(st.integers(1, max_others))
    weights = draw(st.lists(st.integers(0, 20), min_size=k, max_size=k))
    cap = draw(st.integers(1, 60))
    form = draw(st.sampled_from(sorted(CONCAVE)))
    boss = draw(st.integers(0, k))
    return boss_game(weights, float(cap), form, boss), boss


@settings(max_examples=40, deadline=None)
@given(boss_games())
def test_nucleolus_and_tau_value_match_the_lp_nucleolus(case):
    game, boss = case
    r = big_boss(game, boss=boss)
    assert r.holds and r.checked == "exact" and r.worst == 0.0
    assert r.nucleolus == pytest.approx(np.asarray(nucleolus(game)), abs=1e-7)
    assert r.nucleolus.sum() == pytest.approx(game.grand, abs=1e-12)
    assert np.array_equal(r.nucleolus, r.tau_value)
    assert in_core(game, r.nucleolus, tol=1e-9) and r.in_core(r.nucleolus)


@pytest.mark.parametrize("n_others", [12, 15])
def test_sixteen_players_against_the_lp_nucleolus_and_coopgame(n_others):
    rng = np.random.default_rng(n_others)
    game = boss_game(rng.integers(1, 10, n_others), 25.0, "capacity")
    r = big_boss(game)
    assert r.holds
    assert r.nucleolus == pytest.approx(np.asarray(nucleolus(game)), abs=1e-7)
    theirs = coopgame.Game(list(game.v[1:]))
    assert r.tau_value == pytest.approx(np.asarray(coopgame.tau_value(theirs)), abs=1e-9)


def test_core_box_is_the_core():
    game = boss_game([3, 5, 7], 12.0, "capacity")
    r = big_boss(game)
    assert r.marginal.tolist() == [12.0, 0.0, 2.0, 4.0]  # v(N) - v(N \ j); the boss: v(N)
    assert r.core_lower.tolist() == [6.0, 0.0, 0.0, 0.0]
    assert r.core_upper.tolist() == [12.0, 0.0, 2.0, 4.0]
    corner = np.array([6.0, 0.0, 2.0, 4.0])  # the boss at its lowest
    assert r.in_core(corner) and in_core(game, corner)
    outside = np.array([5.0, 0.0, 2.5, 4.5])
    assert not r.in_core(outside) and not in_core(game, outside)


def test_each_violation_is_named():
    complements = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 3})
    r = big_boss(complements)
    assert not r.holds and r.violation.startswith("union") and r.worst == pytest.approx(1.0)
    no_boss_value = TUGame(3, {(1, 2): 1, (0, 1): 2, (0, 2): 2, (0, 1, 2): 2})
    r = big_boss(no_boss_value)
    assert r.violation.startswith("zero") and "player 1, player 2" in r.violation
    falls = TUGame(3, {(0, 1): 2, (0, 2): 1, (0, 1, 2): 1.5})
    r = big_boss(falls)
    assert r.violation.startswith("monotone") and not r.success
    assert "fails on 8 coalitions (all)" in r.message


def test_sampled_check_beyond_twenty_players_finds_a_planted_violation():
    n = 40
    w = np.r_[0.0, np.linspace(1, 2, n - 1)]

    def value(t, plant=False):
        v = np.where(t[:, 0], np.minimum(t @ w, 30.0), 0.0)
        if plant:  # players 1 and 2 together create value without the boss
            v = np.where(~t[:, 0] & t[:, 1] & t[:, 2], 1.0, v)
        return v

    good = big_boss(FunctionGame(n, value), samples=2000, rng=1)
    assert good.holds and good.checked == "sampled" and good.coalitions == 2000
    assert good.nucleolus.sum() == pytest.approx(30.0)
    bad = big_boss(FunctionGame(n, lambda t: value(t, True)), samples=2000, rng=1)
    assert not bad.holds and bad.violation.startswith("zero")


def test_function_game_exact_up_to_twenty_agrees_with_the_table():
    game = boss_game([4, 1, 6, 2, 8], 9.0, "sqrt")
    fg = FunctionGame(game.n, game.evaluate)
    a, b = big_boss(game), big_boss(fg)
    assert a.holds and b.holds and b.checked == "exact"
    assert np.array_equal(a.nucleolus, b.nucleolus)


def test_bad_input():
    game = boss_game([1, 2], 2.0, "capacity")
    with pytest.raises(ValueError, match=r"boss must be a player index 0\.\.2"):
        big_boss(game, boss=3)
    with pytest.raises(ValueError, match="samples must be an integer ≥ 1"):
        big_boss(game, samples=0)
    with pytest.raises(TypeError, match="TUGame or a FunctionGame"):
        big_boss([0, 1, 2])
