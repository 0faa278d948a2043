"""The compiled Lemke–Howson (numba) takes the numpy path's pivots and reaches its equilibria.

The numpy path is checked against the textbook full-tableau update in test_lemke_howson.py;
here the kernel is checked against the numpy path, pivot count and equilibrium, from every
starting label, on random and degenerate games of many shapes.
"""

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings

from compensation.exceptions import ConvergenceError
from compensation.solvers import lemke_howson as lh
from compensation.solvers.lemke_howson import lemke_howson

from .strategies import bimatrix

pytest.importorskip("numba")
K = pytest.importorskip("compensation.solvers._lh_kernel")

ATOL = 1e-12


def same_results(A, B, labels, all_labels=False):
    for k in labels:
        fast = lemke_howson(A, B, init_label=k, all_labels=all_labels, backend="numba")
        base = lemke_howson(A, B, init_label=k, all_labels=all_labels, backend="numpy")
        assert (fast.backend, base.backend) == ("numba", "numpy")
        assert fast.iterations == base.iterations, (k, fast.iterations, base.iterations)
        assert len(fast.equilibria) == len(base.equilibria), k
        for (x, y), (u, v) in zip(fast.equilibria, base.equilibria, strict=True):
            assert np.abs(x - u).max() <= ATOL and np.abs(y - v).max() <= ATOL, k
        assert abs(fast.regret - base.regret) <= ATOL and fast.regret < 1e-9


def games(seed, shapes):
    rng = np.random.default_rng(seed)
    for m, n in shapes:
        yield rng.standard_normal((m, n)), rng.standard_normal((m, n))
        yield rng.integers(0, 3, (m, n)).astype(float), rng.integers(0, 2, (m, n)).astype(float)


def test_same_pivots_and_equilibria_from_every_label_on_small_games():
    shapes = [(2, 2), (2, 5), (5, 2), (3, 3), (4, 7), (7, 4), (8, 8), (9, 16), (17, 12)]
    for A, B in games(1, shapes):
        same_results(A, B, range(sum(A.shape)))


def test_same_pivots_and_equilibria_on_larger_games():
    # 16 rows and more: the update's fused blocks and their remainders both occur.
    shapes = [(20, 33), (33, 20), (40, 40), (60, 60), (60, 45)]
    for A, B in games(2, shapes):
        m, n = A.shape
        same_results(A, B, [0, m - 1, m, m + n - 1])


def test_same_equilibria_with_all_labels():
    for A, B in games(3, [(6, 6), (12, 9), (30, 30)]):
        same_results(A, B, [0, 5], all_labels=True)


@settings(max_examples=100, deadline=None)
@given(bimatrix(min_size=2, max_size=7, ints=True))
def test_degenerate_games_never_cycle_and_match(game):
    # Integer payoffs tie everywhere: the lexicographic rule decides each step, in both.
    A, B = game
    same_results(A, B, range(sum(A.shape)))


def test_constant_and_zero_games():
    for A in (np.zeros((5, 3)), np.full((3, 5), 7.0)):
        same_results(A, A.copy(), range(8), all_labels=True)


def test_inputs_of_other_layouts_are_copied_not_recompiled():
    rng = np.random.default_rng(5)
    A, B = rng.standard_normal((9, 7)), rng.standard_normal((9, 7))
    ref = lemke_howson(A, B, init_label=4, backend="numba")
    F = np.asfortranarray(A)
    R = B.copy()
    R.flags.writeable = False
    for a, b in [(F, B), (A, R), (A.tolist(), B.tolist()), (A, B[:, :])]:
        res = lemke_howson(a, b, init_label=4, backend="numba")
        assert np.array_equal(res.x, ref.x) and np.array_equal(res.y, ref.y)
    lemke_howson(A, B, init_label=np.int64(4), all_labels=1, max_iter=10**20, backend="numba")
    # A single compiled signature for the path kernel.
    assert len(K.paths.signatures) == 1
    # Zero-sum default (B omitted), as the numpy path.
    z = lemke_howson(A, backend="numba")
    assert np.array_equal(z.x, lemke_howson(A, backend="numpy").x)


def test_errors_as_the_numpy_path():
    with pytest.raises(ValueError, match=r"payoff matrix A must be finite; got .*inf"):
        lemke_howson(np.array([[1.0, np.inf], [0.0, 1.0]]), np.eye(2), backend="numba")
    with pytest.raises(ConvergenceError, match="max_iter=0"):
        lemke_howson(np.eye(3), np.eye(3), max_iter=0, backend="numba")
    A = np.eye(2)
    with pytest.raises(ConvergenceError, match="ended with regret 0.5"):
        lh._fail(K, K.REGRET, A, A, max_iter=10, regret_=0.5)
    with pytest.raises(ConvergenceError, match="no pivot"):
        lh._fail(K, K.NO_PIVOT, A, A, max_iter=10, regret_=0.0)


def test_auto_picks_numba_from_50x50_and_a_missing_numba_falls_back_or_says_how(monkeypatch):
    rng = np.random.default_rng(7)
    big = rng.random((50, 50)), rng.random((50, 50))
    small = rng.random((49, 51)), rng.random((49, 51))
    assert lemke_howson(*big).backend == "numba"
    # Below AUTO_CELLS numpy is faster than loading numba; both take the same pivots.
    a, b = lemke_howson(*small), lemke_howson(*small, backend="numba")
    assert (a.backend, b.backend) == ("numpy", "numba")
    assert a.iterations == b.iterations and np.allclose(a.x, b.x, atol=1e-12)
    monkeypatch.setattr(lh, "_load_kernel", lambda: None)
    assert lemke_howson(*big).backend == "numpy"
    with pytest.raises(ImportError, match=r"pip install 'compensation\[fast\]'"):
        lemke_howson(np.eye(2), np.eye(2), backend="numba")


def test_numba_is_imported_on_first_use_only_and_is_optional():
    # A fresh process: the package imports without numba; with numba blocked, "auto" runs
    # the numpy path and "numba" names the extra to install.
    code = (
        "import sys\n"
        "import compensation, compensation.solvers.lemke_howson as lh\n"
        "assert 'numba' not in sys.modules\n"
        "sys.modules['numba'] = None\n"
        "import numpy as np\n"
        "print(lh.lemke_howson(np.eye(50) + 1, np.eye(50) + 2).backend)\n"
        "try:\n"
        "    lh.lemke_howson([[1.0]], [[1.0]], backend='numba')\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    backend, message = out.stdout.splitlines()
    assert backend == "numpy"
    assert "pip install 'compensation[fast]'" in message


def test_max_iter_without_a_finite_integer_cap_behaves_as_on_the_numpy_path():
    rng = np.random.default_rng(3)
    A, B = rng.random((50, 50)), rng.random((50, 50))
    ref = lemke_howson(A, B, backend="numpy", max_iter=float("inf"))
    got = lemke_howson(A, B, backend="numba", max_iter=float("inf"))
    assert got.iterations == ref.iterations and np.array_equal(got.x, ref.x)
    for backend in ("numpy", "numba"):
        with pytest.raises(ConvergenceError, match="exceeded max_iter"):
            lemke_howson(A, B, backend=backend, max_iter=-(10**30))
