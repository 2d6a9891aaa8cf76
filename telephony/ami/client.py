"""An asyncio shell around the sans-I/O codec: login, actions, keep-alive, reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import random
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from telephony.ami.codec import AMIDecoder, Banner, Message, ProtocolError, encode_action

log = logging.getLogger(__name__)


class AMIError(Exception):
    """Base of the AMI client's errors."""


class LoginRefused(AMIError):
    """Asterisk answered the login with ``Response: Error`` (bad user, secret or ACL)."""


class ActionTimeout(AMIError):
    """No response to an action in time."""


class NotConnected(AMIError):
    """The action could not be sent, or the connection dropped before its answer came."""


@dataclass(frozen=True, slots=True)
class AMIConfig:
    host: str
    port: int
    username: str
    secret: str
    md5: bool = True


def parse_ami_url(url: str) -> AMIConfig:
    """``ami://USER:SECRET@HOST:PORT[?auth=plain|md5]`` → :class:`AMIConfig` (port 5038 default)."""
    parts = urlsplit(url)
    if parts.scheme != "ami":
        raise ValueError(f"AMI URL must start with ami://, got {url!r}")
    if not parts.hostname or not parts.username or parts.password is None:
        raise ValueError("AMI URL needs ami://USER:SECRET@HOST[:PORT]")
    try:
        port = parts.port or 5038
    except ValueError as exc:
        raise ValueError(f"AMI URL has an invalid port: {url!r}") from exc
    auth = dict(pair.partition("=")[::2] for pair in parts.query.split("&") if pair).get("auth")
    if auth not in (None, "md5", "plain"):
        raise ValueError(f"AMI URL auth must be md5 or plain, got {auth!r}")
    return AMIConfig(
        parts.hostname, port, unquote(parts.username), unquote(parts.password), auth != "plain"
    )


@dataclass(slots=True)
class ActionResult:
    """The response to an action and, for list actions, the events of its list."""

    response: Message
    events: list[Message] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.response.response in ("Success", "Follows", "Goodbye")

    @property
    def message(self) -> str:
        return self.response.get("Message")


@dataclass(slots=True)
class _Pending:
    future: asyncio.Future[ActionResult]
    collect: bool
    result: ActionResult | None = None


EventHandler = Callable[[Message], None]
ConnectedHandler = Callable[["AMIClient"], Awaitable[None]]
DisconnectedHandler = Callable[[], None]


