import itertools
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import (
    InfeasibleError,
    Parameters,
    TUGame,
    coalition_values,
    core_is_empty,
    egalitarian,
    in_core,
    least_core,
    nash_bargaining,
    nucleolus,
    proportional,
    shapley_value,
)
from compensation.solvers import _lp, cooperative
from compensation.solvers.cooperative import ConvergenceError, Nucleolus

from .strategies import tu_game_pairs, tu_games

coopgame = pytest.importorskip("coopgame")


def bankruptcy(estate, claims):
    n = len(claims)
    v = np.zeros(1 << n)
    for t in range(1, 1 << n):
        v[t] = max(0.0, estate - sum(c for i, c in enumerate(claims) if not (t >> i) & 1))
    return TUGame(n, v)


# Aumann and Maschler (1985), "Game theoretic analysis of a bankruptcy problem from the
# Talmud", Table 1: claims 100, 200, 300; the nucleolus is the Talmud's division.
@pytest.mark.parametrize(
    ("estate", "expected"),
    [(100, [100 / 3] * 3), (200, [50, 75, 75]), (300, [50, 100, 150])],
)
def test_talmud_bankruptcy_nucleolus(estate, expected):
    assert nucleolus(bankruptcy(estate, [100, 200, 300])).tolist() == pytest.approx(expected)


def airport(costs):
    n = len(costs)
    v = np.zeros(1 << n)
    for t in range(1, 1 << n):
        v[t] = -max(c for i, c in enumerate(costs) if (t >> i) & 1)
    return TUGame(n, v)


def test_airport_game_shapley_is_sequential_equal_split():
    # Littlechild and Owen (1973): each runway segment is shared equally by the players who
    # need it; costs 1, 3, 6, 10 give -(1/4, 1/4 + 2/3, ..., ...).
    costs = [1, 3, 6, 10]
    increments = np.diff([0, *costs])
    expected = [-sum(increments[k] / (len(costs) - k) for k in range(i + 1)) for i in range(4)]
    assert shapley_value(airport(costs)).values.tolist() == pytest.approx(expected)


def test_glove_game():
    glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    assert shapley_value(glove).values.tolist() == pytest.approx([2 / 3, 1 / 6, 1 / 6])
    assert nucleolus(glove).tolist() == [1.0, 0.0, 0.0]
    assert in_core(glove, [1, 0, 0]) and not core_is_empty(glove)


def test_weighted_voting_shapley_shubik():
    # Quota 51 with weights 50, 49, 1: the large player is pivotal in 4 of 6 orders.
    w, quota = [50, 49, 1], 51
    v = [float(sum(wi for i, wi in enumerate(w) if (t >> i) & 1) >= quota) for t in range(8)]
    assert shapley_value(TUGame(3, v)).values.tolist() == pytest.approx([2 / 3, 1 / 6, 1 / 6])


def test_majority_game_has_empty_core_and_least_core_one_third():
    g = TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1})
    assert core_is_empty(g)
    lc = least_core(g)
    assert lc.epsilon == pytest.approx(1 / 3)
    assert nucleolus(g).tolist() == pytest.approx([1 / 3] * 3)


games = tu_games()


@given(games)
def test_shapley_axioms(game):
    phi = shapley_value(game).values
    assert phi.sum() == pytest.approx(game.grand, abs=1e-9)  # efficiency
    n = game.n
    for i in range(n):
        # dummy: zero marginal contributions give zero value
        marg = [game.v[t | (1 << i)] - game.v[t] for t in range(1 << n) if not (t >> i) & 1]
        if all(abs(x) < 1e-12 for x in marg):
            assert abs(phi[i]) < 1e-9
    for i, j in itertools.combinations(range(n), 2):  # symmetry
        sym = all(
            game.v[t | (1 << i)] == game.v[t | (1 << j)]
            for t in range(1 << n)
            if not (t >> i) & 1 and not (t >> j) & 1
        )
        if sym:
            assert phi[i] == pytest.approx(phi[j], abs=1e-9)


