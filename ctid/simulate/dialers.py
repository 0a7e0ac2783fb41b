"""The dialling modes ``ctid simulate --campaign`` simulates.

Apart from ``campaign.py`` so that ``ctid simulate``'s flags can list them without
importing the campaign simulation (the outbound service, the records database).
"""

from __future__ import annotations

from typing import Final

__all__ = ["DIALERS"]

DIALERS: Final = ("preview", "progressive", "predictive")
