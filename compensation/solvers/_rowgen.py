r"""Row generation for the least core and the nucleolus of TU games (MODEL.md §7).

Private kernels of :mod:`compensation.solvers.cooperative`. Coalitions are bitmasks (bit
:math:`i` set means player :math:`i` is in); coalition sums :math:`x(T)` for all :math:`2^n`
coalitions are built by doubling in :math:`O(2^n)`, so the LPs generate only the coalition
constraints that bind instead of writing :math:`2^n` rows. Games arrive scaled to max
:math:`|v(T)|` of order 1 (:func:`scale_of`), so tolerances are relative.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..exceptions import ConvergenceError
from . import _lp, _warm
from ._coalitions import (
    DUAL_TOL,
    Round,
    Scaled,
    incidence,
    popcount,
    scale_of,
    seed_rows,
    subset_sums,
)

__all__ = [
    "ADD_PER_ROUND",
    "Scaled",
    "popcount",
    "scale_of",
    "solve_least_core",
    "solve_nucleolus",
    "subset_sums",
]

# Violated coalitions added per round of row generation, per player: each round rebuilds the
# LP, so few rows a round (the warm-started model, which keeps its LP, adds 32: _warm).
ADD_PER_ROUND = 2


def _lazy_minmax(
    g: Scaled,
    fixed: list[tuple[int, float]],
    exclude: NDArray[np.bool_],
    x0: NDArray[np.float64],
    warm: list[int] | None = None,
) -> Round:
    """Solve min eps s.t. v(T) - x(T) <= eps for T not excluded, x(T) = v(T) - e_T on ``fixed``.

    ``g.v`` is scaled to max |v| of order 1, so ``g.tol`` is relative. ``g.lower`` adds
    x_i >= lower_i (imputations) for players whose singleton is not excluded. Coalition rows
    are added lazily: start from :func:`seed_rows`, solve, add the most violated coalitions
    not yet in the LP, repeat.
    """
    n, v = g.n, g.v
    skip = exclude.copy()
    skip[[0, (1 << n) - 1]] = True
    active = seed_rows(g, skip, x0, warm or [])
    in_lp = np.zeros(1 << n, dtype=bool)
    in_lp[active] = True
    bound_players = [] if g.lower is None else [i for i in range(n) if not exclude[1 << i]]
    bound_rows = np.zeros((len(bound_players), n + 1))
    bound_rows[np.arange(len(bound_players)), bound_players] = -1.0
    bound_rhs = np.zeros(0) if g.lower is None else -g.lower[bound_players]
    eq_rows = np.hstack([incidence([t for t, _ in fixed], n), np.zeros((len(fixed), 1))])
    eq_rhs = np.array([v[t] - e for t, e in fixed])
    c = np.zeros(n + 1)
    c[-1] = 1.0
    for rounds in range(1, g.max_rounds + 1):
        rows = incidence(active, n)
        res = _lp.solve(
            c,
            A_ub=np.vstack([np.hstack([-rows, -np.ones((len(active), 1))]), bound_rows]),
            b_ub=np.concatenate([-v[active], bound_rhs]),
            A_eq=eq_rows,
            b_eq=eq_rhs,
            bounds=[(None, None)] * (n + 1),
            method=g.method,
        )
        if res.status != 0:
            raise ConvergenceError(
                f"LP solver {g.method!r} failed in round {rounds} of row generation: "
                f"{res.message} (status {res.status})"
            )
        x, eps = res.x[:n], float(res.x[n])
        exc = v - subset_sums(x)
        # Rows already in the LP hold up to the solver's own tolerance; re-adding them when
        # that exceeds ``tol`` looped forever (CBC reports 8 digits). Only new rows count.
        exc[skip | in_lp] = -np.inf
        violated = np.nonzero(exc > eps + g.tol)[0]
        if violated.size == 0:
            k = len(active)
            duals = res.ineq_duals
            return Round(
                eps,
                x,
                [(t, float(d)) for t, d in zip(active, duals[:k]) if d > DUAL_TOL],
                [(i, float(d)) for i, d in zip(bound_players, duals[k:]) if d > DUAL_TOL],
                rounds,
                active,
            )
        worst = violated[np.argsort(-exc[violated], kind="stable")[: ADD_PER_ROUND * n]]
        in_lp[worst] = True
        active = sorted(active + [int(t) for t in worst])
    worst_excess = float(exc[violated].max() - eps)
    raise ConvergenceError(
        f"row generation did not converge in {g.max_rounds} rounds with solver {g.method!r}: "
        f"{len(active)} of {1 << n} coalitions in the LP, largest violation {worst_excess:.3g} "
        f"relative to max |v(T)| (tol {g.tol:g}); try method='highs' or a larger tol"
    )


def _tight_solution(
    g: Scaled, fixed: list[tuple[int, float]], r: Round
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Solve the binding rows exactly for (x, eps); also say which unknowns they determine.

    Rows with a positive dual are tight at every optimum, so where they pin an unknown down the
    linear solve gives it to machine precision instead of the LP's solver tolerance.
    """
    n, v = g.n, g.v
    ts = [t for t, _ in fixed] + [t for t, _ in r.tight]
    rhs = [v[t] - e for t, e in fixed] + [v[t] for t, _ in r.tight]
    if g.lower is not None:
        ts += [1 << i for i, _ in r.tight_bounds]
        rhs += [g.lower[i] for i, _ in r.tight_bounds]
    with_eps = np.zeros((len(ts), 1))
    with_eps[len(fixed) : len(fixed) + len(r.tight)] = 1.0
    A, b = np.hstack([incidence(ts, n), with_eps]), np.array(rhs, dtype=float)
    _, sv, vt = np.linalg.svd(A, full_matrices=True)
    rank = int((sv > 1e-10 * sv.max()).sum())
    determined = np.abs(vt[rank:]).max(axis=0, initial=0.0) <= 1e-9
    # Correct the LP point rather than solve from scratch: an LP answer that already fits the
    # rows (HiGHS's usually does, exactly) stays bit for bit; a rounded one (CBC) is repaired.
    lp = np.append(r.x, r.eps)
    z = lp + np.linalg.lstsq(A, b - A @ lp, rcond=None)[0]
    # A misidentified binding row would make the correction worse than the LP's answer; keep
    # the LP value unless the two agree to well within the solvers' accuracy.
    determined &= np.abs(z - lp) <= 1e-6
    return z, determined