@given(tu_game_pairs())
def test_shapley_additivity(pair):
    g1, g2 = pair  # same players, by construction: every example checks additivity
    both = TUGame(g1.n, g1.v + g2.v)
    assert shapley_value(both).values == pytest.approx(
        shapley_value(g1).values + shapley_value(g2).values, abs=1e-9
    )


@given(games)
def test_shapley_matches_permutation_definition(game):
    n = game.n
    phi = np.zeros(n)
    for order in itertools.permutations(range(n)):
        mask = 0
        for i in order:
            phi[i] += game.v[mask | (1 << i)] - game.v[mask]
            mask |= 1 << i
    assert shapley_value(game).values == pytest.approx(phi / math.factorial(n), abs=1e-9)


@settings(max_examples=40)
@given(games)
def test_nucleolus_matches_coopgame_and_sits_in_nonempty_core(game):
    stand_alone = sum(game.v[1 << i] for i in range(game.n))
    if stand_alone > game.grand:
        with pytest.raises(InfeasibleError):
            nucleolus(game)
        return
    x = nucleolus(game)
    theirs = coopgame.nucleolus(coopgame.Game(list(game.v[1:])))["allocation"]
    assert x == pytest.approx(theirs, abs=1e-8)
    assert x.sum() == pytest.approx(game.grand, abs=1e-9)
    if not core_is_empty(game):
        assert in_core(game, x, tol=1e-8)
    pre = nucleolus(game, domain="preimputation")
    ref = coopgame.prenucleolus(coopgame.Game(list(game.v[1:])))["allocation"]
    assert pre == pytest.approx(ref, abs=1e-8)


def test_nucleolus_random_games_n10_match_coopgame():
    rng = np.random.default_rng(1)
    n = 10
    pc = np.array([bin(t).count("1") for t in range(1 << n)])
    v = pc * (0.5 + rng.random(1 << n))
    v[0], v[-1] = 0.0, 1.6 * n
    x = nucleolus(TUGame(n, v))
    ref = coopgame.nucleolus(coopgame.Game(list(v[1:])))["allocation"]
    assert x == pytest.approx(ref, abs=1e-8)


@pytest.mark.parametrize("solver", ["pulp-cbc", "pulp-highs"])
def test_pulp_solvers_agree(solver):
    if solver == "pulp-highs":
        pytest.importorskip("highspy")
    g = bankruptcy(200, [100, 200, 300])
    assert nucleolus(g, method=solver).tolist() == pytest.approx([50, 75, 75], abs=1e-6)


def test_sampled_shapley_standard_error_covers_exact():
    g = bankruptcy(300, [100, 200, 300, 150, 50])
    exact = shapley_value(g).values
    est = shapley_value(g, method="sample", samples=20_000, rng=7)
    z = np.abs(est.values - exact) / est.standard_error
    assert (z < 4).all() and est.values.sum() == pytest.approx(g.grand)


def test_simple_rules():
    g = TUGame(2, [0, 1, 3, 8])
    assert egalitarian(g).tolist() == [4.0, 4.0]
    assert proportional(g).tolist() == [2.0, 6.0]
    assert nash_bargaining(10.0, 2.0, 4.0, power=0.25) == (3.0, 7.0)
    with pytest.raises(ValueError, match="surplus must be finite and ≥"):
        nash_bargaining(5.0, 2.0, 4.0)
    with pytest.raises(ValueError, match="power must be in"):
        nash_bargaining(10.0, 2.0, 4.0, power=2)


def test_tugame_validation():
    with pytest.raises(ValueError, match="length 2\\*\\*n = 8"):
        TUGame(3, [0, 1])
    with pytest.raises(ValueError, match="v\\(empty coalition\\) must be 0"):
        TUGame(1, [1, 2])
    with pytest.raises(ValueError, match="outside 0..2"):
        TUGame(3, {(0, 5): 1})
    with pytest.raises(ValueError, match="finite"):
        TUGame(2, [0, np.nan, 1, 2])


