"""One failure, one CSTA cause, on every switch (issue 14; docs/drivers.md, causes).

The pairs below are what the lab's Asterisk 22.10.1 (``ChannelDestroyed`` cause
and ``tech_cause``) and FreeSWITCH 1.10.12 (hang-up cause names) reported for the
same failures; each must give the same ``HangupCause``, hence the same CSTA
``FailedEvent`` cause (``networkOutOfOrder`` for ``FAILED``, ``destNotObtainable``
for ``UNREACHABLE``, ...).
"""

from __future__ import annotations

import pytest

from ctid.switch_drivers.asterisk.endpoints import hangup_cause
from ctid.switch_drivers.base import HangupCause
from ctid.switch_drivers.freeswitch.causes import cause_from_freeswitch

# (failure, Asterisk cause, tech_cause, whether the far end ever answered the
# INVITE, FreeSWITCH cause name, the one HangupCause)
SAME_FAILURE = [
    # The trunk's address answers nothing: Asterisk after timer B (32 s, 408 made
    # cause 18), FreeSWITCH at once from the network (ICMP).
    ("trunk address silent", 18, 408, False, "NETWORK_OUT_OF_ORDER", HangupCause.FAILED),
    ("timer B", 18, 408, False, "RECOVERY_ON_TIMER_EXPIRE", HangupCause.FAILED),
    ("number does not exist", 1, 404, False, "UNALLOCATED_NUMBER", HangupCause.UNREACHABLE),
    ("phone not registered", 20, 0, False, "USER_NOT_REGISTERED", HangupCause.UNREACHABLE),
    ("busy", 17, 486, False, "USER_BUSY", HangupCause.BUSY),
    ("rang, nobody answered", 19, 480, True, "NO_ANSWER", HangupCause.NO_ANSWER),
    ("rang, then the proxy gave up", 18, 408, True, "NO_USER_RESPONSE", HangupCause.NO_ANSWER),
    ("provider overloaded", 34, 503, False, "NORMAL_CIRCUIT_CONGESTION", HangupCause.CONGESTION),
    ("rejected", 21, 603, True, "CALL_REJECTED", HangupCause.REJECTED),
]


@pytest.mark.parametrize(
    ("failure", "q850", "tech", "rang", "fs_name", "expected"),
    SAME_FAILURE,
    ids=[row[0] for row in SAME_FAILURE],
)
def test_the_same_failure_is_the_same_cause_on_both_switches(
    failure: str, q850: int, tech: int, rang: bool, fs_name: str, expected: HangupCause
) -> None:
    assert hangup_cause(q850, tech, rang=rang) is expected
    assert cause_from_freeswitch(fs_name) is expected


def test_without_tech_cause_the_q850_cause_decides() -> None:
    # Asterisk before 22 sends no tech_cause: 18 stays "no answer".
    assert hangup_cause(18) is HangupCause.NO_ANSWER
    assert hangup_cause(18, 0, rang=False) is HangupCause.NO_ANSWER
    assert hangup_cause(38) is HangupCause.FAILED
    assert hangup_cause(16, 408, rang=True) is HangupCause.NORMAL
