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


def test_every_method_has_an_example() -> None:
    text = DOC.read_text()
    for block in text.split("\n### `")[1:]:
        name = block.split("`", 1)[0]
        if not name.endswith("Event"):
            assert "Request:" in block, f"{name} has no recorded example"
