import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation import (
    Parameters,
    logit_intercept_for,
    objectives,
    payoffs,
    price_gap,
    shift_share,
    shifted_visits,
    sinking_cost,
)
from compensation.model.flow import flow_slope

from .strategies import parameters


def model_payoffs(p, s, e):
    """MODEL.md §3–4 transcribed term by term, for scalars."""
    if p.flow == "linear":
        dq = min(p.shift_rate * s, p.max_shift)
    elif p.flow == "saturating":
        dq = p.max_shift * (1 - np.exp(-s / p.sinking_scale))
    else:
        direct = p.leader_visit_price * (1 - p.leader_reimbursement) * (1 + p.direct_surcharge)
        first = p.primary_visit_price * (1 - p.primary_reimbursement)
        referred = p.leader_visit_price * (1 - p.leader_reimbursement) * (1 - p.referral_discount)
        gap = direct - (first + p.referral_up_rate * referred)
        base = p.logit_intercept + p.price_sensitivity * gap
        kappa = 1 - np.exp(-s / p.sinking_scale)
        dq = 1 / (1 + np.exp(-(base + p.quality_sensitivity * kappa))) - 1 / (1 + np.exp(-base))
    V = p.common_share * p.visits * dq
    f = p.passive_fraction + (1 - p.passive_fraction) * e
    C = p.cost_linear * s + 0.5 * p.cost_quadratic * s**2
    sigma = (
        p.leader_reimbursement * p.leader_visit_price
        - p.primary_reimbursement * p.primary_visit_price
    )
    R = p.retained_share * sigma * V * f
    paid = p.subsidy * s * (1 - p.conditional_subsidy + p.conditional_subsidy * e)
    L = (
        -(p.leader_margin - p.slot_value - p.profit_share * p.primary_margin) * V * f
        + p.leader_savings_share * R
        - C
        + (p.price * e + p.brand_benefit) * s
        + paid
    )
    P = (
        (1 - p.profit_share) * p.primary_margin * V * f
        + (1 - p.leader_savings_share) * R
        - (p.price + p.hosting_cost) * s * e
        - p.readiness_cost * e
        + p.primary_subsidy * e
    )
    M = sigma * V * f - R
    W = L + P + p.social_benefit * s * e + (1 + p.funds_cost) * (M - paid - p.primary_subsidy * e)
    return L, P, W, M


@given(
    st.one_of(parameters(), parameters(bundled=True)),
    st.floats(0, 2000),
    st.sampled_from([0.0, 1.0, 0.4]),
)
def test_payoffs_match_model_equations(p, s, e):
    r = payoffs(p, s, e)
    L, P, W, M = model_payoffs(p, s, e)
    scale = 1 + abs(L) + abs(P) + abs(M)
    assert abs(r.leader - L) <= 1e-12 * scale
    assert abs(r.primary - P) <= 1e-12 * scale
    assert abs(r.insurer - M) <= 1e-12 * scale
    assert abs(r.welfare - W) <= 1e-12 * (scale + abs(W))


@given(parameters(bundled=True), st.floats(0, 2000), st.floats(0, 1))
def test_zero_retained_share_is_fee_for_service_exactly(p, s, e):
    # psi = 0 is fee-for-service whatever the split: bit-for-bit the same payoffs.
    ffs = payoffs(p.replace(retained_share=0.0), s, e)
    for omega in (0.0, float(p.leader_savings_share), 1.0):
        r = payoffs(p.replace(retained_share=0.0, leader_savings_share=omega), s, e)
        assert (r.leader, r.primary, r.welfare, r.insurer) == (
            ffs.leader,
            ffs.primary,
            ffs.welfare,
            ffs.insurer,
        )


@given(parameters(bundled=True), st.floats(0, 2000), st.floats(0, 1))
def test_retained_savings_move_money_from_insurer_to_consortium(p, s, e):
    # Retention is a transfer: the consortium gains psi sigma V f, split omega : 1 - omega,
    # the insurer loses exactly that, and welfare loses its cost of public funds.
    ffs = payoffs(p.replace(retained_share=0.0), s, e)
    r = payoffs(p, s, e)
    kept = ffs.insurer * p.retained_share
    scale = 1 + abs(float(ffs.insurer)) + abs(float(ffs.leader)) + abs(float(ffs.primary))
    assert float(r.leader - ffs.leader) == pytest.approx(
        float(p.leader_savings_share * kept), abs=1e-11 * scale
    )
    assert float(r.primary - ffs.primary) == pytest.approx(
        float((1 - p.leader_savings_share) * kept), abs=1e-11 * scale
    )
    assert float(ffs.insurer - r.insurer) == pytest.approx(float(kept), abs=1e-11 * scale)
    assert float(ffs.welfare - r.welfare) == pytest.approx(
        float(p.funds_cost * kept), abs=1e-11 * (scale + abs(float(ffs.welfare)))
    )


def test_bundled_numbers_by_hand():
    # sigma_M = 0.5*0.03 - 0.7*0.01 = 0.008 (80 CNY a visit); V(300) = 8400 with P active.
    p = Parameters(retained_share=0.8, leader_savings_share=0.25)
    r = payoffs(p, 300, 1)
    kept = 0.8 * 0.008 * 8400
    assert float(r.leader) == pytest.approx(-0.003 * 8400 + 0.25 * kept - 45 + 0.07 * 300)
    assert float(r.primary) == pytest.approx(0.004 * 8400 + 0.75 * kept - 0.07 * 300 - 2)
    assert float(r.insurer) == pytest.approx(0.2 * 0.008 * 8400)
    assert float(r.welfare) == pytest.approx(
        float(r.leader + r.primary) + 0.2 * 300 + 1.2 * 0.2 * 0.008 * 8400
    )


