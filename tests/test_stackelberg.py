import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import Parameters, best_sinking, optimal_subsidy, payoffs
from compensation.model.leader import leader_hull
from compensation.model.payoffs import objectives_unchecked
from compensation.policy.stackelberg import _primary_price

from ._brute import brute_design
from .strategies import parameters

# Regression scenarios written before welfare counted the insurer's savings (issue 14): with
# r_L p_L = r_P p_P the insurer saves nothing on a moved visit, so they keep their meaning.
NO_SAVINGS = dict(leader_reimbursement=0.0, primary_reimbursement=0.0)
# Same, with the logit's out-of-pocket gap unchanged (p_L (1 - r_L) = 0.015, r_L p_L = 0.007).
NO_SAVINGS_LOGIT = dict(leader_visit_price=0.022, leader_reimbursement=0.007 / 0.022)

CASES = [
    ("government-led", Parameters(), None),
    # Primary care needs its lump sum to be active there; without it the closed form's outcome
    # is not an equilibrium and the numeric design buys participation instead.
    ("government-led", Parameters(integration=0.4, profit_share=0.2, primary_subsidy=3.0), 5.0),
    ("primary-led", Parameters(), None),
    ("primary-led", Parameters(integration=0.4, profit_share=0.2, primary_subsidy=3.0), 30.0),
]


@pytest.mark.parametrize(("alliance", "p", "budget"), CASES)
def test_closed_form_matches_numeric_search(alliance, p, budget):
    a = optimal_subsidy(p, alliance, budget, method="closed-form")
    b = optimal_subsidy(p, alliance, budget, method="numeric")
    assert a.method == "closed-form" and b.method == "numeric"
    assert float(b.subsidy) == pytest.approx(float(a.subsidy), rel=1e-6)
    assert float(b.sinking) == pytest.approx(float(a.sinking), rel=1e-6)
    assert float(b.welfare) == pytest.approx(float(a.welfare), rel=1e-8)


@pytest.mark.parametrize("alliance", ["government-led", "primary-led"])
def test_optimum_beats_every_subsidy_on_a_grid(alliance):
    p = Parameters()
    d = optimal_subsidy(p, alliance)
    for g in np.linspace(0, 0.5, 51):
        w = _primary_price(p, g) if alliance == "primary-led" else p.price
        q = p.replace(subsidy=g, price=w)
        s = float(best_sinking(q))
        assert float(payoffs(q, s, 1).welfare) <= float(d.welfare) + 1e-9


def test_primary_led_pass_through_is_one_half():
    p = Parameters()
    c2 = p.cost_quadratic
    g0, g1 = 0.20, 0.24
    w0, w1 = _primary_price(p, g0), _primary_price(p, g1)
    s0 = float(best_sinking(p.replace(subsidy=g0, price=w0)))
    s1 = float(best_sinking(p.replace(subsidy=g1, price=w1)))
    assert (w1 - w0) / (g1 - g0) == pytest.approx(-0.5, rel=1e-6)
    assert (s1 - s0) / (g1 - g0) == pytest.approx(0.5 / c2, rel=1e-6)
    s_gov = float(best_sinking(p.replace(subsidy=g1))) - float(best_sinking(p.replace(subsidy=g0)))
    assert s_gov / (g1 - g0) == pytest.approx(1 / c2, rel=1e-12)


def test_primary_led_price_can_be_negative():
    # With h = 0.05 the old test's design had welfare below the status quo; h = 0.5 makes
    # sinking worth buying, and primary care still sets a negative price.
    d = optimal_subsidy(Parameters(leader_margin=0.008, social_benefit=0.5), "primary-led")
    assert float(d.price) < 0 and bool(d.participation)


def test_budget_is_respected_and_binding():
    d = optimal_subsidy(Parameters(), budget=10.0)
    assert bool(d.budget_binding)
    assert float(d.subsidy * d.sinking) == pytest.approx(10.0, rel=1e-12)
    free = optimal_subsidy(Parameters())
    assert not bool(free.budget_binding) and float(free.welfare) > float(d.welfare)


def test_vectorised_closed_form():
    p = Parameters(social_benefit=np.linspace(0.1, 0.3, 5))
    d = optimal_subsidy(p)
    assert d.subsidy.shape == (5,)
    for i, h in enumerate(p.social_benefit):
        assert float(d.subsidy[i]) == float(optimal_subsidy(Parameters(social_benefit=h)).subsidy)


