r"""Members setting their own internal prices: the price game among members (MODEL.md §5, §10).

In the primary-led alliance every active member j sets the price :math:`w_j` it pays the
leader per doctor-day, all at once; the leader then allocates its doctor-days
(:func:`~compensation.policy.allocation.allocate_sinking`). Members compete for the leader's
doctors through its cost :math:`C(S)` and its capacity :math:`\bar S`: a higher price buys
member j a larger share and raises the leader's marginal cost for the others. A pure Nash
equilibrium of the prices is found by best-response iteration (each best response a scalar
search over the member's own price, scanned globally and refined), and certified: no member
gains by moving its price anywhere on a fine grid. A cycle, or prices still moving at the
iteration cap (as when two members outbid each other for scarce capacity), is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .._results import Result
from .._validation import check_count, check_tol
from ..model.members import Members
from ..model.parameters import Parameters
from ._member_hull import Array
from ._member_prices import Market, best_response, price_bracket
from .allocation import allocate_sinking
from .allocation_result import SinkingAllocation, check_capacity, check_participation

__all__ = ["PriceEquilibrium", "price_equilibrium"]

CHECK_POINTS = 201  # own prices on the certificate's grid


@dataclass(frozen=True)
class PriceEquilibrium(Result):
    r"""Members' internal prices and the leader's allocation (MODEL.md §5, §10).

    Attributes
    ----------
    price : ndarray
        :math:`w_j` per member (万元/dd; may be negative: the leader pays the member). Passive
        members pay no price; theirs is the table's and plays no part.
    allocation : SinkingAllocation
        The leader's allocation at ``price``, recomputed by :func:`allocate_sinking` with its
        duality gap (the leader's certificate).
    objective : ndarray
        Each member's objective :math:`O_{Pj}` at the equilibrium (万元/yr).
    price_gain : ndarray
        The most each active member's objective gains by another own price, the others
        fixed, on a grid of 201 prices across the range where its allocation changes,
        and at its refined best response (万元/yr; 0 for passive members).
    success : bool
        True when best responses converged and no gain exceeds
        :math:`tol (1 + |O_{Pj}| + (1 + |w_j|) s_j)`: rounding, or a price change of relative
        size ``tol``.
    message : str
        What was found, or the cycle or iteration cap met.
    iterations : int
        Passes over the members.
    cycle : tuple of ndarray
        Price profiles of a best-response cycle (empty unless one was met).
    """

    price: Array
    allocation: SinkingAllocation
    objective: Array
    price_gain: Array
    success: bool
    message: str
    iterations: int
    cycle: tuple[Array, ...] = ()


def solve_prices(
    mk: Market, g: Array, w0: Array, *, max_iter: int = 50, tol: float = 1e-9, local: bool = False
) -> tuple[Array, int, bool, tuple[Array, ...]]:
    """Best-response iteration (members in turn) from ``w0``: prices, passes, converged, cycle.

    ``local`` searches near the current prices only (warm starts; certify afterwards).
    """
    w = np.array(w0, dtype=float)
    active = np.nonzero(mk.e & (mk.factor > 0))[0]
    history = [w.copy()]
    for it in range(1, max_iter + 1):
        moved, jumped = False, False
        for j in active:
            # After a first global pass, prices move little: search near them (a best reply
            # at the window's edge falls back to the global scan).
            new, top, now = best_response(mk, w, g, int(j), local=local or it > 1)
            # A bid a hair above a rival's moves the price by little and the payoff by much.
            if abs(new - w[j]) > tol * (1 + abs(w[j])) or top > now + tol * (1 + abs(now)):
                moved = True
            jumped |= top > now + 1e-6 * (1 + abs(now))
            w[j] = new
        if not moved:
            return w, it, True, ()
        # A cycle: back where it was, by moves that pay (a converging sequence also comes
        # close to its earlier terms, but its moves gain next to nothing).
        scale = tol * (1 + np.abs(w))
        for k, old in enumerate(history[:-1]):
            if jumped and np.all(np.abs(old - w) <= 100 * scale):
                return w, it, False, tuple(history[k:])
        history.append(w.copy())
    return w, max_iter, False, ()


def price_gains(mk: Market, g: Array, w: Array, points: int = CHECK_POINTS) -> Array:
    """Each active member's best gain from another own price on a fine grid (the certificate)."""
    base = mk.play(w, g).objective
    gains = np.zeros(len(w))
    for j in np.nonzero(mk.e & (mk.factor > 0))[0]:
        lo, hi = price_bracket(mk, w, g, int(j))
        trial = w.copy()
        best = -np.inf
        for x in np.concatenate(
            [np.linspace(lo, hi, points), [best_response(mk, w, g, int(j))[0]]]
        ):
            trial[j] = x
            best = max(best, float(mk.play(trial, g).objective[j]))
        gains[j] = best - base[j]
    return gains


def price_equilibrium(
    p: Parameters,
    members: Members,
    *,
    participation: ArrayLike | None = None,
    leader_capacity: float = np.inf,
    start: ArrayLike | None = None,
    max_iter: int = 50,
    tol: float = 1e-9,
) -> PriceEquilibrium:
    r"""A pure Nash equilibrium of the members' internal prices, the leader allocating.

    Parameters
    ----------
    p : Parameters
        Scalar parameters; the subsidies :math:`g_j` are the members' ``subsidy`` column
        (default ``p.subsidy``). ``p.price`` and the ``price`` column are only the start.
    members : Members
        The N members.
    participation : array_like of bool, optional
        Which members are active (default all); passive members set no price.
    leader_capacity : float, default inf
        :math:`\bar S` (dd/yr).
    start : array_like, optional
        Starting prices (default the table's prices).
    max_iter : int, default 50
        Most passes of best responses over the members, ≥ 1.
    tol : float, default 1e-9
        Relative tolerance of price convergence and of the certificate, in (0, 1e-3].

    Returns
    -------
    PriceEquilibrium
        Prices, the leader's certified allocation, members' objectives and each member's
        largest gain from a price deviation.

    Raises
    ------
    ValueError
        For array-valued ``p``, a bad ``participation``, ``start``, ``max_iter`` or ``tol``.

    Notes
    -----
    Member j solves :math:`\max_{w_j} O_{Pj}(s(w), w_j)`, :math:`s(w)` the leader's
    allocation (MODEL.md §10), with
    :math:`O_{Pj} = (1 - \eta)\Pi_{Pj} + \eta (\Pi_L + \sum_k \Pi_{Pk})` and
    :math:`\Pi_{Pj} = k_{Pj} V_j(s_j) f(e_j) - (w_j + c_{Pj}) s_j e_j - K_{Pj} e_j + g_{Pj} e_j`.
    With N = 1 this is the primary-led price of MODEL.md §5: for the linear flow,
    :math:`s = \alpha (g + M_1)` with :math:`\alpha = 1 / (2 c_2)` at :math:`\eta = 0`
    (pass-through ½). With several members the leader's marginal cost of a doctor-day at j,
    :math:`\mu`, rises with the others' allocations, so each member faces its own supply
    curve. With piecewise-linear member terms a member buys priority by a price a hair
    (relative 1e-10) above a tie with another member's marginal value; where two members
    keep outbidding each other no pure equilibrium exists and ``success`` is False.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.model.members import Members
    >>> from compensation.policy.member_prices import price_equilibrium
    >>> p = Parameters(subsidy=0.3, primary_margin=0.01)
    >>> m = Members(name=["A", "B"], visits=[150_000, 60_000], host_capacity=[100, 150],
    ...             travel_cost=[0.0, 0.02])
    >>> r = price_equilibrium(p, m)
    >>> r.success, r.price.round(4).tolist(), r.allocation.sinking.round(1).tolist()
    (True, [-0.087, -0.1048], [100.0, 150.0])
    """
    cap = check_capacity(p, members, leader_capacity, "price_equilibrium")
    tol = check_tol("tol", tol)
    max_iter = check_count("max_iter", max_iter)
    n = len(members)
    e = check_participation(participation, n)
    w0 = members.column("price", p) if start is None else np.asarray(start, dtype=float)
    if w0.shape != (n,) or not np.all(np.isfinite(w0)):
        raise ValueError(f"start must hold one finite price per member ({n}); got {start!r}")
    g = np.array(members.column("subsidy", p), dtype=float)
    mk = Market.build(p, members, e, cap)
    return equilibrium_result(mk, g, np.array(w0, float), max_iter=max_iter, tol=tol)


def equilibrium_result(
    mk: Market, g: Array, w0: Array, *, max_iter: int = 50, tol: float = 1e-9
) -> PriceEquilibrium:
    """Solve from ``w0`` at subsidies ``g``, certify, and recompute the leader's allocation."""
    w, it, converged, cycle = solve_prices(mk, g, w0, max_iter=max_iter, tol=tol)
    play = mk.play(w, g)
    gains = price_gains(mk, g, w)
    ok = bool(converged and np.all(gains <= gain_tolerance(play, w, tol)))
    table = mk.members.replace(price=w, subsidy=g)
    alloc = allocate_sinking(mk.p, table, participation=mk.e, leader_capacity=mk.cap)
    # The search used the same allocation kernel on shifted hulls; at an exact tie between
    # members the two could order them differently, and the certificate would not apply.
    same = np.allclose(alloc.sinking, play.sinking, rtol=1e-9, atol=1e-9)
    ok &= bool(same)
    if not same:
        message = "the leader splits a tie between members otherwise than the search assumed"
    elif ok:
        message = f"price equilibrium after {it} passes; no member gains by another price"
    elif cycle:
        message = f"best responses cycle through {len(cycle)} price profiles: no equilibrium met"
    elif not converged:
        message = f"prices still moving after {it} passes (members outbidding each other?)"
    else:
        worst = int(np.argmax(gains))
        message = f"best responses stopped, but member {worst} gains {gains[worst]:.3g} 万元/yr"
    return PriceEquilibrium(
        price=w, allocation=alloc, objective=play.objective, price_gain=gains, success=ok,
        message=message, iterations=it, cycle=cycle,
    )  # fmt: skip


def gain_tolerance(play: Any, w: Array, tol: float) -> Array:
    r"""What a member may gain by another price at a converged profile (万元/yr).

    Prices converge to ``tol`` relative, so a member may be that far from its best price,
    worth up to :math:`tol (1 + |w_j|) s_j`, besides rounding of its objective.
    """
    return np.asarray(tol * (1 + np.abs(play.objective) + (1 + np.abs(w)) * play.sinking))
