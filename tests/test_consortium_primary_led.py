"""Members setting their own prices: the primary-led alliance for N members (issue 8, item 5)."""

import numpy as np
import pytest

from compensation import Parameters
from compensation.model.members import Members, consortium_payoffs
from compensation.policy.allocation import allocate_sinking
from compensation.policy.consortium_subsidy import consortium_subsidy
from compensation.policy.member_prices import price_equilibrium
from compensation.policy.stackelberg import optimal_subsidy

CAPPED = Parameters(subsidy=0.3, primary_margin=0.01)
PAIR = Members(
    name=["A", "B"], visits=[150_000, 60_000], host_capacity=[100, 150], travel_cost=[0.0, 0.02]
)


def _objective(p, members, prices, j, cap=np.inf):
    """Member j's payoff at ``prices`` by the public allocation and payoffs (the oracle)."""
    table = members.replace(price=prices)
    a = allocate_sinking(p, table, leader_capacity=cap)
    return float(consortium_payoffs(p, table, a.sinking).primary_objective[j])


@pytest.mark.parametrize(
    ("p", "budget"),
    [
        (Parameters(), None),
        (Parameters(), 100.0),
        (Parameters(retained_share=0.5), None),
        (Parameters(integration=0.5), None),
        (Parameters(profit_share=0.2, price=0.0), 60.0),
    ],
)
def test_one_member_is_the_two_player_primary_led_design(p, budget):
    two = optimal_subsidy(p, alliance="primary-led", budget=budget)
    assert two.method == "closed-form" and bool(two.intervention)
    many = consortium_subsidy(
        p, Members(name=["P"]), alliance="primary-led", budget=np.inf if budget is None else budget
    )
    assert many.alliance == "primary-led" and many.price_stable
    for ours, theirs in (
        (many.subsidy[0], two.subsidy),
        (many.price[0], two.price),
        (many.allocation.sinking[0], two.sinking),
        (many.welfare, two.welfare),
    ):
        assert ours == pytest.approx(float(theirs), rel=1e-9, abs=1e-11)
    assert many.budget_binding == (budget is not None)


def test_one_member_price_is_the_closed_form_pass_through_half():
    p = Parameters(subsidy=0.25)
    r = price_equilibrium(p, Members(name=["P"]))
    slope = p.common_share * p.visits * p.shift_rate
    m1 = slope * (p.primary_margin - p.leader_margin + p.slot_value) + p.brand_benefit
    m1 -= p.cost_linear + p.hosting_cost
    s = (p.subsidy + m1) / (2 * p.cost_quadratic)  # pass-through ½
    assert r.success
    assert r.allocation.sinking[0] == pytest.approx(s, rel=1e-10)
    lead = p.leader_margin - p.slot_value
    w = p.cost_quadratic * s - (p.subsidy + p.brand_benefit - lead * slope - p.cost_linear)
    assert r.price[0] == pytest.approx(w, rel=1e-9, abs=1e-12)


def test_members_full_at_their_capacities_pay_the_closed_form_price():
    # Each member wants more than it can host: its cheapest price making the leader fill it
    # puts the leader's marginal value at j equal to C'(S) at full use.
    r = price_equilibrium(CAPPED, PAIR)
    assert r.success and r.allocation.sinking.tolist() == [100.0, 150.0]
    mu = CAPPED.cost_linear + CAPPED.cost_quadratic * 250.0
    slope = CAPPED.common_share * PAIR.visits * CAPPED.shift_rate
    lead = CAPPED.leader_margin - CAPPED.slot_value
    w = mu - (CAPPED.subsidy + CAPPED.brand_benefit - PAIR.travel_cost - lead * slope)
    # At an exact tie the leader may serve the other first: a member bids a hair (relative
    # 1e-10) above it, as documented.
    np.testing.assert_allclose(r.price, w, rtol=1e-8, atol=1e-12)
    assert np.all(r.price >= w - 1e-12)


def test_two_members_brute_force_grid_over_prices():
    r = price_equilibrium(CAPPED, PAIR)
    # No member gains by another price on a grid of its own prices, by the public oracle.
    for j in range(2):
        base = _objective(CAPPED, PAIR, r.price, j)
        for x in np.linspace(r.price[j] - 0.3, r.price[j] + 0.3, 31):
            trial = r.price.copy()
            trial[j] = x
            assert _objective(CAPPED, PAIR, trial, j) <= base + 1e-9 * (1 + abs(base))
    # On a 2-D grid of price pairs, the profile where both are nearest to their best
    # replies on the grid is next to the equilibrium.
    grid = np.linspace(-0.2, 0.0, 11)
    val = np.array([[[_objective(CAPPED, PAIR, np.array([a, b]), j) for b in grid]
                     for a in grid] for j in range(2)])  # fmt: skip
    regret = np.maximum(val[0].max(axis=0)[None, :] - val[0], val[1].max(axis=1)[:, None] - val[1])
    i, k = np.unravel_index(np.argmin(regret), regret.shape)
    assert abs(grid[i] - r.price[0]) <= 0.021 and abs(grid[k] - r.price[1]) <= 0.021


