r"""Big-boss games: the condition, the core box, the nucleolus and the τ-value (MODEL.md §10).

A big-boss game (Muto, Nakayama, Potters and Tijs 1988) has one player, the boss, without
whom no coalition creates value, and the others are substitutes: with
:math:`M_j = v(N) - v(N \setminus \{j\})`,

.. math:: v(N) - v(T) \ge \sum_{j \notin T} M_j \quad \text{for every } T \ni \text{boss}.

Then the core is the box :math:`0 \le x_j \le M_j` (the boss takes the rest), and the
nucleolus equals the τ-value: every other player gets :math:`M_j / 2`. Only the :math:`2N + 2`
coalitions :math:`\{j\}`, :math:`N \setminus \{j\}`, :math:`\{\text{boss}\}` and
:math:`N \setminus \{\text{boss}\}` are needed, so it is exact for hundreds of players.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._results import Result
from .._validation import check_tol
from ._coalitions import coalition_matrix, subset_sums
from ._sampling import check_samples
from .function_game import as_evaluator

__all__ = ["EXACT_PLAYERS", "BigBoss", "big_boss"]

#: Up to this many players the condition is checked on every coalition.
EXACT_PLAYERS = 20
Array = NDArray[np.float64]


@dataclass(frozen=True)
class BigBoss(Result):
    r"""Result of :func:`big_boss`; money in the unit of the game (万元 here).

    Attributes
    ----------
    holds : bool
        Whether the big-boss condition held on every coalition checked.
    checked : str
        ``"exact"`` (all coalitions) or ``"sampled"`` (``coalitions`` random ones: a failure
        found is certain, a pass is evidence, not proof).
    coalitions : int
        Coalitions checked.
    violation : str
        The first condition that failed (``"zero"``: a coalition without the boss has value;
        ``"monotone"``; ``"union"``), with the worst coalition; empty when it holds.
    worst : float
        The worst violation found (≥ 0; 0 when it holds), in the unit of :math:`v`.
    boss : int
        The boss's index.
    marginal : ndarray, shape (n,)
        :math:`M_j = v(N) - v(N \setminus \{j\})`, the core's upper bounds (the boss's
        entry is :math:`v(N)`, its utopia payoff).
    nucleolus : ndarray, shape (n,)
        :math:`x_j = M_j / 2`, the boss :math:`v(N) - \tfrac12 \sum_{j \ne b} M_j`; valid when
        ``holds``.
    tau_value : ndarray, shape (n,)
        The τ-value (Tijs 1981); equal to the nucleolus in a big-boss game.
    core_lower, core_upper : ndarray, shape (n,)
        The core box: :math:`0 \le x_j \le M_j` for the others, the boss between
        :math:`v(N) - \sum_{j \ne b} M_j` and :math:`v(N)`.
    names : tuple of str
        Player names.
    success : bool
        Same as ``holds``.
    message : str
        What was checked and found, in words.
    """

    holds: bool
    checked: str
    coalitions: int
    violation: str
    worst: float
    boss: int
    marginal: Array
    nucleolus: Array
    tau_value: Array
    core_lower: Array
    core_upper: Array
    names: tuple[str, ...]
    success: bool = True
    message: str = ""

    def in_core(self, x: Any, *, tol: float = 1e-9) -> bool:
        """Whether ``x`` is efficient and inside the core box (the core when ``holds``)."""
        x = np.asarray(x, dtype=float)
        scale = tol * max(1.0, float(np.abs(self.core_upper).max()))
        return bool(
            abs(x.sum() - self.core_upper[self.boss]) <= scale
            and (x >= self.core_lower - scale).all()
            and (x <= self.core_upper + scale).all()
        )


def big_boss(
    game: Any,
    *,
    boss: int = 0,
    samples: int = 20_000,
    rng: Any = None,
    tol: float = 1e-9,
) -> BigBoss:
    r"""Test the big-boss condition; the core box, the nucleolus and the τ-value.

    Parameters
    ----------
    game : TUGame or FunctionGame
        The game (values in any unit; 万元 for the consortium's game).
    boss : int, default 0
        The boss's index (the leading hospital is player 0 in this package's games).
    samples : int, default 20000
        Random coalitions checked beyond 20 players, ≥ 1 (half of them with the boss).
    rng : int, Generator or None
        Seed or generator for the sampled check.
    tol : float, default 1e-9
        Violations up to ``tol`` times :math:`\max(1, |v(N)|)` are rounding, in [0, 1e-3].

    Returns
    -------
    BigBoss
        ``.holds``, how it was checked, the worst violation, ``.marginal`` :math:`M_j`, the
        core box, ``.nucleolus`` and ``.tau_value``.

    Raises
    ------
    ValueError
        If ``boss`` is not a player index, ``samples`` < 1 or ``tol`` is outside [0, 1e-3].
    TypeError
        If ``game`` is neither a TUGame nor a FunctionGame.

    Notes
    -----
    The conditions (Muto et al. 1988): :math:`v(T) = 0` when the boss is not in :math:`T`;
    :math:`v` monotone; and the union property above. Up to 20 players all :math:`2^n`
    coalitions are checked; beyond, random coalitions (each player in with probability ½,
    the boss forced in for half of them) and, for monotonicity, each with one random player
    removed. When they hold, with :math:`b` the boss,

    .. math::

        C(v) = \{x : x(N) = v(N),\ 0 \le x_j \le M_j\ (j \ne b)\}, \qquad
        \nu_j = \tau_j = \tfrac12 M_j, \quad \nu_b = v(N) - \tfrac12 \sum_{j \ne b} M_j.

    References
    ----------
    Muto, S., Nakayama, M., Potters, J., Tijs, S. (1988). On big boss games. *The Economic
    Studies Quarterly* 39(4), 303–321.

    Examples
    --------
    A leader and two members who are substitutes (together worth less than the sum):

    >>> from compensation import TUGame
    >>> from compensation.solvers.bigboss import big_boss
    >>> r = big_boss(TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 1.5}))
    >>> r.holds, r.marginal.tolist(), r.nucleolus.tolist()
    (True, [1.5, 0.5, 0.5], [1.0, 0.25, 0.25])

    Complements fail the union property (each member's :math:`M_j = 2`, but the leader alone
    would then be owed :math:`-1`):

    >>> r = big_boss(TUGame(3, {(0, 1): 1, (0, 2): 1, (0, 1, 2): 3}))
    >>> r.holds, r.violation
    (False, 'union: v(N) - v(T) < sum of M_j outside T, worst at T = (player 0)')
    """
    game = as_evaluator(game)
    n = game.n
    if isinstance(boss, bool) or not isinstance(boss, (int, np.integer)) or not 0 <= boss < n:
        raise ValueError(f"boss must be a player index 0..{n - 1}; got {boss!r}")
    samples = check_samples(samples, "random coalitions to check", minimum=1)
    tol = check_tol("tol", tol, allow_zero=True)
    grand = game.grand
    eye = np.eye(n, dtype=bool)
    marginal = grand - game.evaluate(~eye)
    marginal[boss] = grand
    others = np.arange(n) != boss
    nucleolus = np.where(others, marginal / 2, 0.0)
    nucleolus[boss] = grand - nucleolus.sum()
    lower = np.where(others, 0.0, grand - marginal[others].sum())
    upper = marginal.copy()
    slack = tol * max(1.0, abs(grand))
    m = np.where(others, marginal, 0.0)  # the others' M_j, whose sums the union property bounds
    if n <= EXACT_PLAYERS:
        checked, count, found = "exact", 1 << n, _check_exact(game, boss, m, slack)
    else:
        gen = np.random.default_rng(rng)
        checked, count = "sampled", samples
        found = _check_sampled(game, boss, m, slack, gen=gen, samples=samples)
    kind, worst, where = found
    names = tuple(game.names)
    holds = kind == ""
    violation = ""
    if not holds:
        violation = f"{kind}: {_WHAT[kind]}, worst at T = ({', '.join(names[i] for i in where)})"
    message = (
        f"big-boss condition {'holds' if holds else 'fails'} on {count} "
        f"{'coalitions (all)' if checked == 'exact' else 'sampled coalitions'}"
        + ("" if holds else f"; {violation} (by {worst:.3g})")
    )
    return BigBoss(
        holds, checked, count, violation, float(worst), int(boss), marginal, nucleolus,
        nucleolus.copy(), lower, upper, names, holds, message,
    )  # fmt: skip


_WHAT = {
    "zero": "a coalition without the boss has a value",
    "monotone": "v falls when a player joins",
    "union": "v(N) - v(T) < sum of M_j outside T",
}
Found = tuple[str, float, list[int]]


def _first(
    checks: list[tuple[str, Array]], slack: float, members: Callable[[int], NDArray[np.bool_]]
) -> Found:
    """The first failing check, its worst violation and the coalition where it occurs.

    ``members(k)`` decodes only that coalition: the exact check has :math:`2^n` of them.
    """
    for kind, gap in checks:
        if gap.size and gap.max() > slack:
            k = int(np.argmax(gap))
            return kind, float(gap[k]), np.flatnonzero(members(k)).tolist()
    return "", 0.0, []


def _check_exact(game: Any, boss: int, m: Array, slack: float) -> Found:
    n = game.n
    v = game.v if hasattr(game, "v") else game.table()
    # Bit i as an axis of length 2 (as in the exact Shapley value): no index arrays.
    has = np.zeros(1 << n, dtype=bool)
    has.reshape(-1, 2, 1 << boss)[:, 1, :] = True
    drop = np.full(1 << n, -np.inf)
    for i in range(n):  # the largest v(T) - v(T ∪ i) over i not in T, stored at T
        pair = v.reshape(-1, 2, 1 << i)
        low = drop.reshape(-1, 2, 1 << i)[:, 0, :]
        np.maximum(low, pair[:, 0, :] - pair[:, 1, :], out=low)
    # the others' M_j outside T: sums over complements, and mask T's complement is 2^n - 1 - T
    outside = subset_sums(m)[::-1]
    union = np.where(has, outside - (game.grand - v), -np.inf)
    return _first(
        [("zero", np.where(has, 0.0, np.abs(v))), ("monotone", drop), ("union", union)],
        slack,
        lambda k: coalition_matrix(k, n)[0],
    )


def _check_sampled(
    game: Any, boss: int, m: Array, slack: float, *, gen: np.random.Generator, samples: int
) -> Found:
    n = game.n
    t = gen.random((samples, n)) < 0.5
    t[: samples // 2, boss] = True
    t[samples // 2 :, boss] = False
    drop = t.copy()
    pick = np.argmax(gen.random((samples, n)) * t, axis=1)  # a random member of each T
    drop[np.arange(samples), pick] = False
    v, vd = game.evaluate(t), game.evaluate(drop)
    has = t[:, boss]
    union = np.where(has, (m * ~t).sum(axis=1) - (game.grand - v), -np.inf)
    return _first(
        [("zero", np.where(has, 0.0, np.abs(v))), ("monotone", vd - v), ("union", union)],
        slack,
        lambda k: t[k],
    )
