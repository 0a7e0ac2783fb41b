"""Shared fixtures for the Asterisk driver tests: Asterisk's API descriptions and samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ctid.testing.ari_schema import AriSchema

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ari"


@pytest.fixture(scope="session")
def ari_schema() -> AriSchema:
    return AriSchema.load(FIXTURES / "api-docs")


@pytest.fixture(scope="session")
def sample_events() -> list[dict[str, Any]]:
    lines = (FIXTURES / "events-sample.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
