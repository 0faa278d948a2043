import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation import Parameters, best_sinking, objectives

from .strategies import parameters


def test_interior_closed_form_of_model_spec():
    p = Parameters(price=0.3, subsidy=0.2, profit_share=0.2)
    k = p.leader_margin - p.slot_value - p.profit_share * p.primary_margin
    expected = (
        p.price
        + p.subsidy
        + p.brand_benefit
        - k * p.common_share * p.visits * p.shift_rate
        - p.cost_linear
    ) / p.cost_quadratic
    assert 0 < expected < p.max_shift / p.shift_rate
    assert float(best_sinking(p)) == pytest.approx(expected, rel=1e-13)


@given(
    st.one_of(parameters(flow=st.just("linear")), parameters(flow=st.just("linear"), bundled=True))
)
def test_closed_form_and_numeric_agree(p):
    a = float(best_sinking(p, method="closed-form"))
    b = float(best_sinking(p, method="numeric"))
    o_a = float(objectives(p, a, 1)[0])
    o_b = float(objectives(p, b, 1)[0])
    # Same maximiser to 1e-9 relative, unless two maximisers tie in value.
    assert abs(a - b) <= 1e-9 * max(abs(a), 1.0) or abs(o_a - o_b) <= 1e-9 * max(1, abs(o_a))


@given(st.one_of(parameters(), parameters(bundled=True)))
def test_best_response_beats_a_fine_grid(p):
    s = float(best_sinking(p))
    grid = np.linspace(0, p.max_sinking, 20001)
    o_grid = objectives(p, grid, 1)[0]
    o_star = float(objectives(p, s, 1)[0])
    assert 0 <= s <= p.max_sinking
    assert o_star >= o_grid.max() - 1e-9 * max(1.0, abs(o_star))


def test_convex_kink_compares_both_pieces():
    # Large siphon loss with an early flow cap: the objective is convex at the kink, with
    # local maxima on both sides; the global one is above the cap.
    p = Parameters(leader_margin=0.02, max_shift=0.05, price=0.5, subsidy=0.2)
    s = float(best_sinking(p))
    assert s > p.max_shift / p.shift_rate
    assert s == pytest.approx(float(best_sinking(p, method="numeric")), rel=1e-9)


def test_broadcast_shape_and_monotone_in_subsidy():
    p = Parameters(subsidy=np.linspace(0, 1, 11)[:, None], price=[0.0, 0.1], flow="saturating")
    s = best_sinking(p)
    assert s.shape == (11, 2)
    assert (np.diff(s, axis=0) >= -1e-9).all()


def test_bad_method():
    with pytest.raises(ValueError, match="method must be one of"):
        best_sinking(Parameters(), method="newton")
    with pytest.raises(ValueError, match="needs flow='linear'"):
        best_sinking(Parameters(flow="logit"), method="closed-form")


def test_numeric_picks_the_better_of_two_near_equal_local_maxima():
    # Saturating flow, strong siphon: the objective has local maxima at 0 and at s2. Set the
    # gain a hair above the bridge slope so s2 wins by about 1e-5 万元 -- less than the grid's
    # error at s2, so refining only the best grid cell picked s = 0.
    from compensation.model.leader import leader_hull

    p = Parameters(flow="saturating", leader_margin=0.01)
    first, second = leader_hull(p)[:2]
    b = first.slope_out + 1e-8
    q = p.replace(subsidy=b - p.brand_benefit - p.price)
    s = float(best_sinking(q, method="numeric"))
    assert s == pytest.approx(second.lo, rel=1e-6)


def test_numeric_memory_is_chunked_and_results_do_not_depend_on_chunking(monkeypatch):
    import compensation.policy.response as response

    p = Parameters(flow="logit", subsidy=np.linspace(0.0, 0.4, 37), price=[[0.0], [0.1]])
    whole = best_sinking(p, method="numeric")
    monkeypatch.setattr(response, "CHUNK_CELLS", 3 * response.GRID)
    chunked = best_sinking(p, method="numeric")
    assert whole.shape == (2, 37)
    assert np.array_equal(whole, chunked)


def test_bundled_best_response_closed_form():
    # Linear flow, eta = 0: the leader's loss per moved visit falls by omega psi sigma_M.
    p = Parameters(retained_share=0.8, leader_savings_share=0.5, subsidy=0.2)
    k = 0.005 - 0.002 - 0.5 * 0.8 * 0.008
    expected = (0.05 + 0.2 + 0.02 - k * 0.7 * 200_000 * 2e-4 - 0.12) / 2e-4
    assert float(best_sinking(p)) == pytest.approx(expected, rel=1e-13)
    assert float(best_sinking(p)) > float(best_sinking(p.replace(retained_share=0.0)))
