"""Lookups against a real local HTTP server (started here, port 0) and a real SQLite database.

These use real sockets and worker threads, so they run on trio's mock clock
*without* autojump (``mock_clock``): time moves only when a test jumps it, and
a lookup's timeout fires exactly when the test says.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import h11
import pytest
import sqlalchemy
import trio
import trio.lowlevel
import trio.testing

from ctid.facts import IvrFinished
from ctid.ivr.lookup import HttpLookups, LookupFailed, SqlLookups
from ctid.ivr.messages import HttpCall, SqlCall
from ctid.testing import call_centre, sim_config
from tests.postgres import PostgresServer

Handler = Callable[[h11.Request, bytes], Awaitable[tuple[int, bytes]]]


class CrmServer:
    """A tiny HTTP/1.1 server over trio and h11: records requests, answers by path."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        self.got_request = trio.Event()
        self.port = 0

    async def answer(self, request: h11.Request, body: bytes) -> tuple[int, bytes]:
        target = request.target.decode()
        if target.endswith("phone=%2B8613800000002"):
            await trio.sleep_forever()  # this customer's record makes the CRM hang
        if target.startswith("/customers"):
            return 200, json.dumps({"customer": {"id": "C-42", "name": "Ann Lee"}}).encode()
        if target == "/echo":
            return 200, json.dumps({"got": json.loads(body)}).encode()
        if target == "/text":
            return 200, b"hello"
        return 404, b'{"error": "not found"}'

    async def handle(self, stream: trio.SocketStream) -> None:
        conn = h11.Connection(h11.SERVER)
        request: h11.Request | None = None
        body = b""
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await stream.receive_some(65536))
                continue
            if isinstance(event, h11.Request):
                request = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
        assert request is not None
        headers = {k.decode(): v.decode() for k, v in request.headers}
        self.requests.append((request.method.decode(), request.target.decode(), headers, body))
        self.got_request.set()
        status, payload = await self.answer(request, body)
        out = conn.send(
            h11.Response(
                status_code=status,
                headers=[
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(payload))),
                ],
            )
        )
        out += conn.send(h11.Data(data=payload)) + conn.send(h11.EndOfMessage())
        await stream.send_all(out)
        await stream.aclose()

    async def run(self, *, task_status: trio.TaskStatus[int]) -> None:
        listeners = await trio.open_tcp_listeners(0, host="127.0.0.1")
        self.port = listeners[0].socket.getsockname()[1]
        task_status.started(self.port)
        await trio.serve_listeners(self.handle, listeners)


async def test_http_get_post_and_failures(mock_clock: trio.testing.MockClock) -> None:
    crm = CrmServer()
    http = HttpLookups()
    async with trio.open_nursery() as nursery:
        port = await nursery.start(crm.run)
        base = f"http://127.0.0.1:{port}"
        answer = await http(
            HttpCall(
                url=f"{base}/customers?phone=%2B86138",
                method="GET",
                headers={"X-Call": "c1"},
                body=None,
            )
        )
        assert answer == {"customer": {"id": "C-42", "name": "Ann Lee"}}
        method, target, headers, _ = crm.requests[-1]
        assert (method, target, headers["x-call"]) == ("GET", "/customers?phone=%2B86138", "c1")
        echoed = await http(
            HttpCall(url=f"{base}/echo", method="POST", headers={}, body={"dnis": "400"})
        )
        assert echoed == {"got": {"dnis": "400"}}
        assert crm.requests[-1][2]["content-type"] == "application/json"
        with pytest.raises(LookupFailed, match="HTTP 404"):
            await http(HttpCall(url=f"{base}/nothing", method="GET", headers={}, body=None))
        with pytest.raises(LookupFailed, match="not JSON"):
            await http(HttpCall(url=f"{base}/text", method="GET", headers={}, body=None))
        with pytest.raises(LookupFailed, match="not an http"):
            await http(HttpCall(url="ftp://x/y", method="GET", headers={}, body=None))
        nursery.cancel_scope.cancel()
    # Nobody listens there any more.
    with pytest.raises(LookupFailed, match="cannot reach"):
        await http(HttpCall(url=f"{base}/customers", method="GET", headers={}, body=None))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crm_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A CRM's customer table on each engine operators point lookups at."""
    if request.param == "sqlite":
        return make_db(f"sqlite:///{tmp_path / 'crm.db'}")
    server: PostgresServer = request.getfixturevalue("postgres")
    return make_db(server.url(server.create_database()))


def make_db(url: str) -> str:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("create table customers (phone text, name text, vip int)"))
        conn.execute(
            sqlalchemy.text("insert into customers values ('+8613800138000', 'Ann Lee', 1)")
        )
    engine.dispose()
    return url


async def test_sql_first_row_no_row_and_bad_sql(
    crm_url: str, mock_clock: trio.testing.MockClock
) -> None:
    sql = SqlLookups({"crm": crm_url})
    query = "select name, vip from customers where phone = :phone"
    row = await sql(SqlCall(database="crm", query=query, params={"phone": "+8613800138000"}))
    assert row == {"name": "Ann Lee", "vip": 1}
    with pytest.raises(LookupFailed, match="no row"):
        await sql(SqlCall(database="crm", query=query, params={"phone": "0"}))
    with pytest.raises(LookupFailed, match=r"database crm: .*(no such table|does not exist)"):
        await sql(SqlCall(database="crm", query="select * from nope", params={}))
    with pytest.raises(LookupFailed, match="no database 'erp'"):
        await sql(SqlCall(database="erp", query="select 1", params={}))
    sql.close()


