r"""Global, variance-based sensitivity (Sobol indices) and Morris screening, with SALib.

A tornado (:func:`~compensation.analysis.sensitivity.tornado`) moves one parameter at a time
around one point; reviewers of health-economics models expect *global* sensitivity, over the
whole plausible range of every parameter at once. SALib (``pip install
'compensation[sensitivity]'``), the field's standard library, draws the design and estimates
the indices; the model is evaluated on the whole design in one vectorised call, as one
:class:`Parameters` with array fields (10⁵ runs of a threshold in well under a second).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._optional import require
from .._results import Result
from ..model.fields import parameter_name
from ..model.parameters import FIELDS, Parameters
from .draws import inside
from .uncertainty import evaluate

__all__ = ["MorrisResult", "SobolIndices", "morris_screening", "sobol_indices"]


def salib(module: str) -> Any:
    """Import a SALib module, naming the extra that installs it.

    Parameters
    ----------
    module : str
        E.g. ``"SALib.sample.sobol"``.

    Returns
    -------
    module

    Raises
    ------
    ImportError
        Without SALib, with ``pip install 'compensation[sensitivity]'``.
    """
    return require(module, "global sensitivity")


def problem_of(
    ranges: Mapping[str, tuple[float, float]], base: Parameters
) -> tuple[dict[str, Any], list[str]]:
    """SALib's problem dictionary for named parameter ranges, checked against the domains.

    Parameters
    ----------
    ranges : mapping of str to (float, float)
        Parameter → ``(low, high)`` in its unit, ``low < high``, both inside its domain.
    base : Parameters
        Scalar values of the other parameters.

    Returns
    -------
    problem : dict
        ``num_vars``, ``names``, ``bounds``.
    names : list of str
        The parameters, under their current names.

    Raises
    ------
    ValueError
        No ranges; an unknown parameter; bounds not finite, not ``low < high`` or outside the
        parameter's domain; ``base`` with array fields.
    """
    if base.shape != ():
        raise ValueError(f"base must be scalar parameters; got array fields of shape {base.shape}")
    if not ranges:
        raise ValueError("ranges must name at least one parameter")
    names, bounds = [], []
    for old, rng in ranges.items():
        name = parameter_name(old, stacklevel=6)
        try:
            lo, hi = (float(v) for v in rng)
        except (TypeError, ValueError):
            raise ValueError(f"ranges[{name!r}] must be (low, high); got {rng!r}") from None
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"ranges[{name!r}] must be finite with low < high; got {rng!r}")
        if not inside(name, np.array([lo, hi])).all():
            f = FIELDS[name]
            raise ValueError(
                f"ranges[{name!r}] = ({lo:g}, {hi:g}) leaves the parameter's domain "
                f"({f.domain}, {f.unit})"
            )
        names.append(name)
        bounds.append([lo, hi])
    return {"num_vars": len(names), "names": names, "bounds": bounds}, names


def _run(
    fn: Callable[[Parameters], ArrayLike], base: Parameters, names: list[str], x: NDArray[Any]
) -> NDArray[np.float64]:
    y = evaluate(fn, base.replace(**{n: x[:, i] for i, n in enumerate(names)}))
    if not np.all(np.isfinite(y)):
        bad = int(np.argmin(np.isfinite(y)))
        point = ", ".join(f"{n}={x[bad, i]:.6g}" for i, n in enumerate(names))
        raise ValueError(
            f"fn is not finite at {int((~np.isfinite(y)).sum()):,} of {y.size:,} design points "
            f"(first at {point}); variance-based indices need a finite output: narrow the "
            "ranges, or study a bounded transform (e.g. whether the threshold is below a value)"
        )
    return y


@dataclass(frozen=True)
class SobolIndices(Result):
    r"""Result of :func:`sobol_indices`.

    Attributes
    ----------
    names : tuple of str
        The parameters varied.
    first, total : ndarray
        First-order :math:`S_i` and total-order :math:`S_{T_i}` indices, shares of the
        output's variance (dimensionless).
    first_conf, total_conf : ndarray
        Half-widths of their bootstrap confidence intervals at ``level``.
    second : ndarray or None
        Second-order indices :math:`S_{ij}` (upper triangle, NaN elsewhere), if computed.
    level : float
        Confidence level of the intervals.
    runs : int
        Model evaluations, :math:`N(k + 2)` (or :math:`N(2k + 2)` with second order).
    variance : float
        Variance of the output over the design, in its unit squared.
    method : str
        ``"saltelli/sobol (SALib)"``.
    """

    names: tuple[str, ...]
    first: NDArray[np.float64]
    total: NDArray[np.float64]
    first_conf: NDArray[np.float64]
    total_conf: NDArray[np.float64]
    second: NDArray[np.float64] | None = field(repr=False)
    level: float
    runs: int
    variance: float
    method: str = "saltelli/sobol (SALib)"

    def to_frame(self) -> Any:
        """The indices as a table, one row a parameter.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``S1``, ``S1_conf``, ``ST``, ``ST_conf``.
        """
        pd = require("pandas")
        return pd.DataFrame(
            {
                "S1": self.first,
                "S1_conf": self.first_conf,
                "ST": self.total,
                "ST_conf": self.total_conf,
            },
            index=pd.Index(list(self.names), name="parameter"),
        )


def sobol_indices(
    fn: Callable[[Parameters], ArrayLike],
    ranges: Mapping[str, tuple[float, float]],
    *,
    base: Parameters | None = None,
    n: int = 4096,
    second_order: bool = False,
    level: float = 0.95,
    seed: int = 0,
) -> SobolIndices:
    r"""Sobol first- and total-order indices of ``fn`` over uniform parameter ranges.

    Parameters
    ----------
    fn : callable
        Function of :class:`Parameters` returning one finite number per point, vectorised
        over array-valued parameters (every function of this library is).
    ranges : mapping of str to (float, float)
        Parameter → ``(low, high)``, each varied uniformly and independently, in its unit.
    base : Parameters, optional
        Values of the other parameters (default :class:`Parameters` ()).
    n : int, default 4096
        Base sample size :math:`N`, a power of 2 (Sobol' sequences lose their balance
        otherwise); the model runs :math:`N(k+2)` times.
    second_order : bool, default False
        Also estimate :math:`S_{ij}` (runs :math:`N(2k+2)`).
    level : float, default 0.95
        Confidence level of the bootstrap intervals, in (0, 1).
    seed : int, default 0
        Seed of the scrambled Sobol' design and of the bootstrap.

    Returns
    -------
    SobolIndices
        ``.first``, ``.total`` with confidence half-widths; ``.to_frame()`` for a table and
        :func:`compensation.plotting.sobol_chart` for bars.

    Raises
    ------
    ValueError
        Bad ranges (see :func:`problem_of`); ``n`` not a power of 2; ``level`` outside
        (0, 1); ``fn`` not finite or not one value per point on the design.
    ImportError
        Without SALib (``pip install 'compensation[sensitivity]'``).

    Notes
    -----
    With :math:`Y = f(X_1, \dots, X_k)` and independent inputs,

    .. math:: S_i = \frac{V[E(Y \mid X_i)]}{V(Y)}, \qquad
              S_{T_i} = \frac{E[V(Y \mid X_{\sim i})]}{V(Y)} = 1 - \frac{V[E(Y \mid
              X_{\sim i})]}{V(Y)},

    estimated by Saltelli's scheme (Saltelli et al. 2010) as SALib implements it.
    :math:`S_{T_i} - S_i` is the share of variance from :math:`X_i`'s interactions;
    :math:`\sum_i S_i = 1` for an additive model.

    Examples
    --------
    >>> from compensation.analysis.global_sensitivity import sobol_indices
    >>> from compensation.policy.thresholds import threshold_subsidy
    >>> s = sobol_indices(threshold_subsidy, {"price": (0.0, 0.04),
    ...                                       "brand_benefit": (0.0, 0.02)}, n=1024)
    >>> s.first.round(2).tolist(), s.runs
    ([0.8, 0.2], 4096)
    """
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"level must be in (0, 1) (a probability); got {level!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2 or n & (n - 1):
        raise ValueError(f"n must be a power of 2, ≥ 2 (e.g. 1024, 4096); got {n!r}")
    base = Parameters() if base is None else base
    problem, names = problem_of(ranges, base)
    sample, analyze = salib("SALib.sample.sobol"), salib("SALib.analyze.sobol")
    x = sample.sample(problem, n, calc_second_order=second_order, seed=seed)
    y = _run(fn, base, names, x)
    s = analyze.analyze(problem, y, calc_second_order=second_order, conf_level=level, seed=seed)
    return SobolIndices(
        names=tuple(names),
        first=np.asarray(s["S1"], dtype=float),
        total=np.asarray(s["ST"], dtype=float),
        first_conf=np.asarray(s["S1_conf"], dtype=float),
        total_conf=np.asarray(s["ST_conf"], dtype=float),
        second=np.asarray(s["S2"], dtype=float) if second_order else None,
        level=float(level),
        runs=int(y.size),
        variance=float(y.var()),
    )


@dataclass(frozen=True)
class MorrisResult(Result):
    r"""Result of :func:`morris_screening`.

    Attributes
    ----------
    names : tuple of str
        The parameters screened.
    mu_star : ndarray
        :math:`\mu^*_i`, mean absolute elementary effect, in ``fn``'s unit per the
        parameter's whole range: how much the parameter matters.
    mu_star_conf : ndarray
        Half-width of its bootstrap confidence interval at ``level``.
    mu : ndarray
        Mean elementary effect (signed; cancels when the effect changes sign).
    sigma : ndarray
        Standard deviation of the elementary effects: nonlinearity or interactions.
    level : float
        Confidence level.
    runs : int
        Model evaluations, :math:`r(k+1)` for :math:`r` trajectories.
    method : str
        ``"morris (SALib)"``.
    """

    names: tuple[str, ...]
    mu_star: NDArray[np.float64]
    mu_star_conf: NDArray[np.float64]
    mu: NDArray[np.float64]
    sigma: NDArray[np.float64]
    level: float
    runs: int
    method: str = "morris (SALib)"

    def to_frame(self) -> Any:
        """The screening as a table, one row a parameter, by decreasing ``mu_star``.

        Returns
        -------
        pandas.DataFrame
            Index ``parameter``; columns ``mu_star``, ``mu_star_conf``, ``mu``, ``sigma``.
        """
        pd = require("pandas")
        frame = pd.DataFrame(
            {
                "mu_star": self.mu_star,
                "mu_star_conf": self.mu_star_conf,
                "mu": self.mu,
                "sigma": self.sigma,
            },
            index=pd.Index(list(self.names), name="parameter"),
        )
        return frame.sort_values("mu_star", ascending=False)


def morris_screening(
    fn: Callable[[Parameters], ArrayLike],
    ranges: Mapping[str, tuple[float, float]],
    *,
    base: Parameters | None = None,
    trajectories: int = 100,
    levels: int = 4,
    level: float = 0.95,
    seed: int = 0,
) -> MorrisResult:
    r"""Morris elementary-effects screening of ``fn`` over parameter ranges.

    Parameters
    ----------
    fn : callable
        Vectorised function of :class:`Parameters` returning one finite number per point.
    ranges : mapping of str to (float, float)
        Parameter → ``(low, high)`` in its unit.
    base : Parameters, optional
        Values of the other parameters.
    trajectories : int, default 100
        Number of one-at-a-time trajectories :math:`r`, ≥ 2.
    levels : int, default 4
        Grid levels :math:`p` of each range, an even number ≥ 2.
    level : float, default 0.95
        Confidence level of ``mu_star_conf``.
    seed : int, default 0
        Seed of the design and bootstrap.

    Returns
    -------
    MorrisResult
        :math:`\mu^*`, :math:`\mu`, :math:`\sigma` per parameter.

    Raises
    ------
    ValueError
        Bad ranges; ``trajectories`` < 2; ``levels`` odd or < 2; ``fn`` not finite.
    ImportError
        Without SALib (``pip install 'compensation[sensitivity]'``).

    Notes
    -----
    The elementary effect of parameter :math:`i` at a design point :math:`x` is
    :math:`EE_i = [f(x + \Delta e_i) - f(x)] / \Delta` with :math:`\Delta = p / (2(p-1))`
    of the range (scaled to [0, 1]); :math:`\mu^*_i = E|EE_i|` ranks parameters at
    :math:`r(k+1)` runs, far fewer than Sobol indices need (Campolongo et al. 2007).

    Examples
    --------
    >>> from compensation.analysis.global_sensitivity import morris_screening
    >>> from compensation.policy.thresholds import threshold_subsidy
    >>> m = morris_screening(threshold_subsidy, {"price": (0.0, 0.04),
    ...                                          "brand_benefit": (0.0, 0.02)})
    >>> m.mu.round(4).tolist(), m.runs
    ([-0.04, -0.02], 300)
    """
    if not (isinstance(level, (int, float)) and 0 < level < 1):
        raise ValueError(f"level must be in (0, 1) (a probability); got {level!r}")
    if isinstance(trajectories, bool) or not isinstance(trajectories, int) or trajectories < 2:
        raise ValueError(f"trajectories must be a whole number ≥ 2; got {trajectories!r}")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2 or levels % 2:
        raise ValueError(f"levels must be an even number ≥ 2; got {levels!r}")
    base = Parameters() if base is None else base
    problem, names = problem_of(ranges, base)
    sample, analyze = salib("SALib.sample.morris"), salib("SALib.analyze.morris")
    x = sample.sample(problem, trajectories, num_levels=levels, seed=seed)
    y = _run(fn, base, names, x)
    m = analyze.analyze(problem, x, y, conf_level=level, num_levels=levels, seed=seed)
    return MorrisResult(
        names=tuple(names),
        mu_star=np.asarray(m["mu_star"], dtype=float),
        mu_star_conf=np.asarray(m["mu_star_conf"], dtype=float),
        mu=np.asarray(m["mu"], dtype=float),
        sigma=np.asarray(m["sigma"], dtype=float),
        level=float(level),
        runs=int(y.size),
    )
