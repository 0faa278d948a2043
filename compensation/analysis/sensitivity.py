r"""Local elasticities and one-at-a-time tornado analysis (MODEL.md §8)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .._validation import suggest
from ..model.parameters import FIELDS, Parameters

__all__ = ["TornadoBar", "elasticities", "tornado"]


def _check(names: Sequence[str]) -> None:
    for n in names:
        if n not in FIELDS:
            raise ValueError(f"unknown parameter {n!r}{suggest(n, FIELDS)}")


def elasticities(
    fn: Callable[[Parameters], float],
    p: Parameters,
    names: Sequence[str],
    *,
    rel_step: float = 1e-4,
) -> dict[str, float]:
    r"""Elasticity of ``fn`` with respect to each named parameter at ``p``.

    .. math:: \varepsilon_k = \frac{\partial \ln f}{\partial \ln \theta_k}
              \approx \frac{f(\theta_k (1+h)) - f(\theta_k (1-h))}{2 h\, f(\theta)}

    Parameters at 0 (or where ``fn`` is 0 or not finite) give NaN: an elasticity is not
    defined there.

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
class TornadoBar:
    """Effect of moving one parameter across its range, others fixed."""

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
    """One-at-a-time sensitivity: bars sorted by swing, largest first.

    Examples
    --------
    >>> from compensation import Parameters, threshold_subsidy, tornado
    >>> bars = tornado(lambda q: float(threshold_subsidy(q)), Parameters(),
    ...                {"price": (0.0, 0.05), "brand_benefit": (0.0, 0.04)})
    >>> [(b.name, round(b.swing, 3)) for b in bars]
    [('price', 0.05), ('brand_benefit', 0.04)]
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
