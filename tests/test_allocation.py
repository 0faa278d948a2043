"""The leader's allocation among many members and members' participation (MODEL.md §10)."""

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

import compensation.policy.participation as participation
from compensation import Parameters, best_sinking, objectives
from compensation.model.members import Members, consortium_payoffs
from compensation.policy.allocation import allocate_sinking, participation_equilibrium

from .strategies import parameters

FLOWS = ["linear", "saturating", "logit"]


def random_case(seed, n, flow):
    """Unequal members; siphon loss or crowding, tight or loose capacities."""
    rng = np.random.default_rng(seed)
    p = Parameters(
        flow=flow,
        price=rng.uniform(0, 0.4),
        subsidy=rng.uniform(0, 0.3),
        leader_margin=rng.uniform(0.002, 0.02),
        slot_value=rng.uniform(0, 0.008),
        max_sinking=1000.0,
        sinking_level=300.0,
        integration=rng.choice([0.0, 0.5]),
        quality_sensitivity=rng.uniform(-1, 3),
    )
    m = Members(
        name=[f"m{j}" for j in range(n)],
        visits=rng.uniform(1e4, 2e5, n),
        travel_cost=rng.uniform(0, 0.05, n),
        host_capacity=rng.choice([300.0, 800.0, np.inf], n),
        shift_rate=rng.uniform(5e-5, 5e-4, n),
        max_shift=rng.uniform(0.05, 0.6, n),
    )
    return p, m, float(rng.choice([400.0, 1200.0, np.inf]))


def brute_force(p, m, cap, points):
    ub = np.minimum(p.max_sinking, m.column("host_capacity", p))
    axes = np.meshgrid(*[np.linspace(0, u, points) for u in ub], indexing="ij")
    s = np.stack(axes, -1).reshape(-1, len(m))
    return float(consortium_payoffs(p, m, s[s.sum(axis=1) <= cap]).leader_objective.max())


def check_certificate(r, p, m):
    """Feasible, value consistent, regrets ≥ 0 and summing to the gap, μ = C'(S) + ν."""
    e = r.participation
    ub = np.minimum(p.max_sinking, m.column("host_capacity", p))
    scale = 1 + abs(r.value)
    assert (r.sinking >= 0).all() and (r.sinking <= ub + 1e-9).all()
    assert r.total <= r.leader_capacity * (1 + 1e-12)
    assert r.total == pytest.approx(r.sinking.sum())
    assert r.value == pytest.approx(float(consortium_payoffs(p, m, r.sinking, e).leader_objective))
    assert (r.regret >= -1e-9 * scale).all() and r.cost_regret >= -1e-9 * scale
    assert r.duality_gap == pytest.approx(r.regret.sum() + r.cost_regret, abs=1e-9 * scale)
    assert r.duality_gap >= -1e-9 * scale
    assert r.capacity_price >= 0
    if r.capacity_price > 0:
        assert r.multiplier == pytest.approx(
            p.cost_linear + p.cost_quadratic * r.leader_capacity + r.capacity_price
        )


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("n", [2, 3])
def test_beats_brute_force_over_all_allocations(seed, n):
    p, m, cap = random_case(seed, n, FLOWS[seed % 3])
    r = allocate_sinking(p, m, leader_capacity=cap)
    best = brute_force(p, m, cap, 801 if n == 2 else 101)
    scale = 1 + abs(best)
    check_certificate(r, p, m)
    assert r.value >= best - 1e-9 * scale  # at least as good as any grid allocation
    assert best <= r.dual_bound + 1e-9 * scale  # and the bound holds


@settings(max_examples=30)
@given(parameters(), st.sampled_from([np.inf, 400.0]))
def test_one_member_is_the_two_player_best_response(p, cap):
    p = p.replace(max_sinking=max(p.sinking_level, 1000.0))
    r = allocate_sinking(p, Members(name=["P"]), leader_capacity=cap)
    q = p.replace(max_sinking=min(cap, p.max_sinking), sinking_level=min(cap, p.sinking_level))
    best = float(objectives(q, best_sinking(q), 1)[0])
    assert r.value == pytest.approx(best, abs=1e-8 * (1 + abs(best)))
    check_certificate(r, p, Members(name=["P"]))


