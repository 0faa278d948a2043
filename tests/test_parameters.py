import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compensation import (
    Parameters,
    best_sinking,
    payoffs,
    sinking_matrices,
    threshold_price,
    threshold_subsidy,
)
from compensation.model.parameters import FIELDS, MAX_MAGNITUDE, MIN_POSITIVE

MODEL_DEFAULTS = {  # MODEL.md §2, verbatim
    "visits": 200000,
    "common_share": 0.7,
    "shift_rate": 2e-4,
    "max_shift": 0.5,
    "sinking_scale": 300,
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


# ----- regressions: file layouts and sources (issues 3 and 4) -------------------------------


def test_toml_mixed_layout_is_refused_naming_the_keys():
    # Top-level keys beside [parameters] used to be dropped silently (price stayed 0.05).
    with pytest.raises(ValueError, match=r"\[parameters\] table and top-level keys 'price'"):
        Parameters.from_toml("price = 0.09\n[parameters]\nsubsidy = 0.1\n")
    with pytest.raises(ValueError, match="top-level keys 'meta'"):
        Parameters.from_toml_string("[meta]\nnote = 'x'\n[parameters]\nsubsidy = 0.1\n")
    assert Parameters.from_toml("price = 0.09\nsubsidy = 0.1\n").price == 0.09


def test_json_parameters_object_and_mixed_layout():
    assert Parameters.from_json('{"parameters": {"price": 0.07}}').price == 0.07
    with pytest.raises(ValueError, match=r"\"parameters\" object and top-level keys 'price'"):
        Parameters.from_json('{"price": 0.09, "parameters": {"subsidy": 0.1}}')
    with pytest.raises(ValueError, match="repeats the key 'price'"):
        Parameters.from_json_string('{"price": 0.09, "price": 0.1}')
    with pytest.raises(ValueError, match="object of parameter fields; got list"):
        Parameters.from_json_string("[0.1]")


def test_paths_with_equals_or_brace_are_read_as_files(tmp_path, monkeypatch):
    runs = tmp_path / "runs"
    runs.mkdir()
    (runs / "price=0.07.toml").write_text("price = 0.07\n", encoding="utf-8")
    (runs / "{a}.json").write_text('{"price": 0.08}', encoding="utf-8")
    assert Parameters.from_toml(runs / "price=0.07.toml").price == 0.07
    assert Parameters.from_toml(str(runs / "price=0.07.toml")).price == 0.07
    assert Parameters.from_json(str(runs / "{a}.json")).price == 0.08
    monkeypatch.chdir(tmp_path)
    assert Parameters.from_toml("runs/price=0.07.toml").price == 0.07


@pytest.mark.parametrize(
    ("fmt", "source"), [("toml", "runs/price=0.09.toml"), ("json", "runs/{b}.json")]
)
def test_missing_file_that_is_not_text_names_both_readings(tmp_path, monkeypatch, fmt, source):
    monkeypatch.chdir(tmp_path)
    upper = fmt.upper()
    with pytest.raises(ValueError, match=f"neither an existing file .* nor valid {upper} text"):
        getattr(Parameters, f"from_{fmt}")(source)
    with pytest.raises(FileNotFoundError):
        getattr(Parameters, f"from_{fmt}")(Path(source))
    with pytest.raises(ValueError, match=f"not valid {upper} text"):
        getattr(Parameters, f"from_{fmt}_string")(source)


def test_string_readers_never_look_for_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "subsidy = 0.2").write_text("subsidy = 0.3\n", encoding="utf-8")
    assert Parameters.from_toml_string("subsidy = 0.2").subsidy == 0.2
    assert Parameters.from_toml("subsidy = 0.2").subsidy == 0.3  # a str naming a file is a path
    with pytest.raises(TypeError, match="path .* or TOML text; got int"):
        Parameters.from_toml(3)


# ----- regressions: shapes and magnitudes (issues 5 and 6) ----------------------------------


def test_shapes_that_do_not_broadcast_are_refused_naming_both_fields():
    with pytest.raises(ValueError, match=r"price has shape \(3,\) and subsidy has shape \(4,\)"):
        Parameters(price=[0.0, 0.1, 0.2], subsidy=[0.0, 0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match=r"subsidy.*; array fields must broadcast"):
        Parameters(subsidy=[-1.0, 0.1], visits=[1.0, 2.0, 3.0])
    assert Parameters(price=[[0.0], [0.1]], subsidy=[0.0, 0.1, 0.2]).shape == (2, 3)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"primary_margin": 1e308}, r"primary_margin must be finite and in \[0, 1e\+12\] "),
        ({"price": -1e13}, r"price must be finite and in \[-1e\+12, 1e\+12\] \(万元/dd\)"),
        ({"cost_quadratic": 1e-300}, r"cost_quadratic must be finite and in \[1e-12, 1e\+12\]"),
        ({"sinking_scale": 1e-13}, r"sinking_scale must be finite and in \[1e-12, 1e\+12\] \(dd\)"),
        ({"visits": [1e5, 2e12]}, r"visits .* got 2000000000000.0 at index 1 \(1 of 2"),
    ],
)
def test_magnitudes_that_overflow_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        Parameters(**changes)


