"""The fast kernels of the leader's allocation and of participation equal plain references.

The allocation and the best-response dynamics (MODEL.md §10) skip work that cannot change
the result: rows that answer a multiplier with zero, hull refinements without a root, the
flow of a member evaluated once for both of its variants, members' objectives picked from
both variants when η = 0. Each shortcut is compared here, bit for bit where it claims to be
exact, with the plain computation it replaces, on random consortia with curved flows.
"""

import numpy as np
import pytest

import compensation.policy._dual as dual
import compensation.policy.participation as participation
from compensation import Parameters
from compensation.model.members import SHARED, Members, consortium_payoffs
from compensation.model.parameters import unchecked
from compensation.policy._dual import GRID, allocate_rows, prepare
from compensation.policy._member_hull import PEAKS, Part, refine, respond, upper_chain, upper_hull


def county(seed, n, flow, eta=0.0, mixed=False):
    """Unequal members; with ``mixed`` the siphon loss may turn into crowding (concave)."""
    rng = np.random.default_rng(seed)
    m = Members(
        name=[f"m{j}" for j in range(n)], visits=rng.uniform(5e3, 6e4, n),
        travel_cost=rng.uniform(0, 0.05, n), host_capacity=rng.uniform(50, 400, n),
        readiness_cost=rng.uniform(0, 3, n), max_shift=rng.uniform(0.05, 0.5, n),
    )  # fmt: skip
    p = Parameters(
        flow=flow, price=rng.uniform(0, 0.06), subsidy=rng.uniform(0, 0.3), primary_margin=0.01,
        cost_quadratic=rng.uniform(5e-6, 5e-5), integration=eta,
    )  # fmt: skip
    if mixed:
        p = p.replace(leader_margin=rng.uniform(0.002, 0.02), slot_value=rng.uniform(0, 0.008))
    return p, m, float(rng.choice([np.inf, rng.uniform(100, 150 * n)]))


def both_variants(p, m):
    idx = np.arange(len(m))
    return prepare(p, m, np.concatenate([idx, idx]), np.repeat([1.0, 0.0], len(m)), GRID)


def plain_response(prep, rows, mu):
    """Every row's exact response to μ, all rows solved (the computation before the cut)."""
    sub = prep.sub(rows)
    r, K = np.arange(len(rows)), sub.grid.shape[1]
    v = sub.verts[r, (sub.slopes > mu).sum(axis=1)]
    at, lo, hi = (sub.grid[r, k, None] for k in (v, np.maximum(v - 1, 0), np.minimum(v + 1, K - 1)))
    root = refine(sub.part, mu, 0.0, lo, hi)
    x = np.where(np.isnan(root), at, root)
    better = sub.part.value(x) - mu * x >= sub.part.value(at) - mu * at
    return np.where(better, x, at)[:, 0]


@pytest.mark.parametrize("flow", ["saturating", "logit", "linear"])
def test_responses_of_live_rows_equal_every_row_solved(flow):
    # Rows whose best average return from zero is at most μ answer exactly zero, so solving
    # only the others (and reading their vertex when no cell has a root) changes no bit.
    checked = roots = 0
    for seed in range(6):
        p, m, _ = county(seed, 40, flow, mixed=True)
        prep = both_variants(p, m)
        rng = np.random.default_rng(seed)
        rows = np.where(rng.integers(0, 2, len(m)), np.arange(len(m)), len(m) + np.arange(len(m)))
        first = prep.first[rows]
        top = np.sort(first[np.isfinite(first)])[::-1]
        answer = dual._Responses(prep, rows)
        # From high to low, as a search steps down: near members' thresholds, and between.
        near = np.concatenate([top[:8] - 1e-9, top[:8] + 1e-9, [top[0] * 2]])
        for mu in np.sort(np.concatenate([near, np.linspace(top[-1], top[0], 30)]))[::-1]:
            fast, plain = answer(float(mu)), plain_response(prep, rows, float(mu))
            assert np.array_equal(fast, plain)
            checked += 1
            roots += int(np.any((plain > 0) & (plain < prep.part.ub[rows])))
    assert checked >= 250
    if flow != "linear":
        assert roots > 0  # interior answers (a refined root) were met and matched too


