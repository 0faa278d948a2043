r"""One Nash equilibrium of a bimatrix game by Lemke–Howson with lexicographic pivoting.

Complementary pivoting on the tableaux of the best-response polytopes (von Stengel 2002,
§3.6). The minimum-ratio test breaks ties lexicographically on the rows of
:math:`[\,\beta \mid B^{-1}]`, which are all different, so each pivot step is unique and the
path never cycles, even in degenerate games (where a plain ratio test can loop forever).

Each tableau is stored condensed (basic columns, which are unit vectors, are left out) and
column-major, and a pivot is one rank-1 update through BLAS ``dger`` in place, with
preallocated buffers; the lexicographic comparison runs only among rows that tie in the plain
ratio test. The pivots are those of the textbook full-tableau update (kept as the oracle in
the tests); the numbers may differ in the last bits where BLAS fuses a multiply and an add.
With numba installed (``pip install 'compensation[fast]'``) the same pivots run compiled
(``compensation.solvers._lh_kernel``, imported on first use only).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.linalg.blas import dger as _dger

from .._results import Result
from ..exceptions import ConvergenceError
from .equilibria import bimatrix, regret

__all__ = ["LemkeHowson", "lemke_howson"]


@dataclass(frozen=True)
class LemkeHowson(Result):
    """An equilibrium found by Lemke–Howson, with its path length and check.

    Attributes
    ----------
    x, y : ndarray
        Mixed strategies of the row and the column player (probabilities).
    init_label : int
        The label dropped first: ``i < m`` is row ``i``, ``m + j`` is column ``j``.
    iterations : int
        Pivot steps taken on the path.
    regret : float
        :func:`~compensation.solvers.equilibria.regret` of ``(x, y)``, in the unit of the
        payoffs: 0 up to rounding.
    equilibria : list of (ndarray, ndarray)
        With ``all_labels=True``: the distinct equilibria reached from every starting label
        (``x, y`` is the first); otherwise just ``[(x, y)]``.
    method : str
        ``"lemke-howson (lexicographic)"``.
    success : bool
        Always True for a returned result.
    backend : str
        The implementation that ran: ``"numba"`` (compiled) or ``"numpy"``; both take the
        same pivots.
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    init_label: int
    iterations: int
    regret: float
    equilibria: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = field(repr=False)
    method: str = "lemke-howson (lexicographic)"
    success: bool = True
    backend: str = "numpy"


