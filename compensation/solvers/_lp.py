"""Linear programmes in one place: scipy's HiGHS, or pulp with HiGHS or CBC.

Every LP here is small and dense (coalition constraints are generated lazily), so the solver
interface takes arrays. ``"auto"`` picks scipy's built-in HiGHS: the same solver as pulp's
HiGHS without the modelling layer, which costs more than the solve on these LPs (measured in
``benchmarks/bench_cooperative.py``).

Call ``solve(c, A_ub=..., b_ub=..., A_eq=..., b_eq=..., bounds=..., method=...)``: everything
after the cost vector is keyword-only, so a row block cannot be passed in the wrong place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from .._validation import check_choice

SOLVERS = ("auto", "highs", "pulp-highs", "pulp-cbc")

Bounds = list[tuple[float | None, float | None]]


class LP(NamedTuple):
    """min c @ x s.t. A_ub @ x <= b_ub, A_eq @ x == b_eq, bounds; absent blocks are None."""

    c: NDArray
    A_ub: NDArray | None
    b_ub: NDArray | None
    A_eq: NDArray | None
    b_eq: NDArray | None
    bounds: Bounds


@dataclass(frozen=True)
class LPResult:
    x: NDArray[np.float64]
    fun: float
    ineq_duals: NDArray[np.float64]  # ≥ 0 for binding A_ub rows (for a minimisation)
    status: int  # 0 optimal, 2 infeasible, 3 unbounded, 1 other
    message: str


def solve(
    c: NDArray,
    *,
    A_ub: NDArray | None = None,
    b_ub: NDArray | None = None,
    A_eq: NDArray | None = None,
    b_eq: NDArray | None = None,
    bounds: Bounds | None = None,
    method: str = "auto",
) -> LPResult:
    check_choice("method", method, SOLVERS)
    lp = LP(c, A_ub, b_ub, A_eq, b_eq, [(0.0, None)] * len(c) if bounds is None else bounds)
    if method in ("auto", "highs"):
        return _scipy(lp)
    return _pulp(lp, method)


def _scipy(lp: LP) -> LPResult:
    from scipy.optimize import linprog

    res = linprog(
        lp.c,
        A_ub=lp.A_ub,
        b_ub=lp.b_ub,
        A_eq=lp.A_eq,
        b_eq=lp.b_eq,
        bounds=lp.bounds,
        method="highs",
    )
    duals = np.zeros(0 if lp.A_ub is None else len(lp.A_ub))
    if res.status == 0 and lp.A_ub is not None and len(lp.A_ub):
        duals = -np.asarray(res.ineqlin.marginals, dtype=float)
    x = np.asarray(res.x, dtype=float) if res.x is not None else np.full(len(lp.c), np.nan)
    fun = float(res.fun) if res.status == 0 else np.nan
    return LPResult(x, fun, duals, int(res.status), str(res.message))


def _pulp(lp: LP, method: str) -> LPResult:
    import warnings

    import pulp

    prob = pulp.LpProblem("lp", pulp.LpMinimize)
    xs = [prob.add_variable(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(lp.bounds)]
    prob.setObjective(pulp.lpSum(float(ci) * xi for ci, xi in zip(lp.c, xs) if ci != 0))
    ub_names = []
    for rows, rhs, sense in ((lp.A_ub, lp.b_ub, "ub"), (lp.A_eq, lp.b_eq, "eq")):
        if rows is None or rhs is None:
            continue
        for k, (row, r) in enumerate(zip(rows, rhs)):
            expr = pulp.lpSum(float(a) * xs[i] for i, a in enumerate(row) if a != 0)
            name = f"{sense}{k}"
            prob.addConstraint(expr <= float(r) if sense == "ub" else expr == float(r), name)
            if sense == "ub":
                ub_names.append(name)
    if method == "pulp-highs":
        if "HiGHS" not in pulp.listSolvers(onlyAvailable=True):
            raise ImportError("pulp's HiGHS needs highspy: pip install 'compensation[highs]'")
        prob.solve(pulp.HiGHS(msg=False))
    else:
        # PuLP 3.3 flags its bundled CBC as going away in 4.0; it is still the CBC that ships
        # with the wheel here, so use it quietly (setup.cfg pins pulp < 4).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            prob.solve(pulp.PULP_CBC_CMD(msg=False))
    status = {1: 0, -1: 2, -2: 3}.get(prob.status, 1)
    x = np.array([v.value() if v.value() is not None else np.nan for v in xs], dtype=float)
    duals = np.array([-(prob.get_constraint_by_name(n).pi or 0.0) for n in ub_names], dtype=float)
    fun = float(pulp.value(prob.objective) or 0.0) if status == 0 else np.nan
    return LPResult(x, fun, duals, status, pulp.LpStatus[prob.status])
