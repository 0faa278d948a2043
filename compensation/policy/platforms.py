r"""Shared platforms among competing consortia: the "cooperate" in co-opetition (source 003).

Luzhou's three medical groups compete for residents but share city-wide platforms: test
results recognised by every group (检查检验结果互认) and referrals across groups for the
services a group lacks. Two effects enter each leader's objective in
:func:`~compensation.coopetition_equilibrium`:

- **mutual recognition** saves :math:`\sigma` per enrollee a year in duplicate tests
  (万元/enrollee): group :math:`k` gains :math:`\sigma n_k`;
- **cross-group referrals**: each group refers a share :math:`\rho` of its enrollees a year to
  the other groups, split among them by their attraction :math:`e^{U_k}`; the receiver earns
  a margin :math:`m_R` per referred patient (the sender passes the payment on and is even):

.. math::

    R_k(s) = m_R\, \rho \sum_{j \ne k} n_j \frac{e^{U_k}}{\sum_{l \ne j} e^{U_l}}.

With :math:`\sigma = \rho = 0` (or :math:`m_R = 0`) the game is today's co-opetition exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_domain

__all__ = ["SharedPlatforms", "platform_income"]


@dataclass(frozen=True)
class SharedPlatforms:
    r"""City-wide platforms shared by competing consortia.

    Parameters
    ----------
    recognition_saving : float, default 0
        :math:`\sigma`, duplicate-test cost avoided per enrollee a year when every group
        recognises the others' results (万元 per enrollee per year), ≥ 0.
    referral_share : float, default 0
        :math:`\rho`, share of a group's enrollees referred a year to another group's leader,
        in [0, 1].
    referral_margin : float, default 0
        :math:`m_R`, the receiving group's margin per referred patient (万元), ≥ 0.

    Raises
    ------
    ValueError
        If a value is not finite or outside its range.

    Examples
    --------
    >>> from compensation.policy.platforms import SharedPlatforms
    >>> SharedPlatforms(recognition_saving=0.0005).active
    True
    >>> SharedPlatforms(referral_share=0.02).active  # referrals without a margin change nothing
    False
    """

    recognition_saving: float = 0.0
    referral_share: float = 0.0
    referral_margin: float = 0.0

    def __post_init__(self) -> None:
        values = {
            "recognition_saving": check_domain(
                "recognition_saving", self.recognition_saving, "nonneg", "万元/enrollee/yr"
            ),
            "referral_share": check_domain("referral_share", self.referral_share, "share"),
            "referral_margin": check_domain(
                "referral_margin", self.referral_margin, "nonneg", "万元/patient"
            ),
        }
        for name, value in values.items():
            object.__setattr__(self, name, float(value))

    @property
    def active(self) -> bool:
        """Whether the platforms change any payoff."""
        return self.recognition_saving > 0 or self.referral_share * self.referral_margin > 0


def platform_income(
    platforms: SharedPlatforms, own: Any, others: NDArray[Any], city_enrollees: float
) -> Any:
    r"""Group :math:`k`'s yearly gain from the platforms, :math:`\sigma n_k + R_k`.

    Parameters
    ----------
    platforms : SharedPlatforms
        The platforms.
    own : array_like
        :math:`e^{U_k}` (any shape; complex values are fine, for complex-step slopes).
    others : ndarray, shape (K - 1,)
        :math:`e^{U_j}` of the other groups.
    city_enrollees : float
        :math:`N_{city}`.

    Returns
    -------
    ndarray
        The gain (万元 per year), shaped like ``own``. Two equal groups of 500 enrollees
        referring 10% to each other at a margin of 0.05 each receive
        :math:`0.05 \cdot 0.1 \cdot 500 = 2.5`.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation.policy.platforms import SharedPlatforms, platform_income
    >>> shared = SharedPlatforms(referral_share=0.1, referral_margin=0.05)
    >>> round(float(platform_income(shared, np.asarray(1.0), np.array([1.0]), 1000.0)), 9)
    2.5
    """
    own = np.asarray(own)
    total = own + others.sum()
    shares = own / total
    income = platforms.recognition_saving * city_enrollees * shares
    if platforms.referral_share * platforms.referral_margin > 0:
        o = others.reshape((-1,) + (1,) * own.ndim)
        # Sender j's enrollees n_j, split among every group but j by attraction.
        received = (city_enrollees * o / total) * own / (total - o)
        income = income + platforms.referral_margin * platforms.referral_share * received.sum(0)
    return income
