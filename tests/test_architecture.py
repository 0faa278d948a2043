"""Import direction and public API (STYLE.md, Architecture)."""

import ast
import subprocess
import sys
from pathlib import Path

import compensation

PKG = Path(compensation.__file__).parent
GENERIC = [
    "equilibria",
    "evolution",
    "cooperative",
]  # generic solvers: must not know the domain model
DOMAIN = {"parameters", "flow", "payoffs", "games", "thresholds", "response", "stackelberg"}


def imports_of(module):
    tree = ast.parse((PKG / f"{module}.py").read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
            out.add(node.module.split(".")[0])
    return out


def test_generic_solvers_do_not_import_the_model():
    for module in GENERIC:
        assert not (imports_of(module) & DOMAIN), module


def test_import_does_not_pull_optional_extras():
    code = (
        "import sys, compensation; "
        "print(any(m in sys.modules for m in ('matplotlib', 'tqdm', 'dask', 'pandas')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names_exist_and_are_documented():
    api = (PKG.parent / "docs" / "api.rst").read_text(encoding="utf-8")
    for name in compensation.__all__:
        obj = getattr(compensation, name)
        assert obj.__doc__, name
        assert name in api, name


def test_evolution_is_generic_too():
    assert not (imports_of("evolution") & DOMAIN)
