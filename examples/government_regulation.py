"""Leader, primary care and government as three evolving populations.

Run:  python examples/government_regulation.py [trajectories.png]
The government regulates or not; when it does, it pays the subsidies and levies fines. The
script prints the stability of the eight corners, simulates a few starts, and shows the
crowding-out effect: tilting a fixed subsidy budget toward primary care makes the leading
hospital retreat.
"""

import sys

import numpy as np

from compensation import Parameters, subsidy_split_window, tripartite_game

p = Parameters(subsidy=0.2, primary_subsidy=5.0)
regulation = dict(regulation_cost=10.0, reward=90.0, accountability_loss=20.0, fine_leader=5.0)
game = tripartite_game(p, **regulation)

print("Corners (x leaders sinking, y primary active, z government regulating):")
for r in game.rest_points():
    eig = ", ".join(f"{complex(e).real:8.2f}" for e in r.eigenvalues)
    print(f"  {tuple(int(v) for v in r.point)}  eigenvalues [{eig}]  {r.stability}")

t = np.linspace(0, 5, 501)
print("\nTrajectories (shares after 5 time units):")
for start in [(0.1, 0.1, 0.1), (0.5, 0.2, 0.5), (0.2, 0.8, 0.3)]:
    end = game.simulate(start, t)[-1]
    print(f"  from {start} -> ({end[0]:.3f}, {end[1]:.3f}, {end[2]:.3f})")

budget = 80.0  # 万元 a year to split between the leader (share alpha) and primary care
window = subsidy_split_window(p, budget, regulation_cost=10.0, reward=100.0)
print(
    f"\nA budget of {budget:g} 万元/yr keeps (1, 1, 1) stable for leader shares alpha in "
    f"({window.low:.3f}, {window.high:.3f}); government willing: {window.government_willing}"
)
print("  alpha  leader's gain at (1,1,1)  stable?")
for alpha in (0.9, 0.7, 0.62, 0.6, 0.4):
    split = p.replace(
        subsidy=alpha * budget / p.sinking_level, primary_subsidy=(1 - alpha) * budget
    )
    g = tripartite_game(split, regulation_cost=10.0, reward=100.0, accountability_loss=0.0)
    corner = g.rest_points()[0]
    gain = -complex(corner.eigenvalues[0]).real
    print(f"  {alpha:4.2f}  {gain:24.2f}  {corner.stability}")
print(
    "Below the window the leader's gain from sinking turns negative: the budget tilted toward\n"
    "primary care crowds the leading hospital out."
)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("\nmatplotlib not installed: pip install 'compensation[plot]' for the picture")
else:
    from compensation.plotting import trajectories3

    rng = np.random.default_rng(3)
    ax = trajectories3(game, rng.uniform(0.05, 0.95, (12, 3)), np.linspace(0, 5, 400))
    ax.set_title("three-population dynamics")
    out = sys.argv[1] if len(sys.argv) > 1 else "government_regulation.png"
    plt.savefig(out, dpi=110)
    print(f"\nsaved {out}")