def use_warm(g: Scaled) -> bool:
    """Warm-started HiGHS for ``"auto"`` from ``WARM_MIN_PLAYERS`` players on, if available.

    Smaller games solve in a few LPs of a few rows, where ``linprog`` is as fast and goes
    through :func:`compensation.solvers._lp.solve` like the other methods.
    """
    return g.method == "auto" and g.n >= WARM_MIN_PLAYERS and _warm.available()


WARM_MIN_PLAYERS = 8


def solve_least_core(g: Scaled) -> tuple[float, NDArray[np.float64], int]:
    """Least core of the scaled game: (epsilon, x attaining it, rounds of row generation).

    See :func:`compensation.solvers.cooperative.least_core`.
    """
    n = g.n
    fixed = [((1 << n) - 1, 0.0)]
    exclude, x0 = np.zeros(1 << n, dtype=bool), np.full(n, g.v[-1] / n)
    if use_warm(g):
        r = _warm.lazy_round(_warm.WarmModel(g), exclude, x0)
    else:
        r = _lazy_minmax(g, fixed, exclude, x0)
    z, determined = _tight_solution(g, fixed, r)
    x = z[:n] if determined[:n].all() else r.x
    # Report the largest excess x really has: then x attains epsilon exactly, whatever the
    # solver's tolerance.
    eps = float(np.max((g.v - subset_sums(x))[1:-1]))
    return eps, x, r.rounds


def solve_nucleolus(g: Scaled) -> tuple[NDArray[np.float64], int, int]:
    """Sequential LPs on the scaled game; (x, LPs solved, sequential rounds).

    See :func:`compensation.solvers.cooperative.nucleolus`.
    """
    n, v = g.n, g.v
    full = (1 << n) - 1
    fixed: list[tuple[int, float]] = [(full, 0.0)]
    basis = np.ones((n, 1)) / np.sqrt(n)  # orthonormal basis of the fixed coalitions' span
    # |T| - ||Q^T 1_T||^2, the squared distance of each coalition from the fixed span, kept
    # up to date one new basis vector at a time (each costs one subset sum over 2^n).
    resid = popcount(n).astype(float) - subset_sums(basis[:, 0]) ** 2
    x = np.full(n, v[full] / n)
    lps = 0
    warm: list[int] = []
    model = _warm.WarmModel(g) if use_warm(g) else None
    for round_ in range(n):  # the rank of ``fixed`` grows every round, from 1 to n
        exclude = resid <= 1e-9
        if exclude[1:].all():
            break
        if model is not None:
            model.release(exclude)
            r = _warm.lazy_round(model, exclude, x)
        else:
            r = _lazy_minmax(g, fixed, exclude, x, warm)
        warm = r.active
        lps += r.rounds
        x = r.x
        basis, added = _fix_binding(g, fixed, basis, r)
        for k in range(basis.shape[1] - added, basis.shape[1]):
            resid -= subset_sums(basis[:, k]) ** 2
        if model is not None:
            for t, e in fixed[len(fixed) - added :]:
                model.fix(t, e)
        if not added:
            raise ConvergenceError(
                f"nucleolus: round {round_ + 1} found no new binding coalition with solver "
                f"{g.method!r} (an inaccurate LP solution); try method='highs'"
            )
    else:
        raise ConvergenceError(f"nucleolus: {n} rounds did not fix all {n} degrees of freedom")
    # Polish: the n independent fixed coalitions determine x; solving them removes LP rounding.
    vectors = incidence([t for t, _ in fixed], n)
    rhs = np.array([v[t] - e for t, e in fixed])
    return x + np.linalg.solve(vectors, rhs - vectors @ x), lps, round_


def _fix_binding(
    g: Scaled, fixed: list[tuple[int, float]], basis: NDArray[np.float64], r: Round
) -> tuple[NDArray[np.float64], int]:
    """Fix the round's binding rows that are independent of those fixed (appends to ``fixed``).

    Largest duals first; dependent rows are skipped so that the equality rows stay consistent
    however the solver rounds (dependent rows with rounded right-hand sides made later LPs
    infeasible). Returns the grown orthonormal basis and how many rows were added.
    """
    z, determined = _tight_solution(g, fixed, r)
    eps = float(z[g.n]) if determined[g.n] else r.eps
    candidates = [(d, t, eps) for t, d in r.tight]
    candidates += [(d, 1 << i, 0.0) for i, d in r.tight_bounds]
    added = 0
    for _, t, e in sorted(candidates, key=lambda c: -c[0]):
        vec = incidence([t], g.n)[0]
        resid = vec - basis @ (basis.T @ vec)
        norm = float(np.linalg.norm(resid))
        if norm > 1e-9 * float(np.linalg.norm(vec)):
            basis = np.hstack([basis, (resid / norm)[:, None]])
            fixed.append((t, e))
            added += 1
    return basis, added
