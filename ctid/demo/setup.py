"""``[demo]``: the generated traffic of ``ctid demo``, checked like every table.

``ctid.demo_command`` wires the traffic and the working agents into an ``App``.
"""

from __future__ import annotations

import attrs

from ..config import Config, structure_error
from ..structure import StructureError, structure

__all__ = ["DemoSection", "demo_section"]


@attrs.frozen(kw_only=True)
class DemoSection:
    """``[demo]``: the generated traffic of ``ctid demo``."""

    mean_interarrival: float = 20.0
    called_numbers: list[str] = attrs.field(factory=list)
    mean_talk: float = 90.0
    internal_share: float = 0.15


def demo_section(config: Config) -> DemoSection:
    try:
        return structure(DemoSection, config.sections.get("demo", {}), "demo")
    except StructureError as exc:
        raise structure_error(config.file, exc) from None
