"""The AudioSocket server over real TCP: good streams, every kind of bad input, and survival."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from telephony.audiosocket import (
    AudioSocketServer,
    AudioStream,
    Kind,
    Limits,
    StreamIssue,
    Timeouts,
    encode_audio,
    encode_dtmf,
    encode_frame,
    encode_hangup,
    encode_uuid,
)

pytestmark = pytest.mark.anyio

SECOND_OF_SILENCE = bytes(16000)  # 8 kHz, 16-bit


@dataclass
class Received:
    audio_bytes: int = 0
    digits: str = ""
    end_reason: str | None = None


@dataclass
class Recorder:
    streams: dict[uuid.UUID, Received] = field(default_factory=dict)
    issues: list[StreamIssue] = field(default_factory=list)
    finished: asyncio.Queue[uuid.UUID] = field(default_factory=asyncio.Queue)

    async def handle(self, stream: AudioStream) -> None:
        got = self.streams.setdefault(stream.uuid, Received())
        async for frame in stream:
            if frame.is_audio:
                got.audio_bytes += len(frame.payload)
            elif frame.kind is Kind.DTMF:
                got.digits += frame.digit
        got.end_reason = stream.end_reason
        self.finished.put_nowait(stream.uuid)

    def issue_codes(self) -> list[str]:
        return [issue.code for issue in self.issues]


@contextlib.asynccontextmanager
async def serving(
    timeouts: Timeouts, limits: Limits | None = None
) -> AsyncIterator[tuple[AudioSocketServer, Recorder]]:
    recorder = Recorder()
    server = AudioSocketServer(
        "127.0.0.1",
        0,
        recorder.handle,
        on_issue=recorder.issues.append,
        timeouts=timeouts,
        limits=limits,
    )
    async with server:
        yield server, recorder


@pytest.fixture
async def served() -> AsyncIterator[tuple[AudioSocketServer, Recorder]]:
    async with serving(Timeouts(first_frame=0.5, idle=0.5, max_duration=2.0)) as served:
        yield served


async def send(server: AudioSocketServer, wire: bytes, *, close: bool = True) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(wire)
    await writer.drain()
    if close:
        writer.close()
        await writer.wait_closed()


async def assert_still_serving(server: AudioSocketServer, recorder: Recorder) -> None:
    """A fresh, well-formed call after the bad one is answered in full."""
    stream_id = uuid.uuid4()
    await send(server, encode_uuid(stream_id) + encode_audio(bytes(640)) + encode_hangup())
    assert await asyncio.wait_for(recorder.finished.get(), 5) == stream_id
    assert recorder.streams[stream_id].audio_bytes == 640
    assert recorder.streams[stream_id].end_reason == "hangup"


async def wait_for_end(recorder: Recorder) -> Received:
    return recorder.streams[await asyncio.wait_for(recorder.finished.get(), 5)]


async def test_a_call_streams_audio_and_dtmf_until_hangup(served) -> None:
    server, recorder = served
    stream_id = uuid.uuid4()
    wire = encode_uuid(stream_id) + encode_audio(bytes(3200)) + encode_dtmf("1")
    await send(server, wire + encode_dtmf("#") + encode_hangup())
    got = await wait_for_end(recorder)
    assert (got.audio_bytes, got.digits, got.end_reason) == (3200, "1#", "hangup")
    assert recorder.issues == []
    assert server.stats()["ended"] == {"hangup": 1}


async def test_socket_close_without_hangup_frame_ends_the_stream(served) -> None:
    server, recorder = served
    await send(server, encode_uuid(uuid.uuid4()) + encode_audio(bytes(320)))
    got = await wait_for_end(recorder)
    assert (got.audio_bytes, got.end_reason) == (320, "closed")
    assert recorder.issues == []


async def test_truncated_header(served) -> None:
    server, recorder = served
    await send(server, encode_uuid(uuid.uuid4()) + encode_audio(bytes(320)) + b"\x10\x01")
    got = await wait_for_end(recorder)
    assert (got.audio_bytes, got.end_reason) == (320, "truncated_header")
    assert recorder.issue_codes() == ["truncated_header"]
    assert recorder.issues[0].fatal
    await assert_still_serving(server, recorder)


async def test_length_beyond_the_payload(served) -> None:
    server, recorder = served
    await send(server, encode_uuid(uuid.uuid4()) + b"\x10\x01\x40" + bytes(100))
    got = await wait_for_end(recorder)
    assert got.end_reason == "truncated_payload"
    assert "only 100" in recorder.issues[0].message
    await assert_still_serving(server, recorder)


async def test_unknown_kind_is_reported_and_the_audio_after_it_arrives(served) -> None:
    server, recorder = served
    wire = encode_uuid(uuid.uuid4()) + encode_frame(0x7E, b"??") + encode_audio(bytes(320))
    await send(server, wire + encode_hangup())
    got = await wait_for_end(recorder)
    assert (got.audio_bytes, got.end_reason) == (320, "hangup")
    assert recorder.issue_codes() == ["unknown_kind"]
    assert not recorder.issues[0].fatal


async def test_audio_before_the_uuid(served) -> None:
    server, recorder = served
    await send(server, encode_audio(bytes(320)) + encode_uuid(uuid.uuid4()))
    await asyncio.sleep(0.1)
    [issue] = recorder.issues
    assert (issue.code, issue.stream_id, issue.fatal) == ("uuid_not_first", None, True)
    assert recorder.streams == {}
    await assert_still_serving(server, recorder)


async def test_odd_number_of_audio_bytes_loses_nothing(served) -> None:
    server, recorder = served
    wire = encode_uuid(uuid.uuid4())
    wire += encode_frame(Kind.AUDIO, bytes(321)) + encode_frame(Kind.AUDIO, bytes(319))
    await send(server, wire + encode_hangup())
    got = await wait_for_end(recorder)
    assert got.audio_bytes == 640
    assert set(recorder.issue_codes()) == {"odd_audio_length"}


async def test_minutes_of_silence_are_received_in_full(served) -> None:
    server, recorder = served
    minutes = 5
    wire = encode_uuid(uuid.uuid4()) + encode_audio(SECOND_OF_SILENCE * 60 * minutes)
    await send(server, wire + encode_hangup())
    got = await wait_for_end(recorder)
    assert got.audio_bytes == len(SECOND_OF_SILENCE) * 60 * minutes
    assert got.end_reason == "hangup"


async def test_a_client_that_never_hangs_up_is_cut_at_max_duration(served) -> None:
    server, recorder = served
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(encode_uuid(uuid.uuid4()))
    # Keep talking (so the idle timeout never fires) past the 2 s maximum.
    for _ in range(30):
        writer.write(encode_audio(bytes(3200)))
        await writer.drain()
        await asyncio.sleep(0.1)
        if not recorder.finished.empty():
            break
    got = await wait_for_end(recorder)
    assert got.end_reason == "max_duration"
    assert recorder.issue_codes() == ["max_duration"]
    writer.close()
    await assert_still_serving(server, recorder)


async def test_a_client_that_goes_quiet_after_the_uuid_is_idled_out(served) -> None:
    server, recorder = served
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(encode_uuid(uuid.uuid4()) + encode_audio(bytes(320)))
    await writer.drain()
    got = await wait_for_end(recorder)
    assert (got.audio_bytes, got.end_reason) == (320, "idle_timeout")
    writer.close()


async def test_a_client_that_connects_and_sends_nothing(served) -> None:
    server, recorder = served
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    # The server gives up after the first-frame timeout and closes the socket.
    assert await asyncio.wait_for(reader.read(), 3) == b""
    assert recorder.issue_codes() == ["no_uuid"]
    writer.close()
    await assert_still_serving(server, recorder)


async def test_a_hundred_concurrent_connections(served) -> None:
    server, recorder = served
    ids = [uuid.uuid4() for _ in range(100)]

    async def call(stream_id: uuid.UUID) -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(encode_uuid(stream_id))
        for _ in range(5):
            writer.write(encode_audio(bytes(320)))
            await writer.drain()
            await asyncio.sleep(0.02)
        writer.write(encode_hangup())
        await writer.drain()
        writer.close()

    await asyncio.gather(*(call(i) for i in ids))
    ended = {await asyncio.wait_for(recorder.finished.get(), 5) for _ in ids}
    assert ended == set(ids)
    assert all(recorder.streams[i].audio_bytes == 1600 for i in ids)
    assert server.stats()["ended"] == {"hangup": 100}
    assert server.stats()["active"] == 0


async def test_a_failing_handler_is_reported_and_does_not_stop_the_server() -> None:
    recorder = Recorder()
    calls = 0

    async def handler(stream: AudioStream) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("boom")
        await recorder.handle(stream)

    server = AudioSocketServer("127.0.0.1", 0, handler, on_issue=recorder.issues.append)
    async with server:
        await send(server, encode_uuid(uuid.uuid4()) + encode_hangup())
        await asyncio.sleep(0.1)
        assert recorder.issue_codes() == ["handler_error"]
        assert "boom" in recorder.issues[0].message
        await assert_still_serving(server, recorder)


def _talk_until_hung_up(
    port: int, stream_id: uuid.UUID, connected: threading.Event, give_up: threading.Event
) -> None:
    """Asterisk's side of a call: audio as fast as the socket takes it, until the server hangs
    up (or the test gives up on it)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(encode_uuid(stream_id))
        connected.set()
        frame = encode_audio(bytes(320))
        with contextlib.suppress(OSError):
            while not give_up.is_set():
                sock.sendall(frame)


