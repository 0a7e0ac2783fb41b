"""The directory: which numbers are extensions, route points or outside numbers."""

from __future__ import annotations

import re

import attrs

from .values import DeviceType

__all__ = ["DEFAULT_EXTERNAL_PATTERN", "Directory"]

#: An outside number: an optional +, then 3 to 20 digits (with * and #).
DEFAULT_EXTERNAL_PATTERN = r"\+?[0-9*#]{3,20}"


@attrs.define
class Directory:
    """Classifies numbers. Extensions come from the switch configuration; route points
    are registered by the services that own them (ACD queues, IVR entry numbers)."""

    extensions: set[str] = attrs.field(factory=set)
    route_points: dict[str, str] = attrs.field(factory=dict)
    external_pattern: re.Pattern[str] = attrs.field(
        factory=lambda: re.compile(DEFAULT_EXTERNAL_PATTERN)
    )

    def classify(self, number: str) -> DeviceType | None:
        """What ``number`` is, or ``None`` if it is no number ctid can reach."""
        if number in self.extensions:
            return DeviceType.EXTENSION
        if number in self.route_points:
            return DeviceType.ROUTE_POINT
        if self.external_pattern.fullmatch(number):
            return DeviceType.EXTERNAL
        return None

    def add_route_point(self, number: str, owner: str) -> None:
        """Register ``number`` as a route point served by ``owner`` (e.g. ``"acd"``)."""
        if number in self.extensions:
            raise ValueError(f"route point {number} is already an extension")
        other = self.route_points.get(number)
        if other is not None and other != owner:
            raise ValueError(f"route point {number} is already served by {other}")
        self.route_points[number] = owner

    def is_known(self, number: str) -> bool:
        """Whether ``number`` is one of ours (an extension or a route point)."""
        return number in self.extensions or number in self.route_points
