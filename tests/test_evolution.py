import nashpy
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from compensation import (
    Parameters,
    Stability,
    ThreePopulationGame,
    basin_shares,
    evolutionary_game,
    replicator_rest_points,
    simulate_replicator,
    solve_2x2,
    subsidy_split_window,
    tripartite_game,
)

games2 = st.lists(st.integers(-20, 20), min_size=8, max_size=8).map(
    lambda v: (np.array(v[:4], float).reshape(2, 2) / 4, np.array(v[4:], float).reshape(2, 2) / 4)
)


def test_nashpy_documented_example():
    # nashpy docs, "Use asymmetric replicator dynamics": from (0.5, 0.5) at t = 10 they print
    # xs[-1] = [0.41421..., 0.58578...] and ys[-1] = [2.19926...e-09, ...]. Here the log-odds
    # move exactly: v' = -2 and u' = -y, so y(10) = 1/(1 + e^20) and x(10) = sqrt(2) - 1.
    A, B = np.array([[3, 2], [4, 2]]), np.array([[1, 3], [2, 4]])
    t = np.linspace(0, 10, 1000)
    ours = simulate_replicator(A, B, (0.5, 0.5), t)
    assert ours[-1, 0] == pytest.approx(np.sqrt(2) - 1, rel=1e-8)
    assert ours[-1, 1] == pytest.approx(1 / (1 + np.exp(20)), rel=1e-5)
    assert ours[-1, 0] == pytest.approx(0.41421, abs=1e-5)  # nashpy's documented digits
    xs, ys = nashpy.Game(A, B).asymmetric_replicator_dynamics(timepoints=t)
    assert np.allclose(ours[:, 0], xs[:, 0], atol=1e-6)
    assert np.allclose(ours[:, 1], ys[:, 0], atol=1e-6)


@given(games2)
def test_corner_stability_follows_friedman_sign_conditions(game):
    A, B = game
    rest = replicator_rest_points(A, B)
    sol = solve_2x2(A, B)
    for r in rest.points[:4]:
        x, y = r.point
        i, j = int(x == 0), int(y == 0)  # corner (1, 1) is row 0 / column 0
        strict_row = A[i, j] > A[1 - i, j]
        strict_col = B[i, j] > B[i, 1 - j]
        # Friedman (1991): a corner is asymptotically stable iff it is a strict equilibrium.
        assert (r.stability is Stability.STABLE) == (strict_row and strict_col)
        if r.stability is Stability.STABLE:
            assert sol.pure[i, j]
        assert r.eigenvalues.real.tolist() == pytest.approx(
            [A[1 - i, j] - A[i, j], B[i, 1 - j] - B[i, j]]
        )


@given(games2)
def test_only_pure_rest_points_can_be_stable(game):
    rest = replicator_rest_points(*game)
    for r in rest:
        if r.stability is Stability.STABLE:
            assert set(r.point) <= {0.0, 1.0}


@given(st.lists(st.integers(-20, 20), min_size=4, max_size=4))
def test_zero_sum_with_interior_equilibrium_gives_a_centre(values):
    A = np.array(values, float).reshape(2, 2) / 4
    sol = solve_2x2(A, -A)
    assume(not np.isnan(sol.mixed).any() and np.abs(A[0] - A[1]).min() > 1e-3)
    interior = [r for r in replicator_rest_points(A, -A) if 0 < r.point[0] < 1]
    assert len(interior) == 1
    assert interior[0].stability is Stability.CENTRE
    assert interior[0].point == pytest.approx(tuple(sol.mixed), rel=1e-12)


def test_coordination_game_interior_saddle_and_two_stable_corners():
    rest = replicator_rest_points([[3, 0], [0, 2]], [[2, 0], [0, 3]])
    assert [r.point for r in rest.stable()] == [(1.0, 1.0), (0.0, 0.0)]
    assert rest[-1].point == pytest.approx((0.6, 0.4))
    assert rest[-1].stability is Stability.SADDLE


def test_degenerate_game_flagged():
    rest = replicator_rest_points([[1, 1], [0, 0]], [[1, 1], [1, 0]])
    assert rest.degenerate
    assert any(r.stability is Stability.NON_HYPERBOLIC for r in rest)


