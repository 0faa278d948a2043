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


def test_dask_backend_on_a_real_local_cluster():
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        r = sweep(count_equilibria, GRID, backend="dask", client=client)
        assert len(client.scheduler_info()["workers"]) == 2
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
