r"""A subsidy that holds up when the parameters are uncertain (MODEL.md §5 under uncertainty).

:func:`~compensation.policy.stackelberg.optimal_subsidy` designs the subsidy for one parameter
point, the estimate. If the parameters are uncertain (draws from a calibration's sampling
distribution, or expert ranges) the government commits to one subsidy :math:`g` and the world
answers with the true parameters. :func:`robust_subsidy` picks the :math:`g` that maximises
expected welfare, or the worst case, over the draws, and says how much welfare the point design
loses when the parameters are wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize_scalar

from .._results import Result
from .._validation import check_choice, check_domain
from ..model.parameters import FIELDS, Parameters
from ..model.payoffs import objectives, payoffs
from .response import best_sinking
from .stackelberg import optimal_subsidy

__all__ = ["RobustSubsidy", "realised_welfare", "robust_subsidy"]

CRITERIA = ("expected", "worst-case")


def realised_welfare(p: Parameters, subsidy: ArrayLike) -> NDArray[np.float64]:
    r"""Welfare when the government commits to ``subsidy`` and the parameters are ``p``.

    Parameters
    ----------
    p : Parameters
        Parameters (array fields broadcast against ``subsidy``); ``p.subsidy`` is ignored
        and the internal price is ``p.price`` (a government-led alliance).
    subsidy : array_like
        Subsidy :math:`g` per doctor-day, 万元/dd, ≥ 0.

    Returns
    -------
    ndarray
        :math:`W` in 万元 per year: at the leader's best response :math:`s^*(g)` with
        primary care active where it is willing (:math:`O_P(s^*, 1) \ge O_P(s^*, 0)`), and
        the status quo's 0 where it is not (the intervention fails).

    Raises
    ------
    ValueError
        A negative or non-finite subsidy.

    Examples
    --------
    >>> from compensation import Parameters
    >>> from compensation.policy.robust import realised_welfare
    >>> realised_welfare(Parameters(), [0.0, 0.384]).round(2).tolist()
    [0.0, 216.75]
    """
    g = check_domain("subsidy", subsidy, "nonneg", "万元/dd")
    q = p.replace(subsidy=g)
    s = best_sinking(q)
    o_active, o_passive = objectives(q, s, 1.0)[1], objectives(q, s, 0.0)[1]
    w = payoffs(q, s, 1.0).welfare
    return np.asarray(np.where(o_active >= o_passive, w, 0.0), dtype=float)


@dataclass(frozen=True)
class RobustSubsidy(Result):
    r"""Result of :func:`robust_subsidy`; money in 万元, welfare per year.

    Attributes
    ----------
    subsidy : float
        The robust subsidy :math:`g^R` per doctor-day.
    point_subsidy : float
        The point design :math:`g^0`: :func:`optimal_subsidy` at the point estimate.
    criterion : str
        ``"expected"`` (maximise :math:`E_\theta W`) or ``"worst-case"`` (maximise
        :math:`\min_\theta W`).
    value, point_value : float
        The criterion at :math:`g^R` and at :math:`g^0`.
    loss : float
        ``value - point_value`` ≥ 0: what the point design loses on the criterion.
    expected_welfare, worst_welfare : float
        :math:`E_\theta W(g^R)` and :math:`\min_\theta W(g^R)` over the draws.
    point_expected_welfare, point_worst_welfare : float
        The same at :math:`g^0`.
    regret, point_regret : float
        Expected welfare lost against knowing the parameters,
        :math:`E_\theta[\max_g W(g;\theta) - W(g;\theta)]`, at :math:`g^R` and at :math:`g^0`
        (the latter is the expected value of perfect information for the point design).
    participation : float
        Share of draws in which primary care is active at :math:`g^R`.
    draws : int
        Number of parameter draws.
    welfare, point_welfare : ndarray
        :math:`W(g^R; \theta)` and :math:`W(g^0; \theta)` per draw (not printed).
    at_bound : bool
        True when :math:`g^R` is the top of the search range (raise ``max_subsidy``).
    method : str
        ``"grid + bounded scalar refinement"``.
    """

    subsidy: float
    point_subsidy: float
    criterion: str
    value: float
    point_value: float
    loss: float
    expected_welfare: float
    worst_welfare: float
    point_expected_welfare: float
    point_worst_welfare: float
    regret: float
    point_regret: float
    participation: float
    draws: int
    welfare: NDArray[np.float64] = field(repr=False)
    point_welfare: NDArray[np.float64] = field(repr=False)
    at_bound: bool = False
    method: str = "grid + bounded scalar refinement"


def _aggregate(w: NDArray[np.float64], criterion: str) -> NDArray[np.float64]:
    return np.asarray(w.mean(axis=-1) if criterion == "expected" else w.min(axis=-1))


def _column(p: Parameters) -> Parameters:
    """Draws along a trailing axis, so that a column of subsidies broadcasts against them."""
    return p.replace(
        **{n: np.asarray(getattr(p, n))[None, :] for n in FIELDS if np.ndim(getattr(p, n))}
    )


def _best(
    p: Parameters, grid: NDArray[np.float64], criterion: str, w: NDArray[np.float64]
) -> float:
    """Maximise the criterion over ``grid`` (welfare ``w``, grid × draws), then refine."""
    values = _aggregate(w, criterion)
    i = int(np.argmax(values))
    ties = np.flatnonzero(values >= values[i] - 1e-9 * max(1.0, abs(float(values[i]))))
    if ties.size > 1:
        # A flat worst case (some draw where no subsidy helps): the best expectation among
        # the max-min subsidies, rather than the smallest of them.
        return float(grid[ties[np.argmax(w[ties].mean(axis=1))]])
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]

    def loss(g: float) -> float:
        return -float(_aggregate(realised_welfare(p, g), criterion))

    ref = minimize_scalar(loss, bounds=(lo, hi), method="bounded", options={"xatol": 1e-10})
    return float(ref.x) if -ref.fun > values[i] else float(grid[i])


def _per_draw_best(
    p: Parameters, grid: NDArray[np.float64], w: NDArray[np.float64]
) -> NDArray[np.float64]:
    r""":math:`\max_g W(g; \theta)` per draw: the grid (welfare ``w``), then golden sections."""
    i = np.argmax(w, axis=0)
    lo, hi = grid[np.maximum(i - 1, 0)], grid[np.minimum(i + 1, grid.size - 1)]
    best = w.max(axis=0)
    ratio = (np.sqrt(5) - 1) / 2
    for _ in range(60):  # golden sections on every draw at once: 0.618^60 of the bracket
        a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
        wa, wb = realised_welfare(p, a), realised_welfare(p, b)
        best = np.maximum(best, np.maximum(wa, wb))
        left = wa >= wb
        hi, lo = np.where(left, b, hi), np.where(left, lo, a)
    return np.asarray(best)


def robust_subsidy(
    p_draws: Parameters,
    *,
    point: Parameters | None = None,
    criterion: str = "expected",
    max_subsidy: float | None = None,
    grid: int = 201,
) -> RobustSubsidy:
    r"""The subsidy that maximises expected (or worst-case) welfare over parameter draws.

    Parameters
    ----------
    p_draws : Parameters
        Parameter draws as array fields of one shape ``(D,)`` (from
        :func:`~compensation.analysis.draws.draw_parameters`); ``subsidy`` is ignored, the
        price is each draw's ``price`` (a government-led alliance).
    point : Parameters, optional
        The point estimate whose design is compared (default: the mean of each drawn field).
    criterion : {"expected", "worst-case"}
        Maximise :math:`E_\theta W(g;\theta)` (a risk-neutral planner) or
        :math:`\min_\theta W(g;\theta)` (max-min over the draws).
    max_subsidy : float, optional
        Top of the search range for :math:`g`, 万元/dd, > 0 (default: the larger of 1 and
        twice the point design).
    grid : int, default 201
        Subsidies tried before the refinement, ≥ 3.

    Returns
    -------
    RobustSubsidy
        The robust subsidy beside the point design, with the welfare each gives and loses.

    Raises
    ------
    ValueError
        ``p_draws`` not one-dimensional array fields; an unknown criterion; ``max_subsidy``
        or ``grid`` out of range.

    Notes
    -----
    With :math:`W(g;\theta)` from :func:`realised_welfare` (the leader answers
    :math:`s^*(g;\theta)`; the status quo's 0 where primary care stays passive),

    .. math:: g^R = \arg\max_{g \in [0, \bar g]} \frac1D \sum_d W(g;\theta_d)
              \quad\text{or}\quad \arg\max_g \min_d W(g;\theta_d),

    found on a grid of ``grid`` subsidies (all draws at once) and refined by a bounded
    scalar search between the best point's neighbours. The point design is
    :math:`g^0 = ` ``optimal_subsidy(point, buy_participation=False).subsidy``; since
    :math:`g^R` maximises the criterion, ``loss`` ≥ 0. When welfare is linear in the
    uncertain parameters (such as :math:`h`), the expected-welfare subsidy is the design at
    their mean and ``loss`` is 0.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import Parameters
    >>> from compensation.policy.robust import robust_subsidy
    >>> h = np.random.default_rng(0).uniform(0.1, 0.3, 500)
    >>> r = robust_subsidy(Parameters(social_benefit=h), point=Parameters(social_benefit=h.mean()))
    >>> bool(abs(r.subsidy - r.point_subsidy) < 1e-6), r.loss < 1e-6
    (True, True)
    """
    check_choice("criterion", criterion, CRITERIA)
    if len(p_draws.shape) != 1:
        raise ValueError(
            f"p_draws must hold draws as array fields of shape (D,); got shape {p_draws.shape}"
        )
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 3:
        raise ValueError(f"grid must be a whole number ≥ 3 (subsidies tried); got {grid!r}")
    if point is None:
        point = p_draws.replace(
            **{
                n: float(np.mean(getattr(p_draws, n)))
                for n in FIELDS
                if np.ndim(getattr(p_draws, n))
            }
        )
    g0 = float(optimal_subsidy(point, buy_participation=False).subsidy)
    top = (
        max(1.0, 2 * g0)
        if max_subsidy is None
        else float(check_domain("max_subsidy", max_subsidy, "positive", "万元/dd"))
    )
    subsidies = np.linspace(0.0, top, grid)
    # One grid × draws welfare matrix serves both the robust design and each draw's optimum.
    w_grid = realised_welfare(_column(p_draws), subsidies[:, None])
    g_r = _best(p_draws, subsidies, criterion, w_grid)
    w_r, w_0 = realised_welfare(p_draws, g_r), realised_welfare(p_draws, g0)
    value, point_value = float(_aggregate(w_r, criterion)), float(_aggregate(w_0, criterion))
    if point_value > value:  # g0 outside the grid's reach (above max_subsidy) and better
        g_r, w_r, value = g0, w_0, point_value
    ideal = _per_draw_best(p_draws, subsidies, w_grid)
    q = p_draws.replace(subsidy=g_r)
    s = best_sinking(q)
    active = objectives(q, s, 1.0)[1] >= objectives(q, s, 0.0)[1]
    return RobustSubsidy(
        subsidy=g_r,
        point_subsidy=g0,
        criterion=criterion,
        value=value,
        point_value=point_value,
        loss=value - point_value,
        expected_welfare=float(w_r.mean()),
        worst_welfare=float(w_r.min()),
        point_expected_welfare=float(w_0.mean()),
        point_worst_welfare=float(w_0.min()),
        regret=float(np.mean(np.maximum(ideal, w_r) - w_r)),
        point_regret=float(np.mean(np.maximum(ideal, w_0) - w_0)),
        participation=float(np.mean(active)),
        draws=int(p_draws.shape[0]),
        welfare=w_r,
        point_welfare=w_0,
        at_bound=bool(np.isclose(g_r, top, rtol=1e-6)),
    )
