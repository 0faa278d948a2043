"""Command line: ``python -m compensation {demo, solve, sweep, calibrate, allocate}``.

Exit status: 0 on success; 2 for a user mistake (missing or malformed file, bad grid spec,
unknown parameter, out-of-range value, a grid too large), reported in one line on standard
error, never a traceback; 1 for an internal error (also one line; ``--traceback`` shows it in
full); 130 when interrupted by Ctrl-C (SIGINT) and 143 when terminated (SIGTERM). ``sweep``
streams its CSV or Parquet file chunk by chunk (``--chunk-size`` points at a time, so memory
stays bounded) to a temporary file beside the target, renamed into place when complete, so an
interrupted run leaves the previous file untouched; a grid too large for the disk is refused
before it starts, with the estimated size.
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ..analysis.calibration import calibrate, down_referrals, primary_share, referral_growth
from ..analysis.files import FORMATS, check_disk, estimate_bytes
from ..analysis.grid import VECTOR_CHUNK, format_size
from ..analysis.stream import stream_sweep
from ..exceptions import InfeasibleError, SweepError
from ..games import sinking_game, sinking_matrices
from ..model.parameters import Parameters
from ..model.payoffs import payoffs
from ..policy.response import best_sinking
from ..policy.stackelberg import optimal_subsidy
from ..policy.thresholds import acceptable_prices, threshold_price, threshold_subsidy
from ..solvers.equilibria import nash_equilibria, solve_2x2
from .allocate import register as register_allocate

__all__ = ["main"]

#: Default ``--max-rows``: about 6 GiB of CSV with two grid columns and four outputs.
MAX_ROWS = 100_000_000
#: Rough bytes of one CSV field: up to 10 significant digits, sign, point, separator.
FIELD_BYTES = 13
EXIT_USER, EXIT_INTERNAL, EXIT_SIGINT, EXIT_SIGTERM = 2, 1, 130, 143


class UserError(Exception):
    """A mistake in the command line or its files, reported in one line."""


class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that clean-up runs (not an Exception)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other mistake; the usage is one --help away.
        self.exit(EXIT_USER, f"error: {message} (see: {self.prog} --help)\n")


# ----- files ---------------------------------------------------------------------------------
def _text(path: str, what: str) -> str:
    file = Path(path)
    if not file.is_file():
        raise UserError(f"{what} not found: {path}")
    try:
        # utf-8-sig: Excel, WPS and Notepad save "UTF-8 with BOM"; the BOM is not data.
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def _load(path: str) -> Parameters:
    text = _text(path, "parameter file")
    fmt = "JSON" if Path(path).suffix.lower() == ".json" else "TOML"
    try:
        p = (
            Parameters.from_json_string(text)
            if fmt == "JSON"
            else Parameters.from_toml_string(text)
        )
    except RecursionError:
        raise UserError(f"{path}: {fmt} nested too deeply") from None
    except (ValueError, TypeError, ArithmeticError) as exc:
        # The parser's message gives the line and column; the file name is ours to add.
        raise UserError(f"{path}: {exc}") from None
    if p.shape != ():
        arrays = [n for n, v in p.to_dict().items() if np.ndim(v)]
        raise UserError(
            f"{path}: the command line needs single numbers, but {', '.join(arrays)} "
            "hold arrays; sweep them with --grid instead"
        )
    return p


# ----- solve -----------------------------------------------------------------------------------
def _summary(p: Parameters) -> str:
    lines = []
    r = payoffs(p, p.sinking_level, 1.0)
    lines.append(
        f"payoffs at s = {p.sinking_level:g} dd/yr, P active (万元/yr): leader "
        f"{float(r.leader):.2f}, primary {float(r.primary):.2f}, "
        f"welfare {float(r.welfare):.2f}"
    )
    eq = nash_equilibria(sinking_game(p))
    rows, cols = ("Sink", "Not"), ("Active", "Passive")
    for x, y in eq.equilibria:
        lines.append(
            "equilibrium: L "
            + ", ".join(f"{rows[i]} {x[i]:.3f}" for i in range(2) if x[i] > 0)
            + " / P "
            + ", ".join(f"{cols[j]} {y[j]:.3f}" for j in range(2) if y[j] > 0)
        )
    if eq.degenerate:
        lines.append("the game is degenerate: equilibria form a continuum between those listed")
    lines.append(f"threshold subsidy: {float(threshold_subsidy(p)):.6g} 万元 per doctor-day")
    iv = acceptable_prices(p)
    lines.append(
        "acceptable internal prices: "
        + ("none" if bool(iv.empty) else f"[{float(iv.low):.6g}, {float(iv.high):.6g}]")
    )
    lines.append(f"best sinking with P active: {float(best_sinking(p)):.6g} dd/yr")
    for alliance in ("government-led", "primary-led"):
        d = optimal_subsidy(p, alliance)
        if not bool(d.intervention):
            lines.append(
                f"optimal subsidy ({alliance}): none - no design with primary care active "
                "beats the status quo (no sinking, primary care passive, welfare 0)"
            )
            continue
        bought = float(d.primary_subsidy) - float(p.primary_subsidy)
        lines.append(
            f"optimal subsidy ({alliance}): g = {float(d.subsidy):.6g}, price "
            f"{float(d.price):.6g}, sinking {float(d.sinking):.6g}, welfare "
            f"{float(d.welfare):.6g}; leader {float(d.leader):.6g}, primary "
            f"{float(d.primary):.6g}, primary care active: {'yes' if d.participation else 'no'}"
            + (f" (lump sum g_P raised by {bought:.6g} to buy it)" if bought > 0 else "")
        )
    return "\n".join(lines)


def _cmd_demo(args: argparse.Namespace) -> None:
    print("compensation demo, default (illustrative) parameters\n")
    print(_summary(Parameters()))


def _cmd_solve(args: argparse.Namespace) -> None:
    print(_summary(_load(args.params)))


# ----- sweep -----------------------------------------------------------------------------------
OUTPUTS: dict[str, Callable[[Parameters], Any]] = {
    "threshold_subsidy": lambda p: threshold_subsidy(p),
    "threshold_price": lambda p: threshold_price(p),
    "best_sinking": lambda p: best_sinking(p),
    "sink_active": lambda p: solve_2x2(*sinking_matrices(p)).pure[..., 0, 0].astype(float),
}


def _grid_spec(spec: str) -> tuple[str, float, float, int]:
    """Parse ``name=lo:hi:n`` without allocating anything."""
    name, sep, rng = spec.partition("=")
    parts = rng.split(":")
    if not sep or not name.strip() or len(parts) != 3:
        raise UserError(f"--grid must look like name=lo:hi:n (e.g. price=0:0.2:41); got {spec!r}")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise UserError(f"--grid {spec!r}: lo and hi must be numbers") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UserError(f"--grid {spec!r}: lo and hi must be finite")
    try:
        n = int(parts[2])
    except ValueError:
        raise UserError(
            f"--grid {spec!r}: the number of points n must be a whole number; got {parts[2]!r}"
        ) from None
    if n < 1:
        raise UserError(f"--grid needs at least 1 point; got {spec!r}")
    return name.strip(), lo, hi, n


def _format(args: Any) -> str:
    """``--format``, or the output's suffix (``.parquet``, ``.pq``), or CSV."""
    if args.format:
        return str(args.format)
    return "parquet" if Path(args.o).suffix.lower() in (".parquet", ".pq") else "csv"


