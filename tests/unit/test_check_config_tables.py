"""``ctid check-config`` lists every problem of the switch driver's tables
(``[switch]``, ``[switch.simulator]``, ``[switch.asterisk]``, ``[switch.freeswitch]``,
outbound routes, trunk groups) and of one ``[acd]`` entry: a file with N deliberate
mistakes, wrong types beside wrong values in the same entry, gives exactly those N
``error:`` lines and the count (each case is its data: ``check_config_cases``).
``ctid reload`` and the daemon's own reload refuse such a file listing every problem,
and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import trio

from ctid.cli import main
from ctid.testing import CallCentre

from .check_config_cases import Case, UnknownKey, case_test, refused_reload

CASES: dict[str, Case] = {}

SIMULATOR = """
[switch]
driver = "simulator"

[switch.simulator]
extensions = "1001-10x4"
trunks = "eight"
ring_timeout = 0
fax_bit_rate = 1000
bogus = 1
outside = [{ pattern = "(", behaviour = "busy" }, { pattern = ".*", answer_after = "soon" }]
callees = [{ pattern = ".*", answer_share = 2, answer_after = [5, 1] }]
fax_machines = [{ pattern = ".*329", pages = 0 }]
"""

_S = "switch.simulator"
_SIM_KNOWN = (
    "auto_answer_delay, callee_seed, callees, default_sound_seconds, dial_delay, "
    "extensions, fax_bit_rate, fax_machines, first_digit_timeout, inter_digit_timeout, "
    "outside, ring_timeout, sounds_dir, trunk_group, trunks"
)
CASES["every_problem_of_the_simulator_table"] = Case(
    text=SIMULATOR,
    errors=[
        f"{_S}.bogus: unknown key (known keys: {_SIM_KNOWN})",
        f'{_S}.trunks: expected an integer, got "eight"',
        f'{_S}.outside[1].answer_after: expected a number, got "soon"',
        f"{_S}.extensions: bad number range '1001-10x4': want e.g. 1001-1010",
        f"{_S}.ring_timeout: must be more than 0 seconds",
        f"{_S}.outside[0].pattern: bad pattern: missing ), unterminated subpattern at position 0",
        f"{_S}.fax_machines[0].pages: must be 1 to 500",
        f"{_S}.fax_bit_rate: must be a V.27ter/V.29/V.17 rate",
        f"{_S}.callees[0].answer_share: a fraction from 0 to 1",
        f"{_S}.callees[0].answer_after: expected [low, high] seconds, low <= high",
    ],
)


ASTERISK = """
[switch]
driver = "asterisk"

[switch.asterisk]
base_url = "ftp://pbx/ari"
user = ""
password = "secret"
password_env = "CTID_ARI_PASSWORD"
app = "ctid,x"
extensions = "1001-1010"
mwi_mailbox = "mailbox"
request_timeout = -1
heartbeat_interval = "often"
url = "http://pbx:8088/ari"

[switch.asterisk.reconnect]
jitter = 2

[[switch.asterisk.trunks]]
name = "provider"
endpoint = "provider"
dial = "PJSIP/provider"

