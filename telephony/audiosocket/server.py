"""A thin asyncio server around :class:`FrameParser`: one :class:`AudioStream` per connection.

Asterisk connects, sends the UUID frame, then 20 ms audio frames until the caller hangs up
(hang-up frame or socket close). The handler the application gives receives each stream once
its UUID is known and iterates its frames. Everything that goes wrong on one connection is
reported as a :class:`StreamIssue` (logged, counted, passed to ``on_issue``) and ends only
that connection; the server keeps accepting.
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


IssueListener = Callable[[StreamIssue], None]


class AudioStream:
    """One AudioSocket connection whose UUID is known. Iterate it for the frames that follow.

    Iteration ends on a hang-up frame, socket close, idle timeout, max duration or a fatal
    protocol error; :attr:`end_reason` then says which.
    """

    def __init__(
        self,
        stream_id: uuid.UUID,
        peer: str,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        parser: FrameParser,
        pending: list[Frame],
        timeouts: Timeouts,
        report: Callable[[StreamIssue], None],
    ) -> None:
        self.uuid = stream_id
        self.peer = peer
        self.end_reason: str | None = None
        self.started = time.monotonic()
        self._reader = reader
        self._writer = writer
        self._parser = parser
        self._pending: deque[Frame] = deque(pending)
        self._timeouts = timeouts
        self._report = report

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
            self._end("connection_error", f"connection failed: {exc}")
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
        for issue in self._parser.take_issues():
            self.report_issue(issue.code, issue.message, fatal=False)

    def _end(self, reason: str, message: str) -> None:
        self.end_reason = reason
        self.report_issue(reason, message, fatal=True)

    def report_issue(self, code: str, message: str, *, fatal: bool) -> None:
        self._report(StreamIssue(self.uuid, code, message, fatal, self.peer))

    async def send_audio(self, pcm: bytes, sample_rate: int = 8000) -> None:
        """Play audio back to the channel (16-bit little-endian mono)."""
        self._writer.write(encode_audio(pcm, sample_rate))
        await self._writer.drain()

    async def hangup(self) -> None:
        """Ask Asterisk to hang up the channel."""
        self._writer.write(encode_hangup())
        await self._writer.drain()


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
    ) -> None:
        self.host = host
        self._requested_port = port
        self._handler = handler
        self._on_issue = on_issue
        self.timeouts = timeouts or Timeouts()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._counts: Counter[str] = Counter()
        self._ended: Counter[str] = Counter()
        self._issues: Counter[str] = Counter()

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
            "ended": dict(self._ended),
            "issues": dict(self._issues),
        }

    def _report(self, issue: StreamIssue) -> None:
        self._issues[issue.code] += 1
        log.warning(
            "AudioSocket %s from %s: %s (%s)",
            issue.stream_id,
            issue.peer,
            issue.message,
            issue.code,
        )
        if self._on_issue is not None:
            try:
                self._on_issue(issue)
            except Exception:
                log.exception("AudioSocket issue listener failed")

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        self._counts["connections"] += 1
        peer = _peer_name(writer)
        try:
            stream = await self._open_stream(reader, writer, peer)
            if stream is not None:
                self._counts["streams"] += 1
                await self._run_handler(stream)
                self._ended[stream.end_reason or "handler_returned"] += 1
        except asyncio.CancelledError:
            # Only stop() cancels connections; ending quietly keeps asyncio's stream
            # callback from logging the cancellation as an error.
            self._ended["server_stopped"] += 1
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _open_stream(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> AudioStream | None:
        """Read until the UUID frame; report and return None when it does not come."""
        parser = FrameParser()
        deadline = time.monotonic() + self.timeouts.first_frame
        frames: list[Frame] = []
        try:
            while not frames:
                left = deadline - time.monotonic()
                data = await read_within(reader, left)
                if not data:
                    parser.close()
                    self._fail_before_uuid(peer, "closed_before_uuid", "closed before the UUID")
                    return None
                frames = parser.feed(data)
        except TimeoutError:
            self._fail_before_uuid(
                peer, "no_uuid", f"no UUID frame within {self.timeouts.first_frame:g} s"
            )
            return None
        except ProtocolError as exc:
            self._fail_before_uuid(peer, exc.code, str(exc))
            return None
        except ConnectionError as exc:
            self._fail_before_uuid(peer, "connection_error", f"connection failed: {exc}")
            return None
        stream = AudioStream(
            frames[0].uuid, peer, reader, writer, parser, frames[1:], self.timeouts, self._report
        )
        for issue in parser.take_issues():
            stream.report_issue(issue.code, issue.message, fatal=False)
        return stream

    def _fail_before_uuid(self, peer: str, code: str, message: str) -> None:
        self._ended[code] += 1
        self._report(StreamIssue(None, code, message, True, peer))

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


def _peer_name(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)
