r"""Parameter draws for uncertainty analysis: from a calibration, a covariance or distributions.

A calibration gives estimates :math:`\hat\theta` with a covariance :math:`\hat\Sigma`; the
number a report needs is a policy quantity :math:`f(\theta)` (a threshold subsidy, the optimal
subsidy). :func:`draw_parameters` draws parameter sets as *one* :class:`Parameters` with array
fields, so that every vectorised function of the library evaluates all draws in one call;
:func:`propagate` returns the distribution of :math:`f` with its percentile interval beside
the delta-method interval :math:`f(\hat\theta) \pm z \sqrt{\nabla f^\top \hat\Sigma \nabla f}`;
:func:`acceptability_curve` gives the probability that sinking pays at each subsidy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..model.fields import FIELDS, parameter_name, within
from ..model.parameters import Parameters
from .calibration import CalibrationResult

__all__ = ["Moments", "Source", "draw_parameters", "inside", "moments_of", "sample_draws"]

#: What :func:`draw_parameters` accepts: a calibration, ``(mean, covariance)``, or a mapping
#: of parameter names to distributions (anything with ``rvs``, ``mean`` and ``var``, such as
#: a frozen :mod:`scipy.stats` distribution).
Source = CalibrationResult | tuple[Mapping[str, float], ArrayLike] | Mapping[str, Any]
#: Rounds of redrawing out-of-range draws before giving up.
REDRAWS = 50


@dataclass(frozen=True)
class Moments:
    """Centre and covariance of the uncertain parameters, and how to draw them."""

    names: tuple[str, ...]
    mean: NDArray[np.float64]
    cov: NDArray[np.float64]
    base: Parameters
    sample: Callable[[int, np.random.Generator], NDArray[np.float64]]


def _names(keys: Any) -> tuple[str, ...]:
    names = tuple(parameter_name(str(k), stacklevel=6) for k in keys)
    if not names:
        raise ValueError("the source names no uncertain parameter")
    return names


def _normal(
    names: tuple[str, ...], mean: NDArray[np.float64], cov: NDArray[np.float64], base: Parameters
) -> Moments:
    k = len(names)
    if mean.shape != (k,) or cov.shape != (k, k):
        raise ValueError(
            f"covariance must be {k} × {k} for the {k} parameters {list(names)}; got shape "
            f"{cov.shape}"
        )
    if not (np.all(np.isfinite(cov)) and np.all(np.isfinite(mean))):
        raise ValueError(
            "the covariance has NaN or inf entries (standard errors not available: an exactly "
            "identified calibration needs more moments, or known_errors=True)"
        )
    if not np.allclose(cov, cov.T) or np.linalg.eigvalsh((cov + cov.T) / 2).min() < -1e-12 * max(
        1.0, float(np.abs(cov).max())
    ):
        raise ValueError("covariance must be symmetric positive semi-definite")

    def sample(n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        return rng.multivariate_normal(mean, cov, size=n, method="eigh")

    return Moments(names, mean, cov, base, sample)


def moments_of(source: Source, base: Parameters | None = None) -> Moments:
    """Centre, covariance and sampler of a source (see :data:`Source`).

    Parameters
    ----------
    source : CalibrationResult, (mapping, array_like) or mapping of str to distribution
        A calibration (multivariate normal at its estimates with its covariance), a mean
        and covariance (normal), or independent distributions per parameter.
    base : Parameters, optional
        Values of the other parameters (default: the calibration's parameters, or
        :class:`Parameters` ()).

    Returns
    -------
    Moments
        ``names``, ``mean``, ``cov``, ``base`` and ``sample(n, rng)`` (an ``(n, k)`` array).

    Raises
    ------
    ValueError
        Unknown parameter names; a covariance of the wrong shape, not finite, or not
        positive semi-definite.
    TypeError
        A distribution without ``rvs``, ``mean`` and ``var``.
    """
    if isinstance(source, CalibrationResult):
        names = _names(source.estimates)
        mean = np.array([source.estimates[n] for n in source.estimates], dtype=float)
        cov = np.asarray(source.covariance, dtype=float)
        return _normal(names, mean, cov, source.parameters if base is None else base)
    base = Parameters() if base is None else base
    if isinstance(source, tuple):
        centre, cov_like = source
        names = _names(centre)
        mean = np.array([float(centre[n]) for n in centre])
        cov = np.atleast_2d(np.asarray(cov_like, dtype=float))
        return _normal(names, mean, cov, base)
    names = _names(source)
    dists = list(source.values())
    for n, d in zip(names, dists):
        if not all(hasattr(d, a) for a in ("rvs", "mean", "var")):
            raise TypeError(
                f"the distribution of {n!r} must have rvs, mean and var (a frozen scipy.stats "
                f"distribution such as scipy.stats.norm(0.05, 0.01)); got {d!r}"
            )
    mean = np.array([float(d.mean()) for d in dists])
    cov = np.diag([float(d.var()) for d in dists])

    def sample(n: int, rng: np.random.Generator) -> NDArray[np.float64]:
        return np.column_stack([d.rvs(size=n, random_state=rng) for d in dists])

    return Moments(names, mean, cov, base, sample)


def inside(name: str, values: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Which values :class:`Parameters` accepts for the parameter ``name``.

    Parameters
    ----------
    name : str
        A parameter name.
    values : ndarray
        Candidate values, in the parameter's unit.

    Returns
    -------
    ndarray of bool
        True where the value is inside the parameter's domain.
    """
    return within(FIELDS[name].domain, values)


