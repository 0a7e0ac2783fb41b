"""Mutants of the module-level tables and constants that mutmut 3 leaves alone.

mutmut 3 mutates only the bodies of functions, so a state table like
``TRANSITIONS`` or a constant like ``ABANDON_BUCKETS`` is never changed. This script
makes those mutants from the module's syntax tree, one at a time:

* a dict entry deleted, or its value replaced by another value of the same dict
  (for nested dicts, inside the inner dict);
* a tuple, list, set or ``frozenset({...})`` element deleted;
* a number (negative ones too) plus one, a string wrapped in ``XX``, a boolean negated.

Each mutant is written into a copy of the project (``.mutation/tables/``) and the
module's own tests run there (``-x``, first failure stops); a mutant the tests pass
with survives and is printed with its line.

Usage: ``python scripts/mutation_tables.py MODULE [TEST ...]``
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutation import COPIED, ROOT, module_tests

#: Module-level names that are plumbing, not data: never mutated.
SKIPPED = frozenset({"__all__", "_S", "_T", "Row", "Interval"})


def _constant(node: ast.Constant) -> ast.Constant | None:
    value = node.value
    if isinstance(value, bool):
        return ast.Constant(not value)
    if isinstance(value, int | float):
        return ast.Constant(value + 1)
    if isinstance(value, str):
        return ast.Constant(f"XX{value}XX")
    return None


def _variants(node: ast.expr) -> Iterator[tuple[str, ast.expr]]:
    """(description, mutated copy of ``node``) for every mutant of one value."""
    if isinstance(node, ast.Constant):
        new = _constant(node)
        if new is not None:
            yield f"{ast.unparse(node)} -> {ast.unparse(new)}", new
    elif (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.USub)
        and isinstance(node.operand, ast.Constant)
        and isinstance(node.operand.value, int | float)
        and not isinstance(node.operand.value, bool)
    ):
        # A negative number (-32700 is minus applied to 32700): plus one, as above.
        new = ast.Constant(1 - node.operand.value)
        yield f"{ast.unparse(node)} -> {ast.unparse(new)}", new
    elif isinstance(node, ast.Dict):
        for i, (key, value) in enumerate(zip(node.keys, node.values, strict=True)):
            label = ast.unparse(key) if key is not None else "**"
            gone = copy.deepcopy(node)
            del gone.keys[i], gone.values[i]
            yield f"entry {label} deleted", gone
            if isinstance(value, ast.Dict | ast.Tuple | ast.List | ast.Set | ast.Call):
                for text, inner in _variants(value):
                    changed = copy.deepcopy(node)
                    changed.values[i] = inner
                    yield f"in {label}: {text}", changed
                continue
            others = [v for v in node.values if ast.unparse(v) != ast.unparse(value)]
            if others:
                changed = copy.deepcopy(node)
                changed.values[i] = copy.deepcopy(others[0])
                yield f"{label}: {ast.unparse(value)} -> {ast.unparse(others[0])}", changed
            elif isinstance(value, ast.Constant):
                for text, inner in _variants(value):
                    changed = copy.deepcopy(node)
                    changed.values[i] = inner
                    yield f"{label}: {text}", changed
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for i, element in enumerate(node.elts):
            gone = copy.deepcopy(node)
            del gone.elts[i]
            yield f"element {ast.unparse(element)} deleted", gone
            for text, inner in _variants(element):
                changed = copy.deepcopy(node)
                changed.elts[i] = inner
                yield f"element {text}", changed
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in ("frozenset", "tuple", "set")
        and len(node.args) == 1
    ):
        for text, inner in _variants(node.args[0]):
            changed = copy.deepcopy(node)
            changed.args[0] = inner
            yield text, changed


def mutants(source: str) -> Iterator[tuple[int, str, str]]:
    """(line, description, mutated source) for every table and constant of a module."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target, value = statement.targets[0], statement.value
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target, value = statement.target, statement.value
        else:
            continue
        if not isinstance(target, ast.Name) or target.id in SKIPPED:
            continue
        assert value.end_lineno is not None
        assert value.end_col_offset is not None
        before = "".join(lines[: value.lineno - 1]) + lines[value.lineno - 1][: value.col_offset]
        after = lines[value.end_lineno - 1][value.end_col_offset :] + "".join(
            lines[value.end_lineno :]
        )
        for text, new in _variants(value):
            yield statement.lineno, f"{target.id}: {text}", before + ast.unparse(new) + after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module")
    parser.add_argument("tests", nargs="*")
    args = parser.parse_args()
    module = args.module.removeprefix("./")
    tests = args.tests or module_tests(module)
    source = (ROOT / module).read_text()
    work = ROOT / ".mutation" / "tables"
    if work.exists():
        shutil.rmtree(work)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for name in COPIED:
        shutil.copytree(ROOT / name, work / name, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", work / "pyproject.toml")
    # The copy first on the path: it shadows the editable install of the worktree.
    env = {**os.environ, "PYTHONPATH": str(work), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    if subprocess.call(command, cwd=work, env=env, stdout=subprocess.DEVNULL) != 0:
        sys.exit("the tests fail without any mutant: fix them first")
    killed = survived = 0
    try:
        for line, text, mutated in mutants(source):
            (work / module).write_text(mutated)
            code = subprocess.call(
                command, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            if code == 0:
                survived += 1
                print(f"SURVIVED {module}:{line}: {text}", flush=True)
            else:
                killed += 1
    finally:
        (work / module).write_text(source)
    total = killed + survived
    score = f"{100 * killed / total:.0f}%" if total else "-"
    print(f"{module}: table/constant mutants killed {killed}/{total} ({score})")


if __name__ == "__main__":
    main()
