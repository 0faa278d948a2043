import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from compensation import (
    Parameters,
    acceptable_prices,
    advantages,
    nash_equilibria,
    shifted_visits,
    sinking_cost,
    sinking_game,
    sinking_matrices,
    solve_2x2,
    threshold_price,
    threshold_subsidy,
)
from compensation.model.payoffs import savings_per_visit

from .strategies import parameters


def sink_active(p):
    """(Sink, Active) is an equilibrium, by the vectorised solver and by vertex enumeration."""
    by_mask = bool(solve_2x2(*sinking_matrices(p)).pure[0, 0])
    by_enum = (0, 0) in nash_equilibria(sinking_game(p)).pure
    assert by_mask == by_enum
    return by_mask


def test_closed_form_of_model_spec():
    p = Parameters(price=0.03, profit_share=0.1, brand_benefit=0.01)
    sbar = p.sinking_level
    k = p.leader_margin - p.slot_value - p.profit_share * p.primary_margin
    expected = max(
        0.0,
        (k * float(shifted_visits(p, sbar)) + float(sinking_cost(p, sbar))) / sbar
        - p.price
        - p.brand_benefit,
    )
    assert float(threshold_subsidy(p)) == pytest.approx(expected, rel=1e-13)


@given(st.one_of(parameters(), parameters(bundled=True)))
def test_threshold_subsidy_is_exact(p):
    g = float(threshold_subsidy(p))
    if np.isinf(g):
        for trial in (0.0, 1.0, 10.0, 1e3):
            assert not sink_active(p.replace(subsidy=trial))
        return
    # "Just above/below": move A1 by 1e-8 of the leader's payoff range (ties within 1e-10 of
    # the range count as ties in nash_equilibria).
    step = 1e-8 * max(np.ptp(sinking_matrices(p.replace(subsidy=g))[0]), 1e-6) / p.sinking_level
    step = max(step, 1e-12 * g)  # and at least well above one ulp of g
    assert sink_active(p.replace(subsidy=g + step))
    if g > step:
        assert not sink_active(p.replace(subsidy=g - step))


@given(st.one_of(parameters(), parameters(bundled=True)))
def test_threshold_price_and_interval_are_exact(p):
    assume(p.integration < 0.99)
    iv = acceptable_prices(p)
    w = float(threshold_price(p))
    if bool(iv.empty):
        assert np.isinf(w)
        mid = 0.5 * (float(iv.low) + float(iv.high))
        assert not sink_active(p.replace(price=mid))
        return
    lo, hi = float(iv.low), float(iv.high)
    assert w == lo
    A, B = sinking_matrices(p.replace(price=lo))
    eps = 1e-8 * max(np.ptp(A), np.ptp(B), 1e-6) / ((1 - p.integration) * p.sinking_level)
    assert sink_active(p.replace(price=0.5 * (lo + hi)))
    assert not sink_active(p.replace(price=lo - eps))
    assert not sink_active(p.replace(price=hi + eps))


def test_brute_force_scan_finds_same_threshold():
    p = Parameters(flow="saturating", price=0.02)
    grid = np.linspace(0, 1, 100_001)
    sol = solve_2x2(*sinking_matrices(p.replace(subsidy=grid)))
    first = grid[np.argmax(sol.pure[:, 0, 0])]
    assert abs(first - float(threshold_subsidy(p))) <= grid[1]


def test_full_integration_makes_price_irrelevant():
    p = Parameters(integration=1.0, subsidy=0.3)
    iv = acceptable_prices(p)
    a = advantages(p)
    both = bool(a.A1 >= 0) and bool(a.B1 >= 0)
    assert (float(iv.low), float(iv.high)) == ((-np.inf, np.inf) if both else (np.inf, -np.inf))


def test_thresholds_broadcast():
    p = Parameters(price=np.linspace(-0.1, 0.3, 9)[:, None], readiness_cost=[0.0, 2.0, 400.0])
    g = threshold_subsidy(p)
    assert g.shape == (9, 3)
    assert np.isinf(g[:, 2]).all()
    for i in range(9):
        for j in range(3):
            q = Parameters(price=p.price[i, 0], readiness_cost=p.readiness_cost[j])
            assert g[i, j] == threshold_subsidy(q)


def test_thresholds_have_the_full_parameter_shape():
    # Regression: g* does not depend on the subsidy, but sweeping it must still give one
    # value per grid point.
    p = Parameters(price=np.linspace(0, 0.1, 4)[:, None], subsidy=np.linspace(0, 0.4, 3))
    assert threshold_subsidy(p).shape == (4, 3)
    iv = acceptable_prices(Parameters(subsidy=np.linspace(0, 0.4, 3), price=[[0.0], [0.1]]))
    assert iv.low.shape == iv.high.shape == (2, 3)