class AMIClient:
    """One AMI connection kept alive: reconnects with exponential backoff after any drop.

    ``on_event`` gets every event that is not part of an action's list; with ``events``, only
    those named there or carrying an ActionID (so action lists stay whole), the others being
    skipped before their headers are built. ``on_connected`` runs after each successful login
    (the bridge resynchronises its calls there); ``on_disconnected`` runs when a logged-in
    connection is lost (what was in flight on it may or may not have happened).
    """

    def __init__(
        self,
        config: AMIConfig,
        *,
        on_event: EventHandler,
        events: Collection[str] | None = None,
        on_connected: ConnectedHandler | None = None,
        on_disconnected: DisconnectedHandler | None = None,
        ping_interval: float = 20.0,
        action_timeout: float = 10.0,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
    ) -> None:
        self.config = config
        self._on_event = on_event
        self._events = events
        self._on_connected = on_connected
        self._on_disconnected = on_disconnected
        self._ping_interval = ping_interval
        self._action_timeout = action_timeout
        self._backoff_initial = backoff_initial
        self._backoff_max = backoff_max
        self._ids = itertools.count(1)
        self._id_prefix = uuid.uuid4().hex[:8]
        self._pending: dict[str, _Pending] = {}
        self._writer: asyncio.StreamWriter | None = None
        self._logged_in = asyncio.Event()
        self._closed = False
        self.version: str | None = None
        self.protocol_errors = 0
        self.connections = 0
        self.last_error: str | None = None

    @property
    def connected(self) -> bool:
        return self._logged_in.is_set()

    async def wait_connected(self, timeout: float | None = None) -> None:
        # asyncio.timeout, not wait_for: see telephony.audiosocket.server.read_within.
        async with asyncio.timeout(timeout):
            await self._logged_in.wait()

    async def run(self) -> None:
        """Connect, serve, and reconnect until :meth:`close` (errors never end the loop)."""
        delay = self._backoff_initial
        while not self._closed:
            try:
                await self._serve_one_connection()
                delay = self._backoff_initial
            except LoginRefused as exc:
                self.last_error = f"login refused: {exc}"
                log.error("AMI login to %s refused: %s", self.config.host, exc)
            except (OSError, TimeoutError, AMIError) as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("AMI connection to %s failed: %s", self.config.host, exc)
            if self._closed:
                break
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, self._backoff_max)

    async def close(self) -> None:
        self._closed = True
        writer = self._writer
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError, ConnectionError):
                await writer.wait_closed()

    async def action(
        self,
        name: str,
        fields: Mapping[str, str] | None = None,
        *,
        collect_events: bool = False,
        timeout: float | None = None,
        action_id: str | None = None,
    ) -> ActionResult:
        """Send an action and wait for its response (and list). Its ActionID is a fresh one,
        or ``action_id`` (from :meth:`new_action_id`) when events announced by that id may
        arrive before this call returns (an async ``Originate``'s ``OriginateResponse``)."""
        if self._writer is None:
            raise NotConnected("not connected to Asterisk")
        action_id = action_id or self.new_action_id()
        if action_id in self._pending:
            raise ValueError(f"ActionID {action_id!r} is already waiting for its response")
        future: asyncio.Future[ActionResult] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = _Pending(future, collect_events)
        try:
            self._writer.write(encode_action(name, {**(fields or {}), "ActionID": action_id}))
            async with asyncio.timeout(timeout or self._action_timeout):
                return await future
        except TimeoutError as exc:
            raise ActionTimeout(f"no response to {name} in time") from exc
        finally:
            self._pending.pop(action_id, None)

    def new_action_id(self) -> str:
        """An ActionID no other action of this client uses."""
        return f"{self._id_prefix}-{next(self._ids)}"

    # -- one connection -------------------------------------------------------------------

    async def _serve_one_connection(self) -> None:
        async with asyncio.timeout(self._action_timeout):
            reader, writer = await asyncio.open_connection(self.config.host, self.config.port)
        self._writer = writer
        decoder = AMIDecoder(events=self._events)
        reading = asyncio.create_task(self._read_loop(reader, decoder))
        pinging: asyncio.Task[None] | None = None
        try:
            await self._login()
            self.connections += 1
            self._logged_in.set()
            self.last_error = None
            log.info("AMI logged in to %s:%s", self.config.host, self.config.port)
            pinging = asyncio.create_task(self._keep_alive())
            if self._on_connected is not None:
                await self._on_connected(self)
            await reading
        finally:
            was_logged_in = self._logged_in.is_set()
            self._logged_in.clear()
            self._writer = None
            for task in (reading, pinging):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
            writer.close()
            for pending in self._pending.values():
                if not pending.future.done():
                    pending.future.set_exception(NotConnected("AMI connection lost"))
            if was_logged_in and self._on_disconnected is not None:
                try:
                    self._on_disconnected()
                except Exception:  # a faulty consumer must not stop the reconnect loop
                    log.exception("AMI disconnect handler failed")

    async def _login(self) -> None:
        fields = {"Username": self.config.username, "Events": "on"}
        if self.config.md5:
            challenge = await self.action("Challenge", {"AuthType": "MD5"})
            if not challenge.ok:
                raise LoginRefused(challenge.message or "MD5 challenge refused")
            key = hashlib.md5(
                (challenge.response.get("Challenge") + self.config.secret).encode()
            ).hexdigest()
            fields |= {"AuthType": "MD5", "Key": key}
        else:
            fields["Secret"] = self.config.secret
        result = await self.action("Login", fields)
        if not result.ok:
            raise LoginRefused(result.message or "authentication failed")

    async def _keep_alive(self) -> None:
        while True:
            await asyncio.sleep(self._ping_interval)
            try:
                await self.action("Ping")
            except AMIError:
                log.warning("AMI ping unanswered; dropping the connection to reconnect")
                if self._writer is not None:
                    self._writer.close()
                return

    async def _read_loop(self, reader: asyncio.StreamReader, decoder: AMIDecoder) -> None:
        while chunk := await reader.read(65536):
            for item in decoder.feed(chunk):
                self._dispatch(item)

    def _dispatch(self, item: Banner | Message | ProtocolError) -> None:
        if isinstance(item, Message):
            # An event may carry a Response header too (OriginateResponse): Event decides.
            if item.response is not None and item.event is None:
                self._on_response(item)
            elif not self._add_to_list(item):
                try:
                    self._on_event(item)
                except Exception:  # a faulty consumer must not take the connection down
                    log.exception("AMI event handler failed on %s", item.event)
        elif isinstance(item, Banner):
            self.version = item.version
        else:
            self.protocol_errors += 1
            log.warning(
                "AMI protocol error: %s (%d bytes dropped)", item.reason, item.dropped_bytes
            )

    def _on_response(self, message: Message) -> None:
        pending = self._pending.get(message.action_id or "")
        if pending is None or pending.future.done():
            log.warning("AMI response for unknown ActionID %r ignored", message.action_id)
            return
        result = ActionResult(message)
        if pending.collect and result.ok:
            pending.result = result  # the list's events follow, ended by EventList: Complete
        else:
            pending.future.set_result(result)

    def _add_to_list(self, event: Message) -> bool:
        pending = self._pending.get(event.action_id or "")
        if pending is None or pending.result is None:
            return False
        if event.headers.get("EventList") == "Complete" or (event.event or "").endswith("Complete"):
            if not pending.future.done():
                pending.future.set_result(pending.result)
        else:
            pending.result.events.append(event)
        return True
