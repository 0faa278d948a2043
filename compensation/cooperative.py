r"""Transferable-utility games and their solutions (MODEL.md §7).

Generic solver: coalitions are bitmasks (bit :math:`i` set means player :math:`i` is in), and
``v`` is an array of length :math:`2^n` with :math:`v(\emptyset) = 0`. Coalition sums
:math:`x(T)` for all :math:`2^n` coalitions are built by doubling in :math:`O(2^n)`, so LPs
generate only the coalition constraints that bind instead of writing :math:`2^n` rows.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _lp
from ._validation import check_choice
from .exceptions import InfeasibleError

__all__ = [
    "LeastCore",
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
        if not isinstance(self.n, (int, np.integer)) or not 1 <= self.n <= MAX_PLAYERS:
            raise ValueError(f"n must be an integer from 1 to {MAX_PLAYERS}; got {self.n!r}")
        size = 1 << int(self.n)
        if isinstance(self.v, Mapping):
            arr = np.zeros(size)
            for coalition, value in self.v.items():
                members = tuple(coalition)
                if any(not 0 <= int(i) < self.n for i in members):
                    raise ValueError(
                        f"coalition {coalition!r} names a player outside 0..{self.n - 1}"
                    )
                arr[sum(1 << int(i) for i in members)] = float(value)
        else:
            arr = np.array(self.v, dtype=float)
            if arr.shape != (size,):
                raise ValueError(f"v must have length 2**n = {size}; got shape {arr.shape}")
        if not np.isfinite(arr).all():
            bad = int(np.argmin(np.isfinite(arr)))
            raise ValueError(f"v must be finite; got {arr[bad]!r} for coalition bitmask {bad}")
        if arr[0] != 0:
            raise ValueError(f"v(empty coalition) must be 0; got {arr[0]!r}")
        arr.setflags(write=False)
        object.__setattr__(self, "v", arr)
        names = tuple(self.names) or tuple(f"player {i}" for i in range(self.n))
        if len(names) != self.n:
            raise ValueError(f"names must have n = {self.n} entries; got {len(names)}")
        object.__setattr__(self, "names", names)

    @property
    def grand(self) -> float:
        """:math:`v(N)`, the value of the grand coalition."""
        return float(self.v[-1])

    def value(self, coalition: Any) -> float:
        """Value of a coalition given as player indices."""
        return float(self.v[sum(1 << int(i) for i in coalition)])

    def excesses(self, x: ArrayLike) -> NDArray[np.float64]:
        """:math:`v(T) - x(T)` for every coalition (index = bitmask)."""
        return self.v - _subset_sums(np.asarray(x, dtype=float))

    def __repr__(self) -> str:
        return f"TUGame(n={self.n}, v(N)={self.grand:g})"


@dataclass(frozen=True)
class ShapleyValue:
    """Shapley value; ``standard_error`` is zero when computed exactly."""

    values: NDArray[np.float64]
    standard_error: NDArray[np.float64]
    method: str
    samples: int = 0

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[np.float64]:
        return np.asarray(self.values, dtype=dtype)


def shapley_value(
    game: TUGame, *, method: str = "auto", samples: int = 20_000, rng: Any = None
) -> ShapleyValue:
    r"""Shapley value, exact by subset enumeration or sampled over permutations.

    Parameters
    ----------
    game : TUGame
    method : {"auto", "exact", "sample"}
        ``"auto"`` is exact up to 25 players.
    samples : int, default 20000
        Random orderings for ``"sample"``.
    rng : int, Generator or None
        Seed or generator for ``"sample"``.

    Returns
    -------
    ShapleyValue
        ``.values`` (sums to :math:`v(N)`), ``.standard_error``.

    Notes
    -----
    .. math:: \phi_i = \sum_{T \not\ni i} \frac{|T|!\,(n-|T|-1)!}{n!}\,[v(T \cup i) - v(T)]

    For each player the :math:`2^n` values are reshaped so that bit :math:`i` is an axis; the
    marginal contributions are one subtraction, with no index arrays.

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
        pc = _popcount(n)
        weight = np.array(
            [math.factorial(t) * math.factorial(n - t - 1) / math.factorial(n) for t in range(n)]
        )
        w = weight[np.minimum(pc, n - 1)]
        phi = np.empty(n)
        for i in range(n):
            v3 = game.v.reshape(-1, 2, 1 << i)
            w3 = w.reshape(-1, 2, 1 << i)
            phi[i] = float(np.sum(w3[:, 0, :] * (v3[:, 1, :] - v3[:, 0, :])))
        return ShapleyValue(phi, np.zeros(n), "exact")
    gen = np.random.default_rng(rng)
    if int(samples) < 2:
        raise ValueError(f"samples must be ≥ 2; got {samples!r}")
    total = np.zeros(n)
    total_sq = np.zeros(n)
    for start in range(0, samples, 4096):
        k = min(4096, samples - start)
        perms = np.argsort(gen.random((k, n)), axis=1)
        masks = np.cumsum(np.left_shift(1, perms), axis=1)
        before = np.concatenate([np.zeros((k, 1), dtype=np.int64), masks[:, :-1]], axis=1)
        contrib = game.v[masks] - game.v[before]
        marg = np.zeros((k, n))
        np.put_along_axis(marg, perms, contrib, axis=1)
        total += marg.sum(axis=0)
        total_sq += (marg**2).sum(axis=0)
    mean = total / samples
    var = np.maximum(total_sq / samples - mean**2, 0.0)
    return ShapleyValue(mean, np.sqrt(var / samples), "sample", int(samples))


