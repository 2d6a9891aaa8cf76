"""The AMI bridge inside the app: Asterisk's events become call rows and bus events; the API's
transfer and queue commands go back through the same connection.

Every process that runs a bridge (``hotline serve`` with ``HOTLINE_AMI_URL``, ``hotline
bridge``, ``hotline demo``) writes the calls table itself and then publishes on the bus (Redis
Streams when ``HOTLINE_REDIS_URL`` is set). The bridge writes rather than leaving it to the API
workers' bus consumers because the rows must not depend on a worker being up, and because the
upsert is idempotent (by Linkedid, only-forward state, transfers matched by identity): two
bridges, or a replay after a reconnect, write one row and publish only real changes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.calls import service
from hotline.config import Settings
from hotline.errors import Conflict, HotlineError, InvalidInput
from hotline.events import Event
from hotline.services import Services, jsonable
from telephony.ami import ActionTimeout, AMIConfig, AMIError, NotConnected, parse_ami_url
from telephony.bridge import AMIBridge, CommandRefused
from telephony.calls import CallEvent, OperatorEvent, TrackerEvent

log = logging.getLogger(__name__)
# Two bridges inserting the same new call: the loser's insert fails once, then it updates.
STORE_ATTEMPTS = 2
Stopper = Callable[[], Awaitable[None]]


class CallRecorder:
    """The tracker's sink. Events are stored in arrival order on one worker thread, so the
    event loop never waits for the database and a call's events never overtake each other.
    A failed write is logged; nothing is lost for long, because every snapshot carries the
    whole call and the call's next event stores all of it."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="call-recorder")

    def __call__(self, event: TrackerEvent) -> None:
        self._worker.submit(self._store_logged, event)

    async def drain(self) -> None:
        """Wait until every event received so far is stored and published."""
        await asyncio.wrap_future(self._worker.submit(lambda: None))

    def close(self) -> None:
        self._worker.shutdown(wait=True)

    def _store_logged(self, event: TrackerEvent) -> None:
        try:
            self.store(event)
        except Exception:
            log.exception("could not store %s", event.kind)

    def store(self, event: TrackerEvent) -> None:
        """Store one event and publish what changed (nothing, for a replay)."""
        if isinstance(event, OperatorEvent):
            self.services.bus.publish(Event(type=event.kind, payload=event.operator.to_dict()))
            return
        for attempt in range(1, STORE_ATTEMPTS + 1):
            try:
                self._store_call(event)
                return
            except IntegrityError:
                if attempt == STORE_ATTEMPTS:
                    raise

    def _store_call(self, event: CallEvent) -> None:
        with self.services.unit() as (session, outbox):
            change = service.store_snapshot(session, event.call)
            if change is None:
                return
            service.record_transfers_on_tickets(
                session, change.call, change.settled_transfers, self.services.clock()
            )
            tickets = service.tickets_of_calls(session, [change.call.id])[change.call.id]
            # The live stream reaches every signed-in user, department staff too: the caller's
            # number is masked there; operators read it from GET /api/calls/{id}.
            payload = service.call_dict(change.call, tickets, show_phone=False)
            outbox.events.append(
                Event(type=event.kind, payload=jsonable({**payload, "call_id": change.call.id}))
            )


class CallBridge:
    """One AMI connection for the app: the library's bridge with the recorder as its sink."""

    def __init__(self, services: Services, config: AMIConfig, **client_options: float) -> None:
        self.recorder = CallRecorder(services)
        self.ami = AMIBridge(config, self.recorder, **client_options)
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self.ami.client.connected

    def start(self) -> None:
        self._task = asyncio.create_task(self.ami.run(), name="ami-bridge")

    async def stop(self) -> None:
        await self.ami.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.recorder.drain()
        self.recorder.close()


def install(app: FastAPI, settings: Settings, services: Services) -> None:
    """Link tickets to calls; run the bridge beside the API when an AMI URL is configured."""
    if service.link_ticket_to_call not in services.ticket_created_hooks:
        services.ticket_created_hooks.append(service.link_ticket_to_call)
    if service.requested_call not in services.ticket_intake_checks:
        services.ticket_intake_checks.append(service.requested_call)
    app.state.call_bridge = None
    if not settings.ami_url:
        return
    config = parse_ami_url(settings.ami_url)  # a bad URL stops the start-up, clearly

    async def start_bridge(app: FastAPI) -> Stopper:
        bridge = CallBridge(services, config)
        bridge.start()
        app.state.call_bridge = bridge

        async def stop_bridge() -> None:
            app.state.call_bridge = None
            await bridge.stop()

        return stop_bridge

    app.state.startups.append(start_bridge)


# ---------------------------------------------------------------- errors for the API


