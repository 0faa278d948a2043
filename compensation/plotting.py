"""Pictures of the dynamics (needs the ``plot`` extra: ``pip install 'compensation[plot]'``).

Not imported by ``import compensation``; import it as ``compensation.plotting``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._optional import require
from .solvers.basins import basin_shares
from .solvers.replicator import Stability, advantage_vectors, replicator_rest_points
from .solvers.tripartite import ThreePopulationGame

__all__ = [
    "acceptability_chart",
    "basin_map",
    "phase_portrait",
    "sobol_chart",
    "tornado_chart",
    "trajectories3",
]

_MARKERS = {
    Stability.STABLE: ("o", "black", "stable"),
    Stability.UNSTABLE: ("o", "white", "unstable"),
    Stability.SADDLE: ("s", "grey", "saddle"),
    Stability.CENTRE: ("D", "tab:blue", "centre"),
    Stability.NON_HYPERBOLIC: ("^", "tab:orange", "non-hyperbolic"),
}


def _axes(ax: Any) -> Any:
    plt = require("matplotlib.pyplot")
    if ax is None:
        _, ax = plt.subplots(figsize=(5.2, 4.8))
    return ax


def phase_portrait(
    A: Any,
    B: ArrayLike | None = None,
    *,
    ax: Any = None,
    density: int = 21,
    labels: tuple[str, str] = (
        "x (row population, first strategy)",
        "y (column population, first strategy)",
    ),
) -> Any:
    """Vector field, nullclines and classified rest points of a 2×2 replicator game.

    Returns the matplotlib ``Axes``.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from compensation.plotting import phase_portrait
    >>> ax = phase_portrait([[3, 0], [0, 2]], [[2, 0], [0, 3]])
    >>> tuple(float(v) for v in ax.get_xlim())
    (0.0, 1.0)
    """
    a, b = advantage_vectors(A, B)
    ax = _axes(ax)
    g = np.linspace(0, 1, density)
    X, Y = np.meshgrid(g, g)
    U = X * (1 - X) * (a[1] + Y * (a[0] - a[1]))
    V = Y * (1 - Y) * (b[1] + X * (b[0] - b[1]))
    ax.streamplot(X, Y, U, V, color=np.hypot(U, V), cmap="Greys", density=1.0, linewidth=0.8)
    with np.errstate(divide="ignore", invalid="ignore"):
        ys = a[1] / (a[1] - a[0])
        xs = b[1] / (b[1] - b[0])
    if 0 < ys < 1:
        ax.axhline(ys, color="tab:red", lw=1, ls="--", label="x-nullcline")
    if 0 < xs < 1:
        ax.axvline(xs, color="tab:green", lw=1, ls="--", label="y-nullcline")
    seen = set()
    for r in replicator_rest_points(A, B):
        marker, color, name = _MARKERS[r.stability]
        ax.plot(
            *r.point,
            marker=marker,
            ms=9,
            mfc=color,
            mec="black",
            ls="none",
            clip_on=False,
            label=None if name in seen else name,
            zorder=5,
        )
        seen.add(name)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel=labels[0], ylabel=labels[1])
    ax.legend(loc="upper left", fontsize=7, framealpha=0.9)
    return ax


def basin_map(A: Any, B: ArrayLike | None = None, *, grid: int = 100, ax: Any = None) -> Any:
    """Colour each starting point by the stable rest point it reaches; returns the ``Axes``."""
    bs = basin_shares(A, B, grid=grid)
    ax = _axes(ax)
    colors = require("matplotlib.colors")
    cmap = colors.ListedColormap(["#dddddd", "#4daf4a", "#377eb8", "#e41a1c", "#984ea3"])
    ax.pcolormesh(
        bs.grid, bs.grid, bs.labels + 1, cmap=cmap, vmin=-0.5, vmax=4.5, shading="nearest"
    )
    for k, (pt, share) in enumerate(zip(bs.points, bs.shares)):
        ax.plot(
            *pt,
            "o",
            ms=9,
            color=cmap(k + 1),
            mec="black",
            clip_on=False,
            label=f"{pt}: {share:.1%}",
        )
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="x", ylabel="y", title="basins of attraction")
    ax.legend(loc="upper left", fontsize=7)
    return ax


def trajectories3(
    game: ThreePopulationGame, starts: ArrayLike, t: ArrayLike, *, ax: Any = None
) -> Any:
    """Trajectories of a three-population game in the unit cube; returns the 3-D ``Axes``."""
    plt = require("matplotlib.pyplot")
    if ax is None:
        fig = plt.figure(figsize=(5.6, 5.2))
        ax = fig.add_subplot(projection="3d")
    for start in np.atleast_2d(np.asarray(starts, dtype=float)):
        path = game.simulate(tuple(start), t)
        ax.plot(path[:, 0], path[:, 1], path[:, 2], lw=1)
        ax.plot(*path[0], "o", ms=3, color="grey")
    for r in game.rest_points().stable():
        ax.plot(*r.point, "o", ms=9, color="black")
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        zlim=(0, 1),
        xlabel=game.names[0],
        ylabel=game.names[1],
        zlabel=game.names[2],
    )
    return ax


def tornado_chart(bars: Any, *, ax: Any = None, baseline: float | None = None) -> Any:
    """Horizontal bars from :func:`compensation.tornado`, largest swing on top.

    Returns the ``Axes``.
    """
    ax = _axes(ax)
    items = list(bars)[::-1]
    for k, b in enumerate(items):
        lo, hi = sorted((b.value_at_low, b.value_at_high))
        ax.barh(k, hi - lo, left=lo, color="tab:blue", alpha=0.7)
        ax.text(hi, k, f"  {b.low:g} .. {b.high:g}", va="center", fontsize=7)
    ax.set_yticks(range(len(items)), [b.name for b in items])
    if baseline is not None:
        ax.axvline(baseline, color="black", lw=1)
    ax.set_xlabel("outcome")
    return ax


def sobol_chart(indices: Any, *, ax: Any = None) -> Any:
    """Bars of Sobol first- and total-order indices with their confidence intervals.

    Parameters
    ----------
    indices : SobolIndices
        From :func:`compensation.analysis.global_sensitivity.sobol_indices`.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes
        One pair of bars per parameter, largest total index first: :math:`S_i` (first
        order) and :math:`S_{T_i}` (total), with error bars at ``indices.level``.
    """
    ax = _axes(ax)
    order = np.argsort(-np.asarray(indices.total))
    x = np.arange(order.size)
    ax.bar(
        x - 0.2,
        indices.first[order],
        0.4,
        yerr=indices.first_conf[order],
        label="first order $S_i$",
    )
    ax.bar(
        x + 0.2, indices.total[order], 0.4, yerr=indices.total_conf[order], label="total $S_{T_i}$"
    )
    ax.set_xticks(x, [indices.names[i] for i in order], rotation=30, ha="right")
    ax.set_ylabel("share of output variance")
    ax.set_ylim(bottom=min(0.0, float(np.min(indices.first - indices.first_conf))))
    ax.legend(title=f"{indices.level:.0%} intervals")
    return ax


def acceptability_chart(curve: Any, *, ax: Any = None) -> Any:
    """The acceptability curve: probability that sinking pays against the subsidy.

    Parameters
    ----------
    curve : AcceptabilityCurve
        From :func:`compensation.policy.acceptability.acceptability_curve`.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).

    Returns
    -------
    matplotlib Axes
        The curve with a band of ±2 Monte Carlo standard errors.
    """
    ax = _axes(ax)
    g, p, se = curve.subsidy, curve.probability, curve.standard_error
    ax.plot(g, p, color="tab:blue", drawstyle="steps-post")
    ax.fill_between(g, np.clip(p - 2 * se, 0, 1), np.clip(p + 2 * se, 0, 1), alpha=0.2, step="post")
    ax.set_xlabel("subsidy g (万元 per doctor-day)")
    ax.set_ylabel("probability that sinking pays")
    ax.set_ylim(-0.02, 1.02)
    return ax
