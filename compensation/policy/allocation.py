r"""The leader's allocation of doctor-days among many members, and their participation (§10).

The leader maximises :math:`O_L = \sum_j u_j(s_j) - C(S)` over
:math:`0 \le s_j \le \min(s_{max}, \bar s_j)`, :math:`S = \sum_j s_j \le \bar S`. A multiplier
:math:`\mu` on :math:`S` separates the members: each answers :math:`\arg\max u_j(s) - \mu s`,
found globally from the upper concave hull of :math:`u_j` on a grid (all members at once), and
:math:`\mu` balances :math:`\sum_j s_j(\mu)` with the leader's :math:`S^*(\mu)`: a fractional
knapsack over the hull edges sorted by slope, then, for curved flows, an Illinois search on
the exact responses. A member split across a hull *bridge* (its term is not concave there) is
put where it pays best, the others re-allocated, and the duality gap is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_tol
from ..model.flow import form_of
from ..model.members import (
    SHARED,
    ConsortiumPayoffs,
    Members,
    consortium_payoffs,
    leader_coefficients,
)
from ..model.parameters import Parameters, require_scalar, unchecked
from ._member_hull import PEAKS, Array, Index, Part, grid_points, refine, respond, upper_hull

__all__ = [
    "ParticipationEquilibrium",
    "SinkingAllocation",
    "allocate_sinking",
    "participation_equilibrium",
]

GRID = 257  # grid points per member for curved flows (piecewise-linear flows need three)


@dataclass(frozen=True)
class _Prepared:
    """Each row's grid, values and upper hull; the hull edges of all rows sorted by slope."""

    part: Part
    grid: Array  # (n, K)
    vals: Array
    verts: Index  # hull vertex columns, padded with the last
    slopes: Array  # hull edge slopes, decreasing, padded with -inf
    edges: tuple[Array, Array, Index, NDArray[np.bool_]]  # slope, width, row, is a bridge
    c1: float
    c2: float

    def sub(self, rows: Index) -> _Prepared:
        if len(rows) == len(self.part.ub) and (rows == np.arange(len(rows))).all():
            return self
        return replace(
            self, part=self.part.take(rows), grid=self.grid[rows], vals=self.vals[rows],
            verts=self.verts[rows], slopes=self.slopes[rows],
        )  # fmt: skip


def _prepare(p: Parameters, members: Members, member: Index, e: Array, size: int) -> _Prepared:
    """Rows ``member`` (indices into ``members``) with participation ``e``, ready to solve."""
    n = len(member)
    q = members.parameters(p)
    q = unchecked(q, **{f: getattr(q, f)[member, None] for f in SHARED if np.ndim(getattr(q, f))})
    t = members.column("travel_cost", p)[member, None]
    beta, kappa, const = (np.broadcast_to(x, (n, 1)) for x in leader_coefficients(q, t, e[:, None]))
    ub = np.minimum(float(p.max_sinking), members.column("host_capacity", p)[member])
    form = form_of(p)
    part = Part(q, beta, kappa, const, ub, np.broadcast_to(form.kink(q), (n, 1))[:, 0], form)
    curved = bool(np.any(part.curvature(grid_points(ub, part.kink, 9)) != 0))
    part = replace(part, curved=curved)
    grid = grid_points(ub, part.kink, size if curved else 3)  # exact for piecewise-linear flows
    vals = part.value(grid)
    verts, slopes, width, bridge = upper_hull(grid, vals)
    valid = np.isfinite(slopes)
    row = np.broadcast_to(np.arange(n)[:, None], slopes.shape)[valid]
    order = np.argsort(-slopes[valid])
    edges = (slopes[valid][order], width[valid][order], row[order], bridge[valid][order])
    c1, c2 = float(p.cost_linear), float(p.cost_quadratic)
    return _Prepared(part, grid, vals, verts, slopes, edges, c1, c2)


