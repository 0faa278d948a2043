r"""The leader's best sinking level in continuous strategies (MODEL.md §5).

Both methods broadcast over array-valued parameters: the closed form (linear flow) is pure
algebra; the numeric method evaluates the objective on a grid along a trailing axis, then
bisects the analytic derivative around every local maximum of the grid and compares the
refined values, so every parameter point is solved in the same numpy calls (in chunks that
keep memory bounded).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .._validation import check_choice
from ..model.flow import form_of
from ..model.leader import flow_cap, gain_per_day, leader_slope, net_loss
from ..model.parameters import FIELDS, Parameters, unchecked
from ..model.payoffs import objectives_unchecked

__all__ = ["best_sinking"]

GRID = 2049
BISECTIONS = 64
CHUNK_CELLS = 1 << 21  # grid cells evaluated at once: about 16 MB a temporary array


def closed_form_sinking(p: Parameters) -> NDArray[np.float64]:
    mu, b = net_loss(p), gain_per_day(p)
    slope = p.common_share * p.visits * p.shift_rate
    kink = np.minimum(flow_cap(p), p.max_sinking)
    # Below the cap the flow is linear; above it no more patients move. With mu > 0 the
    # objective is convex at the kink, so both pieces' maxima must be compared.
    below = np.clip((b - mu * slope - p.cost_linear) / p.cost_quadratic, 0.0, kink)
    above = np.clip((b - p.cost_linear) / p.cost_quadratic, kink, p.max_sinking)
    o_below = objectives_unchecked(p, below, np.asarray(1.0))[0]
    o_above = objectives_unchecked(p, above, np.asarray(1.0))[0]
    return np.asarray(np.where(o_above > o_below, above, below), dtype=float)


def _flat(p: Parameters, n: int) -> Parameters:
    """``p`` with every array field broadcast to its shape and flattened to length ``n``."""
    shape = p.shape
    return unchecked(
        p,
        **{
            f: np.broadcast_to(np.asarray(getattr(p, f), dtype=float), shape).reshape(n)
            for f in FIELDS
            if np.ndim(getattr(p, f))
        },
    )


def _take(p: Parameters, sl: slice) -> Parameters:
    return unchecked(
        p, **{f: np.asarray(getattr(p, f))[sl, None] for f in FIELDS if np.ndim(getattr(p, f))}
    )


def numeric_sinking(p: Parameters, grid_size: int = GRID) -> NDArray[np.float64]:
    shape = p.shape
    n = int(np.prod(shape, dtype=np.int64))
    flat = _flat(p, n)
    out = np.empty(n)
    step = max(1, CHUNK_CELLS // grid_size)
    # Chunks keep memory bounded whatever the number of parameter points (10⁶ points would
    # need a 16 GB grid at once).
    for start in range(0, n, step):
        sl = slice(start, min(start + step, n))
        out[sl] = _numeric_chunk(_take(flat, sl), sl.stop - sl.start, grid_size)
    return out.reshape(shape)


def _numeric_chunk(q: Parameters, n: int, grid_size: int) -> NDArray[np.float64]:
    """Global maximiser of O_L(s, 1) on [0, s_max] for n points (fields of shape (n, 1))."""
    smax = np.broadcast_to(np.asarray(q.max_sinking, dtype=float), (n, 1))
    grid = smax * np.linspace(0.0, 1.0, grid_size)
    values = np.broadcast_to(objectives_unchecked(q, grid, np.asarray(1.0))[0], (n, grid_size))
    # Every local maximum of the grid is a candidate (the objective need not be concave: the
    # siphon loss makes it convex near 0 for saturating flows); refine each, then compare.
    left = np.concatenate([np.full((n, 1), -np.inf), values[:, :-1]], axis=1)
    right = np.concatenate([values[:, 1:], np.full((n, 1), -np.inf)], axis=1)
    peak = (values >= left) & (values >= right)
    k = int(peak.sum(axis=1).max())
    # The k peaks in any order (their refined values are compared below): a partition, not
    # a sort, keeps this linear in the grid size.
    order = np.argpartition(np.where(peak, -values, np.inf), k - 1, axis=1)[:, :k]
    live = np.take_along_axis(peak, order, axis=1)
    lo = np.take_along_axis(grid, np.maximum(order - 1, 0), axis=1)
    hi = np.take_along_axis(grid, np.minimum(order + 1, grid_size - 1), axis=1)
    at = np.take_along_axis(grid, order, axis=1)
    # Bisect the slope where it changes sign around each peak; every bracket halves at once.
    sign_change = (leader_slope(q, lo) > 0) & (leader_slope(q, hi) < 0)
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        up = leader_slope(q, mid) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    root = np.where(sign_change, 0.5 * (lo + hi), at)
    o_root = np.broadcast_to(objectives_unchecked(q, root, np.asarray(1.0))[0], root.shape)
    o_at = np.broadcast_to(objectives_unchecked(q, at, np.asarray(1.0))[0], at.shape)
    cand = np.where(o_root >= o_at, root, at)
    val = np.where(live, np.maximum(o_root, o_at), -np.inf)
    return np.take_along_axis(cand, val.argmax(axis=1)[:, None], axis=1)[:, 0]


def best_sinking(p: Parameters, *, method: str = "auto") -> NDArray[np.float64]:
    r"""The leader's optimal sinking with primary care active.

    Parameters
    ----------
    p : Parameters
        Array fields broadcast; the result has shape ``p.shape``.
    method : {"auto", "closed-form", "numeric"}
        ``"closed-form"`` needs the linear flow; ``"auto"`` uses it when it applies.

    Returns
    -------
    ndarray
        :math:`s^*(w, g)` in doctor-days per year, in :math:`[0, s_{max}]`.

    Raises
    ------
    ValueError
        For an unknown ``method``, or ``method="closed-form"`` with a flow that has no
        closed form (only the linear flow has one).

    Notes
    -----
    MODEL.md §5: :math:`s^* = \arg\max_{0 \le s \le s_{max}} O_L(s, 1)`. For the linear flow
    below the cap and :math:`\eta = 0`,

    .. math::

        s^* = \operatorname{clip}\left(\frac{w + g + \beta_B - (m_L - \rho_L - \varphi m_P)
        \theta N a - c_1}{c_2}, 0, s_{max}\right);

    in general the objective is piecewise concave with a kink where the flow reaches its cap,
    and both pieces are compared. The numeric method evaluates :math:`O_L` on a 2049-point
    grid, bisects :math:`dO_L/ds` around every local maximum of the grid and keeps the best
    refined value: global up to features narrower than the grid spacing, and exact to
    rounding otherwise, even when two local maxima are nearly equal.

    Examples
    --------
    >>> from compensation import Parameters, best_sinking
    >>> p = Parameters(price=0.3, subsidy=0.2)
    >>> float(best_sinking(p))
    1580.0
    >>> bool(abs(best_sinking(p, method="numeric") - 1580.0) < 1e-9)
    True
    >>> best_sinking(p.replace(subsidy=[0.0, 0.1, 0.2])).round(6).tolist()
    [580.0, 1080.0, 1580.0]
    """
    check_choice("method", method, ("auto", "closed-form", "numeric"))
    if method == "closed-form" and not form_of(p).closed_form:
        raise ValueError(f"method='closed-form' needs flow='linear'; got flow={p.flow!r}")
    if method == "numeric" or (method == "auto" and not form_of(p).closed_form):
        return numeric_sinking(p)
    return closed_form_sinking(p)