def test_hull_of_a_convex_row_is_its_chord():
    # upper_hull writes a convex row's chord directly; Andrew's monotone chain agrees.
    rng = np.random.default_rng(3)
    K = 257
    ub = rng.uniform(10, 400, 30)
    grid = ub[:, None] * np.linspace(0, 1, K)
    x = grid / ub[:, None]
    kind = np.arange(30) % 3
    vals = rng.uniform(0.5, 2, (30, 1)) * np.where(
        kind[:, None] == 0, x**2, np.where(kind[:, None] == 1, -np.sqrt(x) + 0.3 * x, np.sin(5 * x))
    )
    verts, slopes, width, bridge = upper_hull(grid, vals)
    chain = upper_chain(grid, vals)
    for i in range(30):
        cols = np.flatnonzero(chain[i])
        hull = verts[i, : np.isfinite(slopes[i]).sum() + 1]
        assert hull.tolist() == cols.tolist()
        g, v = grid[i, cols], vals[i, cols]
        assert np.allclose(slopes[i, : len(cols) - 1], np.diff(v) / np.diff(g), rtol=1e-12)
        assert np.allclose(width[i, : len(cols) - 1], np.diff(g), rtol=1e-12)
        assert bridge[i, : len(cols) - 1].tolist() == (np.diff(cols) > 1).tolist()
    assert (kind == 0).sum() and (verts[kind == 0, 1] == K - 1).all()  # chords met


@pytest.mark.parametrize("flow", ["saturating", "logit"])
def test_both_variants_share_one_flow_evaluation(flow):
    p, m, _ = county(2, 30, flow)
    prep = both_variants(p, m)
    assert np.array_equal(prep.vals, prep.part.value(prep.grid))


def test_a_part_taken_by_rows_is_the_validated_copy():
    p, m, _ = county(4, 12, "logit")
    part = both_variants(p, m).part
    rows = np.array([3, 17, 5])
    fast = part.take(rows)
    q = part.q
    plain = unchecked(q, **{f: getattr(q, f)[rows] for f in SHARED if np.ndim(getattr(q, f))})
    x = np.linspace(0, 300, 7)
    assert np.array_equal(fast.value(x), Part(plain, *(a[rows] for a in (
        part.beta, part.kappa, part.const, part.ub, part.kink)), part.form).value(x))  # fmt: skip
    assert fast.q is not q and q.visits.shape == (24, 1)  # the original is untouched


def plain_respond(part, lin, quad, *, grid, vals):
    """The grid response with padded neighbours and take_along_axis (the earlier form)."""
    phi = vals - lin * grid - 0.5 * quad * grid * grid
    n, K = phi.shape
    pad = np.full((n, 1), -np.inf)
    peak = (phi >= np.hstack([pad, phi[:, :-1]])) & (phi >= np.hstack([phi[:, 1:], pad]))
    key = np.where(peak, -phi, np.inf)
    order = np.argpartition(key, PEAKS - 1, axis=1)[:, :PEAKS]
    take = np.take_along_axis
    at, live = take(grid, order, 1), take(peak, order, 1)
    lo = np.where(live, take(grid, np.maximum(order - 1, 0), 1), at)
    hi_ = np.where(live, take(grid, np.minimum(order + 1, K - 1), 1), at)
    root = refine(part, lin, quad, lo, hi_)
    x = np.where(np.isnan(root), at, root)
    val, val_at = part.value(x) - lin * x - 0.5 * quad * x * x, take(phi, order, 1)
    x, val = np.where(val >= val_at, x, at), np.where(live, np.maximum(val, val_at), -np.inf)
    best = np.argmax(val, axis=1)[:, None]
    return take(x, best, 1)[:, 0], take(val, best, 1)[:, 0]


