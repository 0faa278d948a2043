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
from math import copysign
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._deviation import Deviations
from ._dual import Prepared, allocate_rows, fill_edges
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
        # No row sinks at a multiplier above its best average return from zero.
        self.first = prep.first
        self.memo: dict[bytes, tuple[Array, float]] = {}
        # With η = 0 a member's objective depends on its own choice and sinking only: both
        # variants at an allocation, and the bounds on a switch, serve every profile.
        self.variants = getattr(score, "variants", None)
        self.scored: tuple[Array, Array, Array] | None = None
        self.bounds: tuple[Array, Array] | None = None
        self.solved: list[tuple[Array, float]] = []  # (s, mu) of each solved profile
        # The solved profiles and their members that are not idle, one row each.
        self.profiles = self.busy = np.zeros((0, self.n), dtype=bool)
        # Bounds on a switch's gain need each member's moved visits monotone in its sinking
        # (both variants of a member share its flow: the active rows tell).
        share = prep.share
        if share is None:
            mine = prep.part.take(np.arange(self.n))
            share = mine.form.share(mine.q, prep.grid[: self.n])
        moved = np.diff(share[: self.n], axis=1)
        self.monotone: NDArray[np.bool_] = np.asarray(
            (moved >= 0).all(axis=1) | (moved <= 0).all(axis=1)
        )

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
            same = ~((self.profiles != e) & self.busy).any(axis=1)
            if same.any():
                return self.solved[int(np.argmax(same))]
        idx = np.arange(self.n)
        s, mu = allocate_rows(self.prep, np.where(e, idx, self.n + idx), self.cap)
        self.solved.append((s, mu))
        self.profiles = np.vstack([self.profiles, e])
        self.busy = np.vstack([self.busy, ~self._idle_mask(s, mu)])
        return s, mu

    def settle(self, e: NDArray[np.bool_]) -> Array:
        self.e = e
        self.s, self.mu = self.allocation(e, base=self.steps is not None)
        self.flipped: Array | None = None
        self.ceiling: Array | None = None
        both = self._variants(self.s)
        if both is None:
            return self.score(e, self.s)
        active, passive = both
        self.flipped = np.where(e, passive, active)
        return np.where(e, active, passive)

    def _variants(self, s: Array) -> tuple[Array, Array] | None:
        """Objectives at ``s`` of every member active and passive (η = 0), kept for ``s``."""
        if self.variants is None:
            return None
        if self.scored is None or not (self.scored[0] is s or np.array_equal(self.scored[0], s)):
            both = self.variants(s)
            self.scored = None if both is None else (s, *both)
        return None if self.scored is None else self.scored[1:]

    def _ceiling(self) -> Array | None:
        """The score's bound on every lone switch at this profile (η = 0), or None."""
        bound = getattr(self.score, "ceiling", None)
        if bound is None:
            return None
        if self.bounds is None:
            ub = self.prep.part.ub[: self.n]
            on, off = bound(np.ones(self.n), ub), bound(np.zeros(self.n), ub)
            self.bounds = (np.full(self.n, np.inf),) * 2 if on is None or off is None else (on, off)
        return np.where(self.e, *self.bounds)

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
            if self.ceiling is None:
                self.ceiling = self._ceiling()
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
        here = float(self.s[j])
        if self.flipped is not None and mine == here and copysign(1, mine) == copysign(1, here):
            return float(self.flipped[j])  # j's sinking stays: its switched objective is known
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
        self.edges, self.bridge, self.width = prep.edges, prep.edges[3], prep.edges[1]
        row = prep.edges[2]
        self.member, self.active = row % n, row < n
        self.n, self.cap, self.c1, self.c2 = n, cap, prep.c1, prep.c2

    def allocation(self, e: NDArray[np.bool_]) -> Array | None:
        live = self.active == e[self.member]
        s, _, stop, x = fill_edges(
            self.edges, live, self.member, self.n, c1=self.c1, c2=self.c2, cap=self.cap
        )
        if x is not None:
            if self.bridge[stop] and 0 < x < self.width[stop]:
                return None
            s[self.member[stop]] += x
        total = s.sum()
        return np.minimum(s, s * self.cap / total) if total > self.cap else s
