r"""The leading hospital's problem, written once (MODEL.md §4–5).

With primary care active the leader maximises

.. math:: O_L(s, 1) = b\, s - F(s) + \text{const}, \qquad F(s) = C(s) + \mu V(s),

where :math:`\mu` is the margin its objective loses per moved visit and :math:`b` its revenue
per doctor-day (:func:`net_loss`, :func:`gain_per_day`). Its best response to ``b`` is the
set of points where the line of slope ``b`` supports the lower convex hull :math:`\breve F`
of :math:`F` on :math:`[0, s_{max}]`: the response jumps across every *bridge* of the hull
(where :math:`F` is not convex, as with the siphon loss of a saturating flow), and the least
``b`` that makes the leader choose ``s`` is the left slope :math:`\breve F'_-(s)`.
:func:`lower_hull` computes such hulls exactly (bridges refined to rounding), so both the
leader's response and the subsidy design that anticipates it (``stackelberg``) are exact,
jumps included.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq, minimize_scalar

from .flow import (
    FLOW_FORMS,
    flow_curvature,
    flow_share,
    flow_slope,
    flow_slope_left,
    form_of,
)
from .parameters import Parameters
from .payoffs import leader_loss, primary_gain

Array = NDArray[np.float64]
Fn = Callable[[Array], Array]

__all__: list[str] = []


def net_loss(p: Parameters) -> Array:
    r""":math:`\mu = k_L - \eta k_P`: margin the leader's objective loses per moved visit."""
    return np.asarray(leader_loss(p) - p.integration * primary_gain(p))


def gain_per_day(p: Parameters) -> Array:
    r""":math:`b`: per-doctor-day revenue in the leader's objective with P active."""
    return np.asarray(
        (1 - p.integration) * p.price + p.subsidy + p.brand_benefit - p.integration * p.hosting_cost
    )


def price_for_gain(p: Parameters, b: Array | float, subsidy: Array | float) -> Array:
    """The internal price ``w`` at which the leader's gain per doctor-day is ``b`` (η < 1)."""
    return np.asarray(
        (b - subsidy - p.brand_benefit + p.integration * p.hosting_cost) / (1 - p.integration)
    )


def effort(p: Parameters, s: Array) -> Array:
    r""":math:`F(s) = C(s) + \mu V(s)`, the leader's cost of sinking ``s`` with P active."""
    visits = p.common_share * p.visits * flow_share(p, s)
    return np.asarray(p.cost_linear * s + 0.5 * p.cost_quadratic * s * s + net_loss(p) * visits)


def effort_slope(p: Parameters, s: Array, side: str = "right") -> Array:
    r""":math:`F'(s)`; ``side`` picks the one-sided derivative at the linear flow's cap."""
    shift = flow_slope(p, s) if side == "right" else flow_slope_left(p, s)
    return np.asarray(
        p.cost_linear + p.cost_quadratic * s + net_loss(p) * p.common_share * p.visits * shift
    )


def effort_curvature(p: Parameters, s: Array) -> Array:
    r""":math:`F''(s)` away from the linear flow's cap."""
    curv = flow_curvature(p, s)
    return np.asarray(p.cost_quadratic + net_loss(p) * p.common_share * p.visits * curv)


def leader_slope(p: Parameters, s: Array) -> Array:
    """dO_L(s, 1)/ds (right derivative)."""
    return np.asarray(gain_per_day(p) - effort_slope(p, s))


def primary_slope(p: Parameters, s: Array) -> Array:
    """dO_P(s, 1)/ds at fixed prices and subsidies (right derivative)."""
    moved = p.common_share * p.visits * flow_slope(p, s)
    cost = p.cost_linear + p.cost_quadratic * s
    return np.asarray(
        (primary_gain(p) - p.integration * leader_loss(p)) * moved
        - (p.price + p.hosting_cost)
        + p.integration * (p.price + p.subsidy + p.brand_benefit - cost)
    )


