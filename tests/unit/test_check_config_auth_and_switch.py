"""``ctid check-config`` (and ``ctid run``) list every problem of ``[auth]`` (each token
whose environment variable is unusable, unset included, naming the token and the
variable; the login throttle; ``[auth.jwt]``), check the outbound routes and the IVR
numbers against the driver's table even when the driver does not build or the file does
not load, and warn (without failing) where Asterisk cannot record the voicemail messages
the file has callers leave, with a ``[voicemail]`` table or without. Every output line is
compared (``check_config_cases``)."""

from __future__ import annotations

import pytest

from .check_config_cases import LISTEN, Case, UnknownKey, case_test

SIM = LISTEN + '[switch]\ndriver = "simulator"\n'


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CTID_ADMIN_TOKEN", "CTID_JWT_SECRET", "C2_A", "C2_B", "C2_C"):
        monkeypatch.delenv(name, raising=False)


def tokens(*entries: tuple[str, str, str]) -> str:
    return "".join(
        f'[[auth.tokens]]\nrole = "{role}"\nname = "{name}"\ntoken_env = "{env}"\n'
        for role, name, env in entries
    )


CASES: dict[str, Case] = {}

# ``ctid run`` refuses a token whose variable is unset: so does check-config, naming both
# tokens and both variables with run's own lines (it answers for where it runs).
CASES["two_unset_token_variables_are_two_errors_as_at_start"] = Case(
    text=SIM + tokens(("agent", "agent-a", "C2_A"), ("agent", "agent-b", "C2_B")),
    errors=[
        "auth.tokens[0].token_env: environment variable C2_A is not set (token 'agent-a')",
        "auth.tokens[1].token_env: environment variable C2_B is not set (token 'agent-b')",
    ],
    also_run=True,
)

# The bad role stops the file from loading; every token's variable is checked anyway.
CASES["a_bad_role_hides_no_token_variable"] = Case(
    text=SIM + tokens(("boss", "agent-a", "C2_A"), ("agent", "agent-b", "C2_B")),
    env={"C2_B": ""},
    errors=[
        'auth.tokens[0].role: expected one of "admin", "supervisor", "agent", got "boss"',
        "auth.tokens[0].token_env: environment variable C2_A is not set (token 'agent-a')",
        "auth.tokens[1].token_env: environment variable C2_B is empty (token 'agent-b')",
    ],
    also_run=True,
)

CASES["every_problem_of_auth"] = Case(
    text=SIM
    + "[auth]\nmax_failures = 0\nfailure_window_seconds = 0\n"
    + "exempt_addresses = ['crm.example']\n"
    + "[auth.jwt]\nalgorithms = ['HS256', 'XX1']\nleeway_seconds = -1\n"
    + "public_key_file = 'a.pem'\njwks_file = 'b.json'\n"
    + tokens(("agent", "agent-a", "C2_A"), ("agent", "agent-b", "C2_B")),
    env={
        "CTID_ADMIN_TOKEN": "short",
        "C2_A": "",
        "C2_B": "x" * 15,
        "CTID_JWT_SECRET": "too-short",
    },
    errors=[
        "auth.admin_token_env: the token in CTID_ADMIN_TOKEN is too short: "
        "use at least 16 characters",
        "auth.tokens[0].token_env: environment variable C2_A is empty (token 'agent-a')",
        "auth.tokens[1].token_env: the token in C2_B is too short: "
        "use at least 16 characters (token 'agent-b')",
        "auth.max_failures: must be at least 1",
        "auth.failure_window_seconds: must be more than 0",
        'auth.exempt_addresses: "crm.example" is not an address or CIDR network',
        'auth.jwt.algorithms[1]: "XX1" is not supported (use one of ES256, ES384, '
        "ES512, HS256, HS384, HS512, PS256, PS384, PS512, RS256, RS384, RS512)",
        "auth.jwt: give at most one of public_key_file and jwks_file",
        "auth.jwt.leeway_seconds: must not be negative",
        "auth.jwt.secret_env: the secret in CTID_JWT_SECRET is too short: use at least 32 bytes",
    ],
    # A start refuses the file with the same lines (the admin token stays short).
    also_run=True,
)

# ``ctid run`` refused an unset ``records.database_env`` (with a traceback) where
# check-config said ok: both refuse it now, with one line.
CASES["an_unset_database_variable_is_refused_as_at_start"] = Case(
    text=SIM + tokens(("agent", "agent-a", "C2_A")) + '[records]\ndatabase_env = "C2_C"\n',
    env={"C2_A": "agent-token-0123456789"},
    errors=["records.database_env: environment variable C2_C is not set"],
    also_run=True,
)

