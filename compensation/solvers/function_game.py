r"""A TU game given by a vectorised value function, for games too large for a :math:`2^n` table.

A county consortium has 20 to 300 members: its coalition values cannot be tabulated, but a
function can evaluate thousands of coalitions per call. :class:`FunctionGame` wraps such a
function; the sampled Shapley, Owen and Banzhaf values and the big-boss machinery accept it
next to :class:`~compensation.solvers.cooperative.TUGame`. Both expose ``n``, ``names``,
``grand`` and ``evaluate(coalitions)`` on boolean coalition matrices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_count
from ._coalitions import coalition_matrix
from ._veto import veto_players

# coalition_matrix lives with the other bitmask kernels; this is its documented address.
__all__ = ["FunctionGame", "as_evaluator", "coalition_matrix"]

#: Coalitions passed to the value function per call (memory: ``batch × n`` booleans at least).
BATCH = 4096


@dataclass(frozen=True, eq=False)
class FunctionGame:
    r"""A TU game whose coalition values come from a vectorised function.

    Parameters
    ----------
    n : int
        Number of players, ≥ 1.
    function : callable
        ``function(coalitions)`` takes a boolean array of shape ``(k, n)`` (row = coalition,
        column = player) and returns ``k`` finite values :math:`v(T)` (any unit; 万元 in
        this package). It must give 0 for the empty coalition.
    names : sequence of str, optional
        Player names for display.
    batch : int, default 4096
        Most coalitions passed per call.
    prefix : callable, optional
        ``prefix(orderings)`` takes an integer array of shape ``(k, n)`` (row = an ordering
        of the players) and returns the ``(k, n + 1)`` values of each ordering's prefixes,
        :math:`v(\emptyset), v(\{\pi_1\}), \dots, v(N)`. Optional: permutation sampling uses
        it instead of ``n + 1`` rows of ``function`` per ordering, which pays when prefixes
        can be updated one player at a time (a running sum: :math:`O(n)` instead of
        :math:`O(n^2)` per ordering). It must agree with ``function``.
    veto : sequence of int, default ()
        Veto players :math:`D`: :math:`v(T) = 0` unless :math:`D \subseteq T` (a
        consortium's leader). Checked here on the coalitions :math:`N \setminus \{i\}`;
        the sampled Shapley value then puts them first in every ordering (and checks more).

    Raises
    ------
    ValueError
        If ``n`` is not an integer ≥ 1, ``names`` does not have ``n`` entries, ``batch`` < 1,
        the function returns the wrong shape, a non-finite value, or a non-zero
        :math:`v(\emptyset)`, or ``veto`` names a player out of range, twice, or one
        without whom the other players are worth more than 0.

    Examples
    --------
    A glove market with one left glove (player 0) and two right gloves:

    >>> from compensation.solvers.function_game import FunctionGame
    >>> g = FunctionGame(3, lambda t: (t[:, 0] & t[:, 1:].any(axis=1)).astype(float))
    >>> g.grand, g.value((1, 2)), g.value((0, 2))
    (1.0, 0.0, 1.0)
    >>> FunctionGame(3, g.function, veto=(0,)).veto  # no glove pair without player 0
    (0,)
    """

    n: int
    function: Callable[[NDArray[np.bool_]], ArrayLike]
    names: tuple[str, ...] = field(default=())
    batch: int = BATCH
    prefix: Callable[[NDArray[np.intp]], ArrayLike] | None = None
    veto: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        n = check_count("n", self.n, what="players")
        check_count("batch", self.batch)
        names = tuple(self.names) or tuple(f"player {i}" for i in range(n))
        if len(names) != n:
            raise ValueError(f"names must have n = {n} entries; got {len(names)}")
        object.__setattr__(self, "names", names)
        ends = self.evaluate(np.array([[False] * n, [True] * n]))
        if ends[0] != 0:
            raise ValueError(f"function must give v(empty coalition) = 0; got {ends[0]!r}")
        object.__setattr__(self, "_grand", float(ends[1]))
        self._check_veto()
        if self.prefix is not None:
            order = np.arange(n)[None, :]
            chain = self.prefixes(order)[0]
            direct = self.evaluate(np.tri(n + 1, n, -1, dtype=bool))
            if not np.allclose(chain, direct, rtol=1e-9, atol=1e-12 * (1 + abs(ends[1]))):
                raise ValueError(
                    "prefix disagrees with function on the ordering 0, 1, ..., n-1: "
                    f"{chain.tolist()} vs {direct.tolist()}"
                )

    def _check_veto(self) -> None:
        object.__setattr__(self, "veto", veto_players(self.veto, self.n))
        if self.veto:
            rows = ~np.eye(self.n, dtype=bool)[list(self.veto)]
            worth = self.evaluate(rows)
            bad = np.flatnonzero(np.abs(worth) > 1e-9 * (1.0 + abs(self.grand)))
            if bad.size:
                raise ValueError(
                    f"veto player {self.veto[bad[0]]} is not one: the others are worth "
                    f"{worth[bad[0]]:.6g} ≠ 0 without it"
                )

    @property
    def grand(self) -> float:
        """:math:`v(N)`, the value of the grand coalition."""
        return float(self._grand)  # type: ignore[attr-defined]

    def evaluate(self, coalitions: ArrayLike) -> NDArray[np.float64]:
        """Values of the coalitions in a boolean matrix of shape ``(k, n)``.

        Parameters
        ----------
        coalitions : array_like of bool, shape (k, n)
            Row r holds coalition r's members.

        Returns
        -------
        ndarray, shape (k,)
            :math:`v(T)` for each row, in the unit of the game.

        Raises
        ------
        ValueError
            If ``coalitions`` is not ``(k, n)`` or the function returns a wrong shape or a
            non-finite value.
        """
        t = np.asarray(coalitions, dtype=bool)
        if t.ndim != 2 or t.shape[1] != self.n:
            raise ValueError(f"coalitions must be a (k, {self.n}) boolean matrix; got {t.shape}")
        out = np.empty(t.shape[0])
        for start in range(0, t.shape[0], self.batch):
            chunk = t[start : start + self.batch]
            v = np.asarray(self.function(chunk), dtype=float)
            if v.shape != (chunk.shape[0],):
                raise ValueError(
                    f"function must return one value per coalition ({chunk.shape[0]}); "
                    f"got shape {v.shape}"
                )
            if not np.isfinite(v).all():
                row = start + int(np.argmin(np.isfinite(v)))
                raise ValueError(
                    f"function returned a non-finite value for the coalition in row {row}: "
                    f"{np.flatnonzero(t[row]).tolist()}"
                )
            out[start : start + chunk.shape[0]] = v
        return out

    def prefixes(self, orderings: NDArray[np.intp]) -> NDArray[np.float64]:
        """Values of every prefix of each ordering, shape ``(k, n + 1)`` (``prefix`` given)."""
        if self.prefix is None:
            raise ValueError("this FunctionGame has no prefix function")
        out = np.asarray(self.prefix(orderings), dtype=float)
        k = orderings.shape[0]
        if out.shape != (k, self.n + 1) or not np.isfinite(out).all():
            raise ValueError(
                f"prefix must return ({k}, {self.n + 1}) finite values; got shape {out.shape}"
            )
        return out

    def value(self, coalition: Iterable[int]) -> float:
        """Value :math:`v(T)` of one coalition given as player indices 0..n-1."""
        row = np.zeros((1, self.n), dtype=bool)
        idx = list(coalition)
        if any(isinstance(i, bool) or not 0 <= int(i) < self.n for i in idx):
            raise ValueError(f"coalition {idx!r} names a player outside 0..{self.n - 1}")
        row[0, idx] = True
        return float(self.evaluate(row)[0])

    def table(self) -> NDArray[np.float64]:
        """All :math:`2^n` values indexed by bitmask (bit i = player i), for n ≤ 26."""
        if self.n > 26:
            raise ValueError(f"a table of all coalitions needs n ≤ 26; got n = {self.n}")
        size = 1 << self.n
        out = np.empty(size)
        step = max(self.batch, 1 << 14)
        for start in range(0, size, step):
            masks = np.arange(start, min(size, start + step))
            out[start : start + masks.size] = self.evaluate(coalition_matrix(masks, self.n))
        return out

    def __repr__(self) -> str:
        return f"FunctionGame(n={self.n}, v(N)={self.grand:g})"


def as_evaluator(game: Any) -> Any:
    """Return ``game`` if it has ``n``, ``names``, ``grand`` and ``evaluate``.

    Parameters
    ----------
    game : TUGame or FunctionGame
        A game given by a table or by a function.

    Returns
    -------
    TUGame or FunctionGame
        The same game.

    Raises
    ------
    TypeError
        If ``game`` is neither.

    Examples
    --------
    >>> from compensation.solvers.function_game import FunctionGame, as_evaluator
    >>> as_evaluator(FunctionGame(2, lambda t: t.sum(axis=1) * 1.0)).grand
    2.0
    """
    if not all(hasattr(game, a) for a in ("n", "grand", "evaluate", "names")):
        raise TypeError(f"game must be a TUGame or a FunctionGame; got {type(game).__name__}")
    return game
