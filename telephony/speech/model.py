"""Loading a Vosk model directory, once per process, with errors an operator can act on."""

from __future__ import annotations

import os
from pathlib import Path

import vosk

MODEL_ENV = "HOTLINE_VOSK_MODEL"
# Every Vosk model (small and large) has its acoustic model here.
_REQUIRED = Path("am") / "final.mdl"

vosk.SetLogLevel(-1)  # Kaldi logs every load and decode to stderr otherwise


class ModelError(Exception):
    """The speech model is missing or unusable. The message names HOTLINE_VOSK_MODEL."""


def resolve_model_path(path: str | os.PathLike[str] | None = None) -> Path:
    """The model directory: ``path`` if given, else the ``HOTLINE_VOSK_MODEL`` variable."""
    if path is None:
        value = os.environ.get(MODEL_ENV, "").strip()
        if not value:
            raise ModelError(
                f"no speech model configured: set {MODEL_ENV} to a Vosk model directory "
                "(for example /var/lib/hotline/models/vosk-model-small-cn-0.22)"
            )
        path = value
    model_dir = Path(path).expanduser()
    if not model_dir.is_dir():
        raise ModelError(
            f"speech model directory {model_dir} does not exist; "
            f"set {MODEL_ENV} to an unpacked Vosk model directory"
        )
    if not (model_dir / _REQUIRED).is_file():
        raise ModelError(
            f"{model_dir} is not a Vosk model (no {_REQUIRED}); "
            f"set {MODEL_ENV} to the directory that contains am/, conf/ and graph/"
        )
    return model_dir


def load_model(path: str | os.PathLike[str] | None = None) -> vosk.Model:
    """Load a Vosk model (slow: seconds, hundreds of MB). Load one per process and share it."""
    model_dir = resolve_model_path(path)
    try:
        return vosk.Model(str(model_dir))
    except Exception as exc:
        raise ModelError(
            f"Vosk could not load the model in {model_dir} ({exc}); "
            f"check that {MODEL_ENV} points to a complete, unpacked model"
        ) from exc
