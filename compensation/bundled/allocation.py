r"""Splitting a retained surplus among consortium members by linear programming (MODEL.md §7).

Every constraint has a name ("floor[center A]", "core{leader, center B}", …) so that the result
can say which ones bind and an infeasible problem can say which ones conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_choice, check_domain
from ..exceptions import InfeasibleError
from ..solvers import _lp
from ..solvers.cooperative import TUGame

__all__ = ["Allocation", "split_surplus"]

OBJECTIVES = ("l1-to-scores", "max-min", "least-core")
MAX_GAME_PLAYERS = 16


@dataclass(frozen=True)
class Allocation:
    r"""Result of :func:`split_surplus`.

    Attributes
    ----------
    shares : ndarray
        Amount for each member (万元); sums to the surplus.
    target : ndarray
        Score-proportional target :math:`R s_j / \sum s`.
    binding : tuple of str
        Names of the inequality constraints that hold with equality.
    objective : str
        The objective used.
    objective_value : float
        Its optimal value (L1 distance, minimum weighted share, or least-core epsilon).
    names : tuple of str
        Member names.
    """

    shares: NDArray[np.float64]
    target: NDArray[np.float64]
    binding: tuple[str, ...]
    objective: str
    objective_value: float
    names: tuple[str, ...]

    def __repr__(self) -> str:
        parts = ", ".join(f"{n}: {v:.6g}" for n, v in zip(self.names, self.shares))
        return f"Allocation({parts}; {self.objective}={self.objective_value:.6g})"


@dataclass
class _Rows:
    A: list[NDArray[np.float64]]
    b: list[float]
    names: list[str]

    def add(self, row: NDArray[np.float64], rhs: float, name: str) -> None:
        self.A.append(row)
        self.b.append(rhs)
        self.names.append(name)


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
        :math:`R`, the amount to split (万元), ≥ 0.
    scores : array_like, shape (m,)
        Performance scores :math:`s_j \ge 0` (e.g. from :func:`performance_scores`), not all 0.
    game : TUGame, optional
        Coalition values; adds participation :math:`x_j \ge v(\{j\})` and core constraints
        :math:`x(T) \ge v(T)` for every coalition (up to 16 members).
    floors, caps : array_like, shape (m,), optional
        Minimum and maximum amounts per member (万元); ``inf`` for no cap.
    group_floors : mapping, optional
        ``{"primary care": ([1, 2, 3, 4], 0.4)}``: the members listed get together at least
        that share of :math:`R`.
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

    Raises
    ------
    InfeasibleError
        With ``.constraints`` naming an irreducible set of conflicting constraints.

    Notes
    -----
    Ties are broken deterministically: among optimal solutions, the one closest to the targets
    in the largest deviation, then in total deviation.

    Examples
    --------
    >>> from compensation import split_surplus
    >>> a = split_surplus(100.0, [0.9, 0.6, 0.3], floors=[0, 30, 0],
    ...                   names=["leader", "centre A", "centre B"])
    >>> a.shares.round(6).tolist(), a.binding
    ([50.0, 33.333333, 16.666667], ())
    >>> split_surplus(100.0, [0.9, 0.6, 0.3], floors=[0, 40, 0]).binding
    ('floor[member 1]',)
    """
    check_choice("objective", objective, OBJECTIVES)
    R = float(check_domain("surplus", surplus, "nonneg", "万元"))
    s = check_domain("scores", scores, "nonneg")
    if s.ndim != 1 or s.size == 0 or s.sum() <= 0:
        raise ValueError(f"scores must be a 1-D array of values ≥ 0, not all 0; got {s.tolist()}")
    m = s.size
    if game is not None:
        if game.n != m:
            raise ValueError(f"game has {game.n} players but scores has {m} members")
        if m > MAX_GAME_PLAYERS:
            raise ValueError(
                f"core constraints are enumerated for at most {MAX_GAME_PLAYERS} members; got {m}"
            )
    if objective == "least-core" and game is None:
        raise ValueError("objective='least-core' needs a game")
    label = (
        tuple(names)
        if names is not None
        else (game.names if game is not None else tuple(f"member {j}" for j in range(m)))
    )
    if len(label) != m:
        raise ValueError(f"names must have {m} entries; got {len(label)}")
    target = R * s / s.sum()

    # Variables: x (m), then one auxiliary z (d for L1 uses m more).
    n_aux = m if objective == "l1-to-scores" else 1
    nv = m + n_aux
    hard = _Rows([], [], [])
    if floors is not None:
        lo = check_domain("floors", floors, "nonneg", "万元")
        _length("floors", lo, m)
        for j in range(m):
            if lo[j] > 0:
                hard.add(-_unit(nv, j), -lo[j], f"floor[{label[j]}]")
    if caps is not None:
        hi = np.asarray(caps, dtype=float)
        _length("caps", hi, m)
        if np.isnan(hi).any() or (hi < 0).any():
            raise ValueError(f"caps must be ≥ 0 (万元; inf for none); got {hi.tolist()}")
        for j in range(m):
            if np.isfinite(hi[j]):
                hard.add(_unit(nv, j), hi[j], f"cap[{label[j]}]")
    for gname, (members, share) in (group_floors or {}).items():
        share = float(check_domain(f"group_floors[{gname!r}] share", share, "share"))
        row = np.zeros(nv)
        idx = list(members)
        if not idx or any(not 0 <= int(k) < m for k in idx):
            raise ValueError(f"group_floors[{gname!r}] must list members among 0..{m - 1}")
        row[idx] = -1.0
        hard.add(row, -share * R, f"group_floor[{gname}]")
    coalition_rows = _Rows([], [], [])
    if game is not None:
        full = (1 << m) - 1
        for t in range(1, full):
            members = [j for j in range(m) if (t >> j) & 1]
            row = np.zeros(nv)
            row[members] = -1.0
            name = (
                f"participation[{label[members[0]]}]"
                if len(members) == 1
                else "core{" + ", ".join(label[j] for j in members) + "}"
            )
            coalition_rows.add(row, -float(game.v[t]), name)

    c = np.zeros(nv)
    objective_rows = _Rows([], [], [])
    if objective == "l1-to-scores":
        c[m:] = 1.0
        for j in range(m):
            d = np.zeros(nv)
            d[j], d[m + j] = 1.0, -1.0
            objective_rows.add(d, target[j], "")
            d = np.zeros(nv)
            d[j], d[m + j] = -1.0, -1.0
            objective_rows.add(d, -target[j], "")
    elif objective == "max-min":
        c[m] = -1.0
        for j in range(m):
            if s[j] > 0:
                row = np.zeros(nv)
                row[j], row[m] = -1.0, s[j] / s.sum()
                objective_rows.add(row, 0.0, "")
    else:
        c[m] = 1.0
        for row, rhs in zip(coalition_rows.A, coalition_rows.b):
            r = row.copy()
            r[m] = -1.0
            objective_rows.add(r, rhs, "")
    constraint_rows = hard.A + (coalition_rows.A if objective != "least-core" else [])
    constraint_b = hard.b + (coalition_rows.b if objective != "least-core" else [])
    constraint_names = hard.names + (coalition_rows.names if objective != "least-core" else [])
    eq = np.zeros((1, nv))
    eq[0, :m] = 1.0
    bounds: list[tuple[float | None, float | None]] = [(0.0, None)] * m + [(None, None)] * n_aux

    def run(cost: NDArray, extra_A: list, extra_b: list) -> _lp.LPResult:
        A = np.array(constraint_rows + objective_rows.A + extra_A, dtype=float).reshape(-1, nv)
        b = np.array(constraint_b + objective_rows.b + extra_b, dtype=float)
        return _lp.solve(
            cost, A if len(A) else None, b if len(A) else None, eq, np.array([R]), bounds, solver
        )

    res = run(c, [], [])
    if res.status == 2:
        conflict = _conflict(
            constraint_rows, constraint_b, constraint_names, eq, R, bounds, m, solver
        )
        raise InfeasibleError(
            f"no split of {R:g} satisfies these constraints together with Σ shares = {R:g}: "
            + ", ".join(conflict),
            conflict,
        )
    if res.status != 0:  # pragma: no cover - bounded by construction
        raise RuntimeError(f"allocation LP failed: {res.message}")
    best = res.fun
    base_A = constraint_rows + objective_rows.A
    base_b = constraint_b + objective_rows.b
    # Deterministic tie-break: keep the objective within rounding, then move as close to the
    # targets as possible, first in the largest deviation, then in the total deviation.
    slack = 1e-9 * max(1.0, abs(best), R)
    x = _closest(base_A, base_b, c, best + slack, eq, R, bounds, target, m, solver, res.x)
    shares = x[:m].copy()
    shares += (R - shares.sum()) / m  # exact efficiency after floating-point solving
    value = best if objective != "max-min" else -best
    tol = 1e-7 * max(1.0, R)
    binding = tuple(
        name
        for row, rhs, name in zip(constraint_rows, constraint_b, constraint_names)
        if abs(float(row[:m] @ shares) - rhs) <= tol
    )
    return Allocation(shares, target, binding, objective, float(value), label)


