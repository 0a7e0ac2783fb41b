"""The import graph of ``ctid/``: no circle between files, and the layers of docs/design.md.

Read with ``ast`` from the source (nothing is imported), so every import counts:
at module level, inside functions, and under ``if TYPE_CHECKING:``. An import
of a package is an edge to its ``__init__``; ``from package import name`` is
an edge to ``package.name`` when that is a module, else to the package.

Run ``python tests/unit/test_layers.py`` to print the circles and the layer
breaches of the tree as it is.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2] / "ctid"

#: The layers, lowest first (docs/design.md, "The layers"). A module may import
#: modules of its own layer and of the layers below, never above. Keys are the
#: names under ``ctid/`` (a package or a module, dotted below the top level where
#: one part of a package sits higher than the rest); ``ctid`` is ``__init__``.
LAYERS: Final[tuple[tuple[str, frozenset[str]], ...]] = (
    (
        "foundation",
        frozenset(
            {
                "ctid",
                "naming",
                "structure",
                "numbers",
                "http1",
                "blocking",
                "clock",
                "ids",
                "timers",
                "errors",
                "descriptors",
                "transport",
                "tls",
                "sdnotify",
                "pidfile",
                # Fax images (Pillow): the simulator's fax machines and the fax service.
                "faximage",
            }
        ),
    ),
    ("switch drivers", frozenset({"switch_drivers"})),
    ("calls", frozenset({"calls"})),
    (
        "configuration, facts and the event bus",
        frozenset({"config", "reloading", "facts", "bus", "publish", "callerinfo"}),
    ),
    (
        "services",
        frozenset(
            {
                "acd",
                "ivr",
                "recording",
                "voicemail",
                "records",
                "livestate",
                "cluster",
                "outbound",
                "webhooks",
                "fax",
                # The demo's traffic and the simulation's people and figures: services
                # run beside the others (their runs, which build the daemon, are tools).
                "demo",
                "simulate",
            }
        ),
    ),
    ("api", frozenset({"api"})),
    ("readers of the whole daemon", frozenset({"metrics", "auth_setup"})),
    # ``wiring.checks``: the configuration checks of a start, check-config and a reload.
    ("wiring (the composition root's parts)", frozenset({"wiring"})),
    ("the composition root", frozenset({"app"})),
    (
        "tools on the daemon",
        frozenset(
            {
                "cli",
                "__main__",
                # ``ctid report``: the records' reports and outbound's campaign report.
                "report_command",
                # ``ctid demo``'s traffic and working agents (the simulated people).
                "demo_command",
                "testing",
                "simulate.run",
                "simulate.command",
                "simulate.solve",
                "simulate.chart",
                "simulate.campaign",
                "simulate.campaign_command",
            }
        ),
    ),
)


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``root``."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imported(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterable[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    if node.level:
        package = module.split(".")
        if path.name != "__init__.py":
            package = package[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, node.module] if node.module else package)
    else:
        base = node.module or ""
    for alias in node.names:
        yield f"{base}.{alias.name}"
        yield base


def import_graph(found: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the ``ctid`` modules it imports (itself excluded)."""
    graph: dict[str, set[str]] = {}
    for module, path in found.items():
        edges = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            names = list(_imported(module, path, node))
            if isinstance(node, ast.ImportFrom):
                # ``from p import m`` names the module p.m if there is one, else p.
                pairs = zip(names[::2], names[1::2], strict=True)
                names = [full if full in found else base for full, base in pairs]
            for name in names:
                while name and name not in found:
                    name = name.rpartition(".")[0]
                if name and name != module:
                    edges.add(name)
    return graph


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found)


def layer_of(module: str) -> int:
    """The rank of ``module``'s layer: the entry of ``LAYERS`` naming its longest prefix.

    ``KeyError`` (with the top-level name) when none does.
    """
    parts = module.split(".")[1:] or ["ctid"]
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        for rank, (_, names) in enumerate(LAYERS):
            if prefix in names:
                return rank
    raise KeyError(parts[0])


