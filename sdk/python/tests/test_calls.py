"""The typed methods send exactly what the server's own parameter classes accept.

The server's registry (``ctid.api.methods``) is the source of truth: every
method it offers must have a typed method here (the client itself calls
``session.login``/``session.resume``), and the params each builder produces
must pass the server's validation.
"""

from __future__ import annotations

from typing import Any

import pytest
from ctid_client import Call, ConnectionID
from ctid_client import _calls as calls
from ctid_client import _campaign as campaign
from ctid_client import _fax as fax
from ctid_client._services import Service, Services

from ctid.api.methods import registry

C = ConnectionID(call_id="c1", device_id="1001")
D = ConnectionID(call_id="c2", device_id="1001")

#: One sample call of every builder.
SAMPLES: list[Call[Any]] = [
    calls.ping(),
    calls.logout(),
    calls.discover(),
    calls.make_call("1001", "1002"),
    calls.make_call(
        "1001",
        "+15551234",
        auto_originate="doNotPrompt",
        correlator_data="crm-7",
        user_data={"account": 42},
    ),
    calls.answer_call(C),
    calls.clear_connection(C),
    calls.clear_call("c1"),
    calls.clear_call(C),
    calls.hold_call(C),
    calls.retrieve_call(C),
    calls.consultation_call(C, "1003", user_data={"k": "v"}),
    calls.transfer_call(C, D),
    calls.conference_call(C, D),
    calls.alternate_call(C, D),
    calls.reconnect_call(C, D),
    calls.single_step_transfer_call(C, "1004"),
    calls.deflect_call(C, "1005"),
    calls.generate_digits(C, "123#"),
    calls.associate_data("c1", correlator_data="x", user_data={"a": None}),
    calls.associate_data(C, user_data={"a": 1}),
    calls.snapshot_device("1001"),
    calls.snapshot_call("c1"),
    calls.snapshot_call(C),
    calls.monitor_start("1001"),
    calls.monitor_start(call="c1"),
    calls.monitor_start(call=C),
    calls.monitor_stop("m1"),
    calls.sim_incoming_call("+15551234", "1001", trunk="T1"),
    calls.sim_off_hook("1001"),
    calls.sim_on_hook("1001"),
    calls.sim_press_digits("1001", "12"),
    calls.sim_hold_key("1001"),
    calls.sim_lines(),
    calls.sim_hears("1001", "1002"),
    calls.sim_message_waiting("1001"),
    calls.sim_drop_link(),
    calls.sim_restore_link(),
    calls.ivr_list_flows(),
    calls.ivr_validate_flow(name="main"),
    calls.ivr_validate_flow(body="name: x", format="yaml"),
    calls.ivr_reload(),
    calls.ivr_calls(),
    calls.ivr_statistics(flow="main", day="2027-01-15"),
    calls.routing_overrides(),
    calls.routing_set_override("closed", True),
    # (Before routing_test: the recorded routing.test reply is the inbound one.)
    calls.outbound_route_test("0201234567"),
    calls.routing_test("4008001234", "+15550100"),
    calls.campaign_create("renewals", "sales", mode="predictive", maxAbandonRate=0.02),
    calls.campaign_update("renewals", {"priority": 2}),
    calls.campaign_get("renewals"),
    calls.campaign_list(),
    calls.campaign_set_state("renewals", "paused"),
    calls.campaign_import_list("renewals", "january", "phone", "phone\n5551234\n"),
    calls.campaign_import_list("renewals", "big", "phone", "phone\n" + "5551234\n" * 4000),
    calls.campaign_schedule_callback(7, "2027-01-15T14:30:00Z", agent_only=True),
    calls.dnc_add(["5551234"], campaign="renewals", note="asked"),
    calls.dnc_remove(["5551234"]),
    calls.dnc_import("phone\n5551234\n", "phone"),
    calls.dnc_check("5551234"),
    calls.set_agent_state("1001", "loggedOn", agent_id="2001", agent_password="1234"),
    calls.set_agent_state("1001", "notReady", reason_code="break", group="sales"),
    calls.get_agent_state("1001"),
    calls.agent_list(),
    calls.agent_snapshot("2001"),
    calls.agent_reason_codes(),
    calls.queue_list(),
    calls.queue_snapshot("sales"),
    calls.single_step_conference_call(C, "1005", participation_type="silent"),
    calls.supervisor_whisper(C, "1005"),
    calls.monitor_start(agent="2001"),
    calls.monitor_start(queue="*"),
    calls.recording_start("c1", tags=["complaint"]),
    calls.recording_pause("r1"),
    calls.recording_resume("r1"),
    calls.recording_stop("r1"),
    calls.recording_tag("r1", ["escalated"]),
    calls.recording_get("r1"),
    calls.recording_set_important("r1", True),
    calls.recording_delete("r1"),
    calls.voicemail_list("agent:2001", unheard_only=True, limit=10),
    calls.voicemail_get("t-vm1"),
    calls.voicemail_mark_heard("t-vm1"),
    calls.voicemail_delete("t-vm1"),
    calls.monitor_start(mailbox="queue:sales"),
    calls.recording_search(),
    calls.recording_search(
        from_="2027-01-15T00:00:00Z",
        to="2027-01-16",
        agent_id="2001",
        caller="+15550100",
        called="1001",
        queue="sales",
        min_duration=1,
        max_duration=60.5,
        tags=["complaint"],
        limit=10,
    ),
    fax.fax_send_batch(["5550100329", "5550200329"], ["d1"], retries=0, mailbox="sales"),
    fax.fax_send("5550100329", ["d1", "price-list"], header="ACME", caller_id="5550100"),
    fax.fax_get("fx1"),
    fax.fax_cancel("fx1"),
    fax.fax_tag("fx1", ["important"]),
    fax.fax_search(),
    fax.fax_search(
        from_="2027-01-15",
        to="2027-01-16",
        direction="in",
        number="5550100329",
        state="failed",
        mailbox="orders",
        batch_id="fb1",
        min_pages=1,
        max_pages=9,
        tags=["x"],
        limit=5,
    ),
    calls.records_status(),
    calls.records_flush(),
    calls.records_flush(until="spool", wait=1.5),
    calls.records_search(),
    calls.records_search(
        from_="2027-01-15",
        to="2027-01-16T00:00:00Z",
        number="+86138",
        agent="2001",
        queue="sales",
        campaign="spring",
        disposition="answered",
        direction="inbound",
        limit=50,
        cursor="abc",
    ),
    calls.records_search(campaign="spring", campaign_record=12, campaign_outcome="busy"),
    calls.records_get("c1"),
    calls.records_history("+8613800138000"),
    calls.records_history("+8613800138000", limit=5),
    calls.webhook_create("crm", "https://crm.example/hook", "CRM_SECRET", ["record.callClosed"]),
    calls.webhook_create(
        "crm",
        "http://10.0.0.5/hook",
        "CRM_SECRET",
        ["Agent*", "queue.*"],
        queues=["sales"],
        devices=["1001"],
        campaigns=["spring"],
        batch_max=10,
        timeout_seconds=5,
        max_retry_hours=1.5,
        max_backlog=1000,
        allow_insecure=True,
        enabled=False,
    ),
    calls.webhook_update("crm", "https://crm.example/hook", "CRM_SECRET", ["*"], batch_max=5),
    calls.webhook_delete("crm"),
    calls.webhook_list(),
    calls.webhook_test("crm"),
    calls.webhook_status(),
    calls.webhook_status("crm"),
    calls.report_list(),
    calls.report_ivr_nodes("2027-01-15", "2027-01-16"),
    calls.report_handle_times("2027-01-15", "2027-01-16", queue="sales", interval="hour"),
    calls.report_trunk_occupancy("2027-01-15", "2027-01-16", timezone="UTC"),
    calls.report_agents("2027-01-15", "2027-01-16", agent="2001", interval="day"),
    calls.report_abandoned("2027-01-15", "2027-01-16"),
    calls.report_answer_rate("2027-01-15", "2027-01-16", queue="sales"),
    calls.report_service_level("2027-01-15", "2027-01-16", threshold=30),
    calls.report_queue_waits("2027-01-15T08:00:00Z", "2027-01-15T18:00:00Z"),
    campaign.campaign_set_disposition("sale", call_id="c1"),
    campaign.campaign_set_disposition("later", record=7),
    campaign.campaign_preview_dial(7),
    campaign.campaign_preview_skip(7, "knownCustomer"),
    campaign.report_campaign("renewals", "2027-01-15", "2027-01-16"),
    calls.monitor_start(campaign="renewals"),
]

