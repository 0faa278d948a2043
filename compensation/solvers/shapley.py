r"""The Shapley value of a TU game, exact or sampled (MODEL.md §7, §11).

Re-exported by :mod:`compensation.solvers.cooperative`, where :class:`TUGame` lives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_choice
from ._coalitions import popcount
from ._sampling import (
    MIN_BLOCKS,
    Design,
    batch_blocks,
    block_size,
    check_samples,
    check_targets,
    estimate,
    ordering_marginals,
)
from ._veto import check_veto, veto_block_means
from .function_game import as_evaluator

__all__ = ["EXACT_FUNCTION", "ShapleyValue", "shapley_value"]

#: Most players of a FunctionGame whose 2**n values are tabulated for exact solutions.
EXACT_FUNCTION = 20


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
        Orderings drawn (0 for ``"exact"``).
    success : bool
        True, unless a standard-error target ``tol`` was not met within ``samples``.
    message : str
        What was done, in words.
    iterations : int
        Orderings drawn for ``"sample"`` (the same as ``samples``); 0 for ``"exact"``.
    tol : float or ndarray
        0 for ``"exact"`` (exact up to rounding); for ``"sample"`` the standard-error target
        (one per player if so given), NaN when none was given (``samples`` fixes the work).
    veto : tuple of int
        The veto players the sampler put first in every ordering (empty: uniform orderings).

    ``numpy.asarray(result)`` gives ``values``.
    """

    values: NDArray[np.float64]
    standard_error: NDArray[np.float64]
    method: str
    samples: int = 0
    success: bool = True
    message: str = ""
    iterations: int = 0
    tol: float | NDArray[np.float64] = 0.0
    veto: tuple[int, ...] = ()

    def __array__(self, dtype: Any = None, copy: Any = None) -> NDArray[np.float64]:
        return np.asarray(self.values, dtype=dtype)


