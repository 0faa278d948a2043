"""``python -m compensation allocate``: the leader's allocation of doctor-days among members.

``allocate leader.toml members.csv [-o out.csv]`` reads the leader's fields (a TOML file of
:class:`~compensation.Parameters` fields plus an optional ``leader_capacity``) and the member
table (one row a member, :meth:`~compensation.model.members.Members.from_csv`), solves the
leader's allocation (MODEL.md §10; with ``--equilibrium`` the members' participation too) and
prints one line per member; ``-o`` writes the same table as CSV, atomically (a temporary file
beside the target, renamed into place when complete). Mistakes in the files are reported in
one line and exit with status 2 (``main`` in :mod:`compensation.cli` catches them).
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import Any

from ..analysis.files import replace_when_done
from ..model.leader_file import read_leader
from ..model.members import Members
from ..policy.allocation import SinkingAllocation, allocate_sinking
from ..policy.participation import participation_equilibrium

__all__ = ["register"]

COLUMNS = ("name", "group", "active", "sinking", "marginal_value", "regret", "primary_payoff")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``allocate`` sub-command to the parser."""
    p = sub.add_parser(
        "allocate",
        help="the leader's doctor-days per member for a leader TOML and a member CSV",
        description="Allocate the leader's doctor-days among the members (MODEL.md §10).",
    )
    p.add_argument("leader", help="TOML file: Parameters fields and optional leader_capacity")
    p.add_argument("members", help="CSV file: one row a member, a 'name' column required")
    p.add_argument("-o", "--output", help="write the allocation table to this CSV file")
    p.add_argument(
        "--leader-capacity",
        type=float,
        default=None,
        help="the leader's doctor-days per year for all members (overrides the TOML)",
    )
    p.add_argument(
        "--equilibrium",
        action="store_true",
        help="members choose Active/Passive (pure Nash equilibrium) instead of all active",
    )
    p.set_defaults(run=_cmd_allocate)


def _cmd_allocate(args: argparse.Namespace) -> None:
    for path, what in ((args.leader, "leader file"), (args.members, "member table")):
        if not Path(path).is_file():
            raise FileNotFoundError(f"{what} not found: {path}")
    p, cap = read_leader(args.leader)
    if args.leader_capacity is not None:
        cap = args.leader_capacity
    members = Members.from_csv(args.members)
    if args.equilibrium:
        eq = participation_equilibrium(p, members, leader_capacity=cap)
        if not eq.success:
            raise ValueError(f"no participation equilibrium: {eq.message}")
        alloc = eq.allocation
        print(eq.message)
    else:
        alloc = allocate_sinking(p, members, leader_capacity=cap)
    rows = _rows(members, alloc)
    width = max(len(str(r["name"])) for r in rows)
    print(f"{'name':{width}}  active  sinking (dd/yr)  marginal value (万元/dd)")
    for r in rows:
        print(
            f"{r['name']:{width}}  {'yes' if r['active'] else 'no ':6}  "
            f"{r['sinking']:15.1f}  {r['marginal_value']:.4f}"
        )
    print(
        f"total {alloc.total:.1f} dd/yr of {cap:g}; multiplier {alloc.multiplier:.4f} 万元/dd, "
        f"capacity price {alloc.capacity_price:.4f}; leader {float(alloc.payoffs.leader):.2f}, "
        f"welfare {float(alloc.payoffs.welfare):.2f} 万元/yr; duality gap {alloc.duality_gap:.1e}"
    )
    if args.output:
        with replace_when_done(args.output) as tmp, tmp.open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=[c for c in COLUMNS if c in rows[0]])
            writer.writeheader()
            writer.writerows(rows)
        print(f"wrote {len(rows)} rows to {args.output}")


def _rows(members: Members, alloc: SinkingAllocation) -> list[dict[str, Any]]:
    out = []
    for j, name in enumerate(members.name):
        row: dict[str, Any] = {"name": str(name)}
        if members.group is not None:
            row["group"] = str(members.group[j])
        row.update(
            active=int(alloc.participation[j]),
            sinking=float(alloc.sinking[j]),
            marginal_value=float(alloc.marginal_value[j]),
            regret=float(alloc.regret[j]),
            primary_payoff=float(alloc.payoffs.primary[j]),
        )
        out.append(row)
    return out
