"""``ctid``'s service commands: each is imported only when asked for, all are listed.

Building the parser imported every command's module (and with them SQLAlchemy, the
archive and report code) before any command ran; now only the chosen one is
(issue 14: ``ctid simulate``'s start-up). Each check runs in a fresh interpreter.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ctid.cli import EXTRA_HELP, EXTRA_MODULES, _chosen_command

SCRIPT = """
import contextlib, io, json, sys
from ctid.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    try:
        code = main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""


def _ctid(*argv: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *argv],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_every_service_command_has_a_module_and_a_help_line() -> None:
    assert set(EXTRA_MODULES) == set(EXTRA_HELP)


def test_help_lists_every_command_importing_none() -> None:
    result = _ctid("--help")
    assert result["code"] == 0
    out = str(result["out"])
    for name in ("run", "demo", "check-config", "version", "reload", *EXTRA_MODULES):
        assert f"    {name}" in out
    for line in EXTRA_HELP.values():
        assert line.split()[0] in out
    loaded = set(result["modules"])  # type: ignore[arg-type]
    assert {module for module, _, _ in EXTRA_MODULES.values()} & loaded == set()


@pytest.mark.parametrize("name", sorted(EXTRA_MODULES))
def test_a_command_imports_its_own_module_only(name: str) -> None:
    result = _ctid(name, "--help")
    assert result["code"] == 0
    assert str(result["out"]).startswith(f"usage: ctid {name} ")
    loaded = set(result["modules"])  # type: ignore[arg-type]
    others = {module for other, (module, _, _) in EXTRA_MODULES.items() if other != name}
    assert EXTRA_MODULES[name][0] in loaded
    # Another command's module may come in as a library of this one (the simulation
    # builds the daemon), but the lightest ones never.
    if name == "simulate":
        assert {"ctid.fax.cli", "ctid.records.cli", "ctid.report_command"} & loaded == set()
    else:
        assert len(others & loaded) < len(others)


def test_version_imports_no_service_command() -> None:
    result = _ctid("version")
    assert result["code"] == 0
    assert str(result["out"]).startswith("ctid ")
    loaded = set(result["modules"])  # type: ignore[arg-type]
    assert {module for module, _, _ in EXTRA_MODULES.values()} & loaded == set()


def test_the_chosen_command_is_the_first_word_not_an_option() -> None:
    assert _chosen_command(["simulate", "--hours", "8"]) == "simulate"
    assert _chosen_command(["--help"]) is None
    assert _chosen_command([]) is None
    assert _chosen_command(["-h", "db", "upgrade"]) == "db"
