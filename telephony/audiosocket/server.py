"""A thin asyncio server around :class:`FrameParser`: one :class:`AudioStream` per connection.

Asterisk connects, sends the UUID frame, then 20 ms audio frames until the caller hangs up
(hang-up frame or socket close). The handler the application gives receives each stream once
its UUID is known and iterates its frames. Everything that goes wrong on one connection is
reported as a :class:`StreamIssue` (counted, passed to ``on_issue``) and ends only that
connection; the server keeps accepting. A hostile or broken peer cannot flood the log or the
host: each issue code is logged and passed on once per connection (the rest are counted and
summed up in one line when it ends), a connection with more than ``Limits.max_issues``
recoverable issues is closed, and beyond ``Limits.max_streams`` open connections the server
first drops one that has sent no audio yet, then refuses newcomers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from telephony.audiosocket.protocol import (
    ASTERISK_ERROR_CODES,
    Frame,
    FrameParser,
    Kind,
    ProtocolError,
    encode_audio,
    encode_hangup,
)

log = logging.getLogger(__name__)

READ_SIZE = 65536


@dataclass(frozen=True)
class StreamIssue:
    """Something wrong on one connection. ``stream_id`` is None when no UUID arrived."""

    stream_id: uuid.UUID | None
    code: str
    message: str
    fatal: bool
    peer: str


@dataclass(frozen=True)
class Timeouts:
    """first_frame: to receive the UUID; idle: with no bytes at all; max_duration: per stream."""

    first_frame: float = 5.0
    idle: float = 10.0
    max_duration: float = 4 * 3600.0


@dataclass(frozen=True)
class Limits:
    """max_streams: connections open at once (None: no cap); max_issues: recoverable issues
    (unknown kinds, odd audio lengths, …) one connection may cause before it is closed;
    unproven_grace: seconds a connection may go without audio before a newcomer at the cap
    may take its place (Asterisk sends the UUID and the first audio within milliseconds)."""

    max_streams: int | None = None
    max_issues: int = 100
    unproven_grace: float = 1.0


# Connections that never become a stream (refused, no UUID, garbage) can come in floods: per
# issue code, one log line per this many seconds, with the count of those not logged.
STREAMLESS_LOG_INTERVAL = 10.0
# How long a refused peer may take to close after its hang-up frame.
REFUSAL_LINGER = 1.0

IssueListener = Callable[[StreamIssue], None]


class _Connection:
    """The server's record of one open connection: what eviction and the issue limits need."""

    def __init__(
        self,
        peer: str,
        writer: asyncio.StreamWriter,
        report: Callable[[_Connection, StreamIssue], None],
    ) -> None:
        self.peer = peer
        self.writer = writer
        self.opened = time.monotonic()
        self.stream_id: uuid.UUID | None = None
        self.audio_seen = False
        self.closed_by_server: tuple[str, str] | None = None
        self.issues: Counter[str] = Counter()
        self.recoverable_issues = 0
        self._report = report

    def report(self, code: str, message: str, *, fatal: bool) -> None:
        self._report(self, StreamIssue(self.stream_id, code, message, fatal, self.peer))

    def close(self, code: str, message: str) -> None:
        """End it from the server's side; its reader then sees the end of input."""
        self.closed_by_server = (code, message)
        self.writer.close()