def _knapsack(prep: _Prepared, rows: Index, c1: float, c2: float, cap: float):
    """Optimum on the rows' hulls: take edges by slope while slope > C'(S) and S ≤ cap."""
    slope, width, row, bridge = prep.edges
    pos = np.full(len(prep.part.ub), -1)
    pos[rows] = np.arange(len(rows))
    at = pos[row]
    keep = at >= 0
    total = np.cumsum(np.where(keep, width, 0.0))
    ok = ~keep | ((slope > c1 + c2 * total) & (total <= cap))
    stop = int(np.argmin(ok)) if not ok.all() else len(ok)
    full = keep[:stop]
    s = np.bincount(at[:stop][full], width[:stop][full], minlength=len(rows)).astype(float)
    prev = slope[:stop][full][-1] if full.any() else np.inf
    if stop == len(ok):
        return s, float(min(c1 + c2 * s.sum(), prev)), None
    before, sig, w = total[stop] - width[stop], slope[stop], width[stop]
    x = float(np.clip(min((sig - c1) / c2, cap) - before, 0.0, w))
    j, low = int(at[stop]), float(s[at[stop]])
    s[j] += x
    mu = float(np.clip(c1 + c2 * (before + x), sig, prev))
    return s, mu, (j, low, low + w) if bridge[stop] and 0 < x < w else None


def _hull_response(sub: _Prepared, mu: float) -> Array:
    """Each row's global response to μ: its hull vertex, refined within the adjacent cells."""
    r, K = np.arange(len(sub.part.ub)), sub.grid.shape[1]
    v = sub.verts[r, (sub.slopes > mu).sum(axis=1)]
    at, lo, hi = (sub.grid[r, k, None] for k in (v, np.maximum(v - 1, 0), np.minimum(v + 1, K - 1)))
    root = refine(sub.part, mu, 0.0, lo, hi)
    x = np.where(np.isnan(root), at, root)
    better = sub.part.value(x) - mu * x >= sub.part.value(at) - mu * at
    return np.where(better, x, at)[:, 0]


def _bracket(h: Any, mu: float) -> tuple[float, float, Any, Any]:
    """μ_a ≤ μ_b with h(μ_a) ≥ 0 ≥ h(μ_b), searched outwards from the grid's μ."""
    step, ma, mb = 1e-6 * (1 + abs(mu)), mu, mu
    a = b = h(mu)
    for _ in range(60):
        if a[0] < 0:
            mb, b, ma = ma, a, ma - step
            a = h(ma)
        elif b[0] > 0:
            ma, a, mb = mb, b, mb + step
            b = h(mb)
        else:
            break
        step *= 10
    return ma, mb, a, b


def _smooth(sub: _Prepared, mu: float, c1: float, c2: float, cap: float):
    """μ for curved flows: Illinois search on h(μ) = Σ s_j(μ) - S*(μ), which decreases."""

    def h(m: float) -> tuple[float, Array]:
        s = _hull_response(sub, m)
        return float(s.sum() - np.clip((m - c1) / c2, 0.0, cap)), s

    ub = sub.part.ub
    ma, mb, (ha, sa), (hb, sb) = _bracket(h, mu)
    ftol, fa, fb, side = 1e-10 * (1 + ub.sum()), ha, hb, 0
    for _ in range(200):  # Illinois: false position, halving the value of the end that stays
        jump = mb - ma <= 1e-8 * (1 + abs(ma)) and np.any(sa - sb > 1e-6 * (1 + ub))
        if min(abs(ha), abs(hb)) <= ftol or mb - ma <= 1e-15 * (1 + abs(ma)) or jump:
            break
        m = (ma * fb - mb * fa) / (fb - fa)
        m = m if ma < m < mb else 0.5 * (ma + mb)
        hm, sm = h(m)
        if hm >= 0:
            ma, ha, sa, fa, fb, side = m, hm, sm, hm, 0.5 * fb if side > 0 else fb, 1
        else:
            mb, hb, sb, fb, fa, side = m, hm, sm, hm, 0.5 * fa if side < 0 else fa, -1
    if min(abs(ha), abs(hb)) <= ftol:
        return (sb, mb, None) if abs(hb) <= abs(ha) else (sa, ma, None)
    # A jump: members leap across a bridge at μ. Tied members go up in row order while the
    # leader wants more; the one that would overshoot is split, and re-optimised later.
    mu = 0.5 * (ma + mb)
    up = np.maximum(sa - sb, 0.0)
    tied = up > 1e-6 * (1 + ub)
    over = tied & (np.cumsum(np.where(tied, up, 0.0)) > np.clip((mu - c1) / c2, 0, cap) - sb.sum())
    a = int(np.argmax(over)) if over.any() else int(np.argmax(up))
    s = np.where(tied & ~over & (np.arange(len(ub)) < a), sa, sb)
    return s, mu, (a, sb[a], sa[a])


