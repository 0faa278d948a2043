"""``python -m compensation sweep``: outputs over a parameter grid, streamed to CSV or Parquet."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..analysis.files import FORMATS, check_disk, estimate_bytes
from ..analysis.grid import VECTOR_CHUNK, format_size
from ..analysis.stream import stream_sweep
from ..games import sinking_matrices
from ..model.parameters import Parameters
from ..policy.response import best_sinking
from ..policy.thresholds import threshold_price, threshold_subsidy
from ..solvers.equilibria import solve_2x2
from .common import UserError, load_parameters

__all__ = ["MAX_ROWS", "OUTPUTS", "register"]

#: Default ``--max-rows``: about 6 GiB of CSV with two grid columns and four outputs.
MAX_ROWS = 100_000_000

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
    base = load_parameters(args.params)
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


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``sweep`` sub-command to the parser."""
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