def lookup_flow(lookup: dict[str, Any]) -> dict[str, Any]:
    return {
        "start": "ask",
        "variables": {"customer": "", "name": ""},
        "user_data": ["customer", "name"],
        "nodes": {
            "ask": lookup | {"type": "lookup", "next": "agent", "on_error": "fallback"},
            "agent": {"type": "transfer", "to": "1001"},
            "fallback": {"type": "transfer", "to": "1002"},
        },
    }


def centre_config(tmp_path: Path, flow: dict[str, Any], databases: dict[str, str]) -> Any:
    folder = tmp_path / "flows"
    folder.mkdir()
    (folder / "crm.json").write_text(json.dumps(flow))
    return sim_config(
        {
            "server": {"state_dir": str(tmp_path / "state")},
            "ivr": {"flows_dir": str(folder), "tts": "none", "databases": databases},
            "routing": {"rules": [{"name": "all", "destination": {"flow": "crm"}}]},
        }
    )


async def test_crm_answer_pops_on_the_agents_screen_and_a_timeout_takes_the_fallback(
    tmp_path: Path, mock_clock: trio.testing.MockClock
) -> None:
    crm = CrmServer()
    async with trio.open_nursery() as nursery:
        port = await nursery.start(crm.run)
        flow = lookup_flow(
            {
                "http": {"url": f"http://127.0.0.1:{port}/customers?phone=${{ANI}}"},
                "timeout": 2,
                "map": {"customer": "customer.id", "name": "customer.name"},
            }
        )
        async with call_centre(centre_config(tmp_path, flow, {})) as cc:
            client = await cc.client()
            for device in ("1001", "1002"):
                await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
            cc.sim.incoming_call("+8613800138000", "4008001234")
            delivered = await client.event("DeliveredEvent", alertingDevice="1001")
            assert delivered["userData"] == {"customer": "C-42", "name": "Ann Lee"}
            assert crm.requests[-1][1] == "/customers?phone=%2B8613800138000"
            # The CRM hangs: after exactly 2 s the call takes the fallback.
            crm.got_request = trio.Event()
            cc.sim.incoming_call("+8613800000002", "4008001234")
            await crm.got_request.wait()
            await cc.settle()
            mock_clock.jump(1.999)
            await cc.settle()
            assert not [e for e in client.events if e["params"].get("alertingDevice") == "1002"]
            mock_clock.jump(0.001)
            fallback = await client.event("DeliveredEvent", alertingDevice="1002")
            assert fallback["userData"] == {"customer": "", "name": ""}
        nursery.cancel_scope.cancel()


async def test_sql_lookup_in_a_call(
    tmp_path: Path, crm_url: str, mock_clock: trio.testing.MockClock
) -> None:
    flow = lookup_flow(
        {
            "sql": {
                "database": "crm",
                "query": "select name from customers where phone = :p",
                "params": {"p": "${ANI}"},
            },
            "map": {"name": "name"},
        }
    )
    cfg = centre_config(tmp_path, flow, {"crm": crm_url})
    async with call_centre(cfg) as cc:
        client = await cc.client()
        for device in ("1001", "1002"):
            await client.call("MonitorStart", {"monitorObject": {"deviceObject": device}})
        cc.sim.incoming_call("+8613800138000", "4008001234")
        known = await client.event("DeliveredEvent", alertingDevice="1001")
        assert known["userData"]["name"] == "Ann Lee"
        cc.sim.incoming_call("+8613900000000", "4008001234")
        unknown = await client.event("DeliveredEvent", alertingDevice="1002")
        assert unknown["userData"]["name"] == ""


async def test_on_hangup_handler_tells_the_crm(
    tmp_path: Path, mock_clock: trio.testing.MockClock
) -> None:
    crm = CrmServer()
    async with trio.open_nursery() as nursery:
        port = await nursery.start(crm.run)
        flow = {
            "start": "account",
            "on_hangup": "abandoned",
            "nodes": {
                "account": {"type": "collect", "variable": "account", "next": "agent"},
                "agent": {"type": "transfer", "to": "1001"},
                "abandoned": {
                    "type": "lookup",
                    "http": {
                        "url": f"http://127.0.0.1:{port}/echo",
                        "method": "POST",
                        "body": {"caller": "${ANI}", "typed": "${account}"},
                    },
                    "next": "done",
                    "on_error": "done",
                },
                "done": {"type": "hangup"},
            },
        }
        async with call_centre(centre_config(tmp_path, flow, {})) as cc:
            finished: list[Any] = []
            done = trio.Event()

            def sink(notice: Any) -> None:
                if isinstance(notice, IvrFinished):
                    finished.append(notice)
                    done.set()

            cc.app.calls.notice_sinks.append(sink)
            cc.sim.incoming_call("+8613800138000", "4008001234")
            await cc.settle()
            cc.sim.on_hook("+8613800138000")
            await crm.got_request.wait()
            method, target, _, body = crm.requests[-1]
            assert (method, target) == ("POST", "/echo")
            assert json.loads(body) == {"caller": "+8613800138000", "typed": ""}
            while not finished:
                await trio.lowlevel.checkpoint()
            assert [(f.exit, f.detail) for f in finished] == [
                ("hangup", "caller hung up at account")
            ]
        nursery.cancel_scope.cancel()