def flow_cap(p: Parameters) -> Array:
    """Sinking at which the linear flow reaches its cap (inf if it never does)."""
    return FLOW_FORMS["linear"].kink(p)


# --- exact lower convex hulls of one-dimensional functions -------------------------------


@dataclass(frozen=True)
class Piece:
    """A closed interval on which a function equals its lower convex hull.

    ``slope_in`` is the slope of the bridge that ends at ``lo`` (-inf at the domain's start),
    ``slope_out`` that of the bridge that starts at ``hi`` (+inf at the domain's end).
    """

    lo: float
    hi: float
    slope_in: float
    slope_out: float


def _chain(s: Array, f: Array, noise: float) -> list[int]:
    """Indices of the lower hull of the points (s, f), s sorted ascending (Andrew).

    A point is dropped only when it lies above the chord of its neighbours by more than
    ``noise`` (in units of f): dents of rounding size are not bridges.
    """
    hull: list[int] = []
    for k in range(len(s)):
        while len(hull) >= 2:
            i, j = hull[-2], hull[-1]
            cross = (s[j] - s[i]) * (f[k] - f[i]) - (f[j] - f[i]) * (s[k] - s[i])
            if cross < -noise * (s[k] - s[i]):
                hull.pop()
            else:
                break
        hull.append(k)
    return hull


def _support(f: Fn, lo: float, hi: float, sigma: float) -> tuple[float, float]:
    """(argmin, min) of f(s) - sigma s on [lo, hi], global by sampling, polished by Brent."""
    if hi <= lo:
        return lo, float(f(np.array([lo]))[0]) - sigma * lo
    grid = np.linspace(lo, hi, 33)
    vals = f(grid) - sigma * grid
    k = int(np.argmin(vals))
    a, b = grid[max(k - 1, 0)], grid[min(k + 1, 32)]
    res = minimize_scalar(
        lambda x: float(f(np.array([x]))[0]) - sigma * x,
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-13 * max(1.0, abs(hi))},
    )
    if res.fun < vals[k]:
        return float(res.x), float(res.fun)
    return float(grid[k]), float(vals[k])


def _bridge(
    f: Fn, left: tuple[float, float], right: tuple[float, float], s1: float, s2: float
) -> tuple[float, float, float]:
    """Refine a bridge found on the grid: its exact end points and slope.

    ``left`` and ``right`` are the stretches (a cell either side of the grid end points) in
    which the true tangent points lie. For a slope sigma the supporting-line intercepts
    t(sigma) = min (f - sigma s) over each stretch decrease at rates s1 < s2, so their
    difference is monotone in sigma and the bridge slope is its root.
    """
    f1, f2 = float(f(np.array([s1]))[0]), float(f(np.array([s2]))[0])
    sigma0 = (f2 - f1) / (s2 - s1)

    def gap(sigma: float) -> float:
        return _support(f, *left, sigma)[1] - _support(f, *right, sigma)[1]

    step = 1e-6 * max(1.0, abs(sigma0))
    lo, hi = sigma0 - step, sigma0 + step
    for _ in range(60):
        if gap(lo) <= 0:
            break
        lo -= step
        step *= 2
    step = 1e-6 * max(1.0, abs(sigma0))
    for _ in range(60):
        if gap(hi) >= 0:
            break
        hi += step
        step *= 2
    g_lo, g_hi = gap(lo), gap(hi)
    if g_lo > 0 or g_hi < 0:  # pragma: no cover - the grid bridge always brackets
        return s1, s2, sigma0
    sigma = sigma0 if g_lo == 0 else hi if g_hi == 0 else brentq(gap, lo, hi, xtol=1e-15)
    a = _support(f, *left, sigma)[0]
    b = _support(f, *right, sigma)[0]
    return a, b, float(sigma)


