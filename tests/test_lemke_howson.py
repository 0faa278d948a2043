"""Lemke–Howson with lexicographic pivoting: verified by regret and by the full enumeration.

The oracle tests run on both backends (numba where installed); the numpy path's own checks
against the full-tableau oracle are here, the numba kernel's in test_lemke_howson_numba.py.
"""

import importlib.util

import numpy as np
import pytest
from hypothesis import given, settings

from compensation.exceptions import ConvergenceError
from compensation.solvers import lemke_howson as lh
from compensation.solvers.equilibria import nash_equilibria
from compensation.solvers.lemke_howson import lemke_howson

from .strategies import bimatrix

BACKENDS = [
    "numpy",
    pytest.param(
        "numba",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("numba") is None, reason="numba not installed"
        ),
    ),
]
HAS_NUMBA = importlib.util.find_spec("numba") is not None


def full_tableau_path(Ap, Bp, label, max_iter=100_000):
    """The previous implementation (full tableaux, textbook update), kept as the oracle."""
    m, n = Ap.shape
    tp = np.hstack([Bp.T, np.eye(n), np.ones((n, 1))])
    tq = np.hstack([Ap, np.eye(m), np.ones((m, 1))])
    basis_p = [2 * m + n + j for j in range(n)]
    basis_q = [m + n + i for i in range(m)]
    entering = label
    for it in range(1, max_iter + 1):  # noqa: B007 - ``it`` is the path length after it
        in_p = entering % (m + n) < m if entering < m + n else entering >= 2 * m + n
        tab, basis, size = (tp, basis_p, m) if in_p else (tq, basis_q, n)
        if in_p:
            col = entering if entering < m else m + (entering - 2 * m - n)
        else:
            col = entering - m if entering < m + n else n + (entering - m - n)
        piv = tab[:, col]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(piv > 1e-12, tab[:, -1] / piv, np.inf)
        row = int(ratio.argmin())
        best = ratio[row]
        cand = np.nonzero(ratio <= best + 1e-12 * max(1.0, abs(best)))[0]
        if cand.size > 1:
            for c in range(size, tab.shape[1] - 1):
                r = tab[cand, c] / piv[cand]
                cand = cand[r <= r.min() + 1e-12 * max(1.0, abs(r.min()))]
                if cand.size == 1:
                    break
            row = int(cand[0])
        leaving = basis[row]
        tab[row] /= tab[row, col]
        factor = tab[:, col].copy()
        factor[row] = 0.0
        tab -= np.outer(factor, tab[row])
        basis[row] = entering
        if leaving % (m + n) == label:
            break
        entering = (leaving + m + n) % (2 * (m + n))
    x, y = np.zeros(m), np.zeros(n)
    for r_, v in enumerate(basis_p):
        if v < m:
            x[v] = tp[r_, -1]
    for r_, v in enumerate(basis_q):
        if m <= v < m + n:
            y[v - m] = tq[r_, -1]
    x, y = np.clip(x, 0.0, None), np.clip(y, 0.0, None)
    return x / x.sum(), y / y.sum(), it


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
    res = lemke_howson(A, B, all_labels=True, backend="numpy")
    eq = nash_equilibria(A, B)
    for x, y in res.equilibria:
        assert in_components(x, y, eq)
    assert res.regret < 1e-9
    if HAS_NUMBA:  # the compiled paths end at the same equilibria
        fast = lemke_howson(A, B, all_labels=True, backend="numba")
        assert fast.backend == "numba" and fast.iterations == res.iterations
        assert len(fast.equilibria) == len(res.equilibria)
        for (x, y), (u, v) in zip(fast.equilibria, res.equilibria, strict=True):
            assert np.abs(x - u).max() <= 1e-12 and np.abs(y - v).max() <= 1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_nondegenerate_paths_reach_known_equilibria(backend):
    rng = np.random.default_rng(4)
    A, B = rng.standard_normal((6, 6)), rng.standard_normal((6, 6))
    every = nash_equilibria(A, B)
    keys = {(tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in every.equilibria}
    res = lemke_howson(A, B, all_labels=True, backend=backend)
    assert res.backend == backend and len(res.equilibria) >= 1
    assert {(tuple(np.round(x, 9)), tuple(np.round(y, 9))) for x, y in res.equilibria} <= keys


@pytest.mark.parametrize("backend", BACKENDS)
def test_same_path_as_quantecon_on_100x100(backend):
    gt = pytest.importorskip("quantecon.game_theory")
    rng = np.random.default_rng(100)
    A, B = rng.standard_normal((100, 100)), rng.standard_normal((100, 100))
    ours = lemke_howson(A, B, init_label=3, backend=backend)
    (x, y), info = gt.lemke_howson(
        gt.NormalFormGame([gt.Player(A), gt.Player(B.T)]), init_pivot=3, full_output=True
    )
    assert ours.iterations == info.num_iter
    assert np.allclose(ours.x, x) and np.allclose(ours.y, y) and ours.regret < 1e-12


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_game_where_plain_pivoting_cycles(backend):
    # All payoffs equal: every ratio ties. Lexicographic rules still give one path.
    res = lemke_howson(np.zeros((4, 4)), np.zeros((4, 4)), all_labels=True, backend=backend)
    assert res.regret == 0.0 and res.iterations >= 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_input(backend):
    with pytest.raises(ValueError, match=r"init_label must be in \[0, 4\)"):
        lemke_howson(np.eye(2), np.eye(2), init_label=4, backend=backend)
    with pytest.raises(ConvergenceError, match="max_iter=1"):
        lemke_howson(
            np.array([[3, 0, 1], [0, 2, 1]]),
            np.array([[2, 0, 1], [0, 3, 2]]),
            init_label=1,
            max_iter=1,
            backend=backend,
        )
    with pytest.raises(ValueError, match="payoff matrix B must be finite"):
        lemke_howson(np.eye(2), np.array([[1.0, np.nan], [0.0, 1.0]]), backend=backend)
    with pytest.raises(ValueError, match="must be 2-D, non-empty and of one shape"):
        lemke_howson(np.eye(2), np.eye(3), backend=backend)


def test_unknown_backend():
    with pytest.raises(ValueError, match=r"backend must be one of \('auto', 'numba', 'numpy'\)"):
        lemke_howson(np.eye(2), np.eye(2), backend="cuda")


@pytest.mark.parametrize("backend", BACKENDS)
def test_payoffs_near_the_largest_float_do_not_overflow(backend):
    # Rescaling computed hi - lo, which is inf for payoffs of ±1e308.
    A = np.array([[1e308, -1e308], [-1e308, 1e308]])
    r = lemke_howson(A, -A, backend=backend)
    assert np.allclose(r.x, 0.5, atol=1e-12) and np.allclose(r.y, 0.5, atol=1e-12)


def same_paths(A, B, labels):
    Ap, Bp = lh._positive(A), lh._positive(B)
    for k in labels:
        x, y, its = lh._path(Ap, Bp, k, 100_000)
        x0, y0, its0 = full_tableau_path(Ap, Bp, k)
        assert its == its0, (k, its, its0)
        assert np.abs(x - x0).max() <= 1e-9 and np.abs(y - y0).max() <= 1e-9, k


@settings(max_examples=100, deadline=None)
@given(bimatrix(min_size=2, max_size=7, ints=True))
def test_condensed_tableau_follows_the_full_tableau_path_on_degenerate_games(game):
    # Same pivots (the lexicographic ties included) and the same equilibrium from every label.
    A, B = game
    same_paths(A, B, range(sum(A.shape)))


def test_condensed_tableau_follows_the_full_tableau_path_on_larger_games():
    rng = np.random.default_rng(7)
    for A, B in [
        (rng.standard_normal((40, 35)), rng.standard_normal((40, 35))),
        (rng.integers(0, 3, (40, 40)).astype(float), rng.integers(0, 3, (40, 40)).astype(float)),
    ]:
        same_paths(A, B, [0, 17, 41, 60])


def test_the_update_split_into_many_blas_calls_is_the_same(monkeypatch):
    # Blocks of one column each: every column boundary of the split update is exercised.
    monkeypatch.setattr(lh, "_BLOCK", 1)
    rng = np.random.default_rng(3)
    same_paths(rng.standard_normal((9, 7)), rng.standard_normal((9, 7)), range(16))
    A, B = rng.integers(0, 2, (8, 8)).astype(float), rng.integers(0, 2, (8, 8)).astype(float)
    same_paths(A, B, range(16))
