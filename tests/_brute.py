"""Brute-force subsidy design over grids of (g, w, s): an oracle for tests only.

Independent of the library's hull-based design: the leader's response is a grid argmax
polished by bisection on a finite-difference slope, primary care's price a two-stage grid
search, and the government's subsidy a grid. Every value it returns is (to grid accuracy)
reached by an equilibrium, so the library's design must never be worse.
"""

import numpy as np

from compensation.model.payoffs import objectives_unchecked, payoffs_unchecked


def _obj(q, x, e=1.0):
    o_l, o_p = objectives_unchecked(q, x, np.asarray(e))
    return np.broadcast_to(o_l, np.shape(x)), np.broadcast_to(o_p, np.shape(x))


def leader_response(q, s_max, n_s=1201):
    """Leader's best sinking for every point of an array-valued ``q`` (trailing grid axis)."""
    s = np.linspace(0.0, s_max, n_s)
    shape = np.broadcast_shapes(q.shape, ())
    o = _obj(q.replace(**_expand(q)), np.broadcast_to(s, (*shape, n_s)))[0]
    k = o.argmax(axis=-1)
    best = s[k]
    h = s[1] - s[0]
    a, b = np.maximum(best - h, 0.0), np.minimum(best + h, s_max)
    d = 1e-7 * max(1.0, s_max)
    for _ in range(60):
        mid = 0.5 * (a + b)
        up = (_obj(q, mid + d)[0] - _obj(q, np.maximum(mid - d, 0))[0]) > 0
        a, b = np.where(up, mid, a), np.where(up, b, mid)
    root = 0.5 * (a + b)
    return np.where(_obj(q, root)[0] > _obj(q, best)[0], root, best)


def _expand(q):
    from compensation.model.parameters import FIELDS

    return {n: np.asarray(getattr(q, n))[..., None] for n in FIELDS if np.ndim(getattr(q, n))}


def primary_price(p, gs, span, n_w=161, n_fine=201):
    """Primary care's best price per subsidy in ``gs``: coarse grid, then a fine one."""
    lo, hi = span
    ws = np.linspace(lo, hi, n_w)[None, :].repeat(len(gs), 0)
    for width in (ws[0, 1] - ws[0, 0], None):
        q = p.replace(subsidy=gs[:, None], price=ws)
        s = leader_response(q, float(p.max_sinking))
        o_p = _obj(q, s)[1]
        j = o_p.argmax(axis=1)
        w_best = ws[np.arange(len(gs)), j]
        if width is None:
            break
        ws = w_best[:, None] + np.linspace(-2 * width, 2 * width, n_fine)[None, :]
    return w_best


def brute_design(p, alliance, g_max, n_g=41, w_span=None):
    """Best welfare over equilibrium outcomes found by grid search, and its (g, w, s)."""
    gs = np.linspace(0.0, g_max, n_g)
    if alliance == "government-led":
        w = np.full(n_g, float(p.price))
    else:
        w = primary_price(p, gs, w_span)
    q = p.replace(subsidy=gs, price=w)
    s = leader_response(q, float(p.max_sinking))
    short = np.maximum(_obj(q, s, 0.0)[1] - _obj(q, s, 1.0)[1], 0.0)
    q = q.replace(primary_subsidy=float(p.primary_subsidy) + short)
    welfare = payoffs_unchecked(q, s, np.asarray(1.0)).welfare
    i = int(np.argmax(welfare))
    return max(float(welfare[i]), 0.0), float(gs[i]), float(w[i]), float(s[i])