def egalitarian(game: TUGame) -> NDArray[np.float64]:
    """Equal split of :math:`v(N)`.

    Examples
    --------
    >>> from compensation import TUGame, egalitarian
    >>> egalitarian(TUGame(2, [0, 1, 1, 4])).tolist()
    [2.0, 2.0]
    """
    return np.full(game.n, game.grand / game.n)


def proportional(game: TUGame, weights: ArrayLike | None = None) -> NDArray[np.float64]:
    r"""Split :math:`v(N)` in proportion to ``weights`` (default: stand-alone values).

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
        Disagreement payoffs; :math:`S \ge d_L + d_P` is required.
    power : float, default 0.5
        The leader's bargaining power :math:`\beta \in [0, 1]`.

    Returns
    -------
    (float, float)
        :math:`x_L = d_L + \beta (S - d_L - d_P)` and :math:`x_P = S - x_L`.

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

    Examples
    --------
    >>> from compensation import TUGame, in_core
    >>> glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    >>> in_core(glove, [1, 0, 0]), in_core(glove, [0.5, 0.5, 0])
    (True, False)
    """
    x = np.asarray(x, dtype=float)
    scale = tol * max(1.0, float(np.abs(game.v).max()))
    return bool(abs(x.sum() - game.grand) <= scale and game.excesses(x)[1:].max() <= scale)


@dataclass(frozen=True)
class LeastCore:
    """Least core: the smallest ``epsilon`` with ``x(T) >= v(T) - epsilon`` for all ``T``.

    ``epsilon <= 0`` means the core is non-empty (``x`` is then in the core).
    """

    epsilon: float
    x: NDArray[np.float64]
    iterations: int
    solver: str