async def test_a_stop_ends_streams_whose_caller_is_still_talking() -> None:
    # On Python 3.11 asyncio.wait_for returns the data instead of raising when a cancellation
    # arrives as its read completes, which is all the time while audio keeps coming: the stream
    # then never saw the stop, and stop() waited for it forever.
    for _ in range(10):
        recorder = Recorder()
        server = AudioSocketServer("127.0.0.1", 0, recorder.handle)
        await server.start()
        connected, give_up = threading.Event(), threading.Event()
        caller = threading.Thread(
            target=_talk_until_hung_up,
            args=(server.port, uuid.uuid4(), connected, give_up),
            daemon=True,
        )
        caller.start()
        assert await asyncio.to_thread(connected.wait, 5)
        while not recorder.streams or not next(iter(recorder.streams.values())).audio_bytes:
            await asyncio.sleep(0.01)
        stopping = asyncio.create_task(server.stop())
        stopped, _ = await asyncio.wait({stopping}, timeout=10)
        give_up.set()  # a stream that missed its stop ends when its caller goes
        await stopping
        await asyncio.to_thread(caller.join, 5)
        assert stopped, "the stop waited for a stream whose caller was still talking"
        assert server.stats()["ended"] == {"server_stopped": 1}


async def talking(server: AudioSocketServer, stream_id: uuid.UUID) -> asyncio.StreamWriter:
    """A call that has sent its UUID and some audio and stays open."""
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(encode_uuid(stream_id) + encode_audio(bytes(320)))
    await writer.drain()
    return writer


