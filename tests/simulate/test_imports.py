"""``ctid simulate`` imports none of the libraries it never uses (issue 14: start-up time).

Each of these is imported where it is used (a database's schema, a webhook, a token,
an IVR flow, a caller lookup); the check runs a real, short simulation in a fresh
interpreter and looks at what it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Libraries a simulation must not import, and where each is imported instead.
NOT_IMPORTED = {
    "alembic": "records.db, at a schema check or migration",
    "mako": "alembic's",
    "httpx": "webhooks.service, when a webhook is sent",
    "jwt": "api.jwt_tokens, when [auth.jwt] is configured",
    "cryptography": "PyJWT's",
    "jsonschema": "ivr.load, when a flow is read",
    "yaml": "ivr.load, when a flow is read",
    "phonenumbers.carrier": "callerinfo.CallerInfo",
    "phonenumbers.geocoder": "callerinfo.CallerInfo",
    "pytest": "trio.testing's (the simulation's MockClock comes from trio's core)",
}

SCRIPT = """
import json, sys
from ctid.cli import main
code = main(["simulate", "--agents", "3", "--calls-per-hour", "60", "--aht", "120",
             "--hours", "0.2", "--strategy", "longest-idle", "--json"])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def test_simulate_imports_only_what_it_uses() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[0])
    assert summary["offered"] > 0
    assert summary["offered"] == summary["answered"] + summary["abandoned"]
    result = json.loads(lines[-1])
    assert result["code"] == 0
    loaded = set(result["modules"])
    # The daemon's own parts are there: this is the real simulation.
    assert {"ctid.app", "ctid.acd.engine", "ctid.calls.service", "sqlalchemy"} <= loaded
    imported = {name: why for name, why in NOT_IMPORTED.items() if name in loaded}
    assert imported == {}
