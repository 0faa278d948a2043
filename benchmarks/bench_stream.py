"""Peak memory of a streamed CLI sweep against holding the grid: 10**8 points under 1 GiB.

Runs ``python -m compensation sweep`` in a child process and reads its peak resident memory
(``ru_maxrss`` from ``os.wait4``), against the obvious alternative: ``sweep()`` holding the
whole grid in memory, then writing it with pyarrow. Also times global sensitivity: Sobol
indices from 10**5 model runs in one vectorised call, against a Python loop over points.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
args = parser.parse_args()
side = 316 if args.quick else 10_000  # 10**5 or 10**8 points in the streamed sweep
side_held = 316 if args.quick else 3_162  # 10**5 or 10**7 points held in memory
CHILD_HELD = """
import sys, numpy as np, pyarrow as pa, pyarrow.parquet as pq
from compensation import sweep, threshold_subsidy
n = int(sys.argv[1])
r = sweep(threshold_subsidy, {"price": np.linspace(0, 0.2, n), "subsidy": np.linspace(0, 0.4, n)})
mesh = np.meshgrid(*r.axes.values(), indexing="ij")
table = pa.table({"price": mesh[0].ravel(), "subsidy": mesh[1].ravel(),
                  "threshold_subsidy": r.values.ravel()})
pq.write_table(table, sys.argv[2])
"""


def peak_of(cmd):
    """Wall time and peak resident memory (bytes) of a child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, proc.stderr.read().decode()
    return time.perf_counter() - t0, usage.ru_maxrss * 1024  # Linux reports KiB


with tempfile.TemporaryDirectory() as tmp:
    params = Path(tmp) / "p.toml"
    params.write_text("readiness_cost = 1.0\n", encoding="utf-8")
    out = Path(tmp) / "big.parquet"
    grid = ["--grid", f"price=0:0.2:{side}", "--grid", f"subsidy=0:0.4:{side}"]
    cli = [sys.executable, "-m", "compensation", "sweep", str(params), *grid]
    t_stream, peak_stream = peak_of([*cli, "--output", "threshold_subsidy", "-o", str(out)])
    size = out.stat().st_size
    out.unlink()
    if side == side_held:
        t_small, peak_small = t_stream, peak_stream
    else:
        small = ["--grid", f"price=0:0.2:{side_held}", "--grid", f"subsidy=0:0.4:{side_held}"]
        t_small, peak_small = peak_of(
            [*cli[:-4], *small, "--output", "threshold_subsidy", "-o", str(out)]
        )
        out.unlink()
    t_held, peak_held = peak_of([sys.executable, "-c", CHILD_HELD, str(side_held), str(out)])

mib = 2**20
print(
    f"CLI sweep streamed to Parquet, {side**2:,} points: {t_stream:.1f} s, "
    f"peak memory {peak_stream / mib:,.0f} MiB, file {size / mib:,.0f} MiB"
)
print(
    f"CLI sweep streamed, {side_held**2:,} points: {t_small:.1f} s, "
    f"peak {peak_small / mib:,.0f} MiB"
)
print(
    f"sweep() held in memory then written, {side_held**2:,} points: {t_held:.1f} s, "
    f"peak {peak_held / mib:,.0f} MiB"
)
print(
    f"ratio (held / streamed peak memory at {side_held**2:,} points): {peak_held / peak_small:.1f}x"
)

# Global sensitivity: one vectorised call against a loop over the design's points.
try:
    from compensation.analysis.global_sensitivity import sobol_indices
    from compensation.model.parameters import Parameters
    from compensation.policy.thresholds import threshold_subsidy
except ImportError:  # pragma: no cover
    sys.exit(0)
ranges = {
    "price": (0.0, 0.04),
    "brand_benefit": (0.0, 0.02),
    "cost_quadratic": (1e-4, 3e-4),
    "social_benefit": (0.1, 0.3),
}
n = 2**9 if args.quick else 2**14
t0 = time.perf_counter()
s = sobol_indices(threshold_subsidy, ranges, n=n)
t_sobol = time.perf_counter() - t0
n_loop = 200
t0 = time.perf_counter()
for k in range(n_loop):
    float(threshold_subsidy(Parameters(price=0.02 + 1e-5 * k, cost_quadratic=2e-4)))
t_loop = (time.perf_counter() - t0) / n_loop * s.runs
print(
    f"Sobol indices, {s.runs:,} model runs: {t_sobol:.2f} s; a Python loop over the runs, "
    f"extrapolated: {t_loop:.1f} s; ratio {t_loop / t_sobol:,.0f}x"
)
if not args.quick:
    assert peak_stream < 2**30, "target: a 10**8-point CLI sweep under 1 GiB"
