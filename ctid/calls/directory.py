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
    #: Route point -> the other names of the same device (a queue's name and number).
    _aliases: dict[str, tuple[str, ...]] = attrs.field(factory=dict, init=False)

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

    def link_aliases(self, numbers: tuple[str, ...]) -> None:
        """Declare route points that are one device under several names (a queue's name
        and its number): a monitor of any of them sees the calls at every one."""
        for number in numbers:
            if number not in self.route_points:
                raise ValueError(f"{number} is not a route point")
        for number in numbers:
            self._aliases[number] = tuple(n for n in numbers if n != number)

    def remove_route_point(self, number: str) -> None:
        """``number`` is no longer a route point (a queue removed by a reload); idempotent."""
        self.route_points.pop(number, None)
        for other in self._aliases.pop(number, ()):
            rest = tuple(n for n in self._aliases.get(other, ()) if n != number)
            if rest:
                self._aliases[other] = rest
            else:
                self._aliases.pop(other, None)

    def aliases(self, number: str) -> tuple[str, ...]:
        """The other names of ``number``'s device (none for most devices)."""
        return self._aliases.get(number, ())

    def is_known(self, number: str) -> bool:
        """Whether ``number`` is one of ours (an extension or a route point)."""
        return number in self.extensions or number in self.route_points
