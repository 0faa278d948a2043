r"""Members' objectives for many participation profiles, fast (MODEL.md §10).

Private helper of :mod:`compensation.policy.participation`: the coefficients of the payoffs
of MODEL.md §10 computed once for both choices of every member, then each member's objective
:math:`O_{Pj} = (1-\eta)\Pi_{Pj} + \eta(\Pi_L + \sum_k \Pi_{Pk})` for a profile, every lone
switch at an unchanged allocation in one call, and a bound on what a switch can bring.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..model.flow import form_of
from ..model.members import Members
from ..model.parameters import Parameters
from ..model.payoffs import savings_per_visit
from ._member_hull import Array

__all__ = ["MemberScores"]


class MemberScores:
    """Members' objectives, and each one's objective had it alone switched (same ``s``)."""

    def __init__(self, p: Parameters, members: Members) -> None:
        q = members.parameters(p)
        self.q, self.t = q, members.column("travel_cost", p)
        self.visits = q.common_share * q.visits
        self.siphon = q.leader_margin - q.slot_value - q.profit_share * q.primary_margin
        self.saving = savings_per_visit(q)
        self.c1, self.c2 = float(p.cost_linear), float(p.cost_quadratic)
        self.eta, self.share = float(p.integration), form_of(p).share

    def _terms(self, e: Array, flow: Array, s: Array) -> tuple[Array, Array | None]:
        r"""Each member's :math:`\Pi_{Pj}` and (η > 0) its terms of :math:`\Pi_L` before C."""
        q = self.q
        moved = flow * (q.passive_fraction + (1 - q.passive_fraction) * e)
        kept = q.retained_share * self.saving * moved
        primary = (
            (1 - q.profit_share) * q.primary_margin * moved
            + (1 - q.leader_savings_share) * kept
            - (q.price + q.hosting_cost) * s * e
            + (q.primary_subsidy - q.readiness_cost) * e
        )
        primary = np.broadcast_to(primary, s.shape)
        if self.eta == 0:
            return primary, None
        paid = q.subsidy * s * (1 - q.conditional_subsidy + q.conditional_subsidy * e)
        terms = (
            -self.siphon * moved
            + q.leader_savings_share * kept
            + (q.price * e + q.brand_benefit - self.t) * s
            + paid
        )
        return primary, np.broadcast_to(terms, s.shape)

    def _both(self, e: Any, s: Array):
        e = np.asarray(e, dtype=float)
        flow = self.visits * self.share(self.q, s)
        total = s.sum()
        cost = self.c1 * total + 0.5 * self.c2 * total * total
        return e, flow, cost

    def __call__(self, e: Any, s: Array) -> Array:
        e, flow, cost = self._both(e, s)
        primary, terms = self._terms(e, flow, s)
        if terms is None:
            return primary
        leader = float(np.sum(terms)) - cost
        return (1 - self.eta) * primary + self.eta * (leader + float(primary.sum()))

    def variants(self, s: Array) -> tuple[Array, Array] | None:
        r"""Every member's :math:`O_{Pj}` at ``s`` if active, and if passive (η = 0 only).

        With :math:`\eta = 0` member j's objective depends on its own choice and sinking
        only, so any profile's objectives, and every lone switch's, are picked from these two.
        """
        if self.eta != 0:
            return None
        return self(np.ones(len(s)), s), self(np.zeros(len(s)), s)

    def ceiling(self, e: Any, ub: Array) -> Array | None:
        r"""Above :math:`O_{Pj}(x, e^{(j)})` for every :math:`x \in [0, \bar u_j]` (η = 0 only).

        With :math:`\eta = 0` member j's objective is :math:`a_j m_j(x) - b_j x + c_j`, the
        moved visits :math:`m_j` monotone in :math:`x`: it stays below
        :math:`\max(a_j m_j(0), a_j m_j(\bar u_j)) + c_j + \max(0, -b_j) \bar u_j`.
        """
        if self.eta != 0:
            return None
        e = 1 - np.asarray(e, dtype=float)
        zero = np.zeros_like(ub)
        low = self._terms(e, self.visits * self.share(self.q, zero), zero)[0]
        high = self._terms(e, self.visits * self.share(self.q, ub), ub)[0]
        b = (self.q.price + self.q.hosting_cost) * e
        return np.maximum(low, high + b * ub) + np.maximum(0.0, -b) * ub

    def flips(self, e: Any, s: Array) -> Array:
        """:math:`O_{Pj}(s, e^{(j)})` for every j: j alone switched, the allocation kept."""
        e, flow, cost = self._both(e, s)
        primary, terms = self._terms(e, flow, s)
        other, other_terms = self._terms(1 - e, flow, s)
        if terms is None or other_terms is None:
            return other
        total = float(np.sum(terms)) - cost + float(primary.sum())
        welfare = total - terms - primary + other_terms + other
        return (1 - self.eta) * other + self.eta * welfare
