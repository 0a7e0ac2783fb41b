"""Wire naming: Python attribute names to the protocol's lowerCamel names."""

from __future__ import annotations

import functools

__all__ = ["wire_name"]


@functools.cache
def wire_name(attribute: str) -> str:
    """``calling_device`` -> ``callingDevice``; a final ``_id`` becomes ``ID`` as in ECMA names.

    ``monitor_cross_ref_id`` -> ``monitorCrossRefID``, ``call_id`` -> ``callID``.
    """
    head, *rest = attribute.split("_")
    return head + "".join("ID" if part == "id" else part.capitalize() for part in rest)
