"""Flow forms are objects in one registry: a new form is one class (issue 11)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation import Parameters, best_sinking, payoffs, shift_share
from compensation.model.flow import FLOW_FORMS, FlowForm, form_of, register

from .strategies import parameters


@given(parameters(), st.floats(1.0, 1900.0))
def test_slope_and_curvature_are_the_derivatives_of_the_share(p, s):
    form = form_of(p)
    h = 1e-3
    x = np.array([s - h, s, s + h])
    q = form.share(p, x)
    smooth = not (p.flow == "linear" and abs(p.shift_rate * s - p.max_shift) < 1e-6)
    if smooth:
        slope = form.slope(p, np.array(s))
        assert float(slope) == pytest.approx((q[2] - q[0]) / (2 * h), rel=1e-5, abs=1e-12)
        d = form.slope(p, x)
        assert float(form.curvature(p, np.array(s))) == pytest.approx(
            (d[2] - d[0]) / (2 * h), rel=1e-4, abs=1e-12
        )
    grid = np.linspace(0, 2000, 401)
    assert np.all(np.abs(form.slope(p, grid)) <= form.max_slope(p) * (1 + 1e-12) + 1e-300)


def test_linear_kink_has_two_one_sided_slopes():
    p = Parameters()
    form = FLOW_FORMS["linear"]
    cap = float(form.kink(p))
    assert float(form.slope(p, np.array(cap), "left")) == p.shift_rate
    assert float(form.slope(p, np.array(cap), "right")) == 0.0


def test_a_new_form_is_one_class():
    @register
    class Exponent(FlowForm):
        """Δq = Δq_max (s / (s + s_h)): a hyperbolic saturation."""

        name = "hyperbolic-test"

        def share(self, p, s):
            return p.max_shift * s / (s + p.sinking_scale)

        def slope(self, p, s, side="right"):
            return p.max_shift * p.sinking_scale / (s + p.sinking_scale) ** 2

        def curvature(self, p, s):
            return -2 * p.max_shift * p.sinking_scale / (s + p.sinking_scale) ** 3

        def max_slope(self, p):
            return np.asarray(p.max_shift / p.sinking_scale)

    try:
        p = Parameters(flow="hyperbolic-test", subsidy=0.3, slot_value=0.005)
        assert float(shift_share(p, 300.0)) == pytest.approx(0.5 * 300 / 600)
        s = float(best_sinking(p))
        assert 0 < s <= p.max_sinking
        assert float(payoffs(p, s, 1).leader) >= float(payoffs(p, 0.0, 1).leader)
        with pytest.raises(ValueError, match="new, non-empty name"):
            register(Exponent)
    finally:
        del FLOW_FORMS["hyperbolic-test"]
    with pytest.raises(ValueError, match="flow must be one of"):
        Parameters(flow="hyperbolic-test")