@pytest.mark.parametrize("flow", ["saturating", "logit"])
def test_respond_equals_the_plain_form(flow):
    p, m, _ = county(5, 20, flow)
    prep = both_variants(p, m)
    rng = np.random.default_rng(5)
    for quad in (0.0, 2e-5):
        lin = rng.uniform(0.0, 0.4, (40, 1))
        fast = respond(prep.part, lin, quad, grid=prep.grid, vals=prep.vals)
        plain = plain_respond(prep.part, lin, quad, grid=prep.grid, vals=prep.vals)
        assert all(np.array_equal(a, b) for a, b in zip(fast, plain))


def best_responses(p, m, cap):
    """Best responses from all active, re-allocating at every switch (no shortcut)."""
    n, idx = len(m), np.arange(len(m))
    prep = both_variants(p, m)

    def objectives(e):
        s = allocate_rows(prep, np.where(e, idx, n + idx), cap)[0]
        return consortium_payoffs(p, m, s, e).primary_objective

    e, gain = np.ones(n, dtype=bool), np.zeros(n)
    obj, switched = objectives(e), True
    while switched:
        switched = False
        for j in range(n):
            dev = e.copy()
            dev[j] = not dev[j]
            gain[j] = objectives(dev)[j] - obj[j]
            if gain[j] > 1e-9 * (1 + abs(obj[j])):
                e, obj, switched = dev, objectives(dev), True
    return e, gain


@pytest.mark.parametrize(
    ("flow", "eta", "seed"),
    [("saturating", 0.0, 1), ("saturating", 0.0, 2), ("logit", 0.0, 3), ("logit", 0.3, 4)],
)
def test_equilibrium_equals_re_allocating_at_every_switch(flow, eta, seed):
    p, m, cap = county(seed, 14, flow, eta)
    r = participation_equilibrium(p, m, cap)
    active, gain = best_responses(p, m, cap)
    assert r.success and (r.active == active).all()
    assert np.allclose(r.deviation_gain, gain, rtol=0, atol=1e-9 * (1 + np.abs(gain).max()))
    assert active.sum() > 0 or np.isfinite(r.deviation_gain).all()


def participation_equilibrium(p, m, cap):
    return participation.participation_equilibrium(p, m, leader_capacity=cap)


def plain_fill(edges, live, owner, size, *, c1, c2, cap):
    """The greedy fill written as a loop: take edges by slope while they pay and fit."""
    slope, width, _, _ = edges
    s, total = np.zeros(size), 0.0
    for k in range(len(slope)):
        if not live[k]:
            continue
        total += width[k]
        if not (slope[k] > c1 + c2 * total and total <= cap):
            want = min((slope[k] - c1) / c2, cap)
            return s, k, min(max(want - (total - width[k]), 0.0), width[k])
        s[owner[k]] += width[k]
    return s, len(slope), None


@pytest.mark.parametrize("flow", ["linear", "saturating"])
def test_the_shared_fill_is_the_greedy_loop(flow):
    # One kernel serves the allocation's dual, the profile knapsack and the deviations.
    checked = partial = 0
    for seed in range(8):
        p, m, cap = county(seed, 25, flow, mixed=True)
        prep = both_variants(p, m)
        rng = np.random.default_rng(seed)
        n, row = len(m), prep.edges[2]
        for _ in range(4):
            e = rng.integers(0, 2, n).astype(bool)
            live = (row < n) == e[row % n]
            for c in (cap, 0.2 * cap, np.inf):
                cost = {"c1": prep.c1, "c2": prep.c2, "cap": c}
                s, _, stop, x = dual.fill_edges(prep.edges, live, row % n, n, **cost)
                s0, stop0, x0 = plain_fill(prep.edges, live, row % n, n, **cost)
                assert stop == stop0 and x == x0
                assert np.allclose(s, s0, rtol=1e-12, atol=1e-9)
                checked += 1
                partial += x is not None and 0 < x < prep.edges[1][stop]
    assert checked == 96 and partial > 10
