r"""Bankruptcy rules for sharing a loss or a short estate (MODEL.md §11; 合理超支分担).

An estate :math:`E` is divided among claims :math:`c_j` with :math:`E \le \sum_j c_j`. For an
overrun the estate is the loss the consortium must absorb and the award :math:`x_j` is the
part member :math:`j` bears (at most its claim: its overspend, or its budget share). Every
rule here is *parametric* (Young 1987): :math:`x_j = f(c_j, \lambda)`, increasing in
:math:`\lambda`, which is found so that :math:`\sum_j x_j = E`; per-member caps (stop-loss
limits) clip :math:`f` at :math:`\bar x_j` with the same :math:`\lambda` for everyone else.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_choice, check_domain
from ..exceptions import InfeasibleError
from ._coalitions import subset_sums

__all__ = ["RULES", "Bankruptcy", "bankruptcy", "bankruptcy_game"]

RULES = ("talmud", "proportional", "cea", "cel")
Array = NDArray[np.float64]


@dataclass(frozen=True)
class Bankruptcy(Result):
    r"""Result of :func:`bankruptcy`, in the unit of the estate (万元 here).

    Attributes
    ----------
    awards : ndarray, shape (n,)
        :math:`x_j`: what each claimant receives (for a loss: the part it bears); they sum to
        the estate, :math:`0 \le x_j \le \min(c_j, \bar x_j)`.
    losses : ndarray, shape (n,)
        :math:`c_j - x_j`, each claim's shortfall.
    rule : str
        The rule applied.
    estate : float
        :math:`E`.
    claims : ndarray, shape (n,)
        :math:`c_j`.
    capped : tuple of str
        Names of the claimants held at their cap.
    names : tuple of str
        Claimant names.
    parameter : float
        The rule's :math:`\lambda` at the solution.
    """

    awards: Array
    losses: Array
    rule: str
    estate: float
    claims: Array
    capped: tuple[str, ...]
    names: tuple[str, ...]
    parameter: float


def _award(rule: str, c: Array, lam: float) -> Array:
    r"""The rule's parametric award :math:`f(c_j, \lambda)`, increasing in λ."""
    if rule == "proportional":
        return lam * c
    if rule == "cea":
        return np.minimum(c, lam)
    if rule == "cel":  # λ runs from 0 (everyone loses max c) up to max c (nobody loses)
        return np.maximum(0.0, c - (c.max() - lam))
    top = c.max() / 2  # Talmud: CEA on half-claims up to λ = top, then CEL on the other halves
    return np.minimum(c / 2, lam) + np.maximum(0.0, c / 2 - (2 * top - lam))


def _top(rule: str, c: Array) -> float:
    """The λ at which every claim is paid in full."""
    return 1.0 if rule == "proportional" else float(c.max())


