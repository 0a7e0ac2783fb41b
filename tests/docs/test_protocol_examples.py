"""docs/protocol-examples.md is generated from a real session; it must not go stale."""

from pathlib import Path
from typing import Any

from ctid.testing import call_centre, sim_config
from ctid.testing.examples import SCRIPTS, generate

DOC = Path(__file__).parents[2] / "docs" / "protocol-examples.md"


def test_protocol_examples_are_current() -> None:
    fresh = generate()
    assert DOC.read_text() == fresh, (
        "docs/protocol-examples.md is stale: run "
        "`.venv/bin/python -m ctid.testing.examples > docs/protocol-examples.md`"
    )


def _events_section() -> str:
    return DOC.read_text().split("\n## Events\n")[1]


def test_every_method_and_event_has_an_example() -> None:
    methods, events = DOC.read_text().split("\n## Events\n")
    for block in methods.split("\n### `")[1:]:
        assert "Request:" in block, f"{block.split('`', 1)[0]} has no recorded example"
    for block in events.split("\n### `")[1:]:
        assert "```json" in block, f"{block.split('`', 1)[0]} has no recorded example"


async def test_discover_lists_every_event_the_examples_show(
    autojump_clock: Any, tmp_path: Path
) -> None:
    # A client finds out from rpc.discover which events exist; an event a service publishes
    # but does not declare would be invisible to it (and to the SDKs' guards).
    overrides: dict[str, Any] = {"server": {"state_dir": str(tmp_path)}}
    for _, extra in SCRIPTS:
        overrides |= extra
    async with call_centre(sim_config(overrides)) as cc:
        client = await cc.client()
        listed = {e["name"] for e in (await client.call("rpc.discover"))["x-events"]}
    shown = {block.split("`", 1)[0] for block in _events_section().split("\n### `")[1:]}
    assert "RecordingStoppedEvent" in shown
    assert shown - listed == set()
