"""Completely labelled pairs of vertices of the two best-response polytopes, by bit masks.

Kernel of :func:`compensation.solvers.vertex.equilibrium_vertices`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._bases import label_keys

__all__ = ["join_labels"]


def join_labels(
    lab_x: NDArray[np.bool_], lab_y: NDArray[np.bool_], m: int, n: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Pairs ``(i, j)``, sorted, whose labels together cover all ``m + n`` (P's numbering).

    Labels are compared as bit masks (no floating-point products, whose multithreaded BLAS
    stalls on a loaded machine): a hash join where both vertices are nondegenerate (then y's
    labels are exactly the complement of x's), a masked test of every pair otherwise.

    >>> lab = np.array([[True, False]]), np.array([[False, True]])
    >>> [a.tolist() for a in join_labels(*lab, 1, 1)]
    [[0], [0]]
    """
    kx, ky = label_keys(lab_x), label_keys(lab_y)
    full = label_keys(np.ones((1, m + n), dtype=bool))[0]
    if len(kx) * len(ky) * kx.shape[1] <= 1_000_000:  # few pairs: test them all at once
        ii, jj = np.nonzero(~(~kx[:, None, :] & ~ky[None, :, :] & full).any(axis=2))
        return ii, jj
    nd_x, dg_x = _split(lab_x.sum(axis=1) == m)
    nd_y, dg_y = _split(lab_y.sum(axis=1) == n)
    parts = [_complements(kx[nd_x] ^ full, ky[nd_y], nd_x, nd_y)]
    for xs, ys in ((dg_x, np.arange(len(ky))), (nd_x, dg_y)):
        lack_y = ~ky[ys] & full  # the labels each y lacks, the same for every chunk of xs
        # Rows in chunks: a pair is complete when no label is missing from both.
        step = max(1, 4_000_000 // max(1, ys.size * kx.shape[1]))
        for s in range(0, xs.size, step):
            chunk = xs[s : s + step]
            miss = (~kx[chunk][:, None, :] & lack_y[None, :, :]).any(axis=2)
            a, b = np.nonzero(~miss)
            parts.append((chunk[a], ys[b]))
    ii = np.concatenate([p[0] for p in parts]).astype(np.intp)
    jj = np.concatenate([p[1] for p in parts]).astype(np.intp)
    order = np.lexsort((jj, ii))
    return ii[order], jj[order]


def _split(mask: NDArray[np.bool_]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    return np.nonzero(mask)[0], np.nonzero(~mask)[0]


def _complements(
    want: NDArray[np.uint64], have: NDArray[np.uint64], xs: NDArray[np.intp], ys: NDArray[np.intp]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Pairs of rows with equal keys (``want[a] == have[b]``): a sort-merge join."""
    if not (xs.size and ys.size):
        return xs[:0], ys[:0]
    if want.shape[1] > 1:  # more than 64 labels: hash the rows
        table: dict[bytes, list[int]] = {}
        for j, row in zip(ys.tolist(), have):
            table.setdefault(row.tobytes(), []).append(j)
        found = [(i, j) for i, row in zip(xs.tolist(), want) for j in table.get(row.tobytes(), [])]
        arr = np.array(found, dtype=np.intp).reshape(-1, 2)
        return arr[:, 0], arr[:, 1]
    order = np.argsort(have[:, 0], kind="stable")
    sorted_have = have[order, 0]
    lo = np.searchsorted(sorted_have, want[:, 0], side="left")
    count = np.searchsorted(sorted_have, want[:, 0], side="right") - lo
    # Every match of each row (distinct vertices have distinct label sets, but be general).
    a = np.repeat(np.arange(xs.size), count)
    b = np.arange(a.size) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)
    return xs[a], ys[order[b]]
