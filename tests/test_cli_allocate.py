"""``python -m compensation allocate leader.toml members.csv [-o out.csv]`` (issue 8)."""

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from compensation.cli import main
from compensation.model.leader_file import read_leader
from compensation.model.members import Members
from compensation.policy.allocation import allocate_sinking
from compensation.policy.participation import participation_equilibrium

DATA = Path(__file__).parents[1] / "examples" / "data"
LEADER, COUNTY = DATA / "county_leader.toml", DATA / "county.csv"


def table(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_allocation_table_is_the_library_allocation(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["allocate", str(LEADER), str(COUNTY), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    p, cap = read_leader(LEADER)
    expected = allocate_sinking(p, Members.from_csv(COUNTY), leader_capacity=cap)
    rows = table(out)
    assert [r["name"] for r in rows] == Members.from_csv(COUNTY).name.tolist()
    assert [float(r["sinking"]) for r in rows] == expected.sinking.tolist()
    assert sum(float(r["sinking"]) for r in rows) == pytest.approx(cap)
    assert {r["group"] for r in rows} == {"centre", "north", "east", "south", "west"}
    assert f"duality gap {expected.duality_gap:.1e}" in printed
    assert "wrote 20 rows" in printed


def test_capacity_option_and_equilibrium(tmp_path, capsys):
    out = tmp_path / "eq.csv"
    args = ["allocate", str(LEADER), str(COUNTY), "--leader-capacity", "800", "--equilibrium"]
    assert main([*args, "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    p, _ = read_leader(LEADER)
    eq = participation_equilibrium(p, Members.from_csv(COUNTY), leader_capacity=800)
    assert eq.message in printed
    rows = table(out)
    assert [int(r["active"]) for r in rows] == eq.active.astype(int).tolist()
    assert sum(float(r["sinking"]) for r in rows) <= 800 + 1e-9


def test_capacity_inside_a_parameters_table(tmp_path, capsys):
    leader = tmp_path / "l.toml"
    leader.write_text("[parameters]\nsubsidy = 0.3\nleader_capacity = 100.0\n", encoding="utf-8")
    assert main(["allocate", str(leader), str(COUNTY)]) == 0
    assert "total 100.0 dd/yr of 100" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("leader", "members", "message"),
    [
        ("subsidy = 0.1\n", "name,visits\nA,1000\nA,2000\n", "name 'A' appears in rows 0 and 1"),
        (
            "subsidy = 0.1\n",
            "name,host_capacity\nA,100\nB,-5\n",
            "host_capacity of member 'B' (row 1) must be ≥ 0",
        ),
        ("subsidy = 0.1\n", "name,visits\nA,\n", "visits of member 'A' (row 0) is missing"),
        ("subsidy = 0.1\n", "name,vists\nA,1\n", "unknown column 'vists'"),
        ("leader_capacity = -1.0\n", "name\nA\n", "leader_capacity must be ≥ 0"),
        ("subsidy = -0.1\n", "name\nA\n", "subsidy"),
        ("subsidy = 0.1\n[parameters]\nprice = 0.1\n", "name\nA\n", "[parameters] table"),
    ],
)
def test_mistakes_are_one_line_with_status_2(tmp_path, capsys, leader, members, message):
    (tmp_path / "l.toml").write_text(leader, encoding="utf-8")
    (tmp_path / "m.csv").write_text(members, encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text("previous", encoding="utf-8")
    code = main(["allocate", str(tmp_path / "l.toml"), str(tmp_path / "m.csv"), "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1
    assert out.read_text(encoding="utf-8") == "previous"  # untouched


def test_missing_files_and_bad_output(tmp_path, capsys):
    assert main(["allocate", str(tmp_path / "no.toml"), str(COUNTY)]) == 2
    assert "leader file not found" in capsys.readouterr().err
    assert main(["allocate", str(LEADER), str(tmp_path / "no.csv")]) == 2
    assert "member table not found" in capsys.readouterr().err
    assert main(["allocate", str(LEADER), str(COUNTY), "-o", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert not list(tmp_path.glob(".*.part"))


def test_help_and_module_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "compensation", "allocate", "--help"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0 and "leader_capacity" in out.stdout
    assert np.isfinite(read_leader(LEADER)[1])
