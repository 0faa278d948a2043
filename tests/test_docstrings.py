"""Every public function documents its parameters, result, errors and an example (issue 11)."""

import inspect

import pytest

import compensation

# Functions that cannot raise on any input their signature admits (validated Parameters).
NEVER_RAISE = {"price_gap", "egalitarian", "regret", "savings_per_visit"}

FUNCTIONS = [n for n in compensation.__all__ if inspect.isfunction(getattr(compensation, n))]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_numpydoc_sections(name):
    obj = getattr(compensation, name)
    doc = inspect.getdoc(obj) or ""
    needed = ["Returns", "Examples"]
    if inspect.signature(obj).parameters:
        needed.append("Parameters")
    if name not in NEVER_RAISE:
        needed.append("Raises")
    missing = [s for s in needed if f"{s}\n{'-' * len(s)}" not in doc]
    assert not missing, f"{name} lacks {missing}"