def test_certificates_of_the_primary_led_design():
    d = consortium_subsidy(CAPPED, PAIR, alliance="primary-led", budget=40.0)
    assert d.spending <= 40.0 * (1 + 1e-9)
    # Both members full would cost more than the budget, and A part-filled next to a full B
    # makes them outbid each other: the design keeps to subsidies where prices settle.
    assert d.price_stable
    assert abs(d.allocation.duality_gap) <= 1e-9
    # The certificate is honest: stable exactly when no member gains by another price.
    pay = d.allocation.payoffs
    scale = 1e-9 * (
        1 + np.abs(pay.primary_objective) + (1 + np.abs(d.price)) * d.allocation.sinking
    )
    assert d.price_stable == bool(np.all(d.price_gain <= scale))
    assert ("are NOT an equilibrium" in d.message) == (not d.price_stable)
    # The reported outcome is the leader's response to the designed prices and subsidies.
    table = PAIR.replace(price=d.price, subsidy=d.subsidy)
    again = allocate_sinking(CAPPED.replace(subsidy=0.0), table)
    np.testing.assert_allclose(again.sinking, d.allocation.sinking)
    assert d.welfare == pytest.approx(float(again.payoffs.welfare), rel=1e-12)
    if not d.price_stable:  # the gain the certificate reports is real
        j = int(np.argmax(d.price_gain))
        base = _objective(CAPPED.replace(subsidy=0.0), table, d.price, j)
        best = max(
            _objective(
                CAPPED.replace(subsidy=0.0), table, np.where(np.arange(2) == j, x, d.price), j
            )
            for x in np.linspace(d.price[j] - 0.3, d.price[j] + 0.3, 121)
        )
        # A grid misses the bids a hair above a rival's; the certificate includes them.
        assert 0 < best - base <= d.price_gain[j] + 1e-6
    assert d.participation_gain.shape == (2,)


def test_outbidding_for_scarce_capacity_is_reported_not_hidden():
    m = PAIR.replace(host_capacity=[400, 400])
    r = price_equilibrium(CAPPED, m, leader_capacity=600, max_iter=20)
    assert not r.success
    assert r.cycle or "moving" in r.message
    assert "equilibrium" in r.message or "moving" in r.message


def test_government_led_default_unchanged():
    p = Parameters(price=0.01, primary_margin=0.02, cost_quadratic=2e-5, readiness_cost=0)
    m = Members(name=["near", "far"], visits=20_000, travel_cost=[0.0, 0.03],
                social_benefit=[0.15, 0.35], host_capacity=400)  # fmt: skip
    a = consortium_subsidy(p, m, budget=60.0, targeted=True)
    b = consortium_subsidy(p, m, budget=60.0, targeted=True, alliance="government-led")
    assert a.alliance == b.alliance == "government-led"
    np.testing.assert_array_equal(a.subsidy, b.subsidy)
    assert a.subsidy.round(4).tolist() == [0.1073, 0.1373]
    np.testing.assert_array_equal(a.price, [0.01, 0.01])
    assert a.price_stable


def test_targeted_primary_led_with_one_member_is_uniform():
    p, m = Parameters(), Members(name=["P"])
    t = consortium_subsidy(p, m, alliance="primary-led", budget=100.0, targeted=True)
    u = consortium_subsidy(p, m, alliance="primary-led", budget=100.0)
    assert t.targeting_value == pytest.approx(0.0, abs=1e-9)
    assert t.welfare == pytest.approx(u.welfare, rel=1e-12)
    assert t.spending <= 100.0 * (1 + 1e-9)


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"start": [0.1]}, "start"),
        ({"start": [np.nan, 0.0]}, "start"),
        ({"max_iter": 0}, "max_iter"),
        ({"tol": np.nan}, "tol"),
        ({"participation": [1, 2]}, "participation"),
    ],
)
def test_bad_input_price_equilibrium(kwargs, word):
    with pytest.raises(ValueError, match=word):
        price_equilibrium(CAPPED, PAIR, **kwargs)


def test_bad_input_design():
    with pytest.raises(ValueError, match="alliance must be one of"):
        consortium_subsidy(CAPPED, PAIR, alliance="members")
    with pytest.raises(ValueError, match="primary-led"):  # the short name, with a hint
        consortium_subsidy(CAPPED, PAIR, alliance="primary")
    with pytest.raises(ValueError, match="scalar|array"):
        price_equilibrium(Parameters(subsidy=[0.1, 0.2]), PAIR)
    with pytest.raises(TypeError, match="Members"):
        price_equilibrium(CAPPED, {"name": ["A"]})


def test_two_members_compete_through_the_leaders_marginal_cost():
    # A crowded leader (slot value above its margin) gains from moved patients: member terms
    # are concave, allocations interior, and each member's price raises the leader's
    # marginal cost for the other.
    p = Parameters(flow="saturating", slot_value=0.006, subsidy=0.2)
    m = Members(name=["A", "B"], visits=[150_000, 60_000])
    r = price_equilibrium(p, m)
    assert r.success and np.all(r.allocation.sinking > 0)
    assert np.all(r.allocation.sinking < p.max_sinking)
    for j in range(2):
        base = _objective(p, m, r.price, j)
        for x in np.linspace(r.price[j] - 0.1, r.price[j] + 0.1, 21):
            trial = r.price.copy()
            trial[j] = x
            assert _objective(p, m, trial, j) <= base + 1e-9 * (1 + abs(base))
    # Alone, B would buy more doctors at a lower marginal cost: A's presence crowds it.
    alone = price_equilibrium(p, m[[1]])
    assert alone.allocation.sinking[0] > r.allocation.sinking[1]
