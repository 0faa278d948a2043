r"""One Nash equilibrium of a bimatrix game by Lemke–Howson with lexicographic pivoting.

Complementary pivoting on the tableaux of the best-response polytopes (von Stengel 2002,
§3.6). The minimum-ratio test breaks ties lexicographically on the rows of
:math:`[\,\beta \mid B^{-1}]`, which are all different, so each pivot step is unique and the
path never cycles, even in degenerate games (where a plain ratio test can loop forever).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

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
    """

    x: NDArray[np.float64]
    y: NDArray[np.float64]
    init_label: int
    iterations: int
    regret: float
    equilibria: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = field(repr=False)
    method: str = "lemke-howson (lexicographic)"
    success: bool = True


def lemke_howson(
    game: Any,
    B: ArrayLike | None = None,
    *,
    init_label: int = 0,
    all_labels: bool = False,
    max_iter: int = 1_000_000,
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

    Returns
    -------
    LemkeHowson
        ``.x``, ``.y``, ``.iterations``, ``.regret`` and ``.equilibria``.

    Raises
    ------
    ValueError
        For matrices that are not 2-D, finite and of one shape, or ``init_label`` outside
        ``[0, m + n)``.
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
    A, Bm = bimatrix(game, B)
    m, n = A.shape
    label = int(init_label)
    if not 0 <= label < m + n:
        raise ValueError(
            f"init_label must be in [0, {m + n}) for an {m}×{n} game; got {init_label!r}"
        )
    labels = [label] + ([k for k in range(m + n) if k != label] if all_labels else [])
    found: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
    first_iterations, first_regret = 0, 0.0
    Ap, Bp = _positive(A), _positive(Bm)  # the same for every starting label
    with np.errstate(over="ignore"):  # a payoff range beyond the largest float is inf
        scale = max(1.0, float(np.ptp(A)), float(np.ptp(Bm)))
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


def _positive(M: NDArray[np.float64]) -> NDArray[np.float64]:
    """Affine copy with entries in [1, 2] (equilibria are invariant to it)."""
    # Halved first: hi - lo overflows for payoffs near the largest float.
    lo, hi = float(M.min()) / 2, float(M.max()) / 2
    return np.ones_like(M) if hi <= lo else (M / 2 - lo) / (hi - lo) + 1.0


def _path(
    Ap: NDArray[np.float64], Bp: NDArray[np.float64], label: int, max_iter: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], int]:
    m, n = Ap.shape
    # Variables of both tableaux in one numbering: x_i -> i, y_j -> m + j (label-carrying
    # strategies), slack r_i -> m + n + i, s_j -> 2m + n + j; label(v) = v mod (m + n).
    # Tableau P (rows: columns j of B) over [x | s | rhs]; tableau Q (rows i) over [y | r | rhs].
    tp = np.hstack([Bp.T, np.eye(n), np.ones((n, 1))])
    tq = np.hstack([Ap, np.eye(m), np.ones((m, 1))])
    basis_p = [2 * m + n + j for j in range(n)]  # s basic
    basis_q = [m + n + i for i in range(m)]  # r basic
    entering = label  # x_label (in P) or y_(label-m) (in Q)
    for it in range(1, max_iter + 1):  # noqa: B007 - ``it`` is the path length after it
        in_p = entering % (m + n) < m if entering < m + n else entering >= 2 * m + n
        tab, basis, size = (tp, basis_p, m) if in_p else (tq, basis_q, n)
        col = _column(entering, in_p, m, n)
        row = _lex_min_ratio(tab, col, size)
        leaving = basis[row]
        _pivot(tab, row, col)
        basis[row] = entering
        if leaving % (m + n) == label:
            break
        entering = (leaving + m + n) % (2 * (m + n))  # the complement carries the same label
    else:
        raise ConvergenceError(f"Lemke–Howson exceeded max_iter={max_iter} pivots")
    x, y = np.zeros(m), np.zeros(n)
    for r_, v in enumerate(basis_p):
        if v < m:
            x[v] = tp[r_, -1]
    for r_, v in enumerate(basis_q):
        if m <= v < m + n:
            y[v - m] = tq[r_, -1]
    x = np.clip(x, 0.0, None)
    y = np.clip(y, 0.0, None)
    return x / x.sum(), y / y.sum(), it


def _column(v: int, in_p: bool, m: int, n: int) -> int:
    """Column of variable ``v`` in its tableau: strategies first, then slacks."""
    if in_p:
        return v if v < m else m + (v - 2 * m - n)  # x_i, or s_j
    return v - m if v < m + n else n + (v - m - n)  # y_j, or r_i


def _lex_min_ratio(tab: NDArray[np.float64], col: int, size: int) -> int:
    """Row of the lexicographic minimum ratio: rhs first, then the basis-inverse columns."""
    piv = tab[:, col]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(piv > 1e-12, tab[:, -1] / piv, np.inf)
    row = int(ratio.argmin())
    best = ratio[row]
    cand = np.nonzero(ratio <= best + 1e-12 * max(1.0, abs(best)))[0]
    if cand.size == 1:  # the usual case: no tie, no lexicographic step
        return row
    for c in range(size, tab.shape[1] - 1):
        r = tab[cand, c] / piv[cand]
        cand = cand[r <= r.min() + 1e-12 * max(1.0, abs(r.min()))]
        if cand.size == 1:
            break
    return int(cand[0])


def _pivot(tab: NDArray[np.float64], row: int, col: int) -> None:
    tab[row] /= tab[row, col]
    factor = tab[:, col].copy()
    factor[row] = 0.0
    tab -= np.outer(factor, tab[row])
