"""Parameter uncertainty carried to policy numbers: coverage, delta method, acceptability."""

import math

import numpy as np
import pytest
from scipy import stats

from compensation.analysis.calibration import CalibrationResult
from compensation.analysis.draws import draw_parameters, moments_of
from compensation.analysis.uncertainty import propagate
from compensation.model.parameters import Parameters
from compensation.policy.acceptability import acceptability_curve
from compensation.policy.thresholds import threshold_subsidy

# threshold_subsidy = 0.214 - price - brand_benefit + 0.02 on this range: linear, interior.
SIGMA = np.array([[0.004**2, 0.3 * 0.004 * 0.003], [0.3 * 0.004 * 0.003, 0.003**2]])
TRUTH = {"price": 0.02, "brand_benefit": 0.02}


def fresh_estimate(rng):
    return dict(zip(TRUTH, rng.multivariate_normal(list(TRUTH.values()), SIGMA)))


@pytest.mark.parametrize("level", [0.95, 0.5])
def test_intervals_cover_the_truth_at_their_nominal_rate(level):
    # The estimate is drawn from its sampling distribution; an interval around it must
    # cover the true threshold in `level` of the replications, within Monte Carlo error.
    rng = np.random.default_rng(11)
    truth = float(threshold_subsidy(Parameters(**TRUTH)))
    reps = 250
    hits_pct = hits_delta = 0
    for r in range(reps):
        res = propagate(
            (fresh_estimate(rng), SIGMA), threshold_subsidy, draws=1000, seed=r, level=level
        )
        hits_pct += res.low <= truth <= res.high
        hits_delta += res.delta_low <= truth <= res.delta_high
    tol = 3.5 * math.sqrt(level * (1 - level) / reps)
    assert abs(hits_pct / reps - level) < tol
    assert abs(hits_delta / reps - level) < tol


def test_delta_method_is_exact_for_a_linear_policy():
    res = propagate((TRUTH, SIGMA), threshold_subsidy, draws=4000)
    a = np.array([-1.0, -1.0])  # d g* / d price, d g* / d brand_benefit
    assert res.gradient == pytest.approx({"price": -1.0, "brand_benefit": -1.0}, rel=1e-7)
    assert res.delta_se == pytest.approx(math.sqrt(a @ SIGMA @ a), rel=1e-7)
    assert res.std == pytest.approx(res.delta_se, rel=0.05)
    assert res.estimate == pytest.approx(0.194, abs=1e-12)


def test_delta_method_and_percentiles_on_a_lognormal_with_known_quantiles():
    # f = exp(x), x ~ N(0, 0.5²): the percentile interval must find the lognormal's exact
    # quantiles; the delta method gives exp(0) (1 ± z 0.5), symmetric and too low on top.
    sd, z = 0.5, stats.norm.ppf(0.975)
    res = propagate({"price": stats.norm(0.0, sd)}, lambda p: np.exp(p.price), draws=200_000)
    assert res.low == pytest.approx(math.exp(-z * sd), rel=0.01)
    assert res.high == pytest.approx(math.exp(z * sd), rel=0.01)
    assert res.delta_low == pytest.approx(1 - z * sd, rel=1e-6)
    assert res.delta_high == pytest.approx(1 + z * sd, rel=1e-6)
    assert res.mean == pytest.approx(math.exp(sd**2 / 2), rel=0.01)
    table = res.to_frame()
    assert list(table.index) == ["percentile", "delta method"]
    assert table.loc["delta method", "high"] < table.loc["percentile", "high"]


def test_a_calibration_is_a_source():
    base = Parameters(price=0.01)
    fit = CalibrationResult(
        estimates={"price": 0.02, "brand_benefit": 0.02},
        standard_errors={"price": 0.004, "brand_benefit": 0.003},
        parameters=base.replace(**TRUTH),
        residuals={},
        success=True,
        message="",
        cost=0.0,
        identified={"price": True, "brand_benefit": True},
        covariance=SIGMA,
    )
    p = draw_parameters(fit, 50_000, seed=3)
    assert p.shape == (50_000,)
    assert np.cov(np.vstack([p.price, p.brand_benefit])) == pytest.approx(SIGMA, rel=0.05, abs=1e-8)
    res = propagate(fit, threshold_subsidy, draws=1000)
    assert res.estimate == pytest.approx(0.194)
    nan_fit = CalibrationResult(**{**fit.to_dict(), "covariance": np.full((2, 2), np.nan)})
    with pytest.raises(ValueError, match="standard errors not available"):
        propagate(nan_fit, threshold_subsidy)


def test_draws_outside_a_domain_are_redrawn():
    # A normal around a small cost has negative draws; the model refuses them.
    res = propagate({"brand_benefit": stats.norm(0.001, 0.002)}, threshold_subsidy, draws=5000)
    assert res.redrawn == pytest.approx(stats.norm.cdf(-0.5), abs=0.02)
    p = draw_parameters({"brand_benefit": stats.norm(0.001, 0.002)}, 5000)
    assert p.brand_benefit.min() >= 0


def test_infinite_thresholds_give_a_percentile_interval_but_no_delta_interval():
    res = propagate({"price": stats.norm(0.05, 0.01)}, threshold_subsidy, draws=4000)
    assert 0.3 < res.finite_share < 0.7 and res.high == math.inf and res.mean == math.inf
    assert math.isfinite(res.low)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="did you mean 'price'"):
        propagate({"prise": stats.norm(0, 1)}, threshold_subsidy)
    with pytest.raises(ValueError, match="one value per draw"):
        propagate({"price": stats.norm(0.02, 0.01)}, lambda p: np.mean(p.price) * np.ones(3))
    with pytest.raises(ValueError, match="level must be in"):
        propagate({"price": stats.norm(0.02, 0.01)}, threshold_subsidy, level=1.5)
    with pytest.raises(TypeError, match="rvs, mean and var"):
        moments_of({"price": 0.02})
    with pytest.raises(ValueError, match="2 × 2"):
        moments_of((TRUTH, np.eye(3)))
    with pytest.raises(ValueError, match="positive semi-definite"):
        moments_of((TRUTH, [[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="draws must be"):
        draw_parameters({"price": stats.norm(0.02, 0.01)}, 0)


def test_acceptability_curve_matches_the_normal_cdf():
    # g* = 0.214 - price, price ~ N(0.03, 0.004²): P(g* <= g) = P(price >= 0.214 - g).
    g = np.linspace(0.16, 0.2, 21)
    c = acceptability_curve({"price": stats.norm(0.03, 0.004)}, g, draws=20_000)
    exact = stats.norm.sf((0.214 - g - 0.03) / 0.004)
    assert np.all(np.abs(c.probability - exact) <= 4 * np.sqrt(exact * (1 - exact) / 20_000) + 1e-3)
    assert np.all(np.diff(c.probability) >= 0) and c.never == 0
    assert list(c.to_frame().columns)[:3] == ["subsidy", "probability", "standard_error"]
    high = acceptability_curve({"readiness_cost": stats.uniform(0, 100)}, [0.0, 10.0])
    assert high.never > 0.5 and high.probability[-1] == pytest.approx(1 - high.never)
    with pytest.raises(ValueError, match="subsidies must be"):
        acceptability_curve({"price": stats.norm(0.03, 0.004)}, [-1.0])
