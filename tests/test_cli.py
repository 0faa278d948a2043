import csv
import subprocess
import sys

import pytest

from compensation.cli import main


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "compensation", *args], capture_output=True, text=True
    )


def test_demo_and_help():
    out = run("demo")
    assert out.returncode == 0 and "threshold subsidy: 0.164" in out.stdout
    for sub in ("demo", "solve", "sweep", "calibrate"):
        h = run(sub, "--help")
        assert h.returncode == 0 and "usage:" in h.stdout


def test_solve_sweep_calibrate(tmp_path, capsys):
    params = tmp_path / "p.toml"
    params.write_text(
        'subsidy = 0.2\nflow = "saturating"\nmax_shift = 0.4\nhalf_sinking = 500.0\n',
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

    truth = Parameters(flow="saturating", max_shift=0.3, half_sinking=800)
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
                "half_sinking=50:5000",
                "--previous-sinking",
                "250",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "max_shift              0.3" in text and "half_sinking           800" in text


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
