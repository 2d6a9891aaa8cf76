"""A switchboard simulator: a real asyncio TCP server speaking AMI as Asterisk does.

It greets with the banner, answers actions with ``Response:`` blocks echoing the ActionID,
sends event lists (``EventList: start`` … ``Complete``), accepts plain and MD5 login, and
plays scenario files. It keeps a table of live channels from the events it plays, so
``CoreShowChannels`` and ``QueueStatus`` after a reconnect tell the truth, and it answers
transfer and queue actions with the events Asterisk would send, and ``Originate`` into the
``revisit`` context as a citizen would (``telephony.sim.citizens``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telephony.ami.codec import AMIDecoder, Message, encode_message
from telephony.sim.citizens import NOT_ANSWERED, choose_citizen, dialplan_reports

log = logging.getLogger(__name__)

SCENARIO_DIR = Path(__file__).with_name("scenarios")
SCENARIO_AGENT = "8001"  # the softphone the scenario files are written for
BANNER = b"Asterisk Call Manager/9.0.0\r\n"
_DIAL_CAUSES = {"ANSWER": "16", "BUSY": "17", "NOANSWER": "19", "CHANUNAVAIL": "20"}
REVISIT_CONTEXT = "revisit"
REVISIT_QUEUE = "12345"  # [revisit]'s Queue() after 0


def load_scenario(name_or_path: str | Path) -> dict[str, Any]:
    """A scenario by name (a file in ``scenarios/``) or by path; a clear error if invalid."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.json"
    if not path.is_file():
        names = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.json")))
        raise FileNotFoundError(f"no scenario {name_or_path!r}; available: {names}")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data.get("steps"), list) or not data.get("source"):
        raise ValueError(f"{path}: a scenario needs a 'source' and a list of 'steps'")
    return data


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))


@dataclass(slots=True)
class _Session:
    writer: asyncio.StreamWriter
    authenticated: bool = False
    challenge: str | None = None
    listed_channels: bool = False  # has asked for CoreShowChannels: its resync is under way


@dataclass(slots=True)
class _Member:
    queue: str
    interface: str
    name: str
    paused: bool = False
    reason: str = ""


