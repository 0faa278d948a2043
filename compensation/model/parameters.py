r"""Model parameters (MODEL.md §2–3): one validated, frozen, sweep-ready object.

Money is in 万元 (10,000 CNY), sinking in doctor-days on site per year (dd/yr), payoffs per year
relative to the no-sinking status quo. Defaults are illustrative, not estimates.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .._validation import as_float, check_choice, domain_error, suggest
from .fields import FIELDS, FLOWS, MAX_MAGNITUDE, MIN_POSITIVE, RANGES, RENAMED, Field, canonical
from .flow import FLOW_FORMS
from .parameter_files import file_text, json_fields, toml_fields, toml_value

__all__ = [
    "FIELDS",
    "FLOWS",
    "MAX_MAGNITUDE",
    "MIN_POSITIVE",
    "RENAMED",
    "Field",
    "Parameters",
    "canonical",
]
# domain_error states a share's range in its own words; the magnitude caps are for the rest.
_LIMITS = {d: (None if d == "share" else r) for d, r in RANGES.items()}


def _freeze(value: Any, name: str) -> float | np.ndarray:
    arr = as_float(value, name)
    if arr.ndim == 0:
        return float(arr)
    arr = arr.copy()
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, kw_only=True, eq=False)
class Parameters:
    r"""Parameters of the consortium model (MODEL.md §2), validated and immutable.

    Every numeric field may be a scalar or a numpy array; arrays broadcast against each other in
    every payoff, threshold and best-response function, which is how sweeps are done.

    Parameters
    ----------
    visits : float
        :math:`N`, in-scope visits of the catchment per year (visits/yr), ≥ 0.
    common_share : float
        :math:`\theta`, share of visits manageable at primary level, in [0, 1].
    shift_rate : float
        :math:`a`, share of common visits moved to P per doctor-day (1/dd), ≥ 0.
    max_shift : float
        :math:`\Delta q_{max}`, cap on the moved share, in [0, 1].
    sinking_scale : float
        :math:`s_h`, sinking scale of the saturating and logit flows (dd), > 0.
    leader_margin, slot_value, primary_margin : float
        :math:`m_L, \rho_L, m_P` (万元/visit), ≥ 0.
    cost_linear, cost_quadratic : float
        :math:`c_1` (万元/dd) ≥ 0 and :math:`c_2` (万元/dd²) > 0 of
        :math:`C(s) = c_1 s + \tfrac12 c_2 s^2`.
    hosting_cost : float
        :math:`c_P`, P's cost per doctor-day hosted (万元/dd), ≥ 0.
    readiness_cost : float
        :math:`K_P`, P's fixed cost of being active (万元/yr), ≥ 0.
    brand_benefit : float
        :math:`\beta_B`, L's brand, teaching and assessment credit (万元/dd), ≥ 0.
    passive_fraction : float
        :math:`\varepsilon`, share of the shift that still happens when P is passive.
    price : float
        :math:`w`, internal price paid by P to L (万元/dd); negative means L pays P.
    profit_share : float
        :math:`\varphi`, share of P's incremental margin paid to L, in [0, 1].
    subsidy : float
        :math:`g`, government subsidy to L (万元/dd), ≥ 0.
    primary_subsidy : float
        :math:`g_P`, lump sum to an active P (万元/yr), ≥ 0.
    social_benefit : float
        :math:`h`, social benefit per doctor-day sunk (万元/dd), ≥ 0.
    funds_cost : float
        :math:`\lambda`, marginal cost of public funds minus one, ≥ 0.
    integration : float
        :math:`\eta`, weight on the joint payoff: 0 loose alliance (松散型), 1 one legal entity
        (紧密型).
    sinking_level : float
        :math:`\bar s`, doctor-days sunk under "Sink" (dd/yr), > 0 and ≤ ``max_sinking``.
    max_sinking : float
        :math:`s_{max}`, upper bound of sinking (dd/yr), > 0.
    flow : {"linear", "saturating", "logit"}
        Patient-flow form of MODEL.md §3 (see :func:`compensation.shift_share`).
    logit_intercept, quality_sensitivity, price_sensitivity : float
        :math:`\alpha_0, \alpha_s, \alpha_p` of the logit flow; a negative
        :math:`\alpha_s` makes patients migrate up (observed by the 2025 sociology of consortia).
    leader_visit_price, primary_visit_price : float
        Out-of-pocket list prices :math:`p_L, p_P` (万元/visit).
    leader_reimbursement, primary_reimbursement : float
        Reimbursement rates :math:`r_L, r_P` in [0, 1].
    direct_surcharge, referral_discount : float
        Surcharge :math:`\sigma` on the out-of-pocket fee of a direct visit to L, discount
        :math:`\delta` on L's out-of-pocket fee for patients referred up after a first community
        visit (source 001: 10–20%, Singapore's community-first rule, 社区首诊).
    referral_up_rate : float
        :math:`\pi`, share of community-first visits that end in a referral up to L, in [0, 1].
        The discount reaches patients only through it (the default 0 leaves it inert).
    retained_share : float
        :math:`\psi`, share of the insurer's savings :math:`r_L p_L - r_P p_P` per moved visit
        that the consortium keeps under a bundled budget (结余留用), in [0, 1]; 0 is
        fee-for-service. :func:`~compensation.bundled.settlement.retained_share` derives it
        from a settlement rule.
    leader_savings_share : float
        :math:`\omega`, the leader's share of the retained savings (the rest goes to primary
        care), in [0, 1].
    conditional_subsidy : float
        :math:`\chi`, share of the subsidy :math:`g` paid only while primary care is active,
        in [0, 1]: 0 pays per doctor-day whatever primary care does, 1 is the fully
        conditional subsidy a government would write.

    Raises
    ------
    TypeError
        For an unknown field name (with the closest valid name).
    ValueError
        Listing every field outside its range, with unit and value, and array fields whose
        shapes do not broadcast together.

    Notes
    -----
    Besides the ranges above, every field is capped at :math:`|x| \le 10^{12}` and positive
    scales (``sinking_scale``, ``cost_quadratic``, ``sinking_level``, ``max_sinking``) must be
    at least :math:`10^{-12}`, so that no payoff, threshold or best response can overflow to
    ``inf`` or ``nan`` (``MAX_MAGNITUDE``, ``MIN_POSITIVE``).

    Examples
    --------
    >>> from compensation import Parameters
    >>> p = Parameters(subsidy=0.1)
    >>> p.subsidy, p.replace(price=-0.02).price
    (0.1, -0.02)
    >>> Parameters(subsidy=-1)
    Traceback (most recent call last):
    ...
    ValueError: subsidy must be finite and ≥ 0 (万元/dd); got -1.0
    """

    visits: Any = 200_000.0
    common_share: Any = 0.7
    shift_rate: Any = 2e-4
    max_shift: Any = 0.5
    sinking_scale: Any = 300.0
    leader_margin: Any = 0.005
    slot_value: Any = 0.002
    primary_margin: Any = 0.004
    cost_linear: Any = 0.12
    cost_quadratic: Any = 2e-4
    hosting_cost: Any = 0.02
    readiness_cost: Any = 2.0
    brand_benefit: Any = 0.02
    passive_fraction: Any = 0.3
    price: Any = 0.05
    profit_share: Any = 0.0
    subsidy: Any = 0.0
    primary_subsidy: Any = 0.0
    social_benefit: Any = 0.2
    funds_cost: Any = 0.2
    integration: Any = 0.0
    sinking_level: Any = 300.0
    max_sinking: Any = 2000.0
    logit_intercept: Any = -1.2
    quality_sensitivity: Any = 2.0
    price_sensitivity: Any = 30.0
    leader_visit_price: Any = 0.03
    primary_visit_price: Any = 0.01
    leader_reimbursement: Any = 0.5
    primary_reimbursement: Any = 0.7
    direct_surcharge: Any = 0.0
    referral_discount: Any = 0.0
    referral_up_rate: Any = 0.0
    retained_share: Any = 0.0
    leader_savings_share: Any = 0.5
    conditional_subsidy: Any = 0.0
    flow: str = field(default="linear")

    def __new__(cls, *args: Any, **kwargs: Any) -> Parameters:
        """Reject unknown field names before construction, suggesting the closest one."""
        # The generated __init__ would say only "unexpected keyword"; an economist who typed
        # `subsidey` deserves the right name (HARK stores such typos silently).
        kwargs = _translate(kwargs, warn=True)
        unknown = [k for k in kwargs if k not in _NAMES]
        if unknown:
            raise TypeError(f"Parameters has no field {unknown[0]!r}{suggest(unknown[0], _NAMES)}")
        return super().__new__(cls)

    def __post_init__(self) -> None:
        errors = []
        for name, meta in FIELDS.items():
            value = getattr(self, name)
            message = domain_error(name, value, meta.domain, meta.unit, limits=_LIMITS[meta.domain])
            if message is None:
                object.__setattr__(self, name, _freeze(value, name))
            else:
                errors.append(message)
        # Non-broadcasting shapes would otherwise fail deep inside numpy, naming no field.
        mismatch = _broadcast_error({n: np.shape(getattr(self, n)) for n in FIELDS})
        if mismatch is not None:
            errors.append(mismatch)
        if not isinstance(self.flow, str):
            names = ", ".join(map(repr, FLOW_FORMS))
            errors.append(f"flow must be one of {names}; got {self.flow!r}")
        else:
            try:
                check_choice("flow", self.flow, tuple(FLOW_FORMS))
            except ValueError as exc:
                errors.append(str(exc))
        if not errors:
            with np.errstate(invalid="ignore"):
                excess = np.asarray(self.sinking_level) > np.asarray(self.max_sinking)
            if excess.any():
                errors.append(
                    "sinking_level must be ≤ max_sinking (dd/yr); got "
                    f"{np.max(self.sinking_level):g} > {np.min(self.max_sinking):g}"
                )
        if errors:
            raise ValueError("; ".join(errors))

    def replace(self, **changes: Any) -> Parameters:
        """Return a copy with ``changes`` applied and validated (unknown names raise)."""
        values = self.to_dict()
        values.update(_translate(changes, warn=True))
        return Parameters(**values)

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a dict (arrays stay arrays)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def shape(self) -> tuple[int, ...]:
        """Broadcast shape of all array-valued fields (``()`` for a single point)."""
        return np.broadcast_shapes(*(np.shape(getattr(self, n)) for n in FIELDS))

    def __eq__(self, other: object) -> bool:
        """Field-by-field equality; array fields compare by value and shape."""
        if not isinstance(other, Parameters):
            return NotImplemented
        return self.flow == other.flow and all(
            np.array_equal(getattr(self, n), getattr(other, n)) for n in FIELDS
        )

    def __hash__(self) -> int:
        """Hash consistent with the array-aware ``__eq__``."""
        return hash((self.flow, *(np.asarray(getattr(self, n)).tobytes() for n in FIELDS)))

    def __repr__(self) -> str:
        default = _DEFAULT
        changed = [f"{n}={getattr(self, n)!r}" for n in _NAMES if not _same(self, default, n)]
        return f"Parameters({', '.join(changed)})"

    # ----- files -------------------------------------------------------------------------
    def _plain(self) -> dict[str, Any]:
        out = {}
        for name, value in self.to_dict().items():
            out[name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out

    def to_json(self, path: str | Path | None = None) -> str:
        """Serialise to JSON text; also write it to ``path`` when given."""
        text = json.dumps(self._plain(), indent=2, ensure_ascii=False)
        if path is not None:
            Path(path).write_text(text + "\n", encoding="utf-8")
        return text

    @classmethod
    def from_json(cls, source: str | os.PathLike[str]) -> Parameters:
        """Read parameters from a JSON file, or from JSON text; missing fields keep defaults.

        Parameters
        ----------
        source : str or path-like
            A :class:`pathlib.Path` (or other path-like) is always read as a file. A ``str``
            is read as a file when it names an existing file, and parsed as JSON text
            otherwise; :meth:`from_json_string` parses text without that check.

        Returns
        -------
        params : Parameters
            Validated parameters; fields the source omits keep their defaults.

        Raises
        ------
        FileNotFoundError
            For a path-like ``source`` naming no file.
        ValueError
            For a ``str`` that is neither an existing file nor valid JSON, for an object that
            mixes a ``"parameters"`` object with top-level fields, and for repeated keys.

        Examples
        --------
        >>> from compensation import Parameters
        >>> Parameters.from_json('{"subsidy": 0.1}').subsidy
        0.1
        """
        text = file_text(source, "JSON")
        if text is not None:
            return cls.from_json_string(text)
        return cls(**json_fields(str(source), source))

    @classmethod
    def from_json_string(cls, text: str) -> Parameters:
        """Parse parameters from JSON text (an object of fields, or ``{"parameters": {...}}``).

        Examples
        --------
        >>> from compensation import Parameters
        >>> Parameters.from_json_string('{"parameters": {"price": 0.07}}').price
        0.07
        """
        return cls(**json_fields(text))

    def to_toml(self, path: str | Path | None = None) -> str:
        """Serialise to TOML text (one ``name = value`` per line, units as comments)."""
        lines = []
        for name, value in self._plain().items():
            unit = FIELDS[name].unit if name in FIELDS else ""
            lines.append(
                f"{name} = {toml_value(value)}" + (f"  # {unit}" if unit != "-" and unit else "")
            )
        text = "\n".join(lines) + "\n"
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    @classmethod
    def from_toml(cls, source: str | os.PathLike[str]) -> Parameters:
        """Read parameters from a TOML file, or from TOML text; missing fields keep defaults.

        Parameters
        ----------
        source : str or path-like
            A :class:`pathlib.Path` (or other path-like) is always read as a file. A ``str``
            is read as a file when it names an existing file, and parsed as TOML text
            otherwise; :meth:`from_toml_string` parses text without that check. Fields sit at
            top level or all in a ``[parameters]`` table.

        Returns
        -------
        params : Parameters
            Validated parameters; fields the source omits keep their defaults.

        Raises
        ------
        FileNotFoundError
            For a path-like ``source`` naming no file.
        ValueError
            For a ``str`` that is neither an existing file nor valid TOML, and for a document
            that mixes a ``[parameters]`` table with top-level keys.

        Examples
        --------
        >>> from compensation import Parameters
        >>> Parameters.from_toml("subsidy = 0.1").subsidy
        0.1
        """
        text = file_text(source, "TOML")
        if text is not None:
            return cls.from_toml_string(text)
        return cls(**toml_fields(str(source), source))

    @classmethod
    def from_toml_string(cls, text: str) -> Parameters:
        r"""Parse parameters from TOML text (top-level fields, or a ``[parameters]`` table).

        Examples
        --------
        >>> from compensation import Parameters
        >>> Parameters.from_toml_string("[parameters]\nprice = 0.07").price
        0.07
        """
        return cls(**toml_fields(text))


def _broadcast_error(shapes: dict[str, tuple[int, ...]]) -> str | None:
    """Name the first two array fields whose shapes do not broadcast, or return ``None``."""
    # Broadcasting is per axis, so shapes that broadcast pairwise broadcast together:
    # checking pairs finds a culprit whenever the whole set fails.
    seen: list[tuple[str, tuple[int, ...]]] = []
    for name, shape in shapes.items():
        if not shape:
            continue
        for other, other_shape in seen:
            try:
                np.broadcast_shapes(other_shape, shape)
            except ValueError:
                return (
                    f"array fields must broadcast together; {other} has shape {other_shape} "
                    f"and {name} has shape {shape}"
                )
        seen.append((name, shape))
    return None


def _same(a: Parameters, b: Parameters, name: str) -> bool:
    x, y = getattr(a, name), getattr(b, name)
    return (isinstance(x, str) and x == y) or (not isinstance(x, str) and np.array_equal(x, y))


_NAMES = tuple(f.name for f in fields(Parameters))


def _translate(kwargs: dict[str, Any], *, warn: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in kwargs.items():
        new = canonical(key, stacklevel=4) if warn else RENAMED.get(key, (key, ""))[0]
        if new != key and new in kwargs:
            raise TypeError(f"give {new!r} or its deprecated name {key!r}, not both")
        out[new] = value
    return out


_dataclass_init = Parameters.__init__


def _init(self: Parameters, **kwargs: Any) -> None:
    # __new__ already warned about renamed names; the generated __init__ needs current ones.
    _dataclass_init(self, **_translate(kwargs, warn=False))


Parameters.__init__ = _init  # type: ignore[method-assign]


def _old_name(old: str, new: str) -> property:
    def get(self: Parameters) -> Any:
        canonical(old)
        return getattr(self, new)

    return property(get, doc=f"Deprecated name of :attr:`{new}`.")


for _old, (_new, _) in RENAMED.items():
    setattr(Parameters, _old, _old_name(_old, _new))


_DEFAULT = Parameters()


def unchecked(p: Parameters, **changes: Any) -> Parameters:
    """Copy of ``p`` with already-valid ``changes``, skipping validation (internal hot paths)."""
    # Copying the instance dictionary is the fast path that every hot loop relies on.
    q = object.__new__(Parameters)
    q.__dict__.update(p.__dict__)
    q.__dict__.update(changes)
    return q


def expand(p: Parameters, k: int) -> Parameters:
    """View of ``p`` whose array fields gain ``k`` trailing axes, to broadcast with grids."""
    changes = {
        n: np.asarray(getattr(p, n))[(...,) + (None,) * k] for n in FIELDS if np.ndim(getattr(p, n))
    }
    return unchecked(p, **changes)


def require_scalar(p: Parameters, what: str) -> None:
    """Raise ValueError unless ``p`` is one point (no array fields); ``what`` names the caller."""
    if p.shape != ():
        raise ValueError(
            f"{what} needs scalar parameters; got array fields of shape {p.shape} "
            "(use sinking_matrices and solve_2x2 for sweeps)"
        )
