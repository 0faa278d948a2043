r"""Several consortia competing for enrollees in one city (MODEL.md §9, co-opetition).

Consortium :math:`k`'s enrollee share follows a logit in its quality, which sinking raises:

.. math::

    n_k = N_{city} \frac{e^{U_k}}{\sum_j e^{U_j}}, \qquad
    U_k = \beta_Q Q_k(s_k) - \beta_p p_k, \qquad Q_k(s) = 1 - e^{-s / s_{h,k}},

and its bundled budget follows its enrollees at a margin :math:`m_E` per enrollee. Each
leader maximises its objective :math:`O_L^{(k)}(s_k, 1) + m_E n_k(s)` over
:math:`s_k \in [0, s_{max,k}]` given the others (:math:`O_L = \Pi_L` when :math:`\eta = 0`);
the Nash equilibrium is found by damped best-response iteration. The leader's part of the
problem, its objective and slope, comes from :mod:`compensation.model.leader`, written once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_domain
from ..model.leader import leader_slope
from ..model.parameters import Parameters, require_scalar
from ..model.payoffs import objectives_unchecked
from .platforms import SharedPlatforms, platform_income

__all__ = ["CoopetitionResult", "coopetition_equilibrium"]

GRID = 2049
METHOD = "damped best response (Jacobi)"


@dataclass(frozen=True)
class CoopetitionResult(Result):
    r"""Nash equilibrium of the co-opetition game, with its convergence report.

    Attributes
    ----------
    sinking : ndarray, shape (K,)
        Equilibrium sinking of each leader (doctor-days per year).
    enrollees : ndarray, shape (K,)
        Enrollees of each consortium.
    payoffs : ndarray, shape (K,)
        Each leader's objective :math:`O_L + m_E n_k` (万元 per year).
    success : bool
        Whether the largest change of the last round fell below ``tol`` times the largest
        :math:`s_{max}` (``converged`` is an alias).
    message : str
        The convergence report in words.
    iterations : int
        Best-response rounds used.
    max_change : float
        Largest change of the last round (doctor-days per year).
    foc_residual : ndarray, shape (K,)
        First-order-condition check (万元 per doctor-day): the marginal objective at interior
        solutions, and the violation of the sign condition at a bound (0 when the bound is
        optimal).
    method : str
        ``"damped best response (Jacobi)"``: all leaders respond at once to the last profile.
    tol : float
        Convergence threshold on the largest change, relative to the largest :math:`s_{max}`.
    history : ndarray, shape (iterations + 1, K)
        Sinking profile after each round.
    platform_income : ndarray, shape (K,)
        Each leader's gain from the shared platforms, included in ``payoffs`` (万元 per
        year; zeros without platforms).
    """

    sinking: NDArray[np.float64]
    enrollees: NDArray[np.float64]
    payoffs: NDArray[np.float64]
    success: bool
    message: str
    iterations: int
    max_change: float
    foc_residual: NDArray[np.float64]
    method: str
    tol: float
    history: NDArray[np.float64] = field(repr=False)
    platform_income: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    @property
    def converged(self) -> bool:
        """Alias of :attr:`success`."""
        return self.success


@dataclass(frozen=True)
class _City:
    """The consortia and the residents choosing among them; the game's payoffs and slopes."""

    consortia: tuple[Parameters, ...]
    enrollees: float  # N_city
    margin: float  # m_E, 万元 per enrollee
    quality_weight: float  # beta_Q
    price_weight: float  # beta_p, per 万元
    premiums: NDArray[np.float64]  # p_k, 万元
    smax: NDArray[np.float64]
    platforms: SharedPlatforms = field(default_factory=SharedPlatforms)

    def utility(self, i: int, si: NDArray) -> NDArray:
        """U_i at sinking ``si`` (an array of candidate levels is fine)."""
        p = self.consortia[i]
        return self.quality_weight * -np.expm1(-si / p.sinking_scale) - (
            self.price_weight * self.premiums[i]
        )

    def rivals(self, i: int, s: NDArray) -> NDArray:
        """e^{U_j} of the rivals j != i of the profile ``s``."""
        u = np.array([float(self.utility(j, np.asarray(x))) for j, x in enumerate(s)])
        return np.exp(u)[np.arange(len(s)) != i]

    def share(self, i: int, si: NDArray, others: NDArray) -> NDArray:
        e = np.exp(self.utility(i, si))
        return e / (e + others.sum())

    def objective(self, i: int, si: NDArray, others: NDArray) -> NDArray:
        """O_L(s_i, 1) + m_E n_i (+ the platforms), given the rivals' e^{U_j} ``others``."""
        o_l = objectives_unchecked(self.consortia[i], si, np.asarray(1.0))[0]
        value = o_l + self.margin * self.enrollees * self.share(i, si, others)
        if self.platforms.active:
            own = np.exp(self.utility(i, si))
            value = value + platform_income(self.platforms, own, others, self.enrollees)
        return value

    def slope(self, i: int, si: NDArray, others: NDArray) -> NDArray:
        """Slope in s_i: the leader's slope plus the budget the quality gain attracts."""
        p = self.consortia[i]
        share = self.share(i, si, others)
        d_quality = np.exp(-si / p.sinking_scale) / p.sinking_scale
        slope = leader_slope(p, si) + (
            self.margin * self.enrollees * self.quality_weight * d_quality * share * (1 - share)
        )
        if self.platforms.active:
            # Complex step: exact to rounding, and the platform income is analytic in s_i.
            h = 1e-30 * max(float(self.smax[i]), 1.0)
            own = np.exp(self.utility(i, np.asarray(si) + 1j * h))
            slope = slope + platform_income(self.platforms, own, others, self.enrollees).imag / h
        return slope

    def best_response(self, i: int, s: NDArray) -> float:
        """Best s_i against ``s``: the best grid point, refined by bisecting the slope."""
        others = self.rivals(i, s)
        grid = np.linspace(0.0, self.smax[i], GRID)
        vals = self.objective(i, grid, others)
        j = int(np.argmax(vals))
        lo, hi = grid[max(j - 1, 0)], grid[min(j + 1, GRID - 1)]
        if not self.slope(i, np.asarray(lo), others) > 0 > self.slope(i, np.asarray(hi), others):
            return float(grid[j])
        for _ in range(64):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if self.slope(i, np.asarray(mid), others) > 0 else (lo, mid)
        cand = 0.5 * (lo + hi)
        better = self.objective(i, np.asarray(cand), others) >= vals[j]
        return float(cand) if better else float(grid[j])

    def residual(self, i: int, s: NDArray) -> float:
        """First-order condition of leader i at ``s``; 0 at an optimal bound."""
        d = float(self.slope(i, np.asarray(s[i]), self.rivals(i, s)))
        if s[i] <= 0:
            return max(d, 0.0)
        if s[i] >= self.smax[i]:
            return min(d, 0.0)
        return d


