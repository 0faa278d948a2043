r"""Sampled Shapley values of a game with veto players (MODEL.md §11).

A veto player is one without whom every coalition is worth nothing: :math:`v(T) = 0` unless
:math:`D \subseteq T` (:math:`D` the veto players). The consortium's leader is one: a
coalition without it has no doctors to send. Then a non-veto player's marginal contribution
is zero unless every veto player stands before it, which in uniform orderings wastes most
draws and, for a leader holding most of :math:`v(N)`, leaves its own huge contribution to
chance. Here every ordering puts the veto players first and the others in a uniformly random
(Latin-square, antithetic) order; a non-veto player at index :math:`m` among the others is
weighted by the probability that its predecessors are :math:`D` and :math:`m` others, and the
veto players share by efficiency what the others do not get, ordering by ordering.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._coalitions import coalition_matrix
from ._sampling import Design, ordering_marginals

__all__ = [
    "CHECK_EXACT",
    "CHECK_SAMPLES",
    "check_veto",
    "veto_block_means",
    "veto_players",
    "veto_weights",
]

Array = NDArray[np.float64]
#: Most players of a function game whose veto condition is checked on all 2**n coalitions.
CHECK_EXACT = 16
#: Random coalitions without a veto player evaluated beyond that (with the n - 1 player ones).
CHECK_SAMPLES = 256


def veto_players(veto: Any, n: int) -> tuple[int, ...]:
    """``veto`` as sorted distinct player indices in ``0..n-1``, else ``ValueError``."""
    try:
        items = [operator.index(veto)]
    except TypeError:
        try:
            items = [operator.index(i) for i in veto]
        except TypeError:
            raise ValueError(
                f"veto must be a player index or a sequence of them (0..{n - 1}); got {veto!r}"
            ) from None
    if isinstance(veto, bool) or any(isinstance(i, bool) for i in np.ravel(veto)):
        raise ValueError(f"veto must be player indices, not booleans; got {veto!r}")
    if any(not 0 <= i < n for i in items) or len(set(items)) != len(items):
        raise ValueError(f"veto must be distinct players in 0..{n - 1}; got {veto!r}")
    return tuple(sorted(items))


def check_veto(game: Any, veto: Any, gen: np.random.Generator) -> tuple[int, ...]:
    r"""The veto players, after checking :math:`v(T) = 0` for coalitions lacking one of them.

    Exact (every coalition) for a table and for function games of at most ``CHECK_EXACT``
    players; beyond, on the :math:`N \setminus \{i\}` coalitions and ``CHECK_SAMPLES`` random
    ones, each missing one veto player. Values within :math:`10^{-9}(1 + |v(N)|)` of 0 pass.

    Raises
    ------
    ValueError
        Naming a coalition without a veto player whose value is not 0, or bad indices.
    """
    n = game.n
    players = veto_players(veto, n)
    if not players:
        return players
    scale = 1e-9 * (1.0 + abs(float(game.grand)))
    need = sum(1 << i for i in players)
    if hasattr(game, "v") or n <= CHECK_EXACT:
        # Only the coalitions lacking a veto player matter: half of them or fewer.
        masks = np.arange(1 << n)
        masks = masks[(masks & need) != need]
        if hasattr(game, "v"):
            v = game.v[masks]
        else:
            chunks = np.array_split(masks, 1 + masks.size // (1 << 14))
            v = np.concatenate([game.evaluate(coalition_matrix(c, n)) for c in chunks])
        bad = np.flatnonzero(np.abs(v) > scale)
        rows = coalition_matrix(masks[bad[:1]], n)
        vals = v[bad[:1]]
    else:
        rows = np.ones((len(players), n), dtype=bool)
        rows[np.arange(len(players)), players] = False
        pick = gen.random((CHECK_SAMPLES, n)) < gen.random((CHECK_SAMPLES, 1))
        pick[np.arange(CHECK_SAMPLES), gen.choice(players, CHECK_SAMPLES)] = False
        rows = np.concatenate([rows, pick])
        vals = game.evaluate(rows)
        first = np.flatnonzero(np.abs(vals) > scale)[:1]
        rows, vals = rows[first], vals[first]
    if vals.size:
        members = np.flatnonzero(rows[0]).tolist()
        missing = [i for i in players if not rows[0, i]]
        raise ValueError(
            f"veto={list(players)} is not a set of veto players: v(T) = {float(vals[0]):.6g} "
            f"≠ 0 for T = {members}, which lacks player(s) {missing}"
        )
    return players


def veto_weights(n: int, d: int) -> Array:
    r"""Weight of a non-veto player at index :math:`m` among the :math:`n - d` others.

    .. math:: w_m = \frac{n - d}{n} \binom{m + d}{d} \Big/ \binom{n - 1}{d}

    so that :math:`\phi_j = E[w_m (v(D \cup R_m \cup j) - v(D \cup R_m))]` with :math:`m`
    uniform and :math:`R_m` a uniform :math:`m`-subset of the others (:math:`w_m = (m+1)/n`
    for one veto player). The weights average :math:`1/(d + 1)`, the chance that a player
    follows all :math:`d` veto players in a uniform ordering.
    """
    m = np.arange(n - d, dtype=float)[:, None]
    i = np.arange(1, d + 1, dtype=float)[None, :]
    return (n - d) / n * np.prod((m + i) / (n - d - 1 + i), axis=1)


def veto_block_means(
    game: Any, veto: tuple[int, ...], design: Design, gen: np.random.Generator, blocks: int
) -> Array:
    """Block means, shape ``(blocks, n)``, of the veto design's per-ordering estimates.

    ``design`` orders the :math:`n - d` others; each ordering's estimates sum to :math:`v(N)`.
    """
    n, d = game.n, len(veto)
    others = np.setdiff1d(np.arange(n), veto)
    sub = design.draw(gen, blocks)
    head = np.broadcast_to(np.asarray(veto, dtype=np.intp), (sub.shape[0], d))
    perms = np.concatenate([head, others[sub]], axis=1)
    rank = np.empty_like(sub)  # each other player's index among the others
    np.put_along_axis(rank, sub, np.arange(n - d), axis=1)
    w = veto_weights(n, d)
    est = np.empty(perms.shape)
    if getattr(game, "prefix", None) is not None:  # weight by position, then map to players
        step = np.diff(game.prefixes(perms), axis=1)[:, d:] * w
        est[:, others] = np.take_along_axis(step, rank, axis=1)
    else:
        est[:, others] = ordering_marginals(game, perms)[:, others] * w[rank]
    # the veto players are symmetric (each is worthless without the others): equal shares
    est[:, list(veto)] = ((game.grand - est[:, others].sum(axis=1)) / d)[:, None]
    return est.reshape(blocks, design.size, n).mean(axis=1)
