"""The routing model behind the app, loaded once per process and shared by every request."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from hotline.metrics.series import classified

log = logging.getLogger(__name__)


class Router:
    """The loaded classifier: ``suggest(text)`` is ``Suggestion.to_dict()``."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def suggest(self, text: str) -> dict[str, Any]:
        return classified(lambda: self.model.predict(text).to_dict())


_LOADED: dict[Path, Router | None] = {}
_LOCK = threading.Lock()


def model_directory(configured: str | None) -> Path:
    """The configured directory (``HOTLINE_CLASSIFIER_MODEL``), else the shipped model."""
    from classifier.model import default_model_dir

    return Path(configured).resolve() if configured else default_model_dir().resolve()


def load_router(configured: str | None) -> Router | None:
    """The router for a model directory, loaded on first use and then shared; ``None`` (with
    a warning, once) when the directory holds no usable model, so the app still starts."""
    directory = model_directory(configured)
    with _LOCK:
        if directory not in _LOADED:
            _LOADED[directory] = _load(directory)
        return _LOADED[directory]


def _load(directory: Path) -> Router | None:
    from classifier.model import ModelDirectoryError, RoutingModel

    try:
        return Router(RoutingModel.load(directory))
    except ModelDirectoryError as exc:
        log.warning("routing suggestions are off: %s", exc)
        return None


def preload(configured: str | None) -> threading.Thread:
    """Load the model in a background thread so the first ticket does not wait for it."""
    thread = threading.Thread(
        target=load_router, args=(configured,), name="routing-model-load", daemon=True
    )
    thread.start()
    return thread
