r"""Best-response dynamics of members' participation: profiles and lone switches (MODEL.md §10).

Private helper of :mod:`compensation.policy.participation`. The rows of both variants of
every member (active rows ``0..n-1``, passive ``n..2n-1``) are prepared once; a profile picks
one row per member. A member's switch is evaluated exactly, as the leader's full
re-allocation would: by a binary search for piecewise-linear terms with :math:`\eta = 0`
(:mod:`._deviation`); by reusing the allocation when the switch cannot move it (an idle
member, :meth:`SwitchPath._idle`); or by the full solver, once per profile up to idle members.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._deviation import Deviations
from ._dual import Prepared, allocate_rows
from ._member_hull import Array

__all__ = ["ProfileKnapsack", "SwitchPath"]


class SwitchPath:
    r"""Members' objectives along best-response dynamics: a profile, then single switches.

    :meth:`settle` solves the leader's allocation for a profile; :meth:`deviate` gives member
    j's objective if it alone switched, the leader re-allocating. With piecewise-linear member
    terms and :math:`\eta = 0` a switch costs a binary search (:mod:`._deviation`), since j's
    objective depends only on its own sinking. Otherwise a switch that leaves the leader's
    problem unchanged where it matters reuses the allocation (:meth:`_idle`); only the others
    solve the allocation again, each profile once.
    """

    def __init__(
        self,
        prep: Prepared,
        cap: float,
        score: Callable[[Any, Array], Array],
        *,
        integration: float,
    ) -> None:
        self.n, self.prep, self.cap, self.score = len(prep.part.ub) // 2, prep, cap, score
        linear = not prep.part.curved
        self.fast = ProfileKnapsack(prep, self.n, cap) if linear else None
        self.steps = Deviations(prep, self.n, cap) if linear and integration == 0 else None
        # Best average return of each row from zero, on its hull and at s = 0+ (the exact
        # response refines the first grid cell): no row sinks at a multiplier above it.
        zero = np.zeros((len(prep.part.ub), 1))
        first = np.maximum(prep.slopes[:, 0], prep.part.slope(zero)[:, 0])
        self.first = np.where(prep.part.ub > 0, first, -np.inf)
        self.memo: dict[bytes, tuple[Array, float]] = {}
        self.solved: list[tuple[NDArray[np.bool_], NDArray[np.bool_], tuple[Array, float]]] = []
        # Bounds on a switch's gain need each member's moved visits monotone in its sinking.
        moved = np.diff(prep.part.form.share(prep.part.q, prep.grid), axis=1)
        monotone: NDArray[np.bool_] = np.asarray(
            (moved >= 0).all(axis=1) | (moved <= 0).all(axis=1)
        )
        self.monotone = monotone[: self.n] & monotone[self.n :]

    def allocation(self, e: NDArray[np.bool_], base: bool = False) -> tuple[Array, float]:
        key = e.tobytes()
        if key in self.memo and not base:
            return self.memo[key]
        s = None
        if self.steps is not None and base:  # keeps the profile for its switches: only settle
            s = self.steps.base(e)
        elif self.fast is not None:
            s = self.fast.allocation(e)
        if s is None:  # a curved flow, or a split member: a solved profile, or the solver
            s, mu = self._solved(e)
        else:
            mu = np.nan  # the knapsacks do not report μ: no switch is reused from them
        self.memo[key] = (s, mu)
        return s, mu

    def solution(self, e: NDArray[np.bool_]) -> tuple[Array, float] | None:
        """The solver's allocation and μ for a profile met on the path (None if not known)."""
        found = self.memo.get(e.tobytes())
        return found if found is not None and np.isfinite(found[1]) else None

    def _idle_mask(self, s: Array, mu: float) -> NDArray[np.bool_]:
        """Members whose switch cannot move the allocation ``s`` of multiplier μ (:meth:`_idle`)."""
        margin = mu - 1e-7 * (1 + abs(mu))
        return (s == 0) & (self.first[: self.n] < margin) & (self.first[self.n :] < margin)

    def _solved(self, e: NDArray[np.bool_]) -> tuple[Array, float]:
        """The allocation of a solved profile that differs from ``e`` in idle members only."""
        if self.solved:
            profiles, idle = (np.array(x) for x in zip(*((q, i) for q, i, _ in self.solved)))
            same = ~((profiles != e) & ~idle).any(axis=1)
            if same.any():
                return self.solved[int(np.argmax(same))][2]
        idx = np.arange(self.n)
        s, mu = allocate_rows(self.prep, np.where(e, idx, self.n + idx), self.cap)
        self.solved.append((e.copy(), self._idle_mask(s, mu), (s, mu)))
        return s, mu

    def settle(self, e: NDArray[np.bool_]) -> Array:
        self.e = e
        self.s, self.mu = self.allocation(e, base=self.steps is not None)
        self.flipped: Array | None = None
        self.ceiling: Array | None = None
        return self.score(e, self.s)

    def _idle(self, j: int) -> bool:
        r"""Whether j's switch leaves the allocation as it is (a sufficient, exact test).

        j sinks nothing now and neither of its rows answers the multiplier :math:`\mu` with
        more than zero (its best average return from zero is below :math:`\mu`). With
        :math:`\tilde u_j` its term once switched and :math:`\tilde V` the leader's objective,
        :math:`\tilde V(s') \le D(\mu) - u_j(0) + \tilde u_j(0) = \tilde V(s) + G` for every
        allocation :math:`s'`: the allocation keeps its duality gap :math:`G` (0 when the
        dual solution needed no rounding), and the full solver returns it again (a test
        checks it on random cases). The same holds for several idle switches at once.
        """
        if self.s[j] != 0 or not np.isfinite(self.mu):
            return False
        margin = self.mu - 1e-7 * (1 + abs(self.mu))
        return bool(self.first[j] < margin and self.first[self.n + j] < margin)

    def gain(self, j: int, obj: float, tol: float) -> float:
        """Member j's gain from switching; NaN where a bound shows it is at most ``tol``."""
        if self.steps is None and not self._idle(j):
            bound = getattr(self.score, "ceiling", None)
            if bound is not None and self.ceiling is None:
                ceiling = bound(self.e, self.prep.part.ub[: self.n])
                self.ceiling = np.full(self.n, np.inf) if ceiling is None else ceiling
            ceiling = self.ceiling
            if (
                ceiling is not None
                and self.monotone[j]
                and ceiling[j] - obj <= tol * (1 + abs(obj))
            ):
                return np.nan  # no switch whatever the leader does: solved if the pass is final
        return self.deviate(j) - obj

    def deviate(self, j: int) -> float:
        dev = self.e.copy()
        dev[j] = not dev[j]
        if self.steps is None:
            if self._idle(j):
                self.memo.setdefault(dev.tobytes(), (self.s, self.mu))
                flips = getattr(self.score, "flips", None)
                if flips is not None:  # every idle switch of this profile in one evaluation
                    if self.flipped is None:
                        self.flipped = flips(self.e, self.s)
                    return float(self.flipped[j])
            return float(self.score(dev, self.allocation(dev)[0])[j])
        mine = self.steps.switch(j)
        if mine is None:
            return float(self.score(dev, self.allocation(dev)[0])[j])
        s = self.s.copy()
        s[j] = mine
        return float(self.score(dev, s)[j])


