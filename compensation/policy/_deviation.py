r"""One member's sinking after it switches Active/Passive, in logarithmic time (MODEL.md §10).

Private helper of :mod:`compensation.policy.participation` for piecewise-linear member terms.
The hull edges of both variants of every member are sorted once by slope. For a profile the
leader takes the selected edges while :math:`\sigma_k > c_1 + c_2 T_k` and :math:`T_k \le \bar S`
(:math:`T_k` the cumulated width): a fractional knapsack. A switch by member j removes its
edges and adds those of its other variant, so the cumulated widths of everybody else move by a
step function with at most four steps; the first edge the leader refuses is still found by a
binary search (the refusal is monotone along the list), and j's sinking follows. Only j's
sinking is needed when :math:`\eta = 0`: j's objective depends on nothing else.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
from numpy.typing import NDArray

from ._dual import Prepared, fill_edges
from ._member_hull import Array

__all__ = ["Deviations"]


class Deviations:
    """The base allocation of a profile and each member's sinking if it alone switched."""

    def __init__(self, prep: Prepared, n: int, cap: float) -> None:
        slope, width, row, bridge = prep.edges
        self.slope, self.width, self.bridge = slope.tolist(), width.tolist(), bridge.tolist()
        self.n, self.cap, self.c1, self.c2 = n, cap, prep.c1, prep.c2
        self.member, self.active = row % n, row < n
        self.sorted = prep.edges
        # Edge positions of each member's active (0) and passive (1) variant.
        self.edges: list[tuple[list[int], list[int]]] = [([], []) for _ in range(n)]
        for k, (m, a) in enumerate(zip(self.member.tolist(), self.active.tolist())):
            self.edges[m][0 if a else 1].append(k)

    def base(self, e: NDArray[np.bool_]) -> Array | None:
        """Allocation for the profile ``e`` (``None`` if the cut splits a bridge); keeps state."""
        live = self.active == e[self.member]
        s, cum, stop, x = fill_edges(
            self.sorted, live, self.member, self.n, c1=self.c1, c2=self.c2, cap=self.cap
        )
        self.e, self.cum = e, cum.tolist()
        self.pos = np.nonzero(live)[0].tolist()
        self.cl = cum[live].tolist()
        if x is not None:
            if self.bridge[stop] and 0 < x < self.width[stop]:
                return None
            s[self.member[stop]] += x
        return s

    def _partial(self, k: int, cum: float) -> float | None:
        """What the leader takes of edge k (cumulated width ``cum`` with it); None: a bridge."""
        w = self.width[k]
        want = min((self.slope[k] - self.c1) / self.c2, self.cap)
        x = min(max(want - (cum - w), 0.0), w)
        return None if self.bridge[k] and 0 < x < w else x

    def switch(self, j: int) -> float | None:
        """Member j's sinking if it alone switched (``None``: a split bridge, use the solver)."""
        old, new = self.edges[j][0 if self.e[j] else 1], self.edges[j][1 if self.e[j] else 0]
        steps = sorted([(k, -self.width[k]) for k in old] + [(k, self.width[k]) for k in new])
        at = [k for k, _ in steps]
        prefix = [0.0]
        for _, d in steps:
            prefix.append(prefix[-1] + d)
        slope, width, pos, cl = self.slope, self.width, self.pos, self.cl
        c1, c2, cap = self.c1, self.c2, self.cap
        lo, hi = 0, len(pos)
        while lo < hi:  # the first refused edge of the base list (monotone, see module doc)
            mid = (lo + hi) // 2
            k = pos[mid]
            # The change of the cumulated width before edge k; a removed edge counts as zero
            # width itself, which keeps the refusal monotone along the list.
            cum = cl[mid] + prefix[bisect_left(at, k)] - (width[k] if k in old else 0.0)
            if slope[k] <= c1 + c2 * cum or cum > cap:
                hi = mid
            else:
                lo = mid + 1
        while lo < len(pos) and pos[lo] in old:
            lo += 1
        stop, stop_cum = None, 0.0
        if lo < len(pos):
            stop = pos[lo]
            stop_cum = cl[lo] + prefix[bisect_left(at, stop)]
        for k in new:  # j's new edges are not in the base list: check each
            cum = self.cum[k] + prefix[bisect_left(at, k)] + width[k]
            if (stop is None or k < stop) and (slope[k] <= c1 + c2 * cum or cum > cap):
                stop, stop_cum = k, cum
                break
        mine = sum(width[k] for k in new if stop is None or k < stop)
        if stop is None:
            return mine
        x = self._partial(stop, stop_cum)
        if x is None:
            return None
        return mine + (x if stop in new else 0.0)
