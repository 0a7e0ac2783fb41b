"""``ctid check-config`` lists every problem of each service's table, not only the first:
``[records]``, ``[recording]``, ``[voicemail]``, ``[fax]``, ``[cluster]``, ``[outbound]``,
each ``[[campaigns]]`` entry (and every campaign's queue) and each ``[[webhooks]]`` entry,
a value of the wrong type hiding none of the wrong values beside it. The daemon's reload
checks the switch driver's table again: a bad one is refused with every problem, a
changed good one is refused alone as needing a restart while the rest applies. One
end-to-end run of the ``ctid`` program compares its exit code and every line."""

from __future__ import annotations

import logging
from pathlib import Path

import attrs
import pytest
import trio

from ctid.config import load_config
from ctid.testing import call_centre
from ctid.wiring.reload import reload_config

from .check_config_cases import LISTEN, Case, case_test, refused_reload

CASES: dict[str, Case] = {}

CASES["every_problem_of_records_recording_voicemail"] = Case(
    text=LISTEN
    + """
[records]
spool_max_mb = 0
heartbeat_seconds = "often"
timezone = "Mars/Olympus"
database = "mysql://db/ctid"

[recording]
record = "some"
retention_days = -1
retention = { sales = 0, support = -2 }
retention_interval = 0
format = "w.av"

[voicemail]
retention_days = -1
retention_interval = "daily"
mailboxes = [{ number = "" }, { number = "8100", bogus = 1 }, { number = "8100" }, 5]
""",
    errors=[
        'records.heartbeat_seconds: expected a number, got "often"',
        "records.spool_max_mb: must be at least 1",
        "records.timezone: unknown time zone 'Mars/Olympus'",
        "records.database: ctid keeps records in SQLite or PostgreSQL, not mysql",
        'recording.record: expected one of "none", "all", got "some"',
        "recording.retention_days: must be 0 (keep) or more",
        "recording.retention.sales: must be more than 0",
        "recording.retention.support: must be more than 0",
        "recording.retention_interval: must be more than 0",
        "recording.format: expected a file extension like wav",
        'voicemail.retention_interval: expected a number, got "daily"',
        "voicemail.mailboxes[1].bogus: unknown key (known keys: mwi_devices, name, number)",
        "voicemail.mailboxes[3]: expected an object, got 5",
        "voicemail.retention_days: must be 0 (keep) or more",
        "voicemail.mailboxes[0].number: must not be empty",
        "voicemail.mailboxes[2].number: 8100 is listed twice",
    ],
)


CASES["every_problem_of_fax_and_cluster"] = Case(
    text=LISTEN
    + """
[fax]
retries = 11
max_lines = 0
ring_timeout = "long"
station_id = "012345678901234567890123"
numbers = { "4008003290" = "" }
email_to = { orders = "not-an-address" }

[cluster]
node_name = "-bad"
advertise_url = "http://node1"
lease_seconds = 1
""",
    errors=[
        'fax.ring_timeout: expected a number, got "long"',
        "fax.retries: must be 0 to 10",
        "fax.max_lines: must be 1 or more",
        "fax.station_id: at most 20 characters (T.30)",
        "fax.numbers.4008003290: a number and a mailbox",
        "fax.email_to.orders: not an address: 'not-an-address'",
        "fax.email_to: needs [fax.email] host (the relay)",
        "cluster.node_name: use 1-64 letters, digits, '.', '_' or '-', starting with a "
        "letter or digit",
        'cluster.advertise_url: expected a ws:// or wss:// URL such as "ws://10.0.0.1:8765/v1", '
        'got "http://node1"',
        "cluster.lease_seconds: must be at least 3",
        "cluster: a cluster needs PostgreSQL: set records.database (or records.database_env) "
        "to a postgresql:// URL shared by every node",
    ],
)


