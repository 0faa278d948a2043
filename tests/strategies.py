"""Hypothesis strategies shared by the tests."""

import numpy as np
from hypothesis import strategies as st

from compensation import Parameters

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def parameters(draw, flow=st.sampled_from(["linear", "saturating", "logit"])):
    """Economically plausible parameter points around the defaults."""
    return Parameters(
        flow=draw(flow),
        visits=draw(st.floats(1e4, 5e5)),
        common_share=draw(st.floats(0.3, 0.9)),
        shift_rate=draw(st.floats(0.0, 5e-4)),
        max_shift=draw(st.floats(0.05, 0.8)),
        half_sinking=draw(st.floats(50, 1000)),
        leader_margin=draw(st.floats(0.0, 0.01)),
        slot_value=draw(st.floats(0.0, 0.01)),
        primary_margin=draw(st.floats(0.0, 0.01)),
        cost_linear=draw(st.floats(0.0, 0.3)),
        cost_quadratic=draw(st.floats(1e-5, 1e-3)),
        hosting_cost=draw(st.floats(0.0, 0.05)),
        readiness_cost=draw(st.floats(0.0, 10.0)),
        brand_benefit=draw(st.floats(0.0, 0.05)),
        passive_fraction=draw(st.floats(0.0, 1.0)),
        price=draw(st.floats(-0.2, 0.4)),
        profit_share=draw(st.floats(0.0, 0.5)),
        subsidy=draw(st.floats(0.0, 0.4)),
        primary_subsidy=draw(st.floats(0.0, 5.0)),
        integration=draw(st.floats(0.0, 0.9)),
        sinking_level=draw(st.floats(10.0, 1000.0)),
        quality_sensitivity=draw(st.floats(-2.0, 3.0)),
    )


@st.composite
def bimatrix(draw, min_size=2, max_size=4, ints=False):
    """A random bimatrix game; integer payoffs make ties (degeneracy) likely."""
    m = draw(st.integers(min_size, max_size))
    n = draw(st.integers(min_size, max_size))
    elements = st.integers(-3, 3) if ints else finite
    A = np.array(draw(st.lists(elements, min_size=m * n, max_size=m * n)), float).reshape(m, n)
    B = np.array(draw(st.lists(elements, min_size=m * n, max_size=m * n)), float).reshape(m, n)
    return A, B
