"""Fuzz the public numeric functions: no hang, no traceback but a named ValueError, no NaN.

Issue 13's "done when": every call below runs under a time limit on parameter points drawn
from the whole allowed range (up to the magnitude caps), not only plausible ones. A point
that Parameters refuses must be refused with a ValueError that names a field.
"""

import signal
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compensation import (
    Parameters,
    acceptable_prices,
    best_sinking,
    nash_equilibria,
    objectives,
    optimal_subsidy,
    payoffs,
    replicator_rest_points,
    shift_share,
    sinking_game,
    sinking_matrices,
    solve_2x2,
    threshold_price,
    threshold_subsidy,
)
from compensation.model.parameters import FIELDS

LIMIT = 20  # seconds for any single call


@contextmanager
def time_limit(seconds):
    def fail(signum, frame):
        raise TimeoutError(f"call took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


magnitudes = st.one_of(
    st.floats(-1e13, 1e13, allow_nan=False),
    st.sampled_from([0.0, 1e-300, 1e-12, 1.0, 1e12, -1e12, 1e308, float("nan"), float("inf")]),
)


ALLOWED = {
    "share": st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
    "nonneg": st.one_of(st.sampled_from([0.0, 1e-12, 1e12]), st.floats(0.0, 1e12)),
    "positive": st.one_of(st.sampled_from([1e-12, 1e12]), st.floats(1e-12, 1e12)),
    "real": st.one_of(st.sampled_from([-1e12, 0.0, 1e12]), st.floats(-1e12, 1e12)),
}


@st.composite
def raw_parameters(draw):
    """Extreme but allowed values (mostly) or anything at all for a few fields."""
    names = draw(st.lists(st.sampled_from(sorted(FIELDS)), min_size=1, max_size=4, unique=True))
    changes = {
        n: draw(st.one_of(ALLOWED[FIELDS[n].domain], ALLOWED[FIELDS[n].domain], magnitudes))
        for n in names
    }
    changes["flow"] = draw(st.sampled_from(["linear", "saturating", "logit"]))
    return changes


def _finite_or_inf(name, value):
    arr = np.asarray(value, dtype=float)
    assert not np.isnan(arr).any(), f"{name} returned NaN"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw_parameters())
def test_public_functions_never_hang_or_return_nan(changes):
    try:
        p = Parameters(**changes)
    except ValueError as exc:
        assert any(n in str(exc) for n in changes), str(exc)
        return
    with time_limit(LIMIT):
        r = payoffs(p, p.sinking_level, 1.0)
        for field in ("leader", "primary", "welfare"):
            _finite_or_inf(field, getattr(r, field))
        for name, value in (
            ("objectives", objectives(p, p.sinking_level, 0.0)),
            ("shift_share", shift_share(p, [0.0, p.sinking_level])),
            ("threshold_subsidy", threshold_subsidy(p)),
            ("threshold_price", threshold_price(p)),
            ("best_sinking", best_sinking(p)),
        ):
            _finite_or_inf(name, value)
        iv = acceptable_prices(p)
        _finite_or_inf("acceptable_prices.low", iv.low)
        eq = nash_equilibria(sinking_game(p))
        assert len(eq) >= 1
        sol = solve_2x2(*sinking_matrices(p))
        assert sol.pure.shape == (2, 2)
        rest = replicator_rest_points(*sinking_matrices(p))
        assert len(rest) >= 4
        for alliance in ("government-led", "primary-led"):
            d = optimal_subsidy(p, alliance)
            for field in ("subsidy", "price", "sinking", "welfare", "leader", "primary"):
                _finite_or_inf(field, getattr(d, field))
            assert float(d.welfare) >= 0.0


@pytest.mark.parametrize("shape", [(2, 2), (3, 5), (1, 7)])
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_nash_equilibria_on_extreme_payoffs(shape, data):
    values = st.one_of(
        st.floats(-1e300, 1e300, allow_nan=False), st.sampled_from([0.0, 1e-300, -1e-300])
    )
    size = shape[0] * shape[1]
    A = np.array(data.draw(st.lists(values, min_size=size, max_size=size))).reshape(shape)
    B = np.array(data.draw(st.lists(values, min_size=size, max_size=size))).reshape(shape)
    with time_limit(LIMIT):
        eq = nash_equilibria(A, B)
    assert len(eq) >= 1
    for x, y in eq.equilibria:
        assert np.isfinite(x).all() and np.isfinite(y).all()
