"""Robust subsidy: against the point design, closed forms and brute force."""

import numpy as np
import pytest

from compensation.model.parameters import Parameters
from compensation.model.payoffs import payoffs
from compensation.policy.robust import realised_welfare, robust_subsidy
from compensation.policy.stackelberg import optimal_subsidy


def draws(n=400, seed=0, **ranges):
    rng = np.random.default_rng(seed)
    return Parameters(**{k: rng.uniform(lo, hi, n) for k, (lo, hi) in ranges.items()})


def test_realised_welfare_is_the_designs_welfare_or_the_status_quo():
    p = Parameters()
    d = optimal_subsidy(p)
    w = realised_welfare(p, [0.0, float(d.subsidy)])
    assert w[1] == pytest.approx(float(d.welfare), rel=1e-9)
    # At g = 0 the leader does not sink and primary care stays passive: the status quo.
    assert w[0] == 0.0 and float(payoffs(p, 0.0, 1.0).welfare) == -2.0


def test_one_draw_reproduces_the_point_design():
    p = Parameters(social_benefit=0.25)
    r = robust_subsidy(p.replace(cost_quadratic=np.array([2e-4])), point=p)
    assert r.subsidy == pytest.approx(float(optimal_subsidy(p).subsidy), abs=1e-7)
    assert r.loss == pytest.approx(0, abs=1e-7) and r.regret == pytest.approx(0, abs=1e-6)


def test_welfare_linear_in_the_uncertain_parameter_gives_the_design_at_its_mean():
    p = draws(social_benefit=(0.1, 0.3))
    mean = Parameters(social_benefit=float(p.social_benefit.mean()))
    r = robust_subsidy(p, point=mean)
    assert r.subsidy == pytest.approx(r.point_subsidy, abs=1e-6) and abs(r.loss) < 1e-6
    assert r.point_regret > 0  # knowing h would still help


@pytest.mark.parametrize("criterion", ["expected", "worst-case"])
def test_robust_subsidy_beats_every_subsidy_on_a_fine_grid(criterion):
    p = draws(social_benefit=(0.1, 0.3), cost_quadratic=(1.5e-4, 2.5e-4), price=(0.0, 0.08))
    r = robust_subsidy(p, criterion=criterion)
    grid = np.linspace(0, 1, 2001)
    w = realised_welfare(
        p.replace(
            **{k: getattr(p, k)[None, :] for k in ("social_benefit", "cost_quadratic", "price")}
        ),
        grid[:, None],
    )
    brute = (w.mean(axis=1) if criterion == "expected" else w.min(axis=1)).max()
    assert r.value >= brute - 1e-9 * abs(brute)
    assert r.loss >= 0 and r.regret >= -1e-9 and r.point_regret >= -1e-9
    assert r.value == pytest.approx(
        r.expected_welfare if criterion == "expected" else r.worst_welfare
    )
    assert r.welfare.shape == (400,) and 0 <= r.participation <= 1


def test_bad_input():
    with pytest.raises(ValueError, match="shape \\(D,\\)"):
        robust_subsidy(Parameters(price=np.zeros((2, 2))))
    with pytest.raises(ValueError, match="criterion"):
        robust_subsidy(draws(social_benefit=(0.1, 0.3)), criterion="minimax")
    with pytest.raises(ValueError, match="grid must be"):
        robust_subsidy(draws(social_benefit=(0.1, 0.3)), grid=2)
    with pytest.raises(ValueError, match="subsidy must be"):
        realised_welfare(Parameters(), -1.0)