@given(games2, st.integers(0, 19), st.integers(0, 19))
def test_trajectories_end_where_the_basin_map_says(game, j, i):
    # Starts are drawn from basin_shares's own grid (the old test drew any float and compared
    # only when it fell on a grid point to 1e-12, which never happened).
    A, B = game
    rest = replicator_rest_points(A, B)
    assume(not rest.degenerate and rest.stable())
    stable = [r.point for r in rest.stable()]
    bs = basin_shares(A, B, grid=20)
    assert bs.points == stable
    # Only starts on the separatrix (the saddle's stable manifold, a curve) are unresolved:
    # a monotone curve meets at most 2 * 20 - 1 of the 400 grid points.
    assert bs.unresolved < 0.1
    x0, y0 = bs.grid[j], bs.grid[i]
    speed = max(np.abs(A[0] - A[1]).max(), np.abs(B[:, 0] - B[:, 1]).max())
    end = simulate_replicator(A, B, (x0, y0), [0, 400 / speed])[-1]
    hits = [k for k, pt in enumerate(stable) if np.allclose(end, pt, atol=1e-4)]
    # A start near the separatrix may not have reached a corner by then; one on it (label -1)
    # reaches either corner as rounding pushes it off. Every other start is checked.
    if hits and bs.labels[i, j] != -1:
        assert bs.labels[i, j] == hits[0], (x0, y0)


@pytest.mark.parametrize(
    "game",
    [
        ([[3, 0], [0, 2]], [[1, 0], [0, 3]]),  # coordination: interior saddle
        ([[0, 2], [3, 0]], [[0, 1], [4, 0]]),  # anti-coordination: (1, 0) and (0, 1) stable
        ([[3, 0], [5, 1]], [[3, 5], [0, 1]]),  # prisoner's dilemma: one stable corner
    ],
)
def test_basin_shares_agree_with_solve_ivp_on_a_grid(game):
    A, B = np.array(game[0]), np.array(game[1])
    bs = basin_shares(A, B, grid=9)
    assert bs.shares.sum() + bs.unresolved == pytest.approx(1.0)
    checked = 0
    for i, y0 in enumerate(bs.grid):
        for j, x0 in enumerate(bs.grid):
            end = simulate_replicator(A, B, (x0, y0), [0, 150])[-1]
            expected = [k for k, pt in enumerate(bs.points) if np.allclose(end, pt, atol=1e-6)]
            if expected:  # solve_ivp resolved it (not stuck near the saddle)
                assert bs.labels[i, j] == expected[0], (x0, y0)
                checked += 1
    assert checked >= 0.9 * 9 * 9


def test_basins_of_symmetric_coordination_split_on_the_separatrix():
    # Separatrix y = 1 - x: grid points on it are unresolved, the rest split evenly.
    bs = basin_shares([[3, 0], [0, 2]], [[2, 0], [0, 3]], grid=12)
    assert bs.shares.tolist() == pytest.approx([66 / 144, 66 / 144])
    assert bs.unresolved == pytest.approx(12 / 144)


def test_degenerate_game_is_integrated():
    # Row 0 weakly dominant (a tie against column 1), column 0 strictly dominant: every
    # interior start still ends at (1, 1), found by the RK4 fallback.
    A, B = np.array([[2, 1], [0, 1]]), np.array([[2, 0], [1, 0]])
    assert replicator_rest_points(A, B).degenerate
    bs = basin_shares(A, B, grid=20)
    assert bs.points == [(1.0, 1.0)] and bs.shares.tolist() == [1.0]


def test_matching_pennies_nothing_resolves():
    bs = basin_shares([[1, -1], [-1, 1]], [[-1, 1], [1, -1]], grid=10)
    assert bs.points == [] and bs.unresolved == 1.0


def test_evolutionary_game_matches_advantages_from_parameters():
    p = Parameters(subsidy=0.3)
    rest = replicator_rest_points(evolutionary_game(p))
    assert [r.point for r in rest.stable()] == [(1.0, 1.0)]


