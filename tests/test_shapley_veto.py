"""Sampled Shapley values with veto players first in every ordering (MODEL.md §11).

The weights are checked by enumerating every ordering (the estimator's expectation equals the
exact value), the sampler against exact values of consortium and constructed veto games
within three standard errors across seeds, the standard errors by their calibration, and the
veto condition by games that break it.
"""

import itertools
import math

import numpy as np
import pytest

from compensation import TUGame
from compensation.solvers._sampling import ordering_marginals
from compensation.solvers._veto import check_veto, veto_weights
from compensation.solvers.function_game import FunctionGame
from compensation.solvers.shapley import shapley_value

from .test_shapley_sampling import county, leader_game


def veto_table(n, veto, seed):
    """Random values on the coalitions holding every veto player, 0 elsewhere."""
    rng = np.random.default_rng(seed)
    need = sum(1 << i for i in veto)
    masks = np.arange(1 << n)
    v = np.where((masks & need) == need, rng.uniform(0, 10, 1 << n), 0.0)
    return TUGame(n, {tuple(np.flatnonzero((m >> np.arange(n)) & 1)): v[m] for m in masks[1:]})


@pytest.mark.parametrize("n, d", [(2, 1), (3, 2), (5, 1), (5, 2), (5, 4), (30, 1), (30, 3)])
def test_weights_average_the_chance_of_following_every_veto_player(n, d):
    w = veto_weights(n, d)
    assert w.shape == (n - d,) and w.mean() == pytest.approx(1 / (d + 1), rel=1e-12)
    m = np.arange(n - d)
    direct = [(n - d) / n * math.comb(k + d, d) / math.comb(n - 1, d) for k in m]
    assert w == pytest.approx(direct, rel=1e-12)
    if d == 1:
        assert w == pytest.approx((m + 1) / n, rel=1e-12)


@pytest.mark.parametrize("veto", [(0,), (1, 3), (0, 2, 4)])
def test_every_ordering_enumerated_gives_the_exact_value(veto):
    # The estimator's expectation, over all orderings of the others behind the veto players,
    # is the Shapley value: a check of the weights with no sampling noise.
    n = 6
    game = veto_table(n, veto, seed=len(veto))
    others = [i for i in range(n) if i not in veto]
    perms = np.array([list(veto) + list(p) for p in itertools.permutations(others)])
    marg = ordering_marginals(game, perms)
    w = veto_weights(n, len(veto))
    rank = np.argsort(perms[:, len(veto) :], axis=1)  # others are sorted: index = position
    phi = np.empty(n)
    phi[others] = (marg[:, others] * w[rank]).mean(axis=0)
    phi[list(veto)] = (game.grand - phi[others].sum()) / len(veto)
    assert phi == pytest.approx(shapley_value(game).values, abs=1e-12)


@pytest.mark.parametrize("veto", [(0,), (2, 5)])
def test_sampled_veto_game_within_three_standard_errors(veto):
    game = veto_table(8, veto, seed=7)
    exact = shapley_value(game).values
    assert exact[list(veto)] == pytest.approx(exact[veto[0]])  # veto players are symmetric
    for seed in range(4):
        est = shapley_value(game, method="sample", samples=1200, rng=seed, veto=veto)
        assert est.veto == veto and est.standard_error.min() > 0
        assert (np.abs(est.values - exact) <= 3 * est.standard_error).all()
        assert est.values.sum() == pytest.approx(game.grand, abs=1e-12)


@pytest.mark.parametrize("n, fields", [(11, {"readiness_cost": 0.5}), (15, {})])
def test_sampled_consortium_with_the_leader_first_within_three_standard_errors(n, fields):
    game = county(n, 4, **fields)  # 12 and 16 players: tabulated, exact
    exact = shapley_value(game).values
    for seed in range(3):
        est = shapley_value(game, method="sample", samples=40 * n, rng=seed, veto=0)
        assert (np.abs(est.values - exact) <= 3 * est.standard_error + 1e-9).all()
        assert est.values.sum() == pytest.approx(game.grand, abs=1e-9)
        assert "veto players [0] first" in est.message


def test_standard_errors_are_calibrated_across_seeds():
    # z = (estimate - exact) / SE near standard normal, the leader's (by efficiency) included.
    g = leader_game(10, 9.0, seed=2, veto=(0,))
    exact = shapley_value(g).values
    z = []
    for seed in range(30):
        est = shapley_value(g, method="sample", samples=360, rng=seed)
        assert est.veto == (0,)  # declared by the game
        z.append((est.values - exact) / est.standard_error)
    z = np.array(z)
    assert 0.6 < float(np.mean(z**2)) < 1.6
    assert 0.4 < float(np.mean(z[:, 0] ** 2)) < 2.0
    assert (np.abs(z) < 4.5).all()