def _check_size(specs: list[tuple[str, float, float, int]], columns: int, args: Any) -> int:
    """Refuse a grid over ``--max-rows`` or too large for the disk, before allocating."""
    rows = math.prod(n for *_, n in specs)
    fmt = _format(args)
    nbytes = estimate_bytes(rows, columns, fmt)
    product = " × ".join(f"{n:,}" for *_, n in specs) + " = " if len(specs) > 1 else ""
    detail = (
        f"{product}{rows:,} rows; the {fmt.upper() if fmt == 'csv' else 'Parquet'} file would "
        f"take about {format_size(nbytes)} (and {format_size(8 * rows)} of memory per column if "
        "held at once)"
    )
    if rows > args.max_rows:
        raise UserError(
            f"the grid is too large: {detail}; the limit is --max-rows {args.max_rows:,}: use "
            "fewer points, or raise --max-rows"
        )
    try:
        check_disk(Path(args.o), nbytes, detail)
    except OSError as exc:
        raise UserError(str(exc)) from None
    return rows


def _cmd_sweep(args: argparse.Namespace) -> None:
    base = _load(args.params)
    specs = [_grid_spec(g) for g in args.grid]
    names = [s[0] for s in specs]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise UserError(f"--grid names {repeated[0]!r} more than once")
    cols = args.output or list(OUTPUTS)
    unknown = [c for c in cols if c not in OUTPUTS]
    if unknown:
        raise UserError(f"unknown --output {unknown[0]!r}; choose from {', '.join(OUTPUTS)}")
    if args.chunk_size is not None and args.chunk_size < 1:
        raise UserError(f"--chunk-size must be ≥ 1 (points); got {args.chunk_size}")
    rows = _check_size(specs, len(specs) + len(cols), args)
    out = Path(args.o)
    if out.is_dir():
        raise UserError(f"output {out} is a directory; give a file name")
    if not out.parent.is_dir():
        raise UserError(f"output directory does not exist: {out.parent}")
    # Chunk by chunk, so memory stays bounded however many rows the file gets.
    result = stream_sweep(
        {c: OUTPUTS[c] for c in cols},
        {name: np.linspace(lo, hi, n) for name, lo, hi, n in specs},
        out,
        base=base,
        format=_format(args),
        chunk_size=args.chunk_size or VECTOR_CHUNK,
        progress=args.progress,
    )
    print(f"wrote {rows} rows × {len(result.columns)} columns to {out}")


