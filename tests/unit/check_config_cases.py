"""The shared runner of the ``ctid check-config`` tests: a case is its data.

A ``Case`` holds a configuration file's text, the files beside it (flows), the
environment it is checked in and the lines ``check-config`` must print: what follows
``error: FILE: `` and ``warning: FILE: `` on each line, in order. ``check`` writes the
file, runs the ``ctid`` program's ``main`` (or, with ``process=True``, ``python -m ctid``
as a child process) and compares the exit code, standard output and every line of
standard error; with ``also_run`` the case's errors are also what ``ctid run`` prints
when it refuses the file. ``case_test`` makes a module's one test of its ``CASES``.
``refused_reload`` runs a daemon, rewrites its file as a case's and reloads it:
refused, the daemon keeps everything, and its one log record lists the case's errors.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from pathlib import Path

import attrs
import pytest

from ctid.cli import main
from ctid.config import load_config
from ctid.testing import CallCentre, call_centre
from ctid.wiring.reload import reload_config

#: A core table every case may start with: the API on a free port.
LISTEN = '[server]\nlisten = "127.0.0.1:0"\n'


@attrs.frozen
class UnknownKey:
    """The line of an unknown ``key`` whose list of known keys holds at least ``known``
    (another helper may add keys to a driver's table: the rest of the line is exact)."""

    key: str
    known: frozenset[str]

    def matches(self, line: str) -> bool:
        head, _, listed = line.partition(": unknown key (known keys: ")
        return head == self.key and self.known <= set(listed.removesuffix(")").split(", "))


#: An expected line: exact, or an ``UnknownKey``.
Line = str | UnknownKey


@attrs.frozen(kw_only=True)
class Case:
    """One configuration file and all that ``ctid check-config`` prints for it."""

    text: str
    errors: Sequence[Line] = ()
    warnings: Sequence[str] = ()
    #: Files beside the configuration (relative path -> text), e.g. flows.
    files: Mapping[str, str] = attrs.field(factory=dict)
    #: Environment variables for the check (None: unset).
    env: Mapping[str, str | None] = attrs.field(factory=dict)
    #: ``ctid run`` refuses the file with exactly the ``errors`` lines (exit code 2).
    also_run: bool = False


def _same(lines: Sequence[str], expected: Sequence[Line]) -> bool:
    if len(lines) != len(expected):
        return False
    return all(
        want.matches(line) if isinstance(want, UnknownKey) else line == want
        for line, want in zip(lines, expected, strict=True)
    )


def _set_env(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str | None]) -> None:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def write(tmp_path: Path, case: Case) -> Path:
    """The case's file (``ctid.toml``) and the files beside it."""
    for name, text in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    path = tmp_path / "ctid.toml"
    path.write_text(case.text)
    return path


def expected_output(path: Path, case: Case) -> tuple[int, str, list[Line]]:
    """Exit code, standard output and standard error lines for ``case`` at ``path``."""
    errors: list[Line] = [
        UnknownKey(f"error: {path}: {e.key}", e.known)
        if isinstance(e, UnknownKey)
        else f"error: {path}: {e}"
        for e in case.errors
    ]
    warnings: list[Line] = [f"warning: {path}: {w}" for w in case.warnings]
    if case.errors:
        return 1, "", [*errors, *warnings, f"{path}: {len(errors)} problem(s)"]
    said = f", with {len(warnings)} warning(s)" if warnings else ""
    return 0, f"{path}: ok{said}\n", warnings


def check(
    tmp_path: Path,
    case: Case,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    process: bool = False,
) -> None:
    """Run ``ctid check-config`` on ``case`` and compare all it prints."""
    path = write(tmp_path, case)
    _set_env(monkeypatch, case.env)
    code, out, err = expected_output(path, case)
    if process:
        done = subprocess.run(
            [sys.executable, "-m", "ctid", "check-config", str(path)],
            capture_output=True,
            text=True,
            env=dict(os.environ),
            timeout=120,
            check=False,
        )
        got = (done.returncode, done.stdout, done.stderr.splitlines())
    else:
        code_got = main(["check-config", str(path)])
        printed = capsys.readouterr()
        got = (code_got, printed.out, printed.err.splitlines())
    assert got[:2] == (code, out), got
    assert _same(got[2], err), (got[2], err)
    if case.also_run:
        assert main(["run", "--config", str(path)]) == 2
        assert _same(capsys.readouterr().err.splitlines(), err[: len(case.errors)])


def case_test(cases: Mapping[str, Case], *, process: Collection[str] = ()) -> Callable[..., None]:
    """The test of every case of ``cases`` (one each, named by its key); those named in
    ``process`` run the ``ctid`` program as a child process."""

    @pytest.mark.parametrize("name", sorted(cases))
    def test_check_config(
        name: str,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        check(tmp_path, cases[name], capsys, monkeypatch, process=name in process)

    return test_check_config


def error_lines(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """What follows ``error: FILE: `` on each line for a file with problems (the count
    line checked), for a test that builds its expected lines from another's."""
    path = write(tmp_path, Case(text=text))
    assert main(["check-config", str(path)]) == 1
    out = capsys.readouterr()
    assert out.out == ""
    lines = out.err.splitlines()
    assert lines[-1] == f"{path}: {len(lines) - 1} problem(s)"
    prefix = f"error: {path}: "
    assert all(line.startswith(prefix) for line in lines[:-1])
    return [line.removeprefix(prefix) for line in lines[:-1]]


def refused_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The daemon's one ``reload refused`` record, line by line."""
    [record] = [r for r in caplog.records if "reload refused" in r.getMessage()]
    return record.getMessage().splitlines()


async def refused_reload(
    tmp_path: Path,
    good: str,
    case: Case,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    probe: Callable[[CallCentre], Awaitable[object]] | None = None,
) -> None:
    """A daemon runs ``ctid.toml`` as ``good``; the file becomes the case's and the daemon
    reloads it: refused, it keeps its configuration, its credentials and what ``probe``
    reads, and its one record of the refusal lists the case's errors, every line."""
    _set_env(monkeypatch, case.env)
    path = tmp_path / "ctid.toml"
    path.write_text(good)
    config = load_config(path)
    async with call_centre(config) as cc:
        names = [c.name for c in cc.app.api.auth.credentials]
        before = None if probe is None else await probe(cc)
        path.write_text(case.text)
        caplog.set_level(logging.INFO)
        assert await reload_config(cc.app) is None
        assert cc.app.config is config
        assert [c.name for c in cc.app.api.auth.credentials] == names
        assert (None if probe is None else await probe(cc)) == before
    assert refused_lines(caplog) == [
        f"reload refused, nothing changed ({len(case.errors)} problem(s)):",
        *(f"  {path}: {line}" for line in case.errors),
    ]
