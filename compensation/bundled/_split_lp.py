r"""The surplus-split LP (MODEL.md §7): named rows, objectives, tie-break and conflicts.

Private to :mod:`compensation.bundled.allocation`, which builds the named constraints; here
are the rows that linearise each objective, the solve, the deterministic tie-break among
optima and the deletion filter that names an infeasible set of constraints.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from ..solvers import _lp


@dataclass
class Rows:
    """Inequality rows ``A x <= b``, each with a name (empty for auxiliary rows)."""

    A: list[NDArray[np.float64]] = field(default_factory=list)
    b: list[float] = field(default_factory=list)
    names: list[str] = field(default_factory=list)

    def add(self, row: NDArray[np.float64], rhs: float, name: str = "") -> None:
        self.A.append(row)
        self.b.append(float(rhs))
        self.names.append(name)

    def __add__(self, other: Rows) -> Rows:
        return Rows(self.A + other.A, self.b + other.b, self.names + other.names)

    def matrix(self, width: int) -> tuple[NDArray[np.float64] | None, NDArray[np.float64] | None]:
        """``(A, b)`` as arrays, or ``(None, None)`` when there is no row."""
        if not self.A:
            return None, None
        return np.array(self.A, dtype=float).reshape(-1, width), np.array(self.b, dtype=float)


@dataclass(frozen=True)
class Problem:
    r"""The allocation LP: minimise ``c @ x`` s.t. the rows, :math:`\sum_j x_j = R`, ``x >= 0``.

    With a loss (:math:`R < 0`) the shares are :math:`x_j \le 0` instead.

    Variables are the ``m`` shares, then the objective's auxiliary variables (free).
    ``constraints`` are the named rows (reported as binding or conflicting); ``auxiliary`` the
    rows that linearise the objective.
    """

    m: int
    R: float
    target: NDArray[np.float64]
    c: NDArray[np.float64]
    constraints: Rows
    auxiliary: Rows
    solver: str
    loss: bool = False  # a negative amount: shares are ≤ 0 (what each member bears)

    @property
    def width(self) -> int:
        return len(self.c)

    @property
    def efficiency(self) -> NDArray[np.float64]:
        r"""The row of :math:`\sum_j x_j = R`."""
        eq = np.zeros((1, self.width))
        eq[0, : self.m] = 1.0
        return eq

    @property
    def bounds(self) -> list[tuple[float | None, float | None]]:
        share: tuple[float | None, float | None] = (None, 0.0) if self.loss else (0.0, None)
        return [share] * self.m + [(None, None)] * (self.width - self.m)


def unit(n: int, j: int, value: float = 1.0) -> NDArray[np.float64]:
    e = np.zeros(n)
    e[j] = value
    return e


# ----- objectives ------------------------------------------------------------------------------
def objective_rows(
    objective: str,
    s: NDArray[np.float64],
    target: NDArray[np.float64],
    coalitions: Rows,
    width: int,
) -> tuple[NDArray[np.float64], Rows]:
    """Cost vector and the auxiliary rows that linearise ``objective``."""
    if objective == "l1-to-scores":
        return l1_rows(target, width)
    if objective == "max-min":
        return max_min_rows(s, width)
    return least_core_rows(coalitions, s.size, width)


def l1_rows(target: NDArray[np.float64], width: int) -> tuple[NDArray[np.float64], Rows]:
    r""":math:`\min \sum_j d_j` with :math:`\pm(x_j - t_j) \le d_j`."""
    m = target.size
    c = np.zeros(width)
    c[m:] = 1.0
    rows = Rows()
    for j in range(m):
        for sign in (1.0, -1.0):
            d = np.zeros(width)
            d[j], d[m + j] = sign, -1.0
            rows.add(d, sign * target[j])
    return c, rows


def max_min_rows(s: NDArray[np.float64], width: int) -> tuple[NDArray[np.float64], Rows]:
    r""":math:`\max z` with :math:`z\, s_j / \sum s \le x_j` for members with a score."""
    m = s.size
    c = unit(width, m, -1.0)
    rows = Rows()
    for j in np.flatnonzero(s > 0).tolist():
        row = np.zeros(width)
        row[j], row[m] = -1.0, s[j] / s.sum()
        rows.add(row, 0.0)
    return c, rows


def least_core_rows(coalitions: Rows, m: int, width: int) -> tuple[NDArray[np.float64], Rows]:
    r""":math:`\min \varepsilon` with :math:`v(T) - x(T) \le \varepsilon` for every T."""
    c = unit(width, m)
    rows = Rows()
    for row, rhs in zip(coalitions.A, coalitions.b):
        r = row.copy()
        r[m] = -1.0
        rows.add(r, rhs)
    return c, rows


# ----- solving ---------------------------------------------------------------------------------
def solve(problem: Problem, cost: NDArray[np.float64], rows: Rows) -> _lp.LPResult:
    """Minimise ``cost @ x`` subject to ``rows``, efficiency and the variables' bounds."""
    A, b = rows.matrix(problem.width)
    return _lp.solve(
        cost,
        A_ub=A,
        b_ub=b,
        A_eq=problem.efficiency,
        b_eq=np.array([problem.R]),
        bounds=problem.bounds,
        method=problem.solver,
    )