def lemke_howson(
    game: Any,
    B: ArrayLike | None = None,
    *,
    init_label: int = 0,
    all_labels: bool = False,
    max_iter: int = 1_000_000,
    backend: str = "auto",
) -> LemkeHowson:
    r"""One Nash equilibrium of a bimatrix game, by Lemke–Howson with lexicographic pivoting.

    Parameters
    ----------
    game : nashpy.Game or array_like
        A ``nashpy.Game``, or the row player's payoff matrix ``A`` (m × n).
    B : array_like, optional
        The column player's payoff matrix; omitted means zero-sum (``B = -A``).
    init_label : int, default 0
        The label dropped first, in ``[0, m + n)``: rows first, then columns.
    all_labels : bool, default False
        Also run from every other label and collect the distinct equilibria reached (a
        subset of all equilibria; :func:`~compensation.solvers.equilibria.nash_equilibria`
        gives them all).
    max_iter : int, default 1,000,000
        Cap on pivot steps per path (a path is finite; the cap guards against a bug).
    backend : {"auto", "numba", "numpy"}, default "auto"
        ``"numba"``: the paths run compiled (needs numba: ``pip install
        'compensation[fast]'``); ``"numpy"``: numpy with BLAS rank-1 updates; ``"auto"``:
        numba for games of at least 2,500 payoff cells (50 × 50; ``AUTO_CELLS``) if it is
        installed, else numpy. Both take the same pivots and reach the same equilibria
        (with OpenBLAS on x86-64, the same numbers to the bit). The first numba call in a
        fresh environment compiles the kernel (measured 15-16 s on a loaded
        2-core machine) and caches it on disk (``__pycache__``, or numba's user cache
        directory); a later process loads it in about 0.3 s, plus 0.4-0.6 s to import numba.
        At 100 × 100 the compiled path took 0.5-0.65 of QuantEcon's time, numpy 2.7-3.3×
        it (``benchmarks/bench_lemke_howson.py``).

    Returns
    -------
    LemkeHowson
        ``.x``, ``.y``, ``.iterations``, ``.regret`` and ``.equilibria``.

    Raises
    ------
    ValueError
        For matrices that are not 2-D, finite and of one shape, ``init_label`` outside
        ``[0, m + n)`` or an unknown ``backend``.
    ImportError
        For ``backend="numba"`` without numba installed.
    ConvergenceError
        If a path exceeds ``max_iter`` pivots or ends with a positive regret (a bug).

    Notes
    -----
    With payoffs shifted to be positive, the tableaux are
    :math:`B^\top x + s = \mathbf{1}` and :math:`A y + r = \mathbf{1}` with all variables
    :math:`\ge 0`; label :math:`i` is carried by :math:`x_i` or :math:`r_i`, label
    :math:`m + j` by :math:`y_j` or :math:`s_j`. Starting from the artificial equilibrium
    :math:`(0, 0)`, the variable carrying ``init_label`` enters; then the complement of each
    leaving variable enters the other tableau, until the variable that leaves carries
    ``init_label``. At the end :math:`(x / \sum x, y / \sum y)` is an equilibrium.

    Examples
    --------
    >>> from compensation.solvers.lemke_howson import lemke_howson
    >>> res = lemke_howson([[3, 0], [0, 2]], [[2, 0], [0, 3]])
    >>> res.x.tolist(), res.y.tolist(), res.regret
    ([1.0, 0.0], [1.0, 0.0], 0.0)
    >>> len(lemke_howson([[3, 0], [0, 2]], [[2, 0], [0, 3]], all_labels=True).equilibria)
    2
    """
    if backend not in _BACKENDS:
        raise ValueError(f"backend must be one of {_BACKENDS}; got {backend!r}")
    label = int(init_label)
    if backend == "numba":
        need = _required_kernel()
        return _compiled(need, game, B, label, all_labels=all_labels, max_iter=max_iter)
    A, Bm = bimatrix(game, B)
    if backend == "auto" and A.size >= AUTO_CELLS and (kernel := _load_kernel()) is not None:
        return _compiled(
            kernel, A, Bm, label, all_labels=all_labels, max_iter=max_iter, checked=True
        )
    m, n = A.shape
    _check_label(label, m, n)
    labels = [label] + ([k for k in range(m + n) if k != label] if all_labels else [])
    found: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    first_iterations, first_regret = 0, 0.0
    (Ap, span_a), (Bp, span_b) = _positive_span(A), _positive_span(Bm)  # the same for every label
    scale = max(1.0, span_a, span_b)
    for k in labels:
        x, y, its = _path(Ap, Bp, k, max_iter)
        r = regret(A, Bm, x, y)
        if r > 1e-8 * scale:
            raise ConvergenceError(f"Lemke–Howson ended with regret {r:g}; please report the game")
        if k == label:
            first_iterations, first_regret = its, r
        if not any(np.allclose(x, u, atol=1e-9) and np.allclose(y, v, atol=1e-9) for u, v in found):
            found.append((x, y))
    x, y = found[0]
    return LemkeHowson(x, y, label, first_iterations, first_regret, found)


_BACKENDS = ("auto", "numba", "numpy")
# From 50 × 50 a numpy path takes milliseconds; below, it is faster than loading numba
# (about 0.7 s in a new process, 15 s to compile the first time ever).
AUTO_CELLS = 2_500


@functools.cache
def _load_kernel() -> ModuleType | None:
    """The compiled kernel module, or None without numba (imported on first use only)."""
    try:
        from . import _lh_kernel
    except ImportError:
        return None
    return _lh_kernel


def _required_kernel() -> ModuleType:
    """The kernel module, or an ImportError naming the extra to install."""
    kernel = _load_kernel()
    if kernel is None:
        raise ImportError(
            "numba is needed for backend='numba'; install it with: pip install "
            "'compensation[fast]' (or use backend='numpy')"
        )
    return kernel


def _check_label(label: int, m: int, n: int) -> None:
    if not 0 <= label < m + n:
        raise ValueError(f"init_label must be in [0, {m + n}) for an {m}×{n} game; got {label!r}")


def _compiled(
    kernel: ModuleType,
    game: Any,
    B: Any,
    label: int,
    *,
    all_labels: bool,
    max_iter: int,
    checked: bool = False,
) -> LemkeHowson:
    """Every path in one compiled call; the checks and the result as on the numpy path.

    ``checked``: ``game`` and ``B`` already passed :func:`bimatrix`.
    """
    A, Bm = game, B
    # Plain C-contiguous, writeable float64 arrays skip bimatrix's finiteness pass, which the
    # kernel does itself.
    if not checked and not (
        _plain(A) and _plain(Bm) and A.ndim == 2 and A.shape == Bm.shape and A.size
    ):
        A, Bm = bimatrix(game, B)
    # One compiled signature: another layout would compile the kernel again.
    A, Bm = (M if _plain(M) else np.array(M, dtype=np.float64, order="C") for M in (A, Bm))
    m, n = A.shape
    _check_label(label, m, n)
    # Python bool and ints only: another argument type would compile the kernel again.
    cap = int(max(0, min(max_iter, 2**62)))
    XY, its, r, status, _, last = kernel.paths(A, Bm, label, bool(all_labels), cap)
    if status != kernel.OK:
        _fail(kernel, status, A, Bm, max_iter=max_iter, regret_=last)
    distinct = np.flatnonzero(XY[:, -1]).tolist() if all_labels else [0]
    found = [(XY[k, :m], XY[k, m:-1]) for k in distinct]
    x, y = found[0]
    return LemkeHowson(x, y, label, its, r, found, backend="numba")