def test_price_interval_is_a_result():
    iv = acceptable_prices(Parameters(subsidy=np.array([0.1, 0.2])))
    assert list(iv.to_dict()) == ["low", "high"]
    assert repr(iv).startswith("PriceInterval(low=[")
    pd = pytest.importorskip("pandas")
    frame = iv.to_frame()
    assert isinstance(frame, pd.DataFrame) and frame.shape == (2, 2)


# ----- bundled payment and the conditional subsidy (issue 14) -------------------------------


def test_bundled_threshold_closed_form():
    # MODEL.md §5: g* = max(0, [(m_L - rho_L - phi m_P - omega psi sigma_M) V + C]/s - w - beta_B).
    p = Parameters(retained_share=0.6, leader_savings_share=0.7, price=0.03, profit_share=0.1)
    sbar = p.sinking_level
    k = (
        p.leader_margin
        - p.slot_value
        - p.profit_share * p.primary_margin
        - 0.7 * 0.6 * (0.5 * 0.03 - 0.7 * 0.01)
    )
    expected = (k * float(shifted_visits(p, sbar)) + float(sinking_cost(p, sbar))) / sbar
    expected -= p.price + p.brand_benefit
    assert expected > 0
    assert float(threshold_subsidy(p)) == pytest.approx(expected, rel=1e-13)
    # The default numbers: 0.164 under fee-for-service, 0.052 with psi = 1 and omega = 1/2.
    assert float(threshold_subsidy(Parameters())) == pytest.approx(0.164, rel=1e-12)
    assert float(threshold_subsidy(Parameters(retained_share=1.0))) == pytest.approx(0.052)


@given(parameters(bundled=True))
def test_threshold_subsidy_falls_in_the_retained_share(p):
    # Savings and moved visits of the same sign (a logit flow with alpha_s < 0 moves patients
    # up, and then retention is a loss): retention can only help.
    assume(float(savings_per_visit(p)) >= 0 and float(shifted_visits(p, p.sinking_level)) >= 0)
    psis = np.linspace(0.0, 1.0, 11)
    g = threshold_subsidy(p.replace(retained_share=psis))
    finite = np.isfinite(g)
    # Retention also pays primary care (1 - omega), so B1 can only improve: once finite, the
    # threshold stays finite, and it never rises.
    assert np.all(finite[1:] | ~finite[:-1])
    gaps = np.diff(g[finite])
    assert np.all(gaps <= 1e-12 * (1 + np.abs(g[finite][:-1])))
    if np.all(finite) and p.integration == 0:
        # eta = 0: exactly the leader's share of the retained savings per doctor-day comes off.
        drop = p.leader_savings_share * psis * savings_per_visit(p)
        drop = drop * shifted_visits(p, p.sinking_level) / p.sinking_level
        expect = np.maximum(g[0] - drop, 0.0)
        assert np.allclose(g, expect, rtol=1e-9, atol=1e-12 * (1 + g[0]))


def test_conditional_subsidy_keeps_the_threshold_and_removes_sink_passive():
    grid = Parameters(price=np.linspace(-0.1, 0.3, 41), subsidy=np.linspace(0, 0.4, 41)[:, None])
    loose = solve_2x2(*sinking_matrices(grid))
    cond = solve_2x2(*sinking_matrices(grid.replace(conditional_subsidy=1.0)))
    sink_passive_only = loose.pure[..., 0, 1] & ~loose.pure[..., 0, 0]
    assert sink_passive_only.mean() > 0.3
    assert not cond.pure[..., 0, 1].any()
    # (Sink, Active) is an equilibrium at exactly the same points under both policies.
    assert np.array_equal(loose.pure[..., 0, 0], cond.pure[..., 0, 0])
    assert np.array_equal(
        threshold_subsidy(grid), threshold_subsidy(grid.replace(conditional_subsidy=1.0))
    )


def test_conditional_subsidy_buys_participation_in_an_integrated_consortium():
    # B1 rises with g at eta chi s_bar: primary care refuses at g = 0 (B1 < 0), and the
    # threshold is the subsidy at which its share eta of the leader's subsidy pays its way.
    p = Parameters(integration=0.5, conditional_subsidy=1.0, readiness_cost=30.0)
    b1 = float(advantages(p.replace(subsidy=0.0)).B1)
    assert b1 < 0
    assert np.isinf(threshold_subsidy(p.replace(conditional_subsidy=0.0)))
    g = float(threshold_subsidy(p))
    assert g == pytest.approx(-b1 / (0.5 * p.sinking_level), rel=1e-12)
    assert sink_active(p.replace(subsidy=g * (1 + 1e-9)))
    assert not sink_active(p.replace(subsidy=g * (1 - 1e-6)))