def test_bad_input():
    with pytest.raises(ValueError, match="shape"):
        replicator_rest_points(np.zeros((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="start must be 2 shares"):
        simulate_replicator(np.eye(2), np.eye(2), (1.2, 0.5), [0, 1])
    with pytest.raises(ValueError, match="strictly increasing"):
        simulate_replicator(np.eye(2), np.eye(2), (0.2, 0.5), [1, 0])
    with pytest.raises(ValueError, match="grid must be an integer"):
        basin_shares(np.eye(2), np.eye(2), grid=1)
    with pytest.raises(ValueError, match="4 finite coefficients"):
        ThreePopulationGame((1, 2), (0, 0, 0, 0), (0, 0, 0, 0))


# ---- three populations ------------------------------------------------------------------

REG = dict(regulation_cost=10.0, reward=90.0, accountability_loss=20.0, fine_leader=5.0)


def test_tripartite_corner_eigenvalues_are_signed_advantages():
    p = Parameters(subsidy=0.2, primary_subsidy=5.0)
    game = tripartite_game(p, **REG)
    rest = game.rest_points()
    assert len(rest) == 8
    for r in rest:
        adv = game.advantages(*r.point)
        assert r.eigenvalues.real.tolist() == pytest.approx(
            ((1 - 2 * np.array(r.point)) * adv).tolist()
        )
    assert [r.point for r in rest.stable()] == [(1.0, 1.0, 1.0)]
    end = game.simulate((0.2, 0.2, 0.2), np.linspace(0, 10, 11))[-1]
    assert np.allclose(end, 1.0, atol=1e-6)


def test_tripartite_government_advantage_matches_model():
    p = Parameters(subsidy=0.2, primary_subsidy=5.0)
    game = tripartite_game(p, **REG)
    g_s, g_p = 0.2 * 300, 5.0
    for x, y in [(0.3, 0.6), (1, 0), (0.5, 0.5)]:
        d = -10 - x * g_s - y * g_p + (1 - x) * 5 + (1 - y) * 0 + 90 * x * y + 20 * (1 - x * y)
        assert game.advantages(x, y, 0.0)[2] == pytest.approx(d)


@given(st.floats(0.0, 1.0))
def test_split_window_is_exact(alpha):
    p, budget = Parameters(), 80.0
    w = subsidy_split_window(p, budget, regulation_cost=10, reward=100)
    split = p.replace(
        subsidy=alpha * budget / p.sinking_level, primary_subsidy=(1 - alpha) * budget
    )
    game = tripartite_game(split, regulation_cost=10, reward=100, accountability_loss=0)
    stable = game.rest_points()[0].stability is Stability.STABLE
    if abs(alpha - w.low) > 1e-9 and abs(alpha - w.high) > 1e-9:
        assert stable == w.contains(alpha)


def test_crowding_out():
    # Tilting a fixed budget toward primary care makes the leader retreat from (1, 1, 1).
    w = subsidy_split_window(Parameters(), 80.0, regulation_cost=10, reward=100)
    assert not w.empty and w.low > 0.5
    assert w.contains(0.8) and not w.contains(w.low - 0.05)
    assert subsidy_split_window(Parameters(), 80.0, regulation_cost=30, reward=100).empty


def test_results_share_the_result_vocabulary():
    rest = replicator_rest_points([[3, 0], [0, 2]], [[2, 0], [0, 3]])
    assert repr(rest[-1]).startswith("RestPoint((0.6, 0.4), saddle")  # its own, leading repr
    assert repr(rest).startswith("RestPoints(points=(RestPoint((1, 1), stable")
    assert rest.to_dict()["degenerate"] is False
    exact = basin_shares([[3, 0], [0, 2]], [[1, 0], [0, 3]], grid=10)
    integrated = basin_shares([[2, 1], [0, 1]], [[2, 0], [1, 0]], grid=10)
    assert (exact.method, integrated.method) == ("conserved quantity", "integration")
    assert repr(exact).startswith("BasinShares(points=[(1.0, 1.0), (0.0, 0.0)], shares=[")
    assert "labels" not in repr(exact)
    w = subsidy_split_window(Parameters(), 80.0, regulation_cost=10, reward=100)
    assert repr(w).startswith("SplitWindow(low=0.615")


# ---- heteroclinic cycles (issue 14, item 5) ------------------------------------------------

ALL_SADDLES = ThreePopulationGame(
    (0.06, -0.09, -1.75, 0), (-0.14, 0.55, -0.28, 0), (-0.44, 1.47, 2.39, 0)
)
# x rises while z is low, y follows x, z follows y: a six-corner cycle with |adv| = 1 at
# every corner. In log-odds each share moves at speed 1 near the boundary, so the dwell times
# obey T_{k+2} = T_k + T_{k+1} (x crosses 1/2 upward when the path reaches (1, 0, 0) and
# downward T_2 + T_3 later, when the rising time T_2 + T_3 has been undone by T_4): they grow
# by the golden ratio per corner.
FIBONACCI = ThreePopulationGame((1, 0, -2, 0), (-1, 2, 0, 0), (-1, 0, 2, 0))


def test_all_saddle_game_is_simulated_not_raised():
    # solve_ivp in shares stopped here with "Required step size is less than spacing between
    # numbers"; in log-odds the path closes in on a heteroclinic cycle.
    assert {r.stability for r in ALL_SADDLES.rest_points()} == {Stability.SADDLE}
    path = ALL_SADDLES.simulate((0.3, 0.3, 0.3), np.linspace(0, 2000, 2001))
    assert path.heteroclinic and "heteroclinic cycle" in path.message and "attracts" in path.message
    assert np.asarray(path).shape == (2001, 3) and path[:, 0].shape == (2001,)
    assert ((path.states >= 0) & (path.states <= 1)).all()
    assert np.array_equal(path.states, 0.5 * (1 + np.tanh(0.5 * path.log_odds)))
    # The cycle is a directed cycle of the corner graph: every step leaves along an edge on
    # which the flow runs from that corner to the next.
    graph = ALL_SADDLES.corner_graph()
    cycle = path.cycle
    assert len(cycle) == 6
    for a, b in zip(cycle, cycle[1:] + cycle[:1]):
        assert b in graph[a]
    # Attracting: the closest approach to each corner shrinks round after round.
    k = len(cycle)
    assert (path.closest[-k:-1] < path.closest[-2 * k : -k - 1]).all()
    assert abs(path.log_odds[-1]).min() > 30  # within e^-30 of the boundary


def test_fibonacci_cycle_dwell_times_grow_by_the_golden_ratio():
    path = FIBONACCI.simulate((0.3, 0.3, 0.3), np.linspace(0, 3000, 30001))
    assert path.heteroclinic
    assert path.cycle == (
        (1.0, 1.0, 1.0), (0.0, 1.0, 1.0), (0.0, 0.0, 1.0),
        (0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0),
    )  # fmt: skip
    # The predicted order: from each corner of the cycle the flow leaves along one edge only.
    graph = FIBONACCI.corner_graph()
    assert all(graph[c] == (n,) for c, n in zip(path.cycle, path.cycle[1:] + path.cycle[:1]))
    T = path.dwell[:-1]  # the last visit is cut short by t[-1]
    # Once the path hugs the boundary the recurrence holds to the reporting step (0.1).
    assert len(T) >= 12 and np.abs(T[6:] - T[5:-1] - T[4:-2]).max() <= 0.2 + 1e-9
    assert T[-1] / T[-2] == pytest.approx((1 + 5**0.5) / 2, rel=1e-3)


def test_a_start_on_a_face_stays_on_it_and_circles_in_the_predicted_order():
    # On the face z = 0 the game is matching pennies between x and y: closed orbits around
    # the centre; the corners are visited in the order of the face's edges.
    game = ThreePopulationGame((-1, 2, 0, 0), (1, -2, 0, 0), (-1, 0, 0, 0))
    path = game.simulate((0.05, 0.05, 0.0), np.linspace(0, 200, 2001))
    assert (path.states[:, 2] == 0).all() and np.isneginf(path.log_odds[:, 2]).all()
    graph = game.corner_graph()
    for a, b in zip(path.corners, path.corners[1:]):
        assert b in graph[a] and a[2] == b[2] == 0.0
    cycle = path.cycle
    assert len(cycle) == 4 and all(graph[a] == (b,) for a, b in zip(cycle, cycle[1:] + cycle[:1]))
    assert set(cycle) == {(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 1.0, 0.0)}
    # Closed orbits: d/dt ln[x(1-x)y(1-y)] = (1-2x)(2y-1) - (1-2y)(1-2x)... = 0 exactly here.
    x, y = path.states[:, 0], path.states[:, 1]
    H = np.log(x * (1 - x) * y * (1 - y))
    assert np.ptp(H) < 1e-7
    assert not path.heteroclinic and "without closing in" in path.message


def test_simulate_keeps_old_callers_working_and_checks_input():
    game = ThreePopulationGame((1, 0, 0, 0), (-1, 2, 0, 0), (0.5, 0, 0, 0))
    path = game.simulate((0.2, 0.2, 0.2), [0, 30])
    assert np.allclose(path[-1], 1.0, atol=1e-6) and len(path) == 2
    assert not path.heteroclinic and path.corners[-1] == (1.0, 1.0, 1.0)
    assert path.message.startswith("ends at (1, 1, ")
    assert "states" not in repr(path)
    with pytest.raises(ValueError, match="start must be shares in"):
        game.simulate((1.2, 0.5, 0.5), [0, 1])
    with pytest.raises(ValueError, match="strictly increasing"):
        game.simulate((0.2, 0.5, 0.5), [1, 0])
    with pytest.raises(ValueError, match="corner_tol must be in"):
        game.simulate((0.2, 0.5, 0.5), [0, 1], corner_tol=0.6)
