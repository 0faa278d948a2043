r"""Coalitions as bitmasks: membership, subset sums, incidence rows and the scaled game.

Bit :math:`i` of a coalition is player :math:`i` (MODEL.md §7). :func:`coalition_matrix` is
the one decoder of bitmasks into members, for the function games, the veto check, the
big-boss test and the LPs' incidence rows; coalition sums :math:`x(T)` for all :math:`2^n`
coalitions are built by doubling. The rest is shared by the row generation of
:mod:`compensation.solvers._rowgen` and its warm-started HiGHS variant
:mod:`compensation.solvers._warm`.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DUAL_TOL",
    "Round",
    "Scaled",
    "coalition_matrix",
    "incidence",
    "popcount",
    "scale_of",
    "seed_rows",
    "subset_sums",
]


def coalition_matrix(masks: ArrayLike, n: int) -> NDArray[np.bool_]:
    """Boolean membership matrix, shape ``(k, n)``, of bitmasks (bit i = player i).

    Parameters
    ----------
    masks : array_like of int
        Coalitions as bitmasks, 0 to :math:`2^n - 1`.
    n : int
        Number of players.

    Returns
    -------
    ndarray of bool, shape (k, n)
        Row r holds coalition r's members.

    Raises
    ------
    ValueError
        If ``masks`` cannot be read as integers.

    Examples
    --------
    >>> from compensation.solvers.function_game import coalition_matrix
    >>> coalition_matrix([0, 5], 3).astype(int).tolist()
    [[0, 0, 0], [1, 0, 1]]
    """
    m = np.asarray(masks, dtype=np.int64).reshape(-1, 1)
    return ((m >> np.arange(n)) & 1).astype(bool)


def subset_sums(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """x(T) for every bitmask T, by doubling: index T has bit i set iff player i is in T."""
    x = np.asarray(x, dtype=np.float64)
    sums = np.empty(1 << len(x))
    sums[0] = 0.0
    for i, xi in enumerate(x):  # in place: no copy of the first half each time
        np.add(sums[: 1 << i], xi, out=sums[1 << i : 2 << i])
    return sums


def popcount(n: int) -> NDArray[np.int64]:
    pc = np.zeros(1, dtype=np.int64)
    for _ in range(n):
        pc = np.concatenate([pc, pc + 1])
    return pc


def incidence(ts: list[int] | NDArray[np.int64], n: int) -> NDArray[np.float64]:
    """0/1 rows of the coalitions ``ts`` (one row a coalition), as floats for the LPs."""
    return coalition_matrix(ts, n).astype(np.float64)


def scale_of(v: NDArray[np.float64]) -> float:
    """Power of two with ``max |v| / scale`` in [1, 2) (1 for the zero game).

    Dividing by a power of two is exact, so the scaled game is the same game in other units and
    solvers with absolute tolerances (HiGHS, CBC: about 1e-7) see numbers of order 1.
    """
    top = float(np.abs(v).max())
    return 1.0 if top == 0 else math.ldexp(1.0, math.frexp(top)[1] - 1)


class Scaled(NamedTuple):
    """A game in units of its largest |v(T)|, and how to solve its LPs."""

    v: NDArray[np.float64]
    n: int
    lower: NDArray[np.float64] | None  # imputation bounds x_i >= lower_i, or None
    method: str
    tol: float
    max_rounds: int  # cap on rounds of row generation (nucleolus.MAX_ROUNDS, read per call)


class Round(NamedTuple):
    eps: float
    x: NDArray[np.float64]
    tight: list[tuple[int, float]]  # (coalition, dual) with a positive dual
    tight_bounds: list[tuple[int, float]]  # (player, dual) of binding x_i >= lower_i
    rounds: int
    active: list[int]  # coalitions in the last LP: good first rows for the next one


def seed_rows(
    g: Scaled, skip: NDArray[np.bool_], x0: NDArray[np.float64], warm: list[int]
) -> list[int]:
    """First coalitions of the LP: singletons, complements, largest excesses at x0, ``warm``.

    ``warm`` holds the rows of the previous LP, which held the binding ones last time.
    """
    n, full = g.n, (1 << g.n) - 1
    exc0 = g.v - subset_sums(x0)
    exc0[skip] = -np.inf
    seeds = {1 << i for i in range(n)} | {full ^ (1 << i) for i in range(n)} | set(warm)
    seeds |= (
        {int(t) for t in np.argpartition(-exc0, 2 * n)[: 2 * n]} if exc0.size > 2 * n else set()
    )
    return sorted(t for t in seeds if not skip[t])


# Duals of the min-eps LP sum to 1, so this threshold is relative; smaller values are solver
# noise, not binding rows.
DUAL_TOL = 1e-9
