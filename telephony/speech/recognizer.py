"""One Vosk recogniser per stream, turned into partial and final transcript events.

Everything here is synchronous and CPU-bound: the service runs it in a worker thread (Vosk's
C calls release the GIL), one call at a time per stream so events stay in order.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import vosk

from telephony.speech.text import normalize_text

EventKind = Literal["partial", "final", "closed", "error"]
FRAME_SECONDS = 0.02


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Segment:
    """One recognised utterance; times are seconds from the start of the stream or file."""

    text: str
    normalized_text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TranscriptEvent:
    """What the sink receives. ``code`` names the error, or why a stream was closed."""

    uuid: str
    kind: EventKind
    text: str = ""
    normalized_text: str = ""
    start: float | None = None
    end: float | None = None
    words: tuple[Word, ...] = ()
    code: str | None = None
    sequence: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_segment(self) -> Segment:
        return Segment(
            self.text, self.normalized_text, self.start or 0.0, self.end or 0.0, self.words
        )


class StreamRecognizer:
    """Feeds one stream's audio to a KaldiRecognizer in 20 ms frames.

    ``accept`` returns the finals Vosk's endpointing produced and, when allowed, a partial at
    most every ``partial_interval`` seconds of audio (only when its text changed).
    """

    def __init__(
        self, model: vosk.Model, sample_rate: int, stream_id: str, partial_interval: float = 0.3
    ) -> None:
        self.stream_id = stream_id
        self.sample_rate = sample_rate
        self.partial_interval = partial_interval
        self._recognizer = vosk.KaldiRecognizer(model, sample_rate)
        self._recognizer.SetWords(True)
        self._frame_bytes = int(sample_rate * FRAME_SECONDS) * 2
        self._samples = 0
        self._utterance_start = 0.0
        self._last_partial_at = 0.0
        self._last_partial_text = ""

    @property
    def seconds(self) -> float:
        """Audio accepted so far, in stream seconds."""
        return self._samples / self.sample_rate

    def accept(self, pcm: bytes, partials: bool = True) -> list[TranscriptEvent]:
        events: list[TranscriptEvent] = []
        for offset in range(0, len(pcm), self._frame_bytes):
            frame = pcm[offset : offset + self._frame_bytes]
            self._samples += len(frame) // 2
            if self._recognizer.AcceptWaveform(frame):
                events.extend(self._final(self._recognizer.Result()))
            elif partials and self.seconds - self._last_partial_at >= self.partial_interval:
                events.extend(self._partial())
        return events

    def finish(self) -> list[TranscriptEvent]:
        """Flush the last utterance at the end of the stream."""
        return self._final(self._recognizer.FinalResult())

    def _partial(self) -> list[TranscriptEvent]:
        self._last_partial_at = self.seconds
        text = json.loads(self._recognizer.PartialResult()).get("partial", "").strip()
        if not text or text == self._last_partial_text:
            return []
        self._last_partial_text = text
        return [
            TranscriptEvent(
                self.stream_id,
                "partial",
                text,
                normalize_text(text),
                start=self._utterance_start,
                end=round(self.seconds, 3),
            )
        ]

    def _final(self, result_json: str) -> list[TranscriptEvent]:
        segment = segment_from_result(json.loads(result_json), self._utterance_start, self.seconds)
        self._utterance_start = self.seconds
        self._last_partial_text = ""
        if segment is None:
            return []
        return [
            TranscriptEvent(
                self.stream_id,
                "final",
                segment.text,
                segment.normalized_text,
                segment.start,
                segment.end,
                segment.words,
            )
        ]


def segment_from_result(result: dict[str, Any], start: float, end: float) -> Segment | None:
    """A Segment from a Vosk Result(); word times give its bounds when present."""
    text = str(result.get("text", "")).strip()
    if not text:
        return None
    words = tuple(
        Word(str(w["word"]), float(w["start"]), float(w["end"]), float(w.get("conf", 1.0)))
        for w in result.get("result", [])
    )
    if words:
        start, end = words[0].start, words[-1].end
    return Segment(text, normalize_text(text), round(start, 3), round(end, 3), words)
