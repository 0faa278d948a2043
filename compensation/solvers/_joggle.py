"""Vertices of a degenerate polytope from a joggled hull, solved exactly and checked.

Kernel of :func:`compensation.solvers.vertex.polytope_vertices` (``joggle=True``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["joggled_vertices"]

RELAX = 1e-6  # relative loosening of the constraints before joggling


def joggled_vertices(
    G: NDArray[np.float64],
    b: NDArray[np.float64],
    points: NDArray[np.float64],
    c: NDArray[np.float64],
    tol: float,
) -> NDArray[np.float64] | None:
    """Vertices of {z : G z <= b} from the bases of a joggled hull, or None if a check fails.

    ``points`` are the constraints' polar points about the interior point ``c``; see
    :func:`compensation.solvers.vertex.polytope_vertices` for the reasoning and the checks.
    """
    from scipy.spatial import ConvexHull, QhullError

    # Loosen each constraint by a random relative 1e-6 (its polar point moves inward along its
    # ray): then no d constraints with dependent normals meet at a joggled vertex, so its
    # basis is regular and every vertex is some basis's exact solution (see Notes there).
    loosen = 1.0 + RELAX * np.random.default_rng(0).random(len(points))
    try:
        hull = ConvexHull(points / loosen[:, None], qhull_options="QJ")
    except QhullError:  # pragma: no cover - qhull gave up joggling; the exact hull decides
        return None
    eq = hull.equations
    near = -eq[:, :-1] / eq[:, -1:] + c  # the joggled polytope's vertices
    Z, ok = _solve_bases(G[G.shape[1] :], np.sort(hull.simplices, axis=1))
    if not len(Z) or (Z @ G.T - b).max() > tol:
        return None
    # How far joggling moved the vertices: the scale of "near" for the covering checks. A
    # rare ill-conditioned basis moves much further; its exact solution is still a vertex.
    dist = np.abs(Z - near[ok]).max(axis=1)
    eta = max(10 * float(np.quantile(dist, 0.99)), 1e-6)
    if eta > 1e-3:
        return None
    if not ok.all() and not _edges_covered(G, b, near[~ok], Z, eta):
        return None
    return Z


def _solve_bases(
    M: NDArray[np.float64], S: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Solve each basis (sorted rows of S: i < d means z_i = 0, d + j row j tight) exactly.

    A basis with k rows of M fixes d - k coordinates at 0 and leaves the k × k block of M
    on the support, solved in batches by k. Returns the nonsingular ones and which they are.
    """
    n, d = S.shape
    Z = np.zeros((n, d))
    ok = np.zeros(n, dtype=bool)
    ks = (d <= S).sum(axis=1)
    for k in np.unique(ks):
        rows = np.nonzero(ks == k)[0]
        if k == 0:
            ok[rows] = True  # the origin
            continue
        zero = np.zeros((rows.size, d), dtype=bool)
        zero[np.repeat(np.arange(rows.size), d - k), S[rows, : d - k].ravel()] = True
        sup = np.nonzero(~zero)[1].reshape(-1, k)
        sub = M[(S[rows, d - k :] - d)[:, :, None], sup[:, None, :]]
        # The oracle's singularity threshold against Hadamard's bound for entries in [1, 2],
        # capped: beyond 10 rows that bound is so loose it would call regular bases singular.
        good = np.abs(np.linalg.det(sub)) > min(1e-11 * (2 * np.sqrt(k)) ** k, 1e-8)
        sol = np.linalg.solve(sub[good], np.ones((int(good.sum()), k, 1)))[..., 0]
        Z[rows[good][:, None], sup[good]] = sol
        ok[rows[good]] = True
    return Z[ok], ok


def _edges_covered(
    G: NDArray[np.float64],
    b: NDArray[np.float64],
    W: NDArray[np.float64],
    Z: NDArray[np.float64],
    eta: float,
) -> bool:
    """Whether each joggled vertex in W with a singular basis lies on an edge whose ends are in Z.

    Dependent tight constraints along a true edge let the joggled polytope put a vertex
    anywhere on it; such a point is covered when both ends of its edge were found.
    """
    from scipy.spatial import cKDTree

    tree = cKDTree(Z)
    gap, _ = tree.query(W, p=np.inf, distance_upper_bound=2 * eta)
    W = W[gap > eta]  # most lie at a vertex found through another basis
    if not len(W):
        return True
    tight = np.abs(W @ G.T - b) <= eta
    GT = np.where(tight[:, :, None], G[None], 0.0)
    ev, vecs = np.linalg.eigh(np.einsum("skd,ske->sde", GT, GT))
    # Squared singular values: 1e-12 is a singular value of 1e-6 relative, far below
    # those of independent rows here and far above the rounding of dependent ones.
    flat = ev[:, 1] <= 1e-12 * ev[:, -1]  # on a face of dimension 2 or more (rare)
    if flat.any() and not _in_faces(G, b, W[flat], Z, eta):
        return False
    # Tight constraints of full rank: W was moved further than eta from a vertex (an
    # ill-conditioned one), which they determine; it must be among those found.
    full = np.nonzero(ev[:, 0] > 1e-12 * ev[:, -1])[0]
    if full.size:
        bT = np.where(tight[full], b, 0.0)
        GTb = np.einsum("skd,sk->sd", GT[full], bT)
        v = np.linalg.solve(np.einsum("skd,ske->sde", GT[full], GT[full]), GTb[..., None])[..., 0]
        # A constraint within eta of W but not through the vertex leaves a residual: W is
        # then on an edge after all, and is checked as one below.
        at = np.abs(np.einsum("skd,sd->sk", GT[full], v) - bT).max(axis=1) <= 1e-9
        gap, _ = tree.query(v[at], p=np.inf, distance_upper_bound=1e-7)
        if not np.isfinite(gap).all():
            return False
        full = full[at]
    keep = ~flat
    keep[full] = False
    W, tight, vecs = W[keep], tight[keep], vecs[keep]
    if not len(W):
        return True
    w = vecs[:, :, 0]  # the edge's direction
    rate = w @ G.T
    slack = b - W @ G.T
    # Ratio test both ways along the edge over the constraints not tight at W.
    with np.errstate(divide="ignore", invalid="ignore"):
        step = slack / rate
    hi = np.min(np.where(~tight & (rate > 1e-12), step, np.inf), axis=1)
    lo = np.max(np.where(~tight & (rate < -1e-12), step, -np.inf), axis=1)
    ends = np.concatenate([W + hi[:, None] * w, W + lo[:, None] * w])
    if not np.isfinite(ends).all():
        return False
    gap, _ = tree.query(ends, p=np.inf, distance_upper_bound=200 * eta)
    return bool(gap.max() <= 100 * eta)


def _in_faces(
    G: NDArray[np.float64],
    b: NDArray[np.float64],
    W: NDArray[np.float64],
    Z: NDArray[np.float64],
    eta: float,
) -> bool:
    """Whether each point of W is a convex combination of the points of Z on its face."""
    from scipy.optimize import nnls

    on = np.abs(Z @ G.T - b) <= 100 * eta
    for p, tight in zip(W, np.abs(W @ G.T - b) <= eta):
        V = Z[on[:, tight].all(axis=1)]
        if not len(V):
            return False
        # Convex weights: least squares on [V^T; 1] lam = [p; 1], lam >= 0.
        _, res = nnls(np.vstack([V.T, np.ones(len(V))]), np.append(p, 1.0))
        if res > 100 * eta:
            return False
    return True
