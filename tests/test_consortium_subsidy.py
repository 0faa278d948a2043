"""Government design for a consortium of many members (MODEL.md §10), against brute force."""

import itertools

import numpy as np
import pytest

from compensation import Parameters
from compensation.model.members import Members
from compensation.policy.allocation import allocate_sinking
from compensation.policy.consortium_subsidy import consortium_subsidy
from compensation.policy.participation import deviation_gains
from compensation.policy.sinking_sweep import sinking_sweep

P = Parameters(price=0.01, primary_margin=0.02, cost_quadratic=2e-5, readiness_cost=0.0)


def two(**extra):
    return Members(
        name=["near", "far"], visits=20_000, travel_cost=[0.0, 0.03],
        social_benefit=[0.15, 0.35], host_capacity=400, **extra,
    )  # fmt: skip


def three():
    return Members(
        name=["a", "b", "c"], visits=[30_000, 15_000, 8_000], travel_cost=[0.0, 0.01, 0.04],
        social_benefit=[0.12, 0.25, 0.4], host_capacity=[500, 300, 200],
    )  # fmt: skip


def brute_targeted(p, m, budget, grid, cap=np.inf):
    """Best welfare over a grid of per-member subsidies, the leader responding.

    An offset d_j on member j's subsidy moves the leader exactly as a price rise d_j would
    (prices are transfers inside the consortium): sweep the common part with the offsets
    held in the price column, then put back the deadweight cost λ Σ d_j s_j.
    """
    best = -np.inf
    n, lam = len(m), float(p.funds_cost)
    for offsets in itertools.product(grid, repeat=n - 1):
        d = np.array([*offsets, 0.0])
        mm = m.replace(price=float(p.price) + d)
        r = sinking_sweep(p, mm, grid, leader_capacity=cap)
        welfare = r.welfare - lam * r.sinking @ d
        spend = r.spending + r.sinking @ d
        ok = spend <= budget + 1e-9
        if ok.any():
            best = max(best, float(welfare[ok].max()))
    return best


def test_the_sweep_is_the_allocation_at_every_point():
    rng = np.random.default_rng(3)
    m = Members(
        name=[f"m{i}" for i in range(25)], visits=rng.uniform(5e3, 6e4, 25),
        travel_cost=rng.uniform(0, 0.05, 25), host_capacity=rng.uniform(50, 400, 25),
    )  # fmt: skip
    grid = np.linspace(0, 0.4, 33)
    for cap in (np.inf, 900.0):
        r = sinking_sweep(P, m, grid, leader_capacity=cap)
        assert r.exact.all()
        for k, g in enumerate(grid):
            a = allocate_sinking(P.replace(subsidy=g), m, leader_capacity=cap)
            assert r.leader[k] == pytest.approx(float(a.payoffs.leader), abs=1e-9)
            assert r.welfare[k] == pytest.approx(float(a.payoffs.welfare), abs=1e-9)
            assert r.total[k] <= cap + 1e-9


def test_a_curved_flow_falls_back_to_the_allocation():
    m = two()
    p = P.replace(flow="saturating")
    r = sinking_sweep(p, m, [0.1, 0.3])
    assert not r.exact.any()
    a = allocate_sinking(p.replace(subsidy=0.3), m)
    assert r.sinking[1].tolist() == pytest.approx(a.sinking.tolist())


@pytest.mark.parametrize("budget", [20.0, 60.0, np.inf])
def test_uniform_design_beats_a_fine_sweep(budget):
    m = three()
    d = consortium_subsidy(P, m, budget=budget)
    sweep = sinking_sweep(P, m, np.linspace(0, 0.5, 20_001))
    ok = sweep.spending <= budget + 1e-9
    assert d.welfare >= sweep.welfare[ok].max() - 1e-6
    assert d.spending <= budget + 1e-6
    assert np.ptp(d.subsidy) == 0 and d.targeting_value == 0
    # The certificate: the allocation is the leader's best response at the design.
    fresh = allocate_sinking(P.replace(subsidy=float(d.subsidy[0])), m)
    assert d.allocation.sinking.tolist() == pytest.approx(fresh.sinking.tolist())
    assert d.allocation.duality_gap == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(("members", "budget"), [(two, 40.0), (two, 80.0), (three, 50.0)])
def test_targeted_design_beats_a_grid_of_targeted_subsidies(members, budget):
    m = members()
    d = consortium_subsidy(P, m, budget=budget, targeted=True)
    grid = np.linspace(0, 0.3, 61 if len(m) == 2 else 21)
    assert d.welfare >= brute_targeted(P, m, budget, grid) - 1e-6
    assert d.spending <= budget * (1 + 1e-9) + 1e-6
    assert (d.subsidy >= 0).all()
    assert d.targeting_value >= 0 and d.welfare == pytest.approx(
        d.uniform_welfare + d.targeting_value
    )
    # Recompute the outcome from the designed subsidies alone: it is what the design says.
    a = allocate_sinking(P.replace(subsidy=0.0), m.replace(subsidy=d.subsidy))
    assert float(a.payoffs.welfare) == pytest.approx(d.welfare, abs=1e-9)
    assert float(np.dot(d.subsidy, a.sinking)) == pytest.approx(d.spending, abs=1e-9)