_F64 = np.dtype(np.float64)


def _plain(M: Any) -> bool:
    """A writeable, aligned, C-contiguous float64 ndarray (taken as it is by the kernel)."""
    return type(M) is np.ndarray and M.dtype is _F64 and M.flags.carray


def _fail(
    kernel: ModuleType,
    status: int,
    A: NDArray[np.float64],
    B: NDArray[np.float64],
    *,
    max_iter: int,
    regret_: float,
) -> None:
    """Raise the numpy path's error for a kernel's status."""
    if status == kernel.NOT_FINITE:
        bimatrix(A, B)  # raises, naming the matrix and the entry
    if status == kernel.REGRET:
        raise ConvergenceError(
            f"Lemke–Howson ended with regret {regret_:g}; please report the game"
        )
    if status == kernel.MAX_ITER:
        raise ConvergenceError(f"Lemke–Howson exceeded max_iter={max_iter} pivots")
    raise ConvergenceError("Lemke–Howson found no pivot (a bug); please report the game")


def _positive(M: NDArray[np.float64]) -> NDArray[np.float64]:
    """Affine copy with entries in [1, 2] (equilibria are invariant to it)."""
    return _positive_span(M)[0]


def _positive_span(M: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """Affine copy with entries in [1, 2] (equilibria are invariant to it), and ``ptp(M)``.

    The range is inf when it exceeds the largest float (Python's float subtraction
    overflows to inf silently, as ``np.ptp`` under ``errstate(over="ignore")``).
    """
    low, high = float(M.min()), float(M.max())  # one pass each, shared with the range
    # Halved first: hi - lo overflows for payoffs near the largest float.
    lo, hi = low / 2, high / 2
    if hi <= lo:
        return np.ones_like(M), high - low
    P = np.divide(M, 2)  # in place from here: the same operations, fewer allocations
    P -= lo
    P /= hi - lo
    P += 1.0
    return P, high - low


class _Tableau:
    """One condensed tableau: a row per basic variable, a column per non-basic one, then rhs.

    The full tableau's basic columns are exact unit vectors (the pivot leaves them so), so
    storing only the non-basic columns halves the update and gives the same numbers: the
    entering variable's slot takes the leaving variable's column, computed as the full
    tableau would compute it. Buffers are preallocated: a pivot without ties allocates no array.
    """

    __slots__ = ("T", "basis", "blocks", "cols", "factor", "mask", "ratio", "rhs", "row", "slacks")

    def __init__(self, M: NDArray[np.float64], basic: range) -> None:
        rows, cols = M.shape
        # Column-major: the pivot and ratio columns are contiguous, and BLAS updates in place.
        self.T = np.empty((rows, cols + 1), order="F")
        self.T[:, :cols] = M
        self.T[:, cols] = 1.0
        self.cols = list(self.T.T)  # column views, made once
        self.rhs = self.cols[cols]
        self.ratio, self.factor, self.row = np.empty(rows), np.empty(rows), np.empty(cols + 1)
        self.mask = np.empty(rows, dtype=bool)
        # OpenBLAS may split a large rank-1 update over threads; on a busy machine waking
        # them cost more than the update (100 × 101: 20-30 µs in one call, 4-8 µs in two),
        # so each call stays below about 8,000 entries.
        width = max(1, _BLOCK // rows)
        self.blocks = [
            (self.T[:, a : a + width], self.row[a : a + width]) for a in range(0, cols + 1, width)
        ]
        self.basis, self.slacks = list(basic), basic

    def step(self, entering: int, where: list[int]) -> int:
        """Pivot ``entering`` in by the lexicographic ratio test; return the leaving variable."""
        c = where[entering]
        piv, ratio, mask = self.cols[c], self.ratio, self.mask
        # Divide everywhere, then bar the rows without a positive pivot (cheaper than a
        # masked divide); the caller silences the divide-by-zero these rows raise.
        np.divide(self.rhs, piv, out=ratio)
        np.less_equal(piv, _TOL, out=mask)
        ratio[mask] = np.inf
        row = int(ratio.argmin())
        best = ratio.item(row)
        bound = best + _TOL * max(1.0, abs(best))
        ratio[row] = np.inf
        if ratio.item(int(ratio.argmin())) <= bound:  # a tie: the lexicographic rule decides
            ratio[row] = best
            row = self._lex_tie(np.nonzero(ratio <= bound)[0], piv, where)
        # The full tableau's update T -= outer(T[:, c], T[row] / p) on the stored columns.
        T, factor, scaled = self.T, self.factor, self.row
        p = T.item(row, c)
        np.copyto(factor, piv)
        np.divide(T[row], p, out=scaled)
        T[row] = scaled
        factor[row] = 0.0
        for block, part in self.blocks:
            _dger(-1.0, factor, part, a=block, overwrite_a=1)
        # The leaving variable's column, e_row in the full tableau, after the same update.
        np.multiply(factor, -(1.0 / p), out=piv)
        T[row, c] = 1.0 / p
        leaving = self.basis[row]
        self.basis[row] = entering
        where[entering], where[leaving] = -1 - row, c
        return leaving

    def _lex_tie(self, cand: NDArray[np.intp], piv: NDArray[np.float64], where: list[int]) -> int:
        # Rows of the basis inverse (the slack columns, in order) divided by the pivot, over
        # the tied rows, until one row is left. A basic slack's column is the unit vector of
        # its row: 0 on every tied row (so it removes none) unless its row is tied, so only
        # the non-basic slacks and the basic slacks of tied rows need a look.
        first = self.slacks.start
        slot = where[first : first + len(self.slacks)]
        look = [i for i, k in enumerate(slot) if k >= 0]
        look += [self.basis[r] - first for r in cand.tolist() if self.basis[r] in self.slacks]
        look.sort()
        pv, i = piv[cand], 0
        while cand.size > 1 and i < len(look):
            k = slot[look[i]]
            if k >= 0:
                r = self.T[cand, k] / pv
                least = r.item(int(r.argmin()))  # argmin: a float min reduction is slower here
                keep = r <= least + _TOL * max(1.0, abs(least))
                i += 1
            else:  # a run of basic slacks, taken at once
                j = i + 1
                while j < len(look) and slot[look[j]] < 0:
                    j += 1
                keep = _unit_columns(cand, pv, [-1 - slot[t] for t in look[i:j]])
                i = j
            cand, pv = cand[keep], pv[keep]
        return int(cand[0])


def _unit_columns(
    cand: NDArray[np.intp], pv: NDArray[np.float64], rows: list[int]
) -> NDArray[np.bool_]:
    """Rows that stay after the unit columns of ``rows``, in order, in the lexicographic test.

    The column of row ``b`` is 1/pv at ``b`` and 0 at the other tied rows, so while two or
    more rows are left it removes ``b`` if 1/pv exceeds the tolerance; the last tied row
    always stays.
    """
    at = {b: q for b, q in zip(cand.tolist(), pv.tolist(), strict=True)}
    gone = [b for b in rows if b in at and 1.0 / at[b] > _TOL]
    if len(gone) == len(at):  # the run would remove every row: the test stops at the last
        gone.pop()
    out = set(gone)
    return np.array([b not in out for b in at])


_TOL = 1e-12  # pivot and ratio-tie tolerance
_BLOCK = 8000  # entries per BLAS call (see _Tableau.__init__)


def _path(
    Ap: NDArray[np.float64], Bp: NDArray[np.float64], label: int, max_iter: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    m, n = Ap.shape
    # Variables of both tableaux in one numbering: x_i -> i, y_j -> m + j (label-carrying
    # strategies), slack r_i -> m + n + i, s_j -> 2m + n + j; label(v) = v mod (m + n).
    # Tableau P (rows: columns j of B) holds x and s; tableau Q (rows i) holds y and r.
    tp = _Tableau(Bp.T, range(2 * m + n, 2 * (m + n)))
    tq = _Tableau(Ap, range(m + n, 2 * m + n))
    # where[v]: slot of a non-basic variable, or -1 - row of a basic one.
    where = list(range(m)) + list(range(n)) + [-1 - i for i in range(m)]
    where += [-1 - j for j in range(n)]
    entering, mn, it = label, m + n, 0
    with np.errstate(divide="ignore", invalid="ignore"):
        while it < max_iter:
            it += 1  # the path length after this pivot
            tab = tp if (entering < m or entering >= 2 * m + n) else tq
            leaving = tab.step(entering, where)
            if leaving % mn == label:
                break
            entering = (leaving + mn) % (2 * mn)  # the complement carries the same label
        else:
            raise ConvergenceError(f"Lemke–Howson exceeded max_iter={max_iter} pivots")
    x, y = np.zeros(m), np.zeros(n)
    bp, bq = np.array(tp.basis), np.array(tq.basis) - m
    on_x, on_y = bp < m, (bq >= 0) & (bq < n)
    x[bp[on_x]] = tp.rhs[on_x]
    y[bq[on_y]] = tq.rhs[on_y]
    x = np.clip(x, 0.0, None)
    y = np.clip(y, 0.0, None)
    return x / x.sum(), y / y.sum(), it
