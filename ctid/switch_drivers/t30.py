"""T.30 fax completion codes and texts, as spandsp reports them (``T30_ERR_*`` and
``t30_completion_code_to_str``). Asterisk's ``res_fax_spandsp`` and FreeSWITCH's
``mod_spandsp`` both use spandsp, so a fax's result reads the same on every switch."""

from __future__ import annotations

from typing import Final

__all__ = [
    "CALL_DROPPED",
    "FILE_ERROR",
    "NO_CARRIER",
    "OK",
    "T0_EXPIRED",
    "TEXT",
    "TX_PHD_DEAD",
    "code_of",
]

OK: Final = 0
T0_EXPIRED: Final = 2
TX_PHD_DEAD: Final = 21
NO_CARRIER: Final = 26
FILE_ERROR: Final = 41
CALL_DROPPED: Final = 49

#: spandsp's completion texts by code (phase E).
TEXT: Final = {
    0: "OK",
    1: "The CED tone exceeded 5s",
    2: "Timed out waiting for initial communication",
    3: "Timed out waiting for the first message",
    4: "Timed out waiting for procedural interrupt",
    5: "The HDLC carrier did not stop in a timely manner",
    6: "Failed to train with any of the compatible modems",
    7: "Operator intervention failed",
    8: "Far end is not compatible",
    9: "Far end is not able to receive",
    10: "Far end is not able to transmit",
    11: "Far end cannot receive at the resolution of the image",
    12: "Far end cannot receive at the size of image",
    13: "Unexpected message received",
    14: "Received bad response to DCS or training",
    15: "Received a DCN from remote after sending a page",
    16: "Invalid ECM response received from receiver",
    17: "Received a DCN while waiting for a DIS",
    18: "Invalid response after sending a page",
    19: "Received other than DIS while waiting for DIS",
    20: "Received no response to DCS, training or TCF",
    21: "No response after sending a page",
    22: "Timed out waiting for receiver ready (ECM mode)",
    23: "Invalid ECM response received from transmitter",
    24: "DCS received while waiting for DTC",
    25: "Unexpected command after page received",
    26: "Carrier lost during fax receive",
    27: "Timed out while waiting for EOL (end Of line)",
    28: "Timed out while waiting for first line",
    29: "Timer T2 expired while waiting for DCN",
    30: "Timer T2 expired while waiting for phase D",
    31: "Timer T2 expired while waiting for fax page",
    32: "Timer T2 expired while waiting for next fax page",
    33: "Timer T2 expired while waiting for RR command",
    34: "Timer T2 expired while waiting for NSS, DCS or MCF",
    35: "Unexpected DCN while waiting for DCS or DIS",
    36: "Unexpected DCN while waiting for image data",
    37: "Unexpected DCN while waiting for EOM, EOP or MPS",
    38: "Unexpected DCN after EOM or MPS sequence",
    39: "Unexpected DCN after RR/RNR sequence",
    40: "Unexpected DCN after requested retransmission",
    41: "TIFF/F file cannot be opened",
    42: "TIFF/F page not found",
    43: "TIFF/F format is not compatible",
    44: "TIFF/F page number tag missing",
    45: "Incorrect values for TIFF/F tags",
    46: "Bad TIFF/F header - incorrect values in fields",
    47: "Cannot allocate memory for more pages",
    48: "Disconnected after permitted retries",
    49: "The call dropped prematurely",
}

_BY_TEXT: Final = {text.lower(): code for code, text in TEXT.items()}


def code_of(text: str) -> int | None:
    """The code of a spandsp completion text (None for a text spandsp does not use)."""
    return _BY_TEXT.get(text.strip().lower())