[[switch.asterisk.trunks]]
name = "provider"
endpoint = "PJSIP/provider"
dial = 7
"""

_A = "switch.asterisk"
_AST_KNOWN = (
    "app, auto_answer, base_url, ca_file, dialplan_context, extension_endpoint, "
    "extensions, fax_context, heartbeat_interval, heartbeat_timeout, mwi_mailbox, "
    "password, password_env, reconnect, recording_dir, request_timeout, subscribe_all, "
    "trunks, user"
)
CASES["every_problem_of_the_asterisk_table"] = Case(
    text=ASTERISK,
    errors=[
        # Another helper may add keys to [switch.asterisk]: the known keys are checked apart.
        UnknownKey(f"{_A}.url", frozenset(_AST_KNOWN.split(", "))),
        f"{_A}.trunks[1].dial: expected a string, got 7",
        f'{_A}.heartbeat_interval: expected a number, got "often"',
        f'{_A}.base_url: expected "http(s)://HOST[:PORT]/ari", got "ftp://pbx/ari"',
        f"{_A}.user: must not be empty",
        f"{_A}: give exactly one of password and password_env",
        f"{_A}.app: a Stasis application name without commas or spaces, not 'ctid,x'",
        f'{_A}.trunks[0].endpoint: expected "TECH/resource", got "provider"',
        f'{_A}.trunks[0].dial: expected "TECH/..." with {{number}} once, got "PJSIP/provider"',
        f"{_A}.trunks[1].name: trunk 'provider' is listed twice",
        f'{_A}.mwi_mailbox: expected "...{{extension}}..." once, got "mailbox"',
        f"{_A}.request_timeout: must be more than 0 seconds",
        f"{_A}.reconnect.jitter: must be a fraction from 0 to 1",
    ],
)


FREESWITCH = """
[switch]
driver = "freeswitch"

[switch.freeswitch]
host = "pbx host"
port = 80210
password = "line\\nbreak"
extensions = ["1001", "10a2"]
extension_endpoint = "user/1001"
conference_profile = "no profile"
fax_detect_seconds = "ten"

[switch.freeswitch.reconnect]
backoff_initial = 0

[[switch.freeswitch.trunks]]
name = "pro vider"
dial = "sofia/gateway/provider/{number}"
profiles = ["ext ernal", 5]
"""

_F = "switch.freeswitch"
CASES["every_problem_of_the_freeswitch_table"] = Case(
    text=FREESWITCH,
    errors=[
        f"{_F}.trunks[0].profiles[1]: expected a string, got 5",
        f'{_F}.fax_detect_seconds: expected a number, got "ten"',
        f"{_F}.host: expected a host name or address, got 'pbx host'",
        f"{_F}.port: expected a TCP port from 1 to 65535, got 80210",
        f"{_F}.password: must not contain line breaks or NUL",
        f"{_F}.extensions: bad directory number '10a2': want digits",
        f'{_F}.extension_endpoint: expected a dial string like "user/{{extension}}" with '
        '{extension} once, got "user/1001"',
        f"{_F}.trunks[0].name: a name of letters, digits, _ . -, not 'pro vider'",
        f"{_F}.trunks[0].profiles[0]: not a usable profile name: 'ext ernal'",
        f"{_F}.conference_profile: not a usable profile name: 'no profile'",
        f"{_F}.reconnect.backoff_initial: must be more than 0 seconds",
    ],
)


SWITCH = """
[switch]
driver = "simulator"
ring_timeout = "long"
external_pattern = "(["

[switch.simulatr]
trunks = 4

[switch.simulator]
trunks = -1

[[switch.trunk_groups]]
name = "pstn"
lines = []

[[switch.trunk_groups]]
name = "pstn"
lines = ["T/1", "T/1"]
size = 2

[[switch.outbound_routes]]
pattern = "0\\\\d+("
strip = 30
prefix = "abc"

[[switch.outbound_routes]]
name = "intl"
pattern = "00\\\\d+"
trunk_group = ""
hunt = "fastest"
"""
SWITCH_PROBLEMS = [
    "switch.trunk_groups[0].lines: list at least one line",
    "switch.trunk_groups[1].size: unknown key (known keys: lines, name)",
    "switch.trunk_groups[1].lines: a line is listed twice",
    "switch.outbound_routes[0].pattern: bad regular expression: "
    "missing ), unterminated subpattern at position 4",
    "switch.outbound_routes[0].strip: must be between 0 and 20 digits",
    "switch.outbound_routes[0].prefix: "
    "expected up to 20 digits (with * # and a leading +), got 'abc'",
    'switch.outbound_routes[1].hunt: expected one of "sequential", "round-robin", '
    '"random", got "fastest"',
    "switch.outbound_routes[1].trunk_group: must not be empty",
    "switch.simulatr: no driver 'simulatr' (installed: asterisk, freeswitch, simulator)",
    'switch.ring_timeout: expected a number, got "long"',
    "switch.external_pattern: bad regular expression: unterminated character set at position 1",
    "switch.simulator.trunks: must be between 0 and 1000",
]
# The driver's own table is checked too, though the rest of the file does not load; a
# start refuses the file with the same lines.
CASES["every_problem_of_the_switch_table_its_routes_and_groups"] = Case(
    text=SWITCH, errors=SWITCH_PROBLEMS, also_run=True
)

CASES["every_unknown_line_and_group_of_the_routes"] = Case(
    text="""
