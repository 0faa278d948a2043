r"""Local elasticities and one-at-a-time tornado analysis (MODEL.md §8)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._results import Result
from ..model.fields import parameter_name
from ..model.parameters import Parameters

__all__ = ["TornadoBar", "elasticities", "tornado"]


def _check(names: Sequence[str]) -> None:
    for n in names:
        parameter_name(n, stacklevel=5)


def elasticities(
    fn: Callable[[Parameters], float],
    p: Parameters,
    names: Sequence[str],
    *,
    rel_step: float = 1e-4,
) -> dict[str, float]:
    r"""Elasticity of ``fn`` with respect to each named parameter at ``p``.

    Parameters
    ----------
    fn : callable
        Function of scalar :class:`Parameters` returning a number.
    p : Parameters
        The point (scalar parameters) at which to differentiate.
    names : sequence of str
        Parameters to differentiate with respect to.
    rel_step : float, default 1e-4
        Relative step :math:`h` of the central difference.

    Returns
    -------
    dict of str to float
        :math:`\varepsilon_k`, dimensionless: the % change of ``fn`` per 1% change of the
        parameter. Parameters at 0 (or where ``fn`` is 0 or not finite) give NaN: an
        elasticity is not defined there.

    Raises
    ------
    ValueError
        A name that is no parameter (with the closest one); a stepped value outside the
        parameter's range (a parameter at a bound of its range: lower ``rel_step`` or move
        ``p``).
    TypeError
        ``fn`` returns something that is not one number.

    Notes
    -----
    .. math:: \varepsilon_k = \frac{\partial \ln f}{\partial \ln \theta_k}
              \approx \frac{f(\theta_k (1+h)) - f(\theta_k (1-h))}{2 h\, f(\theta)}

    Examples
    --------
    >>> from compensation import Parameters, elasticities, threshold_subsidy
    >>> e = elasticities(lambda q: float(threshold_subsidy(q)), Parameters(),
    ...                  ["cost_quadratic", "price"])
    >>> {k: round(v, 3) for k, v in e.items()}
    {'cost_quadratic': 0.183, 'price': -0.305}
    """
    _check(names)
    f0 = float(fn(p))
    out = {}
    for n in names:
        v = float(getattr(p, n))
        if v == 0 or f0 == 0 or not np.isfinite(f0):
            out[n] = float("nan")
            continue
        up = float(fn(p.replace(**{n: v * (1 + rel_step)})))
        down = float(fn(p.replace(**{n: v * (1 - rel_step)})))
        out[n] = (up - down) / (2 * rel_step * f0)
    return out


@dataclass(frozen=True)
class TornadoBar(Result):
    """Effect of moving one parameter across its range, others fixed.

    Attributes
    ----------
    name : str
        The parameter moved.
    low, high : float
        The ends of its range, in its unit.
    value_at_low, value_at_high : float
        The outcome at each end, in the unit of the function's output.
    """

    name: str
    low: float
    high: float
    value_at_low: float
    value_at_high: float

    @property
    def swing(self) -> float:
        """Absolute difference of the outcome between the two ends."""
        return abs(self.value_at_high - self.value_at_low)


def tornado(
    fn: Callable[[Parameters], float],
    p: Parameters,
    ranges: Mapping[str, tuple[float, float]],
) -> list[TornadoBar]:
    r"""One-at-a-time sensitivity: bars sorted by swing, largest first.

    Parameters
    ----------
    fn : callable
        Function of scalar :class:`Parameters` returning a number.
    p : Parameters
        The base point; each parameter moves alone from it.
    ranges : mapping of str to (float, float)
        Parameter name → (low, high), in the parameter's unit.

    Returns
    -------
    list of TornadoBar
        One bar per parameter, by decreasing swing :math:`|f(\text{high}) - f(\text{low})|`
        (bars with an infinite or NaN swing last).

    Raises
    ------
    ValueError
        A name that is no parameter (with the closest one); an end outside the parameter's
        range.
    TypeError
        ``fn`` returns something that is not one number.

    Examples
    --------
    >>> from compensation import Parameters, threshold_subsidy, tornado
    >>> bars = tornado(lambda q: float(threshold_subsidy(q)), Parameters(),
    ...                {"price": (0.0, 0.05), "brand_benefit": (0.0, 0.04)})
    >>> [(b.name, round(b.swing, 3)) for b in bars]
    [('price', 0.05), ('brand_benefit', 0.04)]
    >>> bars[0]
    TornadoBar(name='price', low=0.0, high=0.05, value_at_low=0.214, value_at_high=0.164)
    """
    _check(list(ranges))
    bars = []
    for n, (lo, hi) in ranges.items():
        bars.append(
            TornadoBar(
                n,
                float(lo),
                float(hi),
                float(fn(p.replace(**{n: lo}))),
                float(fn(p.replace(**{n: hi}))),
            )
        )
    return sorted(bars, key=lambda b: -b.swing if np.isfinite(b.swing) else -np.inf)
