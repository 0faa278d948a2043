r"""The leader's best sinking level in continuous strategies (MODEL.md §5).

Both methods broadcast over array-valued parameters: the closed form (linear flow) is pure
algebra; the numeric method evaluates the objective on a grid along a trailing axis, then
bisects the analytic derivative in the best cell, so every grid point and parameter point is
solved in the same numpy calls.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ._validation import check_choice
from .flow import _max_slope, _shift_slope
from .games import _expand
from .parameters import Parameters
from .payoffs import _objectives

__all__ = ["best_sinking"]

GRID = 2049
BISECTIONS = 64


def _net_loss(p: Parameters) -> NDArray[np.float64]:
    r""":math:`\mu`: margin the leader's objective loses per moved visit, net of integration."""
    return np.asarray(
        p.leader_margin
        - p.slot_value
        - p.profit_share * p.primary_margin
        - p.integration * (1 - p.profit_share) * p.primary_margin
    )


def _gain_per_day(p: Parameters) -> NDArray[np.float64]:
    r""":math:`b`: per-doctor-day revenue in the leader's objective with P active."""
    return np.asarray(
        (1 - p.integration) * p.price + p.subsidy + p.brand_benefit - p.integration * p.hosting_cost
    )


def _leader_slope(p: Parameters, s: NDArray[np.float64]) -> NDArray[np.float64]:
    """dO_L(s, 1)/ds."""
    moved = p.common_share * p.visits * _shift_slope(p, s)
    return -_net_loss(p) * moved - p.cost_linear - p.cost_quadratic * s + _gain_per_day(p)


def _closed_form(p: Parameters) -> NDArray[np.float64]:
    mu, b = _net_loss(p), _gain_per_day(p)
    slope = p.common_share * p.visits * p.shift_rate
    a = np.asarray(p.shift_rate, dtype=float)
    with np.errstate(divide="ignore"):
        cap = np.where(a > 0, p.max_shift / np.where(a > 0, a, 1.0), np.inf)
    kink = np.minimum(cap, p.max_sinking)
    # Below the cap the flow is linear; above it no more patients move. With mu > 0 the
    # objective is convex at the kink, so both pieces' maxima must be compared.
    below = np.clip((b - mu * slope - p.cost_linear) / p.cost_quadratic, 0.0, kink)
    above = np.clip((b - p.cost_linear) / p.cost_quadratic, kink, p.max_sinking)
    o_below = _objectives(p, below, np.asarray(1.0))[0]
    o_above = _objectives(p, above, np.asarray(1.0))[0]
    return np.asarray(np.where(o_above > o_below, above, below), dtype=float)


def _numeric(p: Parameters, grid_size: int = GRID) -> NDArray[np.float64]:
    shape = p.shape
    smax = np.broadcast_to(np.asarray(p.max_sinking, dtype=float), shape)[..., None]
    grid = smax * np.linspace(0.0, 1.0, grid_size)
    q = _expand(p, 1)
    values = _objectives(q, grid, np.asarray(1.0))[0]
    values = np.broadcast_to(values, (*shape, grid_size))
    i = values.argmax(axis=-1)[..., None]
    best = np.take_along_axis(grid, i, axis=-1)
    lo = np.take_along_axis(grid, np.maximum(i - 1, 0), axis=-1)
    hi = np.take_along_axis(grid, np.minimum(i + 1, grid_size - 1), axis=-1)
    # Bisect the derivative where it changes sign in the neighbouring cells; each step halves
    # every bracket at once, so 64 steps reach machine precision.
    d_lo, d_hi = _leader_slope(q, lo), _leader_slope(q, hi)
    sign_change = (d_lo > 0) & (d_hi < 0)
    for _ in range(BISECTIONS):
        mid = 0.5 * (lo + hi)
        up = _leader_slope(q, mid) > 0
        lo = np.where(up, mid, lo)
        hi = np.where(up, hi, mid)
    root = np.where(sign_change, 0.5 * (lo + hi), best)
    o_root = _objectives(q, root, np.asarray(1.0))[0]
    o_best = _objectives(q, best, np.asarray(1.0))[0]
    out = np.where(o_root >= o_best, root, best)[..., 0]
    return np.asarray(out, dtype=float)


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

    Notes
    -----
    MODEL.md §5: :math:`s^* = \arg\max_{0 \le s \le s_{max}} O_L(s, 1)`. For the linear flow
    below the cap and :math:`\eta = 0`,

    .. math::

        s^* = \operatorname{clip}\left(\frac{w + g + \beta_B - (m_L - \rho_L - \varphi m_P)
        \theta N a - c_1}{c_2}, 0, s_{max}\right);

    in general the objective is piecewise concave with a kink where the flow reaches its cap,
    and both pieces are compared. The numeric method evaluates :math:`O_L` on a 2049-point
    grid and bisects :math:`dO_L/ds` in the best cell: global up to features narrower than
    the grid spacing, and exact to rounding in the cell.

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
    if method == "closed-form" and p.flow != "linear":
        raise ValueError(f"method='closed-form' needs flow='linear'; got flow={p.flow!r}")
    if method == "numeric" or (method == "auto" and p.flow != "linear"):
        return _numeric(p)
    return _closed_form(p)


def _inducing_bounds(p: Parameters) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-doctor-day gains b below which s* = 0 and above which s* = s_max, for any flow."""
    steep = np.abs(_net_loss(p)) * p.common_share * p.visits * _max_slope(p)
    low = p.cost_linear - steep
    high = p.cost_linear + p.cost_quadratic * p.max_sinking + steep
    return np.asarray(low), np.asarray(high)
