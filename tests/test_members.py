"""Members of a consortium and their payoffs (MODEL.md §10; issue 8 items 1–2)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from compensation import Parameters, objectives, payoffs
from compensation.model.members import MEMBER_FIELDS, SHARED, Members, consortium_payoffs

from .strategies import parameters


def table(n=3, **columns):
    return Members(name=[f"m{j}" for j in range(n)], **columns)


# ----- the container ------------------------------------------------------------------------
def test_minimal_table_leaves_columns_to_the_parameters():
    m = Members(name=["A", "B"], visits=[30_000, 8_000], travel_cost=[0.0, 0.03])
    assert len(m) == 2 and m.subsidy is None and m.host_capacity is None
    p = Parameters(subsidy=0.1, visits=1.0)
    assert m.column("subsidy", p).tolist() == [0.1, 0.1]
    assert m.column("visits", p).tolist() == [30_000.0, 8_000.0]
    assert m.column("host_capacity", p).tolist() == [np.inf, np.inf]
    assert m.column("travel_cost", p).tolist() == [0.0, 0.03]


def test_columns_are_read_only_and_scalars_broadcast():
    m = table(3, price=0.1, host_capacity=[1, 2, np.inf])
    assert m.price.tolist() == [0.1, 0.1, 0.1]
    with pytest.raises(ValueError, match="read-only"):
        m.price[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        m.name[0] = "x"


def test_parameters_view_puts_members_on_a_trailing_axis():
    m = table(4, visits=[1e4, 2e4, 3e4, 4e4])
    q = m.parameters(Parameters(subsidy=[0.0, 0.1, 0.2]))
    assert np.shape(q.visits) == (4,) and np.shape(q.subsidy) == (3, 1)
    assert q.price == Parameters().price
    assert m.column("subsidy", Parameters(subsidy=[0.0, 0.1, 0.2])).shape == (3, 4)


def test_selection_replace_and_equality():
    m = table(4, visits=[1e4, 2e4, 3e4, 4e4], group=["a", "a", "b", "b"])
    sub = m[[0, 2]]
    assert sub.name.tolist() == ["m0", "m2"] and sub.visits.tolist() == [1e4, 3e4]
    assert m[m.visits > 2.5e4].name.tolist() == ["m2", "m3"]
    assert m.replace(visits=None).visits is None
    assert m.replace(price=0.2) != m and m.replace(price=0.2).replace(price=None) == m
    with pytest.raises(ValueError, match="holds no member"):
        m[m.visits > 1e9]
    assert "n=4" in repr(m)


@pytest.mark.parametrize(
    ("columns", "error", "match"),
    [
        ({"vists": [1.0]}, TypeError, "no field 'vists'; did you mean 'visits'"),
        ({"visits": ["x"]}, TypeError, "visits must be a real number"),
        ({"visits": [np.nan]}, ValueError, r"visits of member 'm0' \(row 0\) is missing \(NaN\)"),
        (
            {"host_capacity": [-5.0]},
            ValueError,
            r"host_capacity of member 'm0' \(row 0\) must be ≥ 0 \(dd/yr; inf for no limit\)",
        ),
        ({"common_share": [1.5]}, ValueError, r"common_share of member 'm0' \(row 0\) must be in"),
        ({"visits": [1.0, 2.0]}, ValueError, r"visits has shape \(2,\); it needs one value"),
        ({"visits": [[1.0]]}, ValueError, r"visits has shape \(1, 1\)"),
        ({"sinking_scale": [0.0]}, ValueError, "sinking_scale of member 'm0' .* > 0"),
        ({"group": ["a", "b"]}, ValueError, "group has 2 labels"),
    ],
)
def test_bad_columns_name_member_row_and_field(columns, error, match):
    with pytest.raises(error, match=match):
        table(1, **columns)


def test_every_bad_column_is_reported_once_with_a_count():
    with pytest.raises(ValueError) as info:
        table(3, visits=[-1, 2, -3], travel_cost=[0, 0, np.inf], price=[0.1, 0.2])
    message = str(info.value)
    assert "visits of member 'm0' (row 0) must be finite and ≥ 0" in message
    assert "(2 of 3 members bad)" in message
    assert "travel_cost of member 'm2' (row 2)" in message
    assert "price has shape (2,)" in message


@pytest.mark.parametrize(
    ("names", "match"),
    [
        (["A", "B", "A"], "name 'A' appears in rows 0 and 2; names must be unique"),
        (["A", ""], r"name of the member in row 1 is missing"),
        ([], "at least one member"),
        ("AB", "a sequence of labels"),
    ],
)
def test_bad_names(names, match):
    with pytest.raises(ValueError, match=match):
        Members(name=names)


def test_csv_round_trip_with_bom_chinese_names_and_infinite_capacity(tmp_path):
    m = Members(
        name=["县医院分院", "镇A", "村B"],
        group=["", "镇A", "镇A"],
        visits=[3e4, 8e3, 1.2345678901234567e3],
        host_capacity=[200, np.inf, 0],
        price=[-0.01, 0.05, 0.1],
    )
    for encoding in ("utf-8", "utf-8-sig"):
        path = tmp_path / f"m-{encoding}.csv"
        m.to_csv(path, encoding=encoding)
        back = Members.from_csv(path)
        assert back == m
        assert back.visits[2] == m.visits[2]  # floats round-trip exactly


def test_csv_errors_name_the_file_member_and_field(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("name,visits,host_capacity\nA,100,50\nB,,-1\n", encoding="utf-8")
    with pytest.raises(ValueError) as info:
        Members.from_csv(path)
    message = str(info.value)
    assert str(path) in message
    assert "visits of member 'B' (row 1) is missing (NaN)" in message
    assert "host_capacity of member 'B' (row 1) must be ≥ 0" in message
    path.write_text("visits\n100\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no 'name' column"):
        Members.from_csv(path)
    path.write_text("name,vists\nA,100\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown column 'vists'; did you mean 'visits'"):
        Members.from_csv(path)
    path.write_text("name,visits\nA,lots\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"visits of member 'A' \(row 0\) is not a number"):
        Members.from_csv(path)
    path.write_text("name,visits\nA,1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2 has 3 cells and the header 2"):
        Members.from_csv(path)
    path.write_text("name,visits,visits\nA,1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="repeated column"):
        Members.from_csv(path)
    path.write_text("\n", encoding="utf-8")
    with pytest.raises(ValueError, match="empty member table"):
        Members.from_csv(path)


def test_frame_round_trip_and_missing_values():
    m = table(3, visits=[1e4, 2e4, 3e4], travel_cost=[0.0, 0.01, 0.02], group=["a", "b", "b"])
    frame = m.to_frame()
    assert list(frame.columns) == ["name", "group", "visits", "travel_cost"]
    assert Members.from_frame(frame) == m
    frame.loc[1, "visits"] = np.nan
    with pytest.raises(ValueError, match=r"frame: visits of member 'm1' \(row 1\) is missing"):
        Members.from_frame(frame)
    with pytest.raises(ValueError, match=r"name of the member in row 0 is missing"):
        Members.from_frame(pd.DataFrame({"name": [None], "visits": [1.0]}))


def test_member_fields_document_units_and_domains():
    assert set(SHARED) <= set(MEMBER_FIELDS)
    assert MEMBER_FIELDS["travel_cost"].unit == "万元/dd"
    assert MEMBER_FIELDS["host_capacity"].unit == "dd/yr"


# ----- payoffs ------------------------------------------------------------------------------
@given(
    parameters(bundled=True),
    st.floats(0, 2000),
    st.sampled_from([0.0, 1.0, 0.4]),
    st.booleans(),
)
def test_one_member_without_travel_or_capacity_is_the_two_player_model(p, s, e, explicit):
    # MODEL.md §10: with N = 1, t = 0 and no capacity every payoff is §4's.
    columns = {f: [getattr(p, f)] for f in SHARED} if explicit else {}
    m = Members(name=["P"], **columns)
    r = consortium_payoffs(p, m, [s], [e])
    two = payoffs(p, s, e)
    o_l, o_p = objectives(p, s, e)
    scale = 1 + abs(float(two.leader)) + abs(float(two.primary)) + abs(float(two.welfare))
    assert float(r.leader) == pytest.approx(float(two.leader), abs=1e-12 * scale)
    assert float(r.primary[0]) == pytest.approx(float(two.primary), abs=1e-12 * scale)
    assert float(r.welfare) == pytest.approx(float(two.welfare), abs=1e-12 * scale)
    assert float(r.leader_objective) == pytest.approx(float(o_l), abs=1e-12 * scale)
    assert float(r.primary_objective[0]) == pytest.approx(float(o_p), abs=1e-12 * scale)


def test_many_members_share_one_cost_and_pay_travel():
    # Π_L is the sum of the two-player leader payoffs, with C(S) on the total instead of
    # each C(s_j), minus travel; members' payoffs are their own two-player payoffs.
    p = Parameters(price=0.1, subsidy=0.05, profit_share=0.2, flow="saturating")
    visits, t, s, e = [1e5, 3e4, 8e3], [0.0, 0.01, 0.04], np.array([300.0, 120.0, 40.0]), [1, 0, 1]
    m = Members(name=["A", "B", "C"], visits=visits, travel_cost=t)
    r = consortium_payoffs(p, m, s, e)
    singles = [payoffs(p.replace(visits=v), sj, ej) for v, sj, ej in zip(visits, s, e)]
    cost = lambda x: p.cost_linear * x + 0.5 * p.cost_quadratic * x * x  # noqa: E731
    expected = sum(float(x.leader) + cost(sj) for x, sj in zip(singles, s)) - cost(s.sum())
    assert float(r.leader) == pytest.approx(expected - np.dot(t, s), rel=1e-12)
    assert r.primary.tolist() == pytest.approx([float(x.primary) for x in singles], rel=1e-12)
    social = sum(float(x.welfare - x.leader - x.primary) for x in singles)
    assert float(r.welfare) == pytest.approx(float(r.leader + r.primary.sum()) + social)


def test_a_grid_of_subsidies_times_300_members_in_one_call():
    rng = np.random.default_rng(0)
    m = table(300, visits=rng.uniform(1e3, 3e4, 300), travel_cost=rng.uniform(0, 0.05, 300))
    s = rng.uniform(0, 50, 300)
    grid = Parameters(subsidy=np.linspace(0, 0.3, 50), integration=0.3)
    r = consortium_payoffs(grid, m, s)
    assert r.leader.shape == (50,) and r.primary.shape == (50, 300)
    assert r.primary_objective.shape == (50, 300)
    for k in (0, 17, 49):
        point = consortium_payoffs(grid.replace(subsidy=grid.subsidy[k]), m, s)
        assert float(point.leader) == pytest.approx(r.leader[k], rel=1e-12)
        assert point.primary == pytest.approx(r.primary[k], rel=1e-12)
        assert float(point.welfare) == pytest.approx(r.welfare[k], rel=1e-12)
    # Leading sinking axes broadcast too: 7 allocations of the same table at once.
    assert consortium_payoffs(Parameters(), m, np.tile(s, (7, 1))).leader.shape == (7,)


def test_payoff_inputs_are_checked():
    m = table(3)
    with pytest.raises(ValueError, match="s must be finite and ≥ 0"):
        consortium_payoffs(Parameters(), m, [1.0, -1.0, 0.0])
    with pytest.raises(ValueError, match="last .member. axis of length 3 or 1"):
        consortium_payoffs(Parameters(), m, [1.0, 2.0])
    with pytest.raises(ValueError, match="e must be in"):
        consortium_payoffs(Parameters(), m, 1.0, 2.0)


# ----- the illustrative example data (examples/data) ----------------------------------------
DATA = Path(__file__).parents[1] / "examples" / "data"


def test_example_data_load_and_say_they_are_illustrative():
    county = Members.from_csv(DATA / "county.csv")
    assert len(county) == 20 and len(set(county.group.tolist())) == 5
    assert np.ptp(county.visits) > 0 and np.ptp(county.travel_cost) > 0
    assert np.isfinite(county.host_capacity).all()
    luzhou = Members.from_csv(DATA / "luzhou_1_1_n.csv")
    assert luzhou.group.tolist().count("district") == 1 and len(luzhou) == 8
    assert "ILLUSTRATIVE" in (DATA / "README.md").read_text(encoding="utf-8")
    for name in ("county_leader.toml", "luzhou_leader.toml"):
        assert "Illustrative" in (DATA / name).read_text(encoding="utf-8").splitlines()[0]
