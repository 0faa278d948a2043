"""Bankruptcy rules: Aumann–Maschler's table, Talmud = nucleolus, caps, coopgame-py."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import InfeasibleError, nucleolus
from compensation.solvers.bankruptcy import bankruptcy, bankruptcy_game

coopgame = pytest.importorskip("coopgame")

# Aumann and Maschler (1985), Table 1: claims 100, 200, 300 (the Talmud's three widows).
TALMUD_TABLE = {
    100: [100 / 3, 100 / 3, 100 / 3],
    200: [50.0, 75.0, 75.0],
    300: [50.0, 100.0, 150.0],
}


@pytest.mark.parametrize(("estate", "expected"), sorted(TALMUD_TABLE.items()))
def test_aumann_maschler_table(estate, expected):
    r = bankruptcy(estate, [100, 200, 300])
    assert r.awards == pytest.approx(expected, abs=1e-12)
    assert r.awards.sum() == pytest.approx(estate, abs=1e-12)
    assert r.losses == pytest.approx(np.array([100, 200, 300]) - expected, abs=1e-12)


def test_closed_forms_of_the_other_rules():
    c = [100, 200, 300]
    assert bankruptcy(300, c, "proportional").awards == pytest.approx([50, 100, 150])
    assert bankruptcy(240, c, "cea").awards == pytest.approx([80, 80, 80])
    assert bankruptcy(300, c, "cea").awards == pytest.approx([100, 100, 100])
    assert bankruptcy(300, c, "cel").awards == pytest.approx([0, 100, 200])
    assert bankruptcy(600, c, "cel").awards == pytest.approx(c)
    assert bankruptcy(0, c, "talmud").awards.tolist() == [0, 0, 0]


claims_lists = st.lists(st.integers(0, 200), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(claims_lists, st.floats(0, 1), st.sampled_from(["talmud", "cea", "cel", "proportional"]))
def test_rules_against_coopgame_and_their_axioms(claims, frac, rule):
    c = np.array(claims, float)
    if c.sum() == 0:
        c[0] = 1.0
    estate = frac * c.sum()
    r = bankruptcy(estate, c, rule)
    assert r.awards.sum() == pytest.approx(estate, abs=1e-9 * max(1, estate))
    assert (r.awards >= -1e-12).all() and (r.awards <= c + 1e-9).all()
    # Equal treatment of equal claims.
    for i in range(c.size):
        for j in range(c.size):
            if c[i] == c[j]:
                assert r.awards[i] == pytest.approx(r.awards[j], abs=1e-9)
    theirs = {
        "talmud": coopgame.talmud,
        "cea": coopgame.constrained_equal_awards,
        "cel": coopgame.constrained_equal_losses,
    }
    if rule in theirs:
        assert r.awards == pytest.approx(theirs[rule](estate, list(c)), abs=1e-9 * max(1, estate))
    else:
        assert r.awards == pytest.approx(estate * c / c.sum(), abs=1e-9 * max(1, estate))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 100), min_size=2, max_size=5), st.floats(0.05, 0.95))
def test_talmud_is_the_nucleolus_of_the_bankruptcy_game(claims, frac):
    c = np.array(claims, float)
    estate = round(frac * c.sum(), 3)
    nu = np.asarray(nucleolus(bankruptcy_game(estate, c)))
    assert bankruptcy(estate, c).awards == pytest.approx(nu, abs=1e-6)


def test_caps_hold_and_the_rest_is_shared_by_the_rule():
    r = bankruptcy(200, [100, 200, 300], "proportional", caps=[20, 100, 100], names=list("abc"))
    assert r.awards == pytest.approx([20, 80, 100]) and r.capped == ("a", "c")
    r = bankruptcy(200, [100, 200, 300], "talmud", caps=[np.inf, 60, np.inf])
    assert r.awards[1] == pytest.approx(60) and r.awards.sum() == pytest.approx(200)
    assert r.awards == pytest.approx([50, 60, 90])  # CEA on half-claims, b stopped at 60
    r = bankruptcy(90, [100, 200, 300], "cel", caps=[0, 50, 1000])
    assert r.awards == pytest.approx([0, 0, 90])


def test_bad_input_names_the_problem():
    with pytest.raises(ValueError, match="claims must be finite and ≥ 0"):
        bankruptcy(10, [5, -1])
    with pytest.raises(ValueError, match="claims must be finite and ≥ 0"):
        bankruptcy(10, [5, np.nan])
    with pytest.raises(ValueError, match="estate must be finite and ≥ 0"):
        bankruptcy(-1, [5, 5])
    with pytest.raises(ValueError, match="rule must be one of"):
        bankruptcy(1, [5, 5], "equal")
    with pytest.raises(ValueError, match="caps must be 2 values ≥ 0"):
        bankruptcy(1, [5, 5], caps=[1])
    with pytest.raises(InfeasibleError, match="exceeds what the claims and caps allow") as err:
        bankruptcy(13, [5, 10], caps=[2, 20], names=["a", "b"])
    assert err.value.constraints == ("cap[a]", "claim[b]")
