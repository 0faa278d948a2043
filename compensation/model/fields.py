r"""The parameters' metadata (MODEL.md §2): symbol, meaning, unit and domain of each field.

Kept apart from :class:`~compensation.model.parameters.Parameters` so that every place that
names a parameter (grids, draws, calibration, sensitivity, member tables) checks names and
domains against one table.
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import suggest
from .flow import FLOW_FORMS

__all__ = [
    "FIELDS",
    "FLOWS",
    "MAX_MAGNITUDE",
    "MIN_POSITIVE",
    "RANGES",
    "RENAMED",
    "Field",
    "canonical",
    "parameter_name",
    "within",
]

#: Flow forms known at import; the registry :data:`~compensation.model.flow.FLOW_FORMS` is
#: what validation uses, so a form registered later is accepted too.
FLOWS = tuple(FLOW_FORMS)

# Caps that keep the model's arithmetic finite. The largest products in MODEL.md §4–6 multiply
# about three fields and a sinking level (c_2 s², (1 + λ) g s, m_L θ N Δq); divisions are by
# c_2, s_h or s̄. With |value| ≤ 1e12 and positive scales ≥ 1e-12 every such expression stays
# below 1e100, far from float overflow (1.8e308), where 1e308 margins gave inf - inf = NaN.
# 1e12 万元 is far above any health budget and 1e12 visits far above any catchment.
MAX_MAGNITUDE = 1e12
MIN_POSITIVE = 1e-12
#: Closed range of each domain's accepted values: the one statement of what the domains
#: mean, shared by validation, the draws of uncertain parameters and the member tables.
RANGES: dict[str, tuple[float, float]] = {
    "real": (-MAX_MAGNITUDE, MAX_MAGNITUDE),
    "nonneg": (0.0, MAX_MAGNITUDE),
    "positive": (MIN_POSITIVE, MAX_MAGNITUDE),
    "share": (0.0, 1.0),
}


def within(domain: str, values: ArrayLike) -> NDArray[np.bool_]:
    """Which ``values`` lie in ``domain``'s range (:data:`RANGES`); NaN never does.

    Examples
    --------
    >>> from compensation.model.fields import within
    >>> within("share", [0.5, 1.5, float("nan")]).tolist()
    [True, False, False]
    """
    lo, hi = RANGES[domain]
    arr = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.asarray((arr >= lo) & (arr <= hi))


class Field(NamedTuple):
    """Metadata of one parameter: symbol, meaning, unit and allowed domain."""

    symbol: str
    meaning: str
    unit: str
    domain: str


FIELDS: dict[str, Field] = {
    "visits": Field("N", "in-scope visits of the catchment", "visits/yr", "nonneg"),
    "common_share": Field(r"\theta", "share of visits manageable at primary level", "-", "share"),
    "shift_rate": Field(
        "a", "moved share of common visits per doctor-day (linear flow)", "1/dd", "nonneg"
    ),
    "max_shift": Field(r"\Delta q_{max}", "cap on the moved share", "-", "share"),
    "sinking_scale": Field(
        "s_h", "sinking scale of the saturating and logit flows", "dd", "positive"
    ),
    "leader_margin": Field("m_L", "leader's margin per common visit", "万元/visit", "nonneg"),
    "slot_value": Field(r"\rho_L", "value to the leader of a freed slot", "万元/visit", "nonneg"),
    "primary_margin": Field("m_P", "primary care's margin per visit", "万元/visit", "nonneg"),
    "cost_linear": Field("c_1", "linear sinking cost", "万元/dd", "nonneg"),
    "cost_quadratic": Field("c_2", "quadratic sinking cost", "万元/dd²", "positive"),
    "hosting_cost": Field("c_P", "primary care's cost per doctor-day hosted", "万元/dd", "nonneg"),
    "readiness_cost": Field(
        "K_P", "primary care's fixed cost of being active", "万元/yr", "nonneg"
    ),
    "brand_benefit": Field(
        r"\beta_B", "leader's brand, teaching and assessment credit", "万元/dd", "nonneg"
    ),
    "passive_fraction": Field(
        r"\varepsilon", "share of the shift that happens with P passive", "-", "share"
    ),
    "price": Field("w", "internal compensation price paid by P to L (补偿价格)", "万元/dd", "real"),
    "profit_share": Field(r"\varphi", "share of P's incremental margin paid to L", "-", "share"),
    "subsidy": Field("g", "government subsidy to the leader", "万元/dd", "nonneg"),
    "primary_subsidy": Field("g_P", "lump-sum subsidy to an active P", "万元/yr", "nonneg"),
    "social_benefit": Field(
        "h", "patients' and society's benefit per doctor-day sunk", "万元/dd", "nonneg"
    ),
    "funds_cost": Field(r"\lambda", "marginal cost of public funds minus 1", "-", "nonneg"),
    "integration": Field(
        r"\eta", "weight each side puts on the joint payoff (紧密型 = 1)", "-", "share"
    ),
    "sinking_level": Field(
        r"\bar s", "doctor-days sunk under Sink in discrete games", "dd/yr", "positive"
    ),
    "max_sinking": Field("s_{max}", "upper bound of sinking", "dd/yr", "positive"),
    "logit_intercept": Field(
        r"\alpha_0", "intercept of the primary-care choice logit", "-", "real"
    ),
    "quality_sensitivity": Field(
        r"\alpha_s",
        "logit weight of capability gained by sinking (negative: patients move up)",
        "-",
        "real",
    ),
    "price_sensitivity": Field(
        r"\alpha_p", "logit weight of the out-of-pocket price gap", "1/万元", "nonneg"
    ),
    "leader_visit_price": Field("p_L", "price of a visit at the leader", "万元/visit", "nonneg"),
    "primary_visit_price": Field("p_P", "price of a visit in primary care", "万元/visit", "nonneg"),
    "leader_reimbursement": Field(
        "r_L", "insurer's reimbursement rate at the leader", "-", "share"
    ),
    "primary_reimbursement": Field(
        "r_P", "insurer's reimbursement rate in primary care", "-", "share"
    ),
    "direct_surcharge": Field(r"\sigma", "surcharge on direct visits to the leader", "-", "nonneg"),
    "referral_discount": Field(
        r"\delta",
        "discount on the leader's fee for patients referred up after a community-first visit",
        "-",
        "share",
    ),
    "referral_up_rate": Field(
        r"\pi", "share of community-first visits referred up to the leader", "-", "share"
    ),
    "retained_share": Field(
        r"\psi",
        "share of the insurer's savings on moved visits the consortium keeps (0: fee-for-service)",
        "-",
        "share",
    ),
    "leader_savings_share": Field(
        r"\omega", "the leader's share of the retained savings", "-", "share"
    ),
    "conditional_subsidy": Field(
        r"\chi", "share of the subsidy paid only while primary care is active", "-", "share"
    ),
}


#: Names that misled, renamed (issue 11); the old name is still accepted, with a
#: DeprecationWarning, wherever a parameter is named (constructor, replace, files, grids).
RENAMED = {
    "half_sinking": (
        "sinking_scale",
        "it is the e-folding scale s_h of the saturating and logit flows (the flow reaches "
        "63% of its effect at s_h and half of it at s_h ln 2), not a half point",
    ),
}


def canonical(name: str, *, stacklevel: int = 3) -> str:
    """The current name of a parameter, warning once per call when ``name`` is a renamed one."""
    if name not in RENAMED:
        return name
    new, why = RENAMED[name]
    warnings.warn(
        f"parameter {name!r} is deprecated, use {new!r}: {why}",
        DeprecationWarning,
        stacklevel=stacklevel,
    )
    return new


def parameter_name(name: str, *, role: str = "", stacklevel: int = 4) -> str:
    """The current name of the numeric parameter ``name``; unknown names raise ``ValueError``.

    ``role`` prefixes the message (``"grid names"`` gives "grid names unknown parameter ...");
    the closest valid name is suggested.

    Examples
    --------
    >>> from compensation.model.fields import parameter_name
    >>> parameter_name("subsidy")
    'subsidy'
    >>> parameter_name("subsidie", role="grid names")
    Traceback (most recent call last):
    ...
    ValueError: grid names unknown parameter 'subsidie'; did you mean 'subsidy'?
    """
    new = canonical(name, stacklevel=stacklevel)
    if new not in FIELDS:
        lead = f"{role} unknown" if role else "unknown"
        raise ValueError(f"{lead} parameter {new!r}{suggest(new, FIELDS)}")
    return new
