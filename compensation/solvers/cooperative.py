r"""Transferable-utility games and their solutions (MODEL.md §7).

Generic solver: coalitions are bitmasks (bit :math:`i` set means player :math:`i` is in), and
``v`` is an array of length :math:`2^n` with :math:`v(\emptyset) = 0`. Coalition sums
:math:`x(T)` for all :math:`2^n` coalitions are built by doubling in :math:`O(2^n)`, so LPs
generate only the coalition constraints that bind instead of writing :math:`2^n` rows. The
least core and the nucleolus live in :mod:`compensation.solvers.nucleolus`, the Shapley value
in :mod:`compensation.solvers.shapley`; both are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_tol
from ..exceptions import ConvergenceError
from . import _rowgen
from .nucleolus import MAX_ROUNDS, LeastCore, Nucleolus, core_is_empty, least_core, nucleolus
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

    def evaluate(self, coalitions: ArrayLike) -> NDArray[np.float64]:
        """Values of the coalitions in a boolean matrix of shape ``(k, n)`` (row = coalition).

        The interface :class:`~compensation.solvers.function_game.FunctionGame` shares, so
        that the sampled values and the big-boss test accept either game.
        """
        t = np.asarray(coalitions, dtype=bool)
        if t.ndim != 2 or t.shape[1] != self.n:
            raise ValueError(f"coalitions must be a (k, {self.n}) boolean matrix; got {t.shape}")
        return self.v[t.astype(np.int64) @ (np.int64(1) << np.arange(self.n, dtype=np.int64))]

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