def binding(constraints: Rows, shares: NDArray[np.float64], tol: float) -> tuple[str, ...]:
    m = shares.size
    return tuple(
        name
        for row, rhs, name in zip(constraints.A, constraints.b, constraints.names)
        if abs(float(row[:m] @ shares) - rhs) <= tol
    )


def closest(problem: Problem, *, bound: float, x0: NDArray[np.float64]) -> NDArray[np.float64]:
    """Return the optimum whose sorted deviations from the targets are lexicographically least.

    Among solutions with ``c @ x <= bound`` this one is unique. Like the nucleolus: minimise
    the largest deviation u, fix the members whose deviation is u in every optimal solution
    (positive dual), and repeat with the others.
    """
    fixed: dict[int, float] = {}
    x = x0
    tol = 1e-9 * max(1.0, abs(problem.R))
    for _ in range(problem.m):
        free = [j for j in range(problem.m) if j not in fixed]
        if not free:
            break
        res, deviation_rows = largest_deviation(problem, bound=bound, free=free, fixed=fixed)
        if res.status != 0:
            break
        x = res.x[: problem.width]
        pinned = {j for j, k in deviation_rows if res.ineq_duals[k] > 1e-12}
        if res.x[problem.width] <= tol or not pinned:
            break
        for j in pinned:
            fixed[j] = float(x[j])
    return x


def largest_deviation(
    problem: Problem, *, bound: float, free: list[int], fixed: dict[int, float]
) -> tuple[_lp.LPResult, list[tuple[int, int]]]:
    r"""Minimise u with :math:`|x_j - t_j| \le u` over the free members, the others fixed.

    Returns the LP's result and, for each free member, the index of its deviation rows.
    """
    total = problem.width + 1  # one more variable: u
    rows = [np.append(row, 0.0) for row in problem.constraints.A + problem.auxiliary.A]
    rows.append(np.append(problem.c, 0.0))
    rhs = [*problem.constraints.b, *problem.auxiliary.b, bound]
    deviation_rows = []
    for j in free:
        for sign in (1.0, -1.0):
            r = np.zeros(total)
            r[j], r[-1] = sign, -1.0
            deviation_rows.append((j, len(rows)))
            rows.append(r)
            rhs.append(sign * problem.target[j])
    eq_rows = [np.append(problem.efficiency[0], 0.0)] + [unit(total, j) for j in fixed]
    eq_rhs = [problem.R, *fixed.values()]
    cost = unit(total, problem.width)
    res = _lp.solve(
        cost,
        A_ub=np.array(rows),
        b_ub=np.array(rhs),
        A_eq=np.array(eq_rows),
        b_eq=np.array(eq_rhs),
        bounds=[*problem.bounds, (0.0, None)],
        method=problem.solver,
    )
    return res, deviation_rows


def conflict(problem: Problem) -> tuple[str, ...]:
    """Deletion filter: an irreducible subset of named constraints that is infeasible."""
    rows = problem.constraints
    zero = np.zeros(problem.width)

    def feasible(idx: list[int]) -> bool:
        subset = Rows([rows.A[i] for i in idx], [rows.b[i] for i in idx], [])
        return solve(problem, zero, subset).status == 0

    keep = list(range(len(rows.A)))
    for i in list(keep):
        trial = [k for k in keep if k != i]
        if not feasible(trial):
            keep = trial
    found = tuple(rows.names[i] for i in keep)
    return found if found else ("shares ≤ 0",) if problem.loss else ("shares ≥ 0",)
