"""Vosk speech-to-text: live AudioSocket streams and offline recordings. Never imports hotline."""

from telephony.speech.audio import AudioFormatError, read_wav, resample_pcm16
from telephony.speech.model import MODEL_ENV, ModelError, load_model, resolve_model_path
from telephony.speech.offline import transcribe_file
from telephony.speech.recognizer import Segment, StreamRecognizer, TranscriptEvent, Word
from telephony.speech.service import SpeechService
from telephony.speech.text import normalize_text

__all__ = [
    "MODEL_ENV",
    "AudioFormatError",
    "ModelError",
    "Segment",
    "SpeechService",
    "StreamRecognizer",
    "TranscriptEvent",
    "Word",
    "load_model",
    "normalize_text",
    "read_wav",
    "resample_pcm16",
    "resolve_model_path",
    "transcribe_file",
]
