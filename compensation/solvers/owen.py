r"""The Owen value with a priori unions and the Banzhaf value, exact or sampled (MODEL.md §11).

Unions are the consortium's groups: a township health centre with its village clinics. The
Owen value plays the Shapley value between unions and again inside each union; the
Banzhaf value weighs every coalition equally, the second standard power measure (votes in a
consortium council). Both accept a :class:`~compensation.solvers.cooperative.TUGame` or a
:class:`~compensation.solvers.function_game.FunctionGame`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from .._validation import check_choice
from ._coalitions import popcount
from ._sampling import (
    CELLS,
    check_samples,
    check_target,
    estimate,
    ordering_marginals,
    union_orderings,
)
from .function_game import as_evaluator
from .shapley import EXACT_FUNCTION

__all__ = ["BanzhafValue", "OwenValue", "banzhaf_value", "owen_value"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class OwenValue(Result):
    r"""The Owen value of a game with a priori unions.

    Attributes
    ----------
    values : ndarray, shape (n,)
        One per player, in the unit of :math:`v`; they sum to :math:`v(N)`, and each
        union's sum is the Shapley value of the game between unions.
    standard_error : ndarray, shape (n,)
        Zero when exact.
    unions : tuple of tuple of int
        The partition used.
    method : {"exact", "sample"}
        Enumeration, or the mean over union-consistent random orderings.
    samples : int
        Orderings drawn (0 when exact).
    success : bool
        False only when a standard-error target was not met.
    message : str
        What was done.
    """

    values: Array
    standard_error: Array
    unions: tuple[tuple[int, ...], ...]
    method: str
    samples: int = 0
    success: bool = True
    message: str = ""

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        return np.asarray(self.values, dtype=dtype)


@dataclass(frozen=True)
class BanzhafValue(Result):
    r"""The Banzhaf value, raw and normalised to :math:`v(N)`.

    Attributes
    ----------
    values : ndarray, shape (n,)
        ``raw`` scaled to sum to :math:`v(N)` when ``normalized`` (else ``raw``).
    raw : ndarray, shape (n,)
        :math:`\beta_i = 2^{1-n} \sum_{T \not\ni i} [v(T \cup i) - v(T)]`.
    standard_error : ndarray, shape (n,)
        Of ``values`` (the normaliser taken as known); zero when exact.
    normalized : bool
        Whether ``values`` is normalised.
    method : {"exact", "sample"}
        Enumeration, or the mean over random coalitions.
    samples : int
        Random coalitions drawn (0 when exact).
    success : bool
        False only when a standard-error target was not met.
    message : str
        What was done.
    """

    values: Array
    raw: Array
    standard_error: Array
    normalized: bool
    method: str
    samples: int = 0
    success: bool = True
    message: str = ""

    def __array__(self, dtype: Any = None, copy: Any = None) -> Array:
        return np.asarray(self.values, dtype=dtype)


def _partition(unions: Any, n: int) -> list[NDArray[np.intp]]:
    try:
        parts = [np.asarray(list(u), dtype=np.intp) for u in unions]
    except (TypeError, ValueError):
        raise ValueError(f"unions must be sequences of player indices; got {unions!r}") from None
    flat = np.concatenate(parts) if parts else np.array([], dtype=np.intp)
    if any(p.size == 0 for p in parts):
        raise ValueError("unions must not be empty: every union needs at least one player")
    if flat.size and (flat.min() < 0 or flat.max() >= n):
        raise ValueError(f"unions name a player outside 0..{n - 1}: {unions!r}")
    counts = np.bincount(flat, minlength=n)
    if (counts != 1).any():
        twice, missing = np.flatnonzero(counts > 1), np.flatnonzero(counts == 0)
        raise ValueError(
            "unions must partition the players (each in exactly one union); "
            + (f"in more than one: {twice.tolist()}; " if twice.size else "")
            + (f"in none: {missing.tolist()}" if missing.size else "")
        )
    return parts


def _method(method: str, game: Any) -> bool:
    """Whether to enumerate: auto is exact when the table is affordable."""
    check_choice("method", method, ("auto", "exact", "sample"))
    limit = 25 if hasattr(game, "v") else EXACT_FUNCTION
    if method == "exact" and game.n > limit:
        raise ValueError(
            f"method='exact' enumerates 2**n coalitions: at most {limit} players here; "
            f"got n = {game.n} (use method='sample')"
        )
    return method == "exact" or (method == "auto" and game.n <= limit)


def _unions(masks: NDArray[np.int64]) -> NDArray[np.int64]:
    """Unions (bitmasks) of all subsets of the given blocks, by doubling.

    Bit j of a subset's index says whether block j is in, so subset s holds ``popcount(s)``
    blocks.
    """
    union = np.zeros(1, dtype=np.int64)
    for m in masks:
        union = np.concatenate([union, union | np.int64(m)])
    return union


def _weights(size: int, k: NDArray[np.int64]) -> Array:
    f = math.factorial
    table = np.array([f(t) * f(size - t - 1) / f(size) for t in range(size)])
    return table[k]


def owen_value(
    game: Any,
    unions: Sequence[Sequence[int]],
    *,
    method: str = "auto",
    samples: int = 20_000,
    rng: Any = None,
    tol: float | None = None,
) -> OwenValue:
    r"""Owen value: Shapley between the unions, then Shapley inside each union.

    Parameters
    ----------
    game : TUGame or FunctionGame
        The game (values in any unit; 万元 here).
    unions : sequence of sequences of int
        A partition of the players, e.g. each township with its village clinics.
    method : {"auto", "exact", "sample"}
        ``"auto"`` enumerates up to 25 players (20 for a FunctionGame), samples beyond.
    samples : int, default 20000
        Most orderings for ``"sample"``, ≥ 2 (drawn as ordering-and-reverse pairs).
    rng : int, Generator or None
        Seed or generator for ``"sample"``.
    tol : float, optional
        Stop once every standard error is at most ``tol`` (unit of :math:`v`).

    Returns
    -------
    OwenValue
        ``.values`` summing to :math:`v(N)`, ``.standard_error``, ``.unions``, ``.method``.

    Raises
    ------
    ValueError
        Unions that do not partition the players (a player in none or in two, an empty
        union); an unknown ``method``; ``samples`` < 2; a ``tol`` that is not > 0.

    Notes
    -----
    For :math:`i` in union :math:`P_k`, with :math:`m` unions and :math:`p_k = |P_k|`
    (Owen 1977),

    .. math::

        \phi_i = \sum_{R \subseteq M \setminus k} \sum_{T \subseteq P_k \setminus i}
        \frac{|R|!(m-|R|-1)!}{m!} \frac{|T|!(p_k-|T|-1)!}{p_k!}
        [v(Q_R \cup T \cup i) - v(Q_R \cup T)],

    :math:`Q_R` the players of the unions in :math:`R`. Sampling averages marginal
    contributions over orderings drawn uniformly among those that keep each union together,
    each with its reverse (antithetic); the standard error comes from the pairs.

    References
    ----------
    Owen, G. (1977). Values of games with a priori unions. In *Mathematical Economics and
    Game Theory*, Springer, 76–88.

    Examples
    --------
    Majority voting among three, players 0 and 1 allied:

    >>> from compensation import TUGame
    >>> from compensation.solvers.owen import owen_value
    >>> majority = TUGame(3, {(0, 1): 1, (0, 2): 1, (1, 2): 1, (0, 1, 2): 1})
    >>> owen_value(majority, [[0, 1], [2]]).values.round(9).tolist()
    [0.5, 0.5, 0.0]
    """
    game = as_evaluator(game)
    n = game.n
    parts = _partition(unions, n)
    label = tuple(tuple(int(i) for i in p) for p in parts)
    if _method(method, game):
        v = game.v if hasattr(game, "v") else game.table()
        return OwenValue(_owen_exact(v, parts), np.zeros(n), label, "exact",
                         message="exact: enumeration over unions and within them")  # fmt: skip
    count = check_samples(samples, "orderings to draw")
    target = check_target(tol)
    gen = np.random.default_rng(rng)

    def draw(b: int) -> Array:
        marg = ordering_marginals(game, union_orderings(gen, parts, 2 * b, True))
        return marg.reshape(b, 2, n).mean(axis=1)

    per_call = max(1, CELLS // (2 * (n + 1) * n))
    est, met = estimate(draw, n, blocks=count // 2, per_call=per_call, target=target)
    mean = est.mean + (game.grand - est.mean.sum()) / n
    used = 2 * est.blocks
    message = f"mean over {used} union-consistent orderings (antithetic)"
    if target is not None:
        message += f"; target {target:.3g} " + ("met" if met else "not met within samples")
    return OwenValue(mean, est.error, label, "sample", used, met, message)


def _owen_exact(v: Array, parts: list[NDArray[np.intp]]) -> Array:
    n = int(sum(p.size for p in parts))
    m = len(parts)
    umask = np.array([int((np.int64(1) << p.astype(np.int64)).sum()) for p in parts])
    phi = np.zeros(n)
    # The weights depend on subset sizes only, the same for every union (every member of a
    # union): one vector between unions, one per union inside it.
    wq = _weights(m, popcount(m - 1))
    for k, members in enumerate(parts):
        qr = _unions(umask[np.arange(m) != k])
        wt = _weights(members.size, popcount(members.size - 1))
        for i in members:
            t = _unions(np.int64(1) << members[members != i].astype(np.int64))
            base = qr[:, None] | t[None, :]
            gain = v[base | (np.int64(1) << np.int64(i))] - v[base]
            phi[i] = float(wq @ gain @ wt)
    return phi


def banzhaf_value(
    game: Any,
    *,
    normalized: bool = True,
    method: str = "auto",
    samples: int = 20_000,
    rng: Any = None,
    tol: float | None = None,
) -> BanzhafValue:
    r"""Banzhaf value: each player's mean marginal contribution over all coalitions.

    Parameters
    ----------
    game : TUGame or FunctionGame
        The game (values in any unit).
    normalized : bool, default True
        Scale the raw values to sum to :math:`v(N)` (an allocation); False keeps the raw
        power index.
    method : {"auto", "exact", "sample"}
        ``"auto"`` enumerates up to 25 players (20 for a FunctionGame), samples beyond.
    samples : int, default 20000
        Most random coalitions for ``"sample"``, ≥ 2 (drawn with their complements).
    rng : int, Generator or None
        Seed or generator.
    tol : float, optional
        Stop once every standard error of the *raw* values is at most ``tol``.

    Returns
    -------
    BanzhafValue
        ``.values``, ``.raw``, ``.standard_error``, ``.normalized``, ``.method``.

    Raises
    ------
    ValueError
        An unknown ``method``; ``samples`` < 2; normalising when the raw values sum to 0.

    Notes
    -----
    .. math:: \beta_i = \frac{1}{2^{n-1}} \sum_{T \subseteq N \setminus i}
              [v(T \cup i) - v(T)], \qquad \bar\beta_i = v(N)\,\beta_i / \sum_j \beta_j.

    Sampling draws :math:`T` with each player in with probability ½, paired with its
    complement, and uses :math:`v(T \cup i) - v(T \setminus i)` for every :math:`i` (n + 1
    evaluations per coalition).

    Examples
    --------
    A council with votes 50, 49 and 1 and a quota of 51:

    >>> import numpy as np
    >>> from compensation import TUGame
    >>> from compensation.solvers.owen import banzhaf_value
    >>> votes = np.array([50, 49, 1])
    >>> win = [float(votes[[i for i in range(3) if t >> i & 1]].sum() >= 51) for t in range(8)]
    >>> b = banzhaf_value(TUGame(3, win))
    >>> b.raw.tolist(), b.values.round(9).tolist()
    ([0.75, 0.25, 0.25], [0.6, 0.2, 0.2])
    """
    game = as_evaluator(game)
    n = game.n
    if _method(method, game):
        v = game.v if hasattr(game, "v") else game.table()
        raw = np.array(
            [(v.reshape(-1, 2, 1 << i)[:, 1, :] - v.reshape(-1, 2, 1 << i)[:, 0, :]).mean()
             for i in range(n)]
        )  # fmt: skip
        values, scale = _normalise(raw, game.grand, normalized)
        return BanzhafValue(values, raw, np.zeros(n), normalized, "exact",
                            message="exact: enumeration of all coalitions")  # fmt: skip
    count = check_samples(samples, "coalitions to draw")
    target = check_target(tol)
    gen = np.random.default_rng(rng)
    eye = np.eye(n, dtype=bool)

    def draw(b: int) -> Array:
        t = gen.random((b, n)) < 0.5
        t = np.stack([t, ~t], axis=1).reshape(-1, n)  # antithetic: each with its complement
        rows = np.concatenate([t[:, None, :], t[:, None, :] ^ eye[None]], axis=1)
        vals = game.evaluate(rows.reshape(-1, n)).reshape(2 * b, n + 1)
        gain = np.where(t, vals[:, :1] - vals[:, 1:], vals[:, 1:] - vals[:, :1])
        return gain.reshape(b, 2, n).mean(axis=1)

    per_call = max(1, CELLS // (2 * (n + 1) * n))
    est, met = estimate(draw, n, blocks=count // 2, per_call=per_call, target=target)
    raw = est.mean
    values, scale = _normalise(raw, game.grand, normalized)
    used = 2 * est.blocks
    message = f"mean over {used} random coalitions with complements"
    if target is not None:
        message += f"; target {target:.3g} on the raw values " + ("met" if met else "not met")
    return BanzhafValue(values, raw, est.error * abs(scale), normalized, "sample", used, met,
                        message)  # fmt: skip


def _normalise(raw: Array, grand: float, normalized: bool) -> tuple[Array, float]:
    if not normalized:
        return raw, 1.0
    total = float(raw.sum())
    if total == 0:
        raise ValueError("the raw Banzhaf values sum to 0: they cannot be normalised to v(N)")
    return raw * grand / total, grand / total
