"""Mutation testing of one module against its own tests: ``make mutation MODULE=ctid/...``.

mutmut 3 reads its settings only from ``[tool.mutmut]`` in the ``pyproject.toml`` of the
directory it runs in, and has no option for "this module, these tests". So this script
copies what a test run needs (``ctid/``, ``tests/``, ``docs/``, ``conf/``) into
``.mutation/<module>/``, writes there a ``pyproject.toml`` whose ``[tool.mutmut]`` adds
``only_mutate`` (the module) and ``pytest_add_cli_args_test_selection`` (its tests), and
runs ``mutmut run`` there. The run directory is kept: a second run only retests what
changed, and ``mutmut results`` / ``mutmut show NAME`` work inside it.

mutmut 3 mutates only inside functions; ``scripts/mutation_tables.py`` covers module-level
tables and constants (see docs/testing.md).

Usage: ``python scripts/mutation.py MODULE [TEST ...] [--max-children N]``
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: A module's own tests, when they are not simply the files that import it.
OWN_TESTS: dict[str, list[str]] = {
    "ctid/calls/states.py": ["tests/unit/test_states.py", "tests/unit/test_state_diagrams.py"],
    "ctid/acd/agent_states.py": [
        "tests/acd/test_acd_states.py",
        "tests/unit/test_state_diagrams.py",
    ],
    "ctid/acd/strategies.py": [
        "tests/acd/test_acd_strategies.py",
        "tests/acd/test_strategy_edges.py",
    ],
    # Pure and fast: the rows of a real day kept as a file (test_reports_real_day.py; a
    # real run checks the file in test_reports_from_real_calls.py) and the hand-built rows
    # a real run cannot produce. test_reports.py (a database per run) would add 20 s a mutant.
    "ctid/records/reports.py": [
        "tests/records/test_reports_real_day.py",
        "tests/records/test_report_edges.py",
    ],
    # The sans-IO cores against their unit tests (the socket tests would add a minute a mutant).
    "ctid/api/rpc.py": ["tests/unit/test_rpc.py", "tests/unit/test_rpc_exact.py"],
    "ctid/bus.py": [
        "tests/unit/test_bus.py",
        "tests/unit/test_bus_dropped.py",
        "tests/unit/test_bus_exact.py",
    ],
    "ctid/api/limits.py": ["tests/unit/test_limits.py", "tests/unit/test_rpc_exact.py"],
    # SQLite only: PostgreSQL would start once per mutant.
    "ctid/livestate/store.py": [
        "tests/continuity/test_store.py",
        "tests/continuity/test_store_exact.py",
        "-m",
        "not postgres",
    ],
    # The outbox's functions one by one (test_outbox) and through the service
    # (test_delivery); SQLite only, as above (the outbox has no dialect branch).
    "ctid/webhooks/outbox.py": [
        "tests/webhooks/test_outbox.py",
        "tests/webhooks/test_delivery.py",
        "-m",
        "not postgres",
    ],
    "ctid/webhooks/policy.py": ["tests/webhooks/test_policy.py", "-m", "not postgres"],
    # The journal's frames and files (test_journal) and the service around it
    # (test_published: kills at chosen moments); SQLite only, as above.
    "ctid/webhooks/journal.py": [
        "tests/webhooks/test_journal.py",
        "tests/webhooks/test_published.py",
        "-m",
        "not postgres",
    ],
    "ctid/webhooks/signing.py": [
        "tests/webhooks/test_delivery.py",
        "-m",
        "not postgres",
    ],
}

COPIED = ("ctid", "tests", "docs", "conf")


def module_tests(module: str) -> list[str]:
    """The tests of ``module``: listed above, or every test file that imports it."""
    if module in OWN_TESTS:
        return OWN_TESTS[module]
    dotted = module.removesuffix(".py").replace("/", ".")
    package, _, name = dotted.rpartition(".")
    pattern = re.compile(
        rf"(from {re.escape(dotted)} import|import {re.escape(dotted)}\b"
        rf"|from {re.escape(package)} import .*\b{re.escape(name)}\b)"
    )
    return sorted(
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("test_*.py")
        if pattern.search(p.read_text())
    )


def prepare(
    module: str, tests: list[str], partial: bool = False, timeout_multiplier: float | None = None
) -> Path:
    """The run directory of ``module``, with fresh copies of the sources and tests.

    A partial run (``--mutants``, e.g. survivors retried with slower tests) gets a
    directory of its own, so that the full run's results stay as they are.
    """
    slug = module.removesuffix(".py").replace("/", ".")
    work = ROOT / ".mutation" / (slug + ".partial" if partial else slug)
    work.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for name in COPIED:
        target = work / name
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / name, target, ignore=ignore)
    text = (ROOT / "pyproject.toml").read_text()
    header = "[tool.mutmut]\n"
    if header not in text:
        sys.exit("pyproject.toml has no [tool.mutmut] section")
    extra = (
        f"only_mutate = {json.dumps([module])}\n"
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}\n"
    )
    if timeout_multiplier is not None:
        text = re.sub(r"(?m)^timeout_multiplier = .*\n", "", text)
        extra += f"timeout_multiplier = {timeout_multiplier}\n"
    (work / "pyproject.toml").write_text(text.replace(header, header + extra, 1))
    return work


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", help="a file under ctid/, e.g. ctid/records/reports.py")
    parser.add_argument("tests", nargs="*", help="its tests (default: OWN_TESTS or importers)")
    parser.add_argument(
        "--max-children", type=int, default=1, help="mutants tested at once (default 1)"
    )
    parser.add_argument(
        "--mutants", nargs="+", default=None, help="only these mutant names or globs"
    )
    parser.add_argument(
        "--timeout-multiplier",
        type=float,
        default=None,
        help="a mutant times out after this many times its tests' time (pyproject: 5)",
    )
    args = parser.parse_args()
    module = args.module.removeprefix("./")
    if not module.startswith("ctid/") or not module.endswith(".py"):
        sys.exit(f"MODULE must be a file under ctid/, got {module!r}")
    if not (ROOT / module).is_file():
        sys.exit(f"no such module: {module}")
    tests = args.tests or module_tests(module)
    if not tests:
        sys.exit(f"no tests import {module}; name them: make mutation MODULE=... TESTS='...'")
    work = prepare(module, tests, args.mutants is not None, args.timeout_multiplier)
    print(f"mutating {module} against {' '.join(tests)} in {work.relative_to(ROOT)}")
    mutmut = Path(sys.executable).with_name("mutmut")
    # No names on a full run: only_mutate already limits it to the module, and mutmut
    # reruns every mutant named (a glob too), so naming them all would retest what a
    # stopped run had already done instead of going on from where it stopped.
    run = [str(mutmut), "run", f"--max-children={args.max_children}", *(args.mutants or [])]
    code = subprocess.call(run, cwd=work)
    if code == 0:
        subprocess.call([str(mutmut), "results"], cwd=work)
        print(f"details: cd {work.relative_to(ROOT)} && {mutmut} show NAME (or browse)")
    sys.exit(code)


if __name__ == "__main__":
    main()
