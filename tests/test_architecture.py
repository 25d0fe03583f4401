"""The package's import graph, read from the source: no cycles, layers import downward.

Every ``import`` statement counts, at top level or inside a function. The implicit
import of a parent package (``acset_s2r.x`` running ``acset_s2r/__init__``) does not:
``from acset_s2r.gf3 import claims`` is an edge to ``acset_s2r.gf3.claims``, while
``from acset_s2r.gf3 import Trit`` is an edge to ``acset_s2r.gf3`` itself.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "acset_s2r"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = PACKAGE) -> nx.DiGraph:
    """Module -> module edges for every import of a package module in ``root``."""
    modules = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = name.split(".") if is_package else name.split(".")[:-1]
                    base = base[: len(base) - node.level + 1]
                    source = ".".join(base + ([node.module] if node.module else []))
                else:
                    source = node.module or ""
                for alias in node.names:
                    sub = f"{source}.{alias.name}"
                    targets.append(sub if sub in modules else source)
            for target in targets:
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def test_the_graph_sees_imports_inside_functions(tmp_path):
    pkg = tmp_path / "acset_s2r"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def f():\n    from acset_s2r import b\n")
    (pkg / "b.py").write_text("from acset_s2r.a import f\n")
    graph = import_graph(pkg)
    assert set(graph.edges) == {("acset_s2r.a", "acset_s2r.b"), ("acset_s2r.b", "acset_s2r.a")}
    assert list(nx.simple_cycles(graph))


def test_no_module_imports_a_module_that_imports_it_back():
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == [], f"import cycles: {cycles}"


@pytest.mark.parametrize(
    "low, high",
    [
        # the engine never reaches up into the applications or the command
        ("acset_s2r.schema", "acset_s2r.sim2real"),
        ("acset_s2r.acset", "acset_s2r.sim2real"),
        ("acset_s2r.homs", "acset_s2r.gf3"),
        ("acset_s2r.serialization", "acset_s2r.cli"),
    ],
)
def test_lower_layers_do_not_import_higher_ones(low, high):
    graph = import_graph()
    reached = nx.descendants(graph, low)
    assert not any(m == high or m.startswith(high + ".") for m in reached), sorted(reached)


HEAVY = ("mujoco", "sympy", "scipy", "networkx", "pyarrow", "duckdb", "ray", "onnxruntime", "matplotlib")


def test_importing_the_package_stays_light():
    """The engine imports its heavy libraries where they are used, not with the package."""
    code = f"import sys, acset_s2r; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