def breaches(graph: Mapping[str, set[str]]) -> list[str]:
    """Every import of a higher layer, as ``a (layer) imports b (layer)``."""
    found = []
    for module in sorted(graph):
        for target in sorted(graph[module]):
            if layer_of(target) > layer_of(module):
                found.append(
                    f"{module} ({LAYERS[layer_of(module)][0]}) imports "
                    f"{target} ({LAYERS[layer_of(target)][0]})"
                )
    return found


# ----------------------------------------------------------------------- tests


def test_the_scanner_sees_every_kind_of_import(tmp_path: Path) -> None:
    pkg = tmp_path / "ctid"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "from . import b\n"
        "from .sub import c, NAME\n"
        "if TYPE_CHECKING:\n    from .sub.d import D\n"
        "def f():\n    import ctid.e\n"
    )
    for name in ("b.py", "e.py", "sub/__init__.py", "sub/c.py"):
        (pkg / name).write_text("")
    (pkg / "sub" / "d.py").write_text("from .. import a\n")
    graph = import_graph(modules(pkg))
    assert graph["ctid.a"] == {"ctid.b", "ctid.sub.c", "ctid.sub", "ctid.sub.d", "ctid.e"}
    assert graph["ctid.sub.d"] == {"ctid.a"}
    assert circles(graph) == [["ctid.a", "ctid.sub.d"]]


def test_circles_finds_each_component_once() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"e"}, "e": {"d", "a"}, "f": set()}
    assert circles(graph) == [["a", "b", "c"], ["d", "e"]]


def test_no_import_circle_between_files_under_ctid() -> None:
    found = circles(import_graph(modules()))
    assert found == [], "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_import_circle_in_the_python_sdk() -> None:
    sdk = ROOT.parent / "sdk" / "python" / "ctid_client"
    found = circles(import_graph(modules(sdk)))
    assert found == [], "import circles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_every_top_level_name_has_a_layer() -> None:
    missing = set()
    for module in modules():
        try:
            layer_of(module)
        except KeyError as exc:
            missing.add(exc.args[0])
    assert not missing, f"add {sorted(missing)} to LAYERS (and to docs/design.md)"


def test_layers_import_only_downward() -> None:
    found = breaches(import_graph(modules()))
    assert found == [], "imports of a higher layer:\n" + "\n".join(found)


def test_the_switch_interface_imports_nothing_of_ctid() -> None:
    # DESIGN.md: switch_drivers/base.py defines the switch's events and commands itself.
    graph = import_graph(modules())
    assert graph["ctid.switch_drivers.base"] == set()


def test_no_service_imports_the_composition_root() -> None:
    # The issue's finding: services' wiring imported app.py. Wiring is ctid/wiring/.
    graph = import_graph(modules())
    root = {m for m in graph if m in ("ctid.app", "ctid.cli") or m.startswith("ctid.wiring")}
    services = next(rank for rank, (name, _) in enumerate(LAYERS) if name == "services")
    offenders = sorted(
        f"{m} imports {t}"
        for m, targets in graph.items()
        if layer_of(m) <= services
        for t in targets & root
    )
    assert offenders == []


def test_no_module_over_800_lines() -> None:
    # docs/design.md and STYLE.md 3.1: over 800 lines needs a split along a real seam.
    long = {
        str(path.relative_to(ROOT.parent)): n
        for path in ROOT.rglob("*.py")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 800
    }
    assert set(long) <= KNOWN_LONG, f"modules over 800 lines (split them along a seam): {long}"


#: Modules over 800 lines not split yet (each a later task; this list only shrinks).
KNOWN_LONG: Final[frozenset[str]] = frozenset()


if __name__ == "__main__":
    graph = import_graph(modules())
    for circle in circles(graph):
        print("circle:", " <-> ".join(circle))
    try:
        for line in breaches(graph):
            print("layer:", line)
    except KeyError as exc:
        print("no layer for", exc.args[0])
    sys.exit(0)