def test_conditional_subsidy_is_not_paid_to_a_leader_whose_partner_is_passive():
    p = Parameters(subsidy=0.3)
    cond = p.replace(conditional_subsidy=1.0)
    for e in (0.0, 1.0):
        gap = float(payoffs(p, 300, e).leader - payoffs(cond, 300, e).leader)
        assert gap == pytest.approx(0.3 * 300 * (1 - e))
        w_gap = float(payoffs(cond, 300, e).welfare - payoffs(p, 300, e).welfare)
        # The leader loses g s, the government saves (1 + lambda) g s: welfare gains lambda g s.
        assert w_gap == pytest.approx(0.2 * 0.3 * 300 * (1 - e))
    assert float(payoffs(cond, 300, 0.0).leader - payoffs(cond, 0, 0.0).leader) < 0


@given(parameters(bundled=True), st.floats(0, 2000), st.floats(0, 1))
def test_objectives_pool_payoffs(p, s, e):
    r = payoffs(p, s, e)
    o_l, o_p = objectives(p, s, e)
    eta = p.integration
    assert np.isclose(
        o_l, (1 - eta) * r.leader + eta * (r.leader + r.primary), rtol=1e-12, atol=1e-9
    )
    assert np.isclose(
        o_p, (1 - eta) * r.primary + eta * (r.leader + r.primary), rtol=1e-12, atol=1e-9
    )


def test_no_sinking_no_activity_is_status_quo():
    r = payoffs(Parameters(subsidy=0.3, primary_subsidy=1.0), 0.0, 0.0)
    assert r.leader == r.primary == r.welfare == 0.0


def test_default_numbers_by_hand():
    # V = 0.7 * 200000 * 2e-4 * 300 = 8400 visits; C = 0.12*300 + 0.5*2e-4*300^2 = 45.
    p = Parameters()
    assert float(shifted_visits(p, 300)) == pytest.approx(8400)
    assert float(sinking_cost(p, 300)) == pytest.approx(45)
    r = payoffs(p, 300, 1)
    assert float(r.leader) == pytest.approx(-0.003 * 8400 - 45 + 0.07 * 300)
    assert float(r.primary) == pytest.approx(0.004 * 8400 - 0.07 * 300 - 2)


def test_broadcast_over_parameter_and_sinking_grids():
    p = Parameters(subsidy=np.linspace(0, 0.4, 5)[:, None], price=np.linspace(0, 0.1, 3))
    r = payoffs(p, np.array([0.0, 100.0, 300.0])[:, None, None], 1)
    assert r.leader.shape == (3, 5, 3)
    L, *_ = model_payoffs(Parameters(subsidy=0.2, price=0.05), 100.0, 1)
    assert r.leader[1, 2, 1] == pytest.approx(L, rel=1e-12)


def test_flow_forms():
    lin = Parameters()
    assert shift_share(lin, [0, 2500, 9000]).tolist() == [0.0, 0.5, 0.5]
    sat = Parameters(flow="saturating")
    assert float(shift_share(sat, 300)) == pytest.approx(0.5 * (1 - np.exp(-1)))
    lg = Parameters(flow="logit")
    assert float(shift_share(lg, 0)) == 0.0
    up = lg.replace(quality_sensitivity=-1.0)
    assert float(shift_share(up, 500)) < 0  # patients migrate up: the siphon effect


def test_community_first_discount_acts_on_the_referred_up_leader_fee():
    # Source 001: the discount is on the big hospital's fee for patients referred up after a
    # community-first visit, so it raises G by pi * delta * p_L (1 - r_L) and does nothing
    # without referrals; the surcharge is on direct visits.
    lg = Parameters(flow="logit")
    assert float(price_gap(lg.replace(referral_discount=0.2))) == float(price_gap(lg))
    up = lg.replace(referral_up_rate=0.25)
    gain = float(price_gap(up.replace(referral_discount=0.2)) - price_gap(up))
    assert gain == pytest.approx(0.25 * 0.2 * 0.03 * 0.5, rel=1e-12)
    assert float(price_gap(up)) == pytest.approx(0.03 * 0.5 - 0.01 * 0.3 - 0.25 * 0.03 * 0.5)
    assert float(price_gap(lg.replace(direct_surcharge=0.1))) > float(price_gap(lg))
    # A discount on the primary fee (the old, wrong reading) would have moved G by
    # delta * p_P (1 - r_P) even with no referrals up.
    assert float(shift_share(up.replace(referral_discount=0.2), 300)) > float(shift_share(up, 300))


def test_logit_intercept_reproduces_baseline_share():
    p = Parameters(flow="logit", referral_discount=0.15)
    a0 = float(logit_intercept_for(p, 0.42))
    u = a0 + p.price_sensitivity * float(price_gap(p))
    assert 1 / (1 + np.exp(-u)) == pytest.approx(0.42, rel=1e-14)
    with pytest.raises(ValueError, match="baseline_share"):
        logit_intercept_for(p, 1.0)


@given(parameters(), st.floats(1, 1900))
def test_flow_slope_matches_finite_difference(p, s):
    if p.flow == "linear" and abs(p.shift_rate * s - p.max_shift) < 1e-3:
        return  # kink
    h = 1e-3
    fd = (shift_share(p, s + h) - shift_share(p, s - h)) / (2 * h)
    assert float(flow_slope(p, np.asarray(s))) == pytest.approx(float(fd), rel=1e-5, abs=1e-10)


@pytest.mark.parametrize(("s", "e", "name"), [(-1.0, 1, "s"), (1.0, 1.5, "e"), (np.nan, 1, "s")])
def test_bad_strategy_values(s, e, name):
    with pytest.raises(ValueError, match=f"^{name} must"):
        payoffs(Parameters(), s, e)