def _draw_matrix(m: Moments, n: int, seed: int | None) -> tuple[NDArray[np.float64], float]:
    """``n`` draws inside every parameter's domain, and the share of draws redrawn."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, len(m.names)))
    filled, tried = 0, 0
    for _ in range(REDRAWS):
        need = n - filled
        batch = m.sample(max(need, 16), rng).reshape(-1, len(m.names))
        tried += batch.shape[0]
        ok = np.all([inside(nm, batch[:, i]) for i, nm in enumerate(m.names)], axis=0)
        good = batch[ok][:need]
        out[filled : filled + good.shape[0]] = good
        filled += good.shape[0]
        if filled == n:
            return out, 1 - n / tried
    raise ValueError(
        f"fewer than {filled / max(tried, 1):.1%} of the draws fall inside the parameters' "
        f"ranges ({', '.join(f'{nm}: {FIELDS[nm].domain}' for nm in m.names)}); the "
        "distribution puts nearly all its mass where the model is undefined"
    )


def draw_parameters(
    source: Source, n: int = 10_000, *, seed: int | None = 0, base: Parameters | None = None
) -> Parameters:
    r"""Draw ``n`` parameter sets as one :class:`Parameters` with array fields of shape (n,).

    Parameters
    ----------
    source : CalibrationResult, (mapping, array_like) or mapping of str to distribution
        A calibration (draws from :math:`N(\hat\theta, \hat\Sigma)`), a mean with its
        covariance (normal), or independent distributions per parameter (frozen
        :mod:`scipy.stats` distributions, in each parameter's unit).
    n : int, default 10,000
        Number of draws, ≥ 1.
    seed : int or None, default 0
        Seed of numpy's default generator (None: fresh entropy).
    base : Parameters, optional
        Values of the parameters not drawn.

    Returns
    -------
    p : Parameters
        The drawn parameters hold arrays of shape ``(n,)``; the rest are scalars. Draws outside
        a parameter's domain (a negative cost from a normal) are redrawn: the distribution is
        truncated to the model's domain.

    Raises
    ------
    ValueError
        ``n`` < 1; see :func:`moments_of`; almost no draw inside the domain.

    Examples
    --------
    >>> from scipy import stats
    >>> from compensation.analysis.draws import draw_parameters
    >>> p = draw_parameters({"price": stats.norm(0.05, 0.01)}, 1000, seed=1)
    >>> p.shape, round(float(p.price.mean()), 2)
    ((1000,), 0.05)
    """
    return sample_draws(moments_of(source, base), n, seed)[0]


def sample_draws(m: Moments, n: int, seed: int | None) -> tuple[Parameters, float]:
    """Draws of :func:`draw_parameters` for known moments, and the share redrawn.

    Parameters
    ----------
    m : Moments
        From :func:`moments_of`.
    n : int
        Number of draws, ≥ 1.
    seed : int or None
        Seed of numpy's default generator.

    Returns
    -------
    p : Parameters
        Array fields of shape (n,) for the drawn parameters.
    redrawn : float
        Share of draws that fell outside a domain and were drawn again.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"draws must be a whole number ≥ 1; got {n!r}")
    x, redrawn = _draw_matrix(m, int(n), seed)
    return m.base.replace(**{nm: x[:, i] for i, nm in enumerate(m.names)}), redrawn