ASTERISK_TABLE = """
[switch]
driver = "asterisk"

[switch.asterisk]
url = "http://pbx:8088/ari"
user = "ctid"
password = "secret"
extensions = "1001-1004"

[[switch.asterisk.trunks]]
name = "provider"
endpoint = "PJSIP/provider"
dial = "PJSIP/{number}@provider"

[[switch.asterisk.trunks]]
name = "backup"
endpoint = "PJSIP/backup"
dial = "PJSIP/backup"
"""
ROUTES = """
[[switch.trunk_groups]]
name = "pstn"
lines = ["provider", "backup", "nosuchline"]

[[switch.outbound_routes]]
pattern = "0\\\\d+"
trunk_group = "pstn"

[[switch.outbound_routes]]
pattern = "00\\\\d+"
trunk_group = "nosuchgroup"
"""
ACD_IVR = """
[acd]
[[acd.queues]]
name = "sales"

[ivr]
flows_dir = "flows"
tts = "silent"
[ivr.numbers]
"1002" = "main"
"4000" = "nosuchflow"
"""
FLOWS = {"flows/main.yaml": "name: main\nstart: bye\nnodes:\n  bye:\n    type: hangup\n"}
#: The known keys of [switch.asterisk] (another helper may add more).
ASTERISK_KEYS = frozenset(
    {
        "app",
        "auto_answer",
        "base_url",
        "ca_file",
        "dialplan_context",
        "extension_endpoint",
        "extensions",
        "fax_context",
        "heartbeat_interval",
        "heartbeat_timeout",
        "mwi_mailbox",
        "password",
        "password_env",
        "reconnect",
        "recording_dir",
        "request_timeout",
        "subscribe_all",
        "trunks",
        "user",
    }
)
#: What the routes and the IVR numbers of ``ROUTES`` and ``ACD_IVR`` get wrong against
#: the lines the Asterisk table names (a trunk with a problem is still one of them).
LINE_PROBLEMS = [
    "switch.trunk_groups[0].lines: the switch has no outside line 'nosuchline' "
    "(its lines: backup, provider)",
    "switch.outbound_routes[1].trunk_group: no trunk group 'nosuchgroup' "
    "(groups: *, backup, provider, pstn)",
    "ivr.numbers.1002: 1002 is already an extension",
    "ivr.numbers.4000: no flow 'nosuchflow'",
]
ASTERISK_PROBLEMS = [
    UnknownKey("switch.asterisk.url", ASTERISK_KEYS),
    'switch.asterisk.trunks[1].dial: expected "TECH/..." with {number} once, got "PJSIP/backup"',
]

CASES["routes_and_ivr_numbers_are_checked_when_the_driver_does_not_build"] = Case(
    text=LISTEN + ASTERISK_TABLE + ROUTES + ACD_IVR,
    files=FLOWS,
    errors=[*ASTERISK_PROBLEMS, *LINE_PROBLEMS],
)

# A mistake in a core table stops the file from loading: the driver's table, the routes,
# the IVR numbers and every service's table are still checked, on what the file says.
CASES["routes_and_ivr_numbers_are_checked_when_the_file_does_not_load"] = Case(
    text=LISTEN + "bogus = 1\n" + ASTERISK_TABLE + ROUTES + ACD_IVR + "[fax]\nretries = 11\n",
    files=FLOWS,
    errors=[
        UnknownKey("server.bogus", frozenset({"listen", "state_dir"})),
        *ASTERISK_PROBLEMS,
        *LINE_PROBLEMS,
        "fax.retries: must be 0 to 10",
    ],
    also_run=True,
)

# A route or a group with a problem of its own is left out of the line check; the others
# are named at their own place, and a route may name a group that was left out.
CASES["the_routes_that_read_are_checked_at_their_own_place"] = Case(
    text=SIM
    + "[switch.simulator]\ntrunks = 2\n"
    + '[[switch.trunk_groups]]\nname = "bad"\nlines = []\n'
    + '[[switch.trunk_groups]]\nname = "pstn"\nlines = ["T/1", "T/3"]\n'
    + '[[switch.outbound_routes]]\npattern = "("\n'
    + '[[switch.outbound_routes]]\npattern = "1\\\\d+"\ntrunk_group = "bad"\n'
    + '[[switch.outbound_routes]]\npattern = "0\\\\d+"\ntrunk_group = "nosuch"\n',
    errors=[
        "switch.trunk_groups[0].lines: list at least one line",
        "switch.outbound_routes[0].pattern: bad regular expression: "
        "missing ), unterminated subpattern at position 0",
        "switch.trunk_groups[1].lines: the switch has no outside line 'T/3' (its lines: T/1, T/2)",
        "switch.outbound_routes[2].trunk_group: no trunk group 'nosuch' (groups: *, T, pstn)",
    ],
)

