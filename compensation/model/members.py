r"""Many members of one consortium (MODEL.md §10): a columnar table and its payoffs.

One leader and N unequal members: a county hospital with its township centres and village
clinics, or Luzhou's 1+1+N groups. :class:`Members` holds one array of length N per field; a
field left out takes the value of the :class:`~compensation.Parameters` it is used with.
Payoffs broadcast leading parameter-grid axes against the trailing member axis.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._optional import require
from .._validation import as_float, domain_error, suggest
from .fields import FIELDS, RANGES, Field
from .member_payoffs import ConsortiumPayoffs, consortium_payoffs
from .member_payoffs import leader_coefficients as leader_coefficients  # its old import path
from .parameters import Parameters, expand, unchecked

__all__ = ["MEMBER_FIELDS", "ConsortiumPayoffs", "Members", "consortium_payoffs"]

# The payoffs live in member_payoffs.py (module size); they keep this import path.

# Member-level fields of Parameters (MODEL.md §10: the flow of §3 and primary care's terms).
SHARED = (
    *("visits", "common_share", "shift_rate", "max_shift", "sinking_scale", "logit_intercept"),
    *("quality_sensitivity", "price_sensitivity", "leader_visit_price", "primary_visit_price"),
    *("leader_reimbursement", "primary_reimbursement", "direct_surcharge", "referral_discount"),
    "referral_up_rate",
    *("primary_margin", "hosting_cost", "readiness_cost", "price", "subsidy", "primary_subsidy"),
    "social_benefit",
)
_OWN = {
    "travel_cost": Field(
        "t_j", "leader's extra cost per doctor-day sent there", "万元/dd", "nonneg"
    ),
    "host_capacity": Field(r"\bar s_j", "most doctor-days it can host", "dd/yr", "capacity"),
}
#: Numeric member fields with symbol, meaning, unit and domain; ``name`` and ``group`` are labels.
MEMBER_FIELDS: dict[str, Field] = {**{n: FIELDS[n] for n in SHARED}, **_OWN}
_DEFAULTS = {"travel_cost": 0.0, "host_capacity": np.inf}
# A host capacity may be unlimited; every other domain is the parameters' own.
_RANGE = {**RANGES, "capacity": (0.0, np.inf)}
_COLUMNS = ("name", "group", *MEMBER_FIELDS)


def _frozen(arr: NDArray[Any]) -> NDArray[Any]:
    arr = np.array(arr)
    arr.setflags(write=False)
    return arr


def _labels(field: str, value: Any) -> tuple[NDArray[np.str_] | None, list[str]]:
    """Labels as a str array; names must be present, non-empty and unique."""
    if isinstance(value, str) or np.ndim(value) != 1:
        return None, [f"{field} must be a sequence of labels, one per member; got {value!r}"]
    out, errors = [], []
    for row, x in enumerate(value):
        text = "" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x).strip()
        if not text and field == "name":
            errors.append(f"name of the member in row {row} is missing")
        out.append(text)
    if field == "name" and not out:
        errors.append("Members needs at least one member; got no names")
    first: dict[str, int] = {}
    for row, text in enumerate(out):
        if field == "name" and text and first.setdefault(text, row) != row:
            errors.append(
                f"name {text!r} appears in rows {first[text]} and {row}; names must be unique"
            )
    return np.array(out, dtype=str), errors


def _column(field: str, value: Any, names: NDArray[np.str_]) -> tuple[Any, list[str]]:
    """One numeric column, checked: length, domain, named by member and row."""
    n = len(names)
    arr = as_float(value, field)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.ndim != 1 or len(arr) != n:
        return None, [
            f"{field} has shape {arr.shape}; it needs one value per member ({n}, as name)"
        ]
    meta = MEMBER_FIELDS[field]
    lo, hi = _RANGE[meta.domain]
    with np.errstate(invalid="ignore"):
        bad = np.isnan(arr) | (arr < lo) | (arr > hi)
        if meta.domain == "positive":
            bad |= arr <= 0
    if not bad.any():
        return _frozen(arr), []
    row = int(np.argmax(bad))
    who = f"{field} of member {str(names[row])!r} (row {row})"
    if np.isnan(arr[row]):
        message = f"{who} is missing (NaN)"
    elif meta.domain == "capacity":
        message = f"{who} must be ≥ 0 (dd/yr; inf for no limit); got {float(arr[row])!r}"
    else:
        limits = None if meta.domain == "share" else (lo, hi)
        message = str(domain_error(who, float(arr[row]), meta.domain, meta.unit, limits=limits))
    count = int(bad.sum())
    return None, [message + (f" ({count} of {n} members bad)" if count > 1 else "")]


@dataclass(frozen=True, kw_only=True, eq=False)
class Members:
    r"""The members of a consortium (MODEL.md §10), one array of length N per field.

    Parameters
    ----------
    name : sequence of str
        Unique member names; their number N fixes every other column's length.
    group : sequence of str, optional
        A label per member (the township a village clinic belongs to, or a tier).
    visits, common_share : array_like, optional
        :math:`N_j` (visits/yr) and :math:`\theta_j`, as in :class:`~compensation.Parameters`.
    primary_margin, hosting_cost, readiness_cost : array_like, optional
        :math:`m_{Pj}` (万元/visit), :math:`c_{Pj}` (万元/dd), :math:`K_{Pj}` (万元/yr).
    price, subsidy, primary_subsidy, social_benefit : array_like, optional
        :math:`w_j`, :math:`g_j` (paid to the leader per doctor-day sunk at j) and
        :math:`h_j` in 万元/dd; :math:`g_{Pj}` in 万元/yr.
    shift_rate, max_shift, sinking_scale, logit_intercept : array_like, optional
        Patient-flow fields of MODEL.md §3, per member (the flow *form* is the leader's).
    quality_sensitivity, price_sensitivity : array_like, optional
        Logit weights :math:`\alpha_s, \alpha_p` per member.
    leader_visit_price, primary_visit_price : array_like, optional
        Out-of-pocket list prices :math:`p_L, p_P` seen by j's patients (万元/visit).
    leader_reimbursement, primary_reimbursement : array_like, optional
        Reimbursement rates :math:`r_L, r_P` in [0, 1].
    direct_surcharge, referral_discount, referral_up_rate : array_like, optional
        :math:`\sigma`, :math:`\delta` and :math:`\pi` of the price gap.
    travel_cost : array_like, optional
        :math:`t_j`, the leader's extra cost per doctor-day sent to j (万元/dd), ≥ 0; default 0.
    host_capacity : array_like, optional
        :math:`\bar s_j`, most doctor-days per year j can host (dd/yr), ≥ 0; default ``inf``.

    Raises
    ------
    TypeError
        For an unknown field (with the closest valid name) or a non-numeric column.
    ValueError
        Listing every bad column: a wrong length, and per column the first bad member by
        name and row (0-based) with the value, the allowed range and unit (NaN reads
        "missing"); missing or duplicate names.

    Notes
    -----
    A column left out (``None``) takes the value of the ``Parameters`` it is used with
    (:meth:`column`, :meth:`parameters`); a scalar applies to every member. Arrays are stored
    read-only. Rows are counted from 0 in messages, in the order of the table.

    Examples
    --------
    >>> from compensation.model.members import Members
    >>> m = Members(name=["A", "B"], visits=[30_000, 8_000], travel_cost=[0.0, 0.03])
    >>> len(m), m.visits.tolist(), m.subsidy is None
    (2, [30000.0, 8000.0], True)
    >>> Members(name=["A", "B"], host_capacity=[100, -1])
    Traceback (most recent call last):
    ...
    ValueError: host_capacity of member 'B' (row 1) must be ≥ 0 (dd/yr; inf for no limit); got -1.0
    """

    name: Any
    group: Any = None
    visits: Any = None
    common_share: Any = None
    shift_rate: Any = None
    max_shift: Any = None
    sinking_scale: Any = None
    logit_intercept: Any = None
    quality_sensitivity: Any = None
    price_sensitivity: Any = None
    leader_visit_price: Any = None
    primary_visit_price: Any = None
    leader_reimbursement: Any = None
    primary_reimbursement: Any = None
    direct_surcharge: Any = None
    referral_discount: Any = None
    referral_up_rate: Any = None
    primary_margin: Any = None
    hosting_cost: Any = None
    readiness_cost: Any = None
    travel_cost: Any = None
    price: Any = None
    subsidy: Any = None
    primary_subsidy: Any = None
    social_benefit: Any = None
    host_capacity: Any = None

    def __new__(cls, *args: Any, **kwargs: Any) -> Members:
        """Reject unknown field names before construction, suggesting the closest one."""
        unknown = [k for k in kwargs if k not in _COLUMNS]
        if unknown:
            raise TypeError(f"Members has no field {unknown[0]!r}{suggest(unknown[0], _COLUMNS)}")
        return super().__new__(cls)

    def __post_init__(self) -> None:
        names, errors = _labels("name", self.name)
        if names is not None and not errors:
            object.__setattr__(self, "name", _frozen(names))
            for field in MEMBER_FIELDS:
                value = getattr(self, field)
                if value is not None:
                    arr, bad = _column(field, value, names)
                    errors += bad
                    object.__setattr__(self, field, arr)
            if self.group is not None:
                group, bad = _labels("group", self.group)
                if group is not None and len(group) != len(names):
                    bad.append(
                        f"group has {len(group)} labels; it needs one per member ({len(names)})"
                    )
                errors += bad
                object.__setattr__(self, "group", None if group is None else _frozen(group))
        if errors:
            raise ValueError("; ".join(errors))

    def __len__(self) -> int:
        return len(self.name)

    def replace(self, **changes: Any) -> Members:
        """A copy with ``changes`` applied and validated (``None`` drops a column)."""
        return Members(**{**{f.name: getattr(self, f.name) for f in fields(self)}, **changes})

    def __getitem__(self, index: Any) -> Members:
        """The members selected by a slice, integer array or boolean mask (a new table)."""
        rows = np.atleast_1d(np.arange(len(self))[index])
        if rows.size == 0:
            raise ValueError(f"the selection {index!r} holds no member")
        out = object.__new__(Members)
        for f in fields(self):
            value = getattr(self, f.name)
            object.__setattr__(out, f.name, None if value is None else _frozen(value[rows]))
        return out

    def __eq__(self, other: object) -> bool:
        """Column-by-column equality; a column left out equals only a column left out."""
        if not isinstance(other, Members):
            return NotImplemented
        return all(
            (a is None and b is None) or (a is not None and b is not None and np.array_equal(a, b))
            for a, b in ((getattr(self, f.name), getattr(other, f.name)) for f in fields(self))
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        given = [f for f in MEMBER_FIELDS if getattr(self, f) is not None]
        shown = self.name.tolist() if len(self) <= 6 else [*self.name[:5].tolist(), "..."]
        return f"Members(n={len(self)}, name={shown}, columns={given})"

    # ----- resolution against the leader's Parameters --------------------------------------
    def column(self, field: str, p: Parameters) -> NDArray[np.float64]:
        """One field per member, taking ``p``'s value where the column was left out.

        The result has shape ``p.shape + (N,)``: parameter-grid axes lead, members trail.
        """
        value = getattr(self, field)
        shape = (*p.shape, len(self))
        if value is None:
            base = _DEFAULTS[field] if field in _DEFAULTS else np.asarray(getattr(p, field))
            value = np.asarray(base)[..., None]
        return np.broadcast_to(np.asarray(value, dtype=float), shape)

    def parameters(self, p: Parameters) -> Parameters:
        """``p`` with every given member column as a trailing axis of length N (unchecked view).

        Array fields of ``p`` (a parameter grid) gain a trailing axis so that they broadcast
        against the member axis; the columns were validated when the table was built.
        """
        given = {f: getattr(self, f) for f in SHARED if getattr(self, f) is not None}
        return unchecked(expand(p, 1), **given)

    # ----- files and frames ----------------------------------------------------------------
    @classmethod
    def from_columns(cls, columns: dict[str, Any], *, source: str = "member table") -> Members:
        """Build from named columns (text cells parsed as numbers), naming ``source`` in errors."""
        keys = [str(k).strip() for k in columns]
        if "name" not in keys:
            raise ValueError(
                f"{source}: no 'name' column (one unique name per member is required); "
                f"columns: {', '.join(map(repr, keys))}"
            )
        for key in keys:
            if key not in _COLUMNS:
                raise ValueError(f"{source}: unknown column {key!r}{suggest(key, _COLUMNS)}")
        data = dict(zip(keys, columns.values()))
        names, _ = _labels("name", data["name"])
        numbers, errors = {}, []
        for key in (k for k in keys if k in MEMBER_FIELDS):
            numbers[key], bad = _parse(key, data[key], names)
            errors += bad
        if errors:
            raise ValueError(f"{source}: " + "; ".join(errors))
        try:
            return cls(name=data["name"], group=data.get("group"), **numbers)
        except ValueError as exc:
            raise ValueError(f"{source}: {exc}") from None

    @classmethod
    def from_csv(cls, path: str | os.PathLike[str]) -> Members:
        """Read a member table from CSV (UTF-8, with or without BOM), one row a member.

        A ``name`` column is required; other columns are member fields (empty cells are
        missing values and raise). Examples: see :meth:`to_csv`.
        """
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
        if not rows:
            raise ValueError(f"{path}: empty member table (no header)")
        header = [h.strip() for h in rows[0]]
        for line, row in enumerate(rows[1:], start=2):
            if len(row) != len(header):
                raise ValueError(
                    f"{path}: line {line} has {len(row)} cells and the header {len(header)}"
                )
        if len(set(header)) != len(header):
            raise ValueError(f"{path}: repeated column in header {header}")
        columns = {h: [r[k] for r in rows[1:]] for k, h in enumerate(header)}
        return cls.from_columns(columns, source=str(path))

    @classmethod
    def from_frame(cls, frame: Any) -> Members:
        """Build from a pandas DataFrame, one row a member (columns as for :meth:`from_csv`)."""
        return cls.from_columns({c: frame[c].tolist() for c in frame.columns}, source="frame")

    def columns(self) -> dict[str, Any]:
        """The given columns in file order: ``name``, ``group`` if any, then numeric fields."""
        return {c: getattr(self, c) for c in _COLUMNS if getattr(self, c) is not None}

    def to_csv(self, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> None:
        """Write the given columns as CSV (floats round-trip exactly; ``inf`` as ``inf``).

        ``encoding="utf-8-sig"`` adds the byte-order mark that Excel needs for Chinese names.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from compensation.model.members import Members
        >>> m = Members(name=["镇A", "镇B"], visits=[3e4, 8e3], host_capacity=[200, float("inf")])
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "members.csv"
        >>> m.to_csv(path)
        >>> Members.from_csv(path) == m
        True
        """
        cols = self.columns()
        with Path(path).open("w", newline="", encoding=encoding) as fh:
            writer = csv.writer(fh)
            writer.writerow(list(cols))
            for row in range(len(self)):
                writer.writerow([_cell(v[row]) for v in cols.values()])

    def to_frame(self) -> Any:
        """The given columns as a pandas DataFrame (``pip install 'compensation[frame]'``)."""
        return require("pandas").DataFrame({k: np.asarray(v) for k, v in self.columns().items()})


def _cell(value: Any) -> str:
    return value if isinstance(value, str) else repr(float(value))


def _parse(field: str, cells: Any, names: Any) -> tuple[Any, list[str]]:
    """Numbers from text or numeric cells; empty cells become NaN (reported as missing)."""
    out = []
    for row, cell in enumerate(cells):
        text = cell.strip() if isinstance(cell, str) else cell
        try:
            out.append(np.nan if text is None or text == "" else float(text))
        except (TypeError, ValueError):
            who = str(names[row]) if names is not None and row < len(names) else "?"
            return None, [f"{field} of member {who!r} (row {row}) is not a number: {cell!r}"]
    return out, []