class TelephonyNotConfigured(HotlineError):
    status = 503
    code = "telephony_not_configured"


class TelephonyUnavailable(HotlineError):
    status = 503
    code = "telephony_unavailable"


class TelephonyTimeout(HotlineError):
    status = 504
    code = "telephony_timeout"


class TelephonyRefused(Conflict):
    code = "telephony_refused"


class CallNotOnSwitch(Conflict):
    code = "call_not_in_progress"


def bridge_of(app: FastAPI) -> CallBridge:
    bridge: CallBridge | None = app.state.call_bridge
    if bridge is None:
        raise TelephonyNotConfigured(
            "未配置电话交换机连接（HOTLINE_AMI_URL），无法执行转接或示忙/示闲操作"
        )
    return bridge


@contextlib.contextmanager
def telephony_errors() -> Iterator[None]:
    """The bridge's errors as the API's JSON errors (table in docs/telephony.md)."""
    try:
        yield
    except CommandRefused as exc:
        log.warning("Asterisk refused a command: %s", exc)
        raise TelephonyRefused(refusal_message(str(exc))) from exc
    except NotConnected as exc:
        raise TelephonyUnavailable("与电话交换机的连接已断开，请稍后重试") from exc
    except ActionTimeout as exc:
        raise TelephonyTimeout("电话交换机未及时响应，请稍后重试") from exc
    except AMIError as exc:
        log.warning("AMI error: %s", exc)
        raise TelephonyUnavailable("与电话交换机通信出错，请稍后重试或联系管理员") from exc
    except KeyError as exc:
        raise CallNotOnSwitch("交换机上已没有这通电话（可能刚刚挂断）") from exc
    except ValueError as exc:
        log.warning("a value AMI cannot carry: %s", exc)
        raise InvalidInput("参数含有交换机无法接收的字符（如换行），请修改后重试") from exc


# Asterisk's refusals (app_queue, res_pjsip, the bridge's own) as the people at the console
# read them; matched by the start of the message, case-insensitively. The raw text is logged.
REFUSALS = (
    ("interface not found", "该分机不在呼叫队列中（未签入），请先签入队列"),
    ("unable to add interface: already there", "该分机已在呼叫队列中，无须重复签入"),
    ("unable to remove interface: not there", "该分机不在呼叫队列中，无须签出"),
    ("unable to remove interface from queue: no such queue", "交换机上没有该呼叫队列"),
    ("unable to add interface to queue: no such queue", "交换机上没有该呼叫队列"),
    ("no such channel", "交换机上已没有这通电话（可能刚刚挂断）"),
    ("an attended transfer needs an operator on the call", "三方转接需要接线员在通话中"),
    ("the call has no channel to transfer", "这通电话没有可转接的通道（可能刚刚挂断）"),
    ("permission denied", "交换机账号无权执行该操作，请联系管理员检查 AMI 权限"),
)


def refusal_message(raw: str) -> str:
    """A refusal from Asterisk in Chinese; one not known here says so without the English."""
    text = raw.strip().lower()
    for start, message in REFUSALS:
        if text.startswith(start):
            return message
    return "交换机拒绝了该操作，请稍后重试或联系管理员（详情见服务日志）"


def operator_states(bridge: CallBridge | None) -> dict[str, dict[str, Any]]:
    """The tracker's queue members by extension (logged-in ones win over stale removed ones)."""
    states: dict[str, dict[str, Any]] = {}
    if bridge is None:
        return states
    for member in bridge.ami.operators:
        known = states.get(member.extension)
        if known is None or (member.logged_in and not known["logged_in"]):
            states[member.extension] = member.to_dict()
    return states


def queue_state(bridge: CallBridge | None, state: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "logged_in": None if bridge is None else bool(state and state["logged_in"]),
        "paused": None if bridge is None else bool(state and state["paused"]),
        "pause_reason": state["pause_reason"] if state else None,
    }


def agent_board(bridge: CallBridge | None, session: Session) -> dict[str, Any]:
    """Operators with a softphone and their queue state as this process's bridge last saw it
    (``GET /api/agents``, the wallboard)."""
    states = operator_states(bridge)
    on_call = {
        call.answered_by: call.linkedid
        for call in (bridge.ami.calls.values() if bridge else ())
        if call.answered_by and call.consultation_for is None
    }
    agents = [
        {
            "username": user.username,
            "display_name": user.display_name,
            "extension": user.extension,
            "interface": f"PJSIP/{user.extension}",
            **queue_state(bridge, states.get(user.extension or "")),
            "on_call": on_call.get(user.extension),
        }
        for user in service.operators_with_extension(session)
    ]
    return {
        "telephony": bridge is not None,
        "connected": bool(bridge and bridge.connected),
        "agents": agents,
    }