def _solve(prep: _Prepared, rows: Index, c1: float, c2: float, cap: float):
    """Dual solution on ``rows``: allocation (split member at its low end), μ, split member."""
    s, mu, split = _knapsack(prep, rows, c1, c2, cap)
    if prep.part.curved:
        return _smooth(prep.sub(rows), mu, c1, c2, cap)
    if split is not None:
        s[split[0]] = split[1]
    return s, mu, split


def _objective(part: Part, s: Array, c1: float, c2: float) -> float:
    total = s.sum()
    return float(part.value(s[:, None]).sum() - c1 * total - 0.5 * c2 * total * total)


def _polish(part: Part, s: Array, c1: float, c2: float, cap: float) -> Array:
    """Greedy coordinate ascent: the best single member's global best reply, while it pays."""
    s = np.minimum(s, s * cap / s.sum()) if s.sum() > cap else s.copy()
    size = GRID if part.curved else 17  # piecewise-linear terms: concave pieces, kink on grid
    hi, grid, vals = np.full(len(s), -1.0), np.zeros((len(s), size)), np.zeros((len(s), size))
    for _ in range(4 * len(s) + 4):
        others = s.sum() - s
        lin = (c1 + c2 * others)[:, None]
        new = np.clip(np.minimum(part.ub, cap - others), 0, None)
        changed = np.nonzero(new != hi)[0]  # grids follow the room left to each member
        if changed.size:
            hi[changed] = new[changed]
            grid[changed] = grid_points(hi[changed], part.kink[changed], size)
            vals[changed] = part.take(changed).value(grid[changed])
        own = part.value(s[:, None])[:, 0] - lin[:, 0] * s - 0.5 * c2 * s * s
        rough = (vals - lin * grid - 0.5 * c2 * grid * grid).max(axis=1) - own
        top = np.argsort(-rough)[:PEAKS]  # refine only the likeliest movers
        x, val = respond(part.take(top), lin[top], c2, grid=grid[top], vals=vals[top])
        gain = val - own[top]
        k = int(np.argmax(gain))
        if gain[k] <= 1e-12 * (1 + abs(_objective(part, s, c1, c2))):
            break
        s[top[k]] = x[k]
    return s


def _allocate(prep: _Prepared, rows: Index, cap: float) -> tuple[Array, float]:
    """Primal allocation: the dual solution; if it splits a member, its best rounding."""
    c1, c2 = prep.c1, prep.c2
    s, mu, split = _solve(prep, rows, c1, c2, cap)
    if split is None:
        return np.minimum(s, s * cap / s.sum()) if s.sum() > cap else s, mu
    a, low, high = split
    rest, idx = np.delete(np.arange(len(rows)), a), np.arange(len(rows))
    candidates = [(s, a)]
    for v in sorted({low, min(high, cap)}):  # the split member at either end, others re-allocated
        cand = np.full(len(rows), v)
        cand[rest], _, again = _solve(prep, rows[rest], c1 + c2 * v, c2, cap - v)
        candidates.append((cand, a if again is None else rest[again[0]]))
    # Then members improve one at a time: with bridges the problem is combinatorial (which
    # member takes the remainder matters). Only members that sink, were split, or whose best
    # average return from 0 (first hull slope) beats the marginal cost can gain.
    best, value, first, whole = s, -np.inf, prep.slopes[rows, 0], prep.part.take(rows)
    for cand, b in candidates:
        sel = (cand > 0) | (idx == a) | (idx == b) | (first > c1 + c2 * cand.sum())
        sel = np.nonzero(sel)[0]
        fixed = cand.sum() - cand[sel].sum()
        part = prep.part.take(rows[sel])
        cand[sel] = _polish(part, cand[sel], c1 + c2 * fixed, c2, cap - fixed)
        v = _objective(whole, cand, c1, c2)
        best, value = (cand, v) if v > value else (best, value)
    return best, mu


