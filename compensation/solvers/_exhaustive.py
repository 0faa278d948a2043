r"""The exhaustive oracle: every basis of both best-response polytopes solved in numpy batches.

Kernel of :func:`compensation.solvers.equilibria.nash_equilibria` (``method="bases"``), the
reference that the faster methods are tested against, and the grouping of extreme equilibria
into maximal Nash subsets shared by every method.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

from ._join import join_labels

__all__ = ["basis_equilibria", "basis_vertices", "maximal_subsets"]


def basis_equilibria(
    Ap: NDArray[np.float64], Bp: NDArray[np.float64], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], bool]:
    """Vertices of both polytopes by every basis, completely labelled pairs, degeneracy.

    Same contract as :func:`compensation.solvers.vertex.equilibrium_vertices`.

    >>> X, Y, ii, jj, deg = basis_equilibria(
    ...     np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [2.0, 1.0]]), 1e-10
    ... )
    >>> len(ii), deg
    (1, False)
    """
    m, n = Ap.shape
    # labels of X: i<m row unused, m+j column j best reply; of Y: j<n column unused, n+i row
    # i best reply. numpy's batched solves release the GIL, so the two polytopes of a large
    # game are enumerated on two threads.
    if m * n >= 36:
        with ThreadPoolExecutor(max_workers=2) as pool:
            fx = pool.submit(basis_vertices, Bp.T, tol)
            (Y, lab_y), (X, lab_x) = basis_vertices(Ap, tol), fx.result()
    else:
        (X, lab_x), (Y, lab_y) = basis_vertices(Bp.T, tol), basis_vertices(Ap, tol)
    # Re-express Q's labels in P's numbering: row i best reply -> i, column j unused -> m+j.
    lab_y = np.concatenate([lab_y[:, n:], lab_y[:, :n]], axis=1)
    degenerate = bool(np.any(lab_x.sum(axis=1) > m) or np.any(lab_y.sum(axis=1) > n))
    ii, jj = join_labels(lab_x, lab_y, m, n)
    return X, Y, ii, jj, degenerate


def basis_vertices(
    M: NDArray[np.float64], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Vertices (other than 0) of {z ≥ 0 : M z ≤ 1} for M > 0, with their labels.

    ``M`` has shape (r, d): r inequality rows over d coordinates. Label ``i < d`` means
    ``z_i = 0``; label ``d + j`` means row j is tight. Labels are a boolean array (one column a
    label), so any number of strategies works. A vertex with support I (|I| = k) lies on k
    tight rows T, so we solve ``M[T, I] z_I = 1`` for every (T, I) of equal size in batches.
    """
    r, d = M.shape
    found = []
    for k in range(1, min(r, d) + 1):
        I = np.array(list(itertools.combinations(range(d), k)), dtype=np.intp)
        T = np.array(list(itertools.combinations(range(r), k)), dtype=np.intp)
        sub = M[T[:, None, :, None], I[None, :, None, :]].reshape(-1, k, k)
        # Singular bases are common in degenerate games. A determinant test drops the exactly
        # singular ones before the batched solve (entries lie in [1, 2], so row norms are within
        # a factor 2 of sqrt(k)); the nearly singular ones that slip through are caught by the
        # rank test below.
        ok = np.abs(np.linalg.det(sub)) > 1e-11 * (2 * np.sqrt(k)) ** k
        idx = np.nonzero(ok)[0]
        if not idx.size:
            continue
        zI = np.linalg.solve(sub[idx], np.ones((idx.size, k, 1)))[..., 0]
        finite = np.isfinite(zI).all(axis=1)
        idx, zI = idx[finite], zI[finite]
        keep = (zI >= -tol).all(axis=1)
        idx, zI = idx[keep], zI[keep]
        z = np.zeros((idx.size, d))
        rows = np.repeat(np.arange(idx.size), k)
        z[rows, I[idx % len(I)].ravel()] = zI.ravel()
        slack = z @ M.T
        keep = (slack <= 1 + tol).all(axis=1)
        found.append(np.clip(z[keep], 0.0, None))
    if not found:
        return np.zeros((0, d)), np.zeros((0, d + r), dtype=bool)
    Z = np.concatenate(found)
    tight = np.concatenate([tol >= Z, np.abs(Z @ M.T - 1) <= tol], axis=1)
    # A vertex is fixed by its tight constraints, so equal label sets mean the same vertex,
    # found once per basis of a degenerate vertex; comparing coordinates would need a tolerance.
    _, first = np.unique(np.packbits(tight, axis=1), axis=0, return_index=True)
    first.sort()
    Z, tight = Z[first], tight[first]
    # ... provided those constraints have full rank d. A basis singular in exact arithmetic
    # but not in floating point (condition ~1e17) yields a point on an edge whose "tight"
    # constraints are dependent: drop it. With the zero coordinates tight, full rank means
    # that the tight rows restricted to the support have rank equal to the support's size.
    support = ~tight[:, :d]
    size = support.sum(axis=1)
    sub = np.where(tight[:, d:, None] & support[:, None, :], M[None], 0.0)
    sv = np.linalg.svd(sub, compute_uv=False)
    kth = np.take_along_axis(sv, np.clip(size - 1, 0, sv.shape[1] - 1)[:, None], axis=1)[:, 0]
    full_rank = (size >= 1) & (size <= sv.shape[1]) & (kth > 1e-9 * sv[:, 0])
    return Z[full_rank], tight[full_rank]


def maximal_subsets(pairs: list[tuple[int, int]]) -> list[tuple[frozenset[int], frozenset[int]]]:
    """Maximal bicliques of the bipartite graph of extreme equilibria (Audet et al. 2001).

    ``pairs`` are the (row vertex, column vertex) indices of the extreme equilibria; each
    biclique ``(rows, columns)`` is a maximal Nash subset.

    >>> maximal_subsets([(0, 0), (0, 1), (1, 1)])
    [(frozenset({0}), frozenset({0, 1})), (frozenset({0, 1}), frozenset({1}))]
    """
    neigh: dict[int, frozenset[int]] = {}
    for i, j in pairs:
        neigh[i] = neigh.get(i, frozenset()) | {j}
    concepts: set[frozenset[int]] = set(neigh.values())
    frontier = set(concepts)
    while frontier:
        new = {a & b for a in frontier for b in concepts} - concepts - {frozenset()}
        concepts |= new
        frontier = new
    # Each closed set of columns with every row adjacent to all of it is a formal concept,
    # hence already a maximal biclique: no pair of them is nested.
    out = [(frozenset(i for i, nb in neigh.items() if ys <= nb), ys) for ys in concepts]
    return sorted(out, key=lambda c: (sorted(c[0]), sorted(c[1])))
