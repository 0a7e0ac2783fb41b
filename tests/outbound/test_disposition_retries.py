"""A disposition's retry rule counts its retries in a row (``max_retries``).

Seen on the lab's Asterisk 22.10.1 (docs/outbound.md, "Answering machines"): with AMD
off, agents gave machines the code ``machine``, which the campaign's ``retries`` named
with ``max_retries = 1``; the record was dialled again after every answer until
``max_attempts`` (4 attempts), because each answered attempt reset the count of retries
in a row before the disposition's rule read it. The dialler (``_write_ended``: the
attempt's outcome, then the disposition noted during the call) and
``campaign.setDisposition`` after the call (the record as the attempt left it) both run
``after_attempt`` then ``after_disposition``, as below.
"""

from __future__ import annotations

import datetime as dt

import attrs

from ctid.outbound.attempts import Standing, after_attempt
from ctid.outbound.campaign_config import CampaignSpec, RetryRule
from ctid.outbound.dispositions import after_disposition

NOW = dt.datetime(2027, 1, 15, 10, 0, tzinfo=dt.UTC)
SPEC = CampaignSpec(
    name="c",
    queue="sales",
    max_attempts=6,
    retries={
        "later": RetryRule(after_seconds=20, max_retries=2),
        "busy": RetryRule(after_seconds=60, max_retries=3),
    },
    dispositions=("sale", "later"),
)


def answered(record: Standing, previous: str | None, code: str, now: dt.datetime) -> Standing:
    """One attempt answered and given ``code`` (``previous``: the record's code before)."""
    ended = after_attempt(SPEC, record, "answered", now)
    return after_disposition(SPEC, ended, previous, code, now)


def test_a_disposition_is_retried_max_retries_times_in_a_row() -> None:
    record = Standing(number="5550101")
    first = answered(record, None, "later", NOW)
    assert (first.status, first.attempts, first.retries) == ("retry", 1, 1)
    assert first.next_attempt_at == NOW + dt.timedelta(seconds=20)
    second = answered(first, "later", "later", NOW)
    assert (second.status, second.attempts, second.retries) == ("retry", 2, 2)
    third = answered(second, "later", "later", NOW)
    assert (third.status, third.attempts, third.retries, third.next_attempt_at) == (
        "done",
        3,
        2,
        None,
    )


def test_another_outcome_between_starts_the_count_again() -> None:
    first = answered(Standing(number="5550101"), None, "later", NOW)
    busy = after_attempt(SPEC, first, "busy", NOW)
    assert (busy.status, busy.retries, busy.last_outcome) == ("retry", 1, "busy")
    again = answered(busy, "later", "later", NOW)
    # The busy attempt broke the row: "later" counts from 1 again.
    assert (again.status, again.attempts, again.retries) == ("retry", 3, 1)


def test_another_code_starts_the_count_again_and_an_answer_without_rule_is_done() -> None:
    first = answered(Standing(number="5550101"), None, "later", NOW)
    sale = answered(first, "later", "sale", NOW)
    assert (sale.status, sale.attempts, sale.next_attempt_at) == ("done", 2, None)
    plain = after_attempt(SPEC, attrs.evolve(sale, status="callback"), "answered", NOW)
    assert (plain.status, plain.attempts, plain.last_outcome) == ("done", 3, "answered")
