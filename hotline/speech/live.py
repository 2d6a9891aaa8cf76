"""Live transcripts: the AudioSocket server, the shared model, the sink.

``start_live_speech(settings, services)`` starts ``telephony.speech``'s SpeechService; both
``install(app, settings, services)`` (beside the API when ``HOTLINE_AUDIOSOCKET_PORT`` is set)
and ``hotline speech-server`` (a process of its own) run it. Its sink
(``LiveTranscripts``) stores final segments, keeps the latest partial on the stream row
(written at most every ``partial_write_interval`` seconds per stream), ends the stream when it
closes, and publishes ``transcript.partial`` / ``transcript.final`` on the bus. After each final
segment the routing suggestion for the stream's text so far is published as
``classification.suggested`` — when ``services.router`` exists (an object with
``suggest(text) -> dict``); without it that step does nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import vosk
from fastapi import FastAPI

from hotline.config import Settings
from hotline.events import Event
from hotline.services import Services, jsonable
from hotline.speech import service
from hotline.speech.decoder import DecoderSettings, load_tuned_model
from telephony.audiosocket import Limits
from telephony.speech import (
    MODEL_ENV,
    ModelError,
    SpeechService,
    TranscriptEvent,
    resolve_model_path,
)

log = logging.getLogger(__name__)
Stopper = Callable[[], Awaitable[None]]
PORT_ENV = "HOTLINE_AUDIOSOCKET_PORT"
# A live call costs 0.3–0.5 of a recognition thread (docs/benchmarks.md, "Speech"): beyond
# about three per thread every call falls behind, so more are refused rather than queued.
STREAMS_PER_WORKER = 3


def model_path(settings: Settings) -> Path:
    """The configured model directory; a ModelError naming HOTLINE_VOSK_MODEL otherwise."""
    if not settings.vosk_model:
        raise ModelError(
            f"no speech model configured: set {MODEL_ENV} to a Vosk model directory "
            "(for example /var/lib/hotline/models/vosk-model-small-cn-0.22)"
        )
    return resolve_model_path(settings.vosk_model)


def decoder_settings(settings: Settings) -> DecoderSettings:
    """From the environment, overridden by ``settings.extra`` (same variable names)."""
    return DecoderSettings.from_mapping({**os.environ, **settings.extra})


_MODELS: dict[tuple[Path, tuple[tuple[str, str], ...]], vosk.Model] = {}
_MODELS_LOCK = threading.Lock()


def shared_model(settings: Settings) -> vosk.Model:
    """The process's Vosk model for these settings, loaded on first use (seconds, hundreds of
    MB; call it in a thread) and then shared by live streams, recording uploads and every app
    made in this process."""
    path = model_path(settings).resolve()
    decoder = decoder_settings(settings)
    key = (path, tuple(sorted(decoder.overrides.items())))
    with _MODELS_LOCK:
        if key not in _MODELS:
            _MODELS[key] = load_tuned_model(path, decoder)
        return _MODELS[key]


@dataclass
class _LiveStream:
    call_id: int | None = None
    partial_written_at: float = float("-inf")


class LiveTranscripts:
    """The SpeechService's sink. Database writes and publishing run in a worker thread, one
    event at a time, so the event loop never waits for the database and order is kept."""

    def __init__(
        self,
        services: Services,
        partial_write_interval: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self.partial_write_interval = partial_write_interval
        self._monotonic = monotonic
        self._streams: dict[str, _LiveStream] = {}
        self.suggestions = Suggestions(services)

    async def __call__(self, event: TranscriptEvent) -> None:
        if not event.uuid:  # no stream to record; the AudioSocket server has logged it
            return
        await asyncio.to_thread(self.record, event)
        if event.kind == "final":
            self.suggestions.request(event.uuid)

    def record(self, event: TranscriptEvent) -> None:
        state = self._streams.setdefault(event.uuid, _LiveStream())
        now = self._monotonic()
        if event.kind == "partial" and now - state.partial_written_at < self.partial_write_interval:
            self.services.bus.publish(_bus_event(event, state.call_id))
            return
        if event.kind == "error" and not event.extra.get("fatal"):
            log.warning("speech stream %s: %s (%s)", event.uuid, event.text, event.code)
            return
        with self.services.unit() as (session, outbox):
            stream = service.open_stream(session, event.uuid, self.services.clock())
            state.call_id = service.link_call(session, stream)
            if event.kind == "partial":
                stream.partial = event.normalized_text
                state.partial_written_at = now
            elif event.kind == "final":
                service.add_segment(
                    session,
                    stream,
                    event.text,
                    event.normalized_text,
                    event.start or 0.0,
                    event.end or 0.0,
                )
            else:  # closed, or a fatal error (its closed event follows)
                service.end_stream(session, stream, self.services.clock(), event.code or "closed")
                self._streams.pop(event.uuid, None)
            if event.kind in ("partial", "final"):
                outbox.events.append(_bus_event(event, state.call_id))

    async def drain(self) -> None:
        await self.suggestions.drain()


def _bus_event(event: TranscriptEvent, call_id: int | None) -> Event:
    return Event(
        f"transcript.{event.kind}",
        {
            "uuid": event.uuid,
            "call_id": call_id,
            "text": event.normalized_text,
            "start": event.start,
            "end": event.end,
        },
    )


class Suggestions:
    """``classification.suggested`` after final segments, computed off the event loop. One
    computation per stream at a time; finals that arrive meanwhile are folded into one more
    run on the text as it then stands, so a slow classifier never queues up work."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._running: dict[str, asyncio.Task[None]] = {}
        self._rerun: set[str] = set()

    def request(self, stream_uuid: str) -> None:
        if stream_uuid in self._running:
            self._rerun.add(stream_uuid)
            return
        self._running[stream_uuid] = asyncio.create_task(self._run(stream_uuid))

    async def drain(self) -> None:
        while self._running:
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _run(self, stream_uuid: str) -> None:
        try:
            while True:
                self._rerun.discard(stream_uuid)
                await asyncio.to_thread(self.suggest, stream_uuid)
                if stream_uuid not in self._rerun:
                    break
        except Exception:
            log.exception("routing suggestion failed for stream %s", stream_uuid)
        finally:
            self._running.pop(stream_uuid, None)

    def suggest(self, stream_uuid: str) -> None:
        # Services.router loads the classifier on first use (seconds): only ever off the loop.
        router = getattr(self.services, "router", None)
        if router is None:
            return
        with self.services.sessions() as session:
            text = service.text_so_far(session, stream_uuid)
            call_id = service.call_id_of(session, stream_uuid)
        if not text:
            return
        suggestion = router.suggest(text)
        self.services.bus.publish(
            Event(
                "classification.suggested",
                {"uuid": stream_uuid, "call_id": call_id, "suggestion": jsonable(suggestion)},
            )
        )


