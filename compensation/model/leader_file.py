r"""The leader of a many-member consortium read from TOML (MODEL.md §10).

A leader file holds the fields of :class:`~compensation.Parameters` (at top level or in a
``[parameters]`` table) and, optionally, ``leader_capacity``: the leader's doctor-days per
year for all members (dd/yr), which is not a ``Parameters`` field.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .parameters import Parameters

if sys.version_info >= (3, 11):  # pragma: no cover - version dependent
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["read_leader"]


def read_leader(source: str | os.PathLike[str]) -> tuple[Parameters, float]:
    r"""The leader's parameters and total capacity :math:`\bar S` from a TOML file.

    Parameters
    ----------
    source : str or path-like
        The TOML file.

    Returns
    -------
    params : Parameters
        Validated leader fields (and defaults for every field the file omits).
    leader_capacity : float
        :math:`\bar S` in dd/yr; ``inf`` when the file has no ``leader_capacity``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        For invalid TOML, a negative or non-numeric ``leader_capacity``, a document mixing a
        ``[parameters]`` table with other top-level keys, or a bad parameter value.
    TypeError
        For an unknown field (with the closest valid name).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from compensation.model.leader_file import read_leader
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "leader.toml"
    >>> _ = path.write_text("leader_capacity = 1500.0\nsubsidy = 0.15\n", encoding="utf-8")
    >>> p, cap = read_leader(path)
    >>> float(p.subsidy), cap
    (0.15, 1500.0)
    """
    text = Path(source).read_text(encoding="utf-8-sig")  # a BOM from Windows editors
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML ({exc})") from None
    cap: Any = data.pop("leader_capacity", None)
    fields = data
    if isinstance(data.get("parameters"), dict):
        others = sorted(k for k in data if k != "parameters")
        if others:
            raise ValueError(
                f"{source}: a [parameters] table and top-level keys {', '.join(others)}; put "
                "every field in the table (leader_capacity may stay at top level)"
            )
        fields = dict(data["parameters"])
        if cap is None:
            cap = fields.pop("leader_capacity", None)
    if cap is None:
        capacity = np.inf
    else:
        if isinstance(cap, bool) or not isinstance(cap, (int, float)):
            raise ValueError(f"{source}: leader_capacity must be a number (dd/yr); got {cap!r}")
        capacity = float(cap)
        if np.isnan(capacity) or capacity < 0:
            raise ValueError(
                f"{source}: leader_capacity must be ≥ 0 (dd/yr; inf for none); got {cap!r}"
            )
    return Parameters(**fields), capacity