def test_veto_design_beats_uniform_orderings_on_a_consortium():
    game = county(40, 2)
    fair = dict(method="sample", samples=40 * 41 * 2 * 4, rng=3)
    veto = shapley_value(game, veto=0, **fair)
    uniform = shapley_value(game, veto=(), **fair)
    assert veto.samples == pytest.approx(uniform.samples, rel=0.05)
    assert veto.standard_error[1:].max() < 0.5 * uniform.standard_error[1:].max()
    assert veto.standard_error[0] < 0.4 * uniform.standard_error[0]
    gap = np.abs(veto.values - uniform.values)
    assert (gap <= 3 * np.hypot(veto.standard_error, uniform.standard_error) + 1e-12).all()


def test_members_who_count_only_right_behind_the_leader_are_seen():
    # v(T) = 1 once the leader has a member: member j adds 1 only when it comes right after the
    # leader, phi_j = 1/(n(n-1)). Uniform orderings rarely draw that (0 ± 0 for most members);
    # with the leader first, each member leads the others once per Latin square: exact.
    n = 40

    def prefix(perms):
        lead = np.cumsum(perms == 0, axis=1) > 0
        size = np.arange(1, n + 1)
        return np.concatenate([np.zeros((len(perms), 1)), (lead & (size >= 2)) * 1.0], axis=1)

    g = FunctionGame(n, lambda t: (t[:, 0] & (t.sum(axis=1) >= 2)) * 1.0, prefix=prefix)
    exact = np.r_[1 - 1 / n, np.full(n - 1, 1 / (n * (n - 1)))]
    new = shapley_value(g, method="sample", samples=2 * n * 8, rng=0, veto=0)
    old = shapley_value(g, method="sample", samples=2 * n * 8, rng=0)
    assert new.values == pytest.approx(exact, abs=1e-12)
    assert (old.values[1:] < 1e-12).sum() > (n - 1) / 2  # 0 but for rounding
    assert (old.standard_error[1:] == 0).sum() > (n - 1) / 2


def test_per_player_targets_stop_on_the_members():
    g = leader_game(40, 30.0, seed=1, veto=(0,))
    tol = np.r_[np.inf, np.full(39, 0.004)]
    est = shapley_value(g, samples=400_000, tol=tol, rng=2)
    assert est.success and (est.standard_error[1:] <= 0.004).all()
    assert est.samples < 400_000 and "targets per player met" in est.message
    with pytest.raises(ValueError, match="one per player"):
        shapley_value(g, method="sample", tol=np.ones(3))
    with pytest.raises(ValueError, match="one per player"):
        shapley_value(g, method="sample", tol=np.full(40, np.inf))


def test_a_game_without_that_veto_player_is_refused():
    glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 0.5, (0, 1, 2): 1})
    with pytest.raises(ValueError, match=r"T = \[1, 2\], which lacks player\(s\) \[0\]"):
        shapley_value(glove, method="sample", samples=100, veto=0)
    assert shapley_value(glove, method="sample", samples=120, rng=1).veto == ()

    # Large: v(N minus i) = 0, so only the sampled coalitions reveal it (non-monotone).
    def value(t):
        size = t.sum(axis=1)
        return np.where(t[:, 0], size, ((size > 3) & (size < 25)).astype(float))

    big = FunctionGame(30, value, veto=(0,))  # the cheap declaration check passes
    with pytest.raises(ValueError, match="not a set of veto players"):
        shapley_value(big, method="sample", samples=100)
    with pytest.raises(ValueError, match="not a set of veto players"):
        check_veto(big, 0, np.random.default_rng(0))


@pytest.mark.parametrize("veto", ["a", [0, 0], 7, -1, True, [1.5]])
def test_bad_veto_players_are_named(veto):
    g = veto_table(4, (0,), seed=1)
    with pytest.raises(ValueError, match="veto"):
        shapley_value(g, method="sample", samples=100, veto=veto)


@pytest.mark.parametrize("veto", [(5,), (0, 0), (True,), (1,)])
def test_function_game_checks_its_declared_veto_players(veto):
    with pytest.raises(ValueError, match="veto"):
        FunctionGame(3, lambda t: (t[:, 0] & t[:, 1:].any(axis=1)) * 1.0, veto=veto)


def test_function_game_declares_sorted_veto_players():
    g = FunctionGame(3, lambda t: (t[:, 0] & t[:, 2]) * 1.0, veto=(2, 0))
    assert g.veto == (0, 2)
    est = shapley_value(g, method="sample", samples=60, rng=0)
    assert est.veto == (0, 2) and est.values == pytest.approx([0.5, 0.0, 0.5])


def test_every_player_a_veto_player():
    g = FunctionGame(4, lambda t: t.all(axis=1) * 8.0)
    est = shapley_value(g, method="sample", samples=100, veto=range(4))
    assert est.values.tolist() == [2.0] * 4 and est.standard_error.tolist() == [0.0] * 4
