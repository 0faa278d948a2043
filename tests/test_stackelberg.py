import numpy as np
import pytest

from compensation import Parameters, best_sinking, optimal_subsidy, payoffs
from compensation.stackelberg import _primary_price

CASES = [
    ("government-led", Parameters(), None),
    ("government-led", Parameters(integration=0.4, profit_share=0.2), 5.0),
    ("primary-led", Parameters(), None),
    ("primary-led", Parameters(integration=0.4, profit_share=0.2), 30.0),
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
    d = optimal_subsidy(Parameters(leader_margin=0.008, social_benefit=0.05), "primary-led")
    assert float(d.price) < 0


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
    d = optimal_subsidy(Parameters(flow="saturating"))
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
        optimal_subsidy(Parameters(social_benefit=0.0, price=0.0), method="closed-form")
    with pytest.raises(ValueError, match="needs scalar parameters"):
        optimal_subsidy(Parameters(flow="saturating", price=[0.0, 0.1]))