async def until(condition: Callable[[], bool], seconds: float = 5) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("before_uuid", [False, True], ids=["after-uuid", "before-uuid"])
async def test_a_flood_of_unknown_frames_is_logged_once_and_the_connection_closed(
    served, caplog: pytest.LogCaptureFixture, before_uuid: bool
) -> None:
    server, recorder = served
    flood = encode_frame(0x42) * 350_000  # 1 MB of 3-byte frames of a kind nobody sends
    wire = flood + encode_uuid(uuid.uuid4()) if before_uuid else encode_uuid(uuid.uuid4()) + flood
    caplog.set_level(logging.WARNING, logger="telephony.audiosocket.server")
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(wire)
    with contextlib.suppress(ConnectionError):
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    await until(lambda: server.stats()["active"] == 0)
    assert recorder.issue_codes() == ["unknown_kind", "too_many_issues"]
    assert server.stats()["ended"] == {"too_many_issues": 1}
    issues = server.stats()["issues"]
    assert isinstance(issues, dict) and issues["unknown_kind"] > server.limits.max_issues
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 3, lines  # the first, the closing, and one line with the count
    assert f"unknown_kind ×{issues['unknown_kind'] - 1}" in lines[-1]
    await assert_still_serving(server, recorder)


@pytest.fixture
async def capped() -> AsyncIterator[tuple[AudioSocketServer, Recorder]]:
    """At most 3 streams; a connection without audio may be dropped after 0.2 s."""
    timeouts = Timeouts(first_frame=5, idle=5, max_duration=30)
    async with serving(timeouts, Limits(max_streams=3, unproven_grace=0.2)) as served:
        yield served


