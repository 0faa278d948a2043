import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip(), "an example must print what it found"
    assert "Warning" not in result.stderr, result.stderr


def test_threshold_map_saves_png(tmp_path):
    pytest.importorskip("matplotlib")
    script = Path(__file__).parents[1] / "examples" / "threshold_map.py"
    out = tmp_path / "map.png"
    subprocess.run(
        [sys.executable, str(script), str(out)],
        check=True,
        capture_output=True,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