def coopetition_equilibrium(
    consortia: Sequence[Parameters],
    *,
    city_enrollees: float,
    enrollee_margin: float,
    quality_weight: float,
    price_weight: float = 0.0,
    premiums: ArrayLike | None = None,
    damping: float = 0.5,
    tol: float = 1e-9,
    max_iter: int = 2000,
    start: ArrayLike | None = None,
    platforms: SharedPlatforms | None = None,
) -> CoopetitionResult:
    r"""Nash equilibrium in sinking levels among consortia competing for enrollees.

    Parameters
    ----------
    consortia : sequence of Parameters
        One scalar parameter set per consortium (its leader's objective with P active), at
        least two.
    city_enrollees : float
        :math:`N_{city}`, insured residents choosing a consortium, > 0.
    enrollee_margin : float
        :math:`m_E`, budget margin per enrollee (万元 per enrollee per year), ≥ 0.
    quality_weight : float
        :math:`\beta_Q`, weight of quality :math:`Q_k` in residents' choice, ≥ 0.
    price_weight : float, default 0
        :math:`\beta_p`, weight of the out-of-pocket premium :math:`p_k` (per 万元), ≥ 0.
    premiums : array_like, optional
        :math:`p_k` for each consortium (万元), ≥ 0; zeros by default.
    damping : float, default 0.5
        Weight :math:`\omega` of the new best response: :math:`s \leftarrow (1-\omega) s +
        \omega\, BR(s)`, in (0, 1].
    tol : float, default 1e-9
        Convergence threshold on the largest change, relative to :math:`s_{max}`, > 0.
    max_iter : int, default 2000
        Maximum rounds, ≥ 0.
    start : array_like, optional
        Initial sinking profile (doctor-days per year), ≥ 0, one entry per consortium;
        clipped to :math:`s_{max}`. Zeros by default.
    platforms : SharedPlatforms, optional
        Shared city-wide platforms (test mutual recognition, cross-group referrals) whose
        gain :math:`\sigma n_k + R_k(s)` each leader adds to its objective
        (:mod:`~compensation.policy.platforms`); none by default, and platforms with no
        effect give exactly the same equilibrium.

    Returns
    -------
    CoopetitionResult
        ``.sinking``, ``.enrollees``, ``.payoffs`` and the report: ``.success`` (alias
        ``.converged``), ``.message``, ``.iterations``, ``.max_change``, ``.foc_residual``,
        ``.method``, ``.tol``, ``.history``. Not converging within ``max_iter`` is reported,
        not raised.

    Raises
    ------
    ValueError
        If fewer than two consortia are given or one has array fields, a weight, margin,
        premium or start value is negative or not finite, ``city_enrollees`` is not > 0,
        ``damping`` is outside (0, 1], ``tol`` is not > 0, ``max_iter`` is not an integer
        ≥ 0, or ``premiums`` or ``start`` does not have one entry per consortium.

    Notes
    -----
    Each best response maximises a one-dimensional objective on a 2049-point grid and bisects
    its derivative

    .. math::

        \frac{\partial}{\partial s_k} = \frac{\partial O_L^{(k)}}{\partial s_k}
        + m_E N_{city} \beta_Q Q_k'(s_k)\, \hat n_k (1 - \hat n_k)

    in the best cell (:math:`\hat n_k` the share), plus, with ``platforms``, the slope of
    :math:`\sigma n_k + R_k` by a complex step (exact to rounding);
    :math:`\partial O_L / \partial s` is the
    leader's slope :math:`b - F'(s)` of MODEL.md §4–5. The equilibrium is then checked by these
    first-order conditions (``foc_residual``).

    Examples
    --------
    >>> from compensation import Parameters, coopetition_equilibrium
    >>> groups = [Parameters(subsidy=0.1), Parameters(subsidy=0.1, cost_linear=0.15),
    ...           Parameters(subsidy=0.1, cost_linear=0.2)]
    >>> eq = coopetition_equilibrium(groups, city_enrollees=1e6, enrollee_margin=0.002,
    ...                              quality_weight=0.8)
    >>> eq.converged, eq.sinking.round(1).tolist()
    (True, [610.9, 569.5, 507.7])
    >>> bool(abs(eq.foc_residual).max() < 1e-6)
    True
    """
    city = _city(
        consortia,
        city_enrollees=city_enrollees,
        enrollee_margin=enrollee_margin,
        quality_weight=quality_weight,
        price_weight=price_weight,
        premiums=premiums,
        platforms=platforms,
    )
    omega = _damping(damping)
    tol = float(check_domain("tol", tol, "positive"))
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 0:
        raise ValueError(f"max_iter must be an integer ≥ 0 (rounds); got {max_iter!r}")
    s = _per_consortium("start", start, len(city.consortia), "dd/yr")
    return _iterate(city, np.minimum(s, city.smax), omega=omega, tol=tol, max_iter=int(max_iter))