@pytest.mark.parametrize(
    ("seed", "flow", "cap"),
    # Seed 7 with each flow; the others are cases where members' terms are not concave and
    # a plain rounding of the dual solution lost to SLSQP before the coordinate polish.
    [*((7, flow, 2500.0) for flow in FLOWS), (5, "logit", 2500.0), (10, "linear", 800.0)],
)
def test_at_least_as_good_as_an_nlp_solver_for_20_members(seed, flow, cap):
    p, m, _ = random_case(seed, 20, flow)
    r = allocate_sinking(p, m, leader_capacity=cap)
    check_certificate(r, p, m)
    ub = np.minimum(p.max_sinking, m.column("host_capacity", p))

    def f(s):
        # Objective and central-difference gradient in one vectorised call (2N + 1 points).
        h = 1e-4 * np.maximum(ub, 1.0)
        pts = np.clip(np.vstack([s, s + np.diag(h), s - np.diag(h)]), 0, ub)
        o = consortium_payoffs(p, m, pts).leader_objective
        return -o[0], -(o[1:21] - o[21:]) / (pts[1:21] - pts[21:]).sum(axis=1)

    rng = np.random.default_rng(1)
    best = -np.inf
    for x0 in [
        np.zeros(20),
        ub * 0.5 * cap / ub.sum(),
        *(rng.uniform(0, 1, 20) * ub for _ in range(3)),
    ]:
        res = minimize(
            f,
            np.minimum(x0, ub) * min(1.0, cap / max(np.minimum(x0, ub).sum(), 1e-9)),
            jac=True,
            method="SLSQP",
            bounds=list(zip(np.zeros(20), ub)),
            constraints=[{"type": "ineq", "fun": lambda s: cap - s.sum()}],
            options={"maxiter": 300, "ftol": 1e-12},
        )
        if res.x.sum() <= cap * (1 + 1e-9):
            best = max(
                best, float(consortium_payoffs(p, m, np.clip(res.x, 0, ub)).leader_objective)
            )
    assert r.value >= best - 1e-7 * (1 + abs(best))


def test_concave_members_have_no_gap_and_satisfy_kkt():
    # A crowded leader (ρ_L > m_L) gains slots as patients move: every member term is
    # concave, so the dual solution is exact and the KKT conditions hold to rounding.
    rng = np.random.default_rng(3)
    m = Members(
        name=[f"m{j}" for j in range(40)],
        visits=rng.uniform(5e3, 5e4, 40),
        travel_cost=rng.uniform(0, 0.1, 40),
        host_capacity=rng.uniform(20, 200, 40),
    )
    for flow, cap in [("saturating", np.inf), ("saturating", 1500.0), ("logit", 1500.0)]:
        p = Parameters(flow=flow, slot_value=0.008, price=0.1, subsidy=0.05, quality_sensitivity=2)
        r = allocate_sinking(p, m, leader_capacity=cap)
        check_certificate(r, p, m)
        assert abs(r.duality_gap) <= 1e-9 * (1 + abs(r.value))
        ub, s, g, mu = m.host_capacity, r.sinking, r.marginal_value, r.multiplier
        inside = (s > 1e-9) & (s < ub - 1e-9)
        assert inside.any()
        assert g[inside] == pytest.approx(mu, abs=1e-8)
        assert (g[s <= 1e-9] <= mu + 1e-9).all() and (g[s >= ub - 1e-9] >= mu - 1e-9).all()
        cost = p.cost_linear + p.cost_quadratic * r.total
        assert mu == pytest.approx(cost + r.capacity_price, abs=1e-8)
        assert (r.capacity_price > 0) == (r.total >= cap * (1 - 1e-9))


def test_capacity_binds_and_is_priced():
    m = Members(name=["A", "B", "C"], visits=[120_000, 60_000, 20_000], host_capacity=600)
    p = Parameters(price=0.3, subsidy=0.2)
    free = allocate_sinking(p, m)
    tight = allocate_sinking(p, m, leader_capacity=0.5 * free.total)
    assert tight.total == pytest.approx(0.5 * free.total)
    assert tight.capacity_price > 0 and free.capacity_price == 0
    none = allocate_sinking(p, m, leader_capacity=0.0)
    assert none.total == 0 and none.value == 0


