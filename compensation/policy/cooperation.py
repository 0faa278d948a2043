r"""What cooperation is worth to each competing consortium (source 003, co-opetition).

Solves the co-opetition game twice, with the shared platforms and without, and reports each
group's gain; the gain splits into the platforms' direct income at the new equilibrium and
the change in what competition leaves each leader.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from ..model.parameters import Parameters
from .coopetition import CoopetitionResult, coopetition_equilibrium
from .platforms import SharedPlatforms

__all__ = ["CooperationValue", "cooperation_value"]


@dataclass(frozen=True)
class CooperationValue(Result):
    r"""Each group's gain from the shared platforms, equilibrium against equilibrium.

    Attributes
    ----------
    value : ndarray, shape (K,)
        :math:`O_k^{coop} - O_k^{alone}`, each leader's objective with the platforms minus
        without, each at its own Nash equilibrium (万元 per year).
    direct : ndarray, shape (K,)
        The platforms' income at the cooperative equilibrium, :math:`\sigma n_k + R_k`
        (万元 per year).
    strategic : ndarray, shape (K,)
        ``value - direct``: what the shift in competition (sinking, enrollees) adds or
        takes away (万元 per year).
    sinking, sinking_alone : ndarray, shape (K,)
        Equilibrium sinking with and without the platforms (doctor-days per year).
    enrollees, enrollees_alone : ndarray, shape (K,)
        Equilibrium enrollees with and without.
    success : bool
        Whether both equilibria converged.
    message : str
        Both solvers' reports.
    cooperative, alone : CoopetitionResult
        The two equilibria (not printed).
    """

    value: NDArray[np.float64]
    direct: NDArray[np.float64]
    strategic: NDArray[np.float64]
    sinking: NDArray[np.float64]
    sinking_alone: NDArray[np.float64]
    enrollees: NDArray[np.float64]
    enrollees_alone: NDArray[np.float64]
    success: bool
    message: str
    cooperative: CoopetitionResult = field(repr=False)
    alone: CoopetitionResult = field(repr=False)


def cooperation_value(
    consortia: Sequence[Parameters],
    platforms: SharedPlatforms,
    *,
    city_enrollees: float,
    enrollee_margin: float,
    quality_weight: float,
    price_weight: float = 0.0,
    premiums: ArrayLike | None = None,
    tol: float = 1e-9,
    max_iter: int = 2000,
) -> CooperationValue:
    r"""What the shared platforms are worth to each consortium, in equilibrium.

    Parameters
    ----------
    consortia : sequence of Parameters
        One scalar parameter set per consortium, at least two.
    platforms : SharedPlatforms
        Test mutual recognition and cross-group referrals.
    city_enrollees, enrollee_margin, quality_weight, price_weight, premiums, tol, max_iter
        As in :func:`~compensation.coopetition_equilibrium`.

    Returns
    -------
    CooperationValue
        ``value`` per group, split into ``direct`` and ``strategic``, with both equilibria.

    Raises
    ------
    ValueError
        Any input :func:`~compensation.coopetition_equilibrium` rejects.
    TypeError
        ``platforms`` not a :class:`~compensation.policy.platforms.SharedPlatforms`.

    Notes
    -----
    .. math::

        V_k = \underbrace{\sigma n_k^{c} + R_k(s^{c})}_{\text{direct}}
        + \underbrace{O_k^{0}(s^{c}) - O_k^{0}(s^{0})}_{\text{strategic}},

    with :math:`O_k^{0}` the objective without platforms and :math:`s^{c}, s^{0}` the two
    equilibria. Recognition savings make an enrollee worth :math:`m_E + \sigma`: leaders
    compete harder for enrollees, and the strategic part is negative. Referrals from a
    rival reward a leader for the rival's enrollees: with two groups they soften
    competition.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.policy.cooperation import cooperation_value
    >>> from compensation.policy.platforms import SharedPlatforms
    >>> groups = [Parameters(subsidy=0.1), Parameters(subsidy=0.1, cost_linear=0.15)]
    >>> v = cooperation_value(groups, SharedPlatforms(recognition_saving=0.0005),
    ...                       city_enrollees=1e6, enrollee_margin=0.002, quality_weight=0.8)
    >>> v.success, v.value.round(1).tolist(), v.direct.round(1).tolist()
    (True, [241.9, 240.4], [251.4, 248.6])
    >>> v.sinking.round(1).tolist(), v.sinking_alone.round(1).tolist()
    ([683.6, 646.3], [634.4, 595.6])
    """
    if not isinstance(platforms, SharedPlatforms):
        raise TypeError(f"platforms must be a SharedPlatforms; got {platforms!r}")
    common = {
        "city_enrollees": city_enrollees,
        "enrollee_margin": enrollee_margin,
        "quality_weight": quality_weight,
        "price_weight": price_weight,
        "premiums": premiums,
        "tol": tol,
        "max_iter": max_iter,
    }
    alone = coopetition_equilibrium(consortia, **common)  # type: ignore[arg-type]
    coop = coopetition_equilibrium(
        consortia,
        **common,  # type: ignore[arg-type]
        start=alone.sinking,
        platforms=platforms,
    )
    value = coop.payoffs - alone.payoffs
    return CooperationValue(
        value=value,
        direct=coop.platform_income,
        strategic=value - coop.platform_income,
        sinking=coop.sinking,
        sinking_alone=alone.sinking,
        enrollees=coop.enrollees,
        enrollees_alone=alone.enrollees,
        success=coop.success and alone.success,
        message=f"with the platforms: {coop.message}; without: {alone.message}",
        cooperative=coop,
        alone=alone,
    )