[switch.simulator]
trunks = 2

[[switch.trunk_groups]]
name = "pstn"
lines = ["T/1", "T/7", "T/9"]

[[switch.outbound_routes]]
pattern = "0\\\\d+"
trunk_group = "nosuch"

[[switch.outbound_routes]]
pattern = "00\\\\d+"
trunk_group = "pstn"
""",
    errors=[
        "switch.trunk_groups[0].lines: the switch has no outside line 'T/7' (its lines: T/1, T/2)",
        "switch.trunk_groups[0].lines: the switch has no outside line 'T/9' (its lines: T/1, T/2)",
        "switch.outbound_routes[0].trunk_group: no trunk group 'nosuch' (groups: *, T, pstn)",
    ],
)


ACD = """
[acd]
[acd.schedules.mornings]
days = ["mon", "moon"]
hours = ["08:00-12:00", "25:00-26:00"]

[[acd.queues]]
name = "sales"
strategy = "fastest"
max_wait = -1
ring_timeout = "x"
overflow = [{ when = "timeout", action = "queue", mailbox = "1" }]

[[acd.queues]]
name = "support"

[[acd.agents]]
id = "2001"
skills = [{ queue = "sales" }]
[[acd.agents]]
id = "2002"
[[acd.agents]]
id = "2003"
[[acd.agents]]
id = "2004"
pin = "1"
auto_answer = "yes"
devices = ["abc"]
skills = [
  { queue = "sales", level = 500, penalty = "high" },
  { queue = "nope", schedule = "evenings" },
  7,
]
"""


_KNOWN = "linear, round-robin, fewest-calls, least-talk-time, longest-idle, skill-level, "
_KNOWN += "random, ring-all, last-agent"
_DAYS = "mon, tue, wed, thu, fri, sat, sun"
#: The 15 mistakes of ``ACD``, as check-config and a refused reload list them.
ACD_PROBLEMS = [
    'acd.queues[0].ring_timeout: expected a number, got "x"',
    'acd.agents[3].auto_answer: expected true or false, got "yes"',
    'acd.agents[3].skills[0].penalty: expected an integer, got "high"',
    "acd.agents[3].skills[2]: expected an object, got 7",
    f"acd.schedules.mornings.days[1]: expected one of {_DAYS}",
    'acd.schedules.mornings.hours[1]: "25:00-26:00" is not a time of day range',
    f'acd.queues[0].strategy: unknown strategy "fastest" (known: {_KNOWN})',
    "acd.queues[0].max_wait: must not be negative",
    'acd.queues[0].overflow[0].target: required with action = "queue"',
    'acd.queues[0].overflow[0].mailbox: only used with action = "voicemail"',
    "acd.agents[3].devices: bad directory number 'abc': want digits",
    "acd.agents[3].pin: 4 to 32 characters",
    "acd.agents[3].skills[0].level: must be between 0 and 100",
    'acd.agents[3].skills[1].queue: no queue "nope"',
    'acd.agents[3].skills[1].schedule: no schedule "evenings"',
]


# Wrong types first (as read), then wrong values; one hides nothing of the other.
CASES["every_problem_inside_one_acd_entry"] = Case(text=ACD, errors=ACD_PROBLEMS)

CASES["an_entry_that_is_not_a_table_is_one_problem"] = Case(
    text='[switch]\ntrunk_groups = [5]\noutbound_routes = ["x", { pattern = "(" }]\n',
    errors=[
        "switch.trunk_groups[0]: expected an object, got 5",
        'switch.outbound_routes[0]: expected an object, got "x"',
        "switch.outbound_routes[1].pattern: bad regular expression: "
        "missing ), unterminated subpattern at position 0",
    ],
)

# The schedule stands in (the skill naming it finds it); the queue's stand-in has no
# problem of its own; the other queue and the agent are checked as written.
CASES["an_acd_entry_that_is_not_a_table_hides_nothing_and_adds_nothing"] = Case(
    text="""