def lower_hull(f: Fn, intervals: Sequence[tuple[float, float]], points: int = 4097) -> list[Piece]:
    """Contact pieces of the lower convex hull of ``f`` on a union of disjoint intervals.

    ``f`` maps an array of points to values. The hull is found on a grid of about ``points``
    points (every interval's end points included), then each bridge is refined to rounding
    by :func:`_bridge`, so jumps of the response are placed exactly. Features narrower than
    the grid spacing are resolved only to that spacing.
    """
    total = sum(hi - lo for lo, hi in intervals) or 1.0
    grids, owner = [], []
    for k, (lo, hi) in enumerate(intervals):
        n = 1 if hi <= lo else max(65, math.ceil(points * (hi - lo) / total))
        g = np.linspace(lo, hi, n)
        grids.append(g)
        owner.append(np.full(n, k))
    s = np.concatenate(grids)
    own = np.concatenate(owner)
    vals = f(s)
    # Values carry rounding of about 1e-12 of their magnitude (differences of large terms at
    # extreme parameters): a non-convexity that small is noise, not a jump of the response.
    noise = 1e-12 * float(np.max(np.abs(vals))) if len(vals) else 0.0
    step = np.maximum(np.diff(s), 1e-300)
    chords = np.diff(vals) / step
    # Already convex as sampled (the usual case): every point is on the hull, and the O(N)
    # check saves the Python loop of the chain.
    bend = np.diff(chords) * np.minimum(step[:-1], step[1:])
    convex = len(s) < 3 or bool(np.all(bend >= -4 * noise))
    idx = list(range(len(s))) if convex else _chain(s, vals, noise)
    groups: list[list[int]] = [[idx[0]]]
    for a, b in itertools.pairwise(idx):
        if b == a + 1 and own[a] == own[b]:
            groups[-1].append(b)
        else:
            groups.append([b])

    def stretch(i: int) -> tuple[float, float]:
        k = own[i]
        lo = s[i - 1] if i > 0 and own[i - 1] == k else s[i]
        hi = s[i + 1] if i + 1 < len(s) and own[i + 1] == k else s[i]
        return float(lo), float(hi)

    bounds = [[float(s[g[0]]), float(s[g[-1]])] for g in groups]
    slopes = []
    for q in range(len(groups) - 1):
        i, j = groups[q][-1], groups[q + 1][0]
        end, start, sigma = _bridge(f, stretch(i), stretch(j), float(s[i]), float(s[j]))
        bounds[q][1] = end
        bounds[q + 1][0] = start
        slopes.append(sigma)
    pieces = []
    for q, (lo, hi) in enumerate(bounds):
        lo, hi = min(lo, hi), max(lo, hi)
        s_in = slopes[q - 1] if q > 0 else -np.inf
        s_out = slopes[q] if q < len(slopes) else np.inf
        pieces.append(Piece(lo, hi, float(s_in), float(s_out)))
    return pieces


def support_slopes(
    pieces: Sequence[Piece], s: Array, df_left: Fn, df_right: Fn
) -> tuple[Array, Array]:
    """Left and right slopes of the hull at contact points ``s`` (each inside some piece)."""
    s = np.asarray(s, dtype=float)
    lo_slope = np.asarray(df_left(s), dtype=float).copy()
    hi_slope = np.asarray(df_right(s), dtype=float).copy()
    for piece in pieces:
        at_lo = s == piece.lo
        at_hi = s == piece.hi
        lo_slope = np.where(at_lo, piece.slope_in, lo_slope)
        hi_slope = np.where(at_hi, piece.slope_out, hi_slope)
    return lo_slope, hi_slope


def leader_hull(p: Parameters) -> list[Piece]:
    """Contact pieces of the hull of the leader's effort :math:`F` on :math:`[0, s_{max}]`."""
    smax = float(p.max_sinking)
    return lower_hull(lambda s: effort(p, s), _leader_intervals(p, smax))


def _leader_intervals(p: Parameters, smax: float) -> list[tuple[float, float]]:
    cap = float(form_of(p).kink(p))
    # A kink of the flow (the linear flow's cap): split there so that it is a grid point.
    if 0 < cap < smax:
        return [(0.0, cap), (float(np.nextafter(cap, np.inf)), smax)]
    return [(0.0, smax)]
