import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

from compensation import Parameters, tripartite_game  # noqa: E402
from compensation.plotting import basin_map, phase_portrait, trajectories3  # noqa: E402


def test_phase_portrait_marks_every_rest_point():
    ax = phase_portrait([[3, 0], [0, 2]], [[2, 0], [0, 3]])
    markers = [line for line in ax.lines if line.get_marker() in ("o", "s", "D", "^")]
    assert len(markers) == 5  # four corners and the interior saddle


def test_basin_map_and_trajectories_draw():
    ax = basin_map([[3, 0], [0, 2]], [[1, 0], [0, 3]], grid=20)
    assert ax.collections
    game = tripartite_game(
        Parameters(subsidy=0.2, primary_subsidy=5),
        regulation_cost=10,
        reward=90,
        accountability_loss=20,
    )
    ax3 = trajectories3(game, [[0.2, 0.2, 0.2]], np.linspace(0, 3, 50))
    assert len(ax3.lines) >= 2


def test_tornado_chart():
    from compensation import threshold_subsidy, tornado
    from compensation.plotting import tornado_chart

    bars = tornado(
        lambda q: float(threshold_subsidy(q)),
        Parameters(),
        {"price": (0.0, 0.05), "brand_benefit": (0.0, 0.04)},
    )
    ax = tornado_chart(bars, baseline=0.164)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["brand_benefit", "price"]


def test_missing_matplotlib_names_the_extra():
    code = (
        "import sys; sys.modules['matplotlib'] = None; sys.modules['matplotlib.pyplot'] = None\n"
        "from compensation.plotting import phase_portrait\n"
        "try:\n    phase_portrait([[1, 0], [0, 1]], [[1, 0], [0, 1]])\n"
        "except ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "pip install 'compensation[plot]'" in out.stdout


def test_sobol_and_acceptability_charts_draw_one_bar_per_index():
    pytest.importorskip("SALib")
    from scipy import stats

    from compensation.analysis.global_sensitivity import sobol_indices
    from compensation.plotting import acceptability_chart, sobol_chart
    from compensation.policy.acceptability import acceptability_curve
    from compensation.policy.thresholds import threshold_subsidy

    s = sobol_indices(threshold_subsidy, {"price": (0, 0.04), "brand_benefit": (0, 0.02)}, n=256)
    ax = sobol_chart(s)
    assert len(ax.patches) == 4
    assert [t.get_text() for t in ax.get_xticklabels()] == ["price", "brand_benefit"]
    c = acceptability_curve({"price": stats.norm(0.03, 0.004)}, np.linspace(0.15, 0.22, 8))
    ax = acceptability_chart(c)
    assert ax.lines[0].get_ydata().tolist() == c.probability.tolist()