def _limit(domain, high):
    lo, hi = {
        "real": (-MAX_MAGNITUDE, MAX_MAGNITUDE),
        "nonneg": (0.0, MAX_MAGNITUDE),
        "positive": (MIN_POSITIVE, MAX_MAGNITUDE),
        "share": (0.0, 1.0),
    }[domain]
    return hi if high else lo


@st.composite
def extreme_parameters(draw):
    """Every field at the low or high end of its allowed range, or at its default."""
    changes = {}
    for name, meta in FIELDS.items():
        pick = draw(st.sampled_from(["low", "high", "default"]))
        if pick != "default":
            changes[name] = _limit(meta.domain, pick == "high")
    level = changes.get("sinking_level", 300.0)
    changes["sinking_level"] = min(level, changes.get("max_sinking", 2000.0))
    return Parameters(flow=draw(st.sampled_from(["linear", "saturating", "logit"])), **changes)


@settings(max_examples=80)
@given(extreme_parameters())
def test_allowed_extremes_never_give_nan(p):
    # filterwarnings = error turns any overflow or invalid-value warning into a failure too.
    outputs = [
        *payoffs(p, [0.0, p.sinking_level, p.max_sinking], [[0.0], [1.0]]).__dict__.values(),
        *sinking_matrices(p),
        best_sinking(p),
        threshold_price(p),
        threshold_subsidy(p),
    ]
    for out in outputs:
        assert not np.isnan(np.asarray(out, dtype=float)).any()


def test_flow_must_be_a_string():
    with pytest.raises(ValueError, match=r"flow must be one of .*got \['linear'\]"):
        Parameters(flow=["linear"])


# --- renamed fields keep their old names as deprecated aliases (issue 11) -----------------


def test_half_sinking_is_a_deprecated_alias_of_sinking_scale():
    from compensation import sweep, threshold_subsidy

    with pytest.warns(
        DeprecationWarning, match="'half_sinking' is deprecated, use 'sinking_scale'"
    ):
        p = Parameters(flow="saturating", half_sinking=500.0)
    assert p.sinking_scale == 500.0
    with pytest.warns(DeprecationWarning, match="e-folding"):
        assert p.half_sinking == 500.0
    with pytest.warns(DeprecationWarning):
        assert p.replace(half_sinking=400.0).sinking_scale == 400.0
    with pytest.warns(DeprecationWarning):
        assert Parameters.from_toml_string("half_sinking = 250.0").sinking_scale == 250.0
    with pytest.warns(DeprecationWarning):
        r = sweep(threshold_subsidy, {"half_sinking": [100.0, 200.0]})
    assert list(r.axes) == ["sinking_scale"]
    with pytest.raises(TypeError, match="not both"), pytest.warns(DeprecationWarning):
        Parameters(half_sinking=1.0, sinking_scale=2.0)


@pytest.mark.parametrize("value", [None, True, np.bool_(False), [True, False]])
def test_none_and_booleans_are_refused_in_their_own_words(value):
    word = "None" if value is None else "boolean"
    with pytest.raises(TypeError, match=rf"price must be a real number.*{word}"):
        Parameters(price=value)


def test_files_with_a_byte_order_mark_read_like_plain_utf8(tmp_path):
    # Windows editors save UTF-8 with a BOM; the CLI read such files but the library did not.
    from compensation.model.leader_file import read_leader

    toml = tmp_path / "p.toml"
    toml.write_text("subsidy = 0.1  # 万元/dd\n", encoding="utf-8-sig")
    assert toml.read_bytes().startswith(b"\xef\xbb\xbf")
    assert Parameters.from_toml(toml).subsidy == 0.1
    js = tmp_path / "p.json"
    js.write_text('{"price": 0.07}', encoding="utf-8-sig")
    assert Parameters.from_json(js).price == 0.07
    leader = tmp_path / "leader.toml"
    leader.write_text("leader_capacity = 1500.0\nsubsidy = 0.15\n", encoding="utf-8-sig")
    p, cap = read_leader(leader)
    assert (p.subsidy, cap) == (0.15, 1500.0)


def test_domains_have_one_statement_of_their_range():
    from compensation.analysis.draws import inside
    from compensation.model.fields import RANGES, within

    assert within("positive", [0.0, 1e-12, 1e12, 1.1e12]).tolist() == [False, True, True, False]
    assert inside("max_shift", np.array([-0.1, 0.0, 1.0, 1.01])).tolist() == [
        False,
        True,
        True,
        False,
    ]
    assert RANGES["nonneg"] == (0.0, 1e12)
