"""docs/security.md's "Who may call what" is generated from the registry; it must not go stale."""

from __future__ import annotations

from pathlib import Path

from ctid.api.access_table import HEADING, render, update
from ctid.api.methods import registry

DOC = Path(__file__).parents[2] / "docs" / "security.md"


def test_the_table_is_up_to_date() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert update(text, render(registry)) == text, (
        "docs/security.md is stale: run `make docs` "
        "(or `.venv/bin/python -m ctid.api.access_table docs/security.md`)"
    )


def test_every_method_is_a_row() -> None:
    section = render(registry)
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    assert len(rows) == len(registry.methods)
    for name in registry.methods:
        assert any(row.startswith(f"| `{name}`") for row in rows), name
    snapshot = next(row for row in rows if row.startswith("| `SnapshotCall`"))
    assert snapshot == (
        "| `SnapshotCall` | yes | yes | yes | call `snapshotObject` | privilegeViolation… |"
    )
    sim = next(row for row in rows if row.startswith("| `sim.dropLink`"))
    assert sim == "| `sim.dropLink` | yes | — | — | — | — |"


def test_update_keeps_the_other_sections() -> None:
    text = "# Security\n\n## Tokens\n\nkeep me\n\n" + HEADING + "\n\nold\n\n## Limits\n\nme too\n"
    new = update(text, HEADING + "\n\nnew\n")
    assert (
        new
        == "# Security\n\n## Tokens\n\nkeep me\n\n" + HEADING + "\n\nnew\n\n## Limits\n\nme too\n"
    )
    assert update(new, HEADING + "\n\nnew\n") == new
    assert update("", HEADING + "\n\nx\n") == "# Security\n\n" + HEADING + "\n\nx\n"