def test_coalition_values_match_brute_force():
    centres = [Parameters(subsidy=0.2), Parameters(subsidy=0.2, visits=120_000)]
    game = coalition_values(centres, capacity=600)
    grid = np.linspace(0, 600, 601)
    s1, s2 = np.meshgrid(grid, grid)
    ok = s1 + s2 <= 600
    from compensation import payoffs

    def joint(p, s):
        r = payoffs(p, s, 1)
        return r.leader + r.primary

    total = np.where(ok, joint(centres[0], s1) + joint(centres[1], s2), -np.inf)
    assert game.value((0, 1, 2)) == pytest.approx(max(total.max(), 0), rel=1e-4)
    assert game.value((1, 2)) == 0.0 and game.value((0,)) == 0.0
    free = coalition_values(centres)
    assert free.value((0, 1, 2)) == pytest.approx(free.value((0, 1)) + free.value((0, 2)))


# ----- regressions: scale, solver loops, tolerances (issues 1 and 7) ------------------------


def three_player(scale):
    values = {(0,): 1, (0, 1): 4, (0, 2): 3, (1, 2): 2, (0, 1, 2): 6}
    return TUGame(3, {t: x * scale for t, x in values.items()})


@pytest.mark.parametrize("scale", [1.0, 1e-9, 1e-12, 1e12])
def test_nucleolus_of_tiny_and_huge_games(scale):
    # At 1e-9 the row generation never returned; at 1e-12 the answer was [6, 0, 0].
    x = nucleolus(three_player(scale))
    assert x == pytest.approx([3 * scale, 2 * scale, 1 * scale], rel=1e-9)


@settings(max_examples=40)
@given(games, st.floats(1e-12, 1e12))
def test_nucleolus_and_least_core_scale_with_the_game(game, a):
    scaled = TUGame(game.n, a * game.v)
    if sum(game.v[1 << i] for i in range(game.n)) > game.grand:
        with pytest.raises(InfeasibleError):
            nucleolus(scaled)
        return
    close = {"rel": 1e-9, "abs": 1e-9 * a * max(1.0, float(np.abs(game.v).max()))}
    assert nucleolus(scaled) == pytest.approx(a * nucleolus(game), **close)
    pre = nucleolus(game, domain="preimputation")
    assert nucleolus(scaled, domain="preimputation") == pytest.approx(a * pre, **close)
    assert least_core(scaled).epsilon == pytest.approx(a * least_core(game).epsilon, **close)


