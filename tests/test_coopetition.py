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
