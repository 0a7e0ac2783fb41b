"""The routing strategies' names, as configuration and the command line spell them.

A list of names rather than the registry of ``strategies``, so that checking a
configuration does not import the strategies (which import the agents, which
name their configuration). ``tests/acd/test_acd_strategies.py`` checks that the
two agree.
"""

from __future__ import annotations

from typing import Final

__all__ = ["STRATEGY_NAMES"]

#: Routing strategies by the names used in configuration and on the command line.
STRATEGY_NAMES: Final = (
    "linear",
    "round-robin",
    "fewest-calls",
    "least-talk-time",
    "longest-idle",
    "skill-level",
    "random",
    "ring-all",
    "last-agent",
)