@dataclass(frozen=True)
class SinkingAllocation(Result):
    r"""The leader's doctor-days per member (MODEL.md §10) with its optimality certificate.

    Attributes
    ----------
    sinking : ndarray
        :math:`s_j` per member (dd/yr).
    total : float
        :math:`S = \sum_j s_j` (dd/yr).
    value : float
        :math:`O_L` at the allocation (万元/yr; :math:`\Pi_L` when :math:`\eta = 0`).
    multiplier : float
        :math:`\mu = C'(S) + \nu`, the dual price of a doctor-day (万元/dd).
    capacity_price : float
        :math:`\nu \ge 0`, the value of a doctor-day more of leader capacity (万元/dd).
    duality_gap : float
        ``dual_bound - value`` (≥ 0 up to rounding): no feasible allocation beats ``value`` by
        more; 0 when every member's term is concave.
    dual_bound : float
        :math:`D(\mu) = \sum_j \max_s [u_j(s) - \mu s] + \max_{0 \le S \le \bar S} [\mu S - C(S)]`.
    regret : ndarray
        :math:`\max_s [u_j(s) - \mu s] - [u_j(s_j) - \mu s_j] \ge 0` per member; the regrets
        and ``cost_regret`` sum to the gap (the certificate).
    cost_regret : float
        :math:`\max_S [\mu S - C(S)] - [\mu S - C(S)]` at the allocation's total.
    marginal_value : ndarray
        :math:`u_j'(s_j)`: what a doctor-day more at j adds before :math:`C` (万元/dd).
    payoffs : ConsortiumPayoffs
        Payoffs and objectives of leader, members and society at the allocation.
    participation : ndarray of bool
        Which members are active.
    leader_capacity : float
        :math:`\bar S` (dd/yr; ``inf`` for none).
    """

    sinking: Array
    total: float
    value: float
    multiplier: float
    capacity_price: float
    duality_gap: float
    dual_bound: float
    regret: Array
    cost_regret: float
    marginal_value: Array
    payoffs: ConsortiumPayoffs
    participation: NDArray[np.bool_]
    leader_capacity: float


def _certify(p: Parameters, members: Members, prep: _Prepared, *, active: Any, cap: float):
    """Allocation for a participation profile, with the dual bound of its multiplier."""
    n, c1, c2 = len(members), prep.c1, prep.c2
    # Rows n.. hold the passive variants when ``prep`` has both (participation_equilibrium).
    rows = np.where(active, np.arange(n), np.arange(n) + len(prep.part.ub) - n)
    s, mu = _allocate(prep, rows, cap)
    sub = prep.sub(rows)
    best = respond(sub.part, mu, 0.0, grid=sub.grid, vals=sub.vals)[1]
    own = sub.part.value(s[:, None])[:, 0] - mu * s
    regret = np.maximum(best, own) - own
    S, star = float(s.sum()), float(np.clip((mu - c1) / c2, 0.0, cap))
    cost_regret = (mu - c1 - 0.5 * c2 * star) * star - (mu - c1 - 0.5 * c2 * S) * S
    pay = consortium_payoffs(p, members, s, active)
    value = float(pay.leader_objective)
    gap = float(regret.sum()) + cost_regret
    return SinkingAllocation(
        sinking=s, total=S, value=value, multiplier=mu,
        capacity_price=max(0.0, mu - c1 - c2 * cap) if np.isfinite(cap) else 0.0,
        duality_gap=gap, dual_bound=value + gap, regret=regret, cost_regret=cost_regret,
        marginal_value=sub.part.slope(s[:, None])[:, 0], payoffs=pay,
        participation=np.asarray(active, dtype=bool), leader_capacity=cap,
    )  # fmt: skip


def _capacity(p: Parameters, members: Any, leader_capacity: Any, what: str) -> float:
    require_scalar(p, what)
    if not isinstance(members, Members):
        raise TypeError(f"members must be a Members table; got {type(members).__name__}")
    cap = float(np.asarray(leader_capacity, dtype=float))
    if np.isnan(cap) or cap < 0:
        raise ValueError(f"leader_capacity must be ≥ 0 (dd/yr; inf for none); got {cap!r}")
    return cap


