r"""The subsidy and price at which sinking pays (MODEL.md §5, thresholds).

(Sink, Active) is an equilibrium of the 2×2 game exactly when :math:`A_1 \ge 0` and
:math:`B_1 \ge 0`. :math:`A_1` is affine in the subsidy :math:`g` (slope :math:`\bar s`) and in
the price :math:`w` (slope :math:`(1-\eta)\bar s`), and :math:`B_1` is affine in :math:`g`
(slope :math:`\eta\chi\bar s`, zero unless the subsidy is conditional and the consortium
integrated) and falls in :math:`w` with slope :math:`(1-\eta)\bar s`; so the thresholds are
exact closed forms for every flow form and payment regime, with no root finding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from .._validation import check_domain
from ..games import advantages, tripartite_game
from ..model.parameters import Parameters, require_scalar, unchecked

__all__ = [
    "PriceInterval",
    "SplitWindow",
    "acceptable_prices",
    "subsidy_split_window",
    "threshold_price",
    "threshold_subsidy",
]


def threshold_subsidy(p: Parameters) -> NDArray[np.float64]:
    r"""Least subsidy :math:`g \ge 0` at which (Sink, Active) is an equilibrium.

    Parameters
    ----------
    p : Parameters
        ``p.subsidy`` is ignored; array fields broadcast.

    Returns
    -------
    ndarray
        :math:`g^*` in 万元 per doctor-day, of shape ``p.shape``; ``inf`` where primary care
        never chooses Active (:math:`B_1 < 0` whatever :math:`g`).

    Raises
    ------
    AttributeError
        If ``p`` is not a :class:`~compensation.Parameters`; a valid ``p`` never raises (its
        values were checked when it was built).

    Notes
    -----
    With :math:`A_1(0), B_1(0)` the advantages at :math:`g = 0`: :math:`A_1` rises with slope
    :math:`\bar s` in :math:`g` and :math:`B_1` with slope :math:`\eta \chi \bar s` (a conditional
    subsidy is part of primary care's objective only through :math:`\eta \Pi_L`), so

    .. math:: g^* = \max\left(0, -\frac{A_1(0)}{\bar s}, -\frac{B_1(0)}{\eta\chi\bar s}\right)

    (the last term only where :math:`B_1(0) < 0`; ``inf`` there when :math:`\eta\chi = 0`).
    For :math:`\eta = 0` the first term is
    :math:`[(m_L - \rho_L - \varphi m_P - \omega \psi \sigma_M) V(\bar s) + C(\bar s)]/\bar s
    - w - \beta_B`: under a bundled budget the leader's share of the retained savings
    :math:`\omega \psi \sigma_M` per moved visit lowers the threshold (MODEL.md §5).
    Whether the subsidy is conditional (:math:`\chi`) does not change :math:`g^*` at
    :math:`\eta = 0`; it removes the (Sink, Passive) equilibria it would otherwise pay for.

    Examples
    --------
    >>> from compensation import Parameters, threshold_subsidy
    >>> round(float(threshold_subsidy(Parameters())), 6)
    0.164
    >>> float(threshold_subsidy(Parameters(readiness_cost=50)))
    inf
    >>> round(float(threshold_subsidy(Parameters(retained_share=1.0))), 6)  # bundled budget
    0.052
    """
    adv = advantages(unchecked(p, subsidy=0.0))
    g = np.maximum(0.0, -adv.A1 / p.sinking_level)
    # A conditional subsidy enters primary care's objective through eta Pi_L: B1 then rises
    # with g at the rate eta chi s_bar, and a large enough subsidy buys its participation too.
    rate = p.integration * p.conditional_subsidy * p.sinking_level
    # A subnormal rate overflows to inf, which is what it means: no finite subsidy suffices.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g_p = np.where(rate > 0, -adv.B1 / np.where(rate > 0, rate, 1.0), np.inf)
    g = np.where(adv.B1 >= 0, g, np.maximum(g, g_p))
    # g* does not depend on p.subsidy, but a sweep over it expects one value per point.
    return np.broadcast_to(g, p.shape).copy()


@dataclass(frozen=True)
class PriceInterval(Result):
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
        advantages are ≥ 0 and empty (``low = inf``, ``high = -inf``) otherwise. Prices in
        万元 per doctor-day, of shape ``p.shape``.

    Raises
    ------
    AttributeError
        If ``p`` is not a :class:`~compensation.Parameters`; a valid ``p`` never raises (its
        values were checked when it was built).

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
    adv = advantages(unchecked(p, price=0.0))
    scale = (1.0 - p.integration) * p.sinking_level
    with np.errstate(divide="ignore", invalid="ignore"):
        low = np.where(scale > 0, -adv.A1 / scale, np.where(adv.A1 >= 0, -np.inf, np.inf))
        high = np.where(scale > 0, adv.B1 / scale, np.where(adv.B1 >= 0, np.inf, -np.inf))
    both = (scale > 0) | ((adv.A1 >= 0) & (adv.B1 >= 0))
    low = np.broadcast_to(np.where(both, low, np.inf), p.shape).copy()
    high = np.broadcast_to(np.where(both, high, -np.inf), p.shape).copy()
    return PriceInterval(low, high)


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
        the leader accepts. Of shape ``p.shape``.

    Raises
    ------
    AttributeError
        If ``p`` is not a :class:`~compensation.Parameters`; a valid ``p`` never raises (its
        values were checked when it was built).

    Notes
    -----
    .. math:: w^* = w_{low} \text{ if } w_{low} \le w_{high}, \text{ else } \infty,

    with :math:`w_{low}, w_{high}` of :func:`acceptable_prices`.

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


@dataclass(frozen=True)
class SplitWindow(Result):
    """Shares of a fixed subsidy budget paid to the leader that keep full cooperation stable.

    Attributes
    ----------
    low, high : float
        (1, 1, 1) is asymptotically stable for every share ``low < alpha < high``.
    leader_needs, primary_allows : float
        The leader's condition alone (``alpha > leader_needs``) and primary care's alone
        (``alpha < primary_allows``), before clipping to [0, 1].
    government_willing : bool
        The government's own condition, which does not depend on the split: regulating must
        pay when everyone cooperates (:math:`R_G > C_G + S`).
    """

    low: float
    high: float
    leader_needs: float
    primary_allows: float
    government_willing: bool

    @property
    def empty(self) -> bool:
        """True when no split makes (1, 1, 1) stable."""
        return not (self.government_willing and self.low < self.high)

    def contains(self, alpha: float) -> bool:
        """Whether the split ``alpha`` makes (1, 1, 1) asymptotically stable.

        Parameters
        ----------
        alpha : float
            Share of the budget paid to the leader.

        Returns
        -------
        bool
            ``government_willing and low < alpha < high``.
        """
        return self.government_willing and self.low < alpha < self.high


def subsidy_split_window(
    p: Parameters,
    budget: float,
    *,
    regulation_cost: float,
    reward: float,
    accountability_loss: float = 0.0,
    fine_leader: float = 0.0,
    fine_primary: float = 0.0,
) -> SplitWindow:
    r"""Shares of a subsidy budget paid to the leader that keep full cooperation stable.

    The window of shares :math:`\alpha` for which (1, 1, 1) is asymptotically stable in the
    three-population game of :func:`~compensation.tripartite_game`. The leader gets
    :math:`\alpha S` a year (:math:`g = \alpha S / \bar s` per doctor-day), primary care
    :math:`(1 - \alpha) S`.

    Parameters
    ----------
    p : Parameters
        Scalar parameters; ``p.subsidy`` and ``p.primary_subsidy`` are replaced by the split.
    budget : float
        :math:`S`, the subsidy budget in 万元 per year, > 0.
    regulation_cost, reward, accountability_loss, fine_leader, fine_primary : float
        As in :func:`~compensation.tripartite_game`.

    Returns
    -------
    SplitWindow
        ``.low`` and ``.high`` (shares of the budget, clipped to [0, 1]), the conditions
        before clipping, and ``.government_willing``; ``.contains(alpha)`` tests a split.

    Raises
    ------
    ValueError
        If ``p`` has array fields, ``budget`` is not finite and > 0, or a cost, reward, loss
        or fine is not finite and ≥ 0.

    Notes
    -----
    At the corner (1, 1, 1) the Jacobian is diagonal with entries
    :math:`-(A_1 + \alpha S + F_L)`, :math:`-(B_1 + (1-\alpha) S + F_P)` and
    :math:`-(R_G - C_G - S)`, so the window is

    .. math:: -\frac{A_1 + F_L}{S} < \alpha < 1 + \frac{B_1 + F_P}{S}.

    Tilting a fixed budget toward primary care (smaller :math:`\alpha`) crowds the leader out
    once :math:`\alpha` falls below the lower end.

    Examples
    --------
    >>> from compensation import Parameters, subsidy_split_window
    >>> w = subsidy_split_window(Parameters(), 80, regulation_cost=10, reward=100)
    >>> round(w.low, 4), round(w.high, 4), w.contains(0.5), w.contains(0.3)
    (0.615, 1.0, False, False)
    """
    require_scalar(p, "subsidy_split_window")
    s = float(check_domain("budget", budget, "positive", "万元/yr"))
    # Advantages at full cooperation without the subsidy; each yuan of the budget then adds
    # one-for-one to the side that receives it and costs the government one.
    game = tripartite_game(
        unchecked(p, subsidy=0.0, primary_subsidy=0.0),
        regulation_cost=regulation_cost,
        reward=reward,
        accountability_loss=accountability_loss,
        fine_leader=fine_leader,
        fine_primary=fine_primary,
    )
    leader, primary, government = game.advantages(1.0, 1.0, 1.0)
    needs = -float(leader) / s
    allows = 1.0 + float(primary) / s
    return SplitWindow(max(needs, 0.0), min(allows, 1.0), needs, allows, float(government) - s > 0)
