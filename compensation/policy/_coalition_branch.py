r"""Children of the consortium game's branch-and-bound nodes (MODEL.md §10).

Helper of :mod:`compensation.policy._coalition_value`: a node branches on the member whose
hull edge its greedy fill leaves part-way; its children split that member's piece of the
grid at the jump at 0, where the term turns convex, or at the grid point deepest below the
bridging edge. The children of a whole level of the search are built at once: nodes cutting
the same piece share its cuts, computed once per distinct piece (and bridging edge).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["branch", "piece"]

Array = NDArray[np.float64]


def piece(cv: Any, j: int, rng: tuple[int, int, bool]) -> tuple[Array, Array]:
    lo, hi, open_ = rng
    g = cv.points[j, lo : hi + 1]
    v = cv.values[j, lo : hi + 1].copy()
    if open_:
        v[0] = cv.const[j]  # the right limit at 0: the point 0 is the sibling branch
    return g, v


def _cuts(cv: Any, pieces: Any, key: tuple[int, int, int, bool]) -> list[int]:
    """Member j's piece cut at the jump and where it turns convex ([]: one convex run)."""
    parts = pieces.cuts.get(key)
    if parts is None:
        j, lo, hi, open_ = key
        _, v = piece(cv, j, (lo, hi, open_))
        if lo == 0 and not open_ and cv.const[j] < v[0]:
            cut = [(0, 0, False), *_runs(cv, j, 0, hi, True)]  # the jump at 0 first
        else:
            cut = _runs(cv, j, lo, hi, open_)
        parts = [pieces.get(j, *x) for x in cut] if len(cut) > 1 else []
        pieces.cuts[key] = parts
    return parts


def _deepest(cv: Any, pieces: Any, key: tuple[int, int, int, bool], at: Array) -> Any:
    """One convex run under a bridge: cut at its deepest grid point below the edge at ``at``.

    Returns, per amount in ``at``, the index of its children in the list returned second.
    """
    j, lo, hi, open_ = key
    g, v = piece(cv, j, (lo, hi, open_))
    verts = pieces.rows[pieces.get(*key)][6]
    a_all = verts[np.maximum(np.searchsorted(g[verts], at, side="right") - 1, 0)]
    found, which = np.unique(a_all, return_inverse=True)
    out: list[list[int]] = []
    for a in found.tolist():
        b = int(verts[min(np.searchsorted(verts, a) + 1, verts.size - 1)])
        if b - a < 2:
            out.append([])
            continue
        chord = v[a] + (g[a + 1 : b] - g[a]) * (v[b] - v[a]) / (g[b] - g[a])
        m = lo + a + 1 + int(np.argmax(chord - v[a + 1 : b]))
        out.append([pieces.get(j, lo, m, open_), pieces.get(j, m, hi, False)])
    return np.asarray(which).reshape(-1), out


def _runs(cv: Any, j: int, lo: int, hi: int, open_: bool) -> list[tuple[int, int, bool]]:
    """The piece cut where its interpolant turns convex: concave runs, convex stretches."""
    g, v = piece(cv, j, (lo, hi, open_))
    dg = np.diff(g)
    d = np.diff(v) / np.where(dg > 0, dg, 1.0)
    tol = 1e-9 * (1.0 + np.abs(d).max(initial=0.0))
    cut = np.flatnonzero((d[1:] > d[:-1] + tol) & (dg[1:] > 0) & (dg[:-1] > 0)) + 1
    ends = [0, *cut.tolist(), g.size - 1]
    parts: list[list[int]] = []  # [first, last, made of single cells]
    for a, b in itertools.pairwise(ends):
        if b - a == 1 and parts and parts[-1][2]:
            parts[-1][1] = b  # single cells in a row: one convex stretch
        else:
            parts.append([a, b, int(b - a == 1)])
    return [(lo + a, lo + b, open_ and a == 0) for a, b, _ in parts]


def branch(
    cv: Any, pieces: Any, state: tuple[Any, ...], split: Any, bounds: Any
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.bool_]]:
    """The children of the open nodes: (their rows, their pieces, their members).

    A child is its parent's pieces, holes dropped, with the split member's piece replaced by
    one of its cuts (appended if the member had none); nodes cutting the same piece share
    its cuts, so the pieces are cut once per distinct piece, and the rows built at once.
    """
    owner, pid, at, mask = state
    bound, closed = bounds
    k, w = pid.shape
    split = np.asarray(split, dtype=np.intp)
    order = np.argsort(pid < 0, axis=1, kind="stable")  # the pieces first, in order
    rows = np.take_along_axis(pid, order, 1)
    size = (pid >= 0).sum(axis=1)
    member = pieces.arrays()[0].astype(np.intp) if w else np.zeros(0, dtype=np.intp)
    on = (rows >= 0) & (member[np.maximum(rows, 0)] == split[:, None])
    slot = np.where(on.any(axis=1), np.argmax(on, axis=1), size) if w else size
    cut = rows[np.arange(k), np.minimum(slot, w - 1)] if w else np.zeros(k, dtype=np.intp)
    cut = np.where(slot < size, cut, -1)
    gid, table = _groups(cv, pieces, (cut, split), at[np.arange(k), split])
    count = np.fromiter(map(len, table), dtype=np.intp, count=len(table))[gid]
    np.maximum.at(closed, owner[count == 0], bound[count == 0])
    pad = np.full((len(table), int(count.max(initial=0))), -1, dtype=np.intp)
    for i, t in enumerate(table):
        pad[i, : len(t)] = t
    kids = pad[gid]
    parent = np.repeat(np.arange(k), count)
    width = int((size + (slot == size))[parent].max(initial=0))
    out = np.full((parent.size, max(width, w) + 1), -1, dtype=np.intp)
    out[:, :w] = rows[parent]
    out[np.arange(parent.size), slot[parent]] = kids[kids >= 0]
    return owner[parent], out[:, :width], mask[parent]


def _groups(cv: Any, pieces: Any, cuts: tuple[Any, Any], at: Array) -> tuple[Any, list]:
    """Per node, the index of its children's pieces in the list returned second."""
    cut, split = cuts
    code = (cut + 1) * cv.const.size + split
    uniq, first, inv = np.unique(code, return_index=True, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    by = np.argsort(inv, kind="stable")
    ends = np.cumsum(np.bincount(inv, minlength=uniq.size))
    gid = np.empty(cut.size, dtype=np.intp)
    table: list[list[int]] = []
    for u in np.argsort(first, kind="stable").tolist():  # pieces made in the nodes' order
        i = int(first[u])
        c, j = int(cut[i]), int(split[i])
        key = pieces.rows[c][7] if c >= 0 else (j, 0, pieces.size, False)
        idx = by[ends[u] - (ends[u] - (ends[u - 1] if u else 0)) : ends[u]]
        parts = _cuts(cv, pieces, key)
        if parts:
            gid[idx] = len(table)
            table.append(parts)
        else:
            which, deep = _deepest(cv, pieces, key, at[idx])
            gid[idx] = len(table) + which
            table += deep
    return gid, table
