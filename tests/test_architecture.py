"""The package's shape: imports run one way along the data flow, and no function is long without a reason.

Layers, lowest first (README, "Layout"): scenario -> engine -> results -> run -> experiments | calibration
-> report -> cli. A module may import its own layer and the layers below it, never one above, not even
inside a function; experiments and calibration are side by side and do not import each other. Every import
counts: top level, inside functions, ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[1] / "sim"
LAYERS = {
    "scenario": 0,
    "engine": 1,
    "results": 2,
    "run": 3,
    "experiments": 4,
    "calibration": 4,
    "report": 5,
    "cli": 6,
}
LONG = 80  # lines; a longer function carries a comment "# long: <why>" on its def line or the line above


def modules() -> dict[str, Path]:
    out = {}
    for f in SIM.rglob("*.py"):
        name = ".".join(f.relative_to(SIM.parent).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = f
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of ``sim`` that ``name`` imports anywhere in its file."""
    found = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            modules = [f"{base}.{a.name}" for a in node.names]
            # ``from sim.report import figures`` inside sim.report imports a sibling module, not the package's
            # own names: Python runs the package's __init__ anyway, so that is no edge to it
            own_package = name.startswith(base + ".") and all(m in known for m in modules)
            targets = modules + ([] if own_package else [base])
        for t in targets:
            if t in known and t != name:
                found.add(t)
    return found


def layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None  # None: the package itself (sim/__init__.py)


GRAPH = {m: imports_of(m, p, set(modules())) for m, p in modules().items()}


def test_every_module_belongs_to_a_layer():
    stray = [m for m in GRAPH if layer(m) not in LAYERS and m != "sim"]
    assert not stray, f"modules outside the layers {list(LAYERS)}: {stray}"


def test_no_import_goes_up_a_layer_or_sideways():
    bad = []
    for m, targets in GRAPH.items():
        if m == "sim":
            continue
        for t in targets:
            if t == "sim":
                continue  # the version string
            a, b = layer(m), layer(t)
            if LAYERS[b] > LAYERS[a] or (LAYERS[b] == LAYERS[a] and a != b):
                bad.append(f"{m} -> {t}")
    assert not bad, "imports against the data flow:\n  " + "\n  ".join(sorted(bad))


def test_the_import_graph_has_no_cycle():
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        for t in sorted(GRAPH[m]):
            if state.get(t) == 1:
                cycles.append(" -> ".join(stack[stack.index(t) :] + [t]) if t in stack else f"{m} -> {t}")
            elif t not in state:
                visit(t, stack + [t])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])
    assert not cycles, "import cycles:\n  " + "\n  ".join(cycles)


def long_functions() -> list[str]:
    out = []
    for f in sorted(SIM.rglob("*.py")):
        lines = f.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                first = min([node.lineno] + [d.lineno for d in node.decorator_list])
                said = any("# long:" in lines[k] for k in range(max(first - 2, 0), node.lineno))
                if length > LONG and not said:
                    out.append(f"{f.relative_to(SIM.parent)}:{node.lineno} {node.name} ({length} lines)")
    return out


def test_no_function_is_long_without_a_reason():
    long = long_functions()
    assert not long, f"functions over {LONG} lines without a '# long:' reason:\n  " + "\n  ".join(long)


@pytest.mark.parametrize("package", [p for p in LAYERS if p != "cli"])
def test_each_layer_says_what_it_is(package):
    init = SIM / package / "__init__.py"
    assert init.is_file() and ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))), package
