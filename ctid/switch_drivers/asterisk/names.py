"""ctid's own marks on ARI objects: the Stasis arguments, channel variable and
bridge prefix by which the driver, and a restarted ctid, tell its channels and
bridges from the switch's others."""

from __future__ import annotations

from typing import Final

__all__ = ["ORIGINATE_ARG", "ORIGIN_VARIABLE", "SNOOP_ARG", "SUPERVISION_BRIDGE"]

#: The first Stasis argument of channels ctid originates, so that a ctid that
#: restarted still knows them for outbound legs.
ORIGINATE_ARG: Final = "ctid:originate"
#: The channel variable ctid sets on every channel it originates (value: its app
#: name). Listed in ari.conf's ``channelvars``, it shows in ``GET /channels``, so a
#: restarted ctid recognises its own channels that still ring (not in Stasis yet).
ORIGIN_VARIABLE: Final = "CTID_APP"
#: The first Stasis argument of ctid's own snoop channels (supervision): internal.
SNOOP_ARG: Final = "ctid:snoop"
#: The id prefix of ctid's own supervision bridges (a supervisor and a snoop):
#: internal, also to a restarted ctid, which takes them over (``StartSupervision``
#: with ``restored``) instead of reporting them as a call's bridge.
SUPERVISION_BRIDGE: Final = "ctid-supervision-"