@dataclass
class SwitchboardSimulator:
    username: str = "hotline"
    secret: str = "hotline-secret"
    transfer_outcomes: dict[str, str] = field(default_factory=dict)
    step_scale: float = 1.0
    channels: dict[str, dict[str, str]] = field(default_factory=dict)
    members: dict[tuple[str, str], _Member] = field(default_factory=dict)
    _sessions: list[_Session] = field(default_factory=list)
    _server: asyncio.Server | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _rung: dict[str, float] = field(default_factory=dict)  # interface → when last rung
    _engaged: set[str] = field(default_factory=set)  # extensions a playing call has taken
    port: int = 0
    # Revisit calls: phone → a name in telephony.sim.citizens.CITIZENS (else drawn with the
    # seed); the ring time and the time per key read, both times step_scale.
    citizens: dict[str, str] = field(default_factory=dict)
    revisit_seed: int | None = None
    revisit_ring_seconds: float = 3.0
    revisit_key_seconds: float = 2.0
    # After 0: how long the operator talks with the citizen (or, with nobody free, how long
    # the citizen waits in the queue before giving up), times step_scale.
    revisit_talk_seconds: float = 20.0

    # -- server ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        self._server = await asyncio.start_server(self._serve, host, port or self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def stop_listening(self) -> None:
        """Asterisk going down: stop accepting and drop every client (state is kept)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.drop_connections()

    async def close(self) -> None:
        await self.stop_listening()
        for task in list(self._tasks):
            task.cancel()

    async def drop_connections(self, partial: bytes = b"") -> None:
        """Cut every client off, optionally after sending ``partial`` (half an event)."""
        for session in list(self._sessions):
            if partial and session.authenticated:
                session.writer.write(partial)
            with contextlib.suppress(OSError, ConnectionError):
                await session.writer.drain()
            session.writer.close()
        self._sessions.clear()

    @property
    def logged_in_clients(self) -> int:
        return sum(session.authenticated for session in self._sessions)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = _Session(writer)
        self._sessions.append(session)
        writer.write(BANNER)
        decoder = AMIDecoder(expect_banner=False)
        try:
            while chunk := await reader.read(65536):
                for item in decoder.feed(chunk):
                    if isinstance(item, Message) and item.action:
                        self._answer(session, item)
                    else:
                        self._reply(session, {"Response": "Error", "Message": "Missing action"})
                await writer.drain()
        except (OSError, ConnectionError):
            pass
        finally:
            if session in self._sessions:
                self._sessions.remove(session)
            writer.close()

    def _reply(self, session: _Session, headers: Mapping[str, str], action_id: str = "") -> None:
        if action_id:
            headers = {**headers, "ActionID": action_id}
        session.writer.write(encode_message(headers))

    # -- actions ------------------------------------------------------------------------

    def _answer(self, session: _Session, action: Message) -> None:
        name = (action.action or "").lower()
        action_id = action.get("ActionID")
        if name == "challenge":
            session.challenge = str(random.randrange(10**8, 10**9))
            self._reply(session, {"Response": "Success", "Challenge": session.challenge}, action_id)
        elif name == "login":
            self._login(session, action, action_id)
        elif name == "ping":
            pong = {"Response": "Success", "Ping": "Pong", "Timestamp": f"{time.time():.6f}"}
            self._reply(session, pong, action_id)
        elif not session.authenticated:
            self._reply(session, {"Response": "Error", "Message": "Permission denied"}, action_id)
        elif name == "logoff":
            self._reply(session, {"Response": "Goodbye", "Message": "Thanks for all the fish."})
            session.writer.close()
        elif name == "coreshowchannels":
            session.listed_channels = True
            self._list(session, action_id, "CoreShowChannel", self._channel_rows())
        elif name == "queuestatus":
            self._list(session, action_id, "QueueStatus", self._queue_rows())
        elif name in ("queueadd", "queueremove", "queuepause"):
            self._queue_action(session, name, action, action_id)
        elif name in ("blindtransfer", "redirect", "atxfer"):
            self._transfer_action(session, name, action, action_id)
        elif name == "originate":
            self._originate(session, action, action_id)
        else:
            message = "Invalid/unknown command"
            self._reply(session, {"Response": "Error", "Message": message}, action_id)

    def _login(self, session: _Session, action: Message, action_id: str) -> None:
        if action.get("AuthType").lower() == "md5":
            expected = hashlib.md5(f"{session.challenge}{self.secret}".encode()).hexdigest()
            good = session.challenge is not None and action.get("Key") == expected
        else:
            good = action.get("Secret") == self.secret
        good = good and action.get("Username") == self.username
        if not good:
            self._reply(
                session, {"Response": "Error", "Message": "Authentication failed"}, action_id
            )
            return
        session.authenticated = True
        self._reply(
            session, {"Response": "Success", "Message": "Authentication accepted"}, action_id
        )
        self._send(session, {"Event": "FullyBooted", "Privilege": "system,all", "Status": "Up"})

    def _list(
        self, session: _Session, action_id: str, item: str, rows: list[dict[str, str]]
    ) -> None:
        start = {"Response": "Success", "EventList": "start", "Message": f"{item} will follow"}
        self._reply(session, start, action_id)
        for row in rows:
            self._send(session, {**row, "ActionID": action_id})
        done = {"Event": f"{item}sComplete" if item.endswith("Channel") else f"{item}Complete"}
        done |= {"ActionID": action_id, "EventList": "Complete", "ListItems": str(len(rows))}
        self._send(session, done)

    def _channel_rows(self) -> list[dict[str, str]]:
        now = time.time()
        rows = []
        for channel in self.channels.values():
            seconds = int(now - float(channel.get("_created", now)))
            rows.append(
                {
                    "Event": "CoreShowChannel",
                    **{key: value for key, value in channel.items() if not key.startswith("_")},
                    "Duration": f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}",
                }
            )
        return rows

    def _queue_rows(self) -> list[dict[str, str]]:
        rows: list[dict[str, str]] = [
            {
                "Event": "QueueMember",
                "Queue": member.queue,
                "Name": member.name,
                "Location": member.interface,
                "StateInterface": member.interface,
                "Membership": "dynamic",
                "Paused": "1" if member.paused else "0",
                "PausedReason": member.reason,
            }
            for member in self.members.values()
        ]
        for channel in self.channels.values():
            if channel.get("Application") == "Queue":
                rows.append(
                    {
                        "Event": "QueueEntry",
                        "Queue": channel.get("ApplicationData", "").split(",")[0],
                        "Channel": channel["Channel"],
                        "Uniqueid": channel["Uniqueid"],
                        "CallerIDNum": channel.get("CallerIDNum", ""),
                        "Wait": str(int(time.time() - float(channel.get("_queued", time.time())))),
                    }
                )
        return rows

    def _queue_action(self, session: _Session, name: str, action: Message, action_id: str) -> None:
        interface = action.get("Interface")
        queue = action.get("Queue") or "12345"
        key = (queue, interface)
        if not interface:
            self._reply(session, {"Response": "Error", "Message": "'Interface' not specified."})
            return
        member = self.members.get(key)
        fields: dict[str, str]
        if name == "queueadd":
            if member is not None:
                message = "Unable to add interface: Already there"
                self._reply(session, {"Response": "Error", "Message": message}, action_id)
                return
            member = _Member(queue, interface, action.get("MemberName") or interface)
            self.members[key] = member
            event = "QueueMemberAdded"
        elif member is None:
            message = "Unable to remove interface: Not there"
            if name == "queuepause":
                message = "Interface not found"
            self._reply(session, {"Response": "Error", "Message": message}, action_id)
            return
        elif name == "queueremove":
            del self.members[key]
            event = "QueueMemberRemoved"
        else:
            member.paused = action.get("Paused").lower() in ("true", "1", "yes")
            member.reason = action.get("Reason") if member.paused else ""
            event = "QueueMemberPause"
        self._reply(session, {"Response": "Success", "Message": f"{event} done"}, action_id)
        fields = {
            "Event": event,
            "Privilege": "agent,all",
            "Queue": queue,
            "MemberName": member.name,
            "Interface": member.interface,
            "StateInterface": member.interface,
            "Paused": "1" if member.paused else "0",
            "PausedReason": member.reason,
        }
        self.broadcast(fields)

    def _transfer_action(
        self, session: _Session, name: str, action: Message, action_id: str
    ) -> None:
        channel = next(
            (c for c in self.channels.values() if c["Channel"] == action.get("Channel")), None
        )
        target, context = action.get("Exten"), action.get("Context")
        if channel is None or not target:
            message = "No such channel" if channel is None else "No extension specified"
            self._reply(session, {"Response": "Error", "Message": message}, action_id)
            return
        self._reply(
            session, {"Response": "Success", "Message": f"{action.action} queued"}, action_id
        )
        task = asyncio.create_task(self._play_transfer(name, channel, target, context))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _play_transfer(
        self, name: str, channel: dict[str, str], target: str, context: str
    ) -> None:
        await asyncio.sleep(0.01 * self.step_scale)
        linkedid = channel["Linkedid"]
        origin = self.channels.get(linkedid, channel)
        outcome = self.transfer_outcomes.get(target, "ANSWER")
        trunk_id = f"{linkedid}-x{next(self._ids)}"
        trunk = {
            "Channel": f"PJSIP/trunk-{target}-{next(self._ids):08x}",
            "Uniqueid": trunk_id,
            "Linkedid": linkedid,
            "CallerIDNum": target,
            "Exten": target,
            "Context": context,
            "ChannelStateDesc": "Down",
        }
        dialler = channel if name == "atxfer" else origin
        if name == "blindtransfer":
            self.broadcast(
                {
                    "Event": "BlindTransfer",
                    "Privilege": "call,all",
                    "Result": "Success",
                    **_prefixed("Transferer", channel),
                    **_prefixed("Transferee", origin),
                    "IsExternal": "No",
                    "Context": context,
                    "Extension": target,
                }
            )
        if name != "atxfer":
            self._hangup(channel if name == "blindtransfer" else None)
        self.broadcast({"Event": "Newchannel", "Privilege": "call,all", **trunk})
        self.broadcast(
            {
                "Event": "DialBegin",
                **_plain(dialler),
                **_prefixed("Dest", trunk),
                "DialString": target,
            }
        )
        await asyncio.sleep(0.02 * self.step_scale)
        self.broadcast(
            {
                "Event": "DialEnd",
                **_plain(dialler),
                **_prefixed("Dest", trunk),
                "DialStatus": outcome,
            }
        )
        if outcome != "ANSWER":
            self._hangup(self.channels.get(trunk_id), _DIAL_CAUSES.get(outcome, "21"))
            return
        self.broadcast({"Event": "Newstate", **self.channels[trunk_id], "ChannelStateDesc": "Up"})
        if name == "atxfer":
            await asyncio.sleep(0.02 * self.step_scale)
            self.broadcast(
                {
                    "Event": "AttendedTransfer",
                    "Privilege": "call,all",
                    "Result": "Success",
                    **_prefixed("OrigTransferer", channel),
                    **_prefixed("SecondTransferer", {**channel, "Exten": target}),
                    **_prefixed("Transferee", origin),
                    **_prefixed("TransferTarget", trunk),
                    "IsExternal": "No",
                    "DestType": "Bridge",
                }
            )
            self._hangup(channel)

    # -- revisit calls (Originate into the revisit context) ------------------------------

    def _originate(self, session: _Session, action: Message, action_id: str) -> None:
        technology, _, rest = action.get("Channel").partition("/")
        phone = rest.partition("@")[0]
        if action.get("Context") != REVISIT_CONTEXT or not technology or not phone:
            message = f"the simulator originates only PJSIP/NUMBER@trunk into {REVISIT_CONTEXT}"
            self._reply(session, {"Response": "Error", "Message": message}, action_id)
            return
        variables = dict(
            item.partition("=")[::2]
            for header in action.values("Variable")
            for item in header.split(",")
        )
        uniqueid = action.get("ChannelId") or f"{time.time():.0f}.{next(self._ids)}"
        if uniqueid in self.channels:  # Asterisk refuses a ChannelId a channel already has
            self._reply(session, {"Response": "Error", "Message": "Originate failed"}, action_id)
            return
        # The originated channel presents Originate's CallerID (the centre's ``"12345" <12345>``);
        # the number dialled is its connected line.
        caller_id = action.get("CallerID")
        channel = {
            "Channel": f"{technology}/trunk-{next(self._ids):08x}",
            "Uniqueid": uniqueid,
            "Linkedid": uniqueid,
            "CallerIDNum": caller_id.rpartition("<")[2].rstrip(">").strip(),
            "ConnectedLineNum": phone,
            "Exten": action.get("Exten") or "s",
            "Context": REVISIT_CONTEXT,
            "ChannelStateDesc": "Down",
        }
        self._reply(
            session, {"Response": "Success", "Message": "Originate successfully queued"}, action_id
        )
        task = asyncio.create_task(self._play_revisit(channel, variables, action_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _play_revisit(
        self, channel: dict[str, str], variables: Mapping[str, str], action_id: str
    ) -> None:
        """The events of one revisit call, as Asterisk and the [revisit] dialplan send them."""
        ticket, attempt = variables.get("TICKET", ""), variables.get("ATTEMPT", "")
        phone = channel["ConnectedLineNum"]
        citizen = choose_citizen(phone, attempt, self.citizens, self.revisit_seed)
        response = {"Event": "OriginateResponse", "Privilege": "call,all", "ActionID": action_id}
        response |= {
            key: channel[key] for key in ("Channel", "Context", "Exten", "Uniqueid", "CallerIDNum")
        }
        self.broadcast({"Event": "Newchannel", **channel})
        self.broadcast({"Event": "Newstate", **channel, "ChannelStateDesc": "Ringing"})
        await asyncio.sleep(self.revisit_ring_seconds * self.step_scale)
        if citizen.answers != "answer":
            reason, cause = NOT_ANSWERED[citizen.answers]
            self._hangup(self.channels.get(channel["Uniqueid"]), cause)
            self.broadcast({**response, "Response": "Failure", "Reason": reason})
            return
        self.broadcast({"Event": "Newstate", **channel, "ChannelStateDesc": "Up"})
        self.broadcast({**response, "Response": "Success", "Reason": "4"})
        up = {**channel, "ChannelStateDesc": "Up"}
        for report in dialplan_reports(citizen.keys):
            if report["UserEvent"] != "RevisitAnswered":
                await asyncio.sleep(self.revisit_key_seconds * self.step_scale)
            if report["UserEvent"] == "RevisitEnd" and report["Step"] == "operator":
                await self._revisit_to_queue(up, ticket)
            self.broadcast(
                {
                    "Event": "UserEvent",
                    "Privilege": "user,all",
                    **_plain(up),
                    "UserEvent": report["UserEvent"],
                    "Ticket": ticket,
                    "Attempt": attempt,
                    **{key: value for key, value in report.items() if key != "UserEvent"},
                }
            )
        self._hangup(self.channels.get(channel["Uniqueid"]))

    async def _revisit_to_queue(self, caller: Mapping[str, str], ticket: str) -> None:
        """[revisit]'s ``operator`` extension after 0: the inherited ticket variable (reported
        under its name as written), Queue(12345), and a free operator answering as for an
        inbound call; with nobody free the citizen waits a while and gives up."""
        plain = _plain(caller)
        variable = {"Variable": "__HOTLINE_REVISIT_TICKET", "Value": ticket}
        self.broadcast({"Event": "VarSet", **plain, **variable})
        await asyncio.sleep(self.revisit_key_seconds * self.step_scale)  # revisit/operator
        queued = {**plain, "Queue": REVISIT_QUEUE}
        self.broadcast({"Event": "QueueCallerJoin", **queued, "Position": "1", "Count": "1"})
        joined = time.monotonic()
        agent = self.next_agent(REVISIT_QUEUE)
        if agent is None:
            await asyncio.sleep(self.revisit_talk_seconds * self.step_scale)
            waited = str(round(time.monotonic() - joined))
            self.broadcast({"Event": "QueueCallerAbandon", **queued, "HoldTime": waited})
            return
        self._engaged.add(agent)  # rung from now on, before its channel exists
        try:
            await self._operator_answers(plain, queued, agent, joined)
        finally:
            self._engaged.discard(agent)

    async def _operator_answers(
        self, caller: Mapping[str, str], queued: Mapping[str, str], agent: str, joined: float
    ) -> None:
        linkedid = caller["Linkedid"]
        operator = {
            "Channel": f"PJSIP/{agent}-{next(self._ids):08x}",
            "Uniqueid": f"{linkedid}-op",
            "Linkedid": linkedid,
            "CallerIDNum": agent,
            "Exten": REVISIT_QUEUE,
            "Context": "hotline-queue",
            "ChannelStateDesc": "Down",
        }
        member = {"MemberName": agent, "Interface": f"PJSIP/{agent}"}
        self.broadcast({"Event": "Newchannel", **operator})
        self.broadcast({"Event": "AgentCalled", **queued, **_prefixed("Dest", operator), **member})
        self.broadcast({"Event": "DialBegin", **caller, **_prefixed("Dest", operator)})
        await asyncio.sleep(self.revisit_key_seconds * self.step_scale)  # ringing
        self.broadcast({"Event": "Newstate", **operator, "ChannelStateDesc": "Up"})
        answered = {**operator, "ChannelStateDesc": "Up"}
        self.broadcast(
            {"Event": "DialEnd", **caller, **_prefixed("Dest", answered), "DialStatus": "ANSWER"}
        )
        hold = str(round(time.monotonic() - joined))
        self.broadcast(
            {
                "Event": "AgentConnect",
                **queued,
                **_prefixed("Dest", answered),
                **member,
                "HoldTime": hold,
            }
        )
        bridge = f"bridge-{linkedid}"
        for leg in (caller, answered):
            self.broadcast({"Event": "BridgeEnter", **leg, "BridgeUniqueid": bridge})
        await asyncio.sleep(self.revisit_talk_seconds * self.step_scale)
        self.broadcast(
            {
                "Event": "AgentComplete",
                **queued,
                **_prefixed("Dest", answered),
                **member,
                "HoldTime": hold,
                "Reason": "agent",
            }
        )
        # The operator ends the call; the citizen's leg then runs the h extension.
        self._hangup(self.channels.get(operator["Uniqueid"]))

    def _hangup(self, channel: dict[str, str] | None, cause: str = "16") -> None:
        if channel is not None:
            self.broadcast({"Event": "Hangup", **_plain(channel), "Cause": cause})

    # -- events -------------------------------------------------------------------------

    def broadcast(self, headers: Mapping[str, str]) -> None:
        """Send an event to every logged-in client and apply it to the channel table."""
        self._apply(headers)
        for session in self._sessions:
            if session.authenticated:
                self._send(session, headers)

    def _send(self, session: _Session, headers: Mapping[str, str]) -> None:
        ordered = {"Event": headers["Event"], "Privilege": headers.get("Privilege", "call,all")}
        ordered["Timestamp"] = f"{time.time():.6f}"
        ordered |= {k: v for k, v in headers.items() if not k.startswith("_")}
        session.writer.write(encode_message(ordered))

    def _apply(self, headers: Mapping[str, str]) -> None:
        event, uniqueid = headers.get("Event"), headers.get("Uniqueid", "")
        if event == "Newchannel":
            self.channels[uniqueid] = {**_plain(headers), "_created": f"{time.time():.3f}"}
        elif event == "Hangup":
            self.channels.pop(uniqueid, None)
        elif uniqueid in self.channels:
            channel = self.channels[uniqueid]
            for key in ("ChannelStateDesc", "CallerIDNum", "Linkedid"):
                if key in headers:
                    channel[key] = headers[key]
            if event == "QueueCallerJoin":
                channel |= {"Application": "Queue", "ApplicationData": headers.get("Queue", "")}
                channel["_queued"] = f"{time.time():.3f}"
            elif event in ("AgentConnect", "BridgeEnter"):
                channel |= {
                    "Application": "AppQueue",
                    "BridgeId": headers.get("BridgeUniqueid", "b"),
                }
                dest = self.channels.get(headers.get("DestUniqueid", ""))
                if dest is not None:
                    dest["BridgeId"] = channel["BridgeId"]
                    dest["ChannelStateDesc"] = "Up"

    # -- the queue's members (static ones, as ``member =>`` lines in queues.conf) ---------

    def add_member(self, queue: str, interface: str, name: str) -> None:
        """A member present from the start, without a QueueAdd."""
        self.members[(queue, interface)] = _Member(queue, interface, name)

    def next_agent(self, queue: str = "12345") -> str | None:
        """The extension the queue rings next: a member neither paused nor on a call, the one
        rung longest ago first (app_queue's ``rrmemory``); None when nobody is free."""
        busy = {channel["Channel"].split("-")[0] for channel in self.channels.values()}
        busy |= {f"PJSIP/{extension}" for extension in self._engaged}
        free = [
            member
            for (name, interface), member in self.members.items()
            if name == queue and not member.paused and interface not in busy
        ]
        if not free:
            return None
        chosen = min(free, key=lambda member: self._rung.get(member.interface, 0.0))
        self._rung[chosen.interface] = time.monotonic()
        return chosen.interface.split("/")[-1]

    # -- scenarios ----------------------------------------------------------------------

    async def play(
        self, scenario: Mapping[str, Any], *, caller: str | None = None, agent: str | None = None
    ) -> None:
        """Play one scenario with fresh ids (so plays may overlap and repeat); ``agent`` is
        the extension that answers instead of the scenario's own (``SCENARIO_AGENT``)."""
        call_id = f"{time.time():.0f}.{next(self._ids)}"
        values = {"id": call_id, "caller": caller or scenario.get("caller", "13800138000")}
        answering = (SCENARIO_AGENT, agent or SCENARIO_AGENT)
        if agent:
            self._engaged.add(agent)  # rung from now on, before its channel exists
        try:
            for step in scenario["steps"]:
                await self._play_step(step, values, answering)
        finally:
            self._engaged.discard(agent or "")

    async def _play_step(
        self, step: Mapping[str, Any], values: Mapping[str, str], answering: tuple[str, str]
    ) -> None:
        await asyncio.sleep(float(step.get("delay", 0)) * self.step_scale)
        if "event" in step:
            self.broadcast(_fill(step["event"], values, answering))
        elif "drop_after_lines" in step:
            event = _fill(step["drop_event"], values, answering)
            self._apply(event)
            lines = encode_message(event).split(b"\r\n")[: int(step["drop_after_lines"])]
            await self.drop_connections(b"\r\n".join(lines) + b"\r\n")
        elif "wait_for_clients" in step:
            await self.wait_for_clients(float(step["wait_for_clients"]))

    async def wait_for_clients(self, timeout: float) -> None:
        """Until a client is logged in again (after a drop) and has listed the channels (its
        resync: what follows reaches it after the listing, however slow the machine), or the
        timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not any(
            session.authenticated and session.listed_channels for session in self._sessions
        ):
            await asyncio.sleep(0.02)

    async def demo(self, interval: float = 4.0, *, seed: int | None = None) -> None:
        """Random realistic calls every few seconds, forever (``hotline demo``)."""
        rng = random.Random(seed)
        names = ["queue_call", "abandoned_call", "transfer_119", "queue_call", "queue_call"]
        scenarios = [load_scenario(name) for name in names]
        while True:
            caller = "1" + rng.choice("3578") + "".join(rng.choices("0123456789", k=9))
            task = asyncio.create_task(self.play(rng.choice(scenarios), caller=caller))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(interval * rng.uniform(0.5, 1.5))


def _fill(
    event: Mapping[str, str], values: Mapping[str, str], answering: tuple[str, str]
) -> dict[str, str]:
    """The template's placeholders filled; the scenario's agent replaced in the template
    itself, before the caller's number (which may contain the same digits) goes in."""
    written_for, agent = answering
    return {
        key: str(value).replace(written_for, agent).format_map(values)
        for key, value in event.items()
    }


_CHANNEL_KEYS = ("Channel", "ChannelStateDesc", "CallerIDNum", "Exten", "Context", "Uniqueid")


def _plain(channel: Mapping[str, str]) -> dict[str, str]:
    keys = (*_CHANNEL_KEYS, "Linkedid", "Application", "ApplicationData", "BridgeId")
    return {key: channel[key] for key in keys if key in channel}


def _prefixed(prefix: str, channel: Mapping[str, str]) -> dict[str, str]:
    return {
        f"{prefix}{key}": channel[key] for key in (*_CHANNEL_KEYS, "Linkedid") if key in channel
    }