def shapley_value(
    game: Any,
    *,
    method: str = "auto",
    samples: int = 20_000,
    rng: Any = None,
    tol: float | ArrayLike | None = None,
    antithetic: bool = True,
    stratified: bool | None = None,
    veto: Any = None,
) -> ShapleyValue:
    r"""Shapley value, exact by subset enumeration or sampled over permutations.

    Parameters
    ----------
    game : TUGame or FunctionGame
        The game; values :math:`v(T)` in any unit (万元 in this package's games).
    method : {"auto", "exact", "sample"}
        ``"auto"`` is exact up to 25 players for a :class:`TUGame` and up to 20 for a
        :class:`~compensation.solvers.function_game.FunctionGame` (whose :math:`2^n` values
        are then tabulated), sampled beyond.
    samples : int, default 20000
        Most orderings to draw for ``"sample"``, ≥ 2; rounded down to whole blocks.
    rng : int, Generator or None
        Seed or generator for ``"sample"``.
    tol : float or array_like of n floats, optional
        Stop rule for ``"sample"``: stop once every standard error is at most ``tol`` (unit
        of :math:`v`), or player i's at most ``tol[i]`` (``inf``: no target for i), checked
        after each batch of blocks (at least 8 blocks; batches sized
        by the blocks the target still needs); ``samples`` stays the budget, and ``success``
        says whether the target was met.
    antithetic : bool, default True
        Pair each ordering with its reverse.
    stratified : bool, optional
        Draw orderings :math:`n` at a time as a Latin square, so that every player stands
        once in every position per block; default: when ``samples`` allows two such blocks.
    veto : int or sequence of int, optional
        Veto players :math:`D` (:math:`v(T) = 0` unless :math:`D \subseteq T`) for
        ``"sample"``: every ordering puts them first (see Notes). Default: the game's own
        ``veto`` attribute if it has one (a
        :class:`~compensation.solvers.function_game.FunctionGame` may declare it), else
        none; ``()`` turns it off. The condition is checked on every coalition for a table or
        up to 16 players, on the :math:`n - 1` player coalitions and 256 random ones beyond.

    Returns
    -------
    ShapleyValue
        ``.values`` (in the unit of :math:`v`, summing to :math:`v(N)`), ``.standard_error``,
        and ``.method``, ``.samples``, ``.iterations``, ``.success``, ``.message``, ``.tol``,
        ``.veto``.

    Raises
    ------
    ValueError
        For an unknown ``method``, ``samples`` that is not an integer ≥ 2, a ``tol`` that is
        not > 0, ``"exact"`` for a function game of more than 20 players, or a ``veto``
        that names players out of range or a coalition without them worth other than 0.

    Notes
    -----
    .. math:: \phi_i = \sum_{T \not\ni i} \frac{|T|!\,(n-|T|-1)!}{n!}\,[v(T \cup i) - v(T)]

    For each player the :math:`2^n` values are reshaped so that bit :math:`i` is an axis; the
    marginal contributions are one subtraction, with no index arrays. Sampling (MODEL.md §11)
    averages :math:`v(P_i^\pi \cup i) - v(P_i^\pi)` over orderings :math:`\pi`
    (:math:`P_i^\pi` the players before :math:`i`) drawn in independent blocks. A block is a
    Latin square of orderings, in ordering :math:`r` player :math:`i` at position
    :math:`\sigma(a_i + r \bmod n)` for uniform permutations :math:`a, \sigma` (stratified
    by position: each player once in each position; each ordering uniform), with their
    reverses (antithetic). Plain rotations (:math:`\sigma` the identity) would give a player
    nested prefixes across the block, whose values move together: for a leader whose
    contribution grows with the members before it, that multiplies the orderings needed by
    about 50 at :math:`n = 300`. The standard error is the spread of the block means over
    :math:`\sqrt{\text{blocks}}`, the standard error of the stratified estimate itself (the
    strata of a block are not assumed independent); every ordering's contributions sum to
    :math:`v(N)`, so the estimate is efficient. A game with a ``prefix`` function (a running
    sum along the ordering) costs :math:`O(n)` per ordering, else :math:`n + 1` coalitions.

    With veto players :math:`D` (:math:`d = |D|`), a player :math:`j \notin D` contributes
    only after all of them, so with :math:`R_m` a uniform :math:`m`-subset of the others

    .. math:: \phi_j = \frac{1}{n - d} \sum_{m=0}^{n-d-1} w_m\,
              E\big[v(D \cup R_m \cup j) - v(D \cup R_m)\big], \qquad
              w_m = \frac{n - d}{n} \binom{m + d}{d} \Big/ \binom{n - 1}{d}

    (:math:`w_m = (m + 1)/n` for one veto player). Each ordering puts :math:`D` first and the
    others in the Latin-square, antithetic order above, so every prefix holds :math:`D` and no
    draw is wasted on contributions known to be zero; the veto players, symmetric, share
    :math:`v(N) - \sum_{j \notin D} w_{m_j} \Delta_j` ordering by ordering (for one veto
    player, the mean of :math:`v(D \cup R_m)` over the whole chain), so the estimate stays
    efficient and their standard error includes the covariance of the others' sum.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import TUGame, shapley_value
    >>> glove = TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1})
    >>> (shapley_value(glove).values * 6).round(9).tolist()
    [4.0, 1.0, 1.0]
    >>> four = TUGame(4, {(0, 1): 1, (0, 2): 1, (0, 3): 1, (0, 1, 2): 1, (0, 1, 3): 1,
    ...                   (0, 2, 3): 1, (0, 1, 2, 3): 1})
    >>> est = shapley_value(four, method="sample", samples=8000, rng=1, tol=0.005)
    >>> exact = shapley_value(four).values  # 3/4 and 1/12 each
    >>> bool(np.all(abs(est.values - exact) <= 3 * est.standard_error)), est.success
    (True, True)
    >>> float(est.values.sum())  # efficient: the estimates sum to v(N) in every ordering
    1.0

    Player 0 of ``four`` is a veto player: with it first in every ordering, each block of
    the others' Latin square gives the exact values here (zero standard errors).

    >>> v = shapley_value(four, method="sample", samples=600, rng=1, veto=0)
    >>> v.veto, v.values.round(6).tolist(), bool(v.standard_error.max() < 1e-12)
    ((0,), [0.75, 0.083333, 0.083333, 0.083333], True)
    """
    check_choice("method", method, ("auto", "exact", "sample"))
    game = as_evaluator(game)
    n = game.n
    table = hasattr(game, "v")
    if method == "exact" and not table and n > EXACT_FUNCTION:
        raise ValueError(
            f"method='exact' tabulates 2**n values: at most {EXACT_FUNCTION} players for a "
            f"FunctionGame; got n = {n} (use method='sample')"
        )
    if method == "exact" or (method == "auto" and n <= (25 if table else EXACT_FUNCTION)):
        v = game.v if table else game.table()
        return ShapleyValue(_exact(v, n), np.zeros(n), "exact", message="exact: subset enumeration")
    samples = check_samples(samples, "orderings to draw")
    target = check_targets(tol, n)
    gen = np.random.default_rng(rng)
    players = check_veto(game, getattr(game, "veto", ()) if veto is None else veto, gen)
    if len(players) == n:  # v(T) = 0 unless T = N: the players are symmetric
        equal = np.full(n, game.grand / n)
        return ShapleyValue(equal, np.zeros(n), "exact", message="exact: all veto", veto=players)
    m = n - len(players)  # players in the random part of each ordering
    if stratified is None:
        stratified = samples >= 2 * block_size(m, True, antithetic)
    design = Design(m, bool(stratified), bool(antithetic))
    blocks = max(2, samples // design.size)

    def draw(b: int) -> NDArray[np.float64]:
        if players:
            return veto_block_means(game, players, design, gen, b)
        marg = ordering_marginals(game, design.draw(gen, b))
        return marg.reshape(b, design.size, n).mean(axis=1)

    chain = getattr(game, "prefix", None) is not None
    per_call = batch_blocks(n, design.size, chain)
    # The veto design's first call is the fewest blocks the stop rule trusts: its blocks are
    # large (600 orderings at n = 300) and its errors small; the uniform design keeps 2 x that
    # (and its seeded results).
    first = MIN_BLOCKS if players else 2 * MIN_BLOCKS
    est, met = estimate(draw, n, blocks=blocks, per_call=per_call, target=target, first=first)
    return _sampled(game, est, met, design, target=target, veto=players)


def _sampled(
    game: Any, est: Any, met: bool, design: Design, *, target: Any, veto: tuple[int, ...]
) -> ShapleyValue:
    n = game.n
    used = est.blocks * design.size
    mean = est.mean
    mean += (game.grand - mean.sum()) / n  # efficiency exact after rounding
    err = est.error
    how = ", ".join(
        w for w, on in (("stratified", design.stratified), ("antithetic", design.antithetic)) if on
    )
    message = (
        f"mean over {used} random orderings ({how or 'plain'}"
        + (f"; veto players {list(veto)} first" if veto else "")
        + f"); largest standard error {err.max():.3g}"
    )
    if target is not None:
        what = f"target {target:.3g}" if np.ndim(target) == 0 else "targets per player"
        message += f"; {what} " + ("met" if met else "not met within samples")
    return ShapleyValue(
        mean,
        err,
        "sample",
        used,
        success=met,
        message=message,
        iterations=used,
        tol=math.nan if target is None else target,
        veto=veto,
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
