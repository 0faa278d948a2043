"""Hypothesis strategies shared by the tests."""

import numpy as np
from hypothesis import strategies as st

from compensation import Parameters, TUGame

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)


@st.composite
def parameters(draw, flow=st.sampled_from(["linear", "saturating", "logit"]), bundled=False):
    """Economically plausible parameter points around the defaults.

    With ``bundled=True`` the payment regime (retained share and its split), a conditional
    subsidy and the community-first prices are drawn too; otherwise they keep their defaults
    (fee-for-service, unconditional subsidy).
    """
    extra = {}
    if bundled:
        extra = {
            "retained_share": draw(st.floats(0.0, 1.0)),
            "leader_savings_share": draw(st.floats(0.0, 1.0)),
            "conditional_subsidy": draw(st.sampled_from([0.0, 1.0, 0.5])),
            "referral_up_rate": draw(st.floats(0.0, 0.5)),
            "referral_discount": draw(st.floats(0.0, 0.3)),
            "direct_surcharge": draw(st.floats(0.0, 0.3)),
            "leader_visit_price": draw(st.floats(0.0, 0.05)),
            "primary_visit_price": draw(st.floats(0.0, 0.02)),
            "leader_reimbursement": draw(st.floats(0.0, 1.0)),
            "primary_reimbursement": draw(st.floats(0.0, 1.0)),
        }
    return Parameters(
        **extra,
        flow=draw(flow),
        visits=draw(st.floats(1e4, 5e5)),
        common_share=draw(st.floats(0.3, 0.9)),
        shift_rate=draw(st.floats(0.0, 5e-4)),
        max_shift=draw(st.floats(0.05, 0.8)),
        sinking_scale=draw(st.floats(50, 1000)),
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


@st.composite
def generic_bimatrix(draw, min_size=2, max_size=4):
    """A bimatrix game whose payoffs are distinct integers for each player.

    Every payoff gap is at least 1 on a range of at most 200, far above the tolerances of
    nashpy's label test (``np.isclose``) and ours, so near-ties cannot decide the answer.
    """
    m = draw(st.integers(min_size, max_size))
    n = draw(st.integers(min_size, max_size))
    distinct = st.lists(st.integers(-100, 100), min_size=m * n, max_size=m * n, unique=True)
    A = np.array(draw(distinct), float).reshape(m, n)
    B = np.array(draw(distinct), float).reshape(m, n)
    return A, B


def tu_values(n):
    """Values v(T) of an n-player TU game in quarters, v(empty) = 0, indexed by bitmask."""
    quarters = st.lists(st.integers(0, 40), min_size=(1 << n) - 1, max_size=(1 << n) - 1)
    return quarters.map(lambda vals: np.array([0.0, *(x / 4 for x in vals)]))


def tu_games(players=st.integers(2, 6)):
    """TU games of 2 to 6 players with quarter-integer values from 0 to 10."""
    return players.flatmap(lambda n: tu_values(n).map(lambda v, n=n: TUGame(n, v)))


def tu_game_pairs(players=st.integers(2, 6)):
    """Two TU games with the same players (for additivity)."""
    return players.flatmap(
        lambda n: st.tuples(tu_values(n), tu_values(n)).map(
            lambda vs, n=n: (TUGame(n, vs[0]), TUGame(n, vs[1]))
        )
    )