def test_pulp_cbc_returns_within_a_time_limit():
    # CBC reports 8 significant digits; rows already in the LP looked violated by more than
    # tol, were "added" again and the loop never ended. A subprocess makes a hang a failure.
    code = (
        "import json; from compensation import TUGame, least_core, nucleolus\n"
        "g = TUGame(3, [0, 4, 9, 13.78438, 2, 20.67657, 16.081777, 33.634735])\n"
        "out = {s: [least_core(g, method=s).epsilon, nucleolus(g, method=s).tolist()]\n"
        "       for s in ('pulp-cbc', 'highs')}\n"
        "print(json.dumps(out))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["pulp-cbc"][0] == pytest.approx(out["highs"][0], abs=1e-6)
    assert out["pulp-cbc"][1] == pytest.approx(out["highs"][1], abs=1e-9)


def test_row_generation_cap_raises_convergence_error(monkeypatch):
    rng = np.random.default_rng(1)
    n = 10
    pc = np.array([bin(t).count("1") for t in range(1 << n)])
    v = pc * (0.5 + rng.random(1 << n))
    v[0], v[-1] = 0.0, 1.6 * n
    monkeypatch.setattr(sys.modules[cooperative.Nucleolus.__module__], "MAX_ROUNDS", 1)
    with pytest.raises(ConvergenceError, match="did not converge in 1 rounds"):
        nucleolus(TUGame(n, v))
    assert issubclass(ConvergenceError, RuntimeError)


def test_failed_lp_raises_convergence_error(monkeypatch):
    failed = _lp.LPResult(np.full(4, np.nan), np.nan, np.zeros(0), 1, "Not Solved")
    monkeypatch.setattr(_lp, "solve", lambda *args, **kwargs: failed)
    with pytest.raises(ConvergenceError, match="'auto' failed in round 1.*Not Solved"):
        least_core(three_player(1.0))


@pytest.mark.parametrize("tol", [math.nan, math.inf, 0.0, -1e-9, 0.1, "x"])
def test_solver_tolerances_are_validated(tol):
    g = three_player(1.0)
    for solve in (nucleolus, least_core):
        with pytest.raises(ValueError, match=r"tol must be finite and in \(0, 0.001\]"):
            solve(g, tol=tol)
    if tol != 0.0:
        with pytest.raises(ValueError, match=r"tol must be finite and in \[0, 0.001\]"):
            in_core(g, [3, 2, 1], tol=tol)
        with pytest.raises(ValueError, match=r"tol must be finite and in \[0, 0.001\]"):
            core_is_empty(g, tol=tol)


def test_in_core_tolerance_is_relative():
    glove = TUGame(3, {(0, 1): 1e-12, (0, 2): 1e-12, (0, 1, 2): 1e-12})
    assert in_core(glove, [1e-12, 0, 0])
    assert not in_core(glove, [0.5e-12, 0.5e-12, 0])  # passed with the absolute floor of 1
    assert in_core(glove, [1, 0, 0], tol=0.0) is False
    with pytest.raises(ValueError, match="x must be 3 finite payoffs"):
        in_core(glove, [1e-12, 0])


# ----- regressions: coalition input (issue 2) -----------------------------------------------


@pytest.mark.parametrize(
    ("v", "message"),
    [
        ({(0, 0): 5.0}, r"coalition \(0, 0\) repeats a player"),
        ({(0, 2): 5.0}, r"coalition \(0, 2\) names a player outside 0..1"),
        ({(-1,): 5.0}, r"coalition \(-1,\) names a player outside 0..1"),
        ({(0.5,): 5.0}, r"coalition \(0.5,\) has 0.5, not a player index"),
        ({1: 5.0}, "coalition 1 must be a tuple or frozenset"),
        ({(0, 1): 1.0, (1, 0): 2.0}, r"coalitions \(0, 1\) and \(1, 0\) are the same"),
        ({(0, 1): math.nan}, r"v of coalition \(0, 1\) must be a finite number; got nan"),
        ({(1,): math.inf}, r"v of coalition \(1,\) must be a finite number; got inf"),
        ({(1,): "a"}, r"v of coalition \(1,\) must be a finite number; got 'a'"),
    ],
)
def test_tugame_rejects_bad_coalitions_naming_them(v, message):
    # {(0, 0): 5} used to put 5 on coalition {1} (bitmask 1 + 1 = 2).
    with pytest.raises(ValueError, match=message):
        TUGame(2, v)


def test_value_rejects_repeated_players_and_bad_n():
    g = TUGame(2, [0, 1, 2, 4])
    assert g.value(frozenset({0, 1})) == 4.0
    with pytest.raises(ValueError, match="repeats a player"):
        g.value((0, 0))
    with pytest.raises(ValueError, match="n must be an integer from 1 to 26"):
        TUGame(True, [0, 1])


def test_shapley_samples_must_be_an_integer_of_at_least_two():
    g = TUGame(2, [0, 1, 2, 4])
    for samples in (1, 2.5, math.nan):
        with pytest.raises(ValueError, match="samples must be an integer ≥ 2"):
            shapley_value(g, method="sample", samples=samples)


# ----- one result vocabulary (issue 11) -----------------------------------------------------


def test_nucleolus_is_a_result_that_behaves_like_its_allocation():
    g = bankruptcy(200, [100, 200, 300])
    nuc = nucleolus(g)
    assert isinstance(nuc, Nucleolus)
    assert nuc.success and nuc.domain == "imputation" and nuc.method == "auto"
    assert nuc.iterations >= 1 and nuc.tol == 1e-9 and "sequential LP" in nuc.message
    expected = [50.0, 75.0, 75.0]
    # The uses documented when nucleolus returned a bare array keep working.
    assert np.asarray(nuc).tolist() == pytest.approx(expected)
    assert nuc.round(6).tolist() == expected and nuc.tolist() == pytest.approx(expected)
    assert nuc.sum() == pytest.approx(200) and np.sum(nuc) == pytest.approx(200)
    assert [nuc[0], len(nuc), nuc.shape] == [pytest.approx(50), 3, (3,)]
    assert list(nuc) == pytest.approx(expected) and nuc[1:].tolist() == pytest.approx([75, 75])
    assert isinstance(2 * nuc, np.ndarray) and (2 * nuc).tolist() == pytest.approx([100, 150, 150])
    assert (nuc - np.array(expected)).max() == pytest.approx(0, abs=1e-9)
    assert nuc == pytest.approx(expected) and in_core(g, nuc)
    alias = nuc
    alias += 1  # a new array: the frozen result is not written into
    assert isinstance(alias, np.ndarray) and nuc.tolist() == pytest.approx(expected)
    text = repr(nuc)
    assert text.startswith("Nucleolus(x=[50.0, 75.0, 75.0], max_excess=")
    assert nuc.to_dict()["method"] == "auto"


@settings(max_examples=30)
@given(games)
def test_prenucleolus_max_excess_is_the_least_core_epsilon(game):
    # The first LP of the prenucleolus is the least-core LP: its level is the least-core
    # epsilon, and the prenucleolus attains it.
    pre = nucleolus(game, domain="preimputation")
    lc = least_core(game)
    scale = max(1.0, float(np.abs(game.v).max()))
    assert pre.max_excess == pytest.approx(lc.epsilon, abs=1e-9 * scale)
    assert pre.max_excess == pytest.approx(game.excesses(pre.x)[1:-1].max(), abs=1e-12 * scale)


def test_method_is_the_keyword_and_solver_its_deprecated_alias():
    g = bankruptcy(200, [100, 200, 300])
    assert nucleolus(g, method="highs").method == "highs"
    assert nucleolus(g, solver="highs").method == "highs"  # old keyword still works
    lc = least_core(g, solver="pulp-cbc")
    assert lc.method == lc.solver == "pulp-cbc"
    assert least_core(g, method="highs", solver="highs").method == "highs"
    for solve in (nucleolus, least_core):
        with pytest.raises(ValueError, match="method='highs' and solver='pulp-cbc' disagree"):
            solve(g, method="highs", solver="pulp-cbc")
        with pytest.raises(ValueError, match="method must be one of"):
            solve(g, method="simplex")
    with pytest.raises(AttributeError):
        lc.solver = "highs"  # read-only alias


def test_least_core_and_shapley_report_how_they_were_computed():
    g = three_player(1.0)
    lc = least_core(g, tol=1e-8)
    assert lc.success and lc.iterations >= 1 and lc.tol == 1e-8 and "row generation" in lc.message
    exact = shapley_value(g)
    assert (exact.method, exact.iterations, exact.tol, exact.success) == ("exact", 0, 0.0, True)
    est = shapley_value(g, method="sample", samples=600, rng=1)
    assert (est.method, est.samples, est.iterations, est.success) == ("sample", 600, 600, True)
    assert math.isnan(est.tol) and "600 random orderings" in est.message
    # Whole blocks only: 3 rotations × 2 directions per block.
    assert shapley_value(g, method="sample", samples=500, rng=1).samples == 498
    assert repr(exact).startswith("ShapleyValue(values=[")


# ----- sampled Shapley values at scale (MODEL.md §11) -----------------------------------------
def leader_game(n, cap, seed=0):
    """A leader (player 0) and n - 1 members with weights sharing a capacity: big-boss shaped."""
    from compensation.solvers.function_game import FunctionGame

    w = np.r_[0.0, np.random.default_rng(seed).uniform(1, 3, n - 1)]
    return FunctionGame(n, lambda t: np.where(t[:, 0], np.minimum(t @ w, cap), 0.0))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("antithetic", "stratified"), [(True, True), (False, False)])
