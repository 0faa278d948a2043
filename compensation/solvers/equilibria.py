r"""Every Nash equilibrium of a bimatrix game (2×2 stacks: ``solvers.two_by_two``).

Generic solver: it knows nothing of :class:`~compensation.Parameters` and is tested on textbook
games. Equilibria are the completely labelled vertex pairs of the best-response polytopes
(von Stengel 2002). ``method="polytope"`` finds the vertices by qhull on the polar
(``compensation.solvers.vertex``), at a cost that follows the number of vertices;
``method="bases"`` solves every basis in numpy batches (the exhaustive oracle of the tests);
``method="auto"`` solves the same bases of small games in one batch
(``compensation.solvers._bases``), where numpy's per-call overhead sets the time.
Both find every equilibrium of a nondegenerate game and every *extreme* equilibrium of a
degenerate one; the equilibrium set of a degenerate game is the union of the products of
convex hulls listed in ``components`` (maximal Nash subsets, Audet et al. 2001). One
equilibrium of a large game: ``compensation.solvers.lemke_howson.lemke_howson``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from ._bases import small_equilibria
from ._exhaustive import basis_equilibria, maximal_subsets
from .two_by_two import TwoByTwoSolution, solve_2x2
from .vertex import equilibrium_vertices

__all__ = ["Equilibria", "TwoByTwoSolution", "nash_equilibria", "regret", "solve_2x2"]

Profile = tuple[NDArray[np.float64], NDArray[np.float64]]

MAX_BASES = 3_000_000  # about 20 s of numpy on one core; larger games need another algorithm
AUTO_BASES = 252  # up to here (5×5) solving every basis beats building a convex hull
SMALL_MAX = 5  # "auto" solves both polytopes' bases in one batch up to this many strategies
MAX_STRATEGIES = 20  # qhull's cost grows with the vertex count, about 10^5 at 16 dimensions


def bimatrix(game: Any, B: ArrayLike | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Payoff matrices ``(A, B)`` of a ``nashpy.Game`` or arrays, checked (``B`` None: -A).

    Raises ``ValueError`` for matrices that are not 2-D, non-empty, of one shape and finite.

    >>> bimatrix([[1, 2]], None)[1].tolist()
    [[-1.0, -2.0]]
    """
    if hasattr(game, "payoff_matrices"):  # a nashpy.Game
        A, B = game.payoff_matrices
    else:
        A = game
        if B is None:
            B = -np.asarray(A, dtype=float)
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.ndim != 2 or A.shape != B.shape or 0 in A.shape:
        raise ValueError(
            f"payoff matrices A and B must be 2-D, non-empty and of one shape; got {A.shape} "
            f"and {B.shape}"
        )
    for name, M in (("A", A), ("B", B)):
        if not np.isfinite(M).all():
            bad = M[~np.isfinite(M)][0]
            raise ValueError(f"payoff matrix {name} must be finite; got {bad!r}")
    return A, B


def regret(A: ArrayLike, B: ArrayLike, x: ArrayLike, y: ArrayLike) -> float:
    r"""Largest gain either player gets by deviating from the mixed profile ``(x, y)``.

    Parameters
    ----------
    A, B : array_like, shape (m, n)
        Payoffs of the row and the column player (any unit, the same for both results).
    x : array_like, shape (m,)
        Mixed strategy of the row player (probabilities summing to 1).
    y : array_like, shape (n,)
        Mixed strategy of the column player.

    Returns
    -------
    float
        The regret, in the unit of the payoffs; ≥ 0.

    Raises
    ------
    ValueError
        If the shapes do not fit (from numpy's matrix products).

    Notes
    -----
    .. math:: \max\{\max_i (A y)_i - x^\top A y,\; \max_j (x^\top B)_j - x^\top B y,\; 0\}

    A profile is a Nash equilibrium exactly when this is 0 (up to rounding).

    Examples
    --------
    >>> from compensation import regret
    >>> regret([[1, -1], [-1, 1]], [[-1, 1], [1, -1]], [0.5, 0.5], [0.5, 0.5])
    0.0
    >>> regret([[1, -1], [-1, 1]], [[-1, 1], [1, -1]], [1, 0], [1, 0])
    2.0
    """
    A = np.asarray(A, dtype=float)
    B = np.asarray(B, dtype=float)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    Ay, xB = A @ y, x @ B
    return float(max(Ay.max() - x @ Ay, xB.max() - xB @ y, 0.0))


