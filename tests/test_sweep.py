import sys
import time

import numpy as np
import pytest

from compensation import (
    Parameters,
    elasticities,
    nash_equilibria,
    sinking_game,
    sweep,
    threshold_subsidy,
    tornado,
)
from compensation.exceptions import SweepError

GRID = {"price": np.linspace(-0.1, 0.3, 7), "subsidy": np.linspace(0, 0.4, 5)}


def count_equilibria(p):  # not vectorisable: one nashpy game per point
    return len(nash_equilibria(sinking_game(p)).equilibria)


def test_vectorised_sweep_matches_point_by_point():
    r = sweep(threshold_subsidy, GRID, base=Parameters(readiness_cost=3.0))
    assert r.vectorised and r.values.shape == (7, 5)
    for i, w in enumerate(GRID["price"]):
        for j, g in enumerate(GRID["subsidy"]):
            q = Parameters(readiness_cost=3.0, price=w, subsidy=g)
            assert r.values[i, j] == threshold_subsidy(q)


@pytest.mark.parametrize("backend", ["numpy", "processes"])
def test_point_by_point_backends_agree(backend):
    r = sweep(count_equilibria, GRID, backend=backend, workers=2)
    assert not r.vectorised
    expected = np.array(
        [
            [count_equilibria(Parameters(price=w, subsidy=g)) for g in GRID["subsidy"]]
            for w in GRID["price"]
        ]
    )
    assert (r.values == expected).all()


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_dask_backend_on_a_real_local_cluster(dask_client):
    r = sweep(count_equilibria, GRID, backend="dask", client=dask_client)
    assert len(dask_client.scheduler_info()["workers"]) == 2
    ref = sweep(count_equilibria, GRID, backend="numpy")
    assert (r.values == ref.values).all()


def test_progress_bar_and_frame(capsys):
    r = sweep(count_equilibria, {"price": [0.0, 0.1]}, progress=True)
    assert "sweep" in capsys.readouterr().err
    frame = r.to_frame()
    assert list(frame.columns) == ["price", "value"] and len(frame) == 2


def test_sweep_errors_name_the_problem():
    with pytest.raises(ValueError, match="unknown parameter 'pric'; did you mean 'price'"):
        sweep(threshold_subsidy, {"pric": [0.0]})
    with pytest.raises(ValueError, match="subsidy must be finite and ≥ 0"):
        sweep(threshold_subsidy, {"subsidy": [-1.0, 0.0]})
    with pytest.raises(ValueError, match="backend must be one of"):
        sweep(threshold_subsidy, {"price": [0.0]}, backend="mpi")
    with pytest.raises(ValueError, match="non-empty 1-D"):
        sweep(threshold_subsidy, {"price": []})


def test_elasticity_matches_closed_form():
    # g* = k V/s + C/s - w - beta, so d ln g* / d ln w = -w / g*.
    p = Parameters()
    g = float(threshold_subsidy(p))
    e = elasticities(lambda q: float(threshold_subsidy(q)), p, ["price", "subsidy"])
    assert e["price"] == pytest.approx(-p.price / g, rel=1e-6)
    assert np.isnan(e["subsidy"])  # the base value is 0: no elasticity


def test_tornado_sorted_by_swing():
    bars = tornado(
        lambda q: float(threshold_subsidy(q)),
        Parameters(),
        {"brand_benefit": (0.0, 0.04), "price": (0.0, 0.05), "cost_linear": (0.1, 0.11)},
    )
    assert [b.name for b in bars] == ["price", "brand_benefit", "cost_linear"]
    assert bars[0].value_at_low == pytest.approx(0.214)


def test_fallback_is_recorded_and_can_be_refused():
    r = sweep(count_equilibria, {"price": [0.0, 0.1]})
    assert not r.vectorised and "scalar" in r.fallback_reason
    with pytest.raises(ValueError, match="needs scalar parameters"):
        sweep(count_equilibria, {"price": [0.0, 0.1]}, vectorised=True)
    assert sweep(threshold_subsidy, {"price": [0.0]}, vectorised=False).values.tolist() == [
        pytest.approx(0.214)
    ]


# ----- failures, timeouts, memory and shapes (issues: hanging points, huge grids, MemoryError
# fallback, reductions broadcast to the grid) -----------------------------------------------
HANG = {"price": np.linspace(0.0, 0.2, 5), "subsidy": [0.0, 0.1]}


def scalar_threshold(p):
    return float(threshold_subsidy(p))


def hang_above(p, limit=0.12, seconds=60.0):  # one hanging point (price 0.15, 0.2)
    if p.price > limit:
        time.sleep(seconds)
    return scalar_threshold(p)


def hang_briefly(p):  # short enough that the cancelled dask task frees its thread soon
    return hang_above(p, seconds=2.0)


