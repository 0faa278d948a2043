import numpy as np
import pytest

from compensation import Parameters, coopetition_equilibrium
from compensation.model.payoffs import payoffs

KW = dict(city_enrollees=1e6, enrollee_margin=0.002, quality_weight=0.8)


def leader_objective(ps, s, i, cand):
    q = np.array([1 - np.exp(-x / p.half_sinking) for p, x in zip(ps, s)])
    q[i] = 1 - np.exp(-cand / ps[i].half_sinking)
    u = 0.8 * q
    share = np.exp(u[i]) / np.exp(u).sum()
    return float(payoffs(ps[i], cand, 1).leader) + 0.002 * 1e6 * share


def test_equilibrium_is_a_mutual_best_response():
    ps = [
        Parameters(subsidy=0.1),
        Parameters(subsidy=0.1, cost_linear=0.15),
        Parameters(subsidy=0.1, cost_linear=0.2, half_sinking=400),
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
