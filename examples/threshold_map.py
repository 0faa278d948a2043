"""Equilibrium regions of the sinking game on an internal-price × subsidy grid.

Run:  python examples/threshold_map.py [output.png]
Saves a PNG when matplotlib is installed (pip install "compensation[plot]"), and always prints a
text map. The whole 161 × 161 grid is solved in one vectorised call, no loop over games.
"""

import sys

import numpy as np

from compensation import (
    Parameters,
    sinking_matrices,
    solve_2x2,
    threshold_subsidy,
)

prices = np.linspace(-0.1, 0.3, 161)  # 万元 per doctor-day, negative: L pays P
subsidies = np.linspace(0.0, 0.4, 161)
p = Parameters(price=prices[None, :], subsidy=subsidies[:, None])

sol = solve_2x2(*sinking_matrices(p))
# One region per outcome: the unique pure equilibrium (Sink/Not × Active/Passive), several
# pure equilibria, or only the mixed one.
labels = ["Sink, Active", "Sink, Passive", "Not, Active", "Not, Passive", "several", "mixed only"]
n_pure = sol.pure.sum(axis=(-2, -1))
region = np.where(n_pure == 1, sol.pure.reshape((*p.shape, 4)).argmax(-1), 4)
region = np.where(n_pure == 0, 5, region)
for code, label in enumerate(labels):
    print(f"{label:14} {np.mean(region == code):6.1%} of the grid")
print(f"degenerate games on the grid: {int(sol.degenerate.sum())}")

g_star = threshold_subsidy(Parameters(price=prices))
print("\nThreshold subsidy g*(w) at a few prices:")
for w in (-0.05, 0.0, 0.05, 0.1):
    j = int(np.argmin(np.abs(prices - w)))
    print(f"  w = {prices[j]:+.3f}  g* = {g_star[j]:.4f}")

print("\nText map (rows: subsidy from 0.4 down to 0; columns: price from -0.1 to 0.3)")
symbols = np.array(["#", "s", "a", ".", "+", "~"])
for i in range(160, -1, -16):
    print(f"  g={subsidies[i]:.2f} " + "".join(symbols[region[i, ::4]]))
print("  legend: # Sink/Active  s Sink/Passive  a Not/Active  . Not/Passive  + several  ~ mixed")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("\nmatplotlib not installed: pip install 'compensation[plot]' for the picture")
else:
    out = sys.argv[1] if len(sys.argv) > 1 else "threshold_map.png"
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    colors = ["#4daf4a", "#ff7f00", "#984ea3", "#d9d9d9", "#377eb8", "#e41a1c"]
    cmap = matplotlib.colors.ListedColormap(colors)
    ax.pcolormesh(prices, subsidies, region, cmap=cmap, vmin=-0.5, vmax=5.5, shading="nearest")
    finite = np.where(np.isfinite(g_star), g_star, np.nan)
    ax.plot(prices, finite, "k--", lw=1, label="threshold subsidy g*")
    ax.set_xlabel("internal price w (10,000 CNY per doctor-day)")
    ax.set_ylabel("subsidy g (10,000 CNY per doctor-day)")
    ax.set_title("Equilibria of the sinking game")
    handles = [matplotlib.patches.Patch(color=cmap(k), label=labels[k]) for k in range(6)]
    ax.legend(handles=[*handles, ax.lines[0]], loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"\nsaved {out}")