CASES["every_problem_of_campaigns_outbound_and_webhooks"] = Case(
    text=LISTEN
    + """
[acd]
[[acd.queues]]
name = "sales"

[outbound]
zone_prefixes = { "+1x" = "America/New_York", "+44" = "Europe/Nowhere" }

[[campaigns]]
name = "c 1"
queue = "nosuch"
max_attempts = 0
windows = [{ days = ["mon", "moon"], start = "9", end = "17:00" }]

[[campaigns]]
name = "c2"
queue = "alsonot"
ring_seconds = "soon"
max_lines = 0
windows = [{ days = ["mon"], start = "18:00", end = "17:00" }]

[[campaigns]]
name = "c2"
queue = "sales"
windows = [{ days = ["tue"], start = "09:00", end = "17:00" }]

[[webhooks]]
name = "a"
url = "ftp://hooks.example.com/a"
events = []
batch_max = "many"

[[webhooks]]
name = "a"
url = "https://hooks.example.com/b"
secret_env = "not a name"
events = ["CallCleared"]
timeout_seconds = 0
""",
    errors=[
        "outbound.zone_prefixes.+1x: a number prefix: digits with an optional leading +",
        "outbound.zone_prefixes.+44: unknown time zone 'Europe/Nowhere'",
        "campaigns[0].name: letters, digits, _ . - (up to 64, a letter or digit first), not 'c 1'",
        "campaigns[0].windows[0].days: 'moon' is not one of mon, tue, wed, thu, fri, sat, sun",
        "campaigns[0].windows[0].start: expected \"HH:MM\", got '9'",
        "campaigns[0].max_attempts: must be between 1 and 100",
        'campaigns[1].ring_seconds: expected a number, got "soon"',
        "campaigns[1].windows[0].end: must be after start (a window stays within one day)",
        "campaigns[1].max_lines: must be between 1 and 10000",
        "campaigns[2].name: campaign 'c2' is listed twice",
        "campaigns[0].queue: no queue 'nosuch' in [acd] (queues: sales)",
        "campaigns[1].queue: no queue 'alsonot' in [acd] (queues: sales)",
        "webhooks[0].secret_env: required but missing",
        'webhooks[0].batch_max: expected an integer, got "many"',
        "webhooks[0].url: must be an http:// or https:// URL with a host",
        "webhooks[0].events: name at least one event or pattern",
        "webhooks[1].secret_env: must be an environment variable's name",
        "webhooks[1].timeout_seconds: must be more than 0 and at most 300",
        "webhooks[1].name: a second webhook named 'a'",
    ],
)


GOOD = """
[server]
listen = "127.0.0.1:0"
state_dir = "{state}"

[switch.simulator]
extensions = "1001-1004"
trunks = 2

[[auth.tokens]]
role = "supervisor"
name = "sup"
token = "supervisor-token-0123456789"
"""


#: Files a daemon running ``GOOD`` reloads: each refused, every problem listed.
REFUSED: dict[str, Case] = {}
# The file loads (the driver's table is the driver's to check) but the table has two
# mistakes, and a trunk group names a line it does not have; a new token too.
REFUSED["a_bad_driver_table"] = Case(
    text=GOOD.replace("trunks = 2\n", "trunks = 2\nring_timeout = 0\nfax_bit_rate = 1\n")
    + '[[switch.trunk_groups]]\nname = "pstn"\nlines = ["T/3"]\n'
    + '[[auth.tokens]]\nrole = "agent"\nname = "new"\ntoken = "agent-token-0123456789"\n',
    errors=[
        "switch.simulator.ring_timeout: must be more than 0 seconds",
        "switch.simulator.fax_bit_rate: must be a V.27ter/V.29/V.17 rate",
        "switch.trunk_groups[0].lines: the switch has no outside line 'T/3' (its lines: T/1, T/2)",
    ],
)
# A core table's mistake stops the file from loading: the routes' lines and the
# services' tables are checked all the same, on what the file says.
REFUSED["a_file_that_does_not_load"] = Case(
    text=GOOD.replace('listen = "127.0.0.1:0"\n', 'listen = "127.0.0.1:0"\nbogus = 1\n')
    + '[[switch.trunk_groups]]\nname = "pstn"\nlines = ["T/3"]\n'
    + "[recording]\nretention_days = -1\n",
    errors=[
        "server.bogus: unknown key (known keys: listen, log_level, max_connections, "
        "max_connections_per_address, metrics_listen, metrics_tls, state_dir, "
        "tls_certificate, tls_private_key, trusted_proxies)",
        "switch.trunk_groups[0].lines: the switch has no outside line 'T/3' (its lines: T/1, T/2)",
        "recording.retention_days: must be 0 (keep) or more",
    ],
)
REFUSED["every_token_whose_variable_is_unusable"] = Case(
    text=GOOD
    + '[[auth.tokens]]\nrole = "agent"\nname = "a"\ntoken_env = "CTID_C2_UNSET"\n'
    + '[[auth.tokens]]\nrole = "agent"\nname = "b"\ntoken_env = "CTID_C2_EMPTY"\n',
    env={"CTID_C2_UNSET": None, "CTID_C2_EMPTY": ""},
    errors=[
        "auth.tokens[1].token_env: environment variable CTID_C2_UNSET is not set (token 'a')",
        "auth.tokens[2].token_env: environment variable CTID_C2_EMPTY is empty (token 'b')",
    ],
)