def test_nonlinear_flow_uses_numeric_and_zero_subsidy_when_flat():
    d = optimal_subsidy(Parameters(flow="saturating", **NO_SAVINGS))
    assert d.method == "numeric"
    assert float(d.sinking) == 0.0 and float(d.subsidy) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="alliance must be one of .*did you mean"):
        optimal_subsidy(Parameters(), "goverment-led")
    with pytest.raises(ValueError, match="budget must be finite and ≥ 0"):
        optimal_subsidy(Parameters(), budget=-1)
    with pytest.raises(ValueError, match="needs flow='linear'"):
        optimal_subsidy(Parameters(flow="logit"), method="closed-form")
    with pytest.raises(ValueError, match="does not apply"):
        optimal_subsidy(
            Parameters(social_benefit=0.0, price=0.0, **NO_SAVINGS), method="closed-form"
        )


def test_numeric_design_accepts_arrays_point_by_point():
    p = Parameters(flow="saturating", brand_benefit=0.1, price=[0.0, 0.1])
    d = optimal_subsidy(p)
    assert d.subsidy.shape == (2,)
    for i, w in enumerate([0.0, 0.1]):
        one = optimal_subsidy(p.replace(price=w))
        assert float(d.welfare[i]) == pytest.approx(float(one.welfare), rel=1e-12)


# --- regressions: exact design, participation, certificates (issue 12) --------------------


LOGIT = dict(
    flow="logit",
    sinking_scale=1600.0,
    leader_margin=0.0012,
    primary_margin=0.001,
    max_sinking=380.0,
    **NO_SAVINGS_LOGIT,
)


@pytest.mark.parametrize("price", [0.05, 0.28])
def test_primary_led_design_does_not_depend_on_the_ignored_price(price):
    # The search used to stop at a bound that depended on p.price, which a primary-led design
    # ignores: at price 0.28 it reported g 0.1460, W 18.49 instead of g 0.2022, W 21.81.
    d = optimal_subsidy(Parameters(**LOGIT, price=price), "primary-led")
    assert float(d.subsidy) == pytest.approx(0.202199, abs=1e-6)
    assert float(d.welfare) == pytest.approx(21.81147, abs=1e-5)
    assert float(d.leader_regret) <= 1e-9 and float(d.primary_regret) <= 1e-9


def test_welfare_optimum_respects_participation():
    # Before: g 0.106, sinking 361, welfare 16.3 with primary care earning -22.96 active and
    # +12.14 passive, so the designed outcome was not an equilibrium.
    p = Parameters(price=0.15)
    d = optimal_subsidy(p)
    assert bool(d.participation) and bool(d.intervention)
    q = p.replace(subsidy=float(d.subsidy), primary_subsidy=float(d.primary_subsidy))
    active = objectives_unchecked(q, d.sinking, np.asarray(1.0))[1]
    passive = objectives_unchecked(q, d.sinking, np.asarray(0.0))[1]
    assert float(active) >= float(passive) - 1e-9
    assert "participation (paid by primary_subsidy)" in d.binding
    # Without a lump sum to buy participation nothing beats the status quo here.
    none = optimal_subsidy(p, buy_participation=False)
    assert not bool(none.intervention) and float(none.welfare) == 0.0
    assert none.binding == ("status quo",) and "status quo" in none.message


def test_design_never_below_the_status_quo():
    # The saturating default used to print an "optimal" design with welfare -2.
    d = optimal_subsidy(Parameters(flow="saturating", **NO_SAVINGS))
    assert float(d.welfare) >= 0.0
    assert not bool(d.intervention) and float(d.sinking) == 0.0


def test_optimum_at_a_jump_of_the_leaders_response_is_found_exactly():
    # Saturating flow with a strong siphon loss: the leader jumps from 0 to s2 when its gain
    # per doctor-day reaches the bridge slope of its cost hull; the design sits at the jump.
    p = Parameters(flow="saturating", leader_margin=0.01, social_benefit=0.6)
    (first, second) = leader_hull(p)[:2]
    d = optimal_subsidy(p)
    b = float(p.brand_benefit + p.price + d.subsidy)
    assert float(d.sinking) == pytest.approx(second.lo, rel=1e-9)
    assert b == pytest.approx(first.slope_out, rel=1e-9)
    assert float(d.leader_regret) <= 1e-7