[acd]
schedules = { mornings = 5 }
queues = [5, { name = "sales", max_wait = -1 }]
[[acd.agents]]
id = "2001"
skills = [{ queue = "sales", schedule = "mornings" }, { queue = "support" }]
""",
    errors=[
        "acd.schedules.mornings: expected an object, got 5",
        "acd.queues[0]: expected an object, got 5",
        "acd.queues[1].max_wait: must not be negative",
        'acd.agents[0].skills[1].queue: no queue "support"',
    ],
)


SERVER = """
[server]
max_connections = 0
max_connections_per_address = 0
trusted_proxies = ["10.0.0.0/33"]
tls_certificate = "/etc/ctid/cert.pem"
metrics_tls = true

[api]
allowed_origins = ["ftp://crm.example.com", "https://*.example.com"]

[switch]
driver = "simulator"
"""

_ORIGIN = (
    'is not an origin: expected "*" or SCHEME://HOST[:PORT] '
    '(http or https, no path; PORT may be "*")'
)
SERVER_PROBLEMS = [
    "server.max_connections: must be at least 1",
    "server.max_connections_per_address: must be at least 1",
    'server.trusted_proxies: "10.0.0.0/33" is not an IP address or CIDR network',
    "server.tls_certificate: give both tls_certificate and tls_private_key",
    f'api.allowed_origins[0]: "ftp://crm.example.com" {_ORIGIN}',
    f'api.allowed_origins[1]: "https://*.example.com" {_ORIGIN}',
]
CASES["every_problem_of_the_server_table"] = Case(text=SERVER, errors=SERVER_PROBLEMS)
# Without a certificate at all, metrics_tls is the one TLS problem.
CASES["metrics_tls_without_a_certificate"] = Case(
    text=SERVER.replace('tls_certificate = "/etc/ctid/cert.pem"\n', ""),
    errors=[
        *SERVER_PROBLEMS[:3],
        "server.metrics_tls: needs tls_certificate and tls_private_key",
        *SERVER_PROBLEMS[4:],
    ],
)


test_check_config = case_test(CASES)


def test_ctid_reload_refuses_the_file_with_every_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ctid.toml"
    path.write_text(f'[server]\nstate_dir = "{tmp_path / "state"}"\n{SWITCH}')
    assert main(["reload", "--config", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        *(f"error: {path}: {line}" for line in SWITCH_PROBLEMS),
        f"{path}: 12 problem(s)",
        "nothing was sent: the running daemon keeps its configuration",
    ]
    # Nothing to signal was looked for: no pid file was read, no state directory made.
    assert not (tmp_path / "state").exists()


async def test_the_daemon_refuses_a_reload_with_every_problem_and_changes_nothing(
    tmp_path: Path,
    autojump_clock: trio.abc.Clock,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = f"""
[server]
listen = "127.0.0.1:0"
state_dir = "{tmp_path / "state"}"

[switch.simulator]
extensions = "1001-1004"

[acd]
[[acd.queues]]
name = "sales"
[[acd.queues]]
name = "support"
[[acd.agents]]
id = "2001"
skills = [{{ queue = "sales" }}]
"""

    async def queues(cc: CallCentre) -> object:
        return await (await cc.client()).call("queue.list")

    # The [acd] of check-config's test: its 15 mistakes, each listed.
    bad = Case(text=good.split("[acd]")[0] + ACD, errors=ACD_PROBLEMS)
    await refused_reload(tmp_path, good, bad, caplog, monkeypatch, queues)
