r"""Vertices of best-response polytopes by qhull on the polar, with every label kept.

Kernel of :func:`compensation.solvers.equilibria.nash_equilibria` (``method="polytope"``). For
:math:`M > 0` of shape (r, d) the polytope :math:`\{z \ge 0 : M z \le 1\}` is bounded and has
the interior point :math:`c = t\mathbf{1}`; its vertices are the facets of the convex hull of
the constraint normals scaled by their slack at :math:`c` (polar duality), which qhull finds in
time that follows the number of vertices, not the number of bases. qhull triangulates a
non-simplicial facet (a degenerate vertex) into several simplices, each listing only some of the
vertex's labels, so labels are recomputed here from the constraints that are tight at the
vertex, within a tolerance, and equal label sets are merged. The polytopes of games with
tied payoffs (degenerate ones) in more than ``JOGGLE_FROM`` dimensions go through a joggled
hull instead, 3–7 times faster than the exact one there; its bases are solved exactly and
checked to cover the polytope, or the exact hull is built (``polytope_vertices``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._bases import label_keys
from ._joggle import joggled_vertices

__all__ = [
    "equilibrium_vertices",
    "hull_vertices",
    "join_labels",
    "polish",
    "polytope_vertices",
    "solve_blocks",
]

JOGGLE_FROM = 9  # joggle polytopes of games with ties in more dimensions than this


def polytope_vertices(
    M: NDArray[np.float64], tol: float, *, joggle: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    r"""Vertices other than 0 of :math:`\{z \ge 0 : M z \le 1\}` and all their labels.

    Parameters
    ----------
    M : ndarray, shape (r, d)
        Constraint matrix with entries in [1, 2] (a normalised payoff matrix), ``d >= 2``.
    tol : float
        Absolute tolerance on :math:`z_i = 0` and on :math:`(M z)_j = 1`.
    joggle : bool, default False
        Build the hull of randomly joggled points (qhull's ``QJ``, 3–7 times faster on
        degenerate polytopes, whose facets qhull otherwise merges), then solve each joggled
        vertex's basis exactly on the original constraints. Falls back to the exact hull if
        a check fails (see Notes).

    Returns
    -------
    Z : ndarray, shape (k, d)
        The vertices, one a row, to qhull's accuracy (about 1e-13); :func:`polish` solves
        them from their tight constraints to machine precision.
    labels : ndarray of bool, shape (k, d + r)
        Label :math:`i < d` means :math:`z_i = 0`; label :math:`d + j` means row :math:`j` of
        :math:`M` is tight.

    Notes
    -----
    Shifted by :math:`c`, the polytope is :math:`\{u : a_k^\top u \le 1\}` with normals
    :math:`a_i = -e_i / t` and :math:`a_{d+j} = M_j / (1 - M_j c)`; a facet
    :math:`\{p : w^\top p + b = 0\}` of their hull is the vertex :math:`u = -w / b`.

    With ``joggle``, each facet of the joggled hull is a vertex of a nearby simple polytope,
    tight on d constraints (its basis). A perturbation small against the slacks of the
    constraints not tight at a true vertex :math:`v` leaves every joggled vertex near
    :math:`v` with a basis among :math:`v`'s tight constraints, whose exact solution is
    :math:`v` itself, and leaves some joggled vertex near every true vertex (polytopes move
    continuously). The checks of that regime: every nonsingular basis solves to a feasible
    point near its joggled vertex, and every joggled vertex with a singular basis lies near a
    vertex so found; otherwise the exact hull is built.

    Before joggling, each constraint is loosened by a random relative 1e-6 (right-hand sides
    only), which leaves no d constraints with dependent normals meeting at a vertex: in
    practice every basis is regular and the singular-basis check is not needed. Then
    completeness follows from LP duality: a true vertex :math:`v` is the unique maximiser of
    some objective :math:`w`; the joggled polytope's maximiser of :math:`w` has a basis whose
    dual feasibility for :math:`w` does not depend on the right-hand sides (up to qhull's
    much smaller joggle of the normals), so its exact solution, checked feasible, maximises
    :math:`w` over the true polytope: it is :math:`v`.

    Examples
    --------
    >>> import numpy as np
    >>> Z, labels = polytope_vertices(np.array([[1.0, 2.0], [2.0, 1.0]]), 1e-10)
    >>> sorted(map(tuple, Z.round(4).tolist()))
    [(0.0, 0.5), (0.3333, 0.3333), (0.5, 0.0)]
    """
    Z, labels, _ = hull_vertices(M, tol, joggle=joggle)
    return Z, labels


def hull_vertices(
    M: NDArray[np.float64], tol: float, *, joggle: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.bool_], bool]:
    """:func:`polytope_vertices`, and whether the vertices are exact basis solutions.

    Vertices from the joggled hull were each solved exactly from a basis, so :func:`polish`
    would solve them a second time for nothing; those from qhull's facets carry its rounding.

    >>> hull_vertices(np.array([[1.0, 2.0], [2.0, 1.0]]), 1e-10)[2]
    False
    """
    from scipy.spatial import ConvexHull

    r, d = M.shape
    t = 0.5 / float(M.sum(axis=1).max())
    c = np.full(d, t)
    G = np.vstack([-np.eye(d), M])
    b = np.concatenate([np.zeros(d), np.ones(r)])
    points = G / (b - G @ c)[:, None]
    Z = joggled_vertices(G, b, points, c, tol) if joggle else None
    exact = Z is not None
    if Z is None:
        eq = ConvexHull(points).equations
        Z = -eq[:, :-1] / eq[:, -1:] + c
    labels = np.concatenate([np.abs(Z) <= tol, np.abs(Z @ M.T - 1.0) <= tol], axis=1)
    keep = Z.sum(axis=1) > tol  # the origin is a vertex but pairs with nothing
    Z, labels = Z[keep], labels[keep]
    # A degenerate vertex comes from several simplices (or bases): merge those by label set.
    extra = np.nonzero(labels.sum(axis=1) > d)[0]
    if extra.size:
        keys = label_keys(labels[extra])
        _, first = (
            np.unique(keys[:, 0], return_index=True)
            if keys.shape[1] == 1
            else np.unique(keys, axis=0, return_index=True)
        )
        keep = np.ones(len(Z), dtype=bool)
        keep[extra] = False
        keep[extra[first]] = True
        Z, labels = Z[keep], labels[keep]
    return Z, labels, exact


def polish(
    M: NDArray[np.float64], Z: NDArray[np.float64], labels: NDArray[np.bool_]
) -> NDArray[np.float64]:
    """Re-solve each vertex of :func:`polytope_vertices` from its tight rows (batched by size).

    qhull's facet equations carry rounding of order 1e-13; the exhaustive method solves the
    same square systems, so polishing makes both give the same digits. Degenerate vertices
    (more tight rows than support) use least squares on all of them.
    """
    d = M.shape[1]
    support = ~labels[:, :d]
    tight = labels[:, d:]
    out = np.clip(Z, 0.0, None)
    out[~support] = 0.0
    ks, ts = support.sum(axis=1), tight.sum(axis=1)
    square = np.nonzero((ks == ts) & (ks > 0))[0]
    if square.size:
        try:
            with np.errstate(all="ignore"):
                sol = solve_blocks(M, tight[square], support[square])
        except np.linalg.LinAlgError:  # pragma: no cover - qhull's digits are kept
            sol = np.full((square.size, d), np.nan)
        good = np.isfinite(sol).all(axis=1) & (np.abs(sol - out[square]) < 1e-7).all(axis=1)
        out[square[good]] = sol[good]
    # Degenerate ones: least squares on all their tight rows, by batched normal equations
    # (an identity block on the zero coordinates keeps each system square and regular).
    deg = np.nonzero((ts > ks) & (ks > 0))[0]
    if deg.size:
        sub = np.where(tight[deg][:, :, None] & support[deg][:, None, :], M[None], 0.0)
        gram = np.einsum("qrd,qre->qde", sub, sub) + np.eye(d) * ~support[deg][:, None, :]
        try:
            sol = np.linalg.solve(gram, sub.sum(axis=1)[..., None])[..., 0]
        except np.linalg.LinAlgError:  # pragma: no cover - qhull's digits are kept
            return out
        good = np.isfinite(sol).all(axis=1) & (np.abs(sol - out[deg]) < 1e-7).all(axis=1)
        out[deg[good]] = np.where(support[deg[good]], sol[good], 0.0)
    return out


def equilibrium_vertices(
    Ap: NDArray[np.float64], Bp: NDArray[np.float64], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], bool]:
    r"""Completely labelled vertex pairs of the best-response polytopes of a bimatrix game.

    Parameters
    ----------
    Ap, Bp : ndarray, shape (m, n)
        Payoffs normalised to [1, 2], with ``min(m, n) >= 2``.
    tol : float
        Absolute tolerance for ties and feasibility.

    Returns
    -------
    X, Y : ndarray
        Unnormalised vertices of :math:`P = \{x \ge 0 : B^\top x \le 1\}` and
        :math:`Q = \{y \ge 0 : A y \le 1\}`, one a row.
    ii, jj : ndarray of int
        The pairs ``(X[ii[k]], Y[jj[k]])`` that are completely labelled (extreme equilibria).
    degenerate : bool
        Whether a vertex met has more labels than its polytope's dimension.

    Notes
    -----
    Only the polytope of the player with fewer strategies goes through qhull when the game
    shows no sign of degeneracy (no tied payoffs, no degenerate vertex, no singular system):
    a nondegenerate vertex :math:`x` with support :math:`S` and best replies :math:`J`
    (:math:`|S| = |J|`) has at most one partner, :math:`A_{SJ} y_J = 1`, found by a batched
    solve. Otherwise both polytopes are enumerated and joined on their label sets.

    Examples
    --------
    >>> import numpy as np
    >>> X, Y, ii, jj, deg = equilibrium_vertices(
    ...     np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [2.0, 1.0]]), 1e-10
    ... )
    >>> len(ii), deg
    (1, False)
    """
    m, n = Ap.shape
    if m > n:
        Y, X, jj, ii, deg = equilibrium_vertices(Bp.T, Ap.T, tol)
        return X, Y, ii, jj, deg
    ties = _has_ties(Ap, Bp, tol)
    # Below 10 dimensions qhull's exact hull is about as fast as the joggled one plus checks.
    jx, jy = ties and m > JOGGLE_FROM, ties and n > JOGGLE_FROM
    X, lab_x, exact_x = hull_vertices(Bp.T, tol, joggle=jx)
    if not (lab_x.sum(axis=1) > m).any() and not ties:
        single = _partners(Ap, X, lab_x, tol)
        if single is not None:
            Y, ii, jj, deg = single
            ux, ii = np.unique(ii, return_inverse=True)
            return polish(Bp.T, X[ux], lab_x[ux]), Y, ii.ravel(), jj, deg
    Y, lab_y, exact_y = hull_vertices(Ap, tol, joggle=jy)
    # Q's labels in P's numbering: row i best reply -> i, column j unused -> m + j.
    lab_y = np.concatenate([lab_y[:, n:], lab_y[:, :n]], axis=1)
    degenerate = bool((lab_x.sum(axis=1) > m).any() or (lab_y.sum(axis=1) > n).any())
    ii, jj = join_labels(lab_x, lab_y, m, n)
    ux, ii = np.unique(ii, return_inverse=True)
    uy, jj = np.unique(jj, return_inverse=True)
    lab_x, lab_y = lab_x[ux], lab_y[uy][:, np.r_[m : m + n, :m]]
    # Zero coordinates set to exactly 0, as polish does, without solving again.
    X = np.where(lab_x[:, :m], 0.0, X[ux]) if exact_x else polish(Bp.T, X[ux], lab_x)
    Y = np.where(lab_y[:, :n], 0.0, Y[uy]) if exact_y else polish(Ap, Y[uy], lab_y)
    return X, Y, ii.ravel(), jj.ravel(), degenerate


def _has_ties(Ap: NDArray[np.float64], Bp: NDArray[np.float64], tol: float) -> bool:
    """Whether some pure strategy leaves the opponent two payoffs equal within tol."""
    a = np.sort(Ap, axis=0)
    b = np.sort(Bp, axis=1)
    return bool((np.diff(a, axis=0) <= tol).any() or (np.diff(b, axis=1) <= tol).any())


def solve_blocks(
    M: NDArray[np.float64], rows: NDArray[np.bool_], cols: NDArray[np.bool_]
) -> NDArray[np.float64]:
    r"""Solve :math:`M_{R C} z_C = 1`, :math:`z = 0` off C, for each mask pair, in one batch.

    ``rows`` (N, r) and ``cols`` (N, d) select as many rows as columns per system. The k-th
    selected row is paired with the k-th selected column and the unselected coordinates get
    unit rows, so systems of every size share one d × d batched solve (row order does not
    change a solution). Raises ``numpy.linalg.LinAlgError`` if a system is singular.

    >>> solve_blocks(np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([[True, False]]),
    ...              np.array([[False, True]])).tolist()
    [[0.0, 1.0]]
    """
    N, d = cols.shape
    selected = np.argsort(~rows, axis=1, kind="stable")  # selected rows first, in order
    rank = np.clip(np.cumsum(cols, axis=1) - 1, 0, rows.shape[1] - 1)
    src = selected[np.arange(N)[:, None], rank]
    sub = np.where(cols[:, :, None] & cols[:, None, :], M[src], 0.0)
    diag = np.arange(d)
    sub[:, diag, diag] += ~cols
    return np.linalg.solve(sub, cols[..., None].astype(np.float64))[..., 0]


def _partners(
    Ap: NDArray[np.float64], X: NDArray[np.float64], lab_x: NDArray[np.bool_], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], bool] | None:
    """The unique partner of each nondegenerate vertex of P, or None if a system is singular."""
    m, n = Ap.shape
    # A singular system means a continuum of partners (or none), which only the two-polytope
    # join handles. Entries lie in [1, 2], so a feasible partner has entries <= 1 and a huge
    # solution signals a (nearly) singular system.
    try:
        with np.errstate(all="ignore"):
            y = solve_blocks(Ap, ~lab_x[:, :m], lab_x[:, m:])
    except np.linalg.LinAlgError:
        return None
    if not (np.abs(y) < 1e6).all():
        return None
    ok = (y >= -tol).all(axis=1) & (y @ Ap.T <= 1 + tol).all(axis=1)
    Y = np.maximum(y[ok], 0.0)
    ii = np.nonzero(ok)[0]
    lab_y = np.concatenate([np.abs(Y @ Ap.T - 1) <= tol, tol >= Y], axis=1)
    if (lab_y.sum(axis=1) == n).all():  # nondegenerate partners: each is found once
        return Y, ii, np.arange(len(Y)), False
    # One y may partner several x (a degenerate vertex of Q): keep it once.
    keys = label_keys(lab_y)
    _, first, jj = (
        np.unique(keys[:, 0], return_index=True, return_inverse=True)
        if keys.shape[1] == 1
        else np.unique(keys, axis=0, return_index=True, return_inverse=True)
    )
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    Y = Y[first[order]]
    return Y, ii, rank[jj.ravel()], bool((lab_y.sum(axis=1) > n).any())


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
        # Rows in chunks: a pair is complete when no label is missing from both.
        step = max(1, 4_000_000 // max(1, ys.size * kx.shape[1]))
        for s in range(0, xs.size, step):
            chunk = xs[s : s + step]
            miss = (~kx[chunk][:, None, :] & ~ky[ys][None, :, :] & full).any(axis=2)
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