class AudioStream:
    """One AudioSocket connection whose UUID is known. Iterate it for the frames that follow.

    Iteration ends on a hang-up frame, socket close, idle timeout, max duration or a fatal
    protocol error; :attr:`end_reason` then says which.
    """

    def __init__(
        self,
        connection: _Connection,
        reader: asyncio.StreamReader,
        parser: FrameParser,
        pending: list[Frame],
        timeouts: Timeouts,
        limits: Limits,
    ) -> None:
        assert connection.stream_id is not None
        self.uuid = connection.stream_id
        self.peer = connection.peer
        self.end_reason: str | None = None
        self.started = time.monotonic()
        self._connection = connection
        self._reader = reader
        self._writer = connection.writer
        self._parser = parser
        self._pending: deque[Frame] = deque(pending)
        self._timeouts = timeouts
        self._limits = limits

    def __aiter__(self) -> AsyncIterator[Frame]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[Frame]:
        while self.end_reason is None:
            while self._pending:
                frame = self._pending.popleft()
                if frame.kind is Kind.HANGUP:
                    self.end_reason = "hangup"
                    return
                if frame.kind is Kind.ERROR:
                    self.report_issue("asterisk_error", _describe_error_frame(frame), fatal=False)
                elif frame.is_audio:
                    self._connection.audio_seen = True
                yield frame
            await self._read_more()

    async def _read_more(self) -> None:
        remaining = self._timeouts.max_duration - (time.monotonic() - self.started)
        wait = min(self._timeouts.idle, remaining)
        try:
            data = await read_within(self._reader, wait)
        except TimeoutError:
            if wait < self._timeouts.idle:
                self._end(
                    "max_duration",
                    f"stream still open after the {self._timeouts.max_duration:g} s maximum",
                )
            else:
                self._end("idle_timeout", f"no data for {self._timeouts.idle:g} s")
            return
        except ConnectionError as exc:
            self._end(
                *self._connection.closed_by_server
                or ("connection_error", f"connection failed: {exc}")
            )
            return
        if self._connection.closed_by_server:
            self._end(*self._connection.closed_by_server)
            return
        if not data:
            try:
                self._parser.close()
            except ProtocolError as exc:
                self._end(exc.code, str(exc))
                return
            self.end_reason = "closed"
            return
        try:
            self._pending.extend(self._parser.feed(data))
        except ProtocolError as exc:
            self._end(exc.code, str(exc))
        within_limit = _report_parser_issues(self._connection, self._parser, self._limits)
        if not within_limit and self.end_reason is None:
            self._end(*_too_many_issues(self._limits))

    def _end(self, reason: str, message: str) -> None:
        self.end_reason = reason
        self.report_issue(reason, message, fatal=True)

    def report_issue(self, code: str, message: str, *, fatal: bool) -> None:
        self._connection.report(code, message, fatal=fatal)

    async def send_audio(self, pcm: bytes, sample_rate: int = 8000) -> None:
        """Play audio back to the channel (16-bit little-endian mono)."""
        self._writer.write(encode_audio(pcm, sample_rate))
        await self._writer.drain()

    async def hangup(self) -> None:
        """Ask Asterisk to hang up the channel."""
        self._writer.write(encode_hangup())
        await self._writer.drain()


def _report_parser_issues(connection: _Connection, parser: FrameParser, limits: Limits) -> bool:
    """Pass on the parser's recoverable issues; False once the connection has had too many."""
    issues = parser.take_issues()
    for issue in issues:
        connection.report(issue.code, issue.message, fatal=False)
    connection.recoverable_issues += len(issues)
    return connection.recoverable_issues <= limits.max_issues


def _too_many_issues(limits: Limits) -> tuple[str, str]:
    return (
        "too_many_issues",
        f"closed after more than {limits.max_issues} unknown or malformed frames",
    )


def _describe_error_frame(frame: Frame) -> str:
    code = frame.error_code
    if code is None:
        return "Asterisk sent an error frame without a code"
    meaning = ASTERISK_ERROR_CODES.get(code, "application-specific")
    return f"Asterisk sent error 0x{code:02x} ({meaning})"


StreamHandler = Callable[[AudioStream], Awaitable[None]]