def test_identical_members_are_split_without_loss():
    # Ties: 300 identical village clinics, a convex siphon loss (flow capped early).
    for flow in FLOWS:
        m = Members(name=[f"v{j}" for j in range(300)], visits=20_000, host_capacity=300)
        p = Parameters(flow=flow, price=0.3, subsidy=0.2, max_shift=0.2, shift_rate=2e-3)
        r = allocate_sinking(p, m, leader_capacity=2000)
        check_certificate(r, p, m)
        small = allocate_sinking(p, m[:8], leader_capacity=2000)
        assert r.value == pytest.approx(small.value, rel=1e-9)  # more clones do not help


def test_passive_members_pay_nothing_and_keep_the_passive_share():
    m = Members(name=["A", "B"], visits=[60_000, 60_000], host_capacity=[200, np.inf])
    p = Parameters(price=0.3, subsidy=0.3, brand_benefit=0.05)
    r = allocate_sinking(p, m, participation=[True, False])
    check_certificate(r, p, m)
    s = r.sinking
    assert s[1] > 0  # the subsidy pays for sinking even where the member is passive
    one = Parameters(price=0.3, subsidy=0.3, brand_benefit=0.05, visits=60_000)
    assert r.payoffs.primary[1] == pytest.approx(
        float(consortium_payoffs(one, m[1:], s[1:], 0).primary[0])
    )
    assert r.participation.tolist() == [True, False]


def test_bad_input():
    m = Members(name=["A"])
    with pytest.raises(ValueError, match="needs scalar parameters"):
        allocate_sinking(Parameters(subsidy=[0.1, 0.2]), m)
    with pytest.raises(ValueError, match="leader_capacity must be ≥ 0"):
        allocate_sinking(Parameters(), m, leader_capacity=-1)
    with pytest.raises(ValueError, match="leader_capacity must be ≥ 0"):
        allocate_sinking(Parameters(), m, leader_capacity=np.nan)
    with pytest.raises(ValueError, match="one 0/1 entry per member"):
        allocate_sinking(Parameters(), m, participation=[1, 0])
    with pytest.raises(TypeError, match="Members table"):
        allocate_sinking(Parameters(), [Parameters()])
    with pytest.raises(ValueError, match="max_iter must be ≥ 1"):
        participation_equilibrium(Parameters(), m, max_iter=0)
    with pytest.raises(ValueError, match="tol must be"):
        participation_equilibrium(Parameters(), m, tol=1.0)


@pytest.mark.parametrize("flow", FLOWS)
def test_300_members_in_milliseconds(flow):
    rng = np.random.default_rng(1)
    m = Members(
        name=[f"m{j}" for j in range(300)],
        visits=rng.uniform(2e3, 3e4, 300),
        travel_cost=rng.uniform(0, 0.05, 300),
        host_capacity=rng.uniform(50, 400, 300),
        shift_rate=rng.uniform(5e-4, 3e-3, 300),
    )
    p = Parameters(flow=flow, price=0.3, subsidy=0.2)
    r = allocate_sinking(p, m, leader_capacity=1500)
    check_certificate(r, p, m)
    start = time.perf_counter()
    for _ in range(5):
        allocate_sinking(p, m, leader_capacity=1500)
    elapsed = (time.perf_counter() - start) / 5
    # Measured on a 2-core CI box: linear ≈ 2 ms, saturating/logit ≈ 15–20 ms; the bound
    # leaves room for slow runners (the benchmarks report the real ratios).
    assert elapsed < (0.05 if flow == "linear" else 0.25)


# ----- participation --------------------------------------------------------------------
CROWD = Parameters(price=0.03, subsidy=0.2, primary_margin=0.01)


