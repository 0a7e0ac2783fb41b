"""``[livestate]``: whether live state is kept in the database (it is, with the records)."""

from __future__ import annotations

import attrs

from ..config import Config, structure_error
from ..structure import StructureError, structure

__all__ = ["LiveStateSection", "livestate_section"]


@attrs.frozen(kw_only=True)
class LiveStateSection:
    """The table as written in the file."""

    #: Keep agents, queues, calls' identity and records in progress across restarts.
    #: Needs the records database (``[records] enabled``, the default).
    enabled: bool = True


def livestate_section(config: Config) -> LiveStateSection:
    try:
        return structure(LiveStateSection, config.sections.get("livestate", {}), "livestate")
    except StructureError as exc:
        raise structure_error(config.file, exc) from None