def test_targeting_sends_doctors_where_society_values_them():
    # The leader prefers the near member; society the far one: only targeting gets there.
    m = two()
    u = consortium_subsidy(P, m, budget=60.0)
    t = consortium_subsidy(P, m, budget=60.0, targeted=True)
    assert u.allocation.sinking[1] < u.allocation.sinking[0]
    assert t.allocation.sinking[1] == pytest.approx(400.0)
    assert t.subsidy[1] > t.subsidy[0]
    assert t.targeting_value > 1.0


def test_ranking_follows_social_value_among_equal_members():
    m = Members(name=["x", "y", "z"], visits=20_000, social_benefit=[0.2, 0.4, 0.3])
    d = consortium_subsidy(P, m, budget=5.0)
    assert d.ranking.tolist() == [1, 2, 0]
    assert np.all(np.diff(d.marginal_welfare[d.ranking]) <= 0)


def test_participation_certificate_is_the_members_deviation_gain():
    m = two()
    d = consortium_subsidy(P, m, budget=60.0, targeted=True)
    gains = deviation_gains(P.replace(subsidy=0.0), m.replace(subsidy=d.subsidy), [1, 1])
    assert d.participation_gain.tolist() == pytest.approx(gains.tolist())
    assert d.participation_stable == bool(np.all(gains <= 1e-9 * (1 + 1e3)))


def test_no_budget_means_no_subsidy_when_sinking_does_not_pay():
    p = P.replace(primary_margin=0.0)
    d = consortium_subsidy(p, two().replace(social_benefit=0.0), targeted=True)
    assert d.allocation.total == 0.0 and d.spending == 0.0


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="budget must be ≥ 0"):
        consortium_subsidy(P, two(), budget=-1.0)
    with pytest.raises(ValueError, match="alliance must be one of"):
        consortium_subsidy(P, two(), alliance="primary")
    with pytest.raises(ValueError, match="participation must hold one 0/1 entry"):
        consortium_subsidy(P, two(), participation=[1, 0, 1])
    with pytest.raises(ValueError, match="subsidies"):
        sinking_sweep(P, two(), [-0.1])


def test_county_example_draws_its_chart(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    pytest.importorskip("matplotlib")
    script = Path(__file__).parents[1] / "examples" / "county_consortium.py"
    out = tmp_path / "county.png"
    run = subprocess.run(
        [sys.executable, str(script), str(out)],
        capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"}, check=True,
    )  # fmt: skip
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "value of targeting at equal budget" in run.stdout and "1+1+N" in run.stdout


@pytest.mark.parametrize(
    "kw",
    [{"budget": 0.0}, {"leader_capacity": 0.0}, {"budget": 0.0, "targeted": True},
     {"leader_capacity": 0.0, "targeted": True}],
)  # fmt: skip
def test_nothing_to_spend_or_no_doctors_to_send(kw):
    d = consortium_subsidy(P, three(), **kw)
    assert d.spending == 0.0 and d.allocation.total == 0.0
    assert d.welfare == pytest.approx(
        float(allocate_sinking(P, three(), leader_capacity=0).payoffs.welfare)
    )


@pytest.mark.parametrize("flow", ["saturating", "logit"])
def test_curved_flows_fund_the_far_member_all_or_nothing(flow):
    # A convex member term: the leader goes all in or stays out. With enough budget the
    # targeted design buys the far member whole; with too little it keeps the uniform design.
    p = P.replace(flow=flow)
    rich = consortium_subsidy(p, two(), budget=70.0, targeted=True)
    assert rich.allocation.sinking.tolist() == pytest.approx([0.0, 400.0])
    assert rich.spending <= 70.0 + 1e-6 and rich.targeting_value > 50.0
    a = allocate_sinking(p.replace(subsidy=0.0), two().replace(subsidy=rich.subsidy))
    assert float(a.payoffs.welfare) == pytest.approx(rich.welfare, abs=1e-9)
    poor = consortium_subsidy(p, two(), budget=60.0, targeted=True)
    assert poor.targeting_value == 0.0 and "uniform kept" in poor.method


@pytest.mark.parametrize(("members", "budget"), [(two, 40.0), (three, 50.0)])
def test_targeted_design_under_bundled_payment_beats_the_grid(members, budget):
    # MODEL.md §6 per member: the consortium keeps ψ of the insurer's saving, the leader ω
    # of that; the design's welfare must still be the best over targeted subsidies.
    p = P.replace(retained_share=0.6, leader_savings_share=0.3)
    m = members()
    d = consortium_subsidy(p, m, budget=budget, targeted=True)
    grid = np.linspace(0, 0.3, 61 if len(m) == 2 else 21)
    assert d.welfare >= brute_targeted(p, m, budget, grid) - 1e-6
    a = allocate_sinking(p.replace(subsidy=0.0), m.replace(subsidy=d.subsidy))
    assert float(a.payoffs.welfare) == pytest.approx(d.welfare, abs=1e-9)
    fee = consortium_subsidy(P, m, budget=budget, targeted=True)
    assert d.spending <= budget * (1 + 1e-9) + 1e-6 and fee.spending <= budget * (1 + 1e-9) + 1e-6