def test_sampled_shapley_within_three_standard_errors_of_exact(seed, antithetic, stratified):
    g = leader_game(9, 8.0, seed)
    exact = shapley_value(g).values  # a FunctionGame of 9 players: tabulated, exact
    est = shapley_value(g, method="sample", samples=3600, rng=seed, antithetic=antithetic,
                        stratified=stratified)  # fmt: skip
    assert (np.abs(est.values - exact) <= 3 * est.standard_error + 1e-12).all()
    assert est.values.sum() == pytest.approx(g.grand, abs=1e-12)


def test_variance_reduction_shrinks_the_standard_errors():
    g = leader_game(12, 10.0)
    plain = shapley_value(g, method="sample", samples=4800, rng=1, antithetic=False,
                          stratified=False)  # fmt: skip
    both = shapley_value(g, method="sample", samples=4800, rng=1)
    assert both.samples == plain.samples == 4800
    # The leader's contribution depends mostly on its position: stratification removes that.
    assert both.standard_error[0] < 0.25 * plain.standard_error[0]
    assert both.standard_error.mean() < plain.standard_error.mean()


def test_sampled_shapley_stop_rule_for_a_large_game():
    g = leader_game(60, 40.0)
    est = shapley_value(g, samples=200_000, tol=0.02, rng=2)
    assert est.method == "sample" and est.success and est.standard_error.max() <= 0.02
    assert est.samples < 200_000 and est.tol == 0.02 and "target 0.02 met" in est.message
    capped = shapley_value(g, samples=480, tol=1e-6, rng=2)
    assert not capped.success and "not met within samples" in capped.message


