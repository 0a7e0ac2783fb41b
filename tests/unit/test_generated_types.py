"""The SDKs' generated types are those of the current OpenRPC document (``rpc.discover``)."""

from __future__ import annotations

import subprocess
import sys
import typing
from pathlib import Path

from ctid.api.methods import registry

ROOT = Path(__file__).resolve().parent.parent.parent


def test_the_checked_in_generated_files_are_current() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_types.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_the_check_fails_on_a_stale_file(tmp_path: Path, monkeypatch: typing.Any) -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import gen_types
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    stale = tmp_path / "_generated.py"
    stale.write_text(gen_types.PYTHON_OUT.read_text().replace("callerInfo", "callerInformation"))
    ts = tmp_path / "generated.ts"
    ts.write_text(gen_types.TS_OUT.read_text())
    monkeypatch.setattr(gen_types, "PYTHON_OUT", stale)
    monkeypatch.setattr(gen_types, "TS_OUT", ts)
    monkeypatch.setattr(gen_types, "ROOT", tmp_path)
    assert gen_types.main(["--check"]) == 1
    assert gen_types.main([]) == 0
    assert gen_types.main(["--check"]) == 0


def test_the_python_types_say_what_the_server_answers() -> None:
    from ctid_client import _generated as g

    assert set(g.METHOD_ROLES) == set(registry.methods)
    assert g.METHOD_ROLES["records.flush"] == ("admin",)
    hints = typing.get_type_hints(g.RecordsHistoryResult)
    assert set(hints) == {"number", "callerInfo", "calls"}
    assert typing.get_type_hints(g.CallRecord)["legs"] == list[g.CallRecordLeg]
    assert g.RecordsHistoryParams.__required_keys__ == frozenset({"number"})
    assert "DeliveredEvent" in g.EVENT_NAMES
    assert typing.get_type_hints(g.DeliveredEventParams)["callerInfo"] == g.CallerInfo
