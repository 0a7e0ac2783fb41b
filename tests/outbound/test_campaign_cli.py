"""``ctid campaign import NAME FILE.csv`` on both databases: a CSV with bad rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from ctid.cli import main
from ctid.records import db
from ctid.records.schema import campaign_records

CONFIG = """
[server]
state_dir = "{state}"

[records]
database = "{url}"

[acd]
[[acd.queues]]
name = "sales"

[[campaigns]]
name = "renewals"
queue = "sales"
"""

BAD_ROWS = (
    "customer,phone,plan\n"
    "C-1,+33 1 70 00 00 01,gold\n"
    "C-2,not a number,silver\n"
    "C-3,5551234\n"
    "C-4,+33170000001,bronze\n"
    "C-5,(212) 555-0100,gold\n"
)


def test_import_reports_bad_rows_by_line_and_keeps_the_rest(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    conf = tmp_path / "ctid.toml"
    conf.write_text(CONFIG.format(state=tmp_path, url=database_url))
    listing = tmp_path / "january.csv"
    listing.write_text(BAD_ROWS, encoding="utf-8")
    assert main(["campaign", "import", "renewals", str(listing), "--config", str(conf)]) == 3
    out, err = capsys.readouterr()
    assert out == "renewals/january: 2 records imported\n"
    assert err.splitlines() == [
        f"{listing}:3: 'not a number' is not a phone number (digits, a leading +, separators)",
        f"{listing}:4: 2 fields where the header has 3",
        f"{listing}:5: duplicate of line 2",
    ]
    engine = db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    campaign_records.c.campaign,
                    campaign_records.c.line,
                    campaign_records.c.number,
                    campaign_records.c.data,
                    campaign_records.c.status,
                    campaign_records.c.attempts,
                ).order_by(campaign_records.c.id)
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        ("renewals", 2, "+33170000001", {"customer": "C-1", "plan": "gold"}, "new", 0),
        ("renewals", 6, "2125550100", {"customer": "C-5", "plan": "gold"}, "new", 0),
    ]
    # The same list again is refused whole; another campaign does not exist.
    assert main(["campaign", "import", "renewals", str(listing), "--config", str(conf)]) == 1
    assert capsys.readouterr().err == "error: campaign 'renewals' already has a list 'january'\n"
    assert main(["campaign", "import", "nope", str(listing), "--config", str(conf)]) == 1
    assert capsys.readouterr().err == "error: no campaign 'nope'\n"
    clean = tmp_path / "clean.csv"
    clean.write_text("phone\n5550100\n")
    args = ["campaign", "import", "renewals", str(clean), "--config", str(conf), "--list", "feb"]
    assert main(args) == 0
    assert capsys.readouterr().out == "renewals/feb: 1 records imported\n"