#: Methods the client calls itself instead of offering them.
CLIENT_OWN = {"session.login", "session.resume", "session.refresh"}


def test_every_server_method_has_a_typed_method() -> None:
    assert set(registry.methods) - CLIENT_OWN == {call.method for call in SAMPLES}


def test_every_builder_is_a_method_of_the_clients() -> None:
    modules = {
        name: module
        for module in (calls, campaign, fax)
        for name, value in vars(module).items()
        if callable(value)
        and not name.startswith("_")
        and str(getattr(value, "__annotations__", {}).get("return", "")).startswith("Call[")
        and getattr(value, "__module__", "") == module.__name__
    }
    services = {v.build.__name__ for v in vars(Services).values() if isinstance(v, Service)}
    assert set(modules) == services
    assert all(getattr(Services, name).build is getattr(modules[name], name) for name in services)


@pytest.mark.parametrize("call", SAMPLES, ids=lambda c: c.method)
def test_params_pass_the_servers_validation(call: Call[Any]) -> None:
    spec = registry.get(call.method)
    assert spec is not None
    spec.parse_params(call.params)  # raises the server's RpcError(-32602) on a mismatch


def test_monitor_start_needs_exactly_one_object() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        calls.monitor_start()
    with pytest.raises(ValueError, match="exactly one"):
        calls.monitor_start("1001", call="c1")
    with pytest.raises(ValueError, match="exactly one"):
        calls.monitor_start(agent="2001", queue="sales")