@dataclass(frozen=True)
class Equilibria(Result):
    """All Nash equilibria of a bimatrix game.

    Attributes
    ----------
    equilibria : list of (ndarray, ndarray)
        Mixed strategies ``(x, y)`` of the row and column player; for a degenerate game the
        extreme equilibria.
    degenerate : bool
        True if some mixed strategy has more pure best responses than its support size; then
        equilibria may form continua, described by ``components``. The polytope method
        enumerates only the smaller player's polytope when no payoffs tie and that polytope
        is nondegenerate; the check then covers its vertices and the equilibria.
    components : list of (ndarray, ndarray)
        Maximal Nash subsets: pairs ``(X, Y)`` of row and column vertex arrays (one strategy a
        row) such that every profile in ``conv(X) × conv(Y)`` is an equilibrium. For a
        nondegenerate game each component is a single equilibrium.
    A, B : ndarray
        The payoff matrices solved.
    method : str
        How the equilibria were found (``"vertex enumeration"``).
    tol : float
        Tolerance used for ties and feasibility, relative to the payoff range: the one asked
        for, or 100 or 10,000 times it when the first pass found nothing.

    ``len(result)`` is the number of equilibria; the repr leads with it and prints the
    strategies rounded.
    """

    equilibria: list[Profile]
    degenerate: bool
    components: list[tuple[NDArray[np.float64], NDArray[np.float64]]]
    A: NDArray[np.float64] = field(repr=False)
    B: NDArray[np.float64] = field(repr=False)
    method: str = "vertex enumeration"
    tol: float = 1e-10

    def max_regret(self) -> float:
        """Largest deviation gain over all reported equilibria.

        Returns
        -------
        float
            :func:`regret` maximised over ``equilibria``, in the unit of the payoffs: 0 up to
            rounding.
        """
        return max((regret(self.A, self.B, x, y) for x, y in self.equilibria), default=0.0)

    @property
    def pure(self) -> list[tuple[int, int]]:
        """Pure equilibria as (row, column) indices."""
        out = []
        for x, y in self.equilibria:
            if np.isclose(x.max(), 1.0) and np.isclose(y.max(), 1.0):
                out.append((int(x.argmax()), int(y.argmax())))
        return out

    def __len__(self) -> int:
        return len(self.equilibria)

    def __repr__(self) -> str:
        eqs = ", ".join(
            f"({np.round(x, 6).tolist()}, {np.round(y, 6).tolist()})" for x, y in self.equilibria
        )
        return f"Equilibria(n={len(self)}, degenerate={self.degenerate}, equilibria=[{eqs}])"


