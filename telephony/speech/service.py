"""Live transcription: AudioSocket streams in, TranscriptEvents out to the application's sink.

One Vosk model per process, one recogniser per stream, recognition in a bounded thread pool.
Per stream a single job is in flight at a time, taking the audio queued since the last one (at
most ``MAX_JOB_SECONDS`` of it), so events keep their order and a slow pool makes jobs bigger
rather than losing audio. The bound keeps a stop quick: it waits for the jobs in flight, and an
unbounded job could hold ``max_backlog`` seconds of audio.
A stream that is behind skips its partials (counted); audio beyond ``max_backlog`` seconds is
dropped, counted and reported as an error event — never silently.
"""

from __future__ import annotations

import asyncio
import ctypes
import inspect
import logging
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import vosk

from telephony.audiosocket import (
    AudioSocketServer,
    AudioStream,
    Frame,
    Limits,
    StreamIssue,
    Timeouts,
)
from telephony.speech.audio import resample_pcm16
from telephony.speech.model import load_model
from telephony.speech.recognizer import StreamRecognizer, TranscriptEvent

log = logging.getLogger(__name__)

Sink = Callable[[TranscriptEvent], Awaitable[None] | None]
MAX_JOB_SECONDS = 5.0
_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None)  # glibc only


def release_freed_memory() -> None:
    """Hand the memory that ended streams freed back to the system. Kaldi allocates in the
    pool's threads, and glibc keeps what is freed in their arenas: 30 streams of the Korean
    model took +550 MB that stayed after they ended, until malloc_trim gave back all but 16."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class _Session:
    """One stream: its queued audio, its recogniser, and the task that feeds the pool."""

    def __init__(self, service: SpeechService, stream_id: str) -> None:
        self.service = service
        self.stream_id = stream_id
        self.pending = bytearray()
        self.sample_rate = 0
        self.recognizer: StreamRecognizer | None = None
        self.wake = asyncio.Event()
        self.input_done = False
        self.overflow_reported = False
        self.rate_change_reported = False

    def add_audio(self, frame: Frame) -> None:
        service = self.service
        payload = frame.payload
        if not self.sample_rate:
            self.sample_rate = frame.sample_rate
        elif frame.sample_rate != self.sample_rate:
            payload = resample_pcm16(payload, frame.sample_rate, self.sample_rate)
            if not self.rate_change_reported:
                self.rate_change_reported = True
                service.report_error(
                    self.stream_id,
                    "rate_changed",
                    f"audio switched from {self.sample_rate} to {frame.sample_rate} Hz; "
                    "resampled to the stream's first rate",
                )
        seconds = len(payload) / 2 / self.sample_rate
        service.counters["audio_seconds_received"] += seconds
        if len(self.pending) / 2 / self.sample_rate + seconds > service.max_backlog:
            service.counters["audio_seconds_dropped"] += seconds
            if not self.overflow_reported:
                self.overflow_reported = True
                service.report_error(
                    self.stream_id,
                    "backlog_overflow",
                    f"recognition is more than {service.max_backlog:g} s behind; "
                    "incoming audio is being dropped (see stats audio_seconds_dropped)",
                )
            return
        self.pending += payload
        self.wake.set()

    async def pump(self) -> None:
        service = self.service
        loop = asyncio.get_running_loop()
        while True:
            await self.wake.wait()
            self.wake.clear()
            while self.pending:
                # Behind when more is queued than one turn of partials: skip them to catch up.
                behind = len(self.pending) / 2 / self.sample_rate > service.catch_up_threshold
                job_bytes = 2 * int(MAX_JOB_SECONDS * self.sample_rate)
                chunk = bytes(self.pending[:job_bytes])
                del self.pending[:job_bytes]
                if self.recognizer is None:
                    self.recognizer = await loop.run_in_executor(
                        service.pool,
                        StreamRecognizer,
                        service.model,
                        self.sample_rate,
                        self.stream_id,
                        service.partial_interval,
                    )
                chunk_seconds = len(chunk) / 2 / self.sample_rate
                if behind:
                    service.counters["partials_dropped"] += int(
                        chunk_seconds / service.partial_interval
                    )
                events = await loop.run_in_executor(
                    service.pool, self.recognizer.accept, chunk, not behind
                )
                service.counters["audio_seconds_recognized"] += chunk_seconds
                service.deliver_all(events)
            if self.input_done:
                break
        if self.recognizer is not None:
            service.deliver_all(await loop.run_in_executor(service.pool, self.recognizer.finish))


class SpeechService:
    """``SpeechService(model_path, host, port, workers, sink)``; ``async start()``/``stop()``.

    ``sink(event)`` may be a plain function or a coroutine function; it is called on the event
    loop, in order for each stream. Pass ``model=`` to share an already loaded model.
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None,
        host: str = "127.0.0.1",
        port: int = 0,
        workers: int = 2,
        sink: Sink | None = None,
        *,
        model: vosk.Model | None = None,
        partial_interval: float = 0.3,
        max_backlog: float = 60.0,
        timeouts: Timeouts | None = None,
        limits: Limits | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.model_path = model_path
        self.model = model
        self.workers = workers
        self.partial_interval = partial_interval
        # A job holding more than this much audio means the stream fell behind.
        self.catch_up_threshold = max(2 * partial_interval, 0.5)
        self.max_backlog = max_backlog
        self._sink = sink
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vosk")
        self.server = AudioSocketServer(
            host, port, self._handle, on_issue=self._on_issue, timeouts=timeouts, limits=limits
        )
        self.counters: Counter[str] = Counter()
        self._sequence = 0
        self._active = 0
        # One queue for all events: the sink sees them in the order they happened.
        self._outbox: asyncio.Queue[TranscriptEvent] = asyncio.Queue()
        self._delivery: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        return self.server.port

    async def start(self) -> None:
        if self.model is None:
            self.model = await asyncio.to_thread(load_model, self.model_path)
        self._delivery = asyncio.create_task(self._deliver_forever())
        await self.server.start()

    async def stop(self) -> None:
        """Stop accepting, close live streams (each gets a closed event), flush the sink."""
        await self.server.stop()
        await asyncio.to_thread(self.pool.shutdown, wait=True, cancel_futures=True)
        if self._delivery is not None:
            await self._outbox.join()
            self._delivery.cancel()
            self._delivery = None

    async def __aenter__(self) -> SpeechService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def stats(self) -> dict[str, object]:
        received = self.counters["audio_seconds_received"]
        recognized = self.counters["audio_seconds_recognized"]
        dropped = self.counters["audio_seconds_dropped"]
        return {
            "workers": self.workers,
            "streams_active": self._active,
            "streams_total": self.counters["streams"],
            "audio_seconds_received": round(received, 3),
            "audio_seconds_recognized": round(recognized, 3),
            "audio_seconds_dropped": round(dropped, 3),
            "audio_seconds_backlog": round(received - recognized - dropped, 3),
            "partials": self.counters["partial"],
            "partials_dropped": self.counters["partials_dropped"],
            "finals": self.counters["final"],
            "errors": self.counters["error"],
            "sink_errors": self.counters["sink_errors"],
            "server": self.server.stats(),
        }

    async def _handle(self, stream: AudioStream) -> None:
        session = _Session(self, str(stream.uuid))
        self.counters["streams"] += 1
        self._active += 1
        pump = asyncio.create_task(session.pump())
        try:
            async for frame in stream:
                if frame.is_audio:
                    session.add_audio(frame)
            session.input_done = True
            session.wake.set()
            try:
                await pump
            except Exception as exc:
                log.exception("recognition failed on stream %s", session.stream_id)
                self.report_error(session.stream_id, "recognition_failed", repr(exc))
            self.deliver(
                TranscriptEvent(session.stream_id, "closed", code=stream.end_reason or "closed")
            )
        finally:
            self._active -= 1
            # Soon, once this frame (and with it the stream's recogniser) is gone.
            loop = asyncio.get_running_loop()
            loop.call_soon(loop.run_in_executor, None, release_freed_memory)
            if not pump.done():
                pump.cancel()
                unrecognized = len(session.pending) / 2 / max(session.sample_rate, 1)
                self.counters["audio_seconds_dropped"] += unrecognized
                self.deliver(
                    TranscriptEvent(
                        session.stream_id,
                        "closed",
                        code="service_stopped",
                        extra={"audio_seconds_unrecognized": round(unrecognized, 3)},
                    )
                )

    def _on_issue(self, issue: StreamIssue) -> None:
        self.deliver(
            TranscriptEvent(
                str(issue.stream_id) if issue.stream_id else "",
                "error",
                text=issue.message,
                code=issue.code,
                extra={"fatal": issue.fatal, "peer": issue.peer},
            )
        )

    def report_error(self, stream_id: str, code: str, message: str) -> None:
        log.warning("speech stream %s: %s (%s)", stream_id, message, code)
        self.deliver(TranscriptEvent(stream_id, "error", text=message, code=code))

    def deliver_all(self, events: list[TranscriptEvent]) -> None:
        for event in events:
            self.deliver(event)

    def deliver(self, event: TranscriptEvent) -> None:
        self._sequence += 1
        self.counters[event.kind] += 1
        self._outbox.put_nowait(replace(event, sequence=self._sequence))

    async def _deliver_forever(self) -> None:
        while True:
            event = await self._outbox.get()
            try:
                if self._sink is not None:
                    result = self._sink(event)
                    if inspect.isawaitable(result):
                        await result
            except Exception:
                self.counters["sink_errors"] += 1
                log.exception("transcript sink failed on %s event of %s", event.kind, event.uuid)
            finally:
                self._outbox.task_done()
