"""``rpc.discover``: an OpenRPC 1.3 document, valid against the official meta-schema.

The meta-schemas are vendored in ``tests/fixtures/openrpc`` (see its README for
where they come from and their licence). The document is asked of a running
daemon with every service on (records, ACD, recording), so the methods and
events it lists are the ones a client meets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from ctid.api.methods import registry
from ctid.testing import call_centre, sim_config

FIXTURES: Final = Path(__file__).parent.parent / "fixtures" / "openrpc"


def meta_validator() -> jsonschema.Draft7Validator:
    openrpc = json.loads((FIXTURES / "openrpc-meta-schema.json").read_text())
    json_schema = json.loads((FIXTURES / "json-schema-tools-meta-schema.json").read_text())
    # Both declare the json-schema.tools dialect, a draft-07 superset.
    resources = Registry().with_resources(
        [
            ("https://meta.json-schema.tools", Resource(json_schema, DRAFT7)),
            ("https://meta.json-schema.tools/", Resource(json_schema, DRAFT7)),
            ("https://meta.open-rpc.org/", Resource(openrpc, DRAFT7)),
        ]
    )
    return jsonschema.Draft7Validator(openrpc, registry=resources)


async def discovered(tmp_path: Path) -> dict[str, Any]:
    config = sim_config(
        {
            "server": {"state_dir": str(tmp_path)},
            "records": {"enabled": True, "fsync": False},
            "acd": {"queues": [{"name": "sales"}], "agents": [{"id": "2001"}]},
        }
    )
    async with call_centre(config) as cc:
        admin = await cc.client()
        result: dict[str, Any] = await admin.call("rpc.discover")
        return result


async def test_the_document_is_valid_openrpc(tmp_path: Path, autojump_clock: Any) -> None:
    doc = await discovered(tmp_path)
    errors = sorted(meta_validator().iter_errors(doc), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]
    assert doc["openrpc"] == "1.3.2"
    assert doc["info"]["title"] == "ctid"
    assert doc["info"]["x-protocolVersion"] == "1.0"
    assert [m["name"] for m in doc["methods"]] == sorted(registry.methods)


def test_the_meta_schema_refuses_what_is_not_openrpc() -> None:
    """The validator is not vacuous: a method without params, a wrong version, refused."""
    validator = meta_validator()
    good = {"openrpc": "1.3.2", "info": {"title": "t", "version": "1"}, "methods": []}
    assert list(validator.iter_errors(good)) == []
    assert list(validator.iter_errors({**good, "openrpc": "9.9"}))
    assert list(validator.iter_errors({**good, "methods": [{"name": "m"}]}))
    bad_schema = {"name": "m", "params": [{"name": "p", "schema": {"type": 5}}]}
    assert list(validator.iter_errors({**good, "methods": [bad_schema]}))


async def test_each_method_says_params_result_errors_and_roles(
    tmp_path: Path, autojump_clock: Any
) -> None:
    doc = await discovered(tmp_path)
    methods = {m["name"]: m for m in doc["methods"]}
    history = methods["records.history"]
    assert history["params"] == [
        {"name": "number", "schema": {"type": "string"}, "required": True},
        {"name": "limit", "schema": {"type": "integer"}, "required": False},
    ]
    assert history["x-roles"] == ["admin", "agent", "supervisor"]
    assert {e["code"] for e in history["errors"]} == {-32001, -32602, -32005, -32006, -32601}
    result = history["result"]["schema"]
    assert result["required"] == ["number", "callerInfo", "calls"]
    assert methods["records.flush"]["x-roles"] == ["admin"]
    assert {e["code"] for e in methods["MakeCall"]["errors"]} == {-32001, -32602, -32000}
    assert methods["session.login"]["errors"][0]["code"] == -32602
    # The params are exactly what the dispatcher validates with.
    for name, spec in registry.methods.items():
        params = methods[name]["params"]
        if spec.params is None:
            assert params == [], name
        else:
            keys = [p["name"] for p in params]
            assert keys == list(
                __import__("ctid.api.registry", fromlist=["json_schema"]).json_schema(spec.params)[
                    "properties"
                ]
            ), name


async def test_events_carry_their_params_schemas(tmp_path: Path, autojump_clock: Any) -> None:
    doc = await discovered(tmp_path)
    events = {e["name"]: e for e in doc["x-events"]}
    delivered = events["DeliveredEvent"]["params"]
    assert delivered["required"] == [
        "connection",
        "alertingDevice",
        "callingDevice",
        "calledDevice",
    ]
    assert delivered["properties"]["connection"]["required"] == ["callID", "deviceID"]
    assert delivered["properties"]["callerInfo"]["type"] == "object"
    assert delivered["properties"]["seq"] == {"type": "integer"}
    # Services' events are listed too, with the fields every delivery has.
    assert {"AgentReadyEvent", "queue.figures", "RecordingStartedEvent"} <= set(events)
    assert events["queue.figures"]["params"]["properties"]["timestamp"] == {"type": "string"}


@pytest.mark.parametrize("schema_of", ["params", "result"])
async def test_every_schema_is_a_valid_json_schema(
    schema_of: str, tmp_path: Path, autojump_clock: Any
) -> None:
    doc = await discovered(tmp_path)
    for method in doc["methods"]:
        schemas = (
            [p["schema"] for p in method["params"]]
            if schema_of == "params"
            else [method["result"]["schema"]]
        )
        for schema in schemas:
            jsonschema.Draft7Validator.check_schema(schema)