def _lazy_minmax(
    game: TUGame,
    fixed: list[tuple[int, float]],
    exclude: NDArray[np.bool_],
    solver: str,
    tol: float,
    lower: NDArray[np.float64] | None = None,
) -> tuple[float, NDArray, list[int], NDArray, NDArray, int]:
    """Solve min eps s.t. v(T) - x(T) <= eps for T not excluded, x(T) = v(T) - e_T on ``fixed``.

    ``lower`` adds x_i >= lower_i (imputations). Coalition rows are added lazily: start from
    singletons and their complements, solve, add the most violated coalitions, repeat.
    Returns eps, x, active coalitions, their duals, the bound duals and the rounds used.
    """
    n = game.n
    full = (1 << n) - 1
    active = sorted({1 << i for i in range(n)} | {full ^ (1 << i) for i in range(n)} - {0, full})
    active = [t for t in active if not exclude[t]]
    eq_rows = np.array([[(t >> i) & 1 for i in range(n)] + [0] for t, _ in fixed], dtype=float)
    eq_rhs = np.array([game.v[t] - e for t, e in fixed])
    bound_rows = (
        np.zeros((0, n + 1)) if lower is None else np.hstack([-np.eye(n), np.zeros((n, 1))])
    )
    bound_rhs = np.zeros(0) if lower is None else -lower
    c = np.zeros(n + 1)
    c[-1] = 1.0
    scale = tol * max(1.0, float(np.abs(game.v).max()))
    rounds = 0
    while True:
        rounds += 1
        rows = ((np.asarray(active)[:, None] >> np.arange(n)) & 1).astype(float)
        A_ub = np.vstack([np.hstack([-rows, -np.ones((len(active), 1))]), bound_rows])
        b_ub = np.concatenate([-game.v[active], bound_rhs])
        res = _lp.solve(
            c,
            A_ub if len(A_ub) else None,
            b_ub if len(A_ub) else None,
            eq_rows,
            eq_rhs,
            [(None, None)] * (n + 1),
            solver,
        )
        if res.status != 0:  # pragma: no cover - these LPs are always feasible and bounded
            raise RuntimeError(f"LP failed: {res.message}")
        x, eps = res.x[:n], res.x[n]
        exc = game.excesses(x)
        exc[exclude] = -np.inf
        exc[[0, full]] = -np.inf
        violated = np.nonzero(exc > eps + scale)[0]
        if violated.size == 0:
            k = len(active)
            return float(eps), x, active, res.ineq_duals[:k], res.ineq_duals[k:], rounds
        worst = violated[np.argsort(-exc[violated], kind="stable")[: 2 * n]]
        active = sorted(set(active) | {int(t) for t in worst})


def least_core(game: TUGame, *, solver: str = "auto", tol: float = 1e-10) -> LeastCore:
    r"""The least core: minimise the largest excess :math:`v(T) - x(T)` over proper coalitions.

    Parameters
    ----------
    game : TUGame
    solver : {"auto", "highs", "pulp-highs", "pulp-cbc"}
        LP solver; ``"auto"`` is scipy's HiGHS.
    tol : float, default 1e-10
        Violation tolerance relative to the largest coalition value.

    Returns
    -------
    LeastCore
        ``.epsilon`` and an allocation ``.x`` attaining it.

    Notes
    -----
    .. math:: \min_{x, \varepsilon} \varepsilon \quad \text{s.t.} \quad x(N) = v(N),\;
              x(T) \ge v(T) - \varepsilon \;\; \forall\, \emptyset \ne T \subsetneq N.

    Examples
    --------
    >>> from compensation import TUGame, least_core
    >>> lc = least_core(TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1}))
    >>> round(lc.epsilon, 9), lc.x.round(9).tolist()
    (0.333333333, [0.333333333, 0.333333333, 0.333333333])
    """
    check_choice("solver", solver, _lp.SOLVERS)
    if game.n == 1:
        return LeastCore(-np.inf, np.array([game.grand]), 0, solver)
    exclude = np.zeros(1 << game.n, dtype=bool)
    eps, x, _, _, _, rounds = _lazy_minmax(game, [((1 << game.n) - 1, 0.0)], exclude, solver, tol)
    return LeastCore(eps, x, rounds, solver)


def core_is_empty(game: TUGame, *, tol: float = 1e-9) -> bool:
    """Whether no allocation satisfies every coalition (least-core epsilon > 0).

    Examples
    --------
    >>> from compensation import TUGame, core_is_empty
    >>> core_is_empty(TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1}))
    True
    """
    return least_core(game).epsilon > tol * max(1.0, float(np.abs(game.v).max()))