def allocate_sinking(
    p: Parameters,
    members: Members,
    *,
    participation: ArrayLike | None = None,
    leader_capacity: float = np.inf,
) -> SinkingAllocation:
    r"""The leader's optimal doctor-days per member, certified by its duality gap.

    Parameters
    ----------
    p : Parameters
        Scalar parameters: the leader's fields and every column ``members`` leaves out.
    members : Members
        The N members.
    participation : array_like of bool, optional
        Which members are active (default all). A passive member still sees the share
        :math:`\varepsilon` of the shift and pays no price (MODEL.md §4 with :math:`e_j = 0`).
    leader_capacity : float, default inf
        :math:`\bar S`, the leader's doctor-days per year for all members (dd/yr).

    Returns
    -------
    SinkingAllocation
        ``.sinking`` per member, ``.multiplier`` :math:`\mu`, ``.capacity_price``
        :math:`\nu`, ``.duality_gap`` with per-member ``.regret``, and the payoffs.

    Raises
    ------
    ValueError
        For array-valued ``p``, a negative or NaN ``leader_capacity``, or a
        ``participation`` that is not one 0/1 entry per member.
    TypeError
        If ``members`` is not a :class:`~compensation.model.members.Members`.

    Notes
    -----
    MODEL.md §10. Member j adds :math:`u_j(s) = b_j s - \kappa_j \Delta q_j(s) + c_j` to the
    leader's objective :math:`O_L = \Pi_L + \eta \sum_j \Pi_{Pj}`, with
    :math:`b_j = w_j e_j + g_j + \beta_B - t_j - \eta (w_j + c_{Pj}) e_j`; the leader solves

    .. math::

        \max_{0 \le s_j \le \min(s_{max}, \bar s_j),\ S = \sum_j s_j \le \bar S}
        \sum_j u_j(s_j) - C(S), \qquad
        L(s, S, \mu) = \sum_j [u_j(s_j) - \mu s_j] + [\mu S - C(S)],

    and :math:`\mu = C'(S(\mu)) + \nu`. Each :math:`s_j(\mu)` is global on a grid of 257
    points (3 for the linear flow, where it is exact) refined at every local maximum. When a
    :math:`u_j` is not concave (the siphon loss of a saturating flow, or a linear flow capped
    below :math:`s_{max}`) the reported gap :math:`D(\mu) - O_L` may be positive.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.allocation import allocate_sinking
    >>> m = Members(name=["A", "B", "C"], visits=[120_000, 60_000, 20_000],
    ...             host_capacity=[600, 600, 600], travel_cost=[0.0, 0.02, 0.05])
    >>> r = allocate_sinking(Parameters(price=0.3, subsidy=0.2), m, leader_capacity=1000)
    >>> r.sinking.round(1).tolist(), round(r.capacity_price, 4), round(r.duality_gap, 9)
    ([400.0, 600.0, 0.0], 0.1496, 0.0)
    """
    cap = _capacity(p, members, leader_capacity, "allocate_sinking")
    n = len(members)
    e = np.ones(n) if participation is None else np.asarray(participation)
    if e.shape != (n,) or not np.isin(e, (0, 1)).all():
        raise ValueError(
            f"participation must hold one 0/1 entry per member ({n}); got {participation!r}"
        )
    prep = _prepare(p, members, np.arange(n), e.astype(float), GRID)
    return _certify(p, members, prep, active=e.astype(bool), cap=cap)


@dataclass(frozen=True)
class ParticipationEquilibrium(Result):
    r"""Members' Active/Passive choices and the leader's allocation (MODEL.md §10).

    Attributes
    ----------
    active : ndarray of bool
        Each member's choice at the equilibrium (or where the search stopped).
    allocation : SinkingAllocation
        The leader's allocation given ``active``, with its own certificate.
    deviation_gain : ndarray
        What each member's objective gains by switching, the leader re-allocating (万元/yr):
        all ≤ ``tol`` relative at an equilibrium; NaN where not evaluated.
    success : bool
        True for a pure Nash equilibrium.
    message : str
        The equilibrium found, or the cycle or iteration cap met.
    iterations : int
        Passes over the members.
    cycle : tuple of ndarray
        Participation profiles of a best-response cycle (empty unless one was met).
    """

    active: NDArray[np.bool_]
    allocation: SinkingAllocation
    deviation_gain: Array
    success: bool
    message: str
    iterations: int
    cycle: tuple[NDArray[np.bool_], ...] = ()


