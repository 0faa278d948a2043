"""``python -m compensation calibrate``: fit parameters to observed moments in a CSV file."""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..analysis.calibration import calibrate, down_referrals, primary_share, referral_growth
from ..model.parameters import Parameters
from .common import UserError, load_parameters, one_line, read_text

__all__ = ["register"]


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
    text = read_text(path, "data file")
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
    base = load_parameters(args.params)
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
        print(f"warning: {one_line(text)}", file=sys.stderr)
    print(f"success: {fit.success} ({fit.message})")
    for name, value in fit.estimates.items():
        se = fit.standard_errors[name]
        note = "" if fit.identified[name] else "  NOT IDENTIFIED"
        if name in fit.at_bounds:
            note += "  AT BOUND"
        print(f"{name:22} {value:.6g}" + (f"  (s.e. {se:.3g})" if np.isfinite(se) else "") + note)
    for name, r in fit.residuals.items():
        print(f"residual {name:13} {r:+.4g}")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``calibrate`` sub-command to the parser."""
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
