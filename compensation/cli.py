"""Command line: ``python -m compensation {demo, solve, sweep, calibrate}``.

User mistakes (missing file, bad grid spec, unknown parameter, out-of-range value) end with one
line on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .calibration import calibrate, down_referrals, primary_share, referral_growth
from .equilibria import nash_equilibria, solve_2x2
from .exceptions import InfeasibleError
from .games import sinking_game, sinking_matrices
from .parameters import Parameters
from .payoffs import payoffs
from .response import best_sinking
from .stackelberg import optimal_subsidy
from .sweep import sweep
from .thresholds import acceptable_prices, threshold_price, threshold_subsidy

__all__ = ["main"]


class UserError(Exception):
    """A mistake in the command line or its files, reported in one line."""


def _load(path: str) -> Parameters:
    file = Path(path)
    if not file.is_file():
        raise UserError(f"parameter file not found: {path}")
    if file.suffix.lower() == ".json":
        return Parameters.from_json(file)
    return Parameters.from_toml(file)


def _range(spec: str, option: str) -> tuple[str, np.ndarray]:
    """Parse ``name=lo:hi:n`` (grid) into a name and values."""
    try:
        name, rng = spec.split("=", 1)
        lo, hi, n = rng.split(":")
        values = np.linspace(float(lo), float(hi), int(n))
    except ValueError:
        msg = f"{option} must look like name=lo:hi:n (e.g. price=0:0.2:41); got {spec!r}"
        raise UserError(msg) from None
    if int(n) < 1:
        raise UserError(f"{option} needs at least 1 point; got {spec!r}")
    return name.strip(), values


def _bounds(spec: str) -> tuple[str, tuple[float, float]]:
    try:
        name, rng = spec.split("=", 1)
        lo, hi = rng.split(":")
        return name.strip(), (float(lo), float(hi))
    except ValueError:
        msg = f"--free must look like name=lo:hi (e.g. max_shift=0.05:1); got {spec!r}"
        raise UserError(msg) from None


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
        lines.append(
            f"optimal subsidy ({alliance}): g = {float(d.subsidy):.6g}, price "
            f"{float(d.price):.6g}, sinking {float(d.sinking):.6g}, welfare "
            f"{float(d.welfare):.6g}"
        )
    return "\n".join(lines)


def _cmd_demo(args: argparse.Namespace) -> None:
    print("compensation demo, default (illustrative) parameters\n")
    print(_summary(Parameters()))


def _cmd_solve(args: argparse.Namespace) -> None:
    print(_summary(_load(args.params)))


OUTPUTS = {
    "threshold_subsidy": lambda p: threshold_subsidy(p),
    "threshold_price": lambda p: threshold_price(p),
    "best_sinking": lambda p: best_sinking(p),
    "sink_active": lambda p: solve_2x2(*sinking_matrices(p)).pure[..., 0, 0].astype(float),
}


def _cmd_sweep(args: argparse.Namespace) -> None:
    base = _load(args.params)
    grid = dict(_range(g, "--grid") for g in args.grid)
    cols = args.output or list(OUTPUTS)
    unknown = [c for c in cols if c not in OUTPUTS]
    if unknown:
        raise UserError(f"unknown --output {unknown[0]!r}; choose from {', '.join(OUTPUTS)}")
    results = {c: sweep(OUTPUTS[c], grid, base=base, progress=args.progress).values for c in cols}
    mesh = np.meshgrid(*grid.values(), indexing="ij")
    out = Path(args.o)
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([*grid, *cols])
        for k in range(mesh[0].size):
            writer.writerow(
                [f"{m.ravel()[k]:.10g}" for m in mesh]
                + [f"{results[c].ravel()[k]:.10g}" for c in cols]
            )
    print(f"wrote {mesh[0].size} rows × {len(grid) + len(cols)} columns to {out}")


def _cmd_calibrate(args: argparse.Namespace) -> None:
    base = _load(args.params)
    file = Path(args.data)
    if not file.is_file():
        raise UserError(f"data file not found: {args.data}")
    with file.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows or not {"moment", "value"} <= set(rows[0]):
        raise UserError(f"{args.data} must have columns 'moment' and 'value'")
    available: dict[str, Callable[[Parameters], Any]] = {
        "down_referrals": down_referrals,
        "primary_share": primary_share,
    }
    if args.previous_sinking is not None:
        available["referral_growth"] = referral_growth(args.previous_sinking)
    moments, data = {}, {}
    for row in rows:
        name = row["moment"].strip()
        if name not in available:
            hint = (
                " (give --previous-sinking for referral_growth)"
                if name == "referral_growth"
                else ""
            )
            raise UserError(f"unknown moment {name!r}{hint}; available: {', '.join(available)}")
        moments[name] = available[name]
        try:
            data[name] = float(row["value"])
        except ValueError:
            msg = f"value of moment {name!r} is not a number: {row['value']!r}"
            raise UserError(msg) from None
    free = dict(_bounds(f) for f in args.free)
    fit = calibrate(base, moments, data, free)
    print(f"success: {fit.success} ({fit.message})")
    for name, value in fit.estimates.items():
        se = fit.standard_errors[name]
        note = "" if fit.identified[name] else "  NOT IDENTIFIED"
        print(f"{name:22} {value:.6g}" + (f"  (s.e. {se:.3g})" if np.isfinite(se) else "") + note)
    for name, r in fit.residuals.items():
        print(f"residual {name:13} {r:+.4g}")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs)."""
    parser = argparse.ArgumentParser(
        prog="python -m compensation",
        description="Compensation design inside medical consortia: solve, sweep, calibrate.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("demo", help="solve the default (illustrative) model and print it")
    p.set_defaults(run=_cmd_demo)
    p = sub.add_parser("solve", help="solve the model for a TOML or JSON parameter file")
    p.add_argument("params", help="parameter file (.toml or .json)")
    p.set_defaults(run=_cmd_solve)
    p = sub.add_parser("sweep", help="evaluate outputs over a parameter grid, write CSV")
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
    p.add_argument("-o", required=True, metavar="OUT.csv", help="CSV file to write")
    p.add_argument("--progress", action="store_true", help="show a progress bar (tqdm)")
    p.set_defaults(run=_cmd_sweep)
    p = sub.add_parser("calibrate", help="fit parameters to observed moments in a CSV file")
    p.add_argument("params", help="parameter file with starting and fixed values")
    p.add_argument("data", help="CSV with columns moment,value")
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except (UserError, ValueError, TypeError, InfeasibleError, OSError, ImportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0
