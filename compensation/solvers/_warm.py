r"""Row generation on one persistent HiGHS model, warm-started.

The same sequential LPs as :mod:`compensation.solvers._rowgen`, but the LP is never rebuilt:
new coalition rows are appended, a coalition fixed at its level becomes an equality row (its
:math:`\varepsilon` coefficient set to 0), and a coalition whose excess the fixed ones
determine becomes a free row. HiGHS keeps its basis across these changes, so each re-solve
is a few dual simplex pivots instead of a solve from scratch. That matters on games with many
nearly tight coalitions (convex games with a thin least core), where row generation needs
dozens of rounds and thousands of rows.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..exceptions import ConvergenceError
from . import _coalitions

INF = float("inf")
# Violated coalitions added per round, per player: re-solves are warm, so more rows a round
# (fewer rounds, each scanning all 2^n coalitions) pays off. Of 2 (the cold-start
# _rowgen.ADD_PER_ROUND), 8 and 32, 32 was fastest at n = 20-22 (least core of a convex game
# at n = 22: 0.6 s against 0.8 s with 8).
ADD_PER_ROUND = 32


def _core() -> Any:
    """HiGHS's Python core: the copy bundled with scipy, else highspy's, else None.

    Both are the raw pybind classes (``_Highs``), which unlike ``highspy.Highs`` print no
    banner. scipy's is not public API, so any change there falls back to ``linprog``.
    """
    try:
        from scipy.optimize._highspy import _core as core
    except ImportError:  # pragma: no cover - depends on the scipy build
        try:
            from highspy import _core as core
        except ImportError:
            return None
    needed = ("addRows", "changeCoeff", "changeRowBounds", "run", "getSolution")
    if not hasattr(core, "_Highs") or not all(hasattr(core._Highs, m) for m in needed):
        return None  # pragma: no cover
    return core


def available() -> bool:
    """Whether a HiGHS core with incremental rows can be used."""
    return _core() is not None


class WarmModel:
    """min eps s.t. x(T) + eps >= v(T) for generated T, equalities for fixed T, bounds."""

    def __init__(self, g: _coalitions.Scaled) -> None:
        core = _core()
        self.optimal = core.HighsModelStatus.kOptimal
        self.g = g
        n = g.n
        h = core._Highs()
        h.setOptionValue("output_flag", False)
        h.addCols(
            n + 1,
            np.r_[np.zeros(n), 1.0],
            np.full(n + 1, -INF),
            np.full(n + 1, INF),
            0,
            np.zeros(n + 2, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0),
        )
        self.h = h
        self.rows = 0
        self.row_of: dict[int, int] = {}  # coalition -> row
        self.coalition_of: list[int] = []  # row -> coalition (-1 - i: bound row of player i)
        self.status: list[str] = []  # row -> "cut", "fixed", "free"
        full = (1 << n) - 1
        self._add([full], False, lo=np.array([g.v[full]]), hi=np.array([g.v[full]]))
        self.status[-1] = "fixed"
        self.bound_row: dict[int, int] = {}
        if g.lower is not None:
            for i in range(n):
                self.bound_row[i] = self.rows
                self._add([1 << i], False, lo=np.array([g.lower[i]]), hi=np.array([INF]))
                self.coalition_of[-1] = -1 - i
        self.in_lp = np.zeros(1 << n, dtype=bool)

    def _add(self, ts: list[int], with_eps: bool, lo: NDArray, hi: NDArray) -> None:
        """Append rows x(T) (+ eps when ``with_eps``) in [lo, hi], one per coalition of ``ts``.

        HiGHS takes rows in compressed sparse row form: the members of each coalition (and
        column n, eps), row by row, all with coefficient 1.
        """
        n = self.g.n
        inside = _coalitions.coalition_matrix(ts, n)
        if with_eps:
            inside = np.hstack([inside, np.ones((len(ts), 1), dtype=bool)])
        rows, cols = np.nonzero(inside)  # row-major: each row's columns in increasing order
        starts = np.searchsorted(rows, np.arange(len(ts))).astype(np.int32)
        self.h.addRows(
            len(ts), lo, hi, cols.size, starts, cols.astype(np.int32), np.ones(cols.size)
        )
        for r, t in enumerate(ts, start=self.rows):
            self.row_of.setdefault(t, r)
        self.coalition_of.extend(ts)
        self.status.extend(["cut"] * len(ts))
        self.rows += len(ts)

    def add_cuts(self, ts: list[int]) -> None:
        ts = [t for t in ts if not self.in_lp[t]]
        if not ts:
            return
        self.in_lp[ts] = True
        self._add(ts, True, lo=self.g.v[ts], hi=np.full(len(ts), INF))

    def solve(self) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
        self.h.run()
        if self.h.getModelStatus() != self.optimal:
            raise ConvergenceError(
                f"LP solver {self.g.method!r} (warm-started HiGHS) failed in row generation: "
                f"{self.h.getModelStatus()}"
            )
        sol = self.h.getSolution()
        z = np.asarray(sol.col_value, dtype=float)
        return z[: self.g.n], float(z[self.g.n]), np.asarray(sol.row_dual, dtype=float)

    def fix(self, t: int, e: float) -> None:
        """Make coalition t (or a player's bound, for a singleton) an equality at excess e."""
        target = self.g.v[t] - e
        if t in self.row_of and self.status[self.row_of[t]] == "cut":
            r = self.row_of[t]
            self.h.changeCoeff(r, self.g.n, 0.0)
        else:
            r = self.rows
            self._add([t], False, lo=np.array([target]), hi=np.array([target]))
            self.in_lp[t] = True
        self.h.changeRowBounds(r, target, target)
        self.status[r] = "fixed"

    def release(self, exclude: NDArray[np.bool_]) -> None:
        """Free the cut rows (and bound rows) whose excess the fixed coalitions determine."""
        for r, t in enumerate(self.coalition_of):
            if self.status[r] != "cut":
                continue
            key = t if t >= 0 else 1 << (-1 - t)
            if exclude[key]:
                self.h.changeRowBounds(r, -INF, INF)
                self.status[r] = "free"


def lazy_round(model: WarmModel, exclude: NDArray[np.bool_], x0: NDArray[np.float64]) -> Any:
    """One sequential LP by warm-started row generation; returns a ``_rowgen`` round."""
    g = model.g
    n, v = g.n, g.v
    skip = exclude.copy()
    skip[[0, (1 << n) - 1]] = True
    model.add_cuts(_coalitions.seed_rows(g, skip, x0, []))
    for rounds in range(1, g.max_rounds + 1):
        x, eps, duals = model.solve()
        exc = v - _coalitions.subset_sums(x)
        exc[skip | model.in_lp] = -np.inf
        violated = np.nonzero(exc > eps + g.tol)[0]
        if violated.size == 0:
            tight, tight_bounds = [], []
            for r, t in enumerate(model.coalition_of):
                if model.status[r] != "cut" or duals[r] <= _coalitions.DUAL_TOL:
                    continue
                if t >= 0:
                    tight.append((t, float(duals[r])))
                else:
                    tight_bounds.append((-1 - t, float(duals[r])))
            active = [t for r, t in enumerate(model.coalition_of) if t >= 0]
            return _coalitions.Round(eps, x, tight, tight_bounds, rounds, active)
        cap = ADD_PER_ROUND * n
        if violated.size > cap:  # the cap most violated, without sorting them all
            violated = violated[np.argpartition(-exc[violated], cap)[:cap]]
        model.add_cuts(sorted(violated.tolist()))
    raise ConvergenceError(
        f"row generation did not converge in {g.max_rounds} rounds with solver {g.method!r} "
        f"(warm-started HiGHS): {int(model.in_lp.sum())} of {1 << n} coalitions in the LP"
    )