CASES["a_simulator_table_with_problems_still_names_its_lines"] = Case(
    text=LISTEN
    + "[switch.simulator]\ntrunks = 2\nring_timeout = 0\n"
    + '[[switch.trunk_groups]]\nname = "pstn"\nlines = ["T/1", "T/3"]\n',
    errors=[
        "switch.simulator.ring_timeout: must be more than 0 seconds",
        "switch.trunk_groups[0].lines: the switch has no outside line 'T/3' (its lines: T/1, T/2)",
    ],
)

VOICEMAIL = """
[server]
listen = "127.0.0.1:0"
state_dir = "{state_dir}"

[switch]
driver = "{driver}"

[switch.asterisk]
base_url = "http://pbx:8088/ari"
user = "ctid"
password = "secret"
extensions = "1001-1004"
{recording_dir}
"""
MAILBOXES = '[[voicemail.mailboxes]]\nnumber = "8100"\n'
#: A flow that records a message for the queue "sales" (the ACD's).
VOICEMAIL_FLOW = {
    "flows/vm.yaml": "name: vm\nstart: leave\nnodes:\n  leave:\n    type: voicemail\n"
    "    mailbox: {queue: sales}\n    next: bye\n  bye:\n    type: hangup\n"
}
FLOW_TABLES = '[acd]\n[[acd.queues]]\nname = "sales"\n[ivr]\nflows_dir = "flows"\ntts = "silent"\n'
ROUTING = (
    '[routing]\n[[routing.rules]]\nname = "closed"\ndnis = ["5000"]\n'
    'destination = { voicemail = "number:8100" }\n'
)


def voicemail(state_dir: str, driver: str = "asterisk", rec: str = "", more: str = "") -> str:
    return VOICEMAIL.format(state_dir=state_dir, driver=driver, recording_dir=rec) + more


def outside(messages: str, rec: str = "/var/spool/asterisk/recording") -> str:
    return (
        f"server.state_dir: voicemail messages go to {messages}, outside "
        f"switch.asterisk.recording_dir ({rec}), where Asterisk records them: set "
        f"server.state_dir to a directory inside {rec} (or switch.asterisk.recording_dir to "
        "one that holds it); a warning only, as the directories may be mounted differently "
        "on the switch's host"
    )


CASES["voicemail_outside_the_recording_directory_is_a_warning"] = Case(
    text=voicemail("/var/lib/ctid", more=MAILBOXES),
    warnings=[outside("/var/lib/ctid/voicemail")],
)
# The recording directory as configured, not only its default.
CASES["voicemail_outside_the_configured_recording_directory"] = Case(
    text=voicemail("/srv/ast/rec/ctid", rec='recording_dir = "/srv/other"', more=MAILBOXES),
    warnings=[outside("/srv/ast/rec/ctid/voicemail", "/srv/other")],
)
# Voicemail needs no [voicemail] table: a flow's voicemail node or a routing rule to a
# mailbox records messages there too.
CASES["a_voicemail_node_without_a_voicemail_table_warns"] = Case(
    text=voicemail("/var/lib/ctid", more=FLOW_TABLES),
    files=VOICEMAIL_FLOW,
    warnings=[outside("/var/lib/ctid/voicemail")],
)
CASES["a_routing_rule_to_a_mailbox_without_a_voicemail_table_warns"] = Case(
    text=voicemail("/var/lib/ctid", more=ROUTING),
    warnings=[outside("/var/lib/ctid/voicemail")],
)
# Where Asterisk can record them, or where nothing leaves a message: no warning.
CASES["no_warning_inside_the_default_recording_directory"] = Case(
    text=voicemail("/var/spool/asterisk/recording/ctid", more=MAILBOXES + ROUTING)
)
CASES["no_warning_inside_the_configured_recording_directory"] = Case(
    text=voicemail("/srv/ast/rec/ctid", rec='recording_dir = "/srv/ast/rec"', more=MAILBOXES)
)
# ctid writes the simulator's messages itself.
CASES["no_warning_on_the_simulator"] = Case(
    text=voicemail("/var/lib/ctid", driver="simulator", more=MAILBOXES)
)
CASES["no_warning_where_nothing_leaves_a_message"] = Case(
    text=voicemail("/var/lib/ctid", more=FLOW_TABLES),
    files={"flows/main.yaml": FLOWS["flows/main.yaml"]},
)


test_check_config = case_test(CASES)
