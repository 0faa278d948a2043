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

from ._joggle import joggled_vertices

__all__ = ["equilibrium_vertices", "polish", "polytope_vertices"]

JOGGLE_FROM = 10  # joggle polytopes of games with ties in more dimensions than this


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

    Examples
    --------
    >>> import numpy as np
    >>> Z, labels = polytope_vertices(np.array([[1.0, 2.0], [2.0, 1.0]]), 1e-10)
    >>> sorted(map(tuple, Z.round(4).tolist()))
    [(0.0, 0.5), (0.3333, 0.3333), (0.5, 0.0)]
    """
    from scipy.spatial import ConvexHull

    r, d = M.shape
    t = 0.5 / float(M.sum(axis=1).max())
    c = np.full(d, t)
    G = np.vstack([-np.eye(d), M])
    b = np.concatenate([np.zeros(d), np.ones(r)])
    points = G / (b - G @ c)[:, None]
    Z = joggled_vertices(G, b, points, c, tol) if joggle else None
    if Z is None:
        eq = ConvexHull(points).equations
        Z = -eq[:, :-1] / eq[:, -1:] + c
    labels = np.concatenate([np.abs(Z) <= tol, np.abs(Z @ M.T - 1.0) <= tol], axis=1)
    keep = Z.sum(axis=1) > tol  # the origin is a vertex but pairs with nothing
    Z, labels = Z[keep], labels[keep]
    # A degenerate vertex comes from several simplices (or bases): merge those by label set.
    extra = np.nonzero(labels.sum(axis=1) > d)[0]
    if extra.size:
        _, first = np.unique(np.packbits(labels[extra], axis=1), axis=0, return_index=True)
        drop = np.setdiff1d(extra, extra[first])
        Z, labels = np.delete(Z, drop, axis=0), np.delete(labels, drop, axis=0)
    return Z, labels


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
    for k in np.unique(ks):
        if k == 0:
            continue
        square = np.nonzero((ks == k) & (ts == k))[0]
        if square.size:
            S = np.nonzero(support[square])[1].reshape(-1, k)
            T = np.nonzero(tight[square])[1].reshape(-1, k)
            sub = M[T[:, :, None], S[:, None, :]]
            with np.errstate(all="ignore"):
                sol = np.linalg.solve(sub, np.ones((square.size, k, 1)))[..., 0]
            good = np.isfinite(sol).all(axis=1) & (np.abs(sol - Z[square[:, None], S]) < 1e-7).all(
                axis=1
            )
            rows = square[good]
            out[rows[:, None], S[good]] = sol[good]
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
    # Below 11 dimensions qhull's exact hull is about as fast as the joggled one plus checks.
    jx, jy = ties and m > JOGGLE_FROM, ties and n > JOGGLE_FROM
    X, lab_x = polytope_vertices(Bp.T, tol, joggle=jx)
    if not (lab_x.sum(axis=1) > m).any() and not ties:
        single = _partners(Ap, X, lab_x, tol)
        if single is not None:
            Y, ii, jj, deg = single
            ux, ii = np.unique(ii, return_inverse=True)
            return polish(Bp.T, X[ux], lab_x[ux]), Y, ii.ravel(), jj, deg
    Y, lab_y = polytope_vertices(Ap, tol, joggle=jy)
    # Q's labels in P's numbering: row i best reply -> i, column j unused -> m + j.
    lab_y = np.concatenate([lab_y[:, n:], lab_y[:, :n]], axis=1)
    degenerate = bool((lab_x.sum(axis=1) > m).any() or (lab_y.sum(axis=1) > n).any())
    ii, jj = _join(lab_x, lab_y, m, n)
    ux, ii = np.unique(ii, return_inverse=True)
    uy, jj = np.unique(jj, return_inverse=True)
    lab_x, lab_y = lab_x[ux], lab_y[uy][:, np.r_[m : m + n, :m]]
    X, Y = polish(Bp.T, X[ux], lab_x), polish(Ap, Y[uy], lab_y)
    return X, Y, ii.ravel(), jj.ravel(), degenerate


def _has_ties(Ap: NDArray[np.float64], Bp: NDArray[np.float64], tol: float) -> bool:
    """Whether some pure strategy leaves the opponent two payoffs equal within tol."""
    a = np.sort(Ap, axis=0)
    b = np.sort(Bp, axis=1)
    return bool((np.diff(a, axis=0) <= tol).any() or (np.diff(b, axis=1) <= tol).any())


def _partners(
    Ap: NDArray[np.float64], X: NDArray[np.float64], lab_x: NDArray[np.bool_], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], bool] | None:
    """The unique partner of each nondegenerate vertex of P, or None if a system is singular."""
    m, n = Ap.shape
    support = ~lab_x[:, :m]
    best = lab_x[:, m:]
    ks = support.sum(axis=1)
    ys, owners = [], []
    for k in np.unique(ks):
        rows = np.nonzero(ks == k)[0]
        S = np.nonzero(support[rows])[1].reshape(-1, k)
        J = np.nonzero(best[rows])[1].reshape(-1, k)
        sub = Ap[S[:, :, None], J[:, None, :]]
        # A singular system means a continuum of partners (or none), which only the
        # two-polytope join handles. Entries lie in [1, 2], so a feasible partner has
        # entries <= 1 and a huge solution signals a (nearly) singular system.
        try:
            with np.errstate(all="ignore"):
                yJ = np.linalg.solve(sub, np.ones((rows.size, k, 1)))[..., 0]
        except np.linalg.LinAlgError:
            return None
        if not (np.abs(yJ) < 1e6).all():
            return None
        y = np.zeros((rows.size, n))
        y[np.repeat(np.arange(rows.size), k), J.ravel()] = yJ.ravel()
        ok = (yJ >= -tol).all(axis=1) & (y @ Ap.T <= 1 + tol).all(axis=1)
        ys.append(np.clip(y[ok], 0.0, None))
        owners.append(rows[ok])
    Y = np.concatenate(ys) if ys else np.zeros((0, n))
    ii = np.concatenate(owners) if owners else np.zeros(0, dtype=np.intp)
    lab_y = np.concatenate([np.abs(Y @ Ap.T - 1) <= tol, tol >= Y], axis=1)
    # One y may partner several x (a degenerate vertex of Q): keep it once.
    _, first, jj = np.unique(
        np.packbits(lab_y, axis=1), axis=0, return_index=True, return_inverse=True
    )
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    Y = Y[first[order]]
    return Y, ii, rank[jj.ravel()], bool((lab_y.sum(axis=1) > n).any())


def _join(
    lab_x: NDArray[np.bool_], lab_y: NDArray[np.bool_], m: int, n: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Pairs whose labels cover all m + n: a hash join, plus a product for degenerate ones."""
    nd_x = lab_x.sum(axis=1) == m
    nd_y = lab_y.sum(axis=1) == n
    # Nondegenerate on both sides: complete exactly when y's labels are x's complement.
    keys = {bytes(k): j for j, k in zip(np.nonzero(nd_y)[0], np.packbits(lab_y[nd_y], axis=1))}
    pairs = []
    for i, k in zip(np.nonzero(nd_x)[0], np.packbits(~lab_x[nd_x], axis=1)):
        j = keys.get(bytes(k))
        if j is not None:
            pairs.append((i, j))
    # Any degenerate side: count labels missing from both with one matrix product.
    for xs, ys in (
        (np.nonzero(~nd_x)[0], np.arange(len(lab_y))),
        (np.nonzero(nd_x)[0], np.nonzero(~nd_y)[0]),
    ):
        if xs.size and ys.size:
            missing = (~lab_x[xs]).astype(np.float64) @ (~lab_y[ys]).astype(np.float64).T
            a, b = np.nonzero(missing == 0)
            pairs.extend(zip(xs[a], ys[b]))
    arr = np.array(sorted(pairs), dtype=np.intp).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]