def test_validate_flow_needs_exactly_one_of_name_and_body() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        calls.ivr_validate_flow()
    with pytest.raises(ValueError, match="exactly one"):
        calls.ivr_validate_flow(name="main", body="name: main")


def test_every_report_has_a_typed_method() -> None:
    from ctid_client import REPORT_NAMES
    from ctid_client._services import Services

    from ctid.records.reports import REPORTS

    assert set(REPORT_NAMES) == set(REPORTS)
    for name, method in REPORT_NAMES.items():
        call = getattr(Services, method).build("2027-01-15", "2027-01-16")
        assert call.method == "report." + "".join(
            part if i == 0 else part.capitalize() for i, part in enumerate(name.split("-"))
        )


def test_results_are_parsed_into_values() -> None:
    made = calls.make_call("1001", "1002").parse(
        {"callingDevice": {"callID": "c1", "deviceID": "1001"}}
    )
    assert made == C
    snapshot = calls.snapshot_device("1001").parse(
        {
            "snapshotData": [
                {
                    "connectionIdentifier": {"callID": "c1", "deviceID": "1001"},
                    "localCallState": "alerting",
                    "callingDevice": "+1555",
                    "calledDevice": "1001",
                }
            ]
        }
    )
    assert snapshot[0].connection == C
    assert snapshot[0].local_call_state == "alerting"


def test_a_malformed_result_is_a_protocol_error() -> None:
    from ctid_client import ProtocolError

    with pytest.raises(ProtocolError, match=r"MakeCall.*callingDevice"):
        calls.make_call("1001", "1002").parse({"callingDevice": "1001"})
    with pytest.raises(ProtocolError, match="monitorCrossRefID"):
        calls.monitor_start("1001").parse({})
