"""The typed methods, written once for both clients.

``Service`` is a descriptor around a ``_calls`` builder. Read from the async
``Client`` it is an ``async`` method; read from the blocking
``ctid_client.sync.Client`` it is a plain one. Both keep the builder's
signature (through ``ParamSpec``) and docstring, so mypy and editors see real
parameters and the blocking facade stays a wrapper, not a copy.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Generic, ParamSpec, TypeVar, overload

from . import _calls, _campaign, _fax
from ._calls import Call

__all__ = ["AsyncInvoker", "Service", "Services", "SyncInvoker"]

P = ParamSpec("P")
R = TypeVar("R")
Self = TypeVar("Self", bound="Service[Any, Any]")


class AsyncInvoker:
    """A client whose services are coroutines (the async ``Client``)."""

    async def _invoke_async(self, call: Call[R]) -> R:
        raise NotImplementedError  # pragma: no cover - abstract


class SyncInvoker:
    """A client whose services block (``ctid_client.sync.Client``)."""

    def _invoke_sync(self, call: Call[R]) -> R:
        raise NotImplementedError  # pragma: no cover - abstract


class Service(Generic[P, R]):
    """One typed method; see the module docstring."""

    def __init__(self, build: Callable[P, Call[R]]) -> None:
        self.build = build
        self.__doc__ = build.__doc__
        self.__name__ = build.__name__

    @overload
    def __get__(self: Self, obj: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, obj: AsyncInvoker, owner: type[Any]) -> Callable[P, Awaitable[R]]: ...

    @overload
    def __get__(self, obj: SyncInvoker, owner: type[Any]) -> Callable[P, R]: ...

    def __get__(self, obj: object, owner: type[Any]) -> object:
        if obj is None:
            return self
        build = self.build
        if isinstance(obj, AsyncInvoker):
            invoke_async = obj._invoke_async

            @functools.wraps(build)
            def method_async(*args: P.args, **kwargs: P.kwargs) -> Awaitable[R]:
                return invoke_async(build(*args, **kwargs))

            return method_async
        if isinstance(obj, SyncInvoker):
            invoke_sync = obj._invoke_sync

            @functools.wraps(build)
            def method_sync(*args: P.args, **kwargs: P.kwargs) -> R:
                return invoke_sync(build(*args, **kwargs))

            return method_sync
        raise TypeError(f"{type(obj).__name__} is neither an async nor a blocking ctid client")


class Services:
    """Every typed method of protocol v1; both clients inherit them.

    To add a method: write its builder in ``_calls.py`` and add one line here.
    """

    # session and discovery
    ping = Service(_calls.ping)
    logout = Service(_calls.logout)
    discover = Service(_calls.discover)
    # call control
    make_call = Service(_calls.make_call)
    answer_call = Service(_calls.answer_call)
    clear_connection = Service(_calls.clear_connection)
    clear_call = Service(_calls.clear_call)
    hold_call = Service(_calls.hold_call)
    retrieve_call = Service(_calls.retrieve_call)
    consultation_call = Service(_calls.consultation_call)
    transfer_call = Service(_calls.transfer_call)
    conference_call = Service(_calls.conference_call)
    alternate_call = Service(_calls.alternate_call)
    reconnect_call = Service(_calls.reconnect_call)
    single_step_transfer_call = Service(_calls.single_step_transfer_call)
    deflect_call = Service(_calls.deflect_call)
    generate_digits = Service(_calls.generate_digits)
    associate_data = Service(_calls.associate_data)
    # snapshots and monitors
    snapshot_device = Service(_calls.snapshot_device)
    snapshot_call = Service(_calls.snapshot_call)
    monitor_start = Service(_calls.monitor_start)
    monitor_stop = Service(_calls.monitor_stop)
    # the simulator's helpers (admin only)
    sim_incoming_call = Service(_calls.sim_incoming_call)
    sim_off_hook = Service(_calls.sim_off_hook)
    sim_on_hook = Service(_calls.sim_on_hook)
    sim_press_digits = Service(_calls.sim_press_digits)
    sim_hold_key = Service(_calls.sim_hold_key)
    sim_lines = Service(_calls.sim_lines)
    sim_hears = Service(_calls.sim_hears)
    sim_message_waiting = Service(_calls.sim_message_waiting)
    sim_drop_link = Service(_calls.sim_drop_link)
    sim_restore_link = Service(_calls.sim_restore_link)
    # the IVR and inbound routing
    ivr_list_flows = Service(_calls.ivr_list_flows)
    ivr_validate_flow = Service(_calls.ivr_validate_flow)
    ivr_reload = Service(_calls.ivr_reload)
    ivr_calls = Service(_calls.ivr_calls)
    ivr_statistics = Service(_calls.ivr_statistics)
    routing_overrides = Service(_calls.routing_overrides)
    routing_set_override = Service(_calls.routing_set_override)
    routing_test = Service(_calls.routing_test)
    # outbound calling
    outbound_route_test = Service(_calls.outbound_route_test)
    campaign_create = Service(_calls.campaign_create)
    campaign_update = Service(_calls.campaign_update)
    campaign_get = Service(_calls.campaign_get)
    campaign_list = Service(_calls.campaign_list)
    campaign_set_state = Service(_calls.campaign_set_state)
    campaign_import_list = Service(_calls.campaign_import_list)
    campaign_schedule_callback = Service(_calls.campaign_schedule_callback)
    dnc_add = Service(_calls.dnc_add)
    dnc_remove = Service(_calls.dnc_remove)
    dnc_import = Service(_calls.dnc_import)
    dnc_check = Service(_calls.dnc_check)
    campaign_set_disposition = Service(_campaign.campaign_set_disposition)
    campaign_preview_dial = Service(_campaign.campaign_preview_dial)
    campaign_preview_skip = Service(_campaign.campaign_preview_skip)
    report_campaign = Service(_campaign.report_campaign)
    # agents, queues and supervision (the ACD)
    set_agent_state = Service(_calls.set_agent_state)
    get_agent_state = Service(_calls.get_agent_state)
    agent_list = Service(_calls.agent_list)
    agent_snapshot = Service(_calls.agent_snapshot)
    agent_reason_codes = Service(_calls.agent_reason_codes)
    queue_list = Service(_calls.queue_list)
    queue_snapshot = Service(_calls.queue_snapshot)
    single_step_conference_call = Service(_calls.single_step_conference_call)
    supervisor_whisper = Service(_calls.supervisor_whisper)
    # recording
    recording_start = Service(_calls.recording_start)
    recording_pause = Service(_calls.recording_pause)
    recording_resume = Service(_calls.recording_resume)
    recording_stop = Service(_calls.recording_stop)
    recording_tag = Service(_calls.recording_tag)
    recording_set_important = Service(_calls.recording_set_important)
    recording_delete = Service(_calls.recording_delete)
    # voicemail
    voicemail_list = Service(_calls.voicemail_list)
    voicemail_get = Service(_calls.voicemail_get)
    voicemail_mark_heard = Service(_calls.voicemail_mark_heard)
    voicemail_delete = Service(_calls.voicemail_delete)
    recording_get = Service(_calls.recording_get)
    recording_search = Service(_calls.recording_search)
    # fax (admins, supervisors); documents: Client.fax_upload / fax_download
    fax_send = Service(_fax.fax_send)
    fax_send_batch = Service(_fax.fax_send_batch)
    fax_get = Service(_fax.fax_get)
    fax_search = Service(_fax.fax_search)
    fax_cancel = Service(_fax.fax_cancel)
    fax_tag = Service(_fax.fax_tag)
    # call records (admin)
    records_status = Service(_calls.records_status)
    records_flush = Service(_calls.records_flush)
    # call records and a number's history
    records_search = Service(_calls.records_search)
    records_get = Service(_calls.records_get)
    records_history = Service(_calls.records_history)
    # webhooks (admin)
    webhook_create = Service(_calls.webhook_create)
    webhook_update = Service(_calls.webhook_update)
    webhook_delete = Service(_calls.webhook_delete)
    webhook_list = Service(_calls.webhook_list)
    webhook_test = Service(_calls.webhook_test)
    webhook_status = Service(_calls.webhook_status)
    # reports (admin, supervisor)
    report_list = Service(_calls.report_list)
    report_ivr_nodes = Service(_calls.report_ivr_nodes)
    report_handle_times = Service(_calls.report_handle_times)
    report_trunk_occupancy = Service(_calls.report_trunk_occupancy)
    report_agents = Service(_calls.report_agents)
    report_abandoned = Service(_calls.report_abandoned)
    report_answer_rate = Service(_calls.report_answer_rate)
    report_service_level = Service(_calls.report_service_level)
    report_queue_waits = Service(_calls.report_queue_waits)