@pytest.mark.parametrize("name", sorted(REFUSED))
async def test_the_daemon_refuses_a_reload_with_every_problem(
    name: str,
    tmp_path: Path,
    autojump_clock: trio.abc.Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    state = tmp_path / "state"
    case = attrs.evolve(REFUSED[name], text=REFUSED[name].text.format(state=state))
    await refused_reload(tmp_path, GOOD.format(state=state), case, caplog, monkeypatch)


async def test_a_changed_good_driver_table_needs_a_restart_and_the_rest_applies(
    tmp_path: Path, autojump_clock: trio.abc.Clock, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "ctid.toml"
    good = GOOD.format(state=tmp_path / "state")
    path.write_text(good)
    config = load_config(path)
    async with call_centre(config) as cc:
        changed = good.replace("trunks = 2\n", "trunks = 4\n")
        changed += '[[auth.tokens]]\nrole = "agent"\nname = "new"\n'
        changed += 'token = "agent-token-0123456789"\n'
        path.write_text(changed)
        caplog.set_level(logging.INFO)
        report = await reload_config(cc.app)
        assert report is not None
        assert report.refused == [
            f"switch (the driver and its table) changed in {path}: it takes effect only "
            "after a restart (the running value stays)"
        ]
        assert report.applied["tokens"] == {"added": ["new"], "removed": [], "sessions_ended": 0}
        assert [c.name for c in cc.app.api.auth.credentials] == ["admin", "sup", "new"]
        # The running switch keeps its two lines.
        assert cc.app.driver.trunk_groups == {"T": ("T/1", "T/2")}


#: The end-to-end run: the ``ctid`` program as a child process.
CASES["end_to_end"] = Case(
    text="""
[server]
listen = "127.0.0.1:0"
state_dir = "/var/lib/ctid"

[switch]
driver = "asterisk"

[switch.asterisk]
base_url = "ftp://pbx/ari"
user = "ctid"
password = "secret"
extensions = "1001-1004"

[[switch.asterisk.trunks]]
name = "provider"
endpoint = "PJSIP/provider"
dial = "PJSIP/{number}@provider"

[[switch.outbound_routes]]
pattern = "0\\\\d+"
trunk_group = "nosuchgroup"

[[auth.tokens]]
role = "agent"
name = "agent-a"
token_env = "CTID_E2E_UNSET"

[[auth.tokens]]
role = "agent"
name = "agent-b"
token_env = "CTID_E2E_EMPTY"

[recording]
retention_days = -1
format = "w.av"

[voicemail]
retention_days = -1

[fax]
retries = 11
max_lines = 0

[[webhooks]]
name = "a"
url = "ftp://x"
secret_env = "CTID_E2E_SECRET"
events = ["CallCleared"]
""",
    env={"CTID_E2E_UNSET": None, "CTID_E2E_EMPTY": "", "CTID_ADMIN_TOKEN": None},
    errors=[
        'switch.asterisk.base_url: expected "http(s)://HOST[:PORT]/ari", got "ftp://pbx/ari"',
        "switch.outbound_routes[0].trunk_group: no trunk group 'nosuchgroup' (groups: *, provider)",
        "auth.tokens[0].token_env: environment variable CTID_E2E_UNSET is not set "
        "(token 'agent-a')",
        "auth.tokens[1].token_env: environment variable CTID_E2E_EMPTY is empty (token 'agent-b')",
        "recording.retention_days: must be 0 (keep) or more",
        "recording.format: expected a file extension like wav",
        "voicemail.retention_days: must be 0 (keep) or more",
        "fax.retries: must be 0 to 10",
        "fax.max_lines: must be 1 or more",
        "webhooks[0].url: must be an http:// or https:// URL with a host",
    ],
    warnings=[
        "server.state_dir: voicemail messages go to /var/lib/ctid/voicemail, outside "
        "switch.asterisk.recording_dir (/var/spool/asterisk/recording), where Asterisk "
        "records them: set server.state_dir to a directory inside "
        "/var/spool/asterisk/recording (or switch.asterisk.recording_dir to one that holds "
        "it); a warning only, as the directories may be mounted differently on the "
        "switch's host",
    ],
)


# Both tables were refused as unused ("not used by this version of ctid").
CASES["numbers_and_livestate_are_checked_not_refused"] = Case(
    text=LISTEN
    + '[livestate]\nenabled = false\n[numbers]\ndefault_region = "cn"\nlanguage = "zh"\n'
)
CASES["every_problem_of_numbers_and_livestate"] = Case(
    text=LISTEN
    + '[livestate]\nenabled = "no"\n[numbers]\ndefault_region = "XX"\nlanguage = "e n"\n',
    errors=[
        'livestate.enabled: expected true or false, got "no"',
        "numbers.default_region: unknown region 'XX': want an ISO 3166 code such as CN or US",
        "numbers.language: want a language code such as en or zh",
    ],
)


test_check_config = case_test(CASES, process={"end_to_end"})
