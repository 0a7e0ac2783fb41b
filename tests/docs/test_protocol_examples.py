"""docs/protocol-examples.md is generated from a real session; it must not go stale."""

from pathlib import Path

from ctid.testing.examples import generate

DOC = Path(__file__).parents[2] / "docs" / "protocol-examples.md"


def test_protocol_examples_are_current() -> None:
    fresh = generate()
    assert DOC.read_text() == fresh, (
        "docs/protocol-examples.md is stale: run "
        "`.venv/bin/python -m ctid.testing.examples > docs/protocol-examples.md`"
    )


def test_every_method_and_event_has_an_example() -> None:
    methods, events = DOC.read_text().split("\n## Events\n")
    for block in methods.split("\n### `")[1:]:
        assert "Request:" in block, f"{block.split('`', 1)[0]} has no recorded example"
    for block in events.split("\n### `")[1:]:
        assert "```json" in block, f"{block.split('`', 1)[0]} has no recorded example"
