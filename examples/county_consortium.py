"""A county consortium (县域医共体) with 20 unequal township centres, and a Luzhou 1+1+N group.

Who gets the county hospital's doctors with and without a capacity limit, which centres take
part, and what a targeted subsidy buys over a uniform one at the same budget (MODEL.md §10).
THE DATA ARE ILLUSTRATIVE (examples/data/README.md): made-up numbers, generic place names.

Run: ``python examples/county_consortium.py [sinking.png]`` (the chart needs matplotlib).
"""

import sys
from pathlib import Path

import numpy as np

from compensation.model.leader_file import read_leader
from compensation.model.members import Members
from compensation.policy.allocation import allocate_sinking
from compensation.policy.consortium_subsidy import consortium_subsidy
from compensation.policy.member_prices import price_equilibrium
from compensation.policy.participation import participation_equilibrium

DATA = Path(__file__).parent / "data"
BUDGET = 150.0  # 万元 per year for subsidies per doctor-day


def who(members, sinking):
    """Members that get doctors, with their doctor-days per year."""
    got = [f"{n} {s:.0f}" for n, s in zip(members.name, sinking) if s > 0.5]
    return ", ".join(got) if got else "nobody"


def chart(members, rows, path):
    """A map-like bar chart: members grouped by sub-district, nearest first, one bar each."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no chart)")
        return
    order = np.lexsort((members.travel_cost, members.group))
    x = np.arange(len(order))
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / len(rows)
    for k, (label, sinking) in enumerate(rows.items()):
        ax.bar(x + k * width, sinking[order], width, label=label)
    ax.set_xticks(x + 0.4 - width / 2)
    ax.set_xticklabels(
        [f"{members.group[i]}\n{members.name[i].split()[0]}" for i in order], fontsize=7
    )
    ax.set_ylabel("doctor-days per year")
    ax.set_title("Sinking per township centre, by sub-district (nearest first); illustrative data")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"chart saved to {path}")


def county(png):
    p, cap = read_leader(DATA / "county_leader.toml")
    m = Members.from_csv(DATA / "county.csv")
    print(f"County: {len(m)} township centres, leader capacity {cap:.0f} dd/yr (illustrative)")

    free = allocate_sinking(p, m)
    capped = allocate_sinking(p, m, leader_capacity=cap)
    print(f"\nWithout a capacity limit the hospital sinks {free.total:.0f} dd/yr to:")
    print("  " + who(m, free.sinking))
    print(
        f"With {cap:.0f} dd/yr it sinks {capped.total:.0f} to (capacity price "
        f"{capped.capacity_price:.3f} 万元/dd, duality gap {capped.duality_gap:.1e}):"
    )
    print("  " + who(m, capped.sinking))

    eq = participation_equilibrium(p, m, leader_capacity=cap)
    print(f"\nParticipation: {eq.message}; active: {', '.join(m.name[eq.active]) or 'none'}")

    uni = consortium_subsidy(p, m, budget=BUDGET, leader_capacity=cap)
    tgt = consortium_subsidy(p, m, budget=BUDGET, targeted=True, leader_capacity=cap)
    print(f"\nBudget {BUDGET:.0f} 万元/yr, every centre active:")
    print(
        f"  uniform  g = {uni.subsidy[0]:.4f} 万元/dd: welfare {uni.welfare:.1f} 万元/yr, "
        f"spending {uni.spending:.1f}; doctors to {who(m, uni.allocation.sinking)}"
    )
    print(
        f"  targeted: welfare {tgt.welfare:.1f} 万元/yr, spending {tgt.spending:.1f}; "
        f"doctors to {who(m, tgt.allocation.sinking)}"
    )
    paid = [f"{n} {g:.3f}" for n, g in zip(m.name, tgt.subsidy) if g > 0]
    print(f"  targeted subsidies (万元/dd): {', '.join(paid) or 'none'}")
    print(f"  value of targeting at equal budget: {tgt.targeting_value:.1f} 万元/yr")
    top = [i for i in uni.ranking if np.isfinite(uni.marginal_welfare[i])][:4]
    best = ", ".join(f"{m.name[i]} ({uni.marginal_welfare[i]:.2f})" for i in top)
    print(f"  best next 万元 at the uniform design (welfare per 万元): {best}")
    print(f"  participation an equilibrium at the targeted design: {tgt.participation_stable}")

    own_prices(p, m, uni)

    chart(
        m,
        {
            "no capacity": free.sinking,
            f"capacity {cap:.0f}": capped.sinking,
            "uniform subsidy": uni.allocation.sinking,
            "targeted subsidy": tgt.allocation.sinking,
        },
        png,
    )


def luzhou():
    p, cap = read_leader(DATA / "luzhou_leader.toml")
    m = Members.from_csv(DATA / "luzhou_1_1_n.csv")
    print(
        f"\nLuzhou-style 1+1+N group: a technical leader, the district hospital and "
        f"{len(m) - 1} primary institutions (illustrative numbers)"
    )
    eq = participation_equilibrium(p, m, leader_capacity=cap)
    print(f"  {eq.message}; doctors to {who(m, eq.allocation.sinking)}")
    for group in ("district", "community", "township"):
        rows = m.group == group
        print(
            f"  {group:9s}: {eq.allocation.sinking[rows].sum():6.0f} dd/yr, "
            f"{int(eq.active[rows].sum())} of {int(rows.sum())} active"
        )
    tgt = consortium_subsidy(
        p, m, budget=60.0, targeted=True, leader_capacity=cap, participation=eq.active
    )
    print(
        f"  a targeted 60 万元 budget: welfare {tgt.welfare:.1f} vs uniform "
        f"{tgt.uniform_welfare:.1f} 万元/yr; doctors to {who(m, tgt.allocation.sinking)}"
    )


def own_prices(p, m, uni):
    """Primary-led: the centres the uniform design serves set their own internal prices."""
    served = np.nonzero(uni.allocation.sinking > 0)[0][:3]
    sub = m[served]
    r = price_equilibrium(p.replace(subsidy=float(uni.subsidy[0])), sub)
    print(f"\nIf {', '.join(sub.name)} set their own prices at g = {uni.subsidy[0]:.4f}:")
    print(f"  {r.message}")
    prices = ", ".join(f"{n} {w:.3f}" for n, w in zip(sub.name, r.price))
    print(f"  prices (万元/dd): {prices}; doctors to {who(sub, r.allocation.sinking)}")


if __name__ == "__main__":
    county(sys.argv[1] if len(sys.argv) > 1 else "county_sinking.png")
    luzhou()
