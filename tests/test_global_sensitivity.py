"""Sobol indices and Morris screening through SALib, against known answers."""

import math
import time

import numpy as np
import pytest

from compensation import _optional

pytest.importorskip("SALib")

from compensation.analysis.global_sensitivity import morris_screening, sobol_indices
from compensation.policy.thresholds import threshold_subsidy

# Three real-valued fields stand in for the Ishigami inputs x1, x2, x3 ~ U(-pi, pi).
X = ("price", "logit_intercept", "quality_sensitivity")


def ishigami(p, a=7.0, b=0.1):
    x1, x2, x3 = (np.asarray(getattr(p, n)) for n in X)
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def test_ishigami_indices_match_their_closed_forms():
    a, b = 7.0, 0.1
    v1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    s = sobol_indices(ishigami, {n: (-math.pi, math.pi) for n in X}, n=2**13, seed=1)
    assert s.first == pytest.approx([v1 / v, v2 / v, 0.0], abs=0.03)
    assert s.total == pytest.approx([(v1 + v13) / v, v2 / v, v13 / v], abs=0.03)
    assert np.all(s.first_conf > 0) and np.all(s.first_conf < 0.05)
    assert s.runs == 2**13 * 5 and s.variance == pytest.approx(v, rel=0.05)
    frame = s.to_frame()
    assert list(frame.columns) == ["S1", "S1_conf", "ST", "ST_conf"]
    assert list(frame.index) == list(X)


def test_model_indices_of_a_linear_threshold_and_the_speed_of_1e5_runs():
    # g* = 0.234 - price - brand_benefit on these ranges: S_i = Var_i / sum Var.
    ranges = {"price": (0.0, 0.04), "brand_benefit": (0.0, 0.02), "social_benefit": (0.1, 0.3)}
    start = time.perf_counter()
    s = sobol_indices(threshold_subsidy, ranges, n=2**14, second_order=False)
    took = time.perf_counter() - start
    assert s.runs == 2**14 * 5 and took < 20  # about a second alone on one core
    assert s.first == pytest.approx([0.8, 0.2, 0.0], abs=0.01)
    assert s.total == pytest.approx([0.8, 0.2, 0.0], abs=0.01)
    s2 = sobol_indices(threshold_subsidy, ranges, n=2**10, second_order=True)
    assert s2.second.shape == (3, 3) and np.nanmax(np.abs(s2.second)) < 0.05  # additive


def test_morris_ranks_by_the_effect_over_each_range():
    ranges = {"price": (0.0, 0.04), "brand_benefit": (0.0, 0.02), "social_benefit": (0.1, 0.3)}
    m = morris_screening(threshold_subsidy, ranges, trajectories=20)
    assert m.mu == pytest.approx([-0.04, -0.02, 0.0], abs=1e-12)
    assert m.mu_star == pytest.approx([0.04, 0.02, 0.0], abs=1e-12)
    assert m.sigma == pytest.approx([0.0, 0.0, 0.0], abs=1e-12) and m.runs == 80
    assert list(m.to_frame().index) == ["price", "brand_benefit", "social_benefit"]


def test_bad_input_is_named(monkeypatch):
    ok = {"price": (0.0, 0.04)}
    with pytest.raises(ValueError, match="power of 2"):
        sobol_indices(threshold_subsidy, ok, n=1000)
    with pytest.raises(ValueError, match="leaves the parameter's domain"):
        sobol_indices(threshold_subsidy, {"brand_benefit": (-1.0, 1.0)}, n=64)
    with pytest.raises(ValueError, match="did you mean 'price'"):
        morris_screening(threshold_subsidy, {"prise": (0.0, 1.0)})
    with pytest.raises(ValueError, match="low < high"):
        sobol_indices(threshold_subsidy, {"price": (0.1, 0.0)}, n=64)
    with pytest.raises(ValueError, match="not finite at"):
        sobol_indices(threshold_subsidy, {"price": (0.0, 0.1)}, n=64)  # inf above 0.05
    with pytest.raises(ValueError, match="levels must be"):
        morris_screening(threshold_subsidy, ok, levels=3)

    def missing(module):  # the extra is not installed
        raise ImportError(module)

    monkeypatch.setattr(_optional.importlib, "import_module", missing)
    with pytest.raises(ImportError, match=r"compensation\[sensitivity\]"):
        sobol_indices(threshold_subsidy, ok, n=64)
