r"""Every equilibrium of a small game: both polytopes' bases solved in one batch.

Kernel of :func:`compensation.solvers.equilibria.nash_equilibria` for small games
(``method="auto"``). The same vertices, labels and pairs as the exhaustive ``method="bases"``,
in a fixed number of numpy calls: the index arrays are built once per shape (cached); every
basis of both best-response polytopes (support :math:`I`, tight rows :math:`T`,
:math:`|I| = |T|`) is padded to a square system of size :math:`K = \max(m, n)`, with unit rows
fixing the coordinates outside :math:`I` at 0, and all are solved by one batched determinant
and one batched solve. At these sizes numpy's per-call overhead, not arithmetic, sets the
time, so fewer calls is what makes it fast.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

__all__ = ["label_keys", "small_equilibria"]

ZERO, ONE = -2, -1  # positions of 0.0 and 1.0 at the end of the gathered entries


@lru_cache(maxsize=32)
def _systems(m: int, n: int) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray, int]:
    """Gather indices (N, K, K), right-hand sides, singularity thresholds, count of P's.

    The entries gathered are ``[MP.ravel(), MQ.ravel(), 0, 1]`` with ``MP = B^T`` and
    ``MQ = A`` zero-padded to K × K. Bases are listed in the exhaustive oracle's order (by
    size k, then rows T, then support I), so that a degenerate vertex is solved from the same
    basis, to the same digits.
    """
    K = max(m, n)
    idx, rhs, thr = [], [], []
    for offset, r, d in ((0, n, m), (K * K, m, n)):
        for k in range(1, min(r, d) + 1):
            for T in itertools.combinations(range(r), k):
                for I in itertools.combinations(range(d), k):
                    a = np.full((K, K), ZERO, dtype=np.intp)
                    for p, t in enumerate(T):
                        a[p, list(I)] = [offset + t * K + i for i in I]
                    a[np.arange(k, K), [j for j in range(K) if j not in I]] = ONE
                    idx.append(a)
                    rhs.append(np.r_[np.ones(k), np.zeros(K - k)])
                    # The oracle's singularity threshold (entries in [1, 2]: Hadamard's bound).
                    thr.append(1e-11 * (2 * np.sqrt(k)) ** k)
        if offset == 0:
            count = len(idx)
    return np.array(idx), np.array(rhs), np.array(thr), count


def label_keys(labels: NDArray[np.bool_]) -> NDArray[np.uint64]:
    """Label sets as bit masks, one row of 64-bit words a vertex (label l is bit l % 64).

    >>> label_keys(np.array([[True, False, True]])).tolist()
    [[5]]
    """
    n, width = labels.shape
    words = -(-width // 64)
    packed = np.zeros((n, words * 8), dtype=np.uint8)
    packed[:, : -(-width // 8)] = np.packbits(labels, axis=1, bitorder="little")
    return packed.view("<u8").astype(np.uint64)


def small_equilibria(
    Ap: NDArray[np.float64], Bp: NDArray[np.float64], tol: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.intp], NDArray[np.intp], bool]:
    r"""Completely labelled vertex pairs of the best-response polytopes, by every basis.

    Parameters
    ----------
    Ap, Bp : ndarray, shape (m, n)
        Payoffs normalised to [1, 2] (small: every basis is solved).
    tol : float
        Absolute tolerance for ties and feasibility.

    Returns
    -------
    X, Y : ndarray
        Vertices (other than 0) of :math:`P = \{x \ge 0 : B^\top x \le 1\}` and
        :math:`Q = \{y \ge 0 : A y \le 1\}`, one a row, unnormalised.
    ii, jj : ndarray of int
        The completely labelled pairs ``(X[ii[k]], Y[jj[k]])``, sorted.
    degenerate : bool
        Whether a vertex has more labels than its polytope's dimension.

    Examples
    --------
    >>> X, Y, ii, jj, deg = small_equilibria(
    ...     np.array([[2.0, 1.0], [1.0, 2.0]]), np.array([[1.0, 2.0], [2.0, 1.0]]), 1e-10
    ... )
    >>> (X[ii] / X[ii].sum(axis=1, keepdims=True)).round(12).tolist(), deg
    ([[0.5, 0.5]], False)
    """
    m, n = Ap.shape
    K = max(m, n)
    idx, rhs, thr, count = _systems(m, n)
    pad = np.zeros((2, K, K))
    pad[0, :n, :m] = Bp.T
    pad[1, :m, :n] = Ap
    sub = np.concatenate([pad.ravel(), [0.0, 1.0]])[idx]
    good = np.abs(np.linalg.det(sub)) > thr
    sol = np.linalg.solve(sub[good], rhs[good][..., None])[..., 0]
    first_q = int(np.count_nonzero(good[:count]))
    # Labels in a padded layout, per solution: coordinate i is 0 (i < K), row j tight (K + j).
    # Padding coordinates are 0 (labelled), padding rows have slack 1 (never tight).
    z = np.maximum(sol, 0.0)
    u = np.concatenate([1.0 - z[:first_q] @ pad[0].T, 1.0 - z[first_q:] @ pad[1].T])
    feasible = (sol >= -tol).all(axis=1) & (u >= -tol).all(axis=1)
    labels = np.concatenate([z <= tol, np.abs(u) <= tol], axis=1)[feasible]
    z = z[feasible]
    owner = (np.nonzero(feasible)[0] >= first_q).astype(np.intp)
    extra = np.nonzero(labels.sum(axis=1) > K)[0]
    if extra.size:  # degenerate vertices, found once per basis: the oracle's checks
        keep = np.ones(len(z), dtype=bool)
        keep[extra] = _first_per_label_set(labels[extra], owner[extra], K)
        z, labels, owner = z[keep], labels[keep], owner[keep]
    # Labels in P's numbering: i < m row i unused / best reply, m + j column j best reply /
    # unused.
    inP = owner == 0
    lab_x = np.concatenate([labels[inP][:, :m], labels[inP][:, K : K + n]], axis=1)
    lab_y = np.concatenate([labels[~inP][:, K : K + m], labels[~inP][:, :n]], axis=1)
    degenerate = bool((lab_x.sum(axis=1) > m).any() or (lab_y.sum(axis=1) > n).any())
    ii, jj = np.nonzero((lab_x[:, None, :] | lab_y[None, :, :]).all(axis=2))
    return z[inP][:, :m], z[~inP][:, :n], ii, jj, degenerate


def _first_per_label_set(labels: NDArray[np.bool_], owner: NDArray[np.intp], K: int) -> NDArray:
    """Mask of the first solution of each label set and polytope (the oracle's choice).

    A degenerate vertex is found once per basis among its tight constraints. The oracle's
    rank test (against a point solved from a basis singular in exact arithmetic, which lies
    on an edge) is not needed here: every basis solved passed the determinant test, far
    above the rounding of a singular one, and a basis's rows restricted to the support of
    its solution keep full column rank.
    """
    keys = labels @ (1 << np.arange(2 * K, dtype=np.int64)) + (owner << (2 * K))
    _, first = np.unique(keys, return_index=True)
    keep = np.zeros(len(labels), dtype=bool)
    keep[first] = True
    return keep