# ----- calibrate -------------------------------------------------------------------------------
def _bounds(spec: str) -> tuple[str, tuple[float, float]]:
    name, sep, rng = spec.partition("=")
    parts = rng.split(":")
    try:
        if not sep or not name.strip() or len(parts) != 2:
            raise ValueError
        return name.strip(), (float(parts[0]), float(parts[1]))
    except ValueError:
        msg = f"--free must look like name=lo:hi (e.g. max_shift=0.05:1); got {spec!r}"
        raise UserError(msg) from None


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")


def _number(text: str) -> tuple[float, bool] | None:
    """Parse a value as spreadsheets save it: ``9.8%`` and ``88,880`` included.

    Returns the number and whether it was written as a percentage, or None.
    """
    t = text.strip()
    percent = t.endswith("%")
    if percent:
        t = t[:-1].strip()
    if _THOUSANDS.fullmatch(t):
        t = t.replace(",", "")
    try:
        value = float(t)
    except ValueError:
        return None
    return (value / 100 if percent else value), percent


def _read_data(path: str) -> list[tuple[int, str, str]]:
    """(line, moment, value text) for each row of a ``moment,value`` CSV file."""
    text = _text(path, "data file")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [(reader.line_num, row) for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        problem = (
            "a field is longer than 128 KiB; is this the data file?"
            if "field limit" in str(exc)
            else str(exc)
        )
        raise UserError(f"{path}, line {reader.line_num}: {problem}") from None
    if not rows:
        raise UserError(f"{path} is empty; it needs a header moment,value and one row per moment")
    header = [c.strip().lower() for c in rows[0][1]]
    if "moment" not in header or "value" not in header:
        hint = ""
        if len(header) == 1 and ";" in header[0]:
            hint = " (it seems separated by ';': save it as comma-separated CSV)"
        found = ", ".join(repr(c) for c in rows[0][1])[:200]
        raise UserError(
            f"{path} must have columns 'moment' and 'value'; its header is {found}{hint}"
        )
    im, iv = header.index("moment"), header.index("value")
    out = []
    for line, row in rows[1:]:
        if len(row) <= max(im, iv):
            raise UserError(f"{path}, line {line}: expected a moment and a value; got {row!r}")
        out.append((line, row[im].strip(), row[iv].strip()))
    return out


def _check_value(name: str, value: float, percent: bool, where: str) -> str | None:
    """Raise for an impossible value; return a warning for a suspicious one."""
    if not math.isfinite(value):
        raise UserError(f"{where}: value of {name} must be a finite number; got {value!r}")
    if name == "down_referrals" and value < 0:
        raise UserError(f"{where}: down_referrals must be ≥ 0 (visits/yr); got {value:g}")
    if name == "primary_share" and not 0 <= value <= 1:
        hint = f"; for {value:g}%, write {value / 100:g}" if 1 < value <= 100 else ""
        raise UserError(f"{where}: primary_share must be in [0, 1] (a share); got {value:g}{hint}")
    if name == "referral_growth":
        if value <= -1:
            raise UserError(f"{where}: referral_growth must be > -1 (a growth rate); got {value:g}")
        if value > 1 and not percent:
            return (
                f"{where}: referral_growth = {value:g} is a growth of {value:.0%}; if you meant "
                f"{value:g}%, write {value / 100:g} (or {value:g}%)"
            )
    return None


def _cmd_calibrate(args: argparse.Namespace) -> None:
    base = _load(args.params)
    available: dict[str, Callable[[Parameters], Any]] = {
        "down_referrals": down_referrals,
        "primary_share": primary_share,
    }
    if args.previous_sinking is not None:
        available["referral_growth"] = referral_growth(args.previous_sinking)
    moments, data = {}, {}
    notes = []
    for line, name, raw in _read_data(args.data):
        where = f"{args.data}, line {line}"
        if name not in available:
            hint = (
                " (give --previous-sinking for referral_growth)"
                if name == "referral_growth"
                else ""
            )
            raise UserError(
                f"{where}: unknown moment {name!r}{hint}; available: {', '.join(available)}"
            )
        if name in moments:
            raise UserError(f"{where}: moment {name!r} appears twice")
        parsed = _number(raw)
        if parsed is None:
            raise UserError(f"{where}: value of moment {name!r} is not a number: {raw[:60]!r}")
        note = _check_value(name, *parsed, where)
        if note:
            notes.append(note)
        moments[name] = available[name]
        data[name] = parsed[0]
    if not moments:
        raise UserError(f"{args.data} has a header but no moments")
    free = dict(_bounds(f) for f in args.free)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = calibrate(base, moments, data, free)
    for text in notes + [str(w.message) for w in caught]:
        print(f"warning: {_one_line(text)}", file=sys.stderr)
    print(f"success: {fit.success} ({fit.message})")
    for name, value in fit.estimates.items():
        se = fit.standard_errors[name]
        note = "" if fit.identified[name] else "  NOT IDENTIFIED"
        if name in fit.at_bounds:
            note += "  AT BOUND"
        print(f"{name:22} {value:.6g}" + (f"  (s.e. {se:.3g})" if np.isfinite(se) else "") + note)
    for name, r in fit.residuals.items():
        print(f"residual {name:13} {r:+.4g}")


# ----- parser and main ------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs)."""
    parser = _Parser(
        prog="python -m compensation",
        description="Compensation design inside medical consortia: solve, sweep, calibrate.",
        epilog="exit status: 0 done, 2 a mistake in the arguments or files, 1 an internal "
        "error, 130 interrupted (Ctrl-C), 143 terminated (SIGTERM)",
    )
    parser.add_argument(
        "--traceback", action="store_true", help="show the full traceback of an internal error"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="solve the default (illustrative) model and print it")
    p.set_defaults(run=_cmd_demo)
    p = sub.add_parser("solve", help="solve the model for a TOML or JSON parameter file")
    p.add_argument("params", help="parameter file (.toml or .json)")
    p.set_defaults(run=_cmd_solve)
    p = sub.add_parser(
        "sweep", help="evaluate outputs over a parameter grid, streamed to CSV or Parquet"
    )
    p.add_argument("params", help="parameter file with the values not swept")
    p.add_argument(
        "--grid",
        action="append",
        required=True,
        metavar="NAME=LO:HI:N",
        help="a swept parameter; repeat for a Cartesian product",
    )
    p.add_argument(
        "--output",
        action="append",
        metavar="NAME",
        help=f"an output column (default all): {', '.join(OUTPUTS)}",
    )
    p.add_argument(
        "-o",
        required=True,
        metavar="OUT.csv",
        help="CSV or Parquet file to write (replaced only when the sweep completes)",
    )
    p.add_argument(
        "--format",
        choices=FORMATS,
        help="file format (default: parquet for a .parquet or .pq name, else csv); parquet "
        "needs pyarrow",
    )
    p.add_argument(
        "--chunk-size",
        type=int,
        metavar="N",
        help=f"grid points evaluated and held at once, the memory bound (default {VECTOR_CHUNK:,}"
        ", a few hundred MiB)",
    )
    p.add_argument(
        "--max-rows",
        type=int,
        default=MAX_ROWS,
        metavar="N",
        help=f"refuse grids of more rows than this (default {MAX_ROWS:,})",
    )
    p.add_argument("--progress", action="store_true", help="show a progress bar (tqdm)")
    p.set_defaults(run=_cmd_sweep)
    p = sub.add_parser("calibrate", help="fit parameters to observed moments in a CSV file")
    p.add_argument("params", help="parameter file with starting and fixed values")
    p.add_argument("data", help="CSV with columns moment,value (UTF-8, with or without BOM)")
    p.add_argument(
        "--free",
        action="append",
        required=True,
        metavar="NAME=LO:HI",
        help="a parameter to fit with its bounds; repeat for several",
    )
    p.add_argument(
        "--previous-sinking",
        type=float,
        metavar="DD",
        help="last year's sinking, enabling the referral_growth moment",
    )
    p.set_defaults(run=_cmd_calibrate)
    register_allocate(sub)
    return parser


def _one_line(exc: BaseException | str) -> str:
    return re.sub(r"\s*\n\s*", " ", str(exc)).strip()


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into an exception while the command runs, so that clean-up happens."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return

    def handler(signum: int, frame: Any) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


USER_ERRORS = (
    UserError,
    ValueError,
    TypeError,
    ArithmeticError,
    InfeasibleError,
    OSError,
    ImportError,
    MemoryError,
    RecursionError,
    SweepError,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see the module docstring)."""
    args = build_parser().parse_args(argv)
    try:
        with _sigterm_raises():
            args.run(args)
    except KeyboardInterrupt:
        print("interrupted (Ctrl-C): stopped, no output file changed", file=sys.stderr)
        return EXIT_SIGINT
    except _Terminated:
        print("terminated (SIGTERM): stopped, no output file changed", file=sys.stderr)
        return EXIT_SIGTERM
    except USER_ERRORS as exc:
        if isinstance(exc, MemoryError):
            exc = MemoryError(f"out of memory ({exc or 'no detail'}); use fewer points")
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_USER
    except Exception as exc:
        if args.traceback:
            raise
        print(
            f"internal error: {type(exc).__name__}: {_one_line(exc)} (please report it; "
            "--traceback shows where)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return 0
