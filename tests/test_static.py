"""Lint and type checks run with the tests, so CI enforces them (STYLE.md, Packaging)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_ruff_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "compensation", "tests", "examples", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_clean():
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "compensation"], cwd=ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stdout + out.stderr
