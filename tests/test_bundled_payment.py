import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation import (
    ContractSchedule,
    InfeasibleError,
    SettlementRule,
    TUGame,
    capitation_budget,
    performance_scores,
    settle,
    split_surplus,
)
from compensation.bundled.settlement import retained_share

rules = st.builds(
    SettlementRule,
    retention=st.floats(0, 1),
    min_savings_rate=st.just(0.0),
    cap=st.one_of(st.just(np.inf), st.floats(0.01, 0.5)),
    band=st.floats(0, 0.2),
    payer_share=st.floats(0, 1),
    net_of_threshold=st.booleans(),
)


def test_settlement_cases_by_hand():
    rule = SettlementRule(
        retention=0.8, min_savings_rate=0.02, cap=0.05, band=0.05, payer_share=0.5
    )
    s = settle(1000.0, [990.0, 960.0, 900.0, 1000.0, 1040.0, 1100.0], rule, quality=0.9)
    # 10 < MSR 20: nothing; 40: 0.8*0.9*40; 100: min(72, cap 50); 0; -40 shared; beyond band
    assert s.consortium.tolist() == pytest.approx([0, 28.8, 50, 0, -20, -25 - 50])
    assert (s.consortium + s.payer == s.balance).all()
    assert s.payer_outlay.tolist() == pytest.approx(
        (np.array([990, 960, 900, 1000, 1040, 1100]) + s.consortium).tolist()
    )


@given(rules, st.floats(0, 1))
def test_settlement_is_continuous_and_piecewise_linear(rule, q):
    B = 1000.0
    E = np.linspace(0, 2000, 200_001)
    c = settle(B, E, rule, quality=q).consortium
    jumps = np.abs(np.diff(c))
    assert jumps.max() <= 1.0001 * 0.01 + 1e-9  # slope never exceeds 1 per unit of spending
    second = np.abs(np.diff(c, 2))
    kinks = np.count_nonzero(second > 1e-9)
    assert kinks <= 2 * 4  # a few kinks (cap, zero, band), linear in between


def test_first_dollar_msr_jumps_and_net_mode_does_not():
    B = 1000.0
    first = SettlementRule(min_savings_rate=0.02)
    net = SettlementRule(min_savings_rate=0.02, net_of_threshold=True)
    below, above = settle(B, [980.0001, 979.9999], first).consortium
    assert above - below == pytest.approx(20, abs=1e-3)
    below, above = settle(B, [980.0001, 979.9999], net).consortium
    assert above - below == pytest.approx(0, abs=1e-3)


def test_settlement_validation():
    with pytest.raises(ValueError, match="retention must be in \\[0, 1\\]"):
        SettlementRule(retention=1.5)
    with pytest.raises(ValueError, match="budget must be finite and > 0"):
        settle(0.0, 10.0)
    with pytest.raises(ValueError, match="spending must be finite and ≥ 0"):
        settle(100.0, -1.0)


def test_capitation_budget_broadcasts():
    b = capitation_budget([[1.0, 2.0], [1.0, 1.0]], [0.05, 0.04], [100, 50])
    assert b.tolist() == pytest.approx([9.0, 7.0])
    with pytest.raises(ValueError, match="rates must be finite and ≥ 0"):
        capitation_budget(1.0, -0.05, 100)


