"""SpeechService end to end: real TCP, real AudioSocket frames, the real Vosk engine."""

from __future__ import annotations

import asyncio
import gc
import itertools
import uuid
from collections import defaultdict

import pytest
import vosk

from telephony.audiosocket import (
    Limits,
    Timeouts,
    encode_audio,
    encode_frame,
    encode_hangup,
    encode_uuid,
)
from telephony.speech import SpeechService, TranscriptEvent
from telephony.speech import service as speech_service
from telephony.speech.recognizer import StreamRecognizer
from telephony.speech.service import MAX_JOB_SECONDS
from tests.speech_fixtures import Speech

pytestmark = pytest.mark.anyio

FRAME = 320  # 20 ms at 8 kHz


class Collector:
    def __init__(self) -> None:
        self.events: list[TranscriptEvent] = []
        self.closed: asyncio.Queue[str] = asyncio.Queue()

    async def __call__(self, event: TranscriptEvent) -> None:
        self.events.append(event)
        if event.kind == "closed":
            self.closed.put_nowait(event.uuid)

    def of(self, stream_id: uuid.UUID) -> list[TranscriptEvent]:
        return [e for e in self.events if e.uuid == str(stream_id)]


async def stream_audio(port: int, stream_id: uuid.UUID, pcm: bytes, pace: float) -> None:
    """Send pcm as 20 ms frames, ``pace`` seconds apart (0 = as fast as TCP allows)."""
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(encode_uuid(stream_id))
    for offset in range(0, len(pcm), FRAME):
        writer.write(encode_audio(pcm[offset : offset + FRAME]))
        if pace:
            await writer.drain()
            await asyncio.sleep(pace)
    writer.write(encode_hangup())
    await writer.drain()
    writer.close()


async def test_a_call_is_transcribed_live(ko_model: vosk.Model, korean_speech: Speech) -> None:
    sink = Collector()
    stream_id = uuid.uuid4()
    async with SpeechService(None, workers=2, sink=sink, model=ko_model) as service:
        # Real-time pace, as Asterisk sends it: the pool keeps up, so partials flow.
        await stream_audio(service.port, stream_id, korean_speech.pcm, pace=0.02)
        assert await asyncio.wait_for(sink.closed.get(), 30) == str(stream_id)
        stats = service.stats()
    events = sink.of(stream_id)
    kinds = [e.kind for e in events]
    assert kinds[-1] == "closed" and events[-1].code == "hangup"
    # The utterance that ends in the last final was announced by partials first. (The first
    # one may have none: Vosk stalls for about a second early in a stream, and a stream that
    # is behind skips its partials.)
    last_final = len(kinds) - 1 - kinds[::-1].index("final")
    assert "partial" in kinds[:last_final]
    assert events[kinds.index("partial", 1)].end <= events[last_final].end + 0.5
    finals = [e for e in events if e.kind == "final"]
    assert len(finals) >= 2, "the pause between the sentences should end a segment"
    assert all(f.text.strip() and f.normalized_text for f in finals)
    assert all(f.words and f.start is not None and f.end is not None for f in finals)
    bounds = [(f.start, f.end) for f in finals]
    assert all(start < end for start, end in bounds)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(bounds))
    assert bounds[-1][1] <= korean_speech.seconds
    assert [e.sequence for e in events] == sorted(e.sequence for e in events)
    assert stats["audio_seconds_received"] == pytest.approx(korean_speech.seconds, abs=0.01)
    assert stats["audio_seconds_recognized"] == stats["audio_seconds_received"]
    assert stats["audio_seconds_dropped"] == 0
    assert stats["errors"] == 0


