r"""The leader's allocation over a sweep of uniform subsidies, vectorised (MODEL.md §10).

A uniform subsidy :math:`g` lifts every member's marginal value by the same amount, so the
hull edges of all members keep their order: the allocation for every :math:`g` of a sweep is
a cut of one sorted edge list (a ``searchsorted``), exact for piecewise-linear member terms.
Points whose cut falls inside a hull *bridge* (a non-concave term) and curved flows are
solved one by one by :func:`~compensation.policy.allocation.allocate_sinking`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_domain
from ..model.members import Members, consortium_payoffs
from ..model.parameters import Parameters
from ._dual import GRID, prepare
from ._member_hull import Array
from .allocation import allocate_sinking
from .allocation_result import check_capacity, check_participation

__all__ = ["SinkingSweep", "sinking_sweep"]


@dataclass(frozen=True)
class SinkingSweep(Result):
    r"""The leader's allocation at each uniform subsidy of a sweep.

    Attributes
    ----------
    subsidy : ndarray
        :math:`g`, shape ``(G,)`` (万元/dd).
    sinking : ndarray
        :math:`s_j(g)`, shape ``(G, N)`` (dd/yr).
    total : ndarray
        :math:`S(g)` (dd/yr).
    welfare, leader : ndarray
        :math:`W` and :math:`\Pi_L` at each point (万元/yr).
    spending : ndarray
        :math:`g S(g)` (万元/yr).
    exact : ndarray of bool
        True where the vectorised cut was exact; False where the point was solved by
        :func:`allocate_sinking` (a bridge or a curved flow).
    """

    subsidy: Array
    sinking: Array
    total: Array
    welfare: Array
    leader: Array
    spending: Array
    exact: NDArray[np.bool_]


def sinking_sweep(
    p: Parameters,
    members: Members,
    subsidies: ArrayLike,
    *,
    participation: Any = None,
    leader_capacity: float = np.inf,
) -> SinkingSweep:
    r"""The leader's allocation for every uniform subsidy in ``subsidies``, in one pass.

    Parameters
    ----------
    p : Parameters
        Scalar parameters; ``p.subsidy`` and the members' ``subsidy`` column are replaced by
        each point of the sweep.
    members : Members
        The N members.
    subsidies : array_like
        Uniform subsidies :math:`g \ge 0` (万元/dd), one dimension.
    participation : array_like of bool, optional
        Which members are active (default all).
    leader_capacity : float, default inf
        :math:`\bar S` (dd/yr).

    Returns
    -------
    SinkingSweep
        Allocation, total, welfare, the leader's payoff and spending per point.

    Raises
    ------
    ValueError
        For array-valued ``p``, negative or NaN subsidies, or a bad capacity or participation.

    Notes
    -----
    MODEL.md §10. With the member terms' hull edges sorted by slope :math:`\sigma_k` and
    cumulated widths :math:`T_k`, the leader takes edge k at subsidy g while
    :math:`\sigma_k + g > c_1 + c_2 T_k` and :math:`T_k \le \bar S`; :math:`\sigma_k - c_2 T_k`
    decreases in k, so the cut is a binary search per point and the whole sweep costs
    :math:`O(G \log E + G N)`.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.sinking_sweep import sinking_sweep
    >>> m = Members(name=["A", "B"], visits=[30_000, 10_000], host_capacity=300)
    >>> r = sinking_sweep(Parameters(price=0.05), m, np.linspace(0.0, 0.3, 4))
    >>> r.total.round(1).tolist(), bool(r.exact.all())
    ([0.0, 229.0, 600.0, 600.0], True)
    """
    cap = check_capacity(p, members, leader_capacity, "sinking_sweep")
    g = check_domain("subsidies", subsidies, "nonneg", "万元/dd")
    if g.ndim != 1:
        raise ValueError(f"subsidies must be one-dimensional; got shape {g.shape}")
    n = len(members)
    e = check_participation(participation, n)
    p0, m0 = p.replace(subsidy=0.0), members.replace(subsidy=None)
    prep = prepare(p0, m0, np.arange(n), e.astype(float), GRID)
    s, exact = np.zeros((len(g), n)), np.zeros(len(g), dtype=bool)
    if not prep.part.curved:
        s, exact = _cut(prep, g, cap, n)
    for k in np.nonzero(~exact)[0]:
        s[k] = allocate_sinking(
            p0.replace(subsidy=float(g[k])), m0, participation=e, leader_capacity=cap
        ).sinking
    pay = consortium_payoffs(p0.replace(subsidy=g), m0, s, e.astype(float))
    total = s.sum(axis=1)
    return SinkingSweep(
        subsidy=g, sinking=s, total=total, welfare=np.asarray(pay.welfare),
        leader=np.asarray(pay.leader), spending=g * total, exact=exact,
    )  # fmt: skip


def _cut(prep: Any, g: Array, cap: float, n: int) -> tuple[Array, NDArray[np.bool_]]:
    """Allocations of the piecewise-linear kernel; ``exact`` False where a bridge is split."""
    slope, width, row, bridge = prep.edges
    c1, c2 = prep.c1, prep.c2
    total = np.cumsum(width)
    drop = slope - c2 * total  # strictly decreasing: widths are positive
    by_cost = np.searchsorted(-drop, g - c1, side="left")  # edges with drop > c1 - g
    stop = np.minimum(by_cost, np.searchsorted(total, cap, side="right"))
    # Rows' sinking after the first k edges: a (E + 1, n) table of prefix sums.
    table = np.zeros((len(width) + 1, n))
    np.add.at(table, (np.arange(1, len(width) + 1), row), width)
    table = np.cumsum(table, axis=0)
    s = table[stop].copy()
    exact = np.ones(len(g), dtype=bool)
    inside = np.nonzero(stop < len(width))[0]
    if inside.size:
        k = stop[inside]
        before = total[k] - width[k]
        want = np.minimum(np.maximum((slope[k] + g[inside] - c1) / c2, 0.0), cap)
        x = np.clip(want - before, 0.0, width[k])
        s[inside, row[k]] += x
        exact[inside] = ~(bridge[k] & (x > 0) & (x < width[k]))
    return s, exact
