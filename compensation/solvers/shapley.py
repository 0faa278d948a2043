r"""The Shapley value of a TU game, exact or sampled (MODEL.md §7).

Re-exported by :mod:`compensation.solvers.cooperative`, where :class:`TUGame` lives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from .._validation import check_choice
from ._rowgen import popcount

if TYPE_CHECKING:
    from .cooperative import TUGame

__all__ = ["ShapleyValue", "shapley_value"]


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
            _exact(game.v, n), np.zeros(n), "exact", message="exact: subset enumeration"
        )
    if isinstance(samples, bool) or not isinstance(samples, (int, np.integer)) or samples < 2:
        raise ValueError(f"samples must be an integer ≥ 2 (random orderings); got {samples!r}")
    mean, error = _sample(game.v, n, int(samples), np.random.default_rng(rng))
    return ShapleyValue(
        mean,
        error,
        "sample",
        int(samples),
        message=f"mean over {samples} random orderings; largest standard error {error.max():.3g}",
        iterations=int(samples),
        tol=math.nan,
    )


def _exact(v: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    pc = popcount(n)
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


def _sample(
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
