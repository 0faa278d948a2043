r"""The subsidy and price at which sinking pays (MODEL.md §5, thresholds).

(Sink, Active) is an equilibrium of the 2×2 game exactly when :math:`A_1 \ge 0` and
:math:`B_1 \ge 0`. :math:`A_1` is affine in the subsidy :math:`g` (slope :math:`\bar s`) and in
the price :math:`w` (slope :math:`(1-\eta)\bar s`), and :math:`B_1` does not depend on
:math:`g` and falls in :math:`w` with slope :math:`(1-\eta)\bar s`; so the thresholds are exact
closed forms for every flow form, with no root finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .games import advantages
from .parameters import Parameters, _unchecked

__all__ = ["PriceInterval", "acceptable_prices", "threshold_price", "threshold_subsidy"]


def threshold_subsidy(p: Parameters) -> NDArray[np.float64]:
    r"""Least subsidy :math:`g \ge 0` at which (Sink, Active) is an equilibrium.

    Parameters
    ----------
    p : Parameters
        ``p.subsidy`` is ignored; array fields broadcast.

    Returns
    -------
    ndarray
        :math:`g^*` in 万元 per doctor-day; ``inf`` where primary care never chooses Active
        (:math:`B_1 < 0` whatever :math:`g`).

    Notes
    -----
    With :math:`A_1(0)` the leader's advantage at :math:`g = 0`,

    .. math:: g^* = \max\left(0, -A_1(0)/\bar s\right),

    which for :math:`\eta = 0` is
    :math:`\max(0, [(m_L - \rho_L - \varphi m_P) V(\bar s) + C(\bar s)]/\bar s - w - \beta_B)`.

    Examples
    --------
    >>> from compensation import Parameters, threshold_subsidy
    >>> round(float(threshold_subsidy(Parameters())), 6)
    0.164
    >>> float(threshold_subsidy(Parameters(readiness_cost=50)))
    inf
    """
    adv = advantages(_unchecked(p, subsidy=0.0))
    g = np.maximum(0.0, -adv.A1 / p.sinking_level)
    return np.where(adv.B1 >= 0, g, np.inf)


@dataclass(frozen=True)
class PriceInterval:
    """Internal prices (万元 per doctor-day) at which (Sink, Active) is an equilibrium.

    Attributes
    ----------
    low : ndarray
        Least price the leader accepts (sinking pays when P is active); may be negative.
    high : ndarray
        Highest price primary care accepts (being active pays when L sinks).
    """

    low: NDArray[np.float64]
    high: NDArray[np.float64]

    @property
    def empty(self) -> NDArray[np.bool_]:
        """True where no price satisfies both sides."""
        return np.asarray(self.low > self.high)


def acceptable_prices(p: Parameters) -> PriceInterval:
    r"""The interval of internal prices acceptable to both sides, given the subsidy.

    Parameters
    ----------
    p : Parameters
        ``p.price`` is ignored; array fields broadcast.

    Returns
    -------
    PriceInterval
        ``low`` and ``high`` with ``.empty`` where ``low > high``. For :math:`\eta = 1` the
        price is a pure transfer inside one entity: the interval is the whole line when both
        advantages are ≥ 0 and empty (``low = inf``, ``high = -inf``) otherwise.

    Notes
    -----
    With :math:`A_1(0), B_1(0)` the advantages at :math:`w = 0`,

    .. math:: w_{low} = -\frac{A_1(0)}{(1-\eta)\bar s}, \qquad
              w_{high} = \frac{B_1(0)}{(1-\eta)\bar s}.

    Examples
    --------
    >>> from compensation import Parameters, acceptable_prices
    >>> iv = acceptable_prices(Parameters(subsidy=0.2))
    >>> round(float(iv.low), 4), round(float(iv.high), 4), bool(iv.empty)
    (0.014, 0.0517, False)
    >>> bool(acceptable_prices(Parameters(subsidy=0.1)).empty)
    True
    """
    adv = advantages(_unchecked(p, price=0.0))
    scale = (1.0 - p.integration) * p.sinking_level
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(scale > 0, -adv.A1 / scale, np.where(adv.A1 >= 0, -np.inf, np.inf))
        high = np.where(scale > 0, adv.B1 / scale, np.where(adv.B1 >= 0, np.inf, -np.inf))
    both = (scale > 0) | ((adv.A1 >= 0) & (adv.B1 >= 0))
    low = np.where(both, low, np.inf)
    high = np.where(both, high, -np.inf)
    return PriceInterval(np.asarray(low), np.asarray(high))


def threshold_price(p: Parameters) -> NDArray[np.float64]:
    r"""Least internal price :math:`w` at which (Sink, Active) is an equilibrium.

    Parameters
    ----------
    p : Parameters
        ``p.price`` is ignored; the subsidy is ``p.subsidy``.

    Returns
    -------
    ndarray
        :math:`w^*` in 万元 per doctor-day (negative: the leader would sink even if it paid
        primary care); ``inf`` where no price works because primary care refuses every price
        the leader accepts.

    Examples
    --------
    >>> from compensation import Parameters, threshold_price
    >>> round(float(threshold_price(Parameters(subsidy=0.2))), 4)
    0.014
    >>> float(threshold_price(Parameters(subsidy=0.1)))
    inf
    """
    iv = acceptable_prices(p)
    return np.where(iv.empty, np.inf, iv.low)
