"""The targeted design for curved flows and its welfare bound (MODEL.md §10), by brute force."""

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation.model.members import Members
from compensation.policy._certified import build_relaxation
from compensation.policy._targeting import Problem, certified_design, social, targeted_design

from .test_consortium_subsidy import P, three, two


def problem(p, m, budget, cap=np.inf):
    return Problem(p, m, np.ones(len(m), dtype=bool), cap, budget)


def brute(prob, grid):
    """Best welfare within the budget over a grid of per-member subsidies, leader exact."""
    best = -np.inf
    for g in itertools.product(grid, repeat=len(prob.members)):
        _, w, spend = prob.outcome(np.array(g))
        if spend <= prob.budget + 1e-9:
            best = max(best, w)
    return best


def check(prob, c):
    """The design is what the leader's exact response gives, within budget, below the bound."""
    _, w, spend = prob.outcome(c.subsidy)
    assert w == pytest.approx(c.welfare, abs=1e-9) and spend == pytest.approx(c.spending)
    assert spend <= prob.budget * (1 + 1e-9) + 1e-9
    assert c.welfare <= c.bound + 1e-9 and c.gap == pytest.approx(c.bound - c.welfare)
    assert c.certified == (c.gap <= 1e-3 * (1 + abs(c.welfare)))


@pytest.mark.parametrize("flow", ["saturating", "logit"])
def test_welfare_is_the_relaxations_accounting(flow):
    # W = W0 + Σ J_j(s_j) − C(S) − λ Σ g_j s_j at the leader's response: the bound counts
    # welfare as consortium_payoffs does.
    prob = problem(P.replace(flow=flow, readiness_cost=1.5), three(), 50.0)
    _, w0 = build_relaxation(prob, social)
    rng = np.random.default_rng(1)
    for g in rng.uniform(0, 0.3, (4, 3)):
        a, w, _ = prob.outcome(g)
        s, S = a.sinking, a.sinking.sum()
        j = social(prob, prob.prep.part, s[:, None])[:, 0].sum()
        cost = float(P.cost_linear) * S + 0.5 * float(P.cost_quadratic) * S * S
        assert w == pytest.approx(w0 + j - cost - float(P.funds_cost) * g @ s, abs=1e-9)
    assert w0 == pytest.approx(-1.5 * 3)  # readiness costs of the three active members


@pytest.mark.parametrize("flow", ["saturating", "logit"])
def test_two_members_certified_against_a_fine_grid(flow):
    prob = problem(P.replace(flow=flow), two(), 60.0)
    c = certified_design(prob)
    check(prob, c)
    assert c.certified
    best = brute(prob, np.linspace(0.0, 0.3, 21 if flow == "saturating" else 15))
    assert best <= c.bound + 1e-9  # the bound holds for every design on the grid
    assert c.welfare >= best - 1e-9  # and the design beats the grid
    old = targeted_design(prob)
    assert c.welfare >= old[2] - 1e-12


def test_three_members_certified_against_a_coarse_grid():
    prob = problem(P.replace(flow="logit"), three(), 50.0)
    c = certified_design(prob)
    check(prob, c)
    assert c.certified
    best = brute(prob, np.linspace(0.0, 0.3, 6))
    assert best <= c.bound + 1e-9 and c.welfare >= best - 1e-9


def test_a_capacity_the_dual_design_could_not_meet():
    # With 600 dd/yr of leader capacity the dual design finds nothing better than no
    # subsidy; the branch and bound finds a design and proves it nearly optimal.
    prob = problem(P.replace(flow="saturating"), three(), 50.0, cap=600.0)
    assert targeted_design(prob)[2] <= 0.0
    c = certified_design(prob)
    check(prob, c)
    assert c.certified and c.allocation.total <= 600.0 + 1e-9
    assert c.welfare > 100.0
    assert brute(prob, np.linspace(0.0, 0.3, 5)) <= c.bound + 1e-9


def test_too_little_work_is_not_certified():
    prob = problem(P.replace(flow="saturating"), two(), 60.0)
    c = certified_design(prob, max_intervals=4)
    check(prob, c)
    assert not c.certified and c.gap > 1.0 and c.intervals <= 8


def test_a_known_design_is_kept_when_better():
    prob = problem(P.replace(flow="saturating"), two(), 60.0)
    g = np.full(2, 0.13)
    a, w, spend = prob.outcome(g)
    c = certified_design(prob, (g, a, w + 1e3, spend))  # pretend it were far better
    assert c.welfare == w + 1e3 and c.subsidy.tolist() == g.tolist()


members_st = st.integers(2, 3).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(5e3, 4e4), min_size=n, max_size=n),
        st.lists(st.floats(0.0, 0.05), min_size=n, max_size=n),
        st.lists(st.floats(0.05, 0.45), min_size=n, max_size=n),
        st.lists(st.floats(100.0, 600.0), min_size=n, max_size=n),
    )
)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    members=members_st,
    flow=st.sampled_from(["saturating", "logit", "linear"]),
    budget=st.floats(5.0, 120.0),
    cap=st.sampled_from([np.inf, 500.0]),
    seed=st.integers(0, 2**16),
)
def test_no_design_beats_the_bound(members, flow, budget, cap, seed):
    visits, travel, benefit, host = members
    m = Members(
        name=[f"m{i}" for i in range(len(visits))], visits=visits, travel_cost=travel,
        social_benefit=benefit, host_capacity=host,
    )  # fmt: skip
    prob = problem(P.replace(flow=flow), m, budget, cap)
    c = certified_design(prob, size=65, max_intervals=40)
    check(prob, c)
    rng = np.random.default_rng(seed)
    for g in rng.uniform(0.0, 0.35, (12, len(m))) * rng.integers(0, 2, (12, len(m))):
        _, w, spend = prob.outcome(g)
        if spend <= budget:
            assert w <= c.bound + 1e-9 * (1 + abs(w))


def test_consortium_subsidy_reports_the_bound_for_curved_flows():
    from compensation.policy.consortium_subsidy import consortium_subsidy

    p = P.replace(flow="saturating")
    r = consortium_subsidy(p, two(), budget=70.0, targeted=True)
    assert r.certified and 0 <= r.gap <= 1e-3 * (1 + abs(r.welfare))
    assert r.welfare <= r.welfare_bound and r.spending <= 70.0 * (1 + 1e-9)
    assert r.welfare >= r.uniform_welfare
    fast = consortium_subsidy(p, two(), budget=70.0, targeted=True, certify=False)
    assert np.isnan(fast.welfare_bound) and not fast.certified
    assert fast.welfare <= r.welfare_bound + 1e-9  # the bound holds for any design
    linear = consortium_subsidy(P, two(), budget=70.0, targeted=True)
    assert np.isnan(linear.welfare_bound)  # the dual LP design: exact up to its grid
