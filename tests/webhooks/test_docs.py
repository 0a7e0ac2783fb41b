"""docs/webhooks.md's signature checks, run against signatures ctid makes.

The Python function is executed here; the Node one by ``node`` (installed by the
project for the JavaScript SDK: a missing node fails this test, it does not skip);
the PHP one by ``php`` (Debian's php-cli, installed by scripts/install-system-deps;
missing, it fails too).
"""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest

from ctid.webhooks.outbox import Stored
from ctid.webhooks.service import batch_body
from ctid.webhooks.signing import sign

DOC: Final = Path(__file__).parents[2] / "docs" / "webhooks.md"
SECRET: Final = "whsec-docs-0123456789"
NOW: Final = 1_800_000_000
BODY: Final = batch_body(
    "crm",
    [Stored(id=1, event_id="x-e1", method="record.callClosed", params='{"callID":"c1"}',
            timestamp="2027-01-15T08:00:00.000Z")],
)  # fmt: skip


def block(language: str, marker: str) -> str:
    for found in re.finditer(rf"```{language}\n(.*?)```", DOC.read_text(), re.S):
        if marker in found.group(1):
            return found.group(1)
    raise AssertionError(f"no {language} block with {marker!r} in docs/webhooks.md")


#: (body, header, secret, now) -> None when it must pass, else what the error says.
CASES: Final[list[tuple[bytes, str, str, int, str | None]]] = [
    (BODY, sign(SECRET.encode(), NOW, BODY), SECRET, NOW, None),
    (BODY, sign(SECRET.encode(), NOW, BODY), SECRET, NOW + 300, None),
    (BODY, f"t={NOW},v1={'0' * 64}," + sign(SECRET.encode(), NOW, BODY).split(",")[1], SECRET,
     NOW, None),
    (BODY, sign(b"another-secret", NOW, BODY), SECRET, NOW, "does not match"),
    (BODY.replace(b"c1", b"c2"), sign(SECRET.encode(), NOW, BODY), SECRET, NOW, "does not match"),
    (BODY, sign(SECRET.encode(), NOW, BODY), SECRET, NOW + 301, "too old"),
    (BODY, f"v1={'a' * 64}", SECRET, NOW, "malformed"),
    (BODY, "nonsense", SECRET, NOW, "malformed"),
]  # fmt: skip


def check(results: list[dict[str, Any]]) -> None:
    assert len(results) == len(CASES)
    for (_, _, _, _, problem), result in zip(CASES, results, strict=True):
        if problem is None:
            assert result == {"ok": True, "webhook": "crm"}
        else:
            assert result["ok"] is False
            assert problem in result["error"], result


def test_the_python_example() -> None:
    namespace: dict[str, Any] = {}
    exec(block("python", "def verify_ctid_signature"), namespace)  # the documented code, as is
    verify = namespace["verify_ctid_signature"]
    results = []
    for body, header, secret, now, _ in CASES:
        try:
            payload = verify(body, header, secret, now=now)
        except ValueError as exc:
            results.append({"ok": False, "error": str(exc)})
        else:
            results.append({"ok": True, "webhook": payload["webhook"]})
    check(results)


def test_the_node_example(tmp_path: Path) -> None:
    node = shutil.which("node")
    assert node is not None, "node is needed (scripts/install-system-deps installs it)"
    module = tmp_path / "verify.mjs"
    module.write_text(block("js", "verifyCtidSignature"))
    cases = tmp_path / "cases.json"
    cases.write_text(
        json.dumps(
            [
                {"body": base64.b64encode(body).decode(), "header": header, "secret": secret,
                 "now": now}
                for body, header, secret, now, _ in CASES
            ]
        )
    )  # fmt: skip
    done = subprocess.run(
        [node, str(Path(__file__).with_name("verify_docs.mjs")), str(module), str(cases)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    check(json.loads(done.stdout))


#: Runs the documented PHP function (in the file named first) over the cases (the second).
PHP_RUNNER: Final = """<?php
require $argv[1];
$results = [];
foreach (json_decode(file_get_contents($argv[2]), true) as $c) {
    try {
        $payload = verify_ctid_signature(base64_decode($c['body']), $c['header'], $c['secret'],
                                         300, $c['now']);
        $results[] = ['ok' => true, 'webhook' => $payload['webhook']];
    } catch (RuntimeException $e) {
        $results[] = ['ok' => false, 'error' => $e->getMessage()];
    }
}
echo json_encode($results);
"""


def test_the_php_example(tmp_path: Path) -> None:
    php = shutil.which("php")
    assert php is not None, "php is needed (scripts/install-system-deps installs php-cli)"
    function = tmp_path / "verify.php"
    function.write_text("<?php\n" + block("php", "function verify_ctid_signature"))
    runner = tmp_path / "run.php"
    runner.write_text(PHP_RUNNER)
    cases = tmp_path / "cases.json"
    cases.write_text(
        json.dumps(
            [
                {"body": base64.b64encode(body).decode(), "header": header, "secret": secret,
                 "now": now}
                for body, header, secret, now, _ in CASES
            ]
        )
    )  # fmt: skip
    done = subprocess.run(
        [php, str(runner), str(function), str(cases)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr + done.stdout
    check(json.loads(done.stdout))


@pytest.mark.parametrize("language", ["python", "js", "php"])
def test_each_language_signs_t_dot_body(language: str) -> None:
    marker = {"python": "def verify_ctid_signature", "js": "verifyCtidSignature",
              "php": "function verify_ctid_signature"}[language]  # fmt: skip
    code = block(language, marker)
    assert "sha256" in code
    assert "300" in code