def participation_equilibrium(
    p: Parameters,
    members: Members,
    *,
    leader_capacity: float = np.inf,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> ParticipationEquilibrium:
    r"""A pure Nash equilibrium of members' participation and the leader's allocation.

    Parameters
    ----------
    p : Parameters
        Scalar parameters (as for :func:`allocate_sinking`).
    members : Members
        The N members.
    leader_capacity : float, default inf
        :math:`\bar S`, the leader's doctor-days per year (dd/yr).
    max_iter : int, default 100
        Most passes of best responses over the members.
    tol : float, default 1e-9
        A member switches only if it gains more than ``tol`` times ``1 + |O_Pj|``.

    Returns
    -------
    ParticipationEquilibrium
        ``.active``, the ``.allocation`` given it and each member's ``.deviation_gain``;
        ``success=False`` with the ``.cycle`` when best responses cycle.

    Raises
    ------
    ValueError
        For array-valued ``p``, a bad ``leader_capacity``, ``max_iter < 1`` or ``tol``
        outside [0, 1e-3].
    TypeError
        If ``members`` is not a :class:`~compensation.model.members.Members`.

    Notes
    -----
    MODEL.md §10. From all active, each member in turn switches if its objective
    :math:`O_{Pj} = (1-\eta)\Pi_{Pj} + \eta(\Pi_L + \sum_k \Pi_{Pk})` rises once the leader
    re-allocates, :math:`s(e)` being :func:`allocate_sinking` given the profile :math:`e`. A
    pass without a switch is a pure Nash equilibrium, certified by ``deviation_gain``:

    .. math:: O_{Pj}(s(e), e) \ge O_{Pj}(s(e^{(j)}), e^{(j)}) \quad \text{for every } j,

    :math:`e^{(j)}` being :math:`e` with j switched. A profile met twice is a cycle.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.allocation import participation_equilibrium
    >>> p = Parameters(price=0.03, subsidy=0.2, primary_margin=0.01)
    >>> m = Members(name=["A", "B"], visits=60_000, travel_cost=[0.0, 0.01])
    >>> r = participation_equilibrium(p, m, leader_capacity=300)
    >>> r.success, r.active.tolist(), r.allocation.sinking.tolist()
    (True, [True, False], [300.0, 0.0])
    >>> far = participation_equilibrium(p, m.replace(readiness_cost=[1000.0, 2.0]),
    ...                                 leader_capacity=300)
    >>> far.active.tolist(), far.allocation.sinking.tolist()
    ([False, True], [0.0, 300.0])
    """
    cap = _capacity(p, members, leader_capacity, "participation_equilibrium")
    if int(max_iter) < 1:
        raise ValueError(f"max_iter must be ≥ 1; got {max_iter!r}")
    tol = check_tol("tol", tol, allow_zero=True)
    n = len(members)
    idx = np.arange(n)
    prep = _prepare(p, members, np.concatenate([idx, idx]), np.repeat([1.0, 0.0], n), GRID)

    def objective(e: NDArray[np.bool_]) -> Array:
        s = _allocate(prep, np.where(e, idx, n + idx), cap)[0]
        return consortium_payoffs(p, members, s, e).primary_objective

    e, gain, history = np.ones(n, dtype=bool), np.full(n, np.nan), [np.ones(n, dtype=bool)]
    obj, cycle, sweep = objective(e), None, 0
    while cycle is None and sweep < int(max_iter):
        sweep += 1
        switched = False
        for j in range(n):
            dev = e.copy()
            dev[j] = not e[j]
            obj_dev = objective(dev)
            gain[j] = obj_dev[j] - obj[j]
            if gain[j] > tol * (1 + abs(obj[j])):
                e, obj, switched = dev, obj_dev, True
                gain[:] = np.nan
                seen = [k for k, past in enumerate(history) if np.array_equal(past, e)]
                history.append(e.copy())
                if seen:
                    cycle = tuple(history[seen[0] :])
                    break
        if not switched:
            cycle = ()
    alloc = _certify(p, members, prep, active=e, cap=cap)
    if cycle == ():
        message = f"pure Nash equilibrium: {int(e.sum())} of {n} members active"
    elif cycle is None:
        message = f"no equilibrium within max_iter={sweep} passes"
    else:
        message = f"best responses cycle through {len(cycle) - 1} participation profiles"
    return ParticipationEquilibrium(e, alloc, gain, cycle == (), message, sweep, cycle or ())
