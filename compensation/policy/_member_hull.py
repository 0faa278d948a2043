r"""Each member's term of the leader's objective and its upper concave hull (MODEL.md §10).

Private helpers of :mod:`compensation.policy.allocation`: the member terms
:math:`u_j(s)` of some rows, a grid on :math:`[0, \min(s_{max}, \bar s_j)]` per row, the upper
concave hull of each row (vectorised over rows), and each row's global best reply to a price
found on its grid and refined at every local maximum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..model.flow import FlowForm
from ..model.members import SHARED
from ..model.parameters import Parameters, unchecked

__all__ = [
    "PEAKS",
    "Array",
    "Index",
    "Part",
    "grid_points",
    "refine",
    "respond",
    "upper_chain",
    "upper_hull",
]

PEAKS = 4  # local maxima of a member's grid refined per response
Array = NDArray[np.float64]
Index = NDArray[np.intp]


@dataclass(frozen=True)
class Part:
    r"""Member terms :math:`u_j(s) = \beta_j s - \kappa_j \Delta q_j(s) + c_j` of some rows."""

    q: Parameters  # member fields of shape (n, 1)
    beta: Array
    kappa: Array
    const: Array
    ub: Array  # (n,): min(s_max, host capacity)
    kink: Array  # (n,)
    form: FlowForm
    curved: bool = True  # False when every term is piecewise linear (kink on the grid)

    def value(self, s: Array) -> Array:
        return self.beta * s - self.kappa * self.form.share(self.q, s) + self.const

    def slope(self, s: Array, side: str = "right") -> Array:
        return self.beta - self.kappa * self.form.slope(self.q, s, side)

    def curvature(self, s: Array) -> Array:
        return -self.kappa * self.form.curvature(self.q, s)

    def take(self, rows: Index) -> Part:
        # The hot path of the allocation's rounding: index only the array fields (validation
        # was done when ``q`` was built).
        arrays = {}
        for f in SHARED:
            v = getattr(self.q, f)
            if isinstance(v, np.ndarray) and v.ndim:
                arrays[f] = v[rows]
        taken = unchecked(self.q, **arrays)
        return Part(
            taken, self.beta[rows], self.kappa[rows], self.const[rows],
            self.ub[rows], self.kink[rows], self.form, self.curved,
        )  # fmt: skip


def grid_points(ub: Array, kink: Array, size: int) -> Array:
    """``size`` points on [0, ub] per row; the flow's kink replaces its nearest point."""
    g = ub[:, None] * np.linspace(0.0, 1.0, size)
    rows = np.nonzero((kink > 0) & (kink < ub))[0]
    if size > 2 and rows.size:
        k = np.clip(np.rint(kink[rows] / ub[rows] * (size - 1)).astype(int), 1, size - 2)
        g[rows, k] = kink[rows]
    return g


def upper_chain(g: Array, v: Array) -> NDArray[np.bool_]:
    """Upper-hull vertices of each row (Andrew's monotone chain, vectorised over rows)."""
    m, K = v.shape
    r = np.arange(m)
    stack, top = np.zeros((m, K), dtype=np.intp), np.ones(m, dtype=np.intp)
    for k in range(1, K):
        while True:
            i, j = stack[r, np.maximum(top - 2, 0)], stack[r, top - 1]
            gi, vi = g[r, i], v[r, i]
            cross = (g[r, j] - gi) * (v[:, k] - vi) - (v[r, j] - vi) * (g[:, k] - gi)
            pop = (top >= 2) & (cross >= 0)
            if not pop.any():
                break
            top -= pop
        stack[r, top] = k
        top += 1
    on = np.zeros((m, K), dtype=bool)
    rows, cols = np.nonzero(np.arange(K) < top[:, None])
    on[rows, stack[rows, cols]] = True
    return on


def upper_hull(grid: Array, vals: Array) -> tuple[Index, Array, Array, NDArray[np.bool_]]:
    """Upper concave hull of each row: vertex columns, edge slopes, widths, bridge flags."""
    n, K = vals.shape
    dg = np.diff(grid, axis=1)
    live = dg[:, -1] > 0  # rows with room to sink
    width = np.where(live[:, None], dg, 0.0)
    slopes = np.where(live[:, None], np.diff(vals, axis=1) / np.where(dg > 0, dg, 1.0), -np.inf)
    verts = np.broadcast_to(np.arange(K), (n, K)).copy()
    bridge = np.zeros((n, K - 1), dtype=bool)
    dd = np.diff(np.where(live[:, None], slopes, 0.0), axis=1)
    tol = 1e-9 * (np.abs(np.where(live[:, None], slopes, 0.0)).max(axis=1) + 1e-300)
    other = np.nonzero(live & (dd > tol[:, None]).any(axis=1))[0]  # rows that are not concave
    if other.size:
        mixed = (dd[other] < -tol[other, None]).any(axis=1)
        chord = other[~mixed]  # a convex row's hull is its chord
        if chord.size:
            w = grid[chord, -1] - grid[chord, 0]
            verts[chord], verts[chord, 0] = K - 1, 0
            width[chord], width[chord, 0] = 0.0, w
            slopes[chord], slopes[chord, 0] = -np.inf, (vals[chord, -1] - vals[chord, 0]) / w
            bridge[chord, 0] = K > 2
        _chains(grid, vals, other[mixed], (verts, slopes, width, bridge))
    # Rounding can make the chords of a straight stretch wiggle; the hull's slopes decrease.
    return verts, np.minimum.accumulate(slopes, axis=1), width, bridge