async def test_beyond_the_cap_of_talking_streams_a_newcomer_is_refused_with_a_hangup(
    capped,
) -> None:
    server, recorder = capped
    calls = [await talking(server, uuid.uuid4()) for _ in range(3)]
    await until(lambda: sum(got.audio_bytes for got in recorder.streams.values()) == 960)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(encode_uuid(uuid.uuid4()))
    assert await asyncio.wait_for(reader.read(), 5) == encode_hangup()
    writer.close()
    assert recorder.issue_codes() == ["too_many_streams"]
    assert len(recorder.streams) == 3
    calls[0].write(encode_hangup())
    await wait_for_end(recorder)
    await assert_still_serving(server, recorder)
    for call in calls:
        call.close()


async def test_at_the_cap_a_real_call_takes_the_place_of_a_connection_without_audio(
    capped,
) -> None:
    server, recorder = capped
    silent = []
    for wire in (b"", encode_uuid(uuid.uuid4()), encode_uuid(uuid.uuid4())):
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(wire)
        silent.append((reader, writer))
    await until(lambda: len(recorder.streams) == 2)
    await asyncio.sleep(0.3)  # past the grace a connection gets to send audio
    real = [uuid.uuid4() for _ in range(3)]
    calls = [await talking(server, stream_id) for stream_id in real]  # each takes a place
    await until(lambda: all(recorder.streams.get(i, Received()).audio_bytes for i in real))
    for reader, writer in silent:
        assert await asyncio.wait_for(reader.read(), 5) == b""
        writer.close()
    assert recorder.issue_codes() == ["evicted"] * 3
    for call in calls:
        call.write(encode_hangup())
    await until(lambda: server.stats()["active"] == 0)
    assert server.stats()["ended"] == {"evicted": 3, "hangup": 3}
    for call in calls:
        call.close()


async def test_a_second_connection_with_an_open_streams_uuid_is_refused(served) -> None:
    server, recorder = served
    stream_id = uuid.uuid4()
    first = await talking(server, stream_id)
    await until(lambda: stream_id in recorder.streams)
    reader, second = await asyncio.open_connection("127.0.0.1", server.port)
    second.write(encode_uuid(stream_id) + encode_audio(bytes(6400)))
    assert await asyncio.wait_for(reader.read(), 5) == encode_hangup()
    second.close()
    first.write(encode_audio(bytes(320)) + encode_hangup())
    got = await wait_for_end(recorder)
    assert (got.audio_bytes, got.end_reason) == (640, "hangup")
    [issue] = recorder.issues
    assert (issue.code, issue.stream_id, issue.fatal) == ("duplicate_uuid", None, True)
    assert str(stream_id) in issue.message
    await assert_still_serving(server, recorder)  # and the UUID is free again once it ended
    again = await talking(server, stream_id)
    again.write(encode_hangup())
    await wait_for_end(recorder)
    again.close()


async def test_nothing_of_a_connection_is_kept_once_it_ends(capped) -> None:
    server, _ = capped
    stream_id = uuid.uuid4()
    first = await talking(server, stream_id)
    others = [await talking(server, uuid.uuid4()) for _ in range(2)]
    _, duplicate = await asyncio.open_connection("127.0.0.1", server.port)
    duplicate.write(encode_uuid(stream_id))
    for writer in (first, *others):
        writer.write(encode_hangup())
    await until(lambda: server.stats()["active"] == 0)
    assert server.stats()["streams_open"] == 0
    assert server._connections == {} and server._streams == {}
    duplicate.close()


async def test_a_flood_of_connections_without_a_stream_is_logged_once_with_a_count(
    served, caplog: pytest.LogCaptureFixture
) -> None:
    server, recorder = served
    caplog.set_level(logging.WARNING, logger="telephony.audiosocket.server")
    for _ in range(20):  # audio before the UUID: each connection is closed at once
        await send(server, encode_audio(bytes(320)) + encode_uuid(uuid.uuid4()))
    await until(lambda: server.stats()["ended"] == {"uuid_not_first": 20})
    assert recorder.issue_codes() == ["uuid_not_first"] * 20  # the application hears each
    [line] = [record.getMessage() for record in caplog.records]
    assert "uuid_not_first" in line and "0 more like it" in line
    await until(lambda: server.stats()["active"] == 0)
