r"""Transferable-utility games and their solutions (MODEL.md §7).

Generic solver: coalitions are bitmasks (bit :math:`i` set means player :math:`i` is in), and
``v`` is an array of length :math:`2^n` with :math:`v(\emptyset) = 0`. Coalition sums
:math:`x(T)` for all :math:`2^n` coalitions are built by doubling in :math:`O(2^n)`, so LPs
generate only the coalition constraints that bind instead of writing :math:`2^n` rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_choice, check_tol
from ..exceptions import ConvergenceError, InfeasibleError
from . import _lp

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


def _subset_sums(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """x(T) for every bitmask T, by doubling: index T has bit i set iff player i is in T."""
    sums = np.zeros(1)
    for xi in x:
        sums = np.concatenate([sums, sums + xi])
    return sums


def _popcount(n: int) -> NDArray[np.int64]:
    pc = np.zeros(1, dtype=np.int64)
    for _ in range(n):
        pc = np.concatenate([pc, pc + 1])
    return pc


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
        return self.v - _subset_sums(_allocation(x, self.n))

    def __repr__(self) -> str:
        return f"TUGame(n={self.n}, v(N)={self.grand:g})"


@dataclass(frozen=True)
class ShapleyValue(Result):
    r"""The Shapley value of a TU game, with how it was computed.

    Attributes
    ----------
    values : ndarray, shape (n,)
        :math:`\phi_i`, one per player, in the unit of :math:`v`; they sum to :math:`v(N)`.
    standard_error : ndarray, shape (n,)
        Standard error of each value: zero when computed exactly.
    method : {"exact", "sample"}
        Subset enumeration, or the mean over random orderings.
    samples : int
        Random orderings drawn (0 for ``"exact"``).
    success : bool
        Always True: neither method can fail on a valid game.
    message : str
        What was done, in words.
    iterations : int
        Orderings drawn for ``"sample"`` (the same as ``samples``); 0 for ``"exact"``.
    tol : float
        0 for ``"exact"`` (exact up to rounding); NaN for ``"sample"``, which has no stopping
        tolerance: ``samples`` fixes the work and ``standard_error`` reports the accuracy.

    ``numpy.asarray(result)`` gives ``values``.
    """

    values: NDArray[np.float64]
    standard_error: NDArray[np.float64]
    method: str
    samples: int = 0
    success: bool = True
    message: str = ""
    iterations: int = 0
    tol: float = 0.0

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[np.float64]:
        return np.asarray(self.values, dtype=dtype)


def shapley_value(
    game: TUGame, *, method: str = "auto", samples: int = 20_000, rng: Any = None
) -> ShapleyValue:
    r"""Shapley value, exact by subset enumeration or sampled over permutations.

    Parameters
    ----------
    game : TUGame
        The game; values :math:`v(T)` in any unit (万元 in this package's games).
    method : {"auto", "exact", "sample"}
        ``"auto"`` is exact up to 25 players.
    samples : int, default 20000
        Random orderings for ``"sample"``, ≥ 2.
    rng : int, Generator or None
        Seed or generator for ``"sample"``.

    Returns
    -------
    ShapleyValue
        ``.values`` (in the unit of :math:`v`, summing to :math:`v(N)`), ``.standard_error``,
        and ``.method``, ``.iterations``, ``.success``, ``.message``, ``.tol``.

    Raises
    ------
    ValueError
        For an unknown ``method``, or ``samples`` that is not an integer ≥ 2 when sampling.

    Notes
    -----
    .. math:: \phi_i = \sum_{T \not\ni i} \frac{|T|!\,(n-|T|-1)!}{n!}\,[v(T \cup i) - v(T)]

    For each player the :math:`2^n` values are reshaped so that bit :math:`i` is an axis; the
    marginal contributions are one subtraction, with no index arrays. Sampling averages the
    marginal contributions :math:`v(P_i^\pi \cup i) - v(P_i^\pi)` over random orderings
    :math:`\pi` (:math:`P_i^\pi` the players before :math:`i`).

    Examples
    --------
    >>> from compensation import TUGame, shapley_value
    >>> glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    >>> (shapley_value(glove).values * 6).round(9).tolist()
    [4.0, 1.0, 1.0]
    """
    check_choice("method", method, ("auto", "exact", "sample"))
    n = game.n
    if method == "exact" or (method == "auto" and n <= 25):
        return ShapleyValue(
            _shapley_exact(game.v, n), np.zeros(n), "exact", message="exact: subset enumeration"
        )
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2:
        raise ValueError(f"samples must be an integer ≥ 2 (random orderings); got {samples!r}")
    mean, error = _shapley_sample(game.v, n, int(samples), np.random.default_rng(rng))
    return ShapleyValue(
        mean,
        error,
        "sample",
        int(samples),
        message=f"mean over {samples} random orderings; largest standard error {error.max():.3g}",
        iterations=int(samples),
        tol=math.nan,
    )


def _shapley_exact(v: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    pc = _popcount(n)
    weight = np.array(
        [math.factorial(t) * math.factorial(n - t - 1) / math.factorial(n) for t in range(n)]
    )
    w = weight[np.minimum(pc, n - 1)]
    phi = np.empty(n)
    for i in range(n):
        v3 = v.reshape(-1, 2, 1 << i)
        w3 = w.reshape(-1, 2, 1 << i)
        phi[i] = float(np.sum(w3[:, 0, :] * (v3[:, 1, :] - v3[:, 0, :])))
    return phi


def _shapley_sample(
    v: NDArray[np.float64], n: int, samples: int, gen: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean marginal contributions over random orderings, and their standard errors."""
    total = np.zeros(n)
    total_sq = np.zeros(n)
    for start in range(0, samples, 4096):
        k = min(4096, samples - start)
        perms = np.argsort(gen.random((k, n)), axis=1)
        masks = np.cumsum(np.left_shift(1, perms), axis=1)
        before = np.concatenate([np.zeros((k, 1), dtype=np.int64), masks[:, :-1]], axis=1)
        contrib = v[masks] - v[before]
        marg = np.zeros((k, n))
        np.put_along_axis(marg, perms, contrib, axis=1)
        total += marg.sum(axis=0)
        total_sq += (marg**2).sum(axis=0)
    mean = total / samples
    var = np.maximum(total_sq / samples - mean**2, 0.0)
    return mean, np.sqrt(var / samples)


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


def _scale_of(v: NDArray[np.float64]) -> float:
    """Power of two with ``max |v| / scale`` in [1, 2) (1 for the zero game).

    Dividing by a power of two is exact, so the scaled game is the same game in other units and
    solvers with absolute tolerances (HiGHS, CBC: about 1e-7) see numbers of order 1.
    """
    top = float(np.abs(v).max())
    return 1.0 if top == 0 else math.ldexp(1.0, math.frexp(top)[1] - 1)


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


class _Scaled(NamedTuple):
    """A game in units of its largest |v(T)|, and how to solve its LPs."""

    v: NDArray[np.float64]
    n: int
    lower: NDArray[np.float64] | None  # imputation bounds x_i >= lower_i, or None
    method: str
    tol: float


class _Round(NamedTuple):
    eps: float
    x: NDArray[np.float64]
    tight: list[tuple[int, float]]  # (coalition, dual) with a positive dual
    tight_bounds: list[tuple[int, float]]  # (player, dual) of binding x_i >= lower_i
    rounds: int


def _seed_rows(g: _Scaled, skip: NDArray[np.bool_], x0: NDArray[np.float64]) -> list[int]:
    """First coalitions of the LP: singletons, their complements, the largest excesses at x0."""
    n, full = g.n, (1 << g.n) - 1
    exc0 = g.v - _subset_sums(x0)
    exc0[skip] = -np.inf
    seeds = {1 << i for i in range(n)} | {full ^ (1 << i) for i in range(n)}
    seeds |= {int(t) for t in np.argsort(-exc0, kind="stable")[: 2 * n]}
    return sorted(t for t in seeds if not skip[t])


def _lazy_minmax(
    g: _Scaled,
    fixed: list[tuple[int, float]],
    exclude: NDArray[np.bool_],
    x0: NDArray[np.float64],
) -> _Round:
    """Solve min eps s.t. v(T) - x(T) <= eps for T not excluded, x(T) = v(T) - e_T on ``fixed``.

    ``g.v`` is scaled to max |v| of order 1, so ``g.tol`` is relative. ``g.lower`` adds
    x_i >= lower_i (imputations) for players whose singleton is not excluded. Coalition rows
    are added lazily: start from :func:`_seed_rows`, solve, add the most violated coalitions
    not yet in the LP, repeat.
    """
    n, v = g.n, g.v
    skip = exclude.copy()
    skip[[0, (1 << n) - 1]] = True
    active = _seed_rows(g, skip, x0)
    in_lp = np.zeros(1 << n, dtype=bool)
    in_lp[active] = True
    bound_players = [] if g.lower is None else [i for i in range(n) if not exclude[1 << i]]
    bound_rows = np.zeros((len(bound_players), n + 1))
    bound_rows[np.arange(len(bound_players)), bound_players] = -1.0
    bound_rhs = np.zeros(0) if g.lower is None else -g.lower[bound_players]
    eq_rows = np.array([[*_members(t, n), 0] for t, _ in fixed], dtype=float)
    eq_rhs = np.array([v[t] - e for t, e in fixed])
    c = np.zeros(n + 1)
    c[-1] = 1.0
    for rounds in range(1, MAX_ROUNDS + 1):
        rows = np.array([_members(t, n) for t in active], dtype=float)
        res = _lp.solve(
            c,
            A_ub=np.vstack([np.hstack([-rows, -np.ones((len(active), 1))]), bound_rows]),
            b_ub=np.concatenate([-v[active], bound_rhs]),
            A_eq=eq_rows,
            b_eq=eq_rhs,
            bounds=[(None, None)] * (n + 1),
            method=g.method,
        )
        if res.status != 0:
            raise ConvergenceError(
                f"LP solver {g.method!r} failed in round {rounds} of row generation: "
                f"{res.message} (status {res.status})"
            )
        x, eps = res.x[:n], float(res.x[n])
        exc = v - _subset_sums(x)
        # Rows already in the LP hold up to the solver's own tolerance; re-adding them when
        # that exceeds ``tol`` looped forever (CBC reports 8 digits). Only new rows count.
        exc[skip | in_lp] = -np.inf
        violated = np.nonzero(exc > eps + g.tol)[0]
        if violated.size == 0:
            k = len(active)
            duals = res.ineq_duals
            return _Round(
                eps,
                x,
                [(t, float(d)) for t, d in zip(active, duals[:k]) if d > _DUAL_TOL],
                [(i, float(d)) for i, d in zip(bound_players, duals[k:]) if d > _DUAL_TOL],
                rounds,
            )
        worst = violated[np.argsort(-exc[violated], kind="stable")[: 2 * n]]
        in_lp[worst] = True
        active = sorted(active + [int(t) for t in worst])
    worst_excess = float(exc[violated].max() - eps)
    raise ConvergenceError(
        f"row generation did not converge in {MAX_ROUNDS} rounds with solver {g.method!r}: "
        f"{len(active)} of {1 << n} coalitions in the LP, largest violation {worst_excess:.3g} "
        f"relative to max |v(T)| (tol {g.tol:g}); try method='highs' or a larger tol"
    )


# Duals of the min-eps LP sum to 1, so this threshold is relative; smaller values are solver
# noise, not binding rows.
_DUAL_TOL = 1e-9


def _members(t: int, n: int) -> list[int]:
    return [(t >> i) & 1 for i in range(n)]


def _tight_solution(
    g: _Scaled, fixed: list[tuple[int, float]], r: _Round
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Solve the binding rows exactly for (x, eps); also say which unknowns they determine.

    Rows with a positive dual are tight at every optimum, so where they pin an unknown down the
    linear solve gives it to machine precision instead of the LP's solver tolerance.
    """
    n, v = g.n, g.v
    rows = [[*_members(t, n), 0] for t, _ in fixed]
    rhs = [v[t] - e for t, e in fixed]
    rows += [[*_members(t, n), 1] for t, _ in r.tight]
    rhs += [v[t] for t, _ in r.tight]
    if g.lower is not None:
        rows += [[*_members(1 << i, n), 0] for i, _ in r.tight_bounds]
        rhs += [g.lower[i] for i, _ in r.tight_bounds]
    A, b = np.array(rows, dtype=float), np.array(rhs, dtype=float)
    _, sv, vt = np.linalg.svd(A, full_matrices=True)
    rank = int((sv > 1e-10 * sv.max()).sum())
    determined = np.abs(vt[rank:]).max(axis=0, initial=0.0) <= 1e-9
    # Correct the LP point rather than solve from scratch: an LP answer that already fits the
    # rows (HiGHS's usually does, exactly) stays bit for bit; a rounded one (CBC) is repaired.
    lp = np.append(r.x, r.eps)
    z = lp + np.linalg.lstsq(A, b - A @ lp, rcond=None)[0]
    # A misidentified binding row would make the correction worse than the LP's answer; keep
    # the LP value unless the two agree to well within the solvers' accuracy.
    determined &= np.abs(z - lp) <= 1e-6
    return z, determined


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
    scale = _scale_of(game.v)
    g = _Scaled(game.v / scale, n, None, method, tol)
    fixed = [((1 << n) - 1, 0.0)]
    r = _lazy_minmax(g, fixed, np.zeros(1 << n, dtype=bool), np.full(n, g.v[-1] / n))
    z, determined = _tight_solution(g, fixed, r)
    x = z[:n] if determined[:n].all() else r.x
    # Report the largest excess x really has: then x attains epsilon exactly, whatever the
    # solver's tolerance.
    eps = float(np.max((g.v - _subset_sums(x))[1:-1]))
    return LeastCore(
        eps * scale,
        x * scale,
        r.rounds,
        method,
        message=f"optimal after {r.rounds} round(s) of row generation",
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
    scale = _scale_of(game.v)
    v = game.v / scale
    lower = _imputation_bounds(game, v, scale, tol) if domain == "imputation" else None
    x, lps, rounds = _nucleolus(_Scaled(v, n, lower, method, tol))
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


def _nucleolus(g: _Scaled) -> tuple[NDArray[np.float64], int, int]:
    """Sequential LPs on the scaled game; (x, LPs solved, sequential rounds). See nucleolus."""
    n, v = g.n, g.v
    full = (1 << n) - 1
    fixed: list[tuple[int, float]] = [(full, 0.0)]
    basis = np.ones((n, 1)) / np.sqrt(n)  # orthonormal basis of the fixed coalitions' span
    pc = _popcount(n).astype(float)
    x = np.full(n, v[full] / n)
    lps = 0
    for round_ in range(n):  # the rank of ``fixed`` grows every round, from 1 to n
        exclude = pc - (_span_projections(basis) ** 2).sum(axis=1) <= 1e-9
        if exclude[1:].all():
            break
        r = _lazy_minmax(g, fixed, exclude, x)
        lps += r.rounds
        x = r.x
        basis, added = _fix_binding(g, fixed, basis, r)
        if not added:
            raise ConvergenceError(
                f"nucleolus: round {round_ + 1} found no new binding coalition with solver "
                f"{g.method!r} (an inaccurate LP solution); try method='highs'"
            )
    else:
        raise ConvergenceError(f"nucleolus: {n} rounds did not fix all {n} degrees of freedom")
    # Polish: the n independent fixed coalitions determine x; solving them removes LP rounding.
    vectors = np.array([_members(t, n) for t, _ in fixed], dtype=float)
    rhs = np.array([v[t] - e for t, e in fixed])
    return x + np.linalg.solve(vectors, rhs - vectors @ x), lps, round_


def _span_projections(basis: NDArray[np.float64]) -> NDArray[np.float64]:
    """Q^T 1_T for every coalition T at once: subset sums of the rows of the basis Q."""
    proj = np.zeros((1, basis.shape[1]))
    for row in basis:
        proj = np.concatenate([proj, proj + row])
    return proj


def _fix_binding(
    g: _Scaled, fixed: list[tuple[int, float]], basis: NDArray[np.float64], r: _Round
) -> tuple[NDArray[np.float64], int]:
    """Fix the round's binding rows that are independent of those fixed (appends to ``fixed``).

    Largest duals first; dependent rows are skipped so that the equality rows stay consistent
    however the solver rounds (dependent rows with rounded right-hand sides made later LPs
    infeasible). Returns the grown orthonormal basis and how many rows were added.
    """
    z, determined = _tight_solution(g, fixed, r)
    eps = float(z[g.n]) if determined[g.n] else r.eps
    candidates = [(d, t, eps) for t, d in r.tight]
    candidates += [(d, 1 << i, 0.0) for i, d in r.tight_bounds]
    added = 0
    for _, t, e in sorted(candidates, key=lambda c: -c[0]):
        vec = np.array(_members(t, g.n), dtype=float)
        resid = vec - basis @ (basis.T @ vec)
        norm = float(np.linalg.norm(resid))
        if norm > 1e-9 * float(np.linalg.norm(vec)):
            basis = np.hstack([basis, (resid / norm)[:, None]])
            fixed.append((t, e))
            added += 1
    return basis, added