def check_equilibrium(r, p, m, cap):
    """Every member's switch, with the leader re-allocating, gains nothing (recomputed)."""
    assert r.success and r.cycle == ()
    base = r.allocation.payoffs.primary_objective
    for j in range(len(m)):
        dev = r.active.copy()
        dev[j] = not dev[j]
        other = allocate_sinking(p, m, participation=dev, leader_capacity=cap)
        gain = other.payoffs.primary_objective[j] - base[j]
        assert gain == pytest.approx(r.deviation_gain[j], abs=1e-9 * (1 + abs(base[j])))
        assert gain <= 1e-9 * (1 + abs(base[j]))


def test_a_member_that_never_joins():
    m = Members(
        name=["A", "B", "C"], visits=60_000, host_capacity=300, readiness_cost=[2.0, 2.0, 500.0]
    )
    r = participation_equilibrium(CROWD, m)
    assert r.active.tolist() == [True, True, False]
    check_equilibrium(r, CROWD, m, np.inf)


def test_a_member_joins_only_when_another_leaves_capacity():
    # One leader capacity for one member: the nearer A takes it and B stays out; when A
    # will not join (a prohibitive readiness cost), B joins and gets the doctors.
    m = Members(name=["A", "B"], visits=60_000, travel_cost=[0.0, 0.01])
    both = participation_equilibrium(CROWD, m, leader_capacity=300)
    assert both.active.tolist() == [True, False]
    assert both.allocation.sinking.tolist() == [300.0, 0.0]
    check_equilibrium(both, CROWD, m, 300)
    far = m.replace(readiness_cost=[1000.0, 2.0])
    alone = participation_equilibrium(CROWD, far, leader_capacity=300)
    assert alone.active.tolist() == [False, True]
    assert alone.allocation.sinking.tolist() == [0.0, 300.0]
    check_equilibrium(alone, CROWD, far, 300)
    assert "1 of 2 members active" in alone.message


def test_equilibrium_with_integration_and_curved_flow():
    p, m, cap = random_case(5, 6, "saturating")
    p = p.replace(integration=0.5, primary_margin=0.01)
    r = participation_equilibrium(p, m, leader_capacity=cap)
    check_equilibrium(r, p, m, cap)


def test_a_best_response_cycle_is_reported(monkeypatch):
    # Matching pennies on participation: member 0 wants to match member 1, who wants to
    # differ. Payoffs are replaced to build the cycle; detection is what is tested.
    def pennies(p, members):
        def score(e, s):
            e = np.asarray(e, dtype=bool)
            return np.array([e[0] == e[1], e[0] != e[1]], float)

        return score

    monkeypatch.setattr(participation, "_scorer", pennies)
    r = participation_equilibrium(Parameters(), Members(name=["A", "B"]))
    assert not r.success and "cycle through 4 participation profiles" in r.message
    assert [c.tolist() for c in r.cycle] == [
        [True, True],
        [True, False],
        [False, False],
        [False, True],
        [True, True],
    ]
    capped = participation_equilibrium(Parameters(), Members(name=["A", "B"]), max_iter=1)
    assert not capped.success and "max_iter=1" in capped.message and capped.cycle == ()


@pytest.mark.parametrize(("flow", "eta"), [("linear", 0.0), ("saturating", 0.4), ("logit", 1.0)])
@pytest.mark.parametrize("bundled", [False, True])
def test_the_fast_scorer_is_the_payoff_function(flow, eta, bundled):
    p, m, _ = random_case(9, 7, flow)
    p = p.replace(integration=eta)
    if bundled:  # retained savings and a half-conditional subsidy reach the scorer too
        p = p.replace(retained_share=0.7, leader_savings_share=0.4, conditional_subsidy=0.5)
    rng = np.random.default_rng(9)
    s, e = rng.uniform(0, 300, len(m)), rng.integers(0, 2, len(m)).astype(bool)
    fast = participation._scorer(p, m)(e, s)
    slow = consortium_payoffs(p, m, s, e).primary_objective
    assert fast.tolist() == pytest.approx(slow.tolist(), rel=1e-12, abs=1e-9)


