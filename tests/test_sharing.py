"""Sharing a surplus or an overrun: split_surplus with a loss, and settle → split in one call."""

import numpy as np
import pytest

from compensation import InfeasibleError, SettlementRule, settle
from compensation.bundled.allocation import split_surplus
from compensation.bundled.sharing import share_settlement
from compensation.solvers.bankruptcy import bankruptcy


def test_a_loss_is_shared_by_scores_within_the_caps():
    a = split_surplus(-60.0, [0.9, 0.6, 0.3], caps=[100, 100, 5], names=["a", "b", "c"])
    assert a.shares.sum() == pytest.approx(-60.0, abs=1e-12)
    assert (a.shares <= 0).all() and a.shares[2] == pytest.approx(-5.0)
    assert a.binding == ("cap[c]",)
    # Without caps the loss follows the scores exactly.
    free = split_surplus(-60.0, [0.9, 0.6, 0.3])
    assert free.shares == pytest.approx([-30.0, -20.0, -10.0])


def test_a_loss_larger_than_all_caps_names_every_cap():
    with pytest.raises(InfeasibleError, match="the loss 100 exceeds what the caps allow") as err:
        split_surplus(-100.0, [1, 1, 1], caps=[10, 20, 30], names=["a", "b", "c"])
    assert err.value.constraints == ("cap[a]", "cap[b]", "cap[c]")


def test_a_loss_refuses_floors():
    with pytest.raises(ValueError, match="floors apply to a surplus"):
        split_surplus(-10.0, [1, 1], floors=[1, 0])
    with pytest.raises(ValueError, match="group_floors apply to a surplus"):
        split_surplus(-10.0, [1, 1], group_floors={"g": ([0], 0.5)})


def test_max_min_objective_equalises_the_loss_per_score():
    a = split_surplus(-50.0, [1, 1, 1], caps=[10, 30, 30], objective="max-min")
    assert a.shares == pytest.approx([-10.0, -20.0, -20.0])


def test_surplus_year_goes_to_split_surplus():
    r = share_settlement(1000.0, 900.0, scores=[0.5, 0.3, 0.2], claims=[50, 30, 20],
                         floors=[0, 40, 0])  # fmt: skip
    assert r.amount == 100.0 and r.method == "split_surplus:l1-to-scores"
    assert r.shares.sum() == pytest.approx(100.0) and r.shares[1] == pytest.approx(40.0)
    assert r.detail.binding == ("floor[member 1]",)


@pytest.mark.parametrize("rule", ["talmud", "proportional", "cea", "cel"])
def test_overrun_year_goes_to_the_bankruptcy_rule(rule):
    settlement_rule = SettlementRule(band=0.05, payer_share=0.5)
    r = share_settlement(1000.0, 1080.0, claims=[60, 30, 10], rule=settlement_rule,
                         loss_rule=rule)  # fmt: skip
    # Overrun 80: the reasonable 50 is halved, the 30 beyond the band is the consortium's.
    assert r.amount == pytest.approx(-55.0)
    assert r.amount == pytest.approx(float(settle(1000.0, 1080.0, settlement_rule).consortium))
    assert r.shares == pytest.approx(-bankruptcy(55.0, [60, 30, 10], rule).awards)
    assert r.shares.sum() == pytest.approx(-55.0) and r.method == f"bankruptcy:{rule}"


def test_overrun_by_the_split_lp_and_with_stop_loss_caps():
    r = share_settlement(1000.0, 1040.0, scores=[2, 1, 1], loss_rule="split",
                         loss_caps=[5, 50, 50])  # fmt: skip
    assert r.amount == -20.0 and r.shares == pytest.approx([-5.0, -7.5, -7.5])
    capped = share_settlement(1000.0, 1040.0, claims=[20, 20, 20], loss_caps=[1, 50, 50])
    assert capped.shares == pytest.approx([-1.0, -9.5, -9.5]) and capped.detail.capped == (
        "member 0",
    )


def test_pipeline_bad_input():
    with pytest.raises(ValueError, match="claims are needed to share an overrun of 20"):
        share_settlement(1000.0, 1040.0, scores=[1, 1])
    with pytest.raises(ValueError, match="scores are needed to split the consortium's surplus"):
        share_settlement(1000.0, 900.0, claims=[1, 1])
    with pytest.raises(ValueError, match="loss_rule must be one of"):
        share_settlement(1000.0, 900.0, scores=[1, 1], loss_rule="equal")
    with pytest.raises(ValueError, match="must be scalars"):
        share_settlement(np.array([1000.0, 900.0]), 900.0, scores=[1, 1])
    with pytest.raises(InfeasibleError, match="exceeds what the claims and caps allow"):
        share_settlement(1000.0, 1040.0, claims=[5, 5])
