import numpy as np
import pytest
from hypothesis import assume, given

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


@given(parameters())
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


@given(parameters())
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
