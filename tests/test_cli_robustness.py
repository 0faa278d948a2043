"""The command line under interruption and under arbitrary input (issues: truncated CSV after
Ctrl-C, tracebacks for user mistakes)."""

import contextlib
import io
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from compensation.cli import main

OLD = "price,threshold_subsidy\n0,0.214\n"


@pytest.mark.parametrize(
    ("signum", "status", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_interrupted_sweep_keeps_the_previous_file(tmp_path, signum, status, word):
    params = tmp_path / "p.toml"
    params.write_text("subsidy = 0.2\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    out.write_text(OLD, encoding="utf-8")
    # Two million rows: seconds of work, so the signal lands mid-sweep.
    args = ["--grid", "price=0:0.2:2000", "--grid", "subsidy=0:1:1000", "-o", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "compensation", "sweep", str(params), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell that ignores SIGINT (nohup, some CI runners) would pass that on.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.csv.*.part")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the sweep never started writing"
            time.sleep(0.01)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == status, stderr
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1 and word in stderr
    assert out.read_text(encoding="utf-8") == OLD
    assert not list(tmp_path.glob(".*.part"))
    assert stdout == ""


# ----- fuzzing the arguments ------------------------------------------------------------------
NAMES = ["price", "subsidy", "readiness_cost", "max_shift", "sinking_scale", "sinking_level",
         "max_sinking", "prise", "flow", "", " price"]  # fmt: skip
number = st.one_of(
    st.floats(-1, 1).map(lambda x: f"{x:.3g}"),
    st.integers(0, 6000).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**40), 10**40).map(str),
    st.sampled_from(["", "x", "1e400", "-0", "0x10", "1_0", " 3 ", "9.8%"]),
)
count = st.one_of(
    st.integers(1, 25).map(str),
    st.integers(-3, 25).map(str),
    st.integers(10**8, 10**40).map(str),
    st.sampled_from(["", "1e3", "2.5", "ten", "-1"]),
)
PARAMS = [
    b"subsidy = 0.2\n",
    b'flow = "saturating"\nmax_shift = 0.4\nsinking_scale = 500.0\n',
    b"\xef\xbb\xbfsubsidy = 0.2\n",
    b"subsidy = \n",
    b"subsidy = -1\n",
    b"[parameters]\nprice = 0.07\n",
    b"price = [0.0, 0.1]\n",
    b"price = 1e999\n",
    b"price = 100000000000000000000000000000000000000000\n",
    b"flow = 3\n",
    b'flow = "logit"\n[extra]\nx = 1\n',
    b'{"subsidy": 0.2}',
    b"a = " + b"[" * 2000 + b"]" * 2000 + b"\n",
    b"\x00\xff\xfe",
]
DATA = [
    b"moment,value\ndown_referrals,8400\n",
    b"moment,value\ndown_referrals,8400\nreferral_growth,0.2\n",
    b"\xef\xbb\xbfmoment,value\r\nprimary_share,60%\r\n",
    b"moment,value\nreferral_growth,9.8\n",
    b"moment,value\n",
    b"moment;value\ndown_referrals;1\n",
    b'moment,value\ndown_referrals,"1\n',
    b"moment,value\ndown_referrals," + b"9" * 140_000 + b"\n",
    b"moment,value\nprimary_share,nan\n",
    b"\x00\x01\x02",
]
file_bytes = st.one_of(
    st.sampled_from(PARAMS[:3]),
    st.sampled_from(PARAMS),
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
)
data_bytes = st.one_of(
    st.sampled_from(DATA[:3]),
    st.sampled_from(DATA),
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
)


SANE_NAMES = ["price", "subsidy", "readiness_cost", "max_shift", "sinking_scale",
              "sinking_level", "max_sinking", "brand_benefit", "common_share"]  # fmt: skip
sane_number = st.one_of(
    st.floats(-0.5, 1.5).map(lambda x: f"{x:.3g}"), st.integers(0, 6000).map(str)
)
STRATEGIES = {
    False: (NAMES, number, count, file_bytes, data_bytes),
    True: (SANE_NAMES, sane_number, st.integers(1, 20).map(str), st.sampled_from(PARAMS[:3]),
           st.sampled_from(DATA[:4])),
}  # fmt: skip


@st.composite
def command_lines(draw):
    """(argv, parameter file bytes, data file bytes); half the time plausible throughout."""
    kind = draw(st.sampled_from(["sweep", "calibrate", "solve", "raw"]))
    if kind == "raw":
        return kind, draw(st.lists(st.text(max_size=12), max_size=5)), None, None
    sane = draw(st.booleans())
    names, numbers, counts, files, datas = STRATEGIES[sane]
    names_file = ["p.toml"] if sane else ["p.toml", "p.json", "missing.toml"]
    params_name = draw(st.sampled_from(names_file))
    params = draw(files)
    if kind == "solve":
        return kind, ["solve", "{dir}/" + params_name], params, None
    if kind == "sweep":
        argv = ["sweep", "{dir}/" + params_name]
        specs = st.builds("{}={}:{}:{}".format, st.sampled_from(names), numbers, numbers, counts)
        for spec in draw(st.lists(st.one_of(specs, st.text(max_size=15)), min_size=1, max_size=3)):
            argv += ["--grid", spec]
        outputs = st.sampled_from(["threshold_subsidy", "sink_active", "best_sinking", "nope"])
        for output in draw(st.lists(outputs, max_size=2)):
            argv += ["--output", output]
        argv += ["-o", draw(st.sampled_from(["{dir}/out.csv", "{dir}", "{dir}/no/out.csv"]))]
        if draw(st.booleans()):
            argv += ["--max-rows", draw(counts)]
        return kind, argv, params, None
    argv = ["calibrate", "{dir}/" + params_name, "{dir}/data.csv"]
    bounds = st.builds("{}={}:{}".format, st.sampled_from(names), numbers, numbers)
    if sane:  # ordered, mostly valid bounds, so that fits run
        pair = st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted)
        bounds = st.builds(
            lambda n, ab: f"{n}={ab[0]:.3g}:{ab[1]:.3g}", st.sampled_from(names), pair
        )
    for spec in draw(st.lists(st.one_of(bounds, st.text(max_size=15)), min_size=1, max_size=2)):
        argv += ["--free", spec]
    if draw(st.booleans()):
        argv += ["--previous-sinking", draw(numbers)]
    return kind, argv, params, draw(datas)


@given(command_lines())
def test_any_command_line_ends_cleanly(case):
    kind, argv, params, data = case
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("p.toml", "p.json"):
            if params is not None:
                Path(tmp, name).write_bytes(params)
        if data is not None:
            Path(tmp, "data.csv").write_bytes(data)
        argv = [a.replace("{dir}", tmp) for a in argv]
        out, err = io.StringIO(), io.StringIO()
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: --help (0) or a usage mistake (2)
                code = exc.code
        elapsed = time.perf_counter() - t0
    event(f"{kind} exit {code}")
    assert code in (0, 2), (argv, err.getvalue())
    assert elapsed < 30, argv
    stderr = err.getvalue()
    assert "Traceback" not in stderr
    for line in stderr.splitlines():
        assert line.startswith(("error: ", "warning: ")), (argv, stderr)
    assert stderr.count("error: ") == (code == 2), (argv, stderr)
