"""Evolution of sinking and primary-care activity: stability tables and basins.

Run:  python examples/evolution.py [phase.png]
x is the share of leading hospitals that sink, y the share of primary-care members that are
active. With matplotlib (pip install "compensation[plot]") it also saves a phase portrait.
"""

import sys

from compensation import Parameters, basin_shares, evolutionary_game, replicator_rest_points

base = Parameters(price=0.0)  # an illustrative consortium with no internal price
for g in (0.0, 0.2, 0.3):
    game = evolutionary_game(base.replace(subsidy=g))
    rest = replicator_rest_points(game)
    print(f"subsidy g = {g:.2f} 万元 per doctor-day")
    print(f"  {'rest point (x, y)':22}{'eigenvalues':>26}  stability")
    for r in rest:
        eig = ", ".join(
            f"{e.real:7.2f}{e.imag:+.2f}i" if e.imag else f"{e.real:7.2f}"
            for e in map(complex, r.eigenvalues)
        )
        point = f"({r.point[0]:.3f}, {r.point[1]:.3f})"
        print(f"  {point:22}{eig:>26}  {r.stability}")
    bs = basin_shares(game, grid=100)
    ends = ", ".join(f"{pt}: {share:.1%}" for pt, share in zip(bs.points, bs.shares))
    print(
        f"  from a 100 × 100 grid of starts: {ends or 'no stable rest point'}"
        f"; unresolved {bs.unresolved:.1%}\n"
    )

# A coordination case: the internal price makes sinking pay only if primary care is active,
# and being active pays only if the leader sinks. Both corners are stable; basins split them.
bistable = Parameters(passive_fraction=0.6, primary_margin=0.008, subsidy=0.172)
bs = basin_shares(evolutionary_game(bistable), grid=100)
print("coordination case (passive_fraction 0.6, primary_margin 0.008, subsidy 0.172):")
for pt, share in zip(bs.points, bs.shares):
    print(f"  basin of {pt}: {share:.1%} of starts")
print()

# When no corner is stable (an inspection game among leader, primary care and government),
# the path circles the boundary from corner to corner, ever more slowly: a heteroclinic cycle.
import numpy as np  # noqa: E402

from compensation import ThreePopulationGame  # noqa: E402

cyclic = ThreePopulationGame(
    (0.06, -0.09, -1.75, 0), (-0.14, 0.55, -0.28, 0), (-0.44, 1.47, 2.39, 0)
)
print("three populations, every corner a saddle:", {str(r.stability) for r in cyclic.rest_points()})
path = cyclic.simulate((0.3, 0.3, 0.3), np.linspace(0, 2000, 2001))
print(f"  {path.message}")
print("  time spent nearest each corner, per visit:", path.dwell.round(1).tolist())
print()

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib not installed: pip install 'compensation[plot]' for the phase portrait")
else:
    from compensation.plotting import basin_map, phase_portrait

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.6))
    game = evolutionary_game(base.replace(subsidy=0.3))
    phase_portrait(game, ax=left, labels=("x: leaders sinking", "y: primary care active"))
    left.set_title("subsidy 0.3: phase portrait")
    basin_map(evolutionary_game(bistable), ax=right)
    fig.tight_layout()
    out = sys.argv[1] if len(sys.argv) > 1 else "evolution.png"
    fig.savefig(out, dpi=110)
    print(f"saved {out}")