def _city(
    consortia: Sequence[Parameters],
    *,
    city_enrollees: float,
    enrollee_margin: float,
    quality_weight: float,
    price_weight: float,
    premiums: ArrayLike | None,
    platforms: SharedPlatforms | None = None,
) -> _City:
    """Validate the consortia and the city's residents into a :class:`_City`."""
    ps = tuple(consortia)
    if len(ps) < 2:
        raise ValueError(f"consortia must hold at least 2 parameter sets; got {len(ps)}")
    for p in ps:
        require_scalar(p, "coopetition_equilibrium")
    return _City(
        consortia=ps,
        enrollees=float(check_domain("city_enrollees", city_enrollees, "positive", "enrollees")),
        margin=float(check_domain("enrollee_margin", enrollee_margin, "nonneg", "万元/enrollee")),
        quality_weight=float(check_domain("quality_weight", quality_weight, "nonneg")),
        price_weight=float(check_domain("price_weight", price_weight, "nonneg", "1/万元")),
        premiums=_per_consortium("premiums", premiums, len(ps), "万元"),
        smax=np.array([p.max_sinking for p in ps], dtype=float),
        platforms=_platforms(platforms),
    )


def _platforms(platforms: SharedPlatforms | None) -> SharedPlatforms:
    if platforms is None:
        return SharedPlatforms()
    if not isinstance(platforms, SharedPlatforms):
        raise TypeError(f"platforms must be a SharedPlatforms or None; got {platforms!r}")
    return platforms


