r"""From the year-end settlement to each member's share, in one call (MODEL.md §6, §11).

结余留用、合理超支分担: :func:`~compensation.bundled.settlement.settle` gives the consortium's
share of the balance; a surplus is split among members by :func:`split_surplus` (scores,
floors, caps, core constraints), an overrun by a bankruptcy rule (claims and stop-loss caps)
or by the same LP with a negative amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result
from .._validation import check_choice
from ..solvers.bankruptcy import RULES, Bankruptcy, bankruptcy
from .allocation import Allocation, split_surplus
from .settlement import Settlement, SettlementRule, settle

__all__ = ["LOSS_RULES", "Sharing", "share_settlement"]

#: How an overrun is shared: a bankruptcy rule on the claims, or the split LP ("split").
LOSS_RULES = (*RULES, "split")


@dataclass(frozen=True)
class Sharing(Result):
    r"""Result of :func:`share_settlement`, in 万元.

    Attributes
    ----------
    shares : ndarray, shape (m,)
        Each member's share: > 0 what it receives of a retained surplus, < 0 what it bears of
        an overrun; they sum to ``amount``.
    amount : float
        The consortium's share of the balance (:attr:`Settlement.consortium`).
    settlement : Settlement
        Balance, consortium's and payer's shares.
    method : str
        ``"split_surplus:<objective>"`` or ``"bankruptcy:<rule>"``.
    detail : Allocation or Bankruptcy
        The split's own result (binding constraints, capped members).
    names : tuple of str
        Member names.
    """

    shares: NDArray[np.float64]
    amount: float
    settlement: Settlement
    method: str
    detail: Any
    names: tuple[str, ...]


def share_settlement(
    budget: float,
    spending: float,
    *,
    scores: ArrayLike | None = None,
    claims: ArrayLike | None = None,
    rule: SettlementRule | None = None,
    quality: float = 1.0,
    loss_rule: str = "talmud",
    caps: ArrayLike | None = None,
    loss_caps: ArrayLike | None = None,
    names: Sequence[str] | None = None,
    **split: Any,
) -> Sharing:
    r"""Settle a bundled budget and share the consortium's surplus or overrun among members.

    Parameters
    ----------
    budget, spending : float
        :math:`B > 0` and :math:`E \ge 0` (万元), as for :func:`settle`.
    scores : array_like, shape (m,), optional
        Performance scores for a surplus (and for ``loss_rule="split"``).
    claims : array_like, shape (m,), optional
        Claims :math:`c_j \ge 0` (万元) for a bankruptcy rule: each member's overspend or its
        budget share, the most it can be asked to bear.
    rule : SettlementRule, optional
        The settlement rule (default :class:`SettlementRule` ()).
    quality : float, default 1
        :math:`q \in [0, 1]`, scaling a retained surplus.
    loss_rule : {"talmud", "proportional", "cea", "cel", "split"}
        How an overrun is shared: a bankruptcy rule on ``claims``, or :func:`split_surplus`
        with the negative amount (in proportion to ``scores``).
    caps : array_like, optional
        Most a member receives of a surplus (万元).
    loss_caps : array_like, optional
        Most a member bears of an overrun (万元; stop-loss).
    names : sequence of str, optional
        Member names.
    **split
        Passed to :func:`split_surplus` (``game``, ``floors``, ``group_floors``,
        ``objective``, ``solver``).

    Returns
    -------
    Sharing
        Each member's share, the consortium's amount, the settlement and the split's result.

    Raises
    ------
    ValueError
        Bad settlement inputs (see :func:`settle`), an unknown ``loss_rule``, a surplus
        without ``scores``, an overrun without ``claims`` for a bankruptcy rule (or without
        ``scores`` for ``"split"``), array-valued ``budget`` or ``spending``.
    InfeasibleError
        When the members' caps (or claims) cannot cover their part; names them.

    Notes
    -----
    With :math:`A` the consortium's share of :math:`D = B - E` (MODEL.md §6):

    .. math::

        x = \begin{cases} \text{split\_surplus}(A, s) & A \ge 0 \\
        -\text{bankruptcy}(-A, c) & A < 0 \end{cases}, \qquad \sum_j x_j = A.

    Examples
    --------
    >>> from compensation.bundled.sharing import share_settlement
    >>> good = share_settlement(1000.0, 900.0, scores=[0.5, 0.3, 0.2], claims=[50, 30, 20])
    >>> good.amount, good.shares.round(6).tolist()
    (100.0, [50.0, 30.0, 20.0])
    >>> bad = share_settlement(1000.0, 1040.0, scores=[0.5, 0.3, 0.2], claims=[50, 30, 20])
    >>> bad.amount, bad.shares.round(6).tolist(), bad.method
    (-20.0, [-6.666667, -6.666667, -6.666667], 'bankruptcy:talmud')
    """
    check_choice("loss_rule", loss_rule, LOSS_RULES)
    if np.ndim(budget) or np.ndim(spending) or np.ndim(quality):
        raise ValueError("budget, spending and quality must be scalars: one year, one split")
    result = settle(budget, spending, rule, quality)
    amount = float(result.consortium)
    if amount >= 0 or loss_rule == "split":
        if scores is None:
            raise ValueError(
                f"scores are needed to split the consortium's {_what(amount)} by split_surplus"
            )
        cap = caps if amount >= 0 else loss_caps
        alloc: Allocation = split_surplus(amount, scores, caps=cap, names=names, **split)
        return Sharing(
            alloc.shares, amount, result, f"split_surplus:{alloc.objective}", alloc, alloc.names
        )
    if claims is None:
        raise ValueError(
            f"claims are needed to share an overrun of {-amount:g} by the {loss_rule!r} rule "
            "(each member's overspend or budget share); or use loss_rule='split' with scores"
        )
    bank: Bankruptcy = bankruptcy(-amount, claims, loss_rule, caps=loss_caps, names=names)
    return Sharing(0.0 - bank.awards, amount, result, f"bankruptcy:{loss_rule}", bank, bank.names)


def _what(amount: float) -> str:
    return f"surplus of {amount:g}" if amount >= 0 else f"overrun of {-amount:g}"