class ProfileKnapsack:
    r"""The leader's allocation for a participation profile, piecewise-linear member terms.

    The hull edges of both variants of every member (active, passive) are sorted once; a
    profile selects one variant per member, and the allocation is the fractional knapsack of
    :func:`allocate_rows` on the selected edges (MODEL.md §10), a few vector operations. It
    returns ``None`` when the cut splits a hull bridge (a non-concave term), for the full solver.
    """

    def __init__(self, prep: Prepared, n: int, cap: float) -> None:
        self.slope, self.width, row, self.bridge = prep.edges
        self.member, self.active = row % n, row < n
        self.n, self.cap, self.c1, self.c2 = n, cap, prep.c1, prep.c2

    def allocation(self, e: NDArray[np.bool_]) -> Array | None:
        live = self.active == e[self.member]
        cum = np.cumsum(np.where(live, self.width, 0.0))
        ok = ~live | ((self.slope > self.c1 + self.c2 * cum) & (cum <= self.cap))
        stop = int(np.argmin(ok)) if not ok.all() else len(ok)
        take = live[:stop]
        # An empty bincount is integer: make it float before adding a fraction.
        s = np.bincount(self.member[:stop][take], self.width[:stop][take], minlength=self.n).astype(
            float
        )
        if stop < len(ok):
            before = cum[stop] - self.width[stop]
            want = min((self.slope[stop] - self.c1) / self.c2, self.cap)
            x = float(np.clip(want - before, 0.0, self.width[stop]))
            if self.bridge[stop] and 0 < x < self.width[stop]:
                return None
            s[self.member[stop]] += x
        total = s.sum()
        return np.minimum(s, s * self.cap / total) if total > self.cap else s
