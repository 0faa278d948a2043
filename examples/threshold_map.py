"""Equilibrium regions of the sinking game on an internal-price × subsidy grid, two policies.

Run:  python examples/threshold_map.py [output.png]
The subsidy per doctor-day is paid either unconditionally (whatever primary care does) or only
while primary care is active, the policy a government would write. Saves a PNG with both maps
when matplotlib is installed (pip install "compensation[plot]"), and always prints text maps.
Both 161 × 161 grids are solved in one vectorised call, no loop over games.
"""

import sys

import numpy as np

from compensation import (
    Parameters,
    payoffs,
    sinking_matrices,
    solve_2x2,
    threshold_subsidy,
)

prices = np.linspace(-0.1, 0.3, 161)  # 万元 per doctor-day, negative: L pays P
subsidies = np.linspace(0.0, 0.4, 161)
policies = ["unconditional", "conditional on P active"]
p = Parameters(
    price=prices[None, None, :],
    subsidy=subsidies[None, :, None],
    conditional_subsidy=np.array([0.0, 1.0])[:, None, None],
)

sol = solve_2x2(*sinking_matrices(p))
# One region per outcome: the unique pure equilibrium (Sink/Not × Active/Passive), several
# pure equilibria, or only the mixed one.
labels = ["Sink, Active", "Sink, Passive", "Not, Active", "Not, Passive", "several", "mixed only"]
n_pure = sol.pure.sum(axis=(-2, -1))
region = np.where(n_pure == 1, sol.pure.reshape((*p.shape, 4)).argmax(-1), 4)
region = np.where(n_pure == 0, 5, region)
print(f"{'outcome':16}" + "".join(f"{name:>26}" for name in policies))
for code, label in enumerate(labels):
    shares = [np.mean(region[k] == code) for k in range(2)]
    print(f"{label:16}" + "".join(f"{x:>25.1%} " for x in shares))
print(f"degenerate games on the grids: {int(sol.degenerate.sum())}")

# Where the subsidy buys sinking but primary care stays passive, the public pays for doctors
# who treat few patients: welfare there, per policy.
sink_passive = sol.pure[..., 0, 1] & ~sol.pure[..., 0, 0]
welfare = payoffs(p, p.sinking_level, 0.0).welfare
print("\nCells whose only sinking equilibrium is (Sink, Passive):")
for k, name in enumerate(policies):
    cells = sink_passive[k]
    if cells.any():
        w = welfare[k][cells]
        print(
            f"  {name:24} {cells.mean():6.1%} of the grid, welfare {w.min():.1f} to "
            f"{w.max():.1f} 万元/yr"
        )
    else:
        print(f"  {name:24} none: the leader is paid only for doctors primary care receives")

several = region[1] == 4
both = sol.pure[1][..., 0, 0] & sol.pure[1][..., 1, 1] & (n_pure[1] == 2)
assert np.array_equal(several, both)
# A lump sum above primary care's readiness cost K_P makes it active even without sinking.
paid = solve_2x2(*sinking_matrices(p.replace(primary_subsidy=1.25 * float(p.readiness_cost))))
unique = paid.pure[1][..., 0, 0] & (paid.pure[1].sum(axis=(-2, -1)) == 1)
print("  Under the conditional policy the 'several' cells hold (Sink, Active) and (Not, Passive):")
print("  the wasteful equilibrium is gone, a coordination problem is left. A lump sum")
print(
    f"  g_P = 1.25 K_P to an active primary care settles it: (Sink, Active) is then the unique\n"
    f"  equilibrium on {unique.mean():.1%} of the grid, every 'several' cell included: "
    f"{bool(np.all(unique[several]))}."
)

g_star = threshold_subsidy(Parameters(price=prices, conditional_subsidy=[[0.0], [1.0]]))
# With eta = 0 the condition changes no threshold: at (Sink, Active) both policies pay alike.
assert np.array_equal(g_star[0], g_star[1])
print("\nThreshold subsidy g*(w), the same under both policies:")
for w in (-0.05, 0.0, 0.05, 0.1):
    j = int(np.argmin(np.abs(prices - w)))
    print(f"  w = {prices[j]:+.3f}  g* = {g_star[0, j]:.4f}")

symbols = np.array(["#", "s", "a", ".", "+", "~"])
print("\nText maps (rows: subsidy from 0.4 down to 0; columns: price from -0.1 to 0.3)")
print("  " + " " * 7 + "".join(f"{name:43}" for name in policies))
for i in range(160, -1, -16):
    rows = ["".join(symbols[region[k, i, ::4]]) for k in range(2)]
    print(f"  g={subsidies[i]:.2f} " + "  ".join(rows))
print("  legend: # Sink/Active  s Sink/Passive  a Not/Active  . Not/Passive  + several  ~ mixed")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("\nmatplotlib not installed: pip install 'compensation[plot]' for the picture")
else:
    out = sys.argv[1] if len(sys.argv) > 1 else "threshold_map.png"
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharey=True)
    colors = ["#4daf4a", "#ff7f00", "#984ea3", "#d9d9d9", "#377eb8", "#e41a1c"]
    cmap = matplotlib.colors.ListedColormap(colors)
    finite = np.where(np.isfinite(g_star[0]), g_star[0], np.nan)
    for k, ax in enumerate(axes):
        ax.pcolormesh(
            prices, subsidies, region[k], cmap=cmap, vmin=-0.5, vmax=5.5, shading="nearest"
        )
        ax.plot(prices, finite, "k--", lw=1, label="threshold subsidy g*")
        ax.set_xlabel("internal price w (10,000 CNY per doctor-day)")
        ax.set_title(f"Subsidy {policies[k]}")
    axes[0].set_ylabel("subsidy g (10,000 CNY per doctor-day)")
    handles = [matplotlib.patches.Patch(color=cmap(k), label=labels[k]) for k in range(6)]
    axes[1].legend(handles=[*handles, axes[1].lines[0]], loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"\nsaved {out}")