def test_one_switch_in_logarithmic_time_is_the_full_allocation():
    # participation_equilibrium's fast path (η = 0, linear flow): member j's sinking after it
    # alone switches, found by a binary search, equals the leader's full re-allocation.
    from compensation.policy._deviation import Deviations
    from compensation.policy._dual import GRID, allocate_rows, prepare

    rng = np.random.default_rng(8)
    checked = 0
    for _ in range(40):
        n = int(rng.integers(1, 10))
        m = Members(
            name=[f"m{i}" for i in range(n)], visits=rng.uniform(5e3, 6e4, n),
            travel_cost=rng.uniform(0, 0.05, n), host_capacity=rng.uniform(50, 400, n),
            max_shift=rng.uniform(0.01, 0.5, n),
        )  # fmt: skip
        p = Parameters(
            price=rng.uniform(0, 0.1), subsidy=rng.uniform(0, 0.3), primary_margin=0.01,
            cost_quadratic=rng.uniform(1e-5, 3e-4),
        )  # fmt: skip
        cap = float(rng.choice([np.inf, rng.uniform(50, 1500)]))
        idx = np.arange(n)
        prep = prepare(p, m, np.concatenate([idx, idx]), np.repeat([1.0, 0.0], n), GRID)
        steps = Deviations(prep, n, cap)
        for _ in range(5):
            e, j = rng.integers(0, 2, n).astype(bool), int(rng.integers(n))
            steps.base(e)
            mine = steps.switch(j)
            dev = e.copy()
            dev[j] = not dev[j]
            full = allocate_rows(prep, np.where(dev, idx, n + idx), cap)[0][j]
            if mine is not None:
                checked += 1
                assert mine == pytest.approx(full, rel=1e-9, abs=1e-9)
    assert checked > 150


@pytest.mark.parametrize("eta", [0.0, 0.4, 1.0])
@pytest.mark.parametrize("bundled", [False, True])
def test_every_single_switch_at_once_is_the_scorer(eta, bundled):
    # ``flips`` scores every member's lone switch at an unchanged allocation in one call.
    p, m, _ = random_case(4, 9, "logit")
    p = p.replace(integration=eta)
    if bundled:
        p = p.replace(retained_share=0.6, leader_savings_share=0.3, conditional_subsidy=0.7)
    rng = np.random.default_rng(4)
    score = participation._scorer(p, m)
    for _ in range(3):
        s, e = rng.uniform(0, 300, len(m)), rng.integers(0, 2, len(m)).astype(bool)
        flips = score.flips(e, s)
        for j in range(len(m)):
            dev = e.copy()
            dev[j] = not dev[j]
            slow = consortium_payoffs(p, m, s, dev).primary_objective[j]
            assert flips[j] == pytest.approx(score(dev, s)[j], rel=1e-12, abs=1e-9)
            assert flips[j] == pytest.approx(slow, rel=1e-12, abs=1e-9)


@pytest.mark.parametrize("flow", ["saturating", "logit"])
def test_an_idle_switch_keeps_the_full_allocation(flow):
    # participation_equilibrium's fast path for curved flows: a member that sinks nothing and
    # whose rows both answer the multiplier with zero keeps the allocation when it switches.
    # The full solver, run on the switched profile, must return that allocation again.
    from compensation.policy._dual import GRID, allocate_rows, prepare
    from compensation.policy._switches import SwitchPath

    rng = np.random.default_rng(11)
    checked = together = 0
    for seed in range(12):
        p, m, cap = random_case(100 + seed, 10, flow)
        p = p.replace(primary_margin=0.01, cost_quadratic=float(rng.uniform(1e-5, 2e-4)))
        cap = float(rng.choice([600.0, 1500.0, np.inf]))
        n, idx = len(m), np.arange(len(m))
        prep = prepare(p, m, np.concatenate([idx, idx]), np.repeat([1.0, 0.0], n), GRID)
        path = SwitchPath(prep, cap, participation._scorer(p, m), integration=p.integration)
        for _ in range(3):
            e = rng.integers(0, 2, n).astype(bool)
            path.settle(e)
            for j in range(n):
                if not path._idle(j):
                    continue
                dev = e.copy()
                dev[j] = not dev[j]
                full = allocate_rows(prep, np.where(dev, idx, n + idx), cap)[0]
                scale = 1 + np.abs(path.s).max()
                assert np.abs(full - path.s).max() <= 1e-9 * scale
                gain = path.deviate(j)
                exact = consortium_payoffs(p, m, full, dev).primary_objective[j]
                assert gain == pytest.approx(exact, rel=1e-12, abs=1e-9)
                checked += 1
            # All idle members switched at once: the solved profile's allocation again.
            idle = np.array([path._idle(j) for j in range(n)])
            if idle.sum() > 1:
                many = e ^ idle
                fast = path.allocation(many)[0]
                full = allocate_rows(prep, np.where(many, idx, n + idx), cap)[0]
                assert np.abs(full - fast).max() <= 1e-9 * (1 + np.abs(fast).max())
                together += 1
    assert checked > 100 and together > 10


