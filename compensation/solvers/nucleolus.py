r"""The least core and the nucleolus of a TU game, by row generation (MODEL.md §7).

Re-exported by :mod:`compensation.solvers.cooperative`, where :class:`TUGame` lives.
``MAX_ROUNDS`` is read at each call, so it can be changed here for a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin
from numpy.typing import NDArray

from .._results import Result
from .._validation import check_choice, check_tol
from ..exceptions import InfeasibleError
from . import _lp, _rowgen

if TYPE_CHECKING:
    from .cooperative import TUGame

__all__ = [
    "MAX_ROUNDS",
    "LeastCore",
    "Nucleolus",
    "core_is_empty",
    "least_core",
    "nucleolus",
]


@dataclass(frozen=True)
class LeastCore(Result):
    r"""The least core: the smallest :math:`\varepsilon` with :math:`x(T) \ge v(T) - \varepsilon`.

    Attributes
    ----------
    epsilon : float
        :math:`\varepsilon`, in the unit of :math:`v`; :math:`\le 0` means the core is
        non-empty (``x`` is then in the core). ``-inf`` for a one-player game.
    x : ndarray, shape (n,)
        An allocation attaining it: its largest excess over proper coalitions is ``epsilon``.
    iterations : int
        Rounds of row generation (LPs solved).
    method : str
        LP solver: ``"auto"`` (scipy's HiGHS), ``"highs"``, ``"pulp-highs"`` or ``"pulp-cbc"``.
    success : bool
        Always True for a returned result (failures raise
        :class:`~compensation.ConvergenceError`).
    message : str
        What was done, in words.
    tol : float
        Violation tolerance used, relative to the largest :math:`|v(T)|`.
    """

    epsilon: float
    x: NDArray[np.float64]
    iterations: int
    method: str
    success: bool = True
    message: str = ""
    tol: float = 1e-10

    @property
    def solver(self) -> str:
        """Deprecated alias of :attr:`method` (read-only)."""
        return self.method


# Row generation adds at least one new coalition a round, so it ends by itself, but after up to
# 2**n rounds; past this many something is wrong (a solver far less accurate than ``tol``) and
# an error beats a run that looks hung. Random games of up to 16 players need 1 to 4.
MAX_ROUNDS = 500


def _lp_method(method: str, solver: str) -> str:
    """The LP solver asked for by ``method=`` or by its deprecated alias ``solver=``."""
    check_choice("method", method, _lp.SOLVERS)
    check_choice("solver", solver, _lp.SOLVERS)
    if solver == "auto" or solver == method:
        return method
    if method != "auto":
        raise ValueError(
            f"method={method!r} and solver={solver!r} disagree; give method only "
            "(solver is its deprecated name)"
        )
    return solver


def least_core(
    game: TUGame, *, method: str = "auto", solver: str = "auto", tol: float = 1e-10
) -> LeastCore:
    r"""The least core: minimise the largest excess :math:`v(T) - x(T)` over proper coalitions.

    Parameters
    ----------
    game : TUGame
        The game; values in any unit (万元 in this package's games).
    method : {"auto", "highs", "pulp-highs", "pulp-cbc"}
        LP solver; ``"auto"`` is scipy's HiGHS.
    solver : str, optional
        Deprecated name of ``method``, kept so that old calls work; give ``method``.
    tol : float, default 1e-10
        Violation tolerance relative to the largest :math:`|v(T)|`, in (0, 1e-3].

    Returns
    -------
    LeastCore
        ``.epsilon`` and an allocation ``.x`` attaining it (in the unit of :math:`v`), with
        ``.iterations``, ``.method``, ``.success``, ``.message`` and ``.tol``.

    Raises
    ------
    ValueError
        For an unknown ``method``, a ``method`` and ``solver`` that disagree, or ``tol``
        outside (0, 1e-3].
    ConvergenceError
        When the solver fails or row generation exceeds ``MAX_ROUNDS`` rounds.
    ImportError
        For ``"pulp-highs"`` without highspy installed.

    Notes
    -----
    .. math:: \min_{x, \varepsilon} \varepsilon \quad \text{s.t.} \quad x(N) = v(N),\;
              x(T) \ge v(T) - \varepsilon \;\; \forall\, \emptyset \ne T \subsetneq N.

    The game is solved in units of its largest :math:`|v(T)|`, so the answer scales with the
    game: ``least_core(a * v)`` is ``a`` times ``least_core(v)`` for any ``a > 0``.

    Examples
    --------
    >>> from compensation import TUGame, least_core
    >>> lc = least_core(TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1}))
    >>> round(lc.epsilon, 9), lc.x.round(9).tolist()
    (0.333333333, [0.333333333, 0.333333333, 0.333333333])
    """
    method = _lp_method(method, solver)
    tol = check_tol("tol", tol)
    n = game.n
    if n == 1:
        return LeastCore(
            -np.inf, np.array([game.grand]), 0, method, message="one player: no coalition", tol=tol
        )
    scale = _rowgen.scale_of(game.v)
    g = _rowgen.Scaled(game.v / scale, n, None, method, tol, MAX_ROUNDS)
    eps, x, rounds = _rowgen.solve_least_core(g)
    return LeastCore(
        eps * scale,
        x * scale,
        rounds,
        method,
        message=f"optimal after {rounds} round(s) of row generation",
        tol=tol,
    )


def core_is_empty(game: TUGame, *, tol: float = 1e-9) -> bool:
    r"""Whether no allocation satisfies every coalition (least-core :math:`\varepsilon > 0`).

    Parameters
    ----------
    game : TUGame
        The game.
    tol : float, default 1e-9
        Tolerance relative to the largest :math:`|v(T)|`, in [0, 1e-3].

    Returns
    -------
    bool
        True when :math:`\varepsilon > \tau \max_T |v(T)|` for the least-core
        :math:`\varepsilon` (see :func:`least_core`) and :math:`\tau` = ``tol``.

    Raises
    ------
    ValueError
        If ``tol`` is outside [0, 1e-3].
    ConvergenceError
        As :func:`least_core`.

    Examples
    --------
    >>> from compensation import TUGame, core_is_empty
    >>> core_is_empty(TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1}))
    True
    """
    tol = check_tol("tol", tol, allow_zero=True)
    return least_core(game).epsilon > tol * float(np.abs(game.v).max())


@dataclass(frozen=True, eq=False)
class Nucleolus(Result, NDArrayOperatorsMixin):
    r"""The nucleolus (or prenucleolus) of a TU game, with how it was computed.

    It behaves like the array ``x`` it holds, as :func:`nucleolus` returned before it had a
    result type: ``numpy.asarray``, indexing, iteration, ``len``, arithmetic and comparisons
    (which give arrays), ``.tolist()``, ``.round()``, ``.sum()`` and ``.shape``.

    Attributes
    ----------
    x : ndarray, shape (n,)
        The allocation, in the unit of :math:`v`; it lies in the core whenever the core is
        non-empty.
    max_excess : float
        Its largest excess :math:`\max_{\emptyset \ne T \subsetneq N} v(T) - x(T)`: the
        least-core :math:`\varepsilon` over the domain (``-inf`` for one player).
    domain : {"imputation", "preimputation"}
        The nucleolus proper, or the prenucleolus.
    success : bool
        Always True for a returned result (failures raise
        :class:`~compensation.ConvergenceError`).
    message : str
        What was done, in words.
    iterations : int
        LPs solved in all (every round of row generation of every sequential LP).
    method : str
        LP solver: ``"auto"`` (scipy's HiGHS), ``"highs"``, ``"pulp-highs"`` or ``"pulp-cbc"``.
    tol : float
        Tolerance used, relative to the largest :math:`|v(T)|`.
    """

    x: NDArray[np.float64]
    max_excess: float
    domain: str
    success: bool = True
    message: str = ""
    iterations: int = 0
    method: str = "auto"
    tol: float = 1e-9

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[np.float64]:
        return np.array(self.x, dtype=dtype, copy=True) if copy else np.asarray(self.x, dtype)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        # Arithmetic works on x and gives plain arrays. The result is frozen, so ``y += 1``
        # (which asks for ``out=y``) also gives a new array and rebinds y, as for a tuple.
        if any(isinstance(o, Nucleolus) for o in kwargs.get("out", ())):
            del kwargs["out"]
        args = [a.x if isinstance(a, Nucleolus) else a for a in inputs]
        return getattr(ufunc, method)(*args, **kwargs)

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, key: Any) -> Any:
        return self.x[key]

    def __iter__(self) -> Iterator[np.float64]:
        return iter(self.x)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of ``x``: ``(n,)``."""
        return self.x.shape

    def tolist(self) -> list[float]:
        """``x`` as a list of floats."""
        return list(self.x.tolist())

    def round(self, decimals: int = 0, out: Any = None) -> NDArray[np.float64]:
        """``x`` rounded to ``decimals`` places, an array (as ``ndarray.round``)."""
        return self.x.round(decimals, out)

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        """:math:`x(N)`, the total allocated, equal to :math:`v(N)` (as ``ndarray.sum``)."""
        return self.x.sum(*args, **kwargs)


def nucleolus(
    game: TUGame,
    *,
    domain: str = "imputation",
    method: str = "auto",
    solver: str = "auto",
    tol: float = 1e-9,
) -> Nucleolus:
    r"""The nucleolus: lexicographically minimise the sorted vector of excesses.

    Parameters
    ----------
    game : TUGame
        The game; values in any unit (万元 in this package's games).
    domain : {"imputation", "preimputation"}
        Over imputations (:math:`x_i \ge v(\{i\})`, the nucleolus) or over all efficient
        allocations (the prenucleolus). They coincide when the core is non-empty.
    method : {"auto", "highs", "pulp-highs", "pulp-cbc"}
        LP solver; ``"auto"`` is scipy's HiGHS (fastest here).
    solver : str, optional
        Deprecated name of ``method``, kept so that old calls work; give ``method``.
    tol : float, default 1e-9
        Tolerance relative to the largest :math:`|v(T)|`, in (0, 1e-3].

    Returns
    -------
    Nucleolus
        The (unique) allocation ``.x`` (in the unit of :math:`v`), its ``.max_excess``, and
        ``.iterations``, ``.method``, ``.success``, ``.message``, ``.tol``. It behaves like the
        array ``x`` (``numpy.asarray``, indexing, arithmetic, ``.tolist()``, ``.round()``).

    Raises
    ------
    InfeasibleError
        For ``domain="imputation"`` when :math:`\sum_i v(\{i\}) > v(N)` (no imputation).
    ValueError
        For an unknown ``domain`` or ``method``, a ``method`` and ``solver`` that disagree,
        or ``tol`` outside (0, 1e-3].
    ConvergenceError
        When the solver fails, row generation exceeds ``MAX_ROUNDS`` rounds or a round fixes
        no new coalition (an LP solved too inaccurately).
    ImportError
        For ``"pulp-highs"`` without highspy installed.

    Notes
    -----
    With :math:`\theta(x)` the vector of excesses :math:`e(T, x) = v(T) - x(T)` of the proper
    coalitions sorted in decreasing order, the nucleolus is

    .. math:: \nu = \operatorname{lexmin}_{x \in X} \theta(x), \qquad
              X = \{x : x(N) = v(N),\; x_i \ge v(\{i\})\}

    (without the bounds for the prenucleolus). Sequential LPs (Maschler, Peleg and Shapley
    1979): each round solves the least-core LP over coalitions whose excess is not yet fixed,
    then fixes the coalitions (and imputation bounds) with a positive dual, which are tight in
    every optimal solution, at that level. Coalitions whose incidence vector lies in the span
    of the fixed ones have determined excess and are dropped; span membership for all
    :math:`2^n` coalitions comes from subset sums of an orthonormal basis. Each round adds at
    least one independent coalition, so at most :math:`n - 1` rounds; the last :math:`n` fixed
    coalitions give :math:`x` by one linear solve. The game is solved in units of its largest
    :math:`|v(T)|`, so ``nucleolus(a * v) == a * nucleolus(v)`` for ``a > 0``.

    Examples
    --------
    >>> from compensation import TUGame, nucleolus
    >>> glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    >>> nuc = nucleolus(glove)
    >>> nuc.round(9).tolist(), round(nuc.max_excess, 9), nuc.success
    ([1.0, 0.0, 0.0], 0.0, True)
    """
    method = _lp_method(method, solver)
    check_choice("domain", domain, ("imputation", "preimputation"))
    tol = check_tol("tol", tol)
    n = game.n
    if n == 1:
        x1 = np.array([game.grand])
        return Nucleolus(x1, -np.inf, domain, message="one player", method=method, tol=tol)
    scale = _rowgen.scale_of(game.v)
    v = game.v / scale
    lower = _imputation_bounds(game, v, scale, tol) if domain == "imputation" else None
    g = _rowgen.Scaled(v, n, lower, method, tol, MAX_ROUNDS)
    x, lps, rounds = _rowgen.solve_nucleolus(g)
    x = x * scale
    x = np.where(np.abs(x) <= 1e-13 * scale, 0.0, x)  # rounding noise around 0, no -0.0
    return Nucleolus(
        x,
        float(np.max(game.excesses(x)[1:-1])),
        domain,
        message=f"{rounds} sequential LP(s) fixed all {n} degrees of freedom",
        iterations=lps,
        method=method,
        tol=tol,
    )


def _imputation_bounds(
    game: TUGame, v: NDArray[np.float64], scale: float, tol: float
) -> NDArray[np.float64]:
    """Stand-alone values of the scaled game ``v``, or ``InfeasibleError`` if they exceed v(N)."""
    lower = v[1 << np.arange(game.n)]
    if lower.sum() > v[-1] + tol:
        raise InfeasibleError(
            f"no imputation: the players' stand-alone values sum to {lower.sum() * scale:g} > "
            f"v(N) = {game.grand:g}",
            ("individual rationality", "efficiency"),
        )
    return lower
