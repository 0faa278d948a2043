import warnings

import numpy as np
import pytest

from compensation import (
    NotIdentifiedWarning,
    Parameters,
    calibrate,
    down_referrals,
    primary_share,
    referral_growth,
)
from compensation.exceptions import PoorFitWarning

TRUTH = Parameters(flow="saturating", max_shift=0.4, sinking_scale=500)
FREE = {"max_shift": (0.05, 1.0), "sinking_scale": (50.0, 5000.0)}


def test_recovers_known_parameters_exactly():
    moments = {"referrals": down_referrals, "growth": referral_growth(250.0)}
    data = {k: f(TRUTH) for k, f in moments.items()}
    fit = calibrate(Parameters(flow="saturating"), moments, data, FREE)
    assert fit.success
    assert fit.estimates["max_shift"] == pytest.approx(0.4, rel=1e-8)
    assert fit.estimates["sinking_scale"] == pytest.approx(500.0, rel=1e-8)
    assert all(abs(r) < 1e-6 for r in fit.residuals.values())
    assert "exactly identified" in fit.message
    assert fit.parameters.max_shift == pytest.approx(0.4, rel=1e-8)


def test_standard_errors_cover_the_truth_at_the_nominal_rate():
    # Three growth moments over different sinking histories plus the level, with known
    # measurement noise: 95% intervals should contain the truth about 95% of the time.
    rng = np.random.default_rng(42)
    moments = {
        "referrals": down_referrals,
        "g150": referral_growth(150.0),
        "g250": referral_growth(250.0),
        "g280": referral_growth(280.0),
    }
    clean = {k: f(TRUTH) for k, f in moments.items()}
    sigma = {k: 0.02 * abs(v) for k, v in clean.items()}
    hits, runs = 0, 200
    for _ in range(runs):
        data = {k: v + rng.normal(0, sigma[k]) for k, v in clean.items()}
        fit = calibrate(
            Parameters(flow="saturating"),
            moments,
            data,
            FREE,
            weights={k: 1 / s for k, s in sigma.items()},
            known_errors=True,
            residual_tolerance=None,  # 2% noise on growth rates misses some by over 5%
        )
        est, se = fit.estimates["sinking_scale"], fit.standard_errors["sinking_scale"]
        hits += abs(est - 500.0) <= 1.96 * se
    assert 0.90 <= hits / runs <= 0.99


def test_progress_bar(capsys):
    moments = {"referrals": down_referrals, "growth": referral_growth(250.0)}
    data = {k: f(TRUTH) for k, f in moments.items()}
    calibrate(Parameters(flow="saturating"), moments, data, FREE, progress=True)
    assert "calibrate" in capsys.readouterr().err


def test_not_identified_warning_names_parameters():
    moments = {"referrals": down_referrals, "growth": referral_growth(250.0)}
    data = {k: f(TRUTH) for k, f in moments.items()}
    with pytest.warns(NotIdentifiedWarning, match="max_shift, common_share") as rec:
        fit = calibrate(
            Parameters(flow="saturating"), moments, data, {**FREE, "common_share": (0.3, 0.9)}
        )
    assert rec[0].message.parameters == ("max_shift", "common_share")
    assert fit.identified == {"max_shift": False, "sinking_scale": True, "common_share": False}
    assert np.isnan(fit.standard_errors["max_shift"])


def test_primary_share_moment_identifies_the_logit_intercept():
    truth = Parameters(flow="logit", logit_intercept=-0.7)
    fit = calibrate(
        Parameters(flow="logit"),
        {"share": primary_share},
        {"share": primary_share(truth)},
        {"logit_intercept": (-5.0, 5.0)},
    )
    assert fit.estimates["logit_intercept"] == pytest.approx(-0.7, abs=1e-8)
    with pytest.raises(ValueError, match="needs flow='logit'"):
        primary_share(Parameters())


def test_leader_volume_growth_by_hand_and_trend_recovered():
    from compensation import leader_volume_growth

    p = Parameters()  # linear flow: V(300) = 8400, V(250) = 7000; refill 0.002/0.005 = 0.4
    m = leader_volume_growth(250.0, leader_visits=100_000)
    expected = (100_000 - 0.6 * 8400) / (100_000 - 0.6 * 7000) - 1
    assert m(p) == pytest.approx(expected, rel=1e-12)
    assert m(p) < 0  # without a trend, sinking can only lower the leader's volume
    # Luzhou-style: the observed growth pins the trend once the flow is known.
    true = leader_volume_growth(250.0, leader_visits=100_000, trend=0.08)(p)
    trends = np.linspace(0.0, 0.2, 20001)
    fitted = trends[
        np.argmin(
            [
                abs(leader_volume_growth(250.0, leader_visits=100_000, trend=t)(p) - true)
                for t in trends
            ]
        )
    ]
    assert fitted == pytest.approx(0.08, abs=1e-5)
    with pytest.raises(ValueError, match="refill must be in"):
        leader_volume_growth(250.0, 1e5, refill=2.0)
    with pytest.raises(ValueError, match="leader_visits must be finite and > 0"):
        leader_volume_growth(250.0, 0.0)