def nash_equilibria(
    game: Any, B: ArrayLike | None = None, *, tol: float = 1e-10, method: str = "auto"
) -> Equilibria:
    r"""Every Nash equilibrium of a bimatrix game, verified.

    Parameters
    ----------
    game : nashpy.Game or array_like
        A ``nashpy.Game``, or the row player's payoff matrix ``A`` (m × n).
    B : array_like, optional
        The column player's payoff matrix; omitted means zero-sum (``B = -A``).
    tol : float, default 1e-10
        Tolerance for ties and feasibility, relative to each player's payoff range: payoff
        differences smaller than this count as ties (degeneracy).
    method : {"auto", "polytope", "bases"}
        ``"polytope"``: vertices of the best-response polytopes by qhull on the polar
        (:mod:`compensation.solvers.vertex`), cost following the number of vertices;
        ``"bases"``: every basis solved in numpy batches (the exhaustive oracle, at most
        ``MAX_BASES`` bases); ``"auto"``: the bases of both polytopes in a single batched
        solve for games of at most ``SMALL_MAX`` strategies a player, ``"bases"`` for other
        games of at most ``AUTO_BASES`` bases or a single strategy, ``"polytope"``
        otherwise. All give the same equilibria.

    Returns
    -------
    Equilibria
        ``.equilibria`` (list of ``(x, y)``), ``.degenerate``, ``.components``,
        ``.max_regret()``. Equilibria are sorted lexicographically by ``(x, y)`` descending, so
        pure ones in the top-left come first.

    Raises
    ------
    ValueError
        If the matrices are not 2-D of one shape, not finite, the game is too large to
        enumerate (both players with more than ``MAX_STRATEGIES`` strategies, or more than
        ``MAX_BASES`` bases for ``"bases"``), ``tol`` is outside (0, 1e-3] or ``method`` is
        unknown.
    RuntimeError
        If the internal check fails (no equilibrium found, or one with a positive regret):
        a bug to report, never a property of the input.

    Notes
    -----
    With :math:`A, B` shifted to be positive, the best-response polytopes are

    .. math::

        P = \{x \ge 0 : B^\top x \le 1\}, \qquad Q = \{y \ge 0 : A y \le 1\}.

    A vertex pair :math:`(x, y) \ne (0, 0)` is *completely labelled* when every pure strategy is
    either unused or a best response; normalised, these pairs are exactly the (extreme)
    equilibria. Unlike support enumeration this is complete for degenerate games too.

    Examples
    --------
    Battle of the sexes has two pure equilibria and one mixed:

    >>> from compensation import nash_equilibria
    >>> eq = nash_equilibria([[3, 0], [0, 2]], [[2, 0], [0, 3]])
    >>> for x, y in eq.equilibria:
    ...     print(x.round(3), y.round(3))
    [1. 0.] [1. 0.]
    [0.6 0.4] [0.4 0.6]
    [0. 1.] [0. 1.]
    >>> eq.degenerate, eq.max_regret() < 1e-12
    (False, True)

    A degenerate game: the column player is indifferent against the first row, so a continuum
    of equilibria joins two extreme ones.

    >>> eq = nash_equilibria([[1, 1], [0, 0]], [[1, 1], [1, 0]])
    >>> eq.degenerate, len(eq.components), len(eq.equilibria)
    (True, 1, 2)
    """
    A, B = bimatrix(game, B)
    tol = _check_tol(tol)
    method = _check_method(method, A.shape)
    # Positive copies scaled per player (equilibria are invariant to positive affine maps of
    # each player's payoffs), so tol is relative to that player's payoff range.
    Ap, Bp = _normalise(A), _normalise(B)
    for attempt in range(3):
        result, X, Y = _enumerate(A, B, Ap, Bp, tol * 100**attempt, method=method)
        if result.equilibria:
            break
    else:  # pragma: no cover - Nash's theorem: a failure here is a bug, not bad input
        raise RuntimeError("internal check failed: no equilibrium found; please report the game")
    # The check runs on the normalised copies: on the raw payoffs a large common offset
    # (1e9 + 0.15) leaves rounding far above any range-relative tolerance. X and Y hold the
    # reported equilibria stacked, one a row.
    worst = _worst_regret(Ap, Bp, X, Y)
    if worst > max(1e3 * result.tol, 1e-9):  # pragma: no cover - a bug, not bad input
        raise RuntimeError(f"internal check failed: an equilibrium has regret {worst:g}")
    return result


def _worst_regret(
    A: NDArray[np.float64], B: NDArray[np.float64], X: NDArray[np.float64], Y: NDArray[np.float64]
) -> float:
    """:func:`regret` maximised over the profiles ``(X[k], Y[k])``: one product a player."""
    AY, XB = Y @ A.T, X @ B
    gain_x = AY.max(axis=1) - (X * AY).sum(axis=1)
    gain_y = XB.max(axis=1) - (XB * Y).sum(axis=1)
    return max(float(gain_x.max()), float(gain_y.max()), 0.0)


def _check_method(method: str, shape: tuple[int, ...]) -> str:
    if method not in ("auto", "polytope", "bases"):
        raise ValueError(f"method must be 'auto', 'polytope' or 'bases'; got {method!r}")
    m, n = shape
    bases = math.comb(m + n, m)
    if method == "auto":
        if bases <= AUTO_BASES and max(m, n) <= SMALL_MAX:
            return "small"
        method = "bases" if bases <= AUTO_BASES or min(m, n) < 2 else "polytope"
    if method == "polytope" and min(m, n) > MAX_STRATEGIES:
        raise ValueError(
            f"game of shape {m}×{n}: enumerating every equilibrium needs one player with at "
            f"most {MAX_STRATEGIES} strategies (the best-response polytope lives in that "
            "dimension); for one equilibrium use lemke_howson"
        )
    if method == "polytope" and min(m, n) < 2:
        method = "bases"  # qhull needs 2 dimensions; one strategy has few bases anyway
    if method == "bases" and bases > MAX_BASES:
        raise ValueError(
            f"game of shape {m}×{n} has {bases:,} bases, more than {MAX_BASES:,} that "
            "method='bases' handles; use method='polytope'"
        )
    return method


