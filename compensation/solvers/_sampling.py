r"""Sampling kernels shared by the Shapley, Owen and Banzhaf estimators (MODEL.md §11).

Orderings come in *blocks*, the independent unit of the standard error: a random ordering,
or when stratified :math:`n` orderings forming a randomised Latin square (each player then
stands once in every position, and the prefixes of a player across the block are not nested),
and each ordering with its reverse when antithetic (a player late in one is early in the
other, which cancels most of the variance of "is the leader already in?"). All prefixes of a
batch of orderings are evaluated in one call of the game.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .._validation import check_count

__all__ = [
    "Design",
    "MIN_SAMPLES",
    "Estimate",
    "block_size",
    "check_samples",
    "check_targets",
    "estimate",
    "ordering_marginals",
    "union_orderings",
]

Array = NDArray[np.float64]
CELLS = 1 << 22  # booleans of prefix matrices per game call
MIN_BLOCKS = 8  # blocks before the stop rule may trust a standard error
# Fewest draws of an estimator: one draw has no spread, so no standard error, and the Owen and
# Banzhaf samplers draw in antithetic pairs (an ordering and its reverse, a coalition and its
# complement), so fewer than two would draw nothing.
MIN_SAMPLES = 2


def check_samples(samples: Any, what: str, *, minimum: int = MIN_SAMPLES) -> int:
    """``samples`` if it is an integer ≥ ``minimum`` (not a bool), else ``ValueError``.

    One check and one message for every sampler; ``what`` says what is drawn ("orderings to
    draw"). Estimators need ``MIN_SAMPLES``; the big-boss test, which estimates nothing (a
    violation found is certain), takes ``minimum=1``.
    """
    return check_count("samples", samples, minimum=minimum, what=what)


def check_target(tol: Any) -> float | None:
    """A standard-error target (unit of the game), > 0, or None for none."""
    if tol is None:
        return None
    t = float(tol)
    if not np.isfinite(t) or t <= 0:
        raise ValueError(
            f"tol must be a finite standard error > 0 (unit of v) or None; got {tol!r}"
        )
    return t


def check_targets(tol: Any, n: int) -> float | Array | None:
    """A standard-error target: one for all players, or one per player (``inf`` for none).

    Returns None, a float > 0, or an array of ``n`` values > 0 (``inf`` allowed, not all).
    """
    if tol is None or np.ndim(tol) == 0:
        return check_target(tol)
    t = np.asarray(tol, dtype=float)
    if t.shape != (n,) or np.isnan(t).any() or (t <= 0).any() or not np.isfinite(t).any():
        raise ValueError(
            f"tol must be a standard error > 0 (unit of v), or {n} of them, one per player "
            f"(inf: no target for that player, not all); got shape {t.shape}: {t.tolist()}"
        )
    return t


@dataclass(frozen=True)
class Design:
    """How orderings are drawn: rotations (stratified by position), reverses (antithetic)."""

    n: int
    stratified: bool
    antithetic: bool

    @property
    def size(self) -> int:
        return block_size(self.n, self.stratified, self.antithetic)

    def draw(self, gen: np.random.Generator, blocks: int) -> NDArray[np.intp]:
        """Orderings of ``blocks`` blocks, shape ``(blocks * size, n)``, block after block."""
        n = self.n
        base = np.argsort(gen.random((blocks, n)), axis=1)
        if self.stratified:
            # A Latin square: in ordering r player i stands at sigma((a_i + r) mod n), so each
            # player takes every position once per block. Plain rotations (sigma = identity)
            # would give a player nested prefixes across the block, whose values move together
            # and inflate the block's variance (50-fold for a leader's contribution); the
            # random relabelling of positions sigma breaks the nesting, and each ordering is
            # still uniform (a uniform sigma composed with a fixed map).
            # With a = inverse of `label` and sigma = inverse of `base` (both uniform), position
            # q of ordering r holds player label[(base[q] - r) mod n].
            label = np.argsort(gen.random((blocks, n)), axis=1)
            at = (base[:, None, :] - np.arange(n)[None, :, None]) % n  # (blocks, r, q)
            base = np.take_along_axis(label[:, None, :], at.reshape(blocks, 1, -1), axis=2)
            base = base.reshape(-1, n)
        if self.antithetic:
            per = base.shape[0] // blocks
            base = np.concatenate(
                [base.reshape(blocks, per, self.n), base.reshape(blocks, per, self.n)[:, :, ::-1]],
                axis=1,
            ).reshape(-1, self.n)
        return base


def block_size(n: int, stratified: bool, antithetic: bool) -> int:
    return (n if stratified else 1) * (2 if antithetic else 1)


def ordering_marginals(game: Any, perms: NDArray[np.intp]) -> Array:
    r"""Marginal contributions :math:`v(P_i^\pi \cup i) - v(P_i^\pi)`, shape ``(k, n)`` by player.

    Each ordering's row sums to :math:`v(N)` (a telescoping sum).
    """
    k, n = perms.shape
    rank = np.empty_like(perms)
    np.put_along_axis(rank, perms, np.arange(n), axis=1)
    out = np.empty((k, n))
    step = max(1, CELLS // ((n + 1) * n))
    if hasattr(game, "v"):  # a table: prefix bitmasks by cumulative sums, no matrices
        masks = np.cumsum(np.left_shift(np.int64(1), perms), axis=1)
        before = np.concatenate([np.zeros((k, 1), dtype=np.int64), masks[:, :-1]], axis=1)
        contrib = game.v[masks] - game.v[before]
        return np.take_along_axis(contrib, rank, axis=1)
    if getattr(game, "prefix", None) is not None:
        return np.take_along_axis(np.diff(game.prefixes(perms), axis=1), rank, axis=1)
    sizes = np.arange(n + 1)
    for start in range(0, k, step):
        r = rank[start : start + step]
        prefix = r[:, None, :] < sizes[None, :, None]  # (b, n + 1, n)
        vals = game.evaluate(prefix.reshape(-1, n)).reshape(r.shape[0], n + 1)
        out[start : start + r.shape[0]] = np.take_along_axis(np.diff(vals, axis=1), r, axis=1)
    return out


def union_orderings(
    gen: np.random.Generator, unions: list[NDArray[np.intp]], count: int, antithetic: bool
) -> NDArray[np.intp]:
    """Orderings consistent with the unions: a random order of unions, a random one inside."""
    m = len(unions)
    half = count // 2 if antithetic else count
    order = np.argsort(gen.random((half, m)), axis=1)
    inner = [u[np.argsort(gen.random((half, u.size)), axis=1)] for u in unions]
    size = np.array([u.size for u in unions])
    start = np.zeros((half, m), dtype=np.intp)
    np.put_along_axis(start, order, np.cumsum(np.take_along_axis(size[None], order, 1), 1), 1)
    start -= size[None, :]  # where each union begins in each ordering
    n = int(size.sum())
    perms = np.empty((half, n), dtype=np.intp)
    rows = np.arange(half)[:, None]
    for u, members in enumerate(inner):
        perms[rows, start[:, u, None] + np.arange(size[u])] = members
    if antithetic:
        perms = np.stack([perms, perms[:, ::-1]], axis=1).reshape(-1, n)
    return perms


@dataclass
class Estimate:
    """Running sums of block means, for the mean and its standard error per player."""

    n: int
    blocks: int = 0
    shift: Array | None = None
    total: Array | None = None
    total_sq: Array | None = None

    def add(self, block_means: Array) -> None:
        if self.shift is None:
            # Sums of squares of raw values lose the variance to cancellation when the mean
            # is large against the spread; sums around a first guess of the mean do not.
            self.shift = block_means[0].copy()
            self.total, self.total_sq = np.zeros(self.n), np.zeros(self.n)
        assert self.total is not None and self.total_sq is not None
        d = block_means - self.shift
        self.blocks += block_means.shape[0]
        self.total += d.sum(axis=0)
        self.total_sq += (d**2).sum(axis=0)

    @property
    def mean(self) -> Array:
        assert self.total is not None and self.shift is not None
        return self.shift + self.total / self.blocks

    @property
    def error(self) -> Array:
        assert self.total is not None and self.total_sq is not None
        if self.blocks < 2:
            return np.full(self.n, np.inf)
        m = self.total / self.blocks
        var = (self.total_sq - self.blocks * m**2) / (self.blocks - 1)
        return np.sqrt(np.maximum(var, 0.0) / self.blocks)


def estimate(
    draw: Any,
    n: int,
    *,
    blocks: int,
    per_call: int,
    target: float | Array | None,
    first: int = 2 * MIN_BLOCKS,
) -> tuple[Estimate, bool]:
    """Draw blocks (``draw(b)`` gives ``(b, n)`` block means) until the budget or the target.

    ``target`` is one standard error for all players or one per player; ``first`` is the
    blocks of the first call under a target, from which the rest is sized. Returns the
    estimate and whether the target was met (True when there is no target).
    """
    est = Estimate(n)
    met = target is None
    while est.blocks < blocks:
        b = min(per_call, blocks - est.blocks)
        if target is not None:
            # Calls sized by the blocks the target still needs (the error falls as 1/sqrt),
            # so a large call does not overshoot it; a small first call gives the estimate.
            need = first
            if est.blocks >= 2:
                ratio = float(np.max(est.error / target))
                need = math.ceil(1.1 * est.blocks * max(ratio**2 - 1.0, 0.0)) + 1
            b = min(b, max(need, 1))
        est.add(draw(b))
        trusted = est.blocks >= min(MIN_BLOCKS, blocks)
        if target is not None and trusted and bool(np.all(est.error <= target)):
            met = True
            break
    return est, met


def batch_blocks(n: int, size: int, chain: bool = False) -> int:
    """Blocks per call so that one call evaluates about ``CELLS`` prefix cells.

    With ``chain`` the game evaluates prefixes by running sums (``n`` cells per ordering, not
    the ``(n + 1) n`` of a prefix matrix).
    """
    cells = size * n * (1 if chain else n + 1)
    return max(1, math.ceil(CELLS / max(1, cells)))
