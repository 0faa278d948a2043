"""Quick start: will the leading hospital send doctors down, and what subsidy makes it?

Run:  python examples/quickstart.py
Money is in 万元 (10,000 CNY) per year; sinking in doctor-days on site per year.
The default parameters are illustrative, not estimates.
"""

from compensation import (
    Parameters,
    acceptable_prices,
    nash_equilibria,
    optimal_subsidy,
    payoffs,
    sinking_game,
    threshold_subsidy,
)

p = Parameters()  # internal price w = 0.05 万元/doctor-day, no subsidy

print("1. Payoffs of the sinking game (leader L, primary care P), 万元/yr")
print(f"   {'':22}{'P active':>18}{'P passive':>18}")
for label, s in (("L sinks 300 dd/yr", p.sinking_level), ("L does not sink", 0.0)):
    cells = []
    for e in (1, 0):
        r = payoffs(p, s, e)
        cells.append(f"({float(r.leader):7.2f}, {float(r.primary):6.2f})")
    print(f"   {label:22}{cells[0]:>18}{cells[1]:>18}")

print("\n2. Nash equilibria without a subsidy")
eq = nash_equilibria(sinking_game(p))
names = (("Sink", "Not"), ("Active", "Passive"))
for x, y in eq.equilibria:
    row = " / ".join(f"{names[0][i]} {x[i]:.2f}" for i in range(2) if x[i] > 0)
    col = " / ".join(f"{names[1][j]} {y[j]:.2f}" for j in range(2) if y[j] > 0)
    print(f"   L: {row:12}  P: {col}")
print(f"   degenerate: {eq.degenerate}; largest regret: {eq.max_regret():.1e}")

g_star = float(threshold_subsidy(p))
print(f"\n3. Threshold subsidy: sinking pays from g* = {g_star:.4f} 万元 per doctor-day")
eq = nash_equilibria(sinking_game(p.replace(subsidy=g_star * 1.01)))
print(f"   at 1.01 g* the equilibria are {eq.pure} (row 0 = Sink, column 0 = Active)")
iv = acceptable_prices(p.replace(subsidy=0.2))
print(
    f"   with g = 0.2 both sides accept internal prices in [{float(iv.low):.4f}, "
    f"{float(iv.high):.4f}]"
)

print("\n4. Welfare-maximising subsidy (government leads, leader responds)")
for alliance in ("government-led", "primary-led"):
    d = optimal_subsidy(p, alliance=alliance)
    print(
        f"   {alliance:15} g = {float(d.subsidy):.4f}, price w = {float(d.price):.4f}, "
        f"sinking = {float(d.sinking):6.1f} dd/yr, welfare = {float(d.welfare):6.2f}"
    )
d = optimal_subsidy(p, budget=30.0)
print(
    f"   with a budget of 30 万元/yr: g = {float(d.subsidy):.4f}, "
    f"binding = {bool(d.budget_binding)}"
)

print("\n5. Under a bundled budget (结余留用) the consortium keeps part of the insurer's savings")
for psi in (0.0, 0.5, 1.0):
    q = p.replace(retained_share=psi)  # omega = 0.5 of it to the leader
    print(
        f"   retained share {psi:.1f}: threshold g* = {float(threshold_subsidy(q)):.4f}, "
        f"optimal g = {float(optimal_subsidy(q).subsidy):.4f}"
    )