def _check_tol(tol: float) -> float:
    t = float(tol)
    if not (math.isfinite(t) and 0 < t <= 1e-3):
        raise ValueError(
            f"tol must be finite and in (0, 1e-3] (relative to the payoff range); got {tol!r}"
        )
    return t


def _normalise(M: NDArray[np.float64]) -> NDArray[np.float64]:
    """Affine copy of ``M`` with entries in [1, 2], computed without overflow."""
    # Halving first keeps max - min finite even for payoffs near ±1.8e308; halving is exact.
    # Rounding is monotone, so the largest entry of ``half`` is ``hi/2 - lo/2``, bit for bit.
    lo, hi = float(M.min()) * 0.5, float(M.max()) * 0.5
    span = hi - lo
    if span <= 0:
        return np.ones_like(M)
    half = np.multiply(M, 0.5)
    half -= lo
    half /= span
    half += 1.0
    return half


def _enumerate(
    A: NDArray[np.float64],
    B: NDArray[np.float64],
    Ap: NDArray[np.float64],
    Bp: NDArray[np.float64],
    tol: float,
    *,
    method: str,
) -> tuple[Equilibria, NDArray[np.float64], NDArray[np.float64]]:
    solve = {"polytope": equilibrium_vertices, "small": small_equilibria}.get(
        method, basis_equilibria
    )
    X, Y, ii, jj, degenerate = solve(Ap, Bp, tol)
    return _assemble(A, B, X, Y, ii=ii, jj=jj, degenerate=degenerate, tol=tol)


def _assemble(
    A: NDArray[np.float64],
    B: NDArray[np.float64],
    X: NDArray[np.float64],
    Y: NDArray[np.float64],
    *,
    ii: NDArray[np.intp],
    jj: NDArray[np.intp],
    degenerate: bool,
    tol: float,
) -> tuple[Equilibria, NDArray[np.float64], NDArray[np.float64]]:
    """The result, and its equilibria stacked (one a row) for the regret check.

    Normalises the completely labelled pairs, sorts them and groups maximal Nash subsets.
    """
    xs = X / X.sum(axis=1, keepdims=True) if len(X) else X
    ys = Y / Y.sum(axis=1, keepdims=True) if len(Y) else Y
    # Rounded keys: 0.33333333333333337 and 0.3333333333333333 are one probability.
    kx, ky = np.round(xs, 9) + 0.0, np.round(ys, 9) + 0.0
    # Vertices in descending lexicographic order, whatever order the method found them in,
    # so that components list their vertices the same way for every method.
    px, py = np.lexsort(-kx.T[::-1]), np.lexsort(-ky.T[::-1])
    xs, ys = xs[px], ys[py]
    ii, jj = np.argsort(px)[ii], np.argsort(py)[jj]
    # Indices are now ranks in descending order, so sorting pairs of ranks sorts profiles.
    order = np.lexsort((jj, ii))
    ii, jj = ii[order], jj[order]
    Xe, Ye = xs[ii], ys[jj]
    equilibria = list(zip(Xe, Ye))
    # Python sets: a few pairs, where each numpy call would cost more than the whole test.
    il, jl = ii.tolist(), jj.tolist()
    if len(set(il)) == len(il) and len(set(jl)) == len(jl):
        # No vertex in two equilibria: each maximal Nash subset is a single equilibrium.
        comps = list(zip(Xe[:, None].copy(), Ye[:, None].copy()))
    else:
        comps = [(xs[sorted(cx)], ys[sorted(cy)]) for cx, cy in maximal_subsets(list(zip(il, jl)))]
    result = Equilibria(equilibria, degenerate, comps, A, B, "vertex enumeration", tol)
    return result, Xe, Ye
