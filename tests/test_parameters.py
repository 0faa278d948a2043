import math
from pathlib import Path

import numpy as np
import pytest

from compensation import Parameters
from compensation.parameters import FIELDS

MODEL_DEFAULTS = {  # MODEL.md §2, verbatim
    "visits": 200000,
    "common_share": 0.7,
    "shift_rate": 2e-4,
    "max_shift": 0.5,
    "half_sinking": 300,
    "leader_margin": 0.005,
    "slot_value": 0.002,
    "primary_margin": 0.004,
    "cost_linear": 0.12,
    "cost_quadratic": 2e-4,
    "hosting_cost": 0.02,
    "readiness_cost": 2,
    "brand_benefit": 0.02,
    "passive_fraction": 0.3,
    "price": 0.05,
    "profit_share": 0,
    "subsidy": 0,
    "primary_subsidy": 0,
    "social_benefit": 0.2,
    "funds_cost": 0.2,
    "integration": 0,
    "sinking_level": 300,
    "max_sinking": 2000,
}


def test_defaults_match_model_spec():
    p = Parameters()
    for name, value in MODEL_DEFAULTS.items():
        assert getattr(p, name) == value, name
    assert p.flow == "linear"


def test_frozen_and_replace():
    p = Parameters()
    with pytest.raises(AttributeError):
        p.subsidy = 1.0
    q = p.replace(subsidy=0.2)
    assert q.subsidy == 0.2 and p.subsidy == 0.0
    assert q != p and p.replace() == p and hash(p.replace()) == hash(p)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subsidy": -0.05}, r"subsidy must be finite and ≥ 0 \(万元/dd\); got -0.05"),
        ({"common_share": 1.5}, r"common_share must be in \[0, 1\] .*got 1.5"),
        ({"cost_quadratic": 0.0}, r"cost_quadratic must be finite and > 0"),
        ({"price": math.nan}, r"price must be finite .*got nan"),
        ({"visits": math.inf}, r"visits must be finite and ≥ 0 .*got inf"),
        ({"sinking_level": 3000.0}, r"sinking_level must be ≤ max_sinking"),
        ({"flow": "logistic"}, r"flow must be one of .*did you mean 'logit'"),
        ({"subsidy": [0.1, -1.0, -2.0]}, r"subsidy .*got -1.0 at index 1 \(2 of 3 entries bad\)"),
    ],
)
def test_bad_values_name_parameter_range_and_value(changes, message):
    with pytest.raises(ValueError, match=message):
        Parameters(**changes)


def test_all_violations_reported_together():
    with pytest.raises(ValueError, match="subsidy.*; integration"):
        Parameters(subsidy=-1, integration=2)


def test_unknown_name_suggests_closest():
    with pytest.raises(TypeError, match="no field 'subsidey'; did you mean 'subsidy'"):
        Parameters(subsidey=0.1)
    with pytest.raises(TypeError, match="did you mean 'price'"):
        Parameters().replace(prise=0.1)


def test_negative_price_allowed():
    assert Parameters(price=-0.3).price == -0.3


def test_array_fields_are_read_only_copies_and_compare():
    g = np.array([0.0, 0.1, 0.2])
    p = Parameters(subsidy=g)
    g[0] = 9.0
    assert p.subsidy[0] == 0.0
    with pytest.raises(ValueError):
        p.subsidy[0] = 1.0
    assert p == Parameters(subsidy=[0.0, 0.1, 0.2])
    assert p != Parameters(subsidy=[0.0, 0.1, 0.3])
    assert p.shape == (3,)
    assert Parameters(subsidy=g[:, None], price=[0.0, 0.1]).shape == (3, 2)


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_round_trip_files(tmp_path, fmt):
    p = Parameters(subsidy=[0.0, 0.25], flow="logit", price=-0.01)
    path = tmp_path / f"p.{fmt}"
    getattr(p, f"to_{fmt}")(path)
    q = getattr(Parameters, f"from_{fmt}")(path)
    assert q == p
    assert getattr(Parameters, f"from_{fmt}")(getattr(p, f"to_{fmt}")()) == p


def test_toml_section_and_validation():
    assert Parameters.from_toml("[parameters]\nsubsidy = 0.3\n").subsidy == 0.3
    with pytest.raises(ValueError, match="subsidy"):
        Parameters.from_toml("subsidy = -0.3\n")


def test_every_field_documented_in_docs_table():
    text = (Path(__file__).parents[1] / "docs" / "parameters.rst").read_text(encoding="utf-8")
    for name in FIELDS:
        assert f"``{name}``" in text, name


def test_repr_lists_only_changes():
    assert repr(Parameters(subsidy=0.1)) == "Parameters(subsidy=0.1)"
