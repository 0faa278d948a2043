import numpy as np
import pytest

from compensation import Parameters, coopetition_equilibrium
from compensation.model.payoffs import payoffs

KW = dict(city_enrollees=1e6, enrollee_margin=0.002, quality_weight=0.8)


def leader_objective(ps, s, i, cand):
    q = np.array([1 - np.exp(-x / p.sinking_scale) for p, x in zip(ps, s)])
    q[i] = 1 - np.exp(-cand / ps[i].sinking_scale)
    u = 0.8 * q
    share = np.exp(u[i]) / np.exp(u).sum()
    return float(payoffs(ps[i], cand, 1).leader) + 0.002 * 1e6 * share


def test_equilibrium_is_a_mutual_best_response():
    ps = [
        Parameters(subsidy=0.1),
        Parameters(subsidy=0.1, cost_linear=0.15),
        Parameters(subsidy=0.1, cost_linear=0.2, sinking_scale=400),
    ]
    eq = coopetition_equilibrium(ps, **KW)
    assert eq.converged and np.abs(eq.foc_residual).max() < 1e-6
    assert eq.enrollees.sum() == pytest.approx(1e6)
    for i in range(3):
        best = leader_objective(ps, eq.sinking, i, eq.sinking[i])
        for cand in np.linspace(0, 2000, 801):
            assert leader_objective(ps, eq.sinking, i, cand) <= best + 1e-7


def test_symmetric_consortia_sink_alike_and_more_than_alone():
    ps = [Parameters(subsidy=0.1)] * 3
    eq = coopetition_equilibrium(ps, **KW)
    assert np.ptp(eq.sinking) < 1e-6
    alone = coopetition_equilibrium(ps, **{**KW, "quality_weight": 0.0})
    assert (eq.sinking > alone.sinking).all()
    assert np.allclose(eq.enrollees, 1e6 / 3)


def test_history_and_report():
    eq = coopetition_equilibrium([Parameters(subsidy=0.1)] * 2, **KW, damping=1.0, max_iter=3)
    assert eq.history.shape == (eq.iterations + 1, 2) and eq.iterations <= 3


def test_bad_input():
    with pytest.raises(ValueError, match="at least 2"):
        coopetition_equilibrium([Parameters()], **KW)
    with pytest.raises(ValueError, match="damping must be in"):
        coopetition_equilibrium([Parameters()] * 2, **KW, damping=0.0)
    with pytest.raises(ValueError, match="city_enrollees must be finite and > 0"):
        coopetition_equilibrium([Parameters()] * 2, **{**KW, "city_enrollees": 0})
    with pytest.raises(ValueError, match="premiums must have one entry"):
        coopetition_equilibrium([Parameters()] * 2, **KW, premiums=[1.0])


def test_result_reports_convergence_like_every_iterative_solver():
    eq = coopetition_equilibrium([Parameters(subsidy=0.1)] * 2, **KW)
    assert eq.success and eq.converged and eq.tol == 1e-9
    assert eq.method == "damped best response (Jacobi)"
    assert eq.message.startswith(f"converged in {eq.iterations} rounds")
    assert eq.max_change <= 1e-9 * 2000
    stopped = coopetition_equilibrium([Parameters(subsidy=0.1)] * 2, **KW, max_iter=2)
    assert not stopped.success and not stopped.converged and stopped.iterations == 2
    assert stopped.message.startswith("did not converge in 2 rounds")
    text = repr(eq)
    assert text.startswith("CoopetitionResult(sinking=[") and "history" not in text
    assert list(eq.to_dict())[:4] == ["sinking", "enrollees", "payoffs", "success"]


def test_leaders_of_integrated_consortia_maximise_their_objective():
    # The leader's problem is model.leader's: with integration its objective is O_L, which
    # counts a share of primary care's payoff, as in the 2x2 game and the best response.
    from compensation import objectives

    ps = [Parameters(subsidy=0.1, integration=0.4), Parameters(subsidy=0.1, cost_linear=0.15)]
    eq = coopetition_equilibrium(ps, **KW)
    assert eq.success and np.abs(eq.foc_residual).max() < 1e-6

    def objective(i, cand):
        q = np.array([1 - np.exp(-x / p.sinking_scale) for p, x in zip(ps, eq.sinking)])
        q[i] = 1 - np.exp(-cand / ps[i].sinking_scale)
        share = np.exp(0.8 * q[i]) / np.exp(0.8 * q).sum()
        return float(objectives(ps[i], cand, 1)[0]) + 0.002 * 1e6 * share

    for i in range(2):
        assert eq.payoffs[i] == pytest.approx(objective(i, eq.sinking[i]), rel=1e-12)
        best = objective(i, eq.sinking[i])
        assert all(objective(i, c) <= best + 1e-7 for c in np.linspace(0, 2000, 401))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"tol": 0.0}, "tol must be finite and > 0"),
        ({"max_iter": -1}, "max_iter must be an integer ≥ 0"),
        ({"max_iter": 2.5}, "max_iter must be an integer ≥ 0"),
        ({"start": [1.0, 2.0, 3.0]}, r"start must have one entry per consortium \(2\)"),
        ({"start": [-1.0, 2.0]}, "start must be finite and ≥ 0"),
        ({"quality_weight": -1}, "quality_weight must be finite and ≥ 0"),
    ],
)
def test_bad_options_name_themselves(options, message):
    with pytest.raises(ValueError, match=message):
        coopetition_equilibrium([Parameters()] * 2, **{**KW, **options})


