r"""Equilibria of many 2×2 games at once, vectorised over leading axes (no Python loop)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .._results import Result

__all__ = ["TwoByTwoSolution", "solve_2x2"]


@dataclass(frozen=True)
class TwoByTwoSolution(Result):
    """Equilibria of a stack of 2×2 games, element by element.

    Attributes
    ----------
    pure : ndarray of bool, shape (..., 2, 2)
        ``pure[..., i, j]`` is True when (row i, column j) is a pure equilibrium.
    mixed : ndarray, shape (..., 2)
        Probabilities ``(x, y)`` of the first row and first column in the completely mixed
        equilibrium; NaN where there is none.
    degenerate : ndarray of bool, shape (...)
        True where a pure strategy has two best responses (a zero payoff difference); there the
        equilibria may form a continuum: use :func:`nash_equilibria` on that game.
    """

    pure: NDArray[np.bool_]
    mixed: NDArray[np.float64]
    degenerate: NDArray[np.bool_]

    @property
    def count(self) -> NDArray[np.int64]:
        """Number of isolated equilibria found per game (pure plus completely mixed)."""
        return self.pure.sum(axis=(-2, -1)) + ~np.isnan(self.mixed[..., 0])


def solve_2x2(A: ArrayLike, B: ArrayLike, *, tol: float = 0.0) -> TwoByTwoSolution:
    r"""Equilibria of many 2×2 games at once, with no Python loop over games.

    Parameters
    ----------
    A, B : array_like, shape (..., 2, 2)
        Row and column payoffs; leading axes broadcast.
    tol : float, default 0
        Payoff differences with absolute value ≤ ``tol`` count as ties.

    Returns
    -------
    TwoByTwoSolution
        ``.pure``, ``.mixed``, ``.degenerate``, shaped like the broadcast leading axes.

    Raises
    ------
    ValueError
        If ``A`` or ``B`` does not end in a 2×2 matrix, is not finite, or the leading axes do
        not broadcast.

    Notes
    -----
    With row advantages :math:`a_j = A_{0j} - A_{1j}` and column advantages
    :math:`b_i = B_{i0} - B_{i1}`, the completely mixed equilibrium is

    .. math:: y = \frac{-a_1}{a_0 - a_1}, \qquad x = \frac{-b_1}{b_0 - b_1},

    when both lie strictly inside (0, 1). The game is degenerate when some :math:`a_j` or
    :math:`b_i` is zero.

    Examples
    --------
    >>> import numpy as np
    >>> from compensation import solve_2x2
    >>> pd = np.array([[3, 0], [5, 1]]), np.array([[3, 5], [0, 1]])
    >>> mp = np.array([[1, -1], [-1, 1]]), np.array([[-1, 1], [1, -1]])
    >>> sol = solve_2x2(np.stack([pd[0], mp[0]]), np.stack([pd[1], mp[1]]))
    >>> sol.pure[0].astype(int).tolist(), sol.mixed[1].tolist(), sol.count.tolist()
    ([[0, 0], [0, 1]], [0.5, 0.5], [1, 1])
    """
    A = np.asarray(A, dtype=np.float64)
    B = np.asarray(B, dtype=np.float64)
    if A.shape[-2:] != (2, 2) or B.shape[-2:] != (2, 2):
        raise ValueError(f"A and B must have shape (..., 2, 2); got {A.shape} and {B.shape}")
    if not (np.isfinite(A).all() and np.isfinite(B).all()):
        raise ValueError("payoff matrices A and B must be finite; got NaN or inf")
    a = A[..., 0, :] - A[..., 1, :]  # row's gain from row 0, per column
    b = B[..., :, 0] - B[..., :, 1]  # column's gain from column 0, per row
    a, b = np.broadcast_arrays(a, b)
    row_best = np.stack([a >= -tol, a <= tol], axis=-2)  # [i, j]: row i best vs column j
    col_best = np.stack([b >= -tol, b <= tol], axis=-1)  # [i, j]: column j best vs row i
    pure = row_best & col_best
    degenerate = (np.abs(a) <= tol).any(axis=-1) | (np.abs(b) <= tol).any(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = a[..., 1] / (a[..., 1] - a[..., 0])
        x = b[..., 1] / (b[..., 1] - b[..., 0])
    interior = (x > 0) & (x < 1) & (y > 0) & (y < 1) & ~degenerate
    mixed = np.where(interior[..., None], np.stack([x, y], axis=-1), np.nan)
    return TwoByTwoSolution(pure, mixed, degenerate)