async def start_live_speech(
    settings: Settings, services: Services
) -> tuple[SpeechService, Stopper]:
    """Load the shared model, start the AudioSocket server on ``settings.audiosocket_host`` /
    ``audiosocket_port`` with a ``LiveTranscripts`` sink; the stopper stops the server, then
    drains the sink. Used by ``hotline serve`` (``install``) and ``hotline speech-server``."""
    if settings.audiosocket_port is None:
        raise ValueError(f"{PORT_ENV} is not set: no port for the AudioSocket server")
    model_path(settings)  # a missing model stops the start-up, naming the variable
    sink = LiveTranscripts(services)
    workers = decoder_settings(settings).workers
    speech = SpeechService(
        None,
        settings.audiosocket_host,
        settings.audiosocket_port,
        workers=workers,
        sink=sink,
        model=await asyncio.to_thread(shared_model, settings),
        limits=Limits(max_streams=settings.audiosocket_max_streams or STREAMS_PER_WORKER * workers),
    )
    await speech.start()
    log.info("AudioSocket speech server on %s:%s", settings.audiosocket_host, speech.port)

    async def stop_live_speech() -> None:
        await speech.stop()
        await sink.drain()

    return speech, stop_live_speech


def install(app: FastAPI, settings: Settings, services: Services) -> None:
    """Run the live AudioSocket server beside the API when a port is set."""
    app.state.speech_service = None
    if settings.audiosocket_port is None:
        return

    async def start_in_app(app: FastAPI) -> Stopper:
        speech, stop_live_speech = await start_live_speech(settings, services)
        app.state.speech_service = speech

        async def stop_in_app() -> None:
            app.state.speech_service = None
            await stop_live_speech()

        return stop_in_app

    app.state.startups.append(start_in_app)
