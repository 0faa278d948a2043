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
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

from ..exceptions import InfeasibleError, SweepError
from ..games import sinking_game
from ..model.parameters import Parameters
from ..model.payoffs import payoffs
from ..policy.response import best_sinking
from ..policy.stackelberg import optimal_subsidy
from ..policy.thresholds import acceptable_prices, threshold_subsidy
from ..solvers.equilibria import nash_equilibria
from .allocate import register as register_allocate
from .calibrate import register as register_calibrate
from .common import UserError, load_parameters, one_line
from .sweep import register as register_sweep

__all__ = ["main"]

EXIT_USER, EXIT_INTERNAL, EXIT_SIGINT, EXIT_SIGTERM = 2, 1, 130, 143


class _Terminated(BaseException):
    """SIGTERM, raised like KeyboardInterrupt so that clean-up runs (not an Exception)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, like every other mistake; the usage is one --help away.
        self.exit(EXIT_USER, f"error: {message} (see: {self.prog} --help)\n")


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
    print(_summary(load_parameters(args.params)))


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
    register_sweep(sub)
    register_calibrate(sub)
    register_allocate(sub)
    return parser


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
        print(f"error: {one_line(exc)}", file=sys.stderr)
        return EXIT_USER
    except Exception as exc:
        if args.traceback:
            raise
        print(
            f"internal error: {type(exc).__name__}: {one_line(exc)} (please report it; "
            "--traceback shows where)",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    return 0