def _per_consortium(name: str, value: ArrayLike | None, k: int, unit: str) -> NDArray:
    """``value`` as k entries ≥ 0 (zeros when None), or ``ValueError`` naming ``name``."""
    if value is None:
        return np.zeros(k)
    arr = check_domain(name, value, "nonneg", unit)
    if arr.shape != (k,):
        raise ValueError(f"{name} must have one entry per consortium ({k}); got {arr.shape}")
    return arr


def _damping(damping: float) -> float:
    omega = float(check_domain("damping", damping, "share"))
    if omega == 0:
        raise ValueError("damping must be in (0, 1]; got 0.0")
    return omega


def _iterate(
    city: _City, s: NDArray, *, omega: float, tol: float, max_iter: int
) -> CoopetitionResult:
    """Damped simultaneous best responses from ``s`` until the largest change is small."""
    k = len(city.consortia)
    threshold = tol * float(city.smax.max())
    history = [s.copy()]
    change = np.inf
    while len(history) <= max_iter and change > threshold:
        target = np.array([city.best_response(i, s) for i in range(k)])  # Jacobi update
        new = (1 - omega) * s + omega * target
        change = float(np.abs(new - s).max())
        s = new
        history.append(s.copy())
    rounds = len(history) - 1
    u = np.array([float(city.utility(i, np.asarray(s[i]))) for i in range(k)])
    shares = np.exp(u - u.max()) / np.exp(u - u.max()).sum()
    pay = np.array(
        [float(city.objective(i, np.asarray(s[i]), city.rivals(i, s))) for i in range(k)]
    )
    income = np.array(
        [
            float(
                platform_income(
                    city.platforms, np.exp(u[i]), city.rivals(i, s), city.enrollees
                ).real
            )
            for i in range(k)
        ]
    )
    success = bool(change <= threshold)
    verdict = "converged" if success else "did not converge"
    return CoopetitionResult(
        sinking=s,
        enrollees=city.enrollees * shares,
        payoffs=pay,
        success=success,
        message=(
            f"{verdict} in {rounds} rounds: largest change {change:.3g} dd/yr "
            f"(threshold {threshold:.3g})"
        ),
        iterations=rounds,
        max_change=change,
        foc_residual=np.array([city.residual(i, s) for i in range(k)]),
        method=METHOD,
        tol=tol,
        history=np.array(history),
        platform_income=income,
    )