def test_function_game_exact_shapley_matches_its_table():
    g = leader_game(8, 6.0)
    table = TUGame(8, g.table())
    assert shapley_value(g).values == pytest.approx(shapley_value(table).values, abs=1e-12)
    with pytest.raises(ValueError, match="at most 20 players for a FunctionGame"):
        shapley_value(leader_game(21, 5.0), method="exact")


def test_sampled_shapley_bad_input():
    g = leader_game(5, 3.0)
    with pytest.raises(ValueError, match="samples must be an integer ≥ 2"):
        shapley_value(g, method="sample", samples=0)
    with pytest.raises(ValueError, match="tol must be a finite standard error > 0"):
        shapley_value(g, method="sample", tol=-1.0)
    with pytest.raises(TypeError, match="TUGame or a FunctionGame"):
        shapley_value(np.zeros(4))


def test_function_game_checks_its_function():
    from compensation.solvers.function_game import FunctionGame

    with pytest.raises(ValueError, match="v\\(empty coalition\\) = 0"):
        FunctionGame(2, lambda t: np.ones(len(t)))
    with pytest.raises(ValueError, match="one value per coalition"):
        FunctionGame(2, lambda t: np.zeros((len(t), 2)))
    with pytest.raises(ValueError, match="non-finite value for the coalition in row 1"):
        FunctionGame(2, lambda t: np.where(t.all(axis=1), np.nan, 0.0))
    g = FunctionGame(3, lambda t: t.sum(axis=1) ** 2.0, names=["a", "b", "c"])
    assert g.value((0, 2)) == 4.0 and g.table()[0b111] == 9.0 and repr(g).startswith("Function")
    assert TUGame(3, g.table()).evaluate(np.array([[1, 0, 1]], bool)).tolist() == [4.0]


def test_prefix_chains_give_the_same_sampled_values_as_coalition_rows():
    from compensation.solvers.function_game import FunctionGame

    w = np.r_[0.0, np.linspace(1, 2, 9)]

    def value(t):
        return np.where(t[:, 0], np.minimum(t @ w, 8.0), 0.0)

    def prefix(perms):
        zero = np.zeros((len(perms), 1))
        total = np.concatenate([zero, np.cumsum(w[perms], axis=1)], axis=1)
        lead = np.concatenate([zero > 0, np.cumsum(perms == 0, axis=1) > 0], axis=1)
        return np.where(lead, np.minimum(total, 8.0), 0.0)

    rows, chains = FunctionGame(10, value), FunctionGame(10, value, prefix=prefix)
    a = shapley_value(rows, method="sample", samples=2000, rng=4)
    b = shapley_value(chains, method="sample", samples=2000, rng=4)
    assert b.values == pytest.approx(a.values, abs=1e-12)
    assert b.standard_error == pytest.approx(a.standard_error, abs=1e-12)
    with pytest.raises(ValueError, match="prefix disagrees with function"):
        FunctionGame(10, value, prefix=lambda p: prefix(p) + 1.0)
