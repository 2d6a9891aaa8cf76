"""Transcribing a recording file, with progress for long ones."""

from __future__ import annotations

import os
from collections.abc import Callable

import vosk

from telephony.speech.audio import read_wav
from telephony.speech.model import load_model
from telephony.speech.recognizer import Segment, StreamRecognizer, TranscriptEvent

Progress = Callable[[float, float], None]
BLOCK_SECONDS = 1.0


def transcribe_file(
    path: str | os.PathLike[str],
    model: vosk.Model | str | os.PathLike[str] | None = None,
    progress: Progress | None = None,
) -> list[Segment]:
    """Recognise a PCM WAV file (any rate, width, channels) into timed segments.

    ``model`` is a loaded model, a model directory, or None for ``HOTLINE_VOSK_MODEL``.
    ``progress(done_seconds, total_seconds)`` is called after every second of audio.
    """
    pcm = read_wav(path)
    if not isinstance(model, vosk.Model):
        model = load_model(model)
    recognizer = StreamRecognizer(model, pcm.sample_rate, str(path))
    block = int(pcm.sample_rate * BLOCK_SECONDS) * 2
    events: list[TranscriptEvent] = []
    for offset in range(0, len(pcm.data), block):
        events += recognizer.accept(pcm.data[offset : offset + block], partials=False)
        if progress is not None:
            progress(recognizer.seconds, pcm.seconds)
    events += recognizer.finish()
    return [event.to_segment() for event in events]
