"""Kernels of the consortium game's values (MODEL.md §10): member terms, repeated coalitions."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import Parameters
from compensation.model.member_payoffs import consortium_payoffs
from compensation.model.members import Members
from compensation.policy._coalition_chain import distinct
from compensation.policy.consortium_game import consortium_game

MEMBERS = Members(
    name=["A", "B", "C", "D"],
    visits=[120_000, 60_000, 20_000, 8_000],
    travel_cost=[0.0, 0.02, 0.05, 0.01],
    host_capacity=[800, 500, 600, 90],
    readiness_cost=[2.0, 3.0, 0.5, 0.0],
)


@pytest.mark.parametrize("flow", ["linear", "saturating", "logit"])
def test_member_terms_are_the_joint_objective(flow):
    # Σ_j h_j(s_j) − C(S) is the leader's objective at integration 1 with everyone active
    # (model.member_payoffs, an independent statement of MODEL.md §10's payoffs).
    fn = consortium_game(Parameters(subsidy=0.2, flow=flow), MEMBERS).function
    rng = np.random.default_rng(3)
    for s in rng.uniform(0, 1, (5, 4)) * fn.ub:
        joint = consortium_payoffs(fn.p, MEMBERS, s, np.ones(4)).leader_objective
        terms = fn.part.value(s[:, None])[:, 0]
        assert terms.sum() - fn._cost(s.sum()) == pytest.approx(float(joint), abs=1e-9)
        # a member at 0 may stay out: the better of 0 and its readiness balance
        assert np.array_equal(fn.term(s), terms)
        zero = np.where(np.arange(4) == 1, 0.0, s)
        assert fn.const[1] == -3.0 and fn.term(zero)[1] == 0.0  # readiness 3 万元, no g_P


@pytest.mark.parametrize("flow", ["linear", "saturating"])
def test_terms_agree_across_layouts_and_rows(flow):
    fn = consortium_game(Parameters(subsidy=0.2, flow=flow), MEMBERS).function
    s = np.random.default_rng(1).uniform(0, 1, (2, 3, 4)) * fn.ub  # members on the last axis
    s[0, 0, 2] = 0.0
    by_member = fn.terms(s.reshape(-1, 4).T).T.reshape(s.shape)
    assert np.array_equal(fn.term(s), by_member)  # (..., N) and (N, G) layouts, same bits
    assert np.array_equal(fn.term(s[1, 2]), by_member[1, 2])  # one allocation, shape (N,)
    rows = np.array([3, 0, 0, 2])
    picked = fn.terms(s.reshape(-1, 4).T[rows], rows)
    assert np.array_equal(picked, by_member.reshape(-1, 4).T[rows])


def test_cached_views_follow_a_replaced_value():
    fn = consortium_game(Parameters(subsidy=0.2), MEMBERS).function
    assert fn.onehot.shape == (fn.owner.size, 4)
    x = np.random.default_rng(2).uniform(0, 1, (3, fn.owner.size))
    per_member = np.stack([np.bincount(fn.owner, w, minlength=4) for w in x])
    assert np.allclose(x @ fn.onehot, per_member, rtol=0, atol=1e-12)
    moved = dataclasses.replace(fn, beta=fn.beta + 1.0)
    s = np.full(4, 10.0)
    assert np.allclose(moved.term(s) - fn.term(s), 10.0)  # not the first value's cached terms


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 20),
    seed=st.integers(0, 2**32 - 1),
    k=st.integers(0, 40),
)
def test_distinct_rows_as_numpy_unique_finds_them(width, seed, k):
    rng = np.random.default_rng(seed)
    base = rng.random((max(1, k // 3), width)) < 0.5
    rows = base[rng.integers(0, len(base), k)]  # repeated coalitions
    first, inv = distinct(rows)
    _, f0, i0 = np.unique(rows.astype(np.uint8), axis=0, return_index=True, return_inverse=True)
    assert np.array_equal(first, f0) and np.array_equal(inv, np.asarray(i0).reshape(-1))
    assert np.array_equal(rows[first][inv], rows)  # every row is its distinct coalition
    assert (first == np.array([np.flatnonzero(inv == i)[0] for i in range(len(first))])).all()
