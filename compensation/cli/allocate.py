"""``python -m compensation allocate``: the leader's allocation of doctor-days among members."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``allocate`` sub-command to the parser (filled in by issue 8)."""
