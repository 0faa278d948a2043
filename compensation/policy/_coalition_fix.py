r"""Members a coalition's search may fix on or off before branching (MODEL.md §10).

Helper of :mod:`compensation.policy._coalition_value`. Relaxing :math:`S = \sum_j s_j` with a
multiplier :math:`\lambda` bounds the coalition's problem on the grid's interpolants
:math:`f_j` for every :math:`\lambda`,

.. math::

    D(\lambda) = \max_{0 \le S \le \bar S} \big(\lambda S - C(S)\big)
    + \sum_{j \in T} \max\big(z_j, a_j(\lambda)\big), \qquad
    z_j = f_j(0), \quad a_j(\lambda) = \sup_{0 < s \le u_j} f_j(s) - \lambda s ,

and at its minimum equals the hull relaxation's bound. Forcing member j on replaces its
term by :math:`a_j`, forcing it off by :math:`z_j`: when :math:`z_j - a_j > D - L`
(:math:`L` a feasible value) no allocation with j on beats :math:`L`, and the search keeps j
at 0 (its term there is 0: it leaves the search's coalition); when
:math:`a_j - z_j > D - L` it keeps j on its piece :math:`(0, u_j]`. A readiness cost makes
j's term jump at 0, so each branch on j costs a level of the search: members away from the
margin are settled at every node the search opens, for the whole subtree below it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["BAND", "fixable", "node_fix"]

BAND = 64.0  # members fixed on: those within BAND times the node's gap of the margin (the
# rest are rarely part-way in any node, and every fixed piece widens the nodes' arrays)
CELLS = 1 << 22  # floats per block of (nodes, members, grid points)
Array = NDArray[np.float64]


def _net(cv: Any, lam: Array) -> Array:
    r"""Per node and member, :math:`a_j(\lambda)`, shape ``(k, N)``."""
    # (G - 1, N), members innermost: the max over grid points then runs along whole rows of
    # members, several times faster than over a few points per member (the linear flow's 3).
    g, v = np.ascontiguousarray(cv.points[:, 1:].T), np.ascontiguousarray(cv.values[:, 1:].T)
    step = max(1, CELLS // max(1, g.size))
    out = np.empty((lam.size, g.shape[1]))
    for i in range(0, lam.size, step):
        tail = v[None] - lam[i : i + step, None, None] * g[None]
        out[i : i + step] = np.where(g[None] > 0, tail, -np.inf).max(axis=1, initial=-np.inf)
    return np.maximum(out, cv.const[None, :])  # the open piece's sup as s -> 0+: const


def _pieced(cv: Any, pieces: Any, pid: Any, lam: Array) -> Array:
    r"""Per node, the members on pieces: the sum of their :math:`\max_s f_j(s) - \lambda s`."""
    if not pid.size:
        return np.zeros(len(pid))
    _, start, sval, sl, wd, _ = pieces.arrays()
    safe = np.maximum(pid, 0)
    gain = np.where(wd[safe] > 0, wd[safe] * np.maximum(sl[safe] - lam[:, None, None], 0), 0)
    each = sval[safe] - lam[:, None] * start[safe] + gain.sum(axis=2)
    return np.where(pid >= 0, each, 0.0).sum(axis=1)


def fixable(cv: Any) -> bool:
    """Whether the search fixes members: some jump at 0, a rising marginal cost, exact terms.

    Curved flows are left alone: their search's values are the true terms, its bounds the
    interpolants' (within ``excess``), and fixing would trade the first for the second.
    """
    return bool((cv.const < cv.values[:, 0]).any() and cv.c2 > 0 and not cv.excess.any())


def node_fix(
    cv: Any, pieces: Any, nodes: tuple[Any, Any], prices: tuple[Array, Array], split: Any
) -> tuple[NDArray[np.bool_], NDArray[np.intp]]:
    """Open nodes' members less those fixed off, and their pieces plus those fixed on.

    ``nodes`` is (members, pieces) per node, ``prices`` (the multiplier of each node's fill,
    the best value of its coalition); the member each node branches on is left alone.
    """
    mask, pid = nodes
    lam, low = prices
    k, n = mask.shape
    jump = cv.const < cv.values[:, 0]
    if not (k and fixable(cv)):
        return mask, pid
    free = mask.copy()
    member = pieces.arrays()[0] if pid.size else np.zeros(0, dtype=np.intp)
    rr = np.broadcast_to(np.arange(k)[:, None], pid.shape)
    free[rr[pid >= 0], member[pid[pid >= 0]].astype(np.intp)] = False
    net = _net(cv, lam)
    s = np.clip((lam - cv.c1) / cv.c2, 0.0, cv.capacity)
    d = lam * s - cv._cost(s) + _pieced(cv, pieces, pid, lam)
    d = d + np.where(free, np.maximum(net, cv.values[:, 0]), 0.0).sum(axis=1)
    margin = net - cv.values[:, 0]
    slack = (d - low)[:, None] + 1e-12 * np.maximum(1.0, np.abs(low))[:, None]
    ok = free & jump & np.isfinite(d)[:, None]
    ok[np.arange(k), np.maximum(split, 0)] = False
    off = ok & (-margin > slack)
    on = ok & (margin > slack) & (margin <= BAND * np.maximum(slack, 1e-12))
    if on.any():
        ids = np.full(n, -1, dtype=np.intp)
        for j in np.flatnonzero(on.any(axis=0)).tolist():
            ids[j] = pieces.get(j, 0, pieces.size, True)
        pick = np.where(on, ids, -1)
        order = np.argsort(~on, axis=1, kind="stable")[:, : int(on.sum(axis=1).max())]
        pid = np.concatenate([pid, np.take_along_axis(pick, order, axis=1)], axis=1)
    return mask & ~off, pid