async def test_a_saturated_pool_drops_partials_but_no_audio(
    ko_model: vosk.Model, korean_speech: Speech
) -> None:
    sink = Collector()
    ids = [uuid.uuid4() for _ in range(3)]
    async with SpeechService(None, workers=1, sink=sink, model=ko_model) as service:
        await asyncio.gather(
            *(stream_audio(service.port, i, korean_speech.sentence_pcm, pace=0) for i in ids)
        )
        closed = {await asyncio.wait_for(sink.closed.get(), 60) for _ in ids}
        stats = service.stats()
    assert closed == {str(i) for i in ids}
    assert stats["partials_dropped"] > 0
    sent = 3 * len(korean_speech.sentence_pcm) / 2 / 8000
    assert stats["audio_seconds_received"] == pytest.approx(sent, abs=0.01)
    assert stats["audio_seconds_recognized"] == stats["audio_seconds_received"]
    assert stats["audio_seconds_dropped"] == 0
    for stream_id in ids:
        assert any(e.kind == "final" and e.text for e in sink.of(stream_id))


async def test_a_backlog_is_recognized_in_bounded_jobs(
    ko_model: vosk.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop waits for the jobs in flight: none may hold more than MAX_JOB_SECONDS of audio,
    however far behind the stream is."""
    accepted: list[int] = []
    accept = StreamRecognizer.accept

    def recording_accept(self: StreamRecognizer, pcm: bytes, partials: bool) -> list:  # type: ignore[type-arg]
        accepted.append(len(pcm))
        return accept(self, pcm, partials)

    monkeypatch.setattr(StreamRecognizer, "accept", recording_accept)
    sink = Collector()
    stream_id = uuid.uuid4()
    async with SpeechService(None, workers=1, sink=sink, model=ko_model) as service:
        await stream_audio(service.port, stream_id, bytes(8000 * 2 * 30), pace=0)
        await asyncio.wait_for(sink.closed.get(), 60)
        stats = service.stats()
    assert max(accepted) <= 2 * 8000 * MAX_JOB_SECONDS
    assert sum(accepted) == 8000 * 2 * 30
    assert stats["audio_seconds_recognized"] == pytest.approx(30.0, abs=0.01)


async def test_backlog_overflow_is_counted_and_reported(ko_model: vosk.Model) -> None:
    sink = Collector()
    stream_id = uuid.uuid4()
    silence = bytes(8000 * 2 * 20)
    async with SpeechService(None, workers=1, sink=sink, model=ko_model, max_backlog=1.0) as svc:
        await stream_audio(svc.port, stream_id, silence, pace=0)
        await asyncio.wait_for(sink.closed.get(), 30)
        stats = svc.stats()
    errors = [e for e in sink.of(stream_id) if e.kind == "error"]
    assert [e.code for e in errors] == ["backlog_overflow"]
    assert stats["audio_seconds_dropped"] > 0
    total = stats["audio_seconds_recognized"] + stats["audio_seconds_dropped"]
    assert total == pytest.approx(stats["audio_seconds_received"], abs=0.01)
    assert stats["audio_seconds_received"] == pytest.approx(20.0, abs=0.01)


async def test_bad_streams_become_error_events_and_service_goes_on(
    ko_model: vosk.Model, korean_speech: Speech
) -> None:
    sink = Collector()
    timeouts = Timeouts(first_frame=0.3, idle=0.5, max_duration=30)
    async with SpeechService(None, sink=sink, model=ko_model, timeouts=timeouts) as service:
        # Audio before the UUID, then a silent client, then an unknown kind mid-stream.
        _, bad = await asyncio.open_connection("127.0.0.1", service.port)
        bad.write(encode_audio(bytes(FRAME)))
        _, silent = await asyncio.open_connection("127.0.0.1", service.port)
        odd_id = uuid.uuid4()
        _, odd = await asyncio.open_connection("127.0.0.1", service.port)
        odd.write(encode_uuid(odd_id) + encode_frame(0x33, b"x") + encode_audio(bytes(FRAME)))
        odd.write(encode_hangup())
        await asyncio.wait_for(sink.closed.get(), 10)
        await asyncio.sleep(0.6)  # past the first-frame timeout of the silent client
        good_id = uuid.uuid4()
        await stream_audio(service.port, good_id, korean_speech.sentence_pcm, pace=0)
        assert await asyncio.wait_for(sink.closed.get(), 30) == str(good_id)
        for writer in (bad, silent, odd):
            writer.close()
    codes = {e.code for e in sink.events if e.kind == "error"}
    assert {"uuid_not_first", "no_uuid", "unknown_kind"} <= codes
    assert [e.code for e in sink.of(odd_id) if e.kind == "closed"] == ["hangup"]
    assert any(e.kind == "final" and e.text for e in sink.of(good_id))


async def test_a_failing_sink_is_counted_and_later_events_still_flow(
    ko_model: vosk.Model,
) -> None:
    kinds: dict[str, list[str]] = defaultdict(list)
    closed: asyncio.Queue[str] = asyncio.Queue()

    def fragile_sink(event: TranscriptEvent) -> None:
        kinds[event.uuid].append(event.kind)
        if event.kind == "closed":
            closed.put_nowait(event.uuid)
            if len(kinds) == 1:
                raise RuntimeError("database down")

    async with SpeechService(None, sink=fragile_sink, model=ko_model) as service:
        for _ in range(2):
            await stream_audio(service.port, uuid.uuid4(), bytes(FRAME * 10), pace=0)
            await asyncio.wait_for(closed.get(), 30)
        stats = service.stats()
    assert stats["sink_errors"] == 1
    assert [events[-1] for events in kinds.values()] == ["closed", "closed"]


async def test_stop_closes_live_streams_with_a_closed_event(ko_model: vosk.Model) -> None:
    sink = Collector()
    stream_id = uuid.uuid4()
    service = SpeechService(None, sink=sink, model=ko_model)
    await service.start()
    _, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(encode_uuid(stream_id) + encode_audio(bytes(FRAME * 5)))
    await writer.drain()
    await asyncio.sleep(0.2)
    await service.stop()
    [closed] = [e for e in sink.of(stream_id) if e.kind == "closed"]
    assert closed.code == "service_stopped"
    writer.close()


def test_workers_must_be_positive() -> None:
    with pytest.raises(ValueError, match="workers must be at least 1"):
        SpeechService(None, workers=0)


async def test_streams_leave_no_recogniser_or_state_behind(ko_model: vosk.Model) -> None:
    """What 200 streams held (+620 MB) must be given back as they end: no recogniser, no
    session, no connection record survives its stream."""
    sink = Collector()
    async with SpeechService(
        None, workers=2, sink=sink, model=ko_model, limits=Limits(max_streams=4)
    ) as service:
        for _ in range(3):  # rounds of as many streams as the cap allows
            ids = [uuid.uuid4() for _ in range(4)]
            speech = bytes(FRAME * 50)
            await asyncio.gather(*(stream_audio(service.port, i, speech, pace=0) for i in ids))
            closed = {await asyncio.wait_for(sink.closed.get(), 30) for _ in ids}
            assert closed == {str(i) for i in ids}
        async with asyncio.timeout(5):  # the connections close just after their closed events
            while service.server.stats()["active"]:
                await asyncio.sleep(0.01)
        stats = service.stats()
        server = service.server.stats()
    gc.collect()
    assert [o for o in gc.get_objects() if isinstance(o, StreamRecognizer)] == []
    assert stats["streams_total"] == 12 and stats["streams_active"] == 0
    assert (server["active"], server["streams_open"], server["ended"]) == (0, 0, {"hangup": 12})


async def test_memory_is_handed_back_after_each_stream_once_its_recogniser_is_gone(
    ko_model: vosk.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    """glibc keeps what Kaldi frees in the pool's threads until malloc_trim: the service
    trims after every stream, when the stream's recogniser no longer exists."""
    recognisers_alive: list[int] = []

    def release() -> None:
        recognisers_alive.append(sum(isinstance(o, StreamRecognizer) for o in gc.get_objects()))

    monkeypatch.setattr(speech_service, "release_freed_memory", release)
    sink = Collector()
    async with SpeechService(None, workers=1, sink=sink, model=ko_model) as service:
        for _ in range(3):
            await stream_audio(service.port, uuid.uuid4(), bytes(FRAME * 50), pace=0)
            await asyncio.wait_for(sink.closed.get(), 30)
            async with asyncio.timeout(5):
                while len(recognisers_alive) < service.stats()["streams_total"]:
                    await asyncio.sleep(0.01)
    assert recognisers_alive == [0, 0, 0]