def test_performance_scores_and_errors():
    ps = performance_scores(
        [[0.9, 6.0], [0.4, 13.0]],
        ["higher", "lower"],
        floors=[0.5, 12.0],
        targets=[0.8, 7.0],
        weights=[0.5, 0.5],
    )
    assert ps.normalised.tolist() == [[1.0, 1.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match="member 1, los = nan"):
        performance_scores(
            [[0.9, 6.0], [0.4, np.nan]],
            ["higher", "lower"],
            [0.5, 12],
            [0.8, 7],
            [0.5, 0.5],
            names=["control", "los"],
        )
    with pytest.raises(ValueError, match="sum to 1"):
        performance_scores([[1, 1]], ["higher", "higher"], [0, 0], [1, 1], [0.5, 0.6])
    with pytest.raises(ValueError, match="floor must lie below the target"):
        performance_scores([[1, 1]], ["higher", "higher"], [0, 2], [1, 1], [0.5, 0.5])


def test_contract_schedule_luzhou_terms():
    c = ContractSchedule(
        management_fee=100,
        full_time_staff=1,
        leader_salary=25,
        part_time_days={"chief": 20, "attending": 60},
        daily_rates={"chief": 0.25, "attending": 0.12},
    )
    f = c.cash_flows(
        years=5,
        assessment=[1, 1, 0.8, 1, 1],
        evaluation=[1, 0.9, 1, 1, 1],
        discount_rate=0.0,
        leader_cost=60,
        primary_benefit=200,
    )
    assert f.management_fee.tolist() == [0, 50, 80, 100, 100]
    assert f.staff_pay.tolist() == pytest.approx([37.2, 25 + 0.9 * 12.2, 37.2, 37.2, 37.2])
    assert f.present_value == pytest.approx(f.transfer.sum())
    assert f.leader_participates and f.primary_participates
    with pytest.raises(ValueError, match="daily_rates lacks a rate for title"):
        ContractSchedule(management_fee=1, part_time_days={"chief": 1})
    with pytest.raises(ValueError, match="assessment must be a scalar or have 5 entries"):
        c.cash_flows(assessment=[1, 1])


# ---- allocation LP ----------------------------------------------------------------------


@st.composite
def allocation_problems(draw):
    m = draw(st.integers(2, 5))
    scores = draw(st.lists(st.floats(0.0, 1.0), min_size=m, max_size=m))
    if sum(scores) == 0:
        scores[0] = 1.0
    floors = draw(st.lists(st.floats(0, 30), min_size=m, max_size=m))
    return 100.0, scores, floors


@given(allocation_problems(), st.sampled_from(["l1-to-scores", "max-min"]))
def test_allocation_constraints_hold_or_conflict_is_named(problem, objective):
    R, scores, floors = problem
    try:
        a = split_surplus(R, scores, floors=floors, objective=objective)
    except InfeasibleError as err:
        assert sum(floors) > R
        assert all(name.startswith("floor[") for name in err.constraints)
        named = [int(n[len("floor[member ") : -1]) for n in err.constraints]
        assert sum(floors[j] for j in named) > R  # the named floors alone are infeasible
        return
    assert a.shares.sum() == pytest.approx(R, rel=1e-9)
    assert (a.shares >= np.array(floors) - 1e-7).all()


def test_core_constraints_with_game_and_binding_names():
    g = TUGame(3, {(0,): 10, (0, 1): 60, (0, 2): 50, (0, 1, 2): 100}, names=("leader", "A", "B"))
    a = split_surplus(100.0, [0.2, 0.5, 0.3], game=g)
    x = a.shares
    assert x[0] >= 10 - 1e-9 and x[0] + x[1] >= 60 - 1e-9 and x[0] + x[2] >= 50 - 1e-9
    assert "core{leader, B}" in a.binding
    lc = split_surplus(100.0, [0.2, 0.5, 0.3], game=g, objective="least-core")
    assert lc.objective_value == pytest.approx(-20.0)


def test_group_floor_and_conflict_names_caps_too():
    a = split_surplus(100.0, [0.7, 0.1, 0.1, 0.1], group_floors={"primary": ([1, 2, 3], 0.4)})
    assert a.shares[1:].sum() == pytest.approx(40.0)
    assert a.binding == ("group_floor[primary]",)
    with pytest.raises(InfeasibleError) as err:
        split_surplus(
            100.0,
            [0.7, 0.1, 0.1, 0.1],
            caps=[100, 10, 10, 10],
            group_floors={"primary": ([1, 2, 3], 0.4)},
        )
    assert set(err.value.constraints) == {
        "cap[member 1]",
        "cap[member 2]",
        "cap[member 3]",
        "group_floor[primary]",
    }


def test_deterministic_tie_break():
    # max-min with equal scores has many optima once capped; the result is the one nearest
    # the targets, identical on every call.
    runs = {
        tuple(
            split_surplus(90.0, [1, 1, 1], caps=[20, 50, 50], objective="max-min").shares.round(9)
        )
        for _ in range(3)
    }
    assert runs == {(20.0, 35.0, 35.0)}


def test_allocation_bad_input():
    with pytest.raises(ValueError, match="objective must be one of"):
        split_surplus(1.0, [1, 1], objective="fair")
    with pytest.raises(ValueError, match="needs a game"):
        split_surplus(1.0, [1, 1], objective="least-core")
    with pytest.raises(ValueError, match="scores must be a 1-D array"):
        split_surplus(1.0, [0, 0])
    # A negative amount is a loss to share (MODEL.md §11); a non-finite one is refused.
    with pytest.raises(ValueError, match="surplus must be finite"):
        split_surplus(float("nan"), [1, 1])


# ---- one result vocabulary (issue 11) ----------------------------------------------------


def test_allocation_reports_its_solver_and_prints_rounded():
    a = split_surplus(100.0, [0.9, 0.6, 0.3], floors=[0, 40, 0], names=["L", "A", "B"])
    assert a.success and a.method == "highs" and a.message
    assert a.tol == pytest.approx(1e-5)
    text = repr(a)
    assert text.startswith("Allocation(shares=[") and "binding=('floor[A]',)" in text
    assert "33.3333," in text and "33.33333333" not in text  # six significant digits
    assert a.to_dict()["names"] == ("L", "A", "B")


def test_allocation_method_names_the_pulp_solver():
    pytest.importorskip("pulp")
    a = split_surplus(100.0, [0.9, 0.6, 0.3], solver="pulp-cbc")
    assert a.method == "pulp-cbc" and a.success
    assert a.shares.tolist() == pytest.approx([50.0, 100 / 3, 50 / 3])


def test_settlement_and_cash_flows_turn_into_frames():
    pytest.importorskip("pandas")
    s = settle(1000.0, [900.0, 1030.0])
    frame = s.to_frame()
    assert list(frame.columns) == ["balance", "consortium", "payer", "payer_outlay"]
    assert frame["consortium"].tolist() == [100.0, -15.0]
    flows = ContractSchedule(management_fee=100).cash_flows(years=3)
    assert len(flows.to_frame()) == 3
    assert repr(settle(1000.0, 900.0)) == (
        "Settlement(balance=100.0, consortium=100.0, payer=0.0, payer_outlay=1000.0)"
    )


def test_performance_scores_frame_has_a_row_per_member():
    pytest.importorskip("pandas")
    ps = performance_scores(
        [[0.70, 9.0], [0.55, 11.0]],
        ["higher", "lower"],
        floors=[0.5, 12.0],
        targets=[0.8, 7.0],
        weights=[0.6, 0.4],
        names=["control", "los"],
    )
    frame = ps.to_frame()
    assert list(frame.columns) == ["control", "los", "score"]
    assert frame["score"].round(4).tolist() == [0.64, 0.18]


# ----- the retained share that ties the budget to the sinking game (issue 14) -------------

rules_msr = st.builds(
    SettlementRule,
    retention=st.floats(0, 1),
    min_savings_rate=st.floats(0, 0.05),
    cap=st.one_of(st.just(np.inf), st.floats(0.01, 0.5)),
    band=st.floats(0, 0.2),
    payer_share=st.floats(0, 1),
    net_of_threshold=st.booleans(),
)


def test_retained_share_by_hand():
    rule = SettlementRule(retention=0.8, min_savings_rate=0.02, cap=0.05, band=0.05)
    spending = [990.0, 960.0, 900.0, 1000.0, 1040.0, 1100.0]
    # below the MSR: 0; surplus: r_s q; capped: 0; at balance with an MSR: 0; band: 1 - r_d;
    # beyond the band: 1.
    psi = retained_share(1000.0, spending, rule=rule, quality=0.9)
    assert psi.tolist() == pytest.approx([0.0, 0.72, 0.0, 0.0, 0.5, 1.0])
    # Average over a saving that crosses the band's edge: 20 at 1 and 40 at 1/2, over 60.
    assert float(retained_share(1000.0, 1070.0, 60.0, rule)) == pytest.approx(40 / 60)
    assert float(retained_share(1000.0, 900.0)) == 1.0  # default rule: full retention
    with pytest.raises(ValueError, match="savings must be ≤ spending"):
        retained_share(1000.0, 10.0, 20.0)
    with pytest.raises(ValueError, match="savings"):
        retained_share(1000.0, 10.0, -1.0)


@given(rules_msr, st.floats(0, 1), st.floats(0, 2000))
def test_retained_share_is_the_slope_of_the_settlement(rule, q, spending):
    # The marginal share is the right derivative of the consortium's settlement as spending
    # falls; the average share over a saving is the settlement's difference quotient.
    h = 1e-6
    before = float(settle(1000.0, spending, rule, q).consortium)
    after = float(settle(1000.0, max(spending - h, 0.0), rule, q).consortium)
    marginal = float(retained_share(1000.0, spending, rule=rule, quality=q))
    assert 0.0 <= marginal <= 1.0
    if spending > h and abs((after - before) / h - marginal) > 1e-6:
        # Only a first-dollar MSR jump or a kink within h of the point may differ.
        kinks = [1000.0 * (1 - rule.min_savings_rate), 1000.0, 1000.0 * (1 + rule.band)]
        if np.isfinite(rule.cap) and rule.retention * q > 0:
            shared = rule.cap * 1000.0 / (rule.retention * q)
            kinks.append(1000.0 - shared - (rule.min_savings_rate * 1000.0) * rule.net_of_threshold)
        assert min(abs(spending - k) for k in kinks) <= 2 * h
    saving = 0.5 * spending
    if saving > 0:
        avg = float(retained_share(1000.0, spending, saving, rule, q))
        far = float(settle(1000.0, spending - saving, rule, q).consortium)
        assert avg == pytest.approx((far - before) / saving, rel=1e-12, abs=1e-12)