def test_bad_input():
    moments = {"referrals": down_referrals}
    with pytest.raises(ValueError, match="unknown parameter 'max_shfit'; did you mean"):
        calibrate(TRUTH, moments, {"referrals": 1.0}, {"max_shfit": (0, 1)})
    with pytest.raises(ValueError, match="lacks observed values"):
        calibrate(TRUTH, moments, {}, FREE)
    with pytest.raises(ValueError, match="lo < hi"):
        calibrate(TRUTH, moments, {"referrals": 1.0}, {"max_shift": (1, 0)})
    with pytest.raises(ValueError, match="explicit weight"):
        calibrate(TRUTH, moments, {"referrals": 0.0}, FREE)
    with pytest.raises(ValueError, match="previous_sinking"):
        referral_growth(0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotIdentifiedWarning)
        with pytest.raises(ValueError, match="at least one"):
            calibrate(TRUTH, moments, {"referrals": 1.0}, {})


# ----- honest success (issue: success True with an estimate on its bound and a moment missed)
LUZHOU = Parameters(
    flow="saturating", visits=2_000_000, common_share=0.7, max_sinking=6000, sinking_level=3300.0
)
LUZHOU_MOMENTS = {"referrals": down_referrals, "growth": referral_growth(2900.0)}
LUZHOU_DATA = {"referrals": 88_880, "growth": 0.098}


def test_a_binding_bound_and_a_missed_moment_is_not_a_success():
    # The README's old bound sinking_scale ≤ 5000 excluded the answer (5027); cap it at 500 and
    # the growth cannot be matched at all.
    free = {"max_shift": (0.01, 1.0), "sinking_scale": (100.0, 500.0)}
    with pytest.warns(PoorFitWarning, match="growth missed by 98.3% of its observed value") as rec:
        fit = calibrate(LUZHOU, LUZHOU_MOMENTS, LUZHOU_DATA, free)
    assert rec[0].message.moments == ("growth",)
    assert rec[0].message.at_bounds == ("sinking_scale",)
    assert not fit.success and fit.converged
    assert fit.at_bounds == ("sinking_scale",)
    assert fit.message.startswith("poor fit: growth missed")
    assert "sinking_scale = 500 is at its upper bound 500" in fit.message
    assert abs(fit.residuals["growth"]) > 0.9 * 0.098  # "missed by most of its value"


def test_an_estimate_on_its_bound_with_a_good_fit_is_reported_but_successful():
    free = {"max_shift": (0.01, 1.0), "sinking_scale": (100.0, 5027.080566)}
    fit = calibrate(LUZHOU, LUZHOU_MOMENTS, LUZHOU_DATA, free)  # no warning: filterwarnings=error
    assert fit.success and fit.at_bounds == ("sinking_scale",)
    assert "is at its upper bound" in fit.message
    assert calibrate(TRUTH, {"r": down_referrals}, {"r": down_referrals(TRUTH)},
                     {"max_shift": (0.05, 1.0)}).at_bounds == ()  # fmt: skip


def test_residual_tolerance_sets_what_counts_as_a_miss():
    moments = {"referrals": down_referrals}
    data = {"referrals": 1.1 * down_referrals(TRUTH)}  # 10% above what max_shift ≤ 0.4 allows
    free = {"max_shift": (0.05, 0.4)}
    with pytest.warns(PoorFitWarning, match="referrals missed by 9.1%"):
        assert not calibrate(TRUTH, moments, data, free).success
    assert calibrate(TRUTH, moments, data, free, residual_tolerance=0.1).success
    assert calibrate(TRUTH, moments, data, free, residual_tolerance=None).success
    with pytest.raises(ValueError, match=r"residual_tolerance must be finite and ≥ 0 .* got -1"):
        calibrate(TRUTH, moments, data, free, residual_tolerance=-1)


def test_result_reports_the_optimiser_and_prints_rounded():
    moments = {"referrals": down_referrals, "growth": referral_growth(250.0)}
    data = {k: f(TRUTH) for k, f in moments.items()}
    fit = calibrate(Parameters(flow="saturating"), moments, data, FREE)
    assert fit.method == "trf least squares" and fit.tol == 1e-14
    assert fit.iterations >= 1 and fit.residual_tolerance == 0.05
    text = repr(fit)
    assert "'max_shift': 0.4," in text and "'sinking_scale': 500.0" in text
    assert "covariance" not in text and "parameters=" not in text
    assert set(fit.to_dict()) >= {"success", "message", "iterations", "method", "tol"}