def nucleolus(
    game: TUGame, *, domain: str = "imputation", solver: str = "auto", tol: float = 1e-9
) -> NDArray[np.float64]:
    r"""The nucleolus: lexicographically minimise the sorted vector of excesses.

    Parameters
    ----------
    game : TUGame
    domain : {"imputation", "preimputation"}
        Over imputations (:math:`x_i \ge v(\{i\})`, the nucleolus) or over all efficient
        allocations (the prenucleolus). They coincide when the core is non-empty.
    solver : {"auto", "highs", "pulp-highs", "pulp-cbc"}
        LP solver; ``"auto"`` is scipy's HiGHS (fastest here).
    tol : float, default 1e-9
        Tolerance relative to the largest coalition value.

    Returns
    -------
    ndarray
        The (unique) nucleolus; it lies in the core whenever the core is non-empty.

    Raises
    ------
    InfeasibleError
        For ``domain="imputation"`` when :math:`\sum_i v(\{i\}) > v(N)` (no imputation).

    Notes
    -----
    Sequential LPs (Maschler, Peleg and Shapley 1979): each round solves the least-core LP over
    coalitions whose excess is not yet fixed, then fixes the coalitions (and imputation bounds)
    with a positive dual, which are tight in every optimal solution, at that level. Coalitions
    whose incidence vector lies in the span of the fixed ones have determined excess and are
    dropped; span membership for all :math:`2^n` coalitions comes from subset sums of an
    orthonormal basis. At most :math:`n` rounds; each adds violated coalitions lazily.

    Examples
    --------
    >>> from compensation import TUGame, nucleolus
    >>> glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    >>> nucleolus(glove).round(9).tolist()
    [1.0, 0.0, 0.0]
    """
    check_choice("solver", solver, _lp.SOLVERS)
    check_choice("domain", domain, ("imputation", "preimputation"))
    n = game.n
    full = (1 << n) - 1
    if n == 1:
        return np.array([game.grand])
    lower = None
    if domain == "imputation":
        lower = np.array([game.v[1 << i] for i in range(n)])
        if lower.sum() > game.grand + tol * max(1.0, float(np.abs(game.v).max())):
            raise InfeasibleError(
                f"no imputation: the players' stand-alone values sum to {lower.sum():g} > "
                f"v(N) = {game.grand:g}",
                ("individual rationality", "efficiency"),
            )
    fixed: list[tuple[int, float]] = [(full, 0.0)]
    basis = np.ones((n, 1)) / np.sqrt(n)
    pc = _popcount(n).astype(float)
    x = np.full(n, game.grand / n)
    for _ in range(2 * n + 1):
        proj = np.zeros((1, basis.shape[1]))
        for row in basis:  # subset sums of the basis rows: Q^T 1_T for every T at once
            proj = np.concatenate([proj, proj + row])
        exclude = pc - (proj**2).sum(axis=1) <= 1e-9
        if exclude[1:].all():
            break
        eps, x, active, duals, bound_duals, _ = _lazy_minmax(
            game, fixed, exclude, solver, tol, lower
        )
        new = [(t, eps) for t, d in zip(active, duals) if d > 1e-9]
        new += [(1 << i, 0.0) for i, d in enumerate(bound_duals) if d > 1e-9]
        if not new:  # pragma: no cover - LP duality guarantees a binding row
            raise RuntimeError("nucleolus: no binding coalition found")
        fixed.extend(new)
        vectors = np.array([[(t >> i) & 1 for i in range(n)] for t, _ in fixed], dtype=float)
        u, sv, _ = np.linalg.svd(vectors.T, full_matrices=False)
        basis = u[:, sv > 1e-10 * sv.max()]
    # Polish: the fixed coalitions determine x exactly; solving them removes LP rounding.
    vectors = np.array([[(t >> i) & 1 for i in range(n)] for t, _ in fixed], dtype=float)
    rhs = np.array([game.v[t] - e for t, e in fixed])
    if np.linalg.matrix_rank(vectors) == n:
        x = np.linalg.lstsq(vectors, rhs, rcond=None)[0]
    scale = max(1.0, float(np.abs(game.v).max()))
    return np.where(np.abs(x) <= 1e-13 * scale, 0.0, x)  # rounding noise around 0, no -0.0
