"""The live store's API over a dict, for tests that need no database."""

from __future__ import annotations

from typing import Any

__all__ = ["MemoryRows"]


class MemoryRows:
    """Rows ``(kind, key) -> dict`` kept in memory; ``load`` sees what was put so far.

    It survives a daemon that is killed (the test keeps it), as the database does.
    """

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], dict[str, Any]] = {}
        self.puts = 0

    def load(self, kind: str) -> dict[str, dict[str, Any]]:
        return {key: dict(value) for (k, key), value in self.rows.items() if k == kind}

    def put(self, kind: str, key: str, value: dict[str, Any]) -> None:
        self.rows[kind, key] = value
        self.puts += 1

    def delete(self, kind: str, key: str) -> None:
        self.rows.pop((kind, key), None)
