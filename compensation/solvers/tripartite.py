r"""Three-population replicator dynamics: the government as an evolving population.

Generic solver (MODEL.md §5, three populations): advantage functions in, rest points and
trajectories out; only the eight corners can be asymptotically stable.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .replicator import RestPoint, RestPoints, Stability, classify_rest_point
from .trajectory import Trajectory, corner_successors, simulate_log_odds

__all__ = ["ThreePopulationGame"]


@dataclass(frozen=True)
class ThreePopulationGame:
    r"""Three-population replicator game given by multilinear advantages.

    Population shares :math:`(x, y, z)` play their first strategy; each population's gain from
    its first strategy over its second is bilinear in the other two shares:

    .. math::

        \dot x &= x(1-x)\,(l_0 + l_1 y + l_2 z + l_3 y z), \\
        \dot y &= y(1-y)\,(p_0 + p_1 x + p_2 z + p_3 x z), \\
        \dot z &= z(1-z)\,(d_0 + d_1 x + d_2 y + d_3 x y).

    Parameters
    ----------
    first, second, third : sequence of 4 floats
        Coefficients :math:`(l_0, l_1, l_2, l_3)`, :math:`(p_0, \dots)`, :math:`(d_0, \dots)`,
        in payoff units (万元 per year for :func:`~compensation.tripartite_game`).
    names : tuple of str, default ("x", "y", "z")
        Population names for display.

    Raises
    ------
    ValueError
        If a coefficient set is not 4 finite numbers.

    Examples
    --------
    >>> from compensation import ThreePopulationGame
    >>> game = ThreePopulationGame((1, 0, 0, 0), (-1, 2, 0, 0), (0.5, 0, 0, 0))
    >>> [r.point for r in game.rest_points().stable()]
    [(1.0, 1.0, 1.0)]
    """

    first: tuple[float, float, float, float]
    second: tuple[float, float, float, float]
    third: tuple[float, float, float, float]
    names: tuple[str, str, str] = ("x", "y", "z")

    def __post_init__(self) -> None:
        for name in ("first", "second", "third"):
            c = np.asarray(getattr(self, name), dtype=float)
            if c.shape != (4,) or not np.isfinite(c).all():
                raise ValueError(
                    f"{name} must be 4 finite coefficients; got {getattr(self, name)!r}"
                )
            object.__setattr__(self, name, tuple(float(v) for v in c))

    def advantages(self, x: ArrayLike, y: ArrayLike, z: ArrayLike) -> NDArray[np.float64]:
        r"""Each population's gain from its first strategy over its second.

        Parameters
        ----------
        x, y, z : array_like
            Shares of the three populations playing their first strategy; they broadcast.

        Returns
        -------
        ndarray, shape (..., 3)
            :math:`(l_0 + l_1 y + l_2 z + l_3 y z,\; p_0 + p_1 x + p_2 z + p_3 x z,\;
            d_0 + d_1 x + d_2 y + d_3 x y)` stacked on the last axis, in payoff units.

        Raises
        ------
        ValueError
            If the shares do not broadcast together.
        """
        x, y, z = (np.asarray(v, dtype=float) for v in (x, y, z))
        l, p, d = self.first, self.second, self.third
        return np.stack(
            np.broadcast_arrays(
                l[0] + l[1] * y + l[2] * z + l[3] * y * z,
                p[0] + p[1] * x + p[2] * z + p[3] * x * z,
                d[0] + d[1] * x + d[2] * y + d[3] * x * y,
            ),
            axis=-1,
        )

    def field(self, state: ArrayLike) -> NDArray[np.float64]:
        r"""The replicator vector field :math:`\dot s_i = s_i (1 - s_i)\, \mathrm{adv}_i`.

        Parameters
        ----------
        state : array_like, shape (..., 3)
            Shares :math:`(x, y, z)`.

        Returns
        -------
        ndarray, shape (..., 3)
            :math:`(\dot x, \dot y, \dot z)` per unit of time.

        Raises
        ------
        IndexError
            If the last axis of ``state`` has fewer than 3 entries.
        """
        s = np.asarray(state, dtype=float)
        adv = self.advantages(s[..., 0], s[..., 1], s[..., 2])
        return s * (1 - s) * adv

    def rest_points(self, *, tol: float = 1e-12) -> RestPoints:
        r"""The eight corners with their eigenvalues and stability.

        Parameters
        ----------
        tol : float, default 1e-12
            Eigenvalues with real part within ``tol`` times the largest coefficient count as
            zero (non-hyperbolic).

        Returns
        -------
        RestPoints
            The corners, from (1, 1, 1) to (0, 0, 0); ``.degenerate`` when one is
            non-hyperbolic.

        Raises
        ------
        TypeError
            If ``tol`` is not a real number.

        Notes
        -----
        Only corners can be asymptotically stable in multi-population replicator dynamics
        (Ritzberger and Weibull 1995), so the edge and interior rest points, which are never
        stable, are not enumerated. At a corner :math:`s` the Jacobian is diagonal:

        .. math:: \lambda_i = (1 - 2 s_i)\, \mathrm{adv}_i(s).
        """
        scale = max(max(abs(v) for v in (*self.first, *self.second, *self.third)), 1e-300)
        points = []
        for corner in itertools.product((1.0, 0.0), repeat=3):
            adv = self.advantages(*corner)
            eig = ((1 - 2 * np.array(corner)) * adv).astype(complex)
            points.append(RestPoint(corner, eig, classify_rest_point(eig, tol * scale)))
        degenerate = any(r.stability is Stability.NON_HYPERBOLIC for r in points)
        return RestPoints(tuple(points), degenerate)

    def corner_graph(self) -> dict[tuple[float, ...], tuple[tuple[float, ...], ...]]:
        r"""The cube's edges as orbits: where the flow goes from each corner.

        Returns
        -------
        dict of tuple to tuple of tuple
            For each corner, the neighbouring corners (one share flipped) reached along an
            edge, those with :math:`\lambda_i = (1 - 2 s_i)\,\mathrm{adv}_i > 0`. A directed
            cycle of this graph through saddles is a heteroclinic cycle.

        Examples
        --------
        >>> from compensation import ThreePopulationGame
        >>> game = ThreePopulationGame((1, 0, 0, 0), (-1, 2, 0, 0), (0.5, 0, 0, 0))
        >>> game.corner_graph()[(0.0, 0.0, 0.0)]
        ((1.0, 0.0, 0.0), (0.0, 0.0, 1.0))
        """
        return corner_successors(self.advantages, 3)

    def simulate(
        self, start: tuple[float, float, float], t: ArrayLike, *, corner_tol: float = 1e-3
    ) -> Trajectory:
        r"""Trajectory of the dynamics from ``start``, heteroclinic cycles included.

        Parameters
        ----------
        start : (float, float, float)
            Initial shares in [0, 1]; a share at exactly 0 or 1 stays there (faces are
            invariant).
        t : array_like
            Increasing times at which to report the state.
        corner_tol : float, default 1e-3
            A pass by a corner: every share within this distance of it, in (0, 0.5).

        Returns
        -------
        Trajectory
            Behaves as the array of shares, shape ``(len(t), 3)``; also ``.log_odds``, the
            ``.corners`` passed with the ``.dwell`` time near each, and, when every corner
            is a saddle and the path circles them, the ``.cycle`` followed, with
            ``.heteroclinic`` True and a ``.message`` saying whether the cycle attracts.

        Raises
        ------
        ValueError
            If ``start`` is not three shares in [0, 1], ``t`` is not a non-empty, finite,
            strictly increasing 1-D array, or ``corner_tol`` is outside (0, 0.5).

        Notes
        -----
        Integrates :math:`\dot u_i = \mathrm{adv}_i(s)` in log-odds
        :math:`u_i = \ln\frac{s_i}{1 - s_i}` (DOP853, rtol 1e-10), so that paths crawling
        along the boundary near a heteroclinic cycle, with shares below
        :math:`10^{-100}`, are integrated as easily as any other
        (:mod:`~compensation.solvers.trajectory`).

        Examples
        --------
        A game whose eight corners are all saddles: the path closes in on a heteroclinic
        cycle of six corners, spending ever longer near each (an adaptive integrator in
        shares gives up here):

        >>> import numpy as np
        >>> from compensation import ThreePopulationGame
        >>> game = ThreePopulationGame((0.06, -0.09, -1.75, 0), (-0.14, 0.55, -0.28, 0),
        ...                            (-0.44, 1.47, 2.39, 0))
        >>> {r.stability.value for r in game.rest_points()}
        {'saddle'}
        >>> path = game.simulate((0.3, 0.3, 0.3), np.linspace(0, 2000, 2001))
        >>> path.heteroclinic, len(path.cycle), path.cycle[0]
        (True, 6, (1.0, 0.0, 0.0))
        >>> path.message[:60]
        'heteroclinic cycle (1, 0, 0) → (1, 1, 0) → (1, 1, 1) → (0, 1'
        """
        return simulate_log_odds(self.advantages, start, t, corner_tol=corner_tol)
