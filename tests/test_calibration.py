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


# ----- issue 14, items 3 and 6: an identity says so; overidentified fits; the assumed path
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from compensation.analysis.assumed_path import path_sensitivity  # noqa: E402
from compensation.analysis.moments import implied_trend, leader_volume_growth  # noqa: E402

# The 江南 group's figures (source 003); the +7.16% belongs to the 江北 group's leader.
JIANGNAN = {"outpatient": 88_880, "outpatient growth": 0.098, "inpatient growth": 0.127}
WIDE = {"max_shift": (0.01, 1.0), "sinking_scale": (10.0, 500_000.0)}


def closed_form_scale(before, now, growth):
    """s_h solving (1 - e^{-now/h}) / (1 - e^{-before/h}) - 1 = growth, by bisection."""
    f = lambda h: np.expm1(-now / h) / np.expm1(-before / h) - 1 - growth  # noqa: E731
    return brentq(f, 1e-2 * now, 1e7 * now, xtol=1e-12, rtol=1e-14)


def test_an_exact_fit_is_reported_as_an_identity():
    fit = calibrate(LUZHOU, LUZHOU_MOMENTS, LUZHOU_DATA, WIDE)
    assert fit.dof == 0 and "residuals are 0 by construction" in fit.message
    assert fit.estimates["sinking_scale"] == pytest.approx(
        closed_form_scale(2900.0, 3300.0, 0.098), rel=1e-8
    )


def test_both_growth_rates_of_the_jiangnan_group_test_a_common_curvature():
    # A common s_h predicts equal growth of every flow on the saturating curve; with relative
    # weights the least-squares compromise g* solves (g* - 0.098)/0.098² = -(g* - 0.127)/0.127².
    moments = {
        "outpatient": down_referrals,
        "outpatient growth": referral_growth(2900.0),
        "inpatient growth": referral_growth(2900.0),
    }
    fit = calibrate(LUZHOU, moments, JIANGNAN, WIDE, residual_tolerance=None)
    a, b = 0.098, 0.127
    compromise = (a / a**2 + b / b**2) / (1 / a**2 + 1 / b**2)
    assert fit.dof == 1 and "exactly identified" not in fit.message
    assert fit.residuals["outpatient growth"] == pytest.approx(compromise - a, abs=1e-9)
    assert fit.residuals["inpatient growth"] == pytest.approx(compromise - b, abs=1e-9)
    assert abs(fit.residuals["outpatient"]) < 1e-3  # the level has its own parameter
    assert np.isfinite(list(fit.standard_errors.values())).all()
    with pytest.warns(PoorFitWarning, match="inpatient growth missed"):
        calibrate(LUZHOU, moments, JIANGNAN, WIDE)


def test_path_sensitivity_matches_the_closed_form_and_rejects_too_slow_sinking():
    paths = [(2900.0, 3300.0), (2750.0, 3300.0), (2200.0, 3300.0), (3100.0, 3300.0)]
    table = path_sensitivity(
        LUZHOU,
        lambda s: {"referrals": down_referrals, "growth": referral_growth(s)},
        LUZHOU_DATA,
        WIDE,
        paths=paths,
    )
    assert table.success.tolist() == [True, True, True, False]  # +6.5% < +9.8%
    assert "(3100, 3300)" in table.message
    for (before, now), h in zip(paths[:3], table.estimates["sinking_scale"][:3]):
        assert h == pytest.approx(closed_form_scale(before, now, 0.098), rel=1e-8)
    # Faster assumed sinking growth: a more concave flow and a lower cap.
    assert (np.diff(table.estimates["sinking_scale"][:3]) < 0).all()
    assert (np.diff(table.estimates["max_shift"][:3]) < 0).all()
    assert table.growth.tolist() == pytest.approx([4 / 29, 0.2, 0.5, 2 / 31])
    with pytest.raises(ValueError, match="paths must be"):
        path_sensitivity(LUZHOU, lambda s: LUZHOU_MOMENTS, LUZHOU_DATA, WIDE, paths=[(0, 1)])
    with pytest.raises(ValueError, match="at least one"):
        path_sensitivity(LUZHOU, lambda s: LUZHOU_MOMENTS, LUZHOU_DATA, WIDE, paths=[])


@settings(max_examples=8, deadline=None)
@given(st.floats(0.3, 3.0))
def test_scaling_the_assumed_path_scales_the_curvature_and_keeps_the_cap(c):
    table = path_sensitivity(
        LUZHOU,
        lambda s: {"referrals": down_referrals, "growth": referral_growth(s)},
        LUZHOU_DATA,
        WIDE,
        paths=[(2900.0, 3300.0), (2900.0 * c, 3300.0 * c)],
    )
    h, m = table.estimates["sinking_scale"], table.estimates["max_shift"]
    assert table.success.all()
    assert h[1] == pytest.approx(c * h[0], rel=1e-7)
    assert m[1] == pytest.approx(m[0], rel=1e-7)


@given(st.floats(-0.5, 0.5), st.floats(0.0, 1.0))
def test_implied_trend_reproduces_the_observed_growth(observed, refill):
    p = Parameters()
    trend = implied_trend(observed, 250.0, 100_000, refill=refill)(p)
    back = leader_volume_growth(250.0, 100_000, refill=refill, trend=trend)(p)
    assert back == pytest.approx(observed, abs=1e-12)
    assert trend >= observed - 1e-15  # sinking can only have cost the leader volume
    with pytest.raises(ValueError, match="observed_growth must be finite and > -1"):
        implied_trend(-1.0, 250.0, 100_000)
