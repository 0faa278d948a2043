"""Prefix chains of the consortium game: the greedy fill's cutoff as players join (§10-11).

Helpers of :meth:`compensation.policy.consortium_game.ConsortiumValue.prefix`: the cutoff
walk, and for the branch and bound the prefixes' values lifted from their predecessors and
coalitions drawn more than once searched once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["WINDOW", "chain", "distinct", "lift_along", "own_before", "restrict"]

WINDOW = 16  # edges tested at once below the cutoff when a player joins
Array = Any


def own_before(value: Any) -> Array:
    """Per edge, the width of its owner's steeper edges (the owner's amount where it starts)."""
    order = np.argsort(value.owner, kind="stable")  # by owner, then by slope
    w = value.width[order]
    run = np.cumsum(w) - w
    first = np.searchsorted(value.owner[order], value.owner[order])
    out = np.empty_like(value.width)
    out[order] = run - run[first]
    return out


def chain(value: Any, perms: Any) -> tuple[Array, ...]:
    """Walk each ordering's players in; after each, the greedy fill's cutoff edge.

    Returns, shape ``(k, n + 1)`` per prefix: the cutoff edge index (``E`` for none), the
    amount and the hull value of the fully taken edges before it, and the members' zero terms.
    """
    k, n1 = perms.shape
    e = value.slope.size
    reach = np.minimum((value.slope - value.c1) / value.c2, value.capacity)
    counts = np.bincount(value.owner, minlength=n1 - 1)
    edges = np.full((n1, max(1, int(counts.max(initial=0)))), e, dtype=np.intp)
    order = np.argsort(value.owner, kind="stable")
    slot = np.arange(e) - np.repeat(np.cumsum(counts) - counts, counts)
    edges[value.owner[order] + 1, slot] = order
    width = np.r_[value.width, 0.0]
    worth = np.r_[value.width * value.slope, 0.0]
    zero = np.r_[0.0, np.maximum(value.const, 0.0)]
    rows = np.arange(k)
    flat = rows[:, None] * (e + 1)  # row offsets into the flattened in-edge widths
    held = np.zeros(k * (e + 1))  # width of each edge a prefix holds, 0 if not
    cut = np.full(k, e, dtype=np.intp)
    a, b, z = np.zeros(k), np.zeros(k), np.zeros(k)
    out = [np.zeros((n1 + 1, k)) for _ in range(4)]  # by step: contiguous writes
    out[0][0] = e
    back = np.arange(1, WINDOW + 1)
    for step in range(n1):
        p = perms[:, step]
        idx = edges[p]
        held[flat + idx] = width[idx]
        early = idx < cut[:, None]
        a += (width[idx] * early).sum(axis=1)
        b += (worth[idx] * early).sum(axis=1)
        z += zero[p]
        act = rows[(cut > 0) & (a >= reach[cut - 1])] if e else rows[:0]
        while act.size:
            # Look WINDOW edges below each cutoff at once: the fill stops before edge i when
            # the in-edges up to i reach its bound, a test that holds on a run below the cutoff.
            idx = cut[act, None] - back
            ok = idx >= 0
            idx = np.maximum(idx, 0)
            w = np.where(ok, held[flat[act] + idx], 0.0)
            dw = np.cumsum(w, axis=1)
            db = np.cumsum(w * value.slope[idx], axis=1)
            # in-edges up to edge idx: a less those between it and the cutoff
            m = (ok & (a[act, None] - dw + w >= reach[idx])).sum(axis=1)
            last = np.maximum(m - 1, 0)[:, None]
            cut[act] -= m
            a[act] -= np.where(m > 0, np.take_along_axis(dw, last, 1)[:, 0], 0.0)
            b[act] -= np.where(m > 0, np.take_along_axis(db, last, 1)[:, 0], 0.0)
            act = act[m == WINDOW]
        for arr, val in zip(out, (cut, a, b, z)):
            arr[step + 1] = val
    return out[0].T.astype(np.intp), out[1].T, out[2].T, out[3].T


def lift_along(values: Array, perms: Any, zero: Array, at: Any) -> Any:
    r"""Better values of the prefixes ``at`` from their predecessors along each ordering.

    :math:`v(T_k) \ge v(T_i) + Z_k - Z_i` for :math:`i < k`, :math:`Z_i` the zero terms
    :math:`\tilde h_j(0) \ge 0` of the first ``i`` players: the smaller coalition's
    allocation with the newcomers off is feasible. A running maximum lifts every prefix.
    """
    z = np.r_[0.0, zero][perms]  # the leader's zero term is 0
    cz = np.concatenate([np.zeros((len(perms), 1)), np.cumsum(z, axis=1)], axis=1)
    full = np.array(values, dtype=float)

    def lift(best: Array) -> Array:
        full[at] = best
        return np.asarray((np.maximum.accumulate(full - cz, axis=1) + cz)[at])

    return lift


def distinct(rows: Any) -> tuple[Array, Array]:
    """First row of each distinct coalition, and each row's distinct coalition."""
    key = np.ascontiguousarray(np.packbits(np.asarray(rows, dtype=bool), axis=1))
    # A row as one opaque value: compared as bytes, rows sort as np.unique(axis=0) sorts them
    # (field by field), about ten times faster.
    whole = key.view(np.dtype((np.void, key.shape[1])))[:, 0]
    _, first, inv = np.unique(whole, return_index=True, return_inverse=True)
    return first, np.asarray(inv).reshape(-1)


def restrict(lift: Any, best: Array, todo: Any, inv: Array) -> Any:
    """``lift`` on the rows ``todo`` of ``best``, searched as the distinct coalitions ``inv``."""
    full = np.array(best, dtype=float)
    size = int(inv.max(initial=-1)) + 1

    def sub(b: Array) -> Array:
        full[todo] = b[inv]
        out = np.full(size, -np.inf)
        np.maximum.at(out, inv, lift(full)[todo])
        return out

    return sub