class AudioSocketServer:
    """``AudioSocketServer(host, port, handler)``; ``port=0`` picks a free port (see .port)."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: StreamHandler,
        *,
        on_issue: IssueListener | None = None,
        timeouts: Timeouts | None = None,
        limits: Limits | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._handler = handler
        self._on_issue = on_issue
        self.timeouts = timeouts or Timeouts()
        self.limits = limits or Limits()
        self._server: asyncio.Server | None = None
        self._connections: dict[asyncio.Task[None], _Connection] = {}
        self._streams: dict[uuid.UUID, _Connection] = {}
        self._counts: Counter[str] = Counter()
        self._ended: Counter[str] = Counter()
        self._issues: Counter[str] = Counter()
        # code -> (when last logged, how many since) for connections without a stream
        self._streamless_log: dict[str, tuple[float, int]] = {}

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, self.host, self._requested_port, limit=READ_SIZE
        )
        log.info("AudioSocket server listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> AudioSocketServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def stats(self) -> dict[str, object]:
        return {
            "connections": self._counts["connections"],
            "streams": self._counts["streams"],
            "active": len(self._connections),
            "streams_open": len(self._streams),
            "ended": dict(self._ended),
            "issues": dict(self._issues),
        }

    def _report(self, connection: _Connection, issue: StreamIssue) -> None:
        self._issues[issue.code] += 1
        connection.issues[issue.code] += 1
        if not issue.fatal and connection.issues[issue.code] > 1:
            return  # counted; summed up when the connection ends
        if issue.stream_id is not None:
            log.warning(
                "AudioSocket %s from %s: %s (%s)",
                issue.stream_id,
                issue.peer,
                issue.message,
                issue.code,
            )
        else:
            self._log_streamless(issue)
        if self._on_issue is not None:
            try:
                self._on_issue(issue)
            except Exception:
                log.exception("AudioSocket issue listener failed")

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._counts["connections"] += 1
        connection = _Connection(_peer_name(writer), writer, self._report)
        if not self._make_room():
            await self._refuse(reader, connection)
            return
        self._connections[task] = connection
        try:
            stream = await self._open_stream(reader, connection)
            if stream is not None:
                self._counts["streams"] += 1
                await self._run_handler(stream)
                self._ended[stream.end_reason or "handler_returned"] += 1
        except asyncio.CancelledError:
            # Only stop() cancels connections; ending quietly keeps asyncio's stream
            # callback from logging the cancellation as an error.
            self._ended["server_stopped"] += 1
        finally:
            del self._connections[task]
            if connection.stream_id is not None:
                self._streams.pop(connection.stream_id, None)
            _log_suppressed_issues(connection)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    def _make_room(self) -> bool:
        """Below the cap, or at it with a connection that has sent no audio for a while (a
        real call sends its UUID and audio at once): that one is closed for the newcomer."""
        cap = self.limits.max_streams
        if cap is None or len(self._connections) < cap:
            return True
        grace_ended = time.monotonic() - self.limits.unproven_grace
        unproven = [
            connection
            for connection in self._connections.values()
            if not connection.audio_seen
            and connection.closed_by_server is None
            and connection.opened <= grace_ended
        ]
        if not unproven:
            return False
        oldest = min(unproven, key=lambda connection: connection.opened)
        oldest.close("evicted", f"no audio yet; closed to make room at the cap of {cap} streams")
        return True

    def _log_streamless(self, issue: StreamIssue) -> None:
        now = time.monotonic()
        logged_at, since = self._streamless_log.get(issue.code, (float("-inf"), 0))
        if now - logged_at < STREAMLESS_LOG_INTERVAL:
            self._streamless_log[issue.code] = (logged_at, since + 1)
            return
        self._streamless_log[issue.code] = (now, 0)
        log.warning(
            "AudioSocket connection from %s: %s (%s); %d more like it since the last report",
            issue.peer,
            issue.message,
            issue.code,
            since,
        )

    async def _refuse(self, reader: asyncio.StreamReader, connection: _Connection) -> None:
        """At the cap with every stream carrying audio: the newcomer gets a hang-up frame."""
        self._ended["too_many_streams"] += 1
        connection.report(
            "too_many_streams",
            f"refused: {len(self._connections)} streams open, the server's cap",
            fatal=True,
        )
        await _hang_up_on(reader, connection.writer)

    async def _open_stream(
        self, reader: asyncio.StreamReader, connection: _Connection
    ) -> AudioStream | None:
        """Read until the UUID frame; report and return None when it does not come, or when
        a connection with the same UUID is still open (one call, one transcript)."""
        parser = FrameParser()
        deadline = time.monotonic() + self.timeouts.first_frame
        frames: list[Frame] = []
        try:
            while not frames:
                left = deadline - time.monotonic()
                data = await read_within(reader, left)
                if connection.closed_by_server:
                    self._fail_before_uuid(connection, *connection.closed_by_server)
                    return None
                if not data:
                    parser.close()
                    self._fail_before_uuid(
                        connection, "closed_before_uuid", "closed before the UUID"
                    )
                    return None
                frames = parser.feed(data)
                if not _report_parser_issues(connection, parser, self.limits):
                    self._fail_before_uuid(connection, *_too_many_issues(self.limits))
                    return None
        except TimeoutError:
            self._fail_before_uuid(
                connection, "no_uuid", f"no UUID frame within {self.timeouts.first_frame:g} s"
            )
            return None
        except ProtocolError as exc:
            self._fail_before_uuid(connection, exc.code, str(exc))
            return None
        except ConnectionError as exc:
            code, message = connection.closed_by_server or (
                "connection_error",
                f"connection failed: {exc}",
            )
            self._fail_before_uuid(connection, code, message)
            return None
        stream_id = frames[0].uuid
        first = self._streams.get(stream_id)
        if first is not None:
            # Reported without the UUID: the open stream's transcript must not end with it.
            self._fail_before_uuid(
                connection,
                "duplicate_uuid",
                f"stream {stream_id} is already open from {first.peer}; second connection refused",
            )
            await _hang_up_on(reader, connection.writer)
            return None
        connection.stream_id = stream_id
        self._streams[stream_id] = connection
        return AudioStream(connection, reader, parser, frames[1:], self.timeouts, self.limits)

    def _fail_before_uuid(self, connection: _Connection, code: str, message: str) -> None:
        self._ended[code] += 1
        connection.report(code, message, fatal=True)

    async def _run_handler(self, stream: AudioStream) -> None:
        try:
            await self._handler(stream)
        except Exception as exc:
            log.exception("AudioSocket handler failed for %s", stream.uuid)
            stream.end_reason = stream.end_reason or "handler_error"
            stream.report_issue("handler_error", f"handler failed: {exc!r}", fatal=True)


async def read_within(reader: asyncio.StreamReader, seconds: float) -> bytes:
    """``reader.read`` with a time limit (TimeoutError). Not ``asyncio.wait_for``: on Python 3.11
    it returns the data instead of raising when a cancellation arrives as the read completes,
    which is all the time while a caller's audio keeps coming, so a stopped server waited for
    its streams forever (CPython gh-86296)."""
    async with asyncio.timeout(max(seconds, 0)):
        return await reader.read(READ_SIZE)


async def _hang_up_on(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A refusal Asterisk understands: a hang-up frame, then what the peer had already sent is
    read until it closes (closing with unread input would reset the connection, and the reset
    could overtake the hang-up frame)."""
    with contextlib.suppress(ConnectionError, TimeoutError):
        writer.write(encode_hangup())
        writer.write_eof()
        async with asyncio.timeout(REFUSAL_LINGER):
            while await reader.read(READ_SIZE):
                pass
    writer.close()
    with contextlib.suppress(ConnectionError):
        await writer.wait_closed()


def _log_suppressed_issues(connection: _Connection) -> None:
    repeated = {code: count - 1 for code, count in connection.issues.items() if count > 1}
    if repeated:
        log.warning(
            "AudioSocket %s from %s: %d more issues not logged one by one: %s",
            connection.stream_id,
            connection.peer,
            sum(repeated.values()),
            ", ".join(f"{code} ×{count}" for code, count in sorted(repeated.items())),
        )


def _peer_name(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)