def fail_above(p):
    if p.price > 0.12:
        raise ZeroDivisionError("no data here")
    return scalar_threshold(p)


def _check_partial(err, values_done_before):
    reference = sweep(scalar_threshold, HANG, vectorised=False).values
    done = err.completed
    assert done.shape == (5, 2) and done[:values_done_before].all() and not done[3, 0]
    assert np.array_equal(err.partial.values[done], reference[done])
    assert np.isnan(err.partial.values[~done]).all()


def test_hanging_point_times_out_naming_it_and_keeping_results():
    t0 = time.perf_counter()
    with pytest.raises(SweepError, match=r"did not finish within timeout=1 s at price=0\.15") as e:
        sweep(hang_above, HANG, backend="processes", workers=2, timeout=1)
    assert time.perf_counter() - t0 < 20  # not the 60 s of the hanging point
    assert e.value.timed_out and e.value.point == pytest.approx({"price": 0.15, "subsidy": 0.0})
    assert e.value.index == (3, 0)
    _check_partial(e.value, 3)


def test_dask_timeout_and_failure_name_the_point(dask_client):
    with pytest.raises(SweepError, match="timeout=0.5 s at price=0.15") as e:
        sweep(hang_briefly, HANG, backend="dask", client=dask_client, timeout=0.5)
    _check_partial(e.value, 3)
    with pytest.raises(SweepError, match="failed at price=0.15, subsidy=0 .* no data") as e:
        sweep(fail_above, HANG, backend="dask", client=dask_client)
    assert isinstance(e.value.__cause__, ZeroDivisionError)
    _check_partial(e.value, 3)


@pytest.mark.parametrize("backend", ["numpy", "processes"])
def test_failing_point_is_named_and_finished_results_kept(backend):
    with pytest.raises(SweepError, match=r"fn failed at price=0\.15, subsidy=0 \(grid index") as e:
        sweep(fail_above, HANG, backend=backend, workers=2, chunk_size=3)
    assert not e.value.timed_out and e.value.index == (3, 0)
    assert isinstance(e.value.__cause__, ZeroDivisionError)
    _check_partial(e.value, 3)


def test_timeout_options_are_checked():
    with pytest.raises(ValueError, match=r"timeout must be finite and > 0 \(seconds\); got -1"):
        sweep(scalar_threshold, HANG, backend="processes", timeout=-1)
    with pytest.raises(ValueError, match="timeout needs backend='processes' or 'dask'"):
        sweep(scalar_threshold, HANG, timeout=5)
    with pytest.raises(TypeError, match="fn must pickle for backend='processes'"):
        sweep(lambda p: 1.0, HANG, backend="processes")
    with pytest.raises(ValueError, match=r"chunk_size must be a whole number ≥ 1 \(points\)"):
        sweep(scalar_threshold, HANG, chunk_size=0)


def test_huge_grid_is_refused_before_anything_is_allocated():
    huge = np.broadcast_to(0.1, (10**9,))  # a view: the test itself allocates nothing
    with pytest.raises(
        ValueError, match=r"1,000,000,000 points, whose results need about 7\.5 GiB"
    ):
        sweep(threshold_subsidy, {"price": huge})
    with pytest.raises(ValueError, match=r"over max_bytes = 1\.0 KiB"):
        sweep(threshold_subsidy, {"price": np.linspace(0, 0.2, 200)}, max_bytes=1024)
    # Array-valued outputs: refused once the first chunk shows their size.
    with pytest.raises(ValueError, match=r"need 7\.6 MiB \(10,000 points × 100 value\(s\)"):
        sweep(
            lambda p: np.zeros((*np.shape(p.price), 100)),
            {"price": np.linspace(0, 0.2, 10_000)},
            max_bytes=2**20,
        )


def test_memory_error_propagates_instead_of_falling_back():
    def greedy(p):
        if np.ndim(p.price):
            raise MemoryError
        return scalar_threshold(p)

    with pytest.raises(MemoryError, match="pass a smaller chunk_size"):
        sweep(greedy, HANG)
    # Point by point a MemoryError is not a failed point either: it names the point.
    with pytest.raises(MemoryError, match="ran out of memory at price=0"):
        sweep(lambda p: (_ for _ in ()).throw(MemoryError()), HANG, vectorised=False)


def test_vectorised_chunks_bound_the_points_per_call_and_agree():
    seen = []

    def recording(p):
        seen.append(int(np.prod(p.shape)))
        return threshold_subsidy(p)

    grid = {
        "price": np.linspace(-0.1, 0.3, 7),
        "subsidy": np.linspace(0, 0.4, 5),
        "brand_benefit": [0.0, 0.03, 0.05],
    }
    whole = sweep(threshold_subsidy, grid)
    for size in (1, 4, 7, 16, 40, 105):
        seen.clear()
        r = sweep(recording, grid, chunk_size=size)
        assert r.vectorised and max(seen) <= size and sum(seen) == 105
        assert np.array_equal(r.values, whole.values)


