"""Import direction, cycles and public API (STYLE.md, Architecture; issue 11).

Every import is read from the source, wherever it stands (module level, inside a function,
``from . import x``, ``from ..pkg import y``), and resolved to a module of the package. Each
module belongs to a layer; an import may point to its own layer or a lower one, never up,
and the graph of modules must have no cycle.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import compensation

PKG = Path(compensation.__file__).parent

# Lowest first. Modules of one rank must not import each other across packages (bundled and
# analysis are siblings), but may within a package.
LAYERS = [
    ("infrastructure", 0, {"exceptions", "_validation", "_optional", "_results"}),
    ("model", 1, {"model"}),
    ("solvers", 1, {"solvers"}),
    ("games", 2, {"games"}),
    ("bundled", 3, {"bundled"}),
    ("analysis", 3, {"analysis"}),
    ("policy", 4, {"policy"}),
    ("presentation", 5, {"plotting", "cli", "__main__"}),
    ("facade", 6, {"__init__"}),
]


def layer_of(module: str) -> tuple[str, int]:
    """Layer name and rank of a dotted module name relative to the package."""
    head = module.split(".")[0]
    for name, rank, members in LAYERS:
        if head in members:
            return name, rank
    raise AssertionError(f"module {module!r} is in no layer: add it to LAYERS")


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def package_of(path: Path) -> list[str]:
    rel = path.relative_to(PKG).parent
    return [] if str(rel) == "." else list(rel.parts)


def resolve(path: Path, node: ast.ImportFrom | ast.Import) -> list[str]:
    """Modules of the package that one import statement refers to."""
    known = {module_name(p) for p in PKG.rglob("*.py")}
    out = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.startswith("compensation."):
                out.append(alias.name.removeprefix("compensation."))
        return [m for m in out if m in known]
    if node.level == 0:
        if node.module and node.module.startswith("compensation"):
            base = node.module.removeprefix("compensation").lstrip(".").split(".")
        else:
            return []
    else:
        here = package_of(path)
        base = here[: len(here) - (node.level - 1)] if node.level > 1 else here
        base = base + (node.module.split(".") if node.module else [])
    stem = ".".join(p for p in base if p)
    for alias in node.names:
        candidate = f"{stem}.{alias.name}" if stem else alias.name
        if candidate in known:
            out.append(candidate)  # `from . import _lp` names a module
        elif stem in known or stem:
            out.append(stem)
    return out


def runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:`` (type hints only, never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in ast.walk(child))
            continue
        yield node
        yield from runtime_nodes(node)


def import_graph(root: Path = PKG) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        mod = module_name(path)
        edges = graph.setdefault(mod, set())
        for node in runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                edges.update(m for m in resolve(path, node) if m != mod)
    return graph


def violations(graph: dict[str, set[str]]) -> list[str]:
    """Edges that point up the layers or across sibling layers, and cycles."""
    bad = []
    for mod, targets in graph.items():
        name, rank = layer_of(mod)
        for target in targets:
            t_name, t_rank = layer_of(target)
            if t_rank > rank:
                bad.append(f"{mod} ({name}) imports {target} ({t_name}): points up")
            elif t_rank == rank and t_name != name:
                bad.append(f"{mod} ({name}) imports {target} ({t_name}): sibling layers")
    bad.extend(f"cycle: {' -> '.join(c)}" for c in cycles(graph))
    return bad


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_package_respects_its_layers_and_has_no_cycle():
    assert violations(import_graph()) == []


def test_every_kind_of_import_is_seen(tmp_path):
    # A synthetic package: function-level and `from . import x` imports must count.
    pkg = tmp_path / "compensation"
    (pkg / "model").mkdir(parents=True)
    (pkg / "policy").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "model" / "__init__.py").write_text("")
    (pkg / "policy" / "__init__.py").write_text("")
    (pkg / "policy" / "response.py").write_text("X = 1\n")
    (pkg / "model" / "flow.py").write_text("def f():\n    from ..policy import response\n")
    (pkg / "model" / "payoffs.py").write_text(
        "from typing import TYPE_CHECKING\nfrom . import flow\n"
        "if TYPE_CHECKING:\n    from ..policy import response\n"
    )
    global PKG
    old, PKG = PKG, pkg
    try:
        graph = import_graph(pkg)
    finally:
        PKG = old
    assert graph["model.flow"] == {"policy.response"}
    assert graph["model.payoffs"] == {"model.flow"}
    found = violations(graph)
    assert found == ["model.flow (model) imports policy.response (policy): points up"]


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"games": {"policy.response"}, "policy.response": set()}, "points up"),
        ({"bundled.x": {"analysis.y"}, "analysis.y": set()}, "sibling layers"),
        ({"model.a": {"model.b"}, "model.b": {"model.a"}}, "cycle"),
        ({"solvers.x": {"model.parameters"}, "model.parameters": set()}, "sibling layers"),
    ],
)
def test_an_upward_edge_or_a_cycle_fails(graph, expected):
    found = violations(graph)
    assert found and expected in found[0]


def test_no_private_name_crosses_a_module():
    # Shared kernels (unchecked Parameters copies, payoff and flow fast paths, the replicator
    # field) have public names in their home modules; private names stay private.
    used = set()
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                used |= {a.name for a in node.names if a.name.startswith("_")}
    # Private *modules* (solvers/_lp.py, analysis/_parallel.py, ...) are a home, not a leak.
    modules = {p.stem for p in PKG.rglob("_*.py")}
    assert used - modules == set()


def test_import_does_not_pull_optional_extras():
    code = (
        "import sys, compensation; extras = ('matplotlib', 'tqdm', 'dask', 'pandas', 'SALib', "
        "'numba'); print(any(m in sys.modules for m in extras))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_public_names_exist_and_are_documented():
    api = (PKG.parent / "docs" / "api.rst").read_text(encoding="utf-8")
    for name in compensation.__all__:
        obj = getattr(compensation, name)
        assert obj.__doc__, name
        assert name in api, name
