"""Wiring the demo's extras into an ``App``: generated traffic and the banner."""

from __future__ import annotations

from typing import Any

import attrs

from ..config import Config, ConfigError
from ..structure import StructureError, structure
from ..switch_drivers.simulator.driver import SimulatorDriver
from .traffic import Traffic, TrafficProfile

__all__ = ["add_demo", "demo_section"]


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
        raise ConfigError(config.file, exc.path, exc.problem) from None


def add_demo(app: Any, *, traffic: bool, seed: int | None) -> None:
    """Add generated traffic to a not yet started ``App`` (the simulator is required)."""
    if not isinstance(app.driver, SimulatorDriver):
        raise ConfigError(app.config.file, "switch.driver", "ctid demo needs the simulator driver")
    section = demo_section(app.config)
    if not traffic:
        return

    async def run_traffic(*, task_status: Any) -> None:
        generator = Traffic(
            sim=app.driver,
            calls=app.calls,
            timers=app.timers,
            profile=TrafficProfile(
                mean_interarrival=section.mean_interarrival,
                called_numbers=tuple(section.called_numbers),
                mean_talk=section.mean_talk,
                internal_share=section.internal_share,
            ),
            extensions=app.driver.extensions,
            seed=seed,
        )
        await generator.run(task_status=task_status)

    app.extra_services.append(run_traffic)
