r"""Transferable-utility games and their solutions (MODEL.md §7).

Generic solver: coalitions are bitmasks (bit :math:`i` set means player :math:`i` is in), and
``v`` is an array of length :math:`2^n` with :math:`v(\emptyset) = 0`. Coalition sums
:math:`x(T)` for all :math:`2^n` coalitions are built by doubling in :math:`O(2^n)`, so LPs
generate only the coalition constraints that bind instead of writing :math:`2^n` rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_choice, check_tol
from ..exceptions import ConvergenceError, InfeasibleError
from . import _lp, _rowgen
from .shapley import ShapleyValue, shapley_value

__all__ = [
    "MAX_ROUNDS",
    "ConvergenceError",
    "LeastCore",
    "Nucleolus",
    "ShapleyValue",
    "TUGame",
    "core_is_empty",
    "egalitarian",
    "in_core",
    "least_core",
    "nash_bargaining",
    "nucleolus",
    "proportional",
    "shapley_value",
]

MAX_PLAYERS = 26


def _mask(coalition: Any, n: int) -> int:
    """Bitmask of a coalition of distinct player indices 0..n-1, or ``ValueError`` naming it."""
    if isinstance(coalition, (str, bytes)) or not isinstance(coalition, Iterable):
        raise ValueError(
            f"coalition {coalition!r} must be a tuple or frozenset of player indices "
            f"0..{n - 1} (a bare number is ambiguous: player or bitmask?)"
        )
    members = tuple(coalition)
    for i in members:
        if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
            raise ValueError(f"coalition {coalition!r} has {i!r}, not a player index 0..{n - 1}")
        if not 0 <= i < n:
            raise ValueError(f"coalition {coalition!r} names a player outside 0..{n - 1}")
    if len(set(members)) != len(members):
        # Summing 1 << i over (0, 0) gives bitmask 2, which is player 1's coalition.
        raise ValueError(f"coalition {coalition!r} repeats a player; list each player once")
    return sum(1 << int(i) for i in members)


def _allocation(x: ArrayLike, n: int) -> NDArray[np.float64]:
    arr = np.asarray(x, dtype=float)
    if arr.shape != (n,) or not np.isfinite(arr).all():
        raise ValueError(f"x must be {n} finite payoffs, one per player; got {x!r}")
    return arr


@dataclass(frozen=True, eq=False)
class TUGame:
    r"""A transferable-utility game with ``n`` players.

    Parameters
    ----------
    n : int
        Number of players, 1 to 26.
    v : array_like of length 2**n, or mapping
        Coalition values indexed by bitmask (bit i = player i), or a mapping from coalitions
        (tuples or frozensets of player indices) to values; coalitions missing from a mapping
        are worth 0. :math:`v(\emptyset)` must be 0.
    names : tuple of str, optional
        Player names for display.

    Raises
    ------
    ValueError
        If ``n`` is not an integer from 1 to 26, ``v`` has the wrong length or a value that
        is not finite, :math:`v(\emptyset) \ne 0`, a mapping names a coalition badly (a player
        outside 0..n-1, a repeated player, the same coalition twice), or ``names`` does not
        have ``n`` entries.

    Examples
    --------
    A glove game: player 0 holds a left glove, players 1 and 2 right gloves.

    >>> from compensation import TUGame
    >>> g = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    >>> g.value((0, 1)), g.grand
    (1.0, 1.0)
    """

    n: int
    v: Any
    names: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        n = self.n
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_PLAYERS:
            raise ValueError(f"n must be an integer from 1 to {MAX_PLAYERS}; got {n!r}")
        size = 1 << int(n)
        if isinstance(self.v, Mapping):
            arr = np.zeros(size)
            given: dict[int, Any] = {}
            for coalition, value in self.v.items():
                mask = _mask(coalition, int(n))
                if mask in given:
                    raise ValueError(
                        f"coalitions {given[mask]!r} and {coalition!r} are the same coalition; "
                        "give each coalition once"
                    )
                given[mask] = coalition
                try:
                    arr[mask] = float(value)
                except (TypeError, ValueError):
                    raise ValueError(
                        f"v of coalition {coalition!r} must be a finite number; got {value!r}"
                    ) from None
                if not np.isfinite(arr[mask]):
                    raise ValueError(
                        f"v of coalition {coalition!r} must be a finite number; got {value!r}"
                    )
        else:
            try:
                arr = np.array(self.v, dtype=float)
            except (TypeError, ValueError):
                raise ValueError(
                    f"v must be {size} finite numbers indexed by bitmask; got {self.v!r}"
                ) from None
            if arr.shape != (size,):
                raise ValueError(f"v must have length 2**n = {size}; got shape {arr.shape}")
        if not np.isfinite(arr).all():
            bad = int(np.argmin(np.isfinite(arr)))
            raise ValueError(f"v must be finite; got {arr[bad]!r} for coalition bitmask {bad}")
        if arr[0] != 0:
            raise ValueError(f"v(empty coalition) must be 0; got {arr[0]!r}")
        arr.setflags(write=False)
        object.__setattr__(self, "v", arr)
        names = tuple(self.names) or tuple(f"player {i}" for i in range(n))
        if len(names) != n:
            raise ValueError(f"names must have n = {n} entries; got {len(names)}")
        object.__setattr__(self, "names", names)

    @property
    def grand(self) -> float:
        """:math:`v(N)`, the value of the grand coalition."""
        return float(self.v[-1])

    def value(self, coalition: Any) -> float:
        """Value :math:`v(T)` of a coalition.

        Parameters
        ----------
        coalition : tuple or frozenset of int
            Distinct player indices 0..n-1.

        Returns
        -------
        float
            :math:`v(T)`, in the unit of the game.

        Raises
        ------
        ValueError
            If ``coalition`` is not a collection of distinct player indices 0..n-1.
        """
        return float(self.v[_mask(coalition, self.n)])

    def excesses(self, x: ArrayLike) -> NDArray[np.float64]:
        """Excess :math:`e(T, x) = v(T) - x(T)` of every coalition.

        Parameters
        ----------
        x : array_like of length n
            An allocation, in the unit of the game.

        Returns
        -------
        ndarray, shape (2**n,)
            The excesses, indexed by bitmask (bit i = player i).

        Raises
        ------
        ValueError
            If ``x`` is not ``n`` finite numbers.
        """
        return self.v - _rowgen.subset_sums(_allocation(x, self.n))

    def __repr__(self) -> str:
        return f"TUGame(n={self.n}, v(N)={self.grand:g})"


def egalitarian(game: TUGame) -> NDArray[np.float64]:
    r"""Equal split of :math:`v(N)`: :math:`x_i = v(N) / n`.

    Parameters
    ----------
    game : TUGame
        The game; only :math:`v(N)` and :math:`n` matter.

    Returns
    -------
    ndarray, shape (n,)
        Each player's share, in the unit of :math:`v`.

    Raises
    ------
    AttributeError
        If ``game`` is not a :class:`TUGame` (a valid game never raises).

    Examples
    --------
    >>> from compensation import TUGame, egalitarian
    >>> egalitarian(TUGame(2, [0, 1, 1, 4])).tolist()
    [2.0, 2.0]
    """
    return np.full(game.n, game.grand / game.n)


def proportional(game: TUGame, weights: ArrayLike | None = None) -> NDArray[np.float64]:
    r"""Split :math:`v(N)` in proportion to ``weights`` (default: stand-alone values).

    Parameters
    ----------
    game : TUGame
        The game.
    weights : array_like of length n, optional
        :math:`w_i \ge 0` with a positive sum; by default the stand-alone values
        :math:`v(\{i\})`.

    Returns
    -------
    ndarray, shape (n,)
        :math:`x_i = v(N)\, w_i / \sum_j w_j`, in the unit of :math:`v`.

    Raises
    ------
    ValueError
        If the weights are not ``n`` finite values ≥ 0 with a positive sum.

    Examples
    --------
    >>> from compensation import TUGame, proportional
    >>> proportional(TUGame(2, [0, 1, 3, 8])).tolist()
    [2.0, 6.0]
    """
    w = (
        np.array([game.value((i,)) for i in range(game.n)])
        if weights is None
        else np.asarray(weights, dtype=float)
    )
    if w.shape != (game.n,) or not np.isfinite(w).all() or np.any(w < 0) or w.sum() <= 0:
        raise ValueError(f"weights must be {game.n} finite values ≥ 0 with a positive sum; got {w}")
    return game.grand * w / w.sum()


def nash_bargaining(
    surplus: float, d_leader: float, d_primary: float, power: float = 0.5
) -> tuple[float, float]:
    r"""Generalised Nash bargaining split of a joint surplus between two parties.

    Parameters
    ----------
    surplus : float
        :math:`S`, the joint payoff to split (万元).
    d_leader, d_primary : float
        Disagreement payoffs :math:`d_L, d_P` (万元); :math:`S \ge d_L + d_P` is required.
    power : float, default 0.5
        The leader's bargaining power :math:`\beta \in [0, 1]`.

    Returns
    -------
    (float, float)
        :math:`x_L` and :math:`x_P` (万元).

    Raises
    ------
    ValueError
        If ``power`` is outside [0, 1], or the payoffs are not finite with
        :math:`S \ge d_L + d_P`.

    Notes
    -----
    The split maximises :math:`(x_L - d_L)^\beta (x_P - d_P)^{1-\beta}` subject to
    :math:`x_L + x_P = S`:

    .. math:: x_L = d_L + \beta (S - d_L - d_P), \qquad x_P = S - x_L.

    Examples
    --------
    >>> from compensation import nash_bargaining
    >>> nash_bargaining(10.0, 2.0, 4.0, power=0.25)
    (3.0, 7.0)
    """
    if not 0 <= power <= 1:
        raise ValueError(f"power must be in [0, 1]; got {power!r}")
    gain = surplus - d_leader - d_primary
    if not np.isfinite([surplus, d_leader, d_primary]).all() or gain < 0:
        raise ValueError(
            f"surplus must be finite and ≥ d_leader + d_primary = {d_leader + d_primary:g}; "
            f"got {surplus!r}"
        )
    x_l = d_leader + power * gain
    return float(x_l), float(surplus - x_l)


def in_core(game: TUGame, x: ArrayLike, *, tol: float = 1e-9) -> bool:
    r"""Whether ``x`` is efficient and no coalition gets less than its value.

    Parameters
    ----------
    game : TUGame
        The game.
    x : array_like of length n
        Allocation to test, in the unit of :math:`v`.
    tol : float, default 1e-9
        Tolerance relative to the largest :math:`|v(T)|` or :math:`|x_i|`, in [0, 1e-3].

    Returns
    -------
    bool
        True when :math:`|x(N) - v(N)| \le \tau` and :math:`v(T) - x(T) \le \tau` for every
        coalition :math:`T`, with :math:`\tau` = ``tol`` times the larger of
        :math:`\max_T |v(T)|` and :math:`\max_i |x_i|`.

    Raises
    ------
    ValueError
        If ``x`` is not ``n`` finite numbers or ``tol`` is outside [0, 1e-3].

    Examples
    --------
    >>> from compensation import TUGame, in_core
    >>> glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    >>> in_core(glove, [1, 0, 0]), in_core(glove, [0.5, 0.5, 0])
    (True, False)
    """
    tol = check_tol("tol", tol, allow_zero=True)
    x = _allocation(x, game.n)
    # Relative, not floored at 1: a game in units of 1e-12 must not pass every allocation.
    slack = tol * max(float(np.abs(game.v).max()), float(np.abs(x).max()))
    return bool(abs(x.sum() - game.grand) <= slack and game.excesses(x)[1:].max() <= slack)


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
