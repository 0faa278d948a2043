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
from ._join import join_labels

__all__ = [
    "equilibrium_vertices",
    "hull_vertices",
    "polish",
    "polytope_vertices",
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
    rowsum = M.sum(axis=1)
    t = 0.5 / float(rowsum.max())
    # Polar points of the constraints about c = t·1: -e_i / t for z_i >= 0, and
    # M_j / (1 - M_j c) for the payoff rows.
    points = np.empty((d + r, d))
    points[:d] = np.eye(d) * (-1.0 / t)
    points[d:] = M / (1.0 - t * rowsum)[:, None]
    Z = None
    if joggle:
        G = np.vstack([-np.eye(d), M])
        b = np.concatenate([np.zeros(d), np.ones(r)])
        Z = joggled_vertices(G, b, points, np.full(d, t), tol)
    exact = Z is not None
    if Z is None:
        eq = ConvexHull(points).equations
        Z = eq[:, :-1] / -eq[:, -1:] + t
    labels = np.empty((len(Z), d + r), dtype=bool)
    np.less_equal(np.abs(Z), tol, out=labels[:, :d])
    np.less_equal(np.abs(Z @ M.T - 1.0), tol, out=labels[:, d:])
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
    r, d = M.shape
    support = ~labels[:, :d]
    tight = labels[:, d:]
    out = np.where(support, np.clip(Z, 0.0, None), 0.0)
    ks, ts = support.sum(axis=1), tight.sum(axis=1)
    square = np.nonzero((ks == ts) & (ks > 0))[0]
    deg = np.nonzero((ts > ks) & (ks > 0))[0]
    # Both kinds go into one batched solve of d × d systems (numpy's per-call overhead, not
    # arithmetic, sets the time here). Square ones: the tight rows restricted to the support
    # and unit rows fixing the other coordinates at 0 (row order does not change a solution).
    cand = np.concatenate([M, np.eye(d)])
    sel = np.concatenate([tight[square], ~support[square]], axis=1)
    idx = np.nonzero(sel)[1].reshape(-1, d)
    keep = support[square][:, None, :] | (idx >= r)[:, :, None]
    systems = [np.where(keep, cand[idx], 0.0)]
    rhs = [(idx < r).astype(np.float64)]
    # Degenerate ones: least squares on all their tight rows, by batched normal equations
    # (an identity block on the zero coordinates keeps each system square and regular).
    if deg.size:
        sub = np.where(tight[deg][:, :, None] & support[deg][:, None, :], M[None], 0.0)
        systems.append(np.einsum("qrd,qre->qde", sub, sub) + np.eye(d) * ~support[deg][:, None, :])
        rhs.append(sub.sum(axis=1))
    rows = np.concatenate([square, deg])
    if not rows.size:
        return out
    try:
        with np.errstate(all="ignore"):
            sol = np.linalg.solve(np.concatenate(systems), np.concatenate(rhs)[..., None])[..., 0]
    except np.linalg.LinAlgError:  # pragma: no cover - qhull's digits are kept
        return out
    sol = np.where(support[rows], sol, 0.0)
    good = np.isfinite(sol).all(axis=1) & (np.abs(sol - out[rows]) < 1e-7).all(axis=1)
    out[rows[good]] = sol[good]
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
    if not ties and (lab_x.sum(axis=1) == m).all():
        single = _partners(Ap, X, lab_x, tol)
        if single is not None:
            Y, ii = single  # ii is sorted and distinct: each x has one partner
            k = np.arange(len(Y))
            return polish(Bp.T, X[ii], lab_x[ii]), Y, k, k, False
    Y, lab_y, exact_y = hull_vertices(Ap, tol, joggle=jy)
    # Q's labels in P's numbering: row i best reply -> i, column j unused -> m + j.
    lab_y = np.concatenate([lab_y[:, n:], lab_y[:, :n]], axis=1)
    degenerate = bool((lab_x.sum(axis=1) > m).any() or (lab_y.sum(axis=1) > n).any())
    ii, jj = join_labels(lab_x, lab_y, m, n)
    ux, ii = np.unique(ii, return_inverse=True)
    uy, jj = np.unique(jj, return_inverse=True)
    lab_x, lab_y = lab_x[ux], lab_y[uy][:, np.r_[m : m + n, :m]]
    # Zero coordinates set to exactly 0, as polish does, without solving again.
    X = np.where(lab_x[:, :m], 0.0, X[ux])
    Y = np.where(lab_y[:, :n], 0.0, Y[uy])
    if not (exact_x and exact_y):  # both polytopes polished in one padded call
        X, Y = _polish_pair(Ap, Bp, (X, lab_x, exact_x), (Y, lab_y, exact_y))
    return X, Y, ii.ravel(), jj.ravel(), degenerate


def _stacked(Ap: NDArray[np.float64], Bp: NDArray[np.float64]) -> NDArray[np.float64]:
    """``B^T`` over ``A``, each zero-padded to K × K (K = max(m, n)): one matrix for both."""
    m, n = Ap.shape
    K = max(m, n)
    M = np.zeros((2 * K, K))
    M[:n, :m] = Bp.T
    M[K : K + m, :n] = Ap
    return M


def _polish_pair(
    Ap: NDArray[np.float64],
    Bp: NDArray[np.float64],
    px: tuple[NDArray[np.float64], NDArray[np.bool_], bool],
    py: tuple[NDArray[np.float64], NDArray[np.bool_], bool],
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """:func:`polish` on both polytopes at once (numpy's per-call overhead sets the time).

    Each part is ``(Z, labels, exact)`` in its own polytope's numbering; exact parts are kept.
    Padding coordinates are zero (labelled) and padding rows never tight, so each system is
    the one :func:`polish` would solve, with unit rows added: the same digits.
    """
    m, n = Ap.shape
    K = max(m, n)
    parts = []
    for (Z, lab, exact), d, r, off in ((px, m, n, 0), (py, n, m, K)):
        if exact:
            lab = lab[:0]
        pad = np.zeros((len(lab), 3 * K), dtype=bool)
        pad[:, :d] = lab[:, :d]
        pad[:, d:K] = True
        pad[:, K + off : K + off + r] = lab[:, d:]
        z = np.zeros((len(lab), K))
        z[:, :d] = Z[: len(lab)]
        parts.append((z, pad))
    out = polish(
        _stacked(Ap, Bp),
        np.concatenate([parts[0][0], parts[1][0]]),
        np.concatenate([parts[0][1], parts[1][1]]),
    )
    nx = len(parts[0][0])
    X = px[0] if px[2] else out[:nx, :m]
    Y = py[0] if py[2] else out[nx:, :n]
    return X, Y


def _has_ties(Ap: NDArray[np.float64], Bp: NDArray[np.float64], tol: float) -> bool:
    """Whether some pure strategy leaves the opponent two payoffs equal within tol."""
    a = np.sort(Ap, axis=0)
    b = np.sort(Bp, axis=1)
    return bool((np.diff(a, axis=0) <= tol).any() or (np.diff(b, axis=1) <= tol).any())


def _partners(
    Ap: NDArray[np.float64], X: NDArray[np.float64], lab_x: NDArray[np.bool_], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.intp]] | None:
    """The unique partner ``Y[k]`` of each nondegenerate vertex ``X[ii[k]]`` of P, or None.

    None if a system is singular or a partner degenerate: then the two-polytope join decides.
    """
    m, n = Ap.shape
    # The partner of x solves A_{SJ} y_J = 1 for x's support S and best replies J
    # (|S| = |J| = k): the oracle's k × k block, so the same digits. One batched solve a
    # support size: at 10 × 10 twice as fast as padding every system to n × n with unit rows.
    support, reply = ~lab_x[:, :m], lab_x[:, m:]
    size = support.sum(axis=1)
    order = np.argsort(size, kind="stable")
    ends = np.searchsorted(size[order], np.arange(1, m + 2))
    rows_of, cols_of = np.nonzero(support[order])[1], np.nonzero(reply[order])[1]
    start = np.concatenate([[0], np.cumsum(size[order])])
    y = np.zeros((len(X), n))
    # A singular system means a continuum of partners (or none), which only the two-polytope
    # join handles. Entries lie in [1, 2], so a feasible partner has entries <= 1 and a huge
    # solution signals a (nearly) singular system.
    try:
        with np.errstate(all="ignore"):
            for k in np.nonzero(np.diff(ends))[0] + 1:
                a, b = ends[k - 1], ends[k]
                S = rows_of[start[a] : start[b]].reshape(-1, k)
                J = cols_of[start[a] : start[b]].reshape(-1, k)
                sol = np.linalg.solve(Ap[S[:, :, None], J[:, None, :]], np.ones((b - a, k, 1)))
                y[order[a:b, None], J] = sol[..., 0]
    except np.linalg.LinAlgError:
        return None
    if not (np.abs(y) < 1e6).all():
        return None
    u = y @ Ap.T
    ok = (y >= -tol).all(axis=1) & (u <= 1 + tol).all(axis=1)
    # A degenerate partner (more labels than n) may partner several x: the join handles it.
    if ((np.abs(u[ok] - 1) <= tol).sum(axis=1) + (y[ok] <= tol).sum(axis=1) != n).any():
        return None
    Y = np.where(lab_x[ok, m:], np.maximum(y[ok], 0.0), 0.0)
    return Y, np.nonzero(ok)[0]