def _chains(grid: Array, vals: Array, rows: Index, out: tuple[Index, Array, Array, Any]) -> None:
    """The hulls of the ``rows`` with concave and convex stretches, written into ``out``."""
    if not rows.size:
        return
    verts, slopes, width, bridge = out
    K = grid.shape[1]
    on = upper_chain(grid[rows], vals[rows])
    r, cols = np.nonzero(on)
    verts[rows] = K - 1
    verts[rows[r], (np.cumsum(on, axis=1) - 1)[r, cols]] = cols
    left, right = verts[rows, :-1], verts[rows, 1:]
    valid = np.arange(K - 1) < on.sum(axis=1, keepdims=True) - 1
    g, v = grid[rows], vals[rows]
    w = np.take_along_axis(g, right, 1) - np.take_along_axis(g, left, 1)
    rise = np.take_along_axis(v, right, 1) - np.take_along_axis(v, left, 1)
    width[rows] = np.where(valid, w, 0.0)
    slopes[rows] = np.where(valid, rise / np.where(valid, w, 1.0), -np.inf)
    bridge[rows] = valid & (right - left > 1)


def refine(part: Part, lin: Any, quad: float, lo: Array, hi: Array) -> Array:
    """Local maximiser of u - lin s - quad s²/2 in [lo, hi] (safeguarded Newton); NaN if none."""

    def d(x: Array) -> Array:
        return part.slope(x) - lin - quad * x

    ok = (d(lo) > 0) & (d(hi) < 0)
    if quad == 0:  # a straight stretch (no curvature at either end) peaks at a grid point
        ok &= (part.curvature(lo) != 0) | (part.curvature(hi) != 0)
    if not ok.any():  # the common case in a search: no row has a root, none is iterated
        return np.full(np.shape(ok), np.nan)
    x = 0.5 * (lo + hi)
    for _ in range(200):
        dx = d(x)
        lo, hi = np.where(dx > 0, x, lo), np.where(dx > 0, hi, x)
        curv = part.curvature(x) - quad
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = x - dx / curv
        good = (curv < 0) & (newton >= lo) & (newton <= hi)
        tol = 1e-12 * (1 + np.abs(x))
        done = ~ok | (hi - lo <= tol) | (good & (np.abs(newton - x) <= tol))
        x = np.where(good, newton, 0.5 * (lo + hi))
        if done.all():
            break
    return np.where(ok, x, np.nan)


def respond(part: Part, lin: Any, quad: float, *, grid: Array, vals: Array):
    """(argmax, max) per row of u - lin s - quad s²/2 on its grid, every grid peak refined."""
    phi = vals - lin * grid - 0.5 * quad * grid * grid
    n, K = phi.shape
    # A grid peak is at least its neighbours (a NaN never is); indexing by rows directly.
    peak = np.ones((n, K), dtype=bool)
    peak[:, 1:] = phi[:, 1:] >= phi[:, :-1]
    peak[:, :-1] &= phi[:, :-1] >= phi[:, 1:]
    key = np.where(peak, -phi, np.inf)
    order = np.argpartition(key, PEAKS - 1, axis=1)[:, :PEAKS] if K > PEAKS else np.argsort(key)
    r = np.arange(n)[:, None]
    at, live = grid[r, order], peak[r, order]
    lo = np.where(live, grid[r, np.maximum(order - 1, 0)], at)
    hi_ = np.where(live, grid[r, np.minimum(order + 1, K - 1)], at)
    root = refine(part, lin, quad, lo, hi_)
    x = np.where(np.isnan(root), at, root)
    val, val_at = part.value(x) - lin * x - 0.5 * quad * x * x, phi[r, order]
    x, val = np.where(val >= val_at, x, at), np.where(live, np.maximum(val, val_at), -np.inf)
    best = np.argmax(val, axis=1)
    return x[r[:, 0], best], val[r[:, 0], best]
