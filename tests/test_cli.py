import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from compensation.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "compensation", *args], capture_output=True, text=True
    )


def test_demo_and_help():
    out = run("demo")
    assert out.returncode == 0 and "threshold subsidy: 0.164" in out.stdout
    for sub in ("demo", "solve", "sweep", "calibrate", "allocate"):
        h = run(sub, "--help")
        assert h.returncode == 0 and "usage:" in h.stdout


def test_solve_sweep_calibrate(tmp_path, capsys):
    params = tmp_path / "p.toml"
    params.write_text(
        'subsidy = 0.2\nflow = "saturating"\nmax_shift = 0.4\nsinking_scale = 500.0\n',
        encoding="utf-8",
    )
    assert main(["solve", str(params)]) == 0
    assert "optimal subsidy (primary-led)" in capsys.readouterr().out
    out = tmp_path / "out.csv"
    assert (
        main(
            [
                "sweep",
                str(params),
                "--grid",
                "price=0:0.2:5",
                "--grid",
                "subsidy=0:0.4:3",
                "--output",
                "threshold_subsidy",
                "-o",
                str(out),
            ]
        )
        == 0
    )
    rows = list(csv.reader(out.read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["price", "subsidy", "threshold_subsidy"] and len(rows) == 16
    data = tmp_path / "data.csv"
    from compensation import Parameters, down_referrals, referral_growth

    truth = Parameters(flow="saturating", max_shift=0.3, sinking_scale=800)
    data.write_text(
        f"moment,value\ndown_referrals,{down_referrals(truth)}\n"
        f"referral_growth,{referral_growth(250.0)(truth)}\n",
        encoding="utf-8",
    )
    assert (
        main(
            [
                "calibrate",
                str(params),
                str(data),
                "--free",
                "max_shift=0.05:1",
                "--free",
                "sinking_scale=50:5000",
                "--previous-sinking",
                "250",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "max_shift              0.3" in text and "sinking_scale          800" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["solve", "missing.toml"], "parameter file not found: missing.toml"),
        (["sweep", "{p}", "--grid", "price=0:1", "-o", "x.csv"], "--grid must look like"),
        (["sweep", "{p}", "--grid", "prise=0:1:3", "-o", "x.csv"], "did you mean 'price'"),
        (["sweep", "{p}", "--grid", "subsidy=-1:0:3", "-o", "x.csv"], "subsidy must be finite"),
        (["calibrate", "{p}", "nodata.csv", "--free", "max_shift=0:1"], "data file not found"),
    ],
)
def test_user_errors_are_one_line_without_traceback(tmp_path, args, message):
    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    out = run(*[a.replace("{p}", str(p)) for a in args])
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


# ----- regression tests for reported CLI bugs ---------------------------------------------------
ROOT = Path(__file__).parents[1]


def one_error_line(err):
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


def test_readme_command_line_block_runs_as_written(tmp_path):
    # The README's CLI block must work in an empty directory: it creates its own files.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Command line.*?```sh\n(.*?)```", readme, flags=re.S).group(1)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    out = subprocess.run(
        ["bash", "-e", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert "Warning" not in out.stderr and "warning" not in out.stderr
    # The Luzhou answer lies inside the README's bounds and is found.
    assert "success: True" in out.stdout
    assert "max_shift              0.131903" in out.stdout
    assert "sinking_scale          5027.08" in out.stdout
    assert len((tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()) == 41 * 81 + 1


def test_huge_grid_is_refused_with_the_estimate_before_allocating(tmp_path, capsys):
    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    t0 = time.perf_counter()
    code = main(["sweep", str(p), "--grid", "price=0:0.2:1000000000", "-o", str(out)])
    assert code == 2 and time.perf_counter() - t0 < 5
    line = one_error_line(capsys.readouterr().err)
    assert "1,000,000,000 rows" in line and "GiB" in line and "--max-rows" in line
    assert "7.5 GiB of memory" in line
    assert not out.exists()
    code = main(["sweep", str(p), "--grid", "price=0:0.2:10", "--max-rows", "5", "-o", str(out)])
    assert code == 2 and "limit is --max-rows 5" in capsys.readouterr().err


def test_sweep_streams_blocks_into_the_same_csv(tmp_path, monkeypatch):
    import compensation.cli.sweep as cli

    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    whole, blocks = tmp_path / "whole.csv", tmp_path / "blocks.csv"
    args = ["sweep", str(p), "--grid", "price=0:0.2:7", "--grid", "readiness_cost=0:400:5"]
    assert main([*args, "-o", str(whole)]) == 0
    monkeypatch.setattr(cli, "VECTOR_CHUNK", 3)  # many small blocks, same file
    assert main([*args, "-o", str(blocks)]) == 0
    assert whole.read_text(encoding="utf-8") == blocks.read_text(encoding="utf-8")
    assert not list(tmp_path.glob(".*.part"))


def test_malformed_parameter_files_name_file_and_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("subsidy = 0.2\nprice = \n", encoding="utf-8")
    assert main(["solve", str(bad)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(bad) in line and "line 2" in line
    bad = tmp_path / "bad.json"
    bad.write_text('{"subsidy": 0.2,\n "price": }', encoding="utf-8")
    assert main(["solve", str(bad)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(bad) in line and "line 2" in line
    binary = tmp_path / "p.toml"
    binary.write_bytes(b"\xff\xfe\x00price = 1")
    assert main(["solve", str(binary)]) == 2
    assert "is not UTF-8 text" in one_error_line(capsys.readouterr().err)
    arrays = tmp_path / "arrays.toml"
    arrays.write_text("price = [0.0, 0.1]\n", encoding="utf-8")
    assert main(["solve", str(arrays)]) == 2
    assert "price hold arrays; sweep them with --grid" in capsys.readouterr().err


def test_huge_csv_field_is_one_line_not_a_csv_traceback(tmp_path, capsys):
    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_text("moment,value\ndown_referrals," + "9" * 200_000 + "\n", encoding="utf-8")
    assert main(["calibrate", str(p), str(data), "--free", "max_shift=0.05:1"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert f"{data}, line 2: a field is longer than 128 KiB" in line


def luzhou_files(tmp_path, rows, bom=True):
    params = tmp_path / "params.toml"
    params.write_text(
        'flow = "saturating"\nvisits = 2000000\ncommon_share = 0.7\nmax_sinking = 6000\n'
        "sinking_level = 3300\n",
        encoding="utf-8",
    )
    data = tmp_path / "data.csv"
    # Excel's "CSV UTF-8" starts with a byte-order mark and ends lines with CRLF.
    text = "\r\n".join(["moment,value", *rows]) + "\r\n"
    data.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return [str(params), str(data), "--free", "max_shift=0.01:1"]


def test_data_saved_by_excel_reads_and_percent_mistakes_are_flagged(tmp_path, capsys):
    free = ["--free", "sinking_scale=100:50000", "--previous-sinking", "2900"]
    args = luzhou_files(tmp_path, ['down_referrals,"88,880"', "referral_growth,9.8%"])
    assert main(["calibrate", *args, *free]) == 0
    captured = capsys.readouterr()
    assert "success: True" in captured.out and "sinking_scale          5027.08" in captured.out
    assert captured.err == ""
    # 9.8 where 0.098 is meant: warned, and the fit it gives is reported as poor.
    args = luzhou_files(tmp_path, ["down_referrals,88880", "referral_growth,9.8"])
    assert main(["calibrate", *args, *free]) == 0
    captured = capsys.readouterr()
    assert "referral_growth = 9.8 is a growth of 980%; if you meant 9.8%, write 0.098" in (
        captured.err
    )
    assert "success: False (poor fit: referral_growth missed by" in captured.out
    assert "AT BOUND" in captured.out
    assert all(line.startswith("warning: ") for line in captured.err.splitlines())
    args = luzhou_files(tmp_path, ["primary_share,60"])
    assert main(["calibrate", *args]) == 2
    assert "primary_share must be in [0, 1] (a share); got 60; for 60%, write 0.6" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["down_referrals,88880", "down_referrals,1"], "line 3: moment 'down_referrals' appears"),
        (["down_referrals,lots"], "line 2: value of moment 'down_referrals' is not a number"),
        (["down_referrals"], "line 2: expected a moment and a value"),
        (["down_referrals,nan"], "must be a finite number"),
        (["down_referrals,-5"], "down_referrals must be ≥ 0"),
        (["referral_growth,0.1"], "give --previous-sinking for referral_growth"),
    ],
)
def test_data_file_mistakes_are_one_line_naming_the_line(tmp_path, capsys, rows, message):
    assert main(["calibrate", *luzhou_files(tmp_path, rows)]) == 2
    assert message in one_error_line(capsys.readouterr().err)


def test_semicolon_csv_gets_a_hint(tmp_path, capsys):
    args = luzhou_files(tmp_path, [])
    Path(args[1]).write_text("moment;value\ndown_referrals;88880\n", encoding="utf-8")
    assert main(["calibrate", *args]) == 2
    assert "separated by ';'" in one_error_line(capsys.readouterr().err)


def test_new_file_gets_ordinary_permissions_and_old_mode_is_kept(tmp_path):
    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    reference = tmp_path / "plain.txt"
    reference.write_text("x", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["sweep", str(p), "--grid", "price=0:0.2:3", "-o", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777
    out.chmod(0o640)
    assert main(["sweep", str(p), "--grid", "price=0:0.2:3", "-o", str(out)]) == 0
    assert out.stat().st_mode & 0o777 == 0o640


def test_solve_shows_participation_and_never_a_design_below_the_status_quo(tmp_path, capsys):
    # With a saturating flow `solve` used to print an "optimal" design with welfare -2.
    params = tmp_path / "p.toml"
    # Without insurer savings (no reimbursement) the saturating default is still not worth it.
    params.write_text(
        'flow = "saturating"\nleader_reimbursement = 0\nprimary_reimbursement = 0\n',
        encoding="utf-8",
    )
    assert main(["solve", str(params)]) == 0
    out = capsys.readouterr().out
    assert "optimal subsidy (government-led): none" in out
    params.write_text("price = 0.15\n", encoding="utf-8")
    assert main(["solve", str(params)]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if "(government-led)" in x)
    assert "primary care active: yes" in line and "to buy it" in line
    assert "leader" in line and "primary" in line


def test_sweep_writes_parquet_with_the_csvs_values(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    args = ["sweep", str(p), "--grid", "price=0:0.2:7", "--grid", "readiness_cost=0:4:5"]
    assert main([*args, "--output", "threshold_subsidy", "-o", str(tmp_path / "a.csv")]) == 0
    assert main([*args, "--output", "threshold_subsidy", "-o", str(tmp_path / "a.parquet")]) == 0
    assert (
        main([*args, "--format", "parquet", "--chunk-size", "4", "-o", str(tmp_path / "b.dat")])
        == 0
    )
    with open(tmp_path / "a.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    table = pq.read_table(tmp_path / "a.parquet")
    assert table.column_names == rows[0] == ["price", "readiness_cost", "threshold_subsidy"]
    col = [float(r[2]) for r in rows[1:]]
    assert np.asarray(table["threshold_subsidy"]) == pytest.approx(col, rel=1e-9)
    other = pq.read_table(tmp_path / "b.dat")
    assert np.array_equal(other["threshold_subsidy"], table["threshold_subsidy"])
    # Chunks of 4 points split each price's 5 rows into 4 + 1: 14 row groups for 7 prices.
    assert pq.ParquetFile(tmp_path / "b.dat").num_row_groups == 14


def test_sweep_chunk_size_changes_memory_not_the_file(tmp_path, capsys):
    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    args = ["sweep", str(p), "--grid", "price=0:0.2:7", "--grid", "readiness_cost=0:400:5"]
    assert main([*args, "-o", str(tmp_path / "a.csv")]) == 0
    assert main([*args, "--chunk-size", "2", "-o", str(tmp_path / "b.csv")]) == 0
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    capsys.readouterr()
    assert main([*args, "--chunk-size", "0", "-o", str(tmp_path / "c.csv")]) == 2
    assert "--chunk-size must be ≥ 1" in capsys.readouterr().err


def test_sweep_refuses_a_grid_too_large_for_the_disk(tmp_path, monkeypatch, capsys):
    from collections import namedtuple

    from compensation.analysis import files

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(files.shutil, "disk_usage", lambda d: usage(10**9, 0, 10**6))
    p = tmp_path / "p.toml"
    p.write_text("subsidy = 0.2\n", encoding="utf-8")
    out = tmp_path / "big.parquet"
    grid = ["--grid", "price=0:0.2:1000", "--grid", "subsidy=0:0.4:1000"]
    assert main(["sweep", str(p), *grid, "--output", "threshold_subsidy", "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not enough disk space" in err
    assert "the Parquet file would take about 22.9 MiB" in err and "976.6 KiB free" in err
    assert list(tmp_path.iterdir()) == [p]
