"""The AudioSocket server over real TCP: good streams, every kind of bad input, and survival."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from telephony.audiosocket import (
    AudioSocketServer,
    AudioStream,
    Kind,
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


@pytest.fixture
async def served() -> AsyncIterator[tuple[AudioSocketServer, Recorder]]:
    recorder = Recorder()
    server = AudioSocketServer(
        "127.0.0.1",
        0,
        recorder.handle,
        on_issue=recorder.issues.append,
        timeouts=Timeouts(first_frame=0.5, idle=0.5, max_duration=2.0),
    )
    async with server:
        yield server, recorder


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