def _closest(
    base_A: list,
    base_b: list,
    c: NDArray,
    bound: float,
    eq: NDArray,
    R: float,
    bounds: list,
    target: NDArray,
    m: int,
    solver: str,
    x0: NDArray,
) -> NDArray:
    """Return the optimum whose sorted deviations from the targets are lexicographically least.

    Among solutions with c @ x <= bound this one is unique. Like the nucleolus: minimise the
    largest deviation u, fix the members whose deviation is u in every optimal solution
    (positive dual), and repeat with the others.
    """
    nv = len(c)
    fixed: dict[int, float] = {}
    x = x0
    tol = 1e-9 * max(1.0, R)
    for _ in range(m):
        free = [j for j in range(m) if j not in fixed]
        if not free:
            break
        total = nv + 1
        rows = [np.concatenate([row, [0.0]]) for row in base_A]
        rows.append(np.concatenate([c, [0.0]]))
        rhs = [*base_b, bound]
        dev_rows = []
        for j in free:
            for sign in (1.0, -1.0):
                r = np.zeros(total)
                r[j], r[nv] = sign, -1.0
                dev_rows.append((j, len(rows)))
                rows.append(r)
                rhs.append(sign * target[j])
        eq_rows = [np.concatenate([eq[0], [0.0]])]
        eq_rhs = [R]
        for j, val in fixed.items():
            r = np.zeros(total)
            r[j] = 1.0
            eq_rows.append(r)
            eq_rhs.append(val)
        cost = np.zeros(total)
        cost[nv] = 1.0
        res = _lp.solve(
            cost,
            np.array(rows),
            np.array(rhs),
            np.array(eq_rows),
            np.array(eq_rhs),
            [*bounds, (0.0, None)],
            solver,
        )
        if res.status != 0:
            break
        x = res.x[:nv]
        u = res.x[nv]
        pinned = {j for j, k in dev_rows if res.ineq_duals[k] > 1e-12}
        if u <= tol or not pinned:
            break
        for j in pinned:
            fixed[j] = float(x[j])
    return x


def _conflict(
    rows: list, b: list, names: list, eq: NDArray, R: float, bounds: list, m: int, solver: str
) -> tuple[str, ...]:
    """Deletion filter: an irreducible subset of named constraints that is infeasible."""
    nv = eq.shape[1]
    keep = list(range(len(rows)))

    def feasible(idx: list[int]) -> bool:
        A = np.array([rows[i] for i in idx]).reshape(-1, nv)
        res = _lp.solve(
            np.zeros(nv),
            A if idx else None,
            np.array([b[i] for i in idx]) if idx else None,
            eq,
            np.array([R]),
            [(0.0, None)] * m + [(None, None)] * (nv - m),
            solver,
        )
        return res.status == 0

    for i in list(keep):
        trial = [k for k in keep if k != i]
        if not feasible(trial):
            keep = trial
    found = tuple(names[i] for i in keep)
    return found if found else ("shares ≥ 0",)


def _length(name: str, arr: NDArray, m: int) -> None:
    if arr.shape != (m,):
        raise ValueError(f"{name} must have one entry per member ({m}); got shape {arr.shape}")


def _unit(n: int, j: int) -> NDArray[np.float64]:
    e = np.zeros(n)
    e[j] = 1.0
    return e
