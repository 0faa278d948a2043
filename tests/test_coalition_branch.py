"""The consortium game's search kernels (MODEL.md §10): children of a level, sums per member."""

import itertools

import numpy as np
import pytest

from compensation import Parameters
from compensation.model.members import Members
from compensation.policy import _coalition_value as cvm
from compensation.policy._coalition_branch import branch
from compensation.policy._coalition_fix import node_fix
from compensation.policy.consortium_game import consortium_game


def _members(n, seed, **fields):
    rng = np.random.default_rng(seed)
    cap = rng.uniform(50, 200, n)
    cap[0] = 0.0  # a member with no room: no hull edge
    return Members(name=[f"M{j}" for j in range(n)], visits=rng.uniform(2_000, 20_000, n),
                   travel_cost=rng.uniform(0, 0.05, n), host_capacity=cap,
                   readiness_cost=2.0 * rng.uniform(0, 1, n), **fields)  # fmt: skip


GAMES = {
    "readiness": (Parameters(subsidy=0.3), {}),
    "flow caps": (Parameters(subsidy=0.4), {"shift_rate": np.linspace(1e-3, 5e-3, 14)}),
    "saturating": (Parameters(subsidy=0.2, flow="saturating"), {}),
}


@pytest.mark.parametrize("case", GAMES)
def test_sums_per_member_are_the_sparse_product_bit_for_bit(case):
    p, fields = GAMES[case]
    fn = consortium_game(p, _members(14, 1, **fields), leader_capacity=800).function
    assert not (fn.owner == 0).any()  # a member without edges sums to 0
    x = np.random.default_rng(2).uniform(0, 50, (37, fn.owner.size))
    x[x < 20] = 0.0
    x[:, 1::3] *= 1e-7  # widths of very different sizes: rounding shows the order of sums
    ours, sparse = fn.per_member(x), np.asarray(x @ fn.onehot)
    assert ours.tobytes(order="A") == sparse.tobytes(order="A")
    assert ours.flags.f_contiguous == sparse.flags.f_contiguous  # later sums follow the layout


def _levels(fn, rows, depth):
    """The search's first levels: (pieces, open nodes' state, split members, bounds)."""
    pieces = cvm._Pieces(fn)
    inside = np.asarray(rows, dtype=bool)[:, 1:]
    mask, pid, owner = inside, np.zeros((len(inside), 0), dtype=np.intp), np.arange(len(inside))
    best = np.full(len(inside), -np.inf)
    for _ in range(depth):
        bound, at, split, value, price = cvm._relax(fn, pieces, mask, pid)
        np.maximum.at(best, owner, value)
        go = split >= 0
        mask, pid = node_fix(fn, pieces, (mask[go], pid[go]), (price[go], best[owner[go]]),
                             split[go])  # fmt: skip
        yield pieces, (owner[go], pid, at[go], mask), split[go], bound[go]
        closed = np.full(len(inside), -np.inf)
        owner, pid, mask = branch(fn, pieces, (owner[go], pid, at[go], mask), split[go],
                                  (bound[go], closed))  # fmt: skip


def _key(pieces, i):
    return pieces.rows[i][7]


@pytest.mark.parametrize("case", ["readiness", "flow caps"])
def test_a_level_branched_at_once_is_each_node_branched_alone(case):
    p, fields = GAMES[case]
    fn = consortium_game(p, _members(14, 3, **fields), leader_capacity=700).function
    rows = np.random.default_rng(4).random((60, 15)) < 0.6
    rows[:, 0] = True
    seen = 0
    for pieces, state, split, bound in _levels(fn, rows, 4):
        owner, pid, at, mask = state
        closed = np.full(len(rows), -np.inf)
        who, kids, kid_mask = branch(fn, pieces, state, split, (bound, closed))
        assert np.array_equal(who, np.sort(who))  # children in their parents' order
        assert len(kid_mask) == len(who)
        done = 0
        for i in range(len(owner)):
            one = (owner[i : i + 1], pid[i : i + 1], at[i : i + 1], mask[i : i + 1])
            alone = np.full(len(rows), -np.inf)
            w1, k1, m1 = branch(fn, pieces, one, split[i : i + 1], (bound[i : i + 1], alone))
            mine = kids[done : done + len(w1)]
            done += len(w1)
            assert (w1 == owner[i]).all() and (m1 == mask[i]).all()
            assert (kid_mask[done - len(w1) : done] == mask[i]).all()
            mine = [r[r >= 0].tolist() for r in mine]
            assert mine == [r[r >= 0].tolist() for r in k1]
            if not len(w1):  # a node without children closes with its bound
                assert alone[owner[i]] == bound[i] and closed[owner[i]] >= bound[i]
                continue
            # each child: the parent's pieces in order, the split member's piece cut
            parent = [x for x in pid[i].tolist() if x >= 0]
            j = int(split[i])
            cut = [x for x in parent if _key(pieces, x)[0] == j]
            whole = _key(pieces, cut[0]) if cut else (j, 0, pieces.size, False)
            keys = sorted(_key(pieces, r[[_key(pieces, x)[0] for x in r].index(j)]) for r in mine)
            assert keys[0][1] == whole[1] and keys[-1][2] == whole[2]
            assert all(a[2] == b[1] for a, b in itertools.pairwise(keys))  # a partition
            for r in mine:
                assert [x for x in r if _key(pieces, x)[0] != j] == [
                    x for x in parent if _key(pieces, x)[0] != j
                ]
        assert done == len(who)
        seen += len(who)
    assert seen > 50  # the search went several levels deep
