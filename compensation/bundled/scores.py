r"""Performance scores from assessment indicators (MODEL.md §6, value-based assessment).

Indicators (health outcomes such as the chronic-disease control rate, efficiency such as the
average length of stay, patient satisfaction, collaboration such as the down-referral rate) are
normalised to [0, 1] against a floor and a target, in the indicator's good direction, and
weighted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._optional import require
from .._results import Result

__all__ = ["PerformanceScores", "performance_scores"]


@dataclass(frozen=True)
class PerformanceScores(Result):
    """Normalised indicators and weighted scores (dimensionless).

    Attributes
    ----------
    normalised : ndarray, shape (members, indicators)
        Each indicator mapped to [0, 1] (0 at or below the floor, 1 at or beyond the target).
    scores : ndarray, shape (members,)
        Weighted sums, in [0, 1].
    names : tuple of str
        Indicator names (default "indicator k").
    """

    normalised: NDArray[np.float64]
    scores: NDArray[np.float64]
    names: tuple[str, ...] = ()

    def to_frame(self) -> Any:
        """One row per member: the normalised indicators, then ``score``.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            Without pandas (``pip install 'compensation[frame]'``).
        """
        pd = require("pandas")
        k = self.normalised.shape[1]
        columns = list(self.names) or [f"indicator {i}" for i in range(k)]
        frame = pd.DataFrame(self.normalised, columns=columns)
        frame["score"] = self.scores
        return frame


def performance_scores(
    indicators: ArrayLike,
    directions: Sequence[str],
    floors: ArrayLike,
    targets: ArrayLike,
    weights: ArrayLike,
    *,
    names: Sequence[str] | None = None,
) -> PerformanceScores:
    r"""Normalise members' indicators against floors and targets and weight them.

    Parameters
    ----------
    indicators : array_like, shape (members, indicators)
        Observed values; NaN is an error (impute before scoring).
    directions : sequence of {"higher", "lower"}
        Whether more of each indicator is better.
    floors, targets : array_like, shape (indicators,)
        Values scoring 0 and 1. For "higher" indicators floor < target; for "lower" ones
        floor > target (e.g. length of stay: floor 12 days, target 7 days).
    weights : array_like, shape (indicators,)
        Non-negative weights summing to 1.
    names : sequence of str, optional
        Indicator names, used in error messages and kept in the result.

    Returns
    -------
    PerformanceScores
        The normalised indicators :math:`z_{jk}` and the scores :math:`S_j`, in [0, 1].

    Raises
    ------
    ValueError
        ``indicators`` not a (members, indicators) table or holding NaN or inf (the message
        names the first member and indicator); ``names``, ``directions``, ``floors``,
        ``targets`` or ``weights`` without one finite entry per indicator; a direction other
        than "higher" or "lower"; weights negative or not summing to 1; a floor on the wrong
        side of its target.

    Notes
    -----
    .. math:: z_{jk} = \operatorname{clip}\left(\frac{y_{jk} - f_k}{t_k - f_k}, 0, 1\right),
              \qquad S_j = \sum_k w_k z_{jk}

    (the same formula serves both directions because :math:`t_k - f_k` changes sign).

    Examples
    --------
    >>> from compensation import performance_scores
    >>> ps = performance_scores([[0.70, 9.0], [0.55, 11.0]], ["higher", "lower"],
    ...                         floors=[0.5, 12.0], targets=[0.8, 7.0], weights=[0.6, 0.4])
    >>> ps.scores.round(4).tolist()
    [0.64, 0.18]
    >>> ps
    PerformanceScores(normalised=[[0.666667, 0.6], [0.166667, 0.2]], scores=[0.64, 0.18],
                      names=('indicator 0', 'indicator 1'))
    """
    y = np.asarray(indicators, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"indicators must be a (members, indicators) table; got shape {y.shape}")
    k = y.shape[1]
    label = list(names) if names is not None else [f"indicator {i}" for i in range(k)]
    if len(label) != k or len(directions) != k:
        raise ValueError(f"names and directions must have {k} entries (one per indicator)")
    f = np.asarray(floors, dtype=float)
    t = np.asarray(targets, dtype=float)
    w = np.asarray(weights, dtype=float)
    for arr, what in ((f, "floors"), (t, "targets"), (w, "weights")):
        if arr.shape != (k,) or not np.isfinite(arr).all():
            raise ValueError(f"{what} must be {k} finite numbers; got {arr.tolist()}")
    missing = np.argwhere(~np.isfinite(y))
    if missing.size:
        j, i = missing[0]
        raise ValueError(
            f"indicators has {len(missing)} missing or non-finite values; first: member {j}, "
            f"{label[i]} = {float(y[j, i])!r}"
        )
    if np.any(w < 0) or abs(w.sum() - 1) > 1e-9:
        raise ValueError(f"weights must be ≥ 0 and sum to 1; got sum {w.sum():.12g}")
    for i, d in enumerate(directions):
        if d not in ("higher", "lower"):
            raise ValueError(f"directions[{i}] must be 'higher' or 'lower'; got {d!r}")
        good = t[i] > f[i] if d == "higher" else t[i] < f[i]
        if not good:
            rel = "below" if d == "higher" else "above"
            raise ValueError(
                f"{label[i]}: the floor must lie {rel} the target for a {d!r}-is-better "
                f"indicator; got floor {f[i]:g}, target {t[i]:g}"
            )
    z = np.clip((y - f) / (t - f), 0.0, 1.0)
    return PerformanceScores(z, z @ w, tuple(label))