@pytest.mark.parametrize(("flow", "eta"), [("saturating", 0.0), ("logit", 0.0), ("logit", 0.5)])
def test_curved_equilibria_are_certified_against_the_full_solver(flow, eta):
    rng = np.random.default_rng(12)
    n = 24
    m = Members(
        name=[f"m{j}" for j in range(n)], visits=rng.uniform(5e3, 6e4, n),
        travel_cost=rng.uniform(0, 0.05, n), host_capacity=rng.uniform(50, 400, n),
        readiness_cost=rng.uniform(0, 3, n),
    )  # fmt: skip
    p = Parameters(
        flow=flow, price=0.03, subsidy=0.15, primary_margin=0.01, cost_quadratic=2e-5,
        integration=eta,
    )  # fmt: skip
    r = participation_equilibrium(p, m, leader_capacity=1500.0)
    assert 0 < r.active.sum() < n  # members on both sides: switches were evaluated both ways
    check_equilibrium(r, p, m, 1500.0)


def test_curved_participation_for_300_members_is_fast():
    rng = np.random.default_rng(8)
    m = Members(
        name=[f"m{j}" for j in range(300)], visits=rng.uniform(5e3, 6e4, 300),
        travel_cost=rng.uniform(0, 0.05, 300), host_capacity=rng.uniform(50, 400, 300),
        readiness_cost=rng.uniform(0, 3, 300),
    )  # fmt: skip
    p = Parameters(price=0.03, subsidy=0.15, primary_margin=0.01, cost_quadratic=2e-5,
                   flow="saturating")  # fmt: skip
    start = time.perf_counter()
    r = participation_equilibrium(p, m, leader_capacity=3000.0)
    elapsed = time.perf_counter() - start
    assert r.success and np.isfinite(r.deviation_gain).all()
    # Measured ≈ 0.1 s of CPU on a loaded 2-core box; re-allocating at every switch ≈ 18 s.
    assert elapsed < 5.0


@pytest.mark.parametrize("flow", FLOWS)
def test_the_ceiling_on_a_switch_holds_for_every_allocation(flow):
    # The bound that lets the dynamics skip a re-allocation: no sinking x in [0, ub] gives a
    # switched member more than ``ceiling``, and it overshoots by at most the cost b x dropped.
    p, m, _ = random_case(6, 12, flow)
    p = p.replace(integration=0.0, price=-0.05 if flow == "logit" else 0.1)
    rng = np.random.default_rng(6)
    score = participation._scorer(p, m)
    ub = np.minimum(p.max_sinking, m.column("host_capacity", p))
    assert score.ceiling(rng.integers(0, 2, len(m)), ub) is not None
    assert participation._scorer(p.replace(integration=0.3), m).ceiling(np.ones(len(m)), ub) is None
    for _ in range(4):
        e = rng.integers(0, 2, len(m)).astype(bool)
        top = score.ceiling(e, ub)
        x = np.vstack([np.zeros(len(m)), ub, rng.uniform(0, 1, (200, len(m))) * ub])
        best = np.max([score.flips(e, row) for row in x], axis=0)
        assert (best <= top + 1e-9 * (1 + np.abs(top))).all()
        b = (m.column("price", p) + m.column("hosting_cost", p)) * ~e
        assert (top - best <= np.abs(b) * ub + 1e-9 * (1 + np.abs(top))).all()
