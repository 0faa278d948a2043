"""Bitmask kernels and the code that shares them: decoding, big-boss checks, HiGHS rows, Owen.

Each kernel is checked against a plain-Python oracle written from its definition.
"""

import itertools
import math
import tracemalloc

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import TUGame
from compensation.solvers import _coalitions, _warm, function_game
from compensation.solvers.bigboss import big_boss
from compensation.solvers.owen import banzhaf_value, owen_value
from compensation.solvers.shapley import shapley_value


def members(t, n):
    return [i for i in range(n) if t >> i & 1]


@pytest.mark.parametrize("n", [1, 5, 31, 62])
def test_coalition_matrix_decodes_every_bit_and_has_one_home(n):
    assert function_game.coalition_matrix is _coalitions.coalition_matrix
    rng = np.random.default_rng(n)
    masks = np.r_[0, (1 << n) - 1, rng.integers(0, 1 << n, 50, dtype=np.int64)]
    got = _coalitions.coalition_matrix(masks, n)
    assert got.dtype == bool and got.shape == (masks.size, n)
    for row, t in zip(got, masks.tolist()):
        assert np.flatnonzero(row).tolist() == members(t, n)
    inc = _coalitions.incidence(masks, n)
    assert inc.dtype == np.float64 and np.array_equal(inc, got.astype(float))


def oracle_violation(v, n, boss, slack):
    """The big-boss checks of Muto et al. (1988) coalition by coalition: (kind, gap, T)."""
    full = (1 << n) - 1
    grand = v[full]
    marginal = [grand - v[full ^ (1 << j)] for j in range(n)]
    gaps = {"zero": [], "monotone": [], "union": []}
    for t in range(1 << n):
        has = bool(t >> boss & 1)
        gaps["zero"].append(0.0 if has else abs(v[t]))
        joins = [v[t] - v[t | 1 << i] for i in range(n) if not t >> i & 1]
        gaps["monotone"].append(max(joins, default=-math.inf))
        outside = 0.0
        for j in range(n):  # summed in index order, as by doubling
            if j != boss and not t >> j & 1:
                outside += marginal[j]
        gaps["union"].append(outside - (grand - v[t]) if has else -math.inf)
    for kind, gap in gaps.items():
        worst = max(gap)
        if worst > slack:
            return kind, worst, members(gap.index(worst), n)
    return "", 0.0, []


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.integers(0, n - 1),
            st.lists(st.integers(0, 6), min_size=(1 << n) - 1, max_size=(1 << n) - 1),
        )
    )
)
def test_exact_big_boss_check_reports_the_oracles_worst_coalition(case):
    n, boss, values = case
    v = [0.0] + [float(x) for x in values]
    r = big_boss(TUGame(n, v), boss=boss)
    kind, worst, where = oracle_violation(v, n, boss, 1e-9 * max(1.0, abs(v[-1])))
    assert r.holds == (kind == "") and r.worst == worst
    if kind:
        assert r.violation.startswith(f"{kind}: ")
        assert r.violation.endswith(f"worst at T = ({', '.join(f'player {i}' for i in where)})")


def test_exact_big_boss_check_does_not_decode_every_coalition():
    # Decoding all 2^n coalitions into an (2^n, n) matrix took n / 2 tables of int64 more; the
    # check now needs a few arrays of 2^n values.
    n = 16
    inside = _coalitions.coalition_matrix(np.arange(1 << n), n)
    weights = np.arange(n, dtype=float)
    game = TUGame(n, np.where(inside[:, 0], np.minimum(inside @ weights, 40.0), 0.0))
    tracemalloc.start()
    try:
        r = big_boss(game)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert r.holds and r.checked == "exact"
    assert peak < 8 * game.v.nbytes  # the full decode alone was n = 16 tables


@pytest.mark.skipif(not _warm.available(), reason="needs HiGHS's incremental core")
def test_warm_model_rows_are_the_coalitions_incidence_rows():
    n = 6
    rng = np.random.default_rng(3)
    v = np.r_[0.0, rng.random((1 << n) - 1)]
    v[-1] = float(n)
    g = _coalitions.Scaled(v, n, np.full(n, 0.1), "auto", 1e-10, 500)
    model = _warm.WarmModel(g)
    cuts = [3, 5, 6, 17, 40, 62]
    model.add_cuts(cuts)
    lp = model.h.getLp()
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    sparse = scipy.sparse.csc_matrix if a.format_.name == "kColwise" else scipy.sparse.csr_matrix
    dense = sparse((a.value_, a.index_, a.start_), shape=shape).toarray()
    # v(N) (no eps), each player's bound x_i >= lower_i (no eps), then the cuts with eps
    ts = [(1 << n) - 1] + [1 << i for i in range(n)] + cuts
    eps = [0.0] * (1 + n) + [1.0] * len(cuts)
    expected = [[float(t >> i & 1) for i in range(n)] + [e] for t, e in zip(ts, eps)]
    assert dense.tolist() == expected
    assert model.coalition_of == [(1 << n) - 1, *[-1 - i for i in range(n)], *cuts]
    assert model.row_of == {(1 << n) - 1: 0, **{1 << i: 1 + i for i in range(n)},
                            **{t: 1 + n + k for k, t in enumerate(cuts)}}  # fmt: skip


def owen_oracle(v, n, unions):
    """Mean marginal contribution over every ordering that keeps each union together."""
    total, count = np.zeros(n), 0
    for order in itertools.permutations(unions):
        for inner in itertools.product(*(itertools.permutations(u) for u in order)):
            t = 0
            for i in itertools.chain(*inner):
                total[i] += v[t | 1 << i] - v[t]
                t |= 1 << i
            count += 1
    return total / count


@pytest.mark.parametrize(
    "unions",
    [[[0, 1, 2, 3, 4]], [[0], [1], [2], [3], [4]], [[0, 3], [1, 2, 4]], [[4], [0, 1], [2, 3]]],
)
def test_exact_owen_value_against_the_orderings_it_averages(unions):
    n = 5
    v = np.r_[0.0, np.random.default_rng(7).random((1 << n) - 1)]
    got = owen_value(TUGame(n, v), unions).values
    assert got == pytest.approx(owen_oracle(v, n, unions), abs=1e-12)


@pytest.mark.parametrize("samples", [0, 1, -3, 2.5, True, np.int64(1)])
def test_one_sample_size_check_for_every_estimator(samples):
    game = TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1})
    calls = {
        "orderings": lambda: shapley_value(game, method="sample", samples=samples),
        "orderings ": lambda: owen_value(game, [[0, 1], [2]], method="sample", samples=samples),
        "coalitions": lambda: banzhaf_value(game, method="sample", samples=samples),
    }
    for what, call in calls.items():
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == (
            f"samples must be an integer ≥ 2 ({what.strip()} to draw); got {samples!r}"
        )


def test_two_samples_suffice_and_the_big_boss_check_takes_one():
    game = TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1})
    assert shapley_value(game, method="sample", samples=np.int64(2), rng=0).samples >= 2
    assert owen_value(game, [[0, 1], [2]], method="sample", samples=2, rng=0).samples == 2
    assert banzhaf_value(game, method="sample", samples=2, rng=0).samples == 2
    wide = function_game.FunctionGame(21, lambda t: t[:, 0] * 1.0)
    assert big_boss(wide, samples=1, rng=0).coalitions == 1
    with pytest.raises(ValueError, match=r"≥ 1 \(random coalitions to check\); got 0"):
        big_boss(wide, samples=0)