def bankruptcy(
    estate: float,
    claims: ArrayLike,
    rule: str = "talmud",
    *,
    caps: ArrayLike | None = None,
    names: Sequence[str] | None = None,
) -> Bankruptcy:
    r"""Divide an estate among claims: proportional, CEA, CEL or the Talmud rule.

    Parameters
    ----------
    estate : float
        :math:`E \ge 0` (万元): what is divided; for an overrun, the loss to be borne.
    claims : array_like, shape (n,)
        :math:`c_j \ge 0` (万元), with :math:`\sum_j c_j \ge E`.
    rule : {"talmud", "proportional", "cea", "cel"}
        The division rule (see Notes).
    caps : array_like, shape (n,), optional
        :math:`\bar x_j \ge 0` (万元; ``inf`` for none): the most claimant j can receive (for
        a loss: its stop-loss limit); the others share what the caps leave.
    names : sequence of str, optional
        Claimant names (default "member j").

    Returns
    -------
    Bankruptcy
        ``.awards`` summing to :math:`E`, ``.losses``, the claimants ``.capped`` and the
        rule's parameter.

    Raises
    ------
    ValueError
        A negative, NaN or infinite estate or claim, a negative or NaN cap, arrays of the
        wrong length, or an unknown rule.
    InfeasibleError
        When :math:`E` exceeds :math:`\sum_j \min(c_j, \bar x_j)`; ``.constraints`` names
        the claims and caps that bind.

    Notes
    -----
    With :math:`\lambda` chosen so that :math:`\sum_j x_j = E` and
    :math:`x_j = \min(\bar x_j, f(c_j, \lambda))`:

    .. math::

        \text{proportional: } f = \lambda c_j, \quad
        \text{CEA: } f = \min(c_j, \lambda), \quad
        \text{CEL: } f = \max(0, c_j - \lambda'),

    and the Talmud rule (Aumann and Maschler 1985), CEA on half-claims while
    :math:`E \le \sum_j c_j / 2`, then half the claims plus CEL on the other halves:
    :math:`f = \min(c_j/2, \lambda) + \max(0, c_j/2 - \lambda')`. Without caps the Talmud
    rule is the nucleolus of the bankruptcy game :math:`v(T) = \max(0, E - \sum_{j \notin T}
    c_j)`. :math:`\sum_j x_j(\lambda)` is piecewise linear: λ is bracketed by bisection, then
    found on its linear piece, and the last rounding is given to the members still moving.

    References
    ----------
    Aumann, R. J., Maschler, M. (1985). Game theoretic analysis of a bankruptcy problem
    from the Talmud. *Journal of Economic Theory* 36, 195–213.

    Examples
    --------
    The Talmud's three widows (claims 100, 200, 300):

    >>> from compensation.solvers.bankruptcy import bankruptcy
    >>> [bankruptcy(e, [100, 200, 300]).awards.round(2).tolist() for e in (100, 200, 300)]
    [[33.33, 33.33, 33.33], [50.0, 75.0, 75.0], [50.0, 100.0, 150.0]]
    >>> capped = bankruptcy(200, [100, 200, 300], "proportional", caps=[20, 100, 100])
    >>> capped.awards.round(9).tolist(), capped.capped
    ([20.0, 80.0, 100.0], ('member 0', 'member 2'))
    """
    check_choice("rule", rule, RULES)
    E = float(check_domain("estate", estate, "nonneg", "万元"))
    c = check_domain("claims", claims, "nonneg", "万元")
    if c.ndim != 1 or c.size == 0:
        raise ValueError(f"claims must be a 1-D array with one claim per member; got {c!r}")
    n = c.size
    label = tuple(names) if names is not None else tuple(f"member {j}" for j in range(n))
    if len(label) != n:
        raise ValueError(f"names must have {n} entries (one per claim); got {len(label)}")
    cap = np.full(n, np.inf) if caps is None else np.asarray(caps, dtype=float)
    if cap.shape != (n,) or np.isnan(cap).any() or (cap < 0).any():
        raise ValueError(f"caps must be {n} values ≥ 0 (万元; inf for none); got {caps!r}")
    room = np.minimum(c, cap)
    if room.sum() * (1 + 1e-12) < E:
        binding = [f"claim[{label[j]}]" if c[j] <= cap[j] else f"cap[{label[j]}]" for j in range(n)]
        raise InfeasibleError(
            f"estate {E:g} exceeds what the claims and caps allow together ({room.sum():g}): "
            + ", ".join(binding),
            tuple(binding),
        )
    lam, x = _solve(rule, c, cap, E)
    capped = tuple(label[j] for j in range(n) if np.isfinite(cap[j]) and x[j] >= cap[j] - 1e-12)
    return Bankruptcy(x, c - x, rule, E, c, capped, label, lam)


def _solve(rule: str, c: Array, cap: Array, E: float) -> tuple[float, Array]:
    def total(lam: float) -> float:
        return float(np.minimum(cap, _award(rule, c, lam)).sum())

    lo, hi = 0.0, _top(rule, c)
    if total(hi) <= E:
        return hi, np.minimum(c, cap)
    for _ in range(60):  # bracket λ on one linear piece, then solve that piece exactly
        mid = 0.5 * (lo + hi)
        if total(mid) < E:
            lo = mid
        else:
            hi = mid
    t_lo, t_hi = total(lo), total(hi)
    lam = lo if t_hi == t_lo else lo + (E - t_lo) * (hi - lo) / (t_hi - t_lo)
    x = np.minimum(cap, _award(rule, c, lam))
    moving = np.minimum(cap, _award(rule, c, hi)) > np.minimum(cap, _award(rule, c, lo))
    if moving.any():  # the last rounding goes to the members on the moving piece
        x[moving] += (E - x.sum()) / moving.sum()
    return lam, np.clip(x, 0.0, np.minimum(c, cap))


def bankruptcy_game(estate: float, claims: ArrayLike) -> Any:
    r"""The bankruptcy game :math:`v(T) = \max(0, E - \sum_{j \notin T} c_j)` as a TUGame.

    Parameters
    ----------
    estate : float
        :math:`E \ge 0` (万元).
    claims : array_like, shape (n,)
        :math:`c_j \ge 0` (万元), at most 26 claimants.

    Returns
    -------
    TUGame
        What each coalition is sure to get after paying the others' claims in full.

    Raises
    ------
    ValueError
        A negative or non-finite estate or claim, or more than 26 claimants.

    Examples
    --------
    >>> from compensation.solvers.bankruptcy import bankruptcy_game
    >>> bankruptcy_game(200, [100, 200, 300]).value((1, 2))
    100.0
    """
    from .cooperative import TUGame

    E = float(check_domain("estate", estate, "nonneg", "万元"))
    c = check_domain("claims", claims, "nonneg", "万元")
    # Claims outside T are the subset sum of T's complement, index 2^n - 1 - T: one vector
    # of 2^n floats instead of a 2^n x n table.
    return TUGame(c.size, np.maximum(0.0, E - subset_sums(c)[::-1]))
