r"""Splitting a retained surplus among consortium members by linear programming (MODEL.md §7).

Every constraint has a name ("floor[center A]", "core{leader, center B}", …) so that the result
can say which ones bind and an infeasible problem can say which ones conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_choice, check_domain
from ..exceptions import InfeasibleError
from ..solvers import _lp
from ..solvers.cooperative import TUGame
from ._split_lp import Problem, Rows, binding, closest, conflict, objective_rows, solve, unit

__all__ = ["Allocation", "split_surplus"]

OBJECTIVES = ("l1-to-scores", "max-min", "least-core")
MAX_GAME_PLAYERS = 16
#: The LP solver each ``solver`` option runs ("auto" is scipy's HiGHS).
METHODS = {"auto": "highs", "highs": "highs", "pulp-highs": "pulp-highs", "pulp-cbc": "pulp-cbc"}


@dataclass(frozen=True)
class Allocation(Result):
    r"""Result of :func:`split_surplus`; money in 万元.

    Attributes
    ----------
    shares : ndarray, shape (m,)
        :math:`x_j`, the amount for each member (万元); sums to the surplus :math:`R`.
    target : ndarray, shape (m,)
        Score-proportional target :math:`t_j = R s_j / \sum_k s_k` (万元).
    binding : tuple of str
        Names of the inequality constraints that hold with equality (within ``tol``).
    objective : str
        The objective used.
    objective_value : float
        Its optimal value: the L1 distance to the targets (万元), the smallest share per unit
        of normalised score (万元), or the least-core :math:`\varepsilon` (万元).
    names : tuple of str
        Member names.
    success : bool
        True: the LP was solved to optimality (an infeasible one raises instead).
    message : str
        The LP solver's own report.
    method : str
        The LP solver that ran: ``"highs"`` (scipy's HiGHS, what ``"auto"`` picks),
        ``"pulp-highs"`` or ``"pulp-cbc"``.
    tol : float
        Absolute tolerance (万元) within which a constraint counts as binding,
        :math:`10^{-7} \max(1, R)`.
    """

    shares: NDArray[np.float64]
    target: NDArray[np.float64]
    binding: tuple[str, ...]
    objective: str
    objective_value: float
    names: tuple[str, ...]
    success: bool = True
    message: str = ""
    method: str = "highs"
    tol: float = 1e-7


def split_surplus(
    surplus: float,
    scores: ArrayLike,
    *,
    game: TUGame | None = None,
    floors: ArrayLike | None = None,
    caps: ArrayLike | None = None,
    group_floors: Mapping[str, tuple[Sequence[int], float]] | None = None,
    objective: str = "l1-to-scores",
    names: Sequence[str] | None = None,
    solver: str = "auto",
) -> Allocation:
    r"""Split a surplus among members: close to performance, inside every constraint.

    Parameters
    ----------
    surplus : float
        :math:`R`, the amount to split (万元). Negative for a loss to share (合理超支分担):
        shares are then :math:`x_j \le 0`, what each member bears, and ``caps`` the most a
        member can lose.
    scores : array_like, shape (m,)
        Performance scores :math:`s_j \ge 0` (dimensionless, e.g. from
        :func:`performance_scores`), not all 0.
    game : TUGame, optional
        Coalition values (万元); adds participation :math:`x_j \ge v(\{j\})` and core
        constraints :math:`x(T) \ge v(T)` for every coalition (up to 16 members).
    floors, caps : array_like, shape (m,), optional
        Minimum and maximum amounts per member (万元), ≥ 0; ``inf`` for no cap. For a loss,
        ``caps`` bound each member's loss, :math:`x_j \ge -\bar c_j`, and floors are
        refused (a member's least loss is 0).
    group_floors : mapping, optional
        ``{"primary care": ([1, 2, 3, 4], 0.4)}``: the members listed (indices from 0) get
        together at least that share (in [0, 1]) of :math:`R` (a surplus only).
    objective : {"l1-to-scores", "max-min", "least-core"}
        Minimise :math:`\sum_j |x_j - t_j|` to the targets :math:`t_j = R s_j / \sum s`;
        maximise the smallest :math:`x_j / s_j`; or minimise the largest coalition excess
        :math:`v(T) - x(T)` (needs ``game``; core constraints then become soft).
    names : sequence of str, optional
        Member names (default: the game's names, else "member j").
    solver : {"auto", "highs", "pulp-highs", "pulp-cbc"}
        LP solver.

    Returns
    -------
    Allocation
        The shares with the binding constraints, the objective's value and the solver's
        report.

    Raises
    ------
    InfeasibleError
        No split satisfies the constraints; ``.constraints`` names an irreducible set of
        conflicting ones (for a loss larger than all caps together: every cap).
    ValueError
        An unknown ``objective`` or ``solver``; a non-finite ``surplus``; negative or
        non-finite ``scores``, ``floors`` or ``caps``; floors or group floors with a loss;
        arrays without one entry per member; a group
        naming no member or one out of range; ``objective="least-core"`` without a game; a
        game of another size than ``scores`` or of more than 16 members.
    ImportError
        A pulp solver without pulp (or HiGHS without highspy) installed.

    Notes
    -----
    With the default objective the LP is

    .. math::

        \min_{x, d} \sum_j d_j \quad \text{s.t.} \quad
        -d_j \le x_j - t_j \le d_j, \quad \sum_j x_j = R, \quad x_j \ge 0,

    plus every floor, cap, group floor and (with a game) :math:`x(T) \ge v(T)`; for a loss
    :math:`x_j \le 0` replaces :math:`x_j \ge 0` and a cap reads :math:`x_j \ge -\bar c_j`,
    so the loss is shared in proportion to the scores as far as the caps allow. Ties are
    broken deterministically: among optimal solutions, the one closest to the targets in the
    largest deviation, then in total deviation.

    Examples
    --------
    >>> from compensation import split_surplus
    >>> a = split_surplus(100.0, [0.9, 0.6, 0.3], floors=[0, 30, 0],
    ...                   names=["leader", "centre A", "centre B"])
    >>> a.shares.round(6).tolist(), a.binding
    ([50.0, 33.333333, 16.666667], ())
    >>> a.success, a.method
    (True, 'highs')
    >>> split_surplus(100.0, [0.9, 0.6, 0.3], floors=[0, 40, 0]).binding
    ('floor[member 1]',)

    A loss of 60 shared by the same weights, member 2 losing at most 5:

    >>> split_surplus(-60.0, [0.9, 0.6, 0.3], caps=[100, 100, 5]).shares.round(6).tolist()
    [-32.5, -22.5, -5.0]
    """
    check_choice("objective", objective, OBJECTIVES)
    check_choice("solver", solver, _lp.SOLVERS)
    R = float(check_domain("surplus", surplus, "real", "万元"))
    s = _check_scores(scores)
    m = s.size
    _check_game(game, m, objective)
    label = _member_names(names, game, m)
    loss = R < 0
    if loss:
        _check_loss(-R, floors, group_floors, caps, label)
    target = R * s / s.sum()
    width = m + (m if objective == "l1-to-scores" else 1)  # shares, then auxiliary variables
    hard = (
        _floor_rows(floors, label, width)
        + _cap_rows(caps, label, width, -1.0 if loss else 1.0)
        + _group_rows(group_floors, R, m, width)
    )
    coalitions = _coalition_rows(game, label, width)
    c, auxiliary = objective_rows(objective, s, target, coalitions, width)
    soft = objective == "least-core"  # the core enters the objective, not the constraints
    problem = Problem(
        m, R, target, c, hard if soft else hard + coalitions, auxiliary, solver, loss=loss
    )
    res = solve(problem, problem.c, problem.constraints + problem.auxiliary)
    if res.status == 2:
        named = conflict(problem)
        raise InfeasibleError(
            f"no split of {R:g} satisfies these constraints together with Σ shares = {R:g}: "
            + ", ".join(named),
            named,
        )
    if res.status != 0:  # pragma: no cover - bounded by construction
        raise RuntimeError(f"allocation LP failed: {res.message}")
    # Deterministic tie-break: keep the objective within rounding, then move as close to the
    # targets as possible, first in the largest deviation, then in the total deviation.
    slack = 1e-9 * max(1.0, abs(res.fun), abs(R))
    x = closest(problem, bound=res.fun + slack, x0=res.x)
    shares = x[:m].copy()
    shares += (R - shares.sum()) / m  # exact efficiency after floating-point solving
    tol = 1e-7 * max(1.0, abs(R))
    return Allocation(
        shares,
        target,
        binding(problem.constraints, shares, tol),
        objective,
        float(-res.fun if objective == "max-min" else res.fun),
        label,
        success=True,
        message=res.message,
        method=METHODS[solver],
        tol=tol,
    )


# ----- inputs ----------------------------------------------------------------------------------
def _check_scores(scores: ArrayLike) -> NDArray[np.float64]:
    s = check_domain("scores", scores, "nonneg")
    if s.ndim != 1 or s.size == 0 or s.sum() <= 0:
        raise ValueError(f"scores must be a 1-D array of values ≥ 0, not all 0; got {s.tolist()}")
    return s


def _check_game(game: TUGame | None, m: int, objective: str) -> None:
    if game is None:
        if objective == "least-core":
            raise ValueError("objective='least-core' needs a game")
        return
    if game.n != m:
        raise ValueError(f"game has {game.n} players but scores has {m} members")
    if m > MAX_GAME_PLAYERS:
        raise ValueError(
            f"core constraints are enumerated for at most {MAX_GAME_PLAYERS} members; got {m}"
        )


def _member_names(names: Sequence[str] | None, game: TUGame | None, m: int) -> tuple[str, ...]:
    if names is not None:
        label = tuple(names)
    elif game is not None:
        label = game.names
    else:
        label = tuple(f"member {j}" for j in range(m))
    if len(label) != m:
        raise ValueError(f"names must have {m} entries; got {len(label)}")
    return label


def _length(name: str, arr: NDArray[np.float64], m: int) -> None:
    if arr.shape != (m,):
        raise ValueError(f"{name} must have one entry per member ({m}); got shape {arr.shape}")


def _check_loss(
    loss: float,
    floors: ArrayLike | None,
    group_floors: Any,
    caps: ArrayLike | None,
    label: tuple[str, ...],
) -> None:
    """A loss takes no floors; caps that cannot cover it are named before any LP."""
    if floors is not None and np.any(np.asarray(floors, dtype=float) != 0):
        raise ValueError(
            "floors apply to a surplus; for a loss (negative surplus) use caps, the most each "
            "member can lose"
        )
    if group_floors:
        raise ValueError("group_floors apply to a surplus, not to a loss (negative surplus)")
    if caps is None:
        return
    hi = np.asarray(caps, dtype=float)
    if hi.shape == (len(label),) and not np.isnan(hi).any() and hi.sum() < loss:
        names = tuple(f"cap[{name}]" for name in label)
        raise InfeasibleError(
            f"the loss {loss:g} exceeds what the caps allow together ({hi.sum():g}): "
            + ", ".join(names),
            names,
        )


# ----- constraints -----------------------------------------------------------------------------
def _floor_rows(floors: ArrayLike | None, label: tuple[str, ...], width: int) -> Rows:
    r""":math:`x_j \ge` floor, written :math:`-x_j \le -` floor (zero floors add nothing)."""
    rows = Rows()
    if floors is None:
        return rows
    lo = check_domain("floors", floors, "nonneg", "万元")
    _length("floors", lo, len(label))
    for j in np.flatnonzero(lo > 0).tolist():
        rows.add(unit(width, j, -1.0), -lo[j], f"floor[{label[j]}]")
    return rows


def _cap_rows(caps: ArrayLike | None, label: tuple[str, ...], width: int, sign: float) -> Rows:
    r""":math:`x_j \le` cap for every finite cap; for a loss (sign -1) :math:`-x_j \le` cap."""
    rows = Rows()
    if caps is None:
        return rows
    hi = np.asarray(caps, dtype=float)
    _length("caps", hi, len(label))
    if np.isnan(hi).any() or (hi < 0).any():
        raise ValueError(f"caps must be ≥ 0 (万元; inf for none); got {hi.tolist()}")
    for j in np.flatnonzero(np.isfinite(hi)).tolist():
        rows.add(unit(width, j, sign), hi[j], f"cap[{label[j]}]")
    return rows


def _group_rows(
    group_floors: Mapping[str, tuple[Sequence[int], float]] | None, R: float, m: int, width: int
) -> Rows:
    r""":math:`\sum_{j \in G} x_j \ge` share × R for each group."""
    rows = Rows()
    for gname, (members, share) in (group_floors or {}).items():
        share = float(check_domain(f"group_floors[{gname!r}] share", share, "share"))
        idx = list(members)
        if not idx or any(not 0 <= int(k) < m for k in idx):
            raise ValueError(f"group_floors[{gname!r}] must list members among 0..{m - 1}")
        row = np.zeros(width)
        row[idx] = -1.0
        rows.add(row, -share * R, f"group_floor[{gname}]")
    return rows


def _coalition_rows(game: TUGame | None, label: tuple[str, ...], width: int) -> Rows:
    r""":math:`x(T) \ge v(T)` for every proper coalition: participation for single members."""
    rows = Rows()
    if game is None:
        return rows
    m = len(label)
    for t in range(1, (1 << m) - 1):
        members = [j for j in range(m) if (t >> j) & 1]
        row = np.zeros(width)
        row[members] = -1.0
        if len(members) == 1:
            name = f"participation[{label[members[0]]}]"
        else:
            name = "core{" + ", ".join(label[j] for j in members) + "}"
        rows.add(row, -float(game.v[t]), name)
    return rows
