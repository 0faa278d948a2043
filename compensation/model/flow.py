r"""Patient flow from the leading hospital to primary care (MODEL.md §3).

All functions broadcast ``s`` against every array-valued field of :class:`Parameters`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._validation import check_domain

if TYPE_CHECKING:  # parameters validates flow names against this module's registry
    from .parameters import Parameters

Array = NDArray[np.float64]

__all__ = [
    "FLOW_FORMS",
    "FlowForm",
    "form_of",
    "logit_intercept_for",
    "price_gap",
    "register",
    "shift_share",
    "shifted_visits",
]


def _logistic(u: NDArray[np.float64]) -> NDArray[np.float64]:
    # 0.5 (1 + tanh(u/2)) never overflows, unlike 1 / (1 + exp(-u)) for very negative u.
    return 0.5 * (1.0 + np.tanh(0.5 * u))


def price_gap(p: Parameters) -> NDArray[np.float64]:
    r"""Expected out-of-pocket saving of a community-first visit over a direct visit to L.

    Parameters
    ----------
    p : Parameters
        Uses ``leader_visit_price``, ``primary_visit_price``, the two reimbursement rates,
        ``direct_surcharge``, ``referral_discount`` and ``referral_up_rate``.

    Returns
    -------
    ndarray
        :math:`G` in 万元 per visit.

    Notes
    -----
    MODEL.md §3, after source 001 (Singapore's community-first rule, 社区首诊): a patient who
    goes straight to the leader pays its out-of-pocket fee plus the surcharge :math:`\sigma`; one
    who starts in primary care pays the primary fee and, with probability :math:`\pi` of being
    referred up, the leader's fee less the discount :math:`\delta`:

    .. math:: G = p_L (1 - r_L)(1 + \sigma) - \left[p_P (1 - r_P)
              + \pi\, p_L (1 - r_L)(1 - \delta)\right]

    The discount thus raises :math:`G` by :math:`\pi \delta p_L (1 - r_L)`: it acts only on the
    patients who are referred up, as in the source.

    Examples
    --------
    >>> from compensation import Parameters, price_gap
    >>> round(float(price_gap(Parameters())), 6)
    0.012
    >>> round(float(price_gap(Parameters(referral_up_rate=0.2, referral_discount=0.15))), 6)
    0.00945
    """
    leader_fee = p.leader_visit_price * (1 - p.leader_reimbursement)
    return np.asarray(
        leader_fee * (1 + p.direct_surcharge)
        - p.primary_visit_price * (1 - p.primary_reimbursement)
        - p.referral_up_rate * leader_fee * (1 - p.referral_discount)
    )


def logit_intercept_for(p: Parameters, baseline_share: ArrayLike) -> NDArray[np.float64]:
    r"""Logit intercept :math:`\alpha_0` that reproduces an observed primary-care share.

    Parameters
    ----------
    p : Parameters
        Supplies :math:`\alpha_p` and the price gap :math:`G`.
    baseline_share : array_like
        Observed share :math:`q(0)` of common visits made at primary level, in (0, 1).

    Returns
    -------
    ndarray
        :math:`\alpha_0 = \operatorname{logit} q(0) - \alpha_p G`.

    Raises
    ------
    ValueError
        If ``baseline_share`` is not in the open interval (0, 1) or not finite.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import Parameters, logit_intercept_for, price_gap
    >>> p = Parameters(flow="logit")
    >>> a0 = float(logit_intercept_for(p, 0.35))
    >>> q0 = 1 / (1 + np.exp(-(a0 + p.price_sensitivity * float(price_gap(p)))))
    >>> round(float(q0), 12)
    0.35
    """
    q0 = check_domain("baseline_share", baseline_share, "share")
    if np.any((q0 <= 0) | (q0 >= 1)):
        raise ValueError(f"baseline_share must be in (0, 1), open; got {baseline_share!r}")
    return np.log(q0 / (1 - q0)) - p.price_sensitivity * price_gap(p)


def shift_share(p: Parameters, s: ArrayLike) -> NDArray[np.float64]:
    r"""Share :math:`\Delta q(s)` of the :math:`\theta N` common visits moved from L to P.

    Parameters
    ----------
    p : Parameters
        ``p.flow`` selects the form.
    s : array_like
        Sinking in doctor-days per year, ≥ 0.

    Returns
    -------
    ndarray
        :math:`\Delta q(s)`, dimensionless; negative only for a logit flow with
        :math:`\alpha_s < 0` (patients migrating up, the siphon effect).

    Raises
    ------
    ValueError
        If ``s`` is negative or not finite (doctor-days per year).

    Notes
    -----
    MODEL.md §3, with :math:`\Lambda(u) = 1/(1+e^{-u})` and :math:`\kappa(s) = 1 - e^{-s/s_h}`:

    .. math::

        \text{linear: } \Delta q = \min(a s, \Delta q_{max}), \qquad
        \text{saturating: } \Delta q = \Delta q_{max}(1 - e^{-s/s_h}),

        \text{logit: } \Delta q = \Lambda(\alpha_0 + \alpha_s \kappa(s) + \alpha_p G)
        - \Lambda(\alpha_0 + \alpha_p G).

    Examples
    --------
    >>> from compensation import Parameters, shift_share
    >>> shift_share(Parameters(), [0, 1000, 5000]).tolist()
    [0.0, 0.2, 0.5]
    """
    s = check_domain("s", s, "nonneg", "dd/yr")
    return flow_share(p, s)


class FlowForm(ABC):
    r"""One functional form of the patient flow :math:`\Delta q(s)` (MODEL.md §3).

    A form is one class: subclass this, give it a ``name``, the four methods and register it
    with :func:`register`; ``Parameters(flow=name)`` then accepts it and every solver uses it.
    All methods broadcast ``s`` against the array fields of ``p``.
    """

    name: ClassVar[str] = ""
    #: The leader's best response has a closed form (MODEL.md §5) with this flow.
    closed_form: ClassVar[bool] = False

    @abstractmethod
    def share(self, p: Parameters, s: Array) -> Array:
        r""":math:`\Delta q(s)`."""

    @abstractmethod
    def slope(self, p: Parameters, s: Array, side: str = "right") -> Array:
        r""":math:`d\Delta q/ds`; ``side`` picks the one-sided derivative at a kink."""

    @abstractmethod
    def curvature(self, p: Parameters, s: Array) -> Array:
        r""":math:`d^2\Delta q/ds^2` away from kinks."""

    @abstractmethod
    def max_slope(self, p: Parameters) -> Array:
        r"""An upper bound of :math:`|d\Delta q/ds|` over :math:`s \ge 0`."""

    def kink(self, p: Parameters) -> Array:
        """Sinking at which the flow has a kink (``inf`` where it has none)."""
        return np.asarray(np.inf)


#: The registry: flow name -> form. ``Parameters`` accepts exactly these names.
FLOW_FORMS: dict[str, FlowForm] = {}


def register(cls: type[FlowForm]) -> type[FlowForm]:
    """Class decorator that adds a flow form to :data:`FLOW_FORMS` under ``cls.name``."""
    if not cls.name or cls.name in FLOW_FORMS:
        raise ValueError(f"a flow form needs a new, non-empty name; got {cls.name!r}")
    FLOW_FORMS[cls.name] = cls()
    return cls


@register
class Linear(FlowForm):
    r"""Linear up to a cap: :math:`\Delta q = \min(a s, \Delta q_{max})`."""

    name = "linear"
    closed_form = True

    def share(self, p: Parameters, s: Array) -> Array:
        """Moved share."""
        return np.minimum(p.shift_rate * s, p.max_shift)

    def slope(self, p: Parameters, s: Array, side: str = "right") -> Array:
        """Slope; 0 from the cap on (right) or after it (left)."""
        below = (
            p.shift_rate * s < p.max_shift if side == "right" else p.shift_rate * s <= p.max_shift
        )
        return np.where(below, p.shift_rate, 0.0)

    def curvature(self, p: Parameters, s: Array) -> Array:
        """Zero away from the cap."""
        return np.zeros(np.broadcast_shapes(np.shape(s), np.shape(p.shift_rate)))

    def max_slope(self, p: Parameters) -> Array:
        """The rate ``a``."""
        return np.asarray(p.shift_rate, dtype=float)

    def kink(self, p: Parameters) -> Array:
        r"""The cap :math:`\Delta q_{max} / a`."""
        a = np.asarray(p.shift_rate, dtype=float)
        # A subnormal rate puts the cap beyond every float: inf, which is what it means.
        with np.errstate(divide="ignore", over="ignore"):
            return np.asarray(np.where(a > 0, p.max_shift / np.where(a > 0, a, 1.0), np.inf))


@register
class Saturating(FlowForm):
    r"""Saturating: :math:`\Delta q = \Delta q_{max}(1 - e^{-s/s_h})`."""

    name = "saturating"

    def share(self, p: Parameters, s: Array) -> Array:
        """Moved share."""
        return p.max_shift * -np.expm1(-s / p.sinking_scale)

    def slope(self, p: Parameters, s: Array, side: str = "right") -> Array:
        """Slope (smooth: both sides agree)."""
        return p.max_shift * np.exp(-s / p.sinking_scale) / p.sinking_scale

    def curvature(self, p: Parameters, s: Array) -> Array:
        """Second derivative (< 0: concave)."""
        return -p.max_shift * np.exp(-s / p.sinking_scale) / (p.sinking_scale * p.sinking_scale)

    def max_slope(self, p: Parameters) -> Array:
        """The slope at 0."""
        return np.asarray(p.max_shift / p.sinking_scale)


@register
class Logit(FlowForm):
    r"""Logit with patient incentives: :math:`\Delta q = \Lambda(u(s)) - \Lambda(u(0))`.

    :math:`u(s) = \alpha_0 + \alpha_s \kappa(s) + \alpha_p G`,
    :math:`\kappa(s) = 1 - e^{-s/s_h}` and :math:`G` the price gap (:func:`price_gap`).
    """

    name = "logit"

    def _u(self, p: Parameters, s: Array) -> Array:
        base = p.logit_intercept + p.price_sensitivity * price_gap(p)
        return base - p.quality_sensitivity * np.expm1(-s / p.sinking_scale)

    def share(self, p: Parameters, s: Array) -> Array:
        """Moved share."""
        base = p.logit_intercept + p.price_sensitivity * price_gap(p)
        return _logistic(self._u(p, s)) - _logistic(base)

    def slope(self, p: Parameters, s: Array, side: str = "right") -> Array:
        """Slope (smooth: both sides agree)."""
        lam = _logistic(self._u(p, s))
        decay = np.exp(-s / p.sinking_scale) / p.sinking_scale
        return lam * (1 - lam) * p.quality_sensitivity * decay

    def curvature(self, p: Parameters, s: Array) -> Array:
        """Second derivative."""
        lam = _logistic(self._u(p, s))
        d1 = lam * (1 - lam)
        du = p.quality_sensitivity * np.exp(-s / p.sinking_scale) / p.sinking_scale
        return d1 * (1 - 2 * lam) * du * du - d1 * du / p.sinking_scale

    def max_slope(self, p: Parameters) -> Array:
        r"""Λ' ≤ 1/4 times the largest slope of :math:`\alpha_s \kappa`."""
        return np.asarray(0.25 * np.abs(p.quality_sensitivity) / p.sinking_scale)


def form_of(p: Parameters) -> FlowForm:
    """The registered flow form that ``p.flow`` names."""
    return FLOW_FORMS[p.flow]


# Kernels: the unchecked fast paths every model and policy module uses (MODEL.md §3).
def flow_share(p: Parameters, s: Array) -> Array:
    return form_of(p).share(p, s)


def flow_slope(p: Parameters, s: Array) -> Array:
    """D Δq / ds; for the linear flow the right derivative (0 from the cap on)."""
    return form_of(p).slope(p, s, "right")


def flow_slope_left(p: Parameters, s: Array) -> Array:
    """Left derivative of Δq; differs from the right one only at a kink."""
    return form_of(p).slope(p, s, "left")


def flow_curvature(p: Parameters, s: Array) -> Array:
    """d² Δq / ds² away from kinks."""
    return form_of(p).curvature(p, s)


def shifted_visits(p: Parameters, s: ArrayLike) -> NDArray[np.float64]:
    r"""Visits moved from L to P per year, :math:`V(s) = \theta N \Delta q(s)`, with P active.

    Parameters
    ----------
    p : Parameters
        Uses ``visits``, ``common_share`` and the flow's fields; arrays broadcast.
    s : array_like
        Sinking in doctor-days per year, ≥ 0.

    Returns
    -------
    ndarray
        Moved visits per year (visits/yr).

    Raises
    ------
    ValueError
        If ``s`` is negative or not finite.

    Examples
    --------
    >>> from compensation import Parameters, shifted_visits
    >>> float(shifted_visits(Parameters(), 300))
    8400.0
    """
    s = check_domain("s", s, "nonneg", "dd/yr")
    return p.common_share * p.visits * flow_share(p, s)
