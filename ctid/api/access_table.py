"""The ``## Who may call what`` section of docs/security.md, generated from the registry.

``python -m ctid.api.access_table docs/security.md`` (``make docs``) rewrites
that section in place and leaves the file's other sections alone;
``tests/docs/test_security_table.py`` fails when it is stale.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Final

from .auth import Role
from .registry import MethodSpec, Registry

__all__ = ["HEADING", "render", "update"]

HEADING: Final = "## Who may call what"

_RULES: Final = """\
Every method of the API declares, where it is registered
(`@registry.method(roles=..., target=..., objects=...)` in `ctid/api/methods/`),
which roles may call it and which objects in its params it acts on. The
dispatcher checks both before the method runs (`ctid/api/access.py`), so no
method can forget a check; a method without a policy does not load, and
`tests/protocol/test_access_matrix.py` calls every method as every role on an
object of its own and one of someone else's.

A refused request changes nothing. A role that may not call a method at all
gets error -32005. An object the caller may not act on gets error -32000 with
`data.cstaError: "privilegeViolationOnSpecifiedDevice"` (the `recording.*` and
`report.*` methods answer -32005 instead, as they always have). An object that
does not exist is reported by the method itself (`invalidCallIdentifier`, …).

Who may act on what. Admins act on everything, and so does a supervisor whose
credential lists no `queues`. Otherwise:

- **device**: an agent on its credential's `devices` and on the phone it is
  logged on at (ACD); a supervisor on any device but one where an agent of a
  queue it does not supervise is logged on.
- **call**: anyone on a call at one of its own devices. An agent on no other;
  a supervisor also on a call that waited in one of its queues, or that is at
  a device where an agent of one of its queues is logged on.
- **connection** (`{callID, deviceID}`): its device and its call, as above (a
  call that has ended is left to the method, which answers
  `invalidConnectionIdentifier`).
- **agent**: an agent itself only; a supervisor the agents of its queues.
  `"*"` (every agent) only for those who supervise every queue.
- **queue**: an agent the queues it serves; a supervisor its queues. `"*"` and
  the reports over every queue only for those who supervise every queue.
- **recording**: of a call at the caller's devices or one it handled (agent),
  of a call of its queues (supervisor).

An agent's device monitor ends when the agent logs off that device (unless
the device is one of its credential's): it gets a last `MonitorEndedEvent`
with `cause: "agentLoggedOff"` and no further event of that phone.
"""


def _roles(spec: MethodSpec) -> list[str]:
    return [
        "yes" if role in spec.roles else "—" for role in (Role.ADMIN, Role.SUPERVISOR, Role.AGENT)
    ]


def _objects(spec: MethodSpec) -> str:
    if not spec.objects:
        return "—"
    seen: list[str] = []
    for ref in spec.objects:
        text = ref.describe()
        if ref.part_of_connection:
            continue  # described with its device, as one connection
        if any(r.part_of_connection and r.path == ref.path for r in spec.objects):
            text = f"connection `{ref.path}`"
        if text not in seen:
            seen.append(text)
    return ", ".join(seen)


def render(registry: Registry) -> str:
    """The whole section, heading included, ending with a newline."""
    lines = [HEADING, "", _RULES]
    lines.append("| method | admin | supervisor | agent | acts on | refused object |")
    lines.append("|---|---|---|---|---|---|")
    for name in sorted(registry.methods, key=lambda n: (n[0].islower(), n)):
        spec = registry.methods[name]
        if not spec.objects:
            refusal = "—"
        elif spec.refuse_as_forbidden:
            refusal = "-32005"
        else:
            refusal = "privilegeViolation…"
        login = "" if spec.login_required else " (before login)"
        cells = [f"`{name}`{login}", *_roles(spec), _objects(spec), refusal]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def update(text: str, section: str) -> str:
    """``text`` with its ``## Who may call what`` section replaced by ``section`` (or added)."""
    start = text.find(HEADING + "\n")
    if start < 0:
        if not text.strip():
            text = "# Security\n"
        return text.rstrip("\n") + "\n\n" + section
    end = text.find("\n## ", start + len(HEADING))
    rest = "" if end < 0 else text[end + 1 :]
    return text[:start] + section + ("\n" + rest if rest else "")


def main(argv: list[str]) -> int:
    from .methods import registry

    path = Path(argv[0]) if argv else Path("docs/security.md")
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(update(old, render(registry)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
