"""Compiled Lemke–Howson paths (numba), the pivots of the numpy path in one compiled call.

Imported only when :func:`~compensation.solvers.lemke_howson.lemke_howson` first runs with
``backend="numba"`` or ``"auto"`` and numba is installed: ``import compensation`` never
imports numba.

The tableaux, the numbering of the variables, the ratio test with its tolerance, the
lexicographic tie break over the slack columns in order and the leaving-column trick are
those of ``lemke_howson._Tableau``, operation by operation: the same divisions and products
in the same order, and the rank-1 update rounded as BLAS ``dger`` rounds it (see
``_update``), so the paths are the same pivot for pivot and, with OpenBLAS on x86-64, the
numbers the same to the bit. A tableau is stored transposed (a row per tableau column, rows
contiguous), which is the numpy path's column-major layout.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

TOL = 1e-12  # pivot and ratio-tie tolerance: lemke_howson._TOL

_AXPY_BLOCK = 16  # rows per fused block of the BLAS axpy kernel (see _update)

# Status codes of `paths`.
OK, MAX_ITER, NOT_FINITE, NO_PIVOT, REGRET = 0, 1, 2, 3, 4


@njit(cache=True, error_model="numpy")
def _pairwise_sum(a):  # pragma: no cover - compiled
    # numpy's pairwise summation of a contiguous float64 array, so that x / x.sum() is the
    # numpy path's division to the bit.
    n = a.size
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[0], a[1], a[2], a[3]
        r4, r5, r6, r7 = a[4], a[5], a[6], a[7]
        stop = n - n % 8
        for i in range(8, stop, 8):
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for i in range(stop, n):
            res += a[i]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise_sum(a[:half]) + _pairwise_sum(a[half:])


@njit(cache=True, error_model="numpy")
def _positive(M, out):  # pragma: no cover - compiled
    # lemke_howson._positive_span: entries into [1, 2] by the same operations; returns the
    # range max - min, or -1.0 if an entry is not finite. Branch-free loops (vectorised).
    flat = M.ravel()
    low, high, probe = np.inf, -np.inf, 0.0
    for v in flat:
        low = min(low, v)
        high = max(high, v)
        probe += 0.0 * v  # NaN once an entry is NaN or infinite
    if probe != 0.0 or not np.isfinite(low) or not np.isfinite(high):
        return -1.0
    lo, hi = low / 2, high / 2
    dest = out.ravel()
    if hi <= lo:
        dest[:] = 1.0
    else:
        width = hi - lo
        for i in range(flat.size):
            dest[i] = (flat[i] / 2 - lo) / width + 1.0
    return high - low


@njit(cache=True, error_model="numpy")
def _lex_tie(tab, piv, where, ws, ncand):  # pragma: no cover - compiled
    # lemke_howson._Tableau._lex_tie: the slack columns (the basis inverse) in order, each
    # divided by the pivot column over the tied rows ws.cand[:ncand], keep the least, until
    # one row is left. A basic slack's column is the unit vector of its row: it removes that
    # row (if tied and 1 / pivot exceeds the tolerance) and no other.
    T, _, first = tab
    ratio, cand = ws[0], ws[1]
    for k in range(T.shape[1]):  # one slack a row
        slot = where[first + k]
        if slot >= 0:
            col = T[slot]
            least = np.inf
            for q in range(ncand):
                ratio[q] = col[cand[q]] / piv[cand[q]]
                least = min(least, ratio[q])
            bound = least + TOL * max(1.0, abs(least))
            kept = 0
            for q in range(ncand):
                if ratio[q] <= bound:
                    cand[kept] = cand[q]
                    kept += 1
            ncand = kept
        else:
            ncand = _drop(cand, ncand, -1 - slot, piv)
        if ncand == 1:
            break
    return cand[0]


@njit(cache=True, error_model="numpy")
def _drop(cand, ncand, b, piv):  # pragma: no cover - compiled
    # The unit column of row b: removes b from the tied rows if 1 / pivot exceeds TOL.
    for q in range(ncand):
        if cand[q] == b:
            if 1.0 / piv[b] > TOL:
                cand[q : ncand - 1] = cand[q + 1 : ncand].copy()
                ncand -= 1
            break
    return ncand


@intrinsic
def _fmuladd(typingctx, a, b, c):  # pragma: no cover - compiled
    # a * b + c, fused into one rounding where the CPU has a fast FMA (LLVM's fmuladd).
    def codegen(context, builder, signature, args):
        d = ir.DoubleType()
        fn = builder.module.declare_intrinsic("llvm.fmuladd", [d], ir.FunctionType(d, [d, d, d]))
        return builder.call(fn, args)

    return types.float64(types.float64, types.float64, types.float64), codegen


@njit(cache=True, error_model="numpy")
def _update(T, row, c, factor, scaled):  # pragma: no cover - compiled
    # The rank-1 update T -= outer(factor, scaled) of every column but the entering one
    # (overwritten by the caller), rounded as OpenBLAS's dger rounds it on x86-64 with FMA:
    # its axpy kernel adds (-s) * factor, fused in blocks of 16 rows and not in the
    # remaining rows (with another BLAS the numbers may differ in the last bit).
    rows = T.shape[1]
    head = rows - rows % _AXPY_BLOCK
    for j in range(T.shape[0]):
        if j == c:
            continue
        ns = -scaled[j]
        col = T[j]
        for i in range(head):
            col[i] = _fmuladd(ns, factor[i], col[i])
        for i in range(head, rows):
            col[i] = col[i] + ns * factor[i]
        col[row] = scaled[j]


@njit(cache=True, error_model="numpy")
def _min_ratio(piv, rhs, ratio):  # pragma: no cover - compiled
    # The least rhs / piv over rows with piv > TOL (first such row), or -1 with none.
    rows = piv.size
    for i in range(rows):  # divide everywhere, then bar the rows without a positive pivot
        ratio[i] = rhs[i] / piv[i]
    for i in range(rows):
        if piv[i] <= TOL:
            ratio[i] = np.inf
    row, best = -1, np.inf
    for i in range(rows):
        if ratio[i] < best:
            row, best = i, ratio[i]
    return row, best


@njit(cache=True, error_model="numpy")
def _step(tab, where, entering, ws):  # pragma: no cover - compiled
    # One pivot of lemke_howson._Tableau.step; returns the leaving variable (-1: no pivot).
    T, basis, _ = tab
    ratio, cand, scaled, factor = ws
    cols, rows = T.shape[0] - 1, T.shape[1]
    c = where[entering]
    piv = T[c]
    row, best = _min_ratio(piv, T[cols], ratio)
    if row < 0:
        return -1
    bound = best + TOL * max(1.0, abs(best))
    ncand = 0
    for i in range(rows):
        if ratio[i] <= bound:
            cand[ncand] = i
            ncand += 1
    if ncand > 1:
        row = _lex_tie(tab, piv, where, ws, ncand)
    p = piv[row]
    factor[:rows] = piv
    factor[row] = 0.0
    for j in range(cols + 1):
        scaled[j] = T[j, row] / p
    _update(T, row, c, factor, scaled)
    # The leaving variable's column: e_row of the full tableau after the same update.
    mult = -(1.0 / p)
    for i in range(rows):
        piv[i] = factor[i] * mult
    piv[row] = 1.0 / p
    leaving = basis[row]
    basis[row] = entering
    where[entering] = -1 - row
    where[leaving] = c
    return leaving


@njit(cache=True, error_model="numpy")
def _regret(A, B, x, y, ws):  # pragma: no cover - compiled
    # equilibria.regret: the largest gain of a deviation, from the original payoffs. Sums
    # run over the supports only (the other terms add exact zeros).
    xB, support = ws
    m, n = A.shape
    count = 0
    for j in range(n):
        if y[j] != 0.0:
            support[count] = j
            count += 1
    top, value = -np.inf, 0.0
    for i in range(m):
        s = 0.0
        for q in range(count):
            s += A[i, support[q]] * y[support[q]]
        top = max(top, s)
        value += x[i] * s
    gain = max(0.0, top - value)
    xB[:n] = 0.0
    for i in range(m):
        if x[i] != 0.0:
            for j in range(n):
                xB[j] += x[i] * B[i, j]
    top, value = -np.inf, 0.0
    for j in range(n):
        top = max(top, xB[j])
        value += xB[j] * y[j]
    return max(gain, top - value)


@njit(cache=True, error_model="numpy")
def _same(x, u):  # pragma: no cover - compiled
    # np.allclose(x, u, atol=1e-9) (rtol 1e-5 relative to u), as the numpy path compares.
    return np.all(np.abs(x - u) <= 1e-9 + 1e-5 * np.abs(u))


@njit(cache=True, error_model="numpy")
def _path(state, start, ws, max_iter):  # pragma: no cover - compiled
    # lemke_howson._path on the tableaux tp (x and s) and tq (y and r), whose bases are
    # reset here: the pivots taken, or MAX_ITER / NO_PIVOT as a negative count.
    tp, tq, where = state
    TP, basis_p, first_p = tp
    TQ, basis_q, first_q = tq
    m, n = TP.shape[0] - 1, TQ.shape[0] - 1
    mn = m + n
    for j in range(n):
        basis_p[j] = first_p + j
        where[m + j] = j
        where[first_p + j] = -1 - j
    for i in range(m):
        basis_q[i] = first_q + i
        where[i] = i
        where[first_q + i] = -1 - i
    entering, it = start, 0
    while it < max_iter:
        it += 1
        tab = tp if (entering < m or entering >= first_p) else tq
        leaving = _step(tab, where, entering, ws)
        if leaving < 0:
            return -NO_PIVOT
        if leaving % mn == start:
            return it
        entering = (leaving + mn) % (2 * mn)
    return -MAX_ITER


@njit(cache=True, error_model="numpy")
def _equilibrium(tp, tq, x, y):  # pragma: no cover - compiled
    # The basic x and y, clipped at 0 and normalised as numpy does (x / x.sum()).
    TP, basis_p, _ = tp
    TQ, basis_q, _ = tq
    m, n = x.size, y.size
    for j in range(n):
        if basis_p[j] < m:
            x[basis_p[j]] = max(TP[m, j], 0.0)
    for i in range(m):
        v = basis_q[i] - m
        if 0 <= v < n:
            y[v] = max(TQ[n, i], 0.0)
    sx, sy = _pairwise_sum(x), _pairwise_sum(y)
    for i in range(m):
        x[i] = x[i] / sx
    for j in range(n):
        y[j] = y[j] / sy


@njit(cache=True, error_model="numpy")
def paths(A, B, label, all_labels, max_iter):  # pragma: no cover - compiled
    """Paths from ``label``, then (``all_labels``) from every other label in order.

    Returns ``(XY, iterations, regret, status, done, last)``: ``XY[k, :m], XY[k, m:-1]``
    the equilibrium reached from the k-th label, ``XY[k, -1]`` 1.0 where it differs from
    every earlier one (``np.allclose`` with ``atol=1e-9``), else 0.0 (one array: a small
    game's time is mostly fixed cost); the pivots and the regret of the first path;
    ``status``: OK, or for the ``done``-th label MAX_ITER, NOT_FINITE, NO_PIVOT or REGRET
    (a regret above 1e-8 max(1, ptp A, ptp B), given in ``last``).
    """
    m, n = A.shape
    mn = m + n
    L = mn if all_labels else 1
    XY = np.zeros((L, mn + 1))
    X, Y, new = XY[:, :m], XY[:, m:mn], XY[:, mn]
    first_its, first_regret = 0, 0.0
    # Tableau P: a row per column j of B, columns x_i then the rhs; tableau Q: a row per
    # row i of A, columns y_j then the rhs; both stored transposed. Variables as in
    # lemke_howson._path: x_i -> i, y_j -> m + j, r_i -> m + n + i, s_j -> 2m + n + j.
    # Workspace in two allocations (a small game's time is mostly fixed cost).
    size = max(m, n) + 1
    work = np.empty(2 * m * n + (m + 1) * n + (n + 1) * m + 4 * size)
    ints = np.empty(3 * mn + 2 * size, np.int64)
    Ap, Bp = work[: m * n].reshape((m, n)), work[m * n : 2 * m * n].reshape((m, n))
    TP = work[2 * m * n : 2 * m * n + (m + 1) * n].reshape((m + 1, n))
    TQ = work[2 * m * n + (m + 1) * n : -4 * size].reshape((n + 1, m))
    vec = work[-4 * size :]
    ws = (vec[:size], ints[:size], vec[size : 2 * size], vec[2 * size : 3 * size])
    tp = (TP, ints[size : size + n], 2 * m + n)
    tq = (TQ, ints[size + n : size + mn], mn)
    where, support = ints[size + mn : size + 3 * mn], ints[size + 3 * mn :]
    span_a, span_b = _positive(A, Ap), _positive(B, Bp)
    if span_a < 0 or span_b < 0:
        return XY, 0, 0.0, NOT_FINITE, 0, 0.0
    bound = 1e-8 * max(1.0, span_a, span_b)
    for k in range(L):
        start = label if k == 0 else (k - 1 if k <= label else k)
        TP[:m] = Bp
        TP[m] = 1.0
        for i in range(m):
            for j in range(n):
                TQ[j, i] = Ap[i, j]
        TQ[n] = 1.0
        it = _path((tp, tq, where), start, ws, max_iter)
        if it < 0:
            return XY, first_its, first_regret, -it, k, 0.0
        _equilibrium(tp, tq, X[k], Y[k])
        r = _regret(A, B, X[k], Y[k], (vec[3 * size :], support))
        if r > bound:
            return XY, first_its, first_regret, REGRET, k, r
        if k == 0:
            first_its, first_regret = it, r
        new[k] = 1.0
        for q in range(k):
            if new[q] == 1.0 and _same(X[k], X[q]) and _same(Y[k], Y[q]):
                new[k] = 0.0
                break
    return XY, first_its, first_regret, OK, L, 0.0