# ----- shared platforms: the "cooperate" in co-opetition (issue 14, item 4) ----------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from compensation.policy.cooperation import cooperation_value  # noqa: E402
from compensation.policy.platforms import SharedPlatforms  # noqa: E402

GROUPS = [
    Parameters(subsidy=0.1, cost_linear=0.10, brand_benefit=0.04),
    Parameters(subsidy=0.1, cost_linear=0.14),
    Parameters(subsidy=0.1, cost_linear=0.18, sinking_scale=400),
]


def platform_objective(ps, s, i, cand, shared, *, n_city=1e6, margin=0.002, beta=0.8):
    """Leader i's objective with platforms, written from the formulas, for a brute-force check."""
    s = np.array(s, dtype=float)
    s[i] = cand
    e = np.exp(beta * np.array([1 - np.exp(-x / p.sinking_scale) for p, x in zip(ps, s)]))
    n = n_city * e / e.sum()
    received = sum(n[j] * e[i] / (e.sum() - e[j]) for j in range(len(ps)) if j != i)
    gain = shared.recognition_saving * n[i] + (
        shared.referral_margin * shared.referral_share * received
    )
    return float(payoffs(ps[i], cand, 1).leader) + margin * n[i] + gain


@settings(max_examples=4, deadline=None)
@given(st.sampled_from([0.0, 0.3]), st.floats(0.0, 1.0))
def test_platforms_with_no_effect_are_todays_coopetition_exactly(share, margin_scale):
    # A referral share with no margin, or a margin with no referrals, changes nothing.
    shared = SharedPlatforms(referral_share=share, referral_margin=margin_scale * (share == 0))
    assert not shared.active
    plain = coopetition_equilibrium(GROUPS, **KW)
    with_platforms = coopetition_equilibrium(GROUPS, **KW, platforms=shared)
    assert np.array_equal(plain.sinking, with_platforms.sinking)
    assert np.array_equal(plain.payoffs, with_platforms.payoffs)
    assert np.array_equal(with_platforms.platform_income, np.zeros(3))


def test_mutual_recognition_is_a_higher_margin_per_enrollee():
    # sigma n_k added to m_E n_k: the game with saving sigma is the game with margin m_E + sigma.
    shared = SharedPlatforms(recognition_saving=0.0005)
    coop = coopetition_equilibrium(GROUPS, **KW, platforms=shared)
    richer = coopetition_equilibrium(GROUPS, **{**KW, "enrollee_margin": 0.0025})
    assert coop.sinking == pytest.approx(richer.sinking, abs=1e-5)
    assert coop.payoffs == pytest.approx(richer.payoffs, rel=1e-10)
    assert coop.platform_income == pytest.approx(0.0005 * coop.enrollees, rel=1e-12)


def test_two_groups_receive_all_of_each_others_referrals():
    shared = SharedPlatforms(recognition_saving=0.0002, referral_share=0.05, referral_margin=0.02)
    v = cooperation_value([Parameters(subsidy=0.1)] * 2, shared, **KW)
    assert v.success
    n = v.enrollees
    assert n == pytest.approx([5e5, 5e5])
    # R_k = m_R rho n_j and sigma n_k: 0.02·0.05·5e5 + 0.0002·5e5 = 600 each.
    assert v.direct == pytest.approx([600.0, 600.0], rel=1e-9)
    assert v.value == pytest.approx(v.direct + v.strategic, rel=1e-12)
    # Income from the rival's enrollees softens competition: both leaders sink less, and the
    # strategic part of the value is a gain.
    assert (v.sinking < v.sinking_alone).all() and (v.strategic > 0).all()


def test_cooperative_equilibrium_is_a_mutual_best_response_by_brute_force():
    shared = SharedPlatforms(recognition_saving=0.0005, referral_share=0.05, referral_margin=0.02)
    eq = coopetition_equilibrium(GROUPS, **KW, platforms=shared)
    assert eq.success and np.abs(eq.foc_residual).max() < 1e-6
    for i in range(3):
        best = platform_objective(GROUPS, eq.sinking, i, eq.sinking[i], shared)
        assert eq.payoffs[i] == pytest.approx(best, rel=1e-12)
        for cand in np.linspace(0, 2000, 801):
            assert platform_objective(GROUPS, eq.sinking, i, cand, shared) <= best + 1e-7


def test_cooperation_value_reports_each_groups_gain():
    shared = SharedPlatforms(recognition_saving=0.0005, referral_share=0.05, referral_margin=0.02)
    v = cooperation_value(GROUPS, shared, **KW)
    assert v.success and v.value.shape == (3,)
    assert v.value == pytest.approx(v.cooperative.payoffs - v.alone.payoffs, rel=1e-12)
    assert v.enrollees.sum() == pytest.approx(1e6) and v.enrollees_alone.sum() == pytest.approx(1e6)
    # With three groups a referral goes to the most attractive rival: leaders compete harder.
    assert (v.sinking > v.sinking_alone).all() and (v.strategic < 0).all()
    assert "cooperative=" not in repr(v) and repr(v).startswith("CooperationValue(value=[")


def test_platform_input_is_checked():
    with pytest.raises(ValueError, match="referral_share must be"):
        SharedPlatforms(referral_share=1.5)
    with pytest.raises(ValueError, match="recognition_saving must be finite and ≥ 0"):
        SharedPlatforms(recognition_saving=-1.0)
    with pytest.raises(TypeError, match="platforms must be a SharedPlatforms"):
        coopetition_equilibrium(GROUPS, **KW, platforms={"recognition_saving": 1.0})
    with pytest.raises(TypeError, match="platforms must be a SharedPlatforms"):
        cooperation_value(GROUPS, None, **KW)