def test_a_reduction_is_an_error_not_a_broadcast():
    # The report: np.mean of the thresholds was copied to every grid point.
    with pytest.raises(ValueError, match=r"fn returned shape \(\) for a grid of shape \(3,\)"):
        sweep(lambda p: np.mean(threshold_subsidy(p)), {"price": [0, 0.05, 0.1]})
    with pytest.raises(ValueError, match=r"shape \(2,\) for a grid of shape \(2, 3\)"):
        sweep(
            lambda p: threshold_subsidy(p).max(axis=1),
            {"price": [0, 0.05], "subsidy": [0.0, 0.1, 0.2]},
            vectorised=True,
        )
    # Point by point the same function is fine: each call sees one point.
    r = sweep(lambda p: np.mean(threshold_subsidy(p)), {"price": [0, 0.05, 0.1]}, vectorised=False)
    assert r.values.round(3).tolist() == [0.214, 0.164, np.inf]


def test_an_output_that_ignores_a_swept_parameter_still_broadcasts():
    # best_sinking does not depend on social_benefit and returns one number per price only.
    from compensation import best_sinking

    grid = {"social_benefit": [0.1, 0.2, 0.3], "leader_margin": [0.003, 0.005]}
    r = sweep(best_sinking, grid)
    point = sweep(lambda p: float(best_sinking(p)), grid, vectorised=False)
    assert r.values.shape == (3, 2) and np.array_equal(r.values, point.values)
    assert sweep(lambda p: 1.0, {"price": [0.0, 0.1]}).values.tolist() == [1.0, 1.0]


def test_to_frame_names_the_real_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    r = sweep(threshold_subsidy, {"price": [0.0]})
    with pytest.raises(ImportError, match=r"pip install 'compensation\[frame\]'"):
        r.to_frame()


def test_a_failure_in_a_later_vectorised_chunk_names_the_chunk_and_keeps_earlier_ones():
    def picky(p):
        if np.any(p.price > 0.12):
            raise ZeroDivisionError("no data here")
        return threshold_subsidy(p)

    # Chunks of at most 4 points are pairs of rows: prices (0, 0.05), (0.1, 0.15), (0.2).
    match = r"on the chunk of 4 points from price=0\.1, .* to price=0\.15, subsidy=0\.1: Zero"
    with pytest.raises(SweepError, match=match) as e:
        sweep(picky, HANG, chunk_size=4)
    assert e.value.completed.sum() == 4 and e.value.partial.vectorised
    _check_partial(e.value, 2)


def test_result_vocabulary_and_rounded_repr():
    r = sweep(threshold_subsidy, {"price": np.linspace(0, 0.2, 30), "subsidy": [0.0, 0.1]})
    assert r.success and r.method == r.backend == "numpy"
    assert r.message == "all 60 points evaluated"
    text = repr(r)
    assert "'price': <30 values from 0 to 0.2>" in text and "'subsidy': [0.0, 0.1]" in text
    assert "values=<array shape=(30, 2) dtype=float64>" in text


def test_the_partial_result_of_a_failure_is_not_a_success():
    with pytest.raises(SweepError) as e:
        sweep(fail_above, HANG, vectorised=False)
    partial = e.value.partial
    assert not partial.success and partial.message == str(e.value)
    assert partial.method == "numpy" and not partial.vectorised


def test_sweep_result_as_an_xarray_dataset_with_units():
    pytest.importorskip("xarray")
    from compensation.policy.thresholds import threshold_subsidy

    r = sweep(threshold_subsidy, {"price": [0.0, 0.05, 0.1], "readiness_cost": [0.0, 400.0]})
    ds = r.to_dataset("g_star", units="万元/dd")
    assert ds["g_star"].dims == ("price", "readiness_cost")
    assert ds["g_star"].attrs["units"] == "万元/dd"
    assert ds["readiness_cost"].attrs["units"] == "万元/yr"
    assert float(ds["g_star"].sel(price=0.05, readiness_cost=0.0)) == pytest.approx(0.164)
    two = sweep(lambda p: np.stack([p.price * 0 + 1, p.price], -1), {"price": [0.0, 1.0]})
    assert two.to_dataset().value.dims == ("price", "output_0")


def test_stream_sweep_on_a_dask_cluster_writes_the_numpy_file(dask_client, tmp_path):
    from compensation.analysis.stream import stream_sweep
    from compensation.policy.thresholds import threshold_subsidy

    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    stream_sweep(threshold_subsidy, GRID, a)
    r = stream_sweep(threshold_subsidy, GRID, b, backend="dask", client=dask_client, chunk_size=3)
    assert a.read_text() == b.read_text() and r.backend == "dask"