@settings(max_examples=12, deadline=None)
@given(parameters(), st.sampled_from(["government-led", "primary-led"]))
def test_design_is_an_equilibrium_and_beats_brute_force(p, alliance):
    p = p.replace(max_sinking=min(float(p.max_sinking), 1500.0))
    d = optimal_subsidy(p, alliance)
    assert float(d.leader_regret) <= 1e-6 * max(1.0, abs(float(d.leader)))
    assert float(d.primary_regret) <= 1e-6 * max(1.0, abs(float(d.primary)))
    assert float(d.welfare) >= 0.0
    span = (float(d.price) - 1.0, float(d.price) + 1.0)
    best, *_ = brute_design(p, alliance, max(3 * float(d.subsidy), 1.0), w_span=span)
    # The oracle's price grid leaves primary care up to ~1e-3 short of its best reply, which
    # can only flatter the oracle.
    assert float(d.welfare) >= best - 2e-3 * max(1.0, abs(best))


# ----- bundled payment and the conditional subsidy (issue 14) -------------------------------


@pytest.mark.parametrize("alliance", ["government-led", "primary-led"])
def test_bundled_closed_form_matches_numeric_and_lowers_the_subsidy(alliance):
    ffs = Parameters()
    bundled = ffs.replace(retained_share=0.76)
    a = optimal_subsidy(bundled, alliance, method="closed-form")
    b = optimal_subsidy(bundled, alliance, method="numeric")
    assert float(b.subsidy) == pytest.approx(float(a.subsidy), rel=1e-6)
    assert float(b.welfare) == pytest.approx(float(a.welfare), rel=1e-8)
    assert float(a.subsidy) < float(optimal_subsidy(ffs, alliance).subsidy)


def test_bundled_design_with_the_savings_to_the_leader_equals_a_subsidy():
    # Linear flow: with omega = 1 the retained savings act as a subsidy of psi sigma_M theta N a
    # per doctor-day paid by the insurer, which costs lambda per yuan like the government's.
    ffs = optimal_subsidy(Parameters())
    psi = 0.76
    d = optimal_subsidy(Parameters(retained_share=psi, leader_savings_share=1.0))
    per_day = psi * 0.008 * 0.7 * 200_000 * 2e-4
    assert float(d.subsidy) == pytest.approx(float(ffs.subsidy) - per_day, rel=1e-12)
    assert float(d.sinking) == pytest.approx(float(ffs.sinking), rel=1e-12)
    assert float(d.welfare) == pytest.approx(float(ffs.welfare), rel=1e-12)


@settings(max_examples=6, deadline=None)
@given(parameters(bundled=True), st.sampled_from(["government-led", "primary-led"]))
def test_bundled_design_is_an_equilibrium_and_beats_brute_force(p, alliance):
    test_design_is_an_equilibrium_and_beats_brute_force.hypothesis.inner_test(p, alliance)


def test_passive_outcome_by_hand_and_by_grid():
    # Price 0.15: alone, the leader gains g + beta_B per doctor-day and loses
    # k_L eps theta N a, so s = (g + 0.02 - 0.003 * 0.3 * 28 - 0.12) / c2.
    p = Parameters(price=0.15)
    d = optimal_subsidy(p)
    g = float(d.subsidy)
    assert float(d.passive_sinking) == pytest.approx((g + 0.02 - 0.0252 - 0.12) / 2e-4)
    q = p.replace(subsidy=g, primary_subsidy=float(d.primary_subsidy))
    grid = np.linspace(0.0, float(p.max_sinking), 40001)
    o = objectives_unchecked(q, grid, np.asarray(0.0))[0]
    s = float(d.passive_sinking)
    assert float(objectives_unchecked(q, np.asarray(s), np.asarray(0.0))[0]) >= o.max() - 1e-9
    assert float(d.passive_welfare) == pytest.approx(float(payoffs(q, s, 0).welfare))
    active = float(objectives_unchecked(q, np.asarray(s), np.asarray(1.0))[1])
    passive = float(objectives_unchecked(q, np.asarray(s), np.asarray(0.0))[1])
    assert bool(d.passive_equilibrium) == (passive >= active)


@pytest.mark.parametrize("alliance", ["government-led", "primary-led"])
def test_conditional_subsidy_stops_the_leader_sinking_alone(alliance):
    p = Parameters(price=0.15)
    loose = optimal_subsidy(p, alliance)
    cond = optimal_subsidy(p.replace(conditional_subsidy=1.0), alliance)
    assert float(loose.passive_sinking) > 0 and float(loose.passive_welfare) < 0
    # Paid only for doctors primary care receives, the leader stays home when it is passive;
    # the designed outcome itself is the same, since there primary care is active.
    assert float(cond.passive_sinking) == 0.0 and float(cond.passive_welfare) == 0.0
    assert float(cond.welfare) == pytest.approx(float(loose.welfare), rel=1e-9)
    assert float(cond.subsidy) == pytest.approx(float(loose.subsidy), rel=1e-9)
