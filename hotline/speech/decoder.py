"""Decoder settings for the Vosk model: a tuned copy of its ``conf/model.conf``.

Vosk reads its search parameters (``--beam``, ``--max-active``, ``--lattice-beam``) from the
model directory's ``conf/model.conf``. To change them without touching the installed model,
``prepare_model_dir`` builds a temporary directory whose entries link to the original model and
whose ``conf/model.conf`` is a rewritten copy. Vosk reads every file while loading, so the
directory is only needed until the model is loaded.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import vosk

from telephony.speech import ModelError, load_model, resolve_model_path

BEAM_ENV = "HOTLINE_VOSK_BEAM"
MAX_ACTIVE_ENV = "HOTLINE_VOSK_MAX_ACTIVE"
LATTICE_BEAM_ENV = "HOTLINE_VOSK_LATTICE_BEAM"
WORKERS_ENV = "HOTLINE_SPEECH_WORKERS"


@dataclass(frozen=True)
class DecoderSettings:
    """``None`` keeps the model's own value. ``workers`` is the recognition thread pool."""

    beam: float | None = None
    max_active: int | None = None
    lattice_beam: float | None = None
    workers: int = max(os.cpu_count() or 1, 1)

    @property
    def overrides(self) -> dict[str, str]:
        """The ``model.conf`` options this changes, e.g. ``{"--beam": "8"}``."""
        values = {
            "--beam": self.beam,
            "--max-active": self.max_active,
            "--lattice-beam": self.lattice_beam,
        }
        return {option: f"{value:g}" for option, value in values.items() if value is not None}

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> DecoderSettings:
        """From ``HOTLINE_VOSK_BEAM``, ``HOTLINE_VOSK_MAX_ACTIVE``, ``HOTLINE_VOSK_LATTICE_BEAM``
        and ``HOTLINE_SPEECH_WORKERS``; a value that is not a positive number is a ModelError."""
        workers = _positive(values, WORKERS_ENV, int)
        return cls(
            beam=_positive(values, BEAM_ENV, float),
            max_active=_positive(values, MAX_ACTIVE_ENV, int),
            lattice_beam=_positive(values, LATTICE_BEAM_ENV, float),
            workers=int(workers) if workers is not None else cls.workers,
        )


def _positive(values: Mapping[str, str], name: str, kind: type[int] | type[float]) -> float | None:
    raw = (values.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        value = 0
    if value <= 0:
        expected = "a positive whole number" if kind is int else "a positive number"
        raise ModelError(f"{name} must be {expected}, got {raw!r}")
    return value


def rewrite_model_conf(text: str, overrides: Mapping[str, str]) -> str:
    """``model.conf`` with each overridden option replaced, or appended when absent. Kaldi
    rejects ``--min-active`` above ``--max-active``, so a lower max-active lowers it too."""
    lines = text.splitlines()
    overrides = dict(overrides)
    if "--max-active" in overrides:
        min_active = _option_value(lines, "--min-active")
        if min_active is not None and float(min_active) > float(overrides["--max-active"]):
            overrides["--min-active"] = overrides["--max-active"]
    for option, value in overrides.items():
        pattern = re.compile(rf"^\s*{re.escape(option)}=")
        replaced = [f"{option}={value}" if pattern.match(line) else line for line in lines]
        if replaced == lines and not any(pattern.match(line) for line in lines):
            replaced.append(f"{option}={value}")
        lines = replaced
    return "\n".join(lines) + "\n"


def _option_value(lines: list[str], option: str) -> str | None:
    for line in lines:
        name, _, value = line.strip().partition("=")
        if name == option:
            return value
    return None


@contextmanager
def prepare_model_dir(
    model_path: str | os.PathLike[str], settings: DecoderSettings
) -> Iterator[Path]:
    """The directory to load: the model itself, or a linked copy with a tuned ``model.conf``."""
    model_dir = resolve_model_path(model_path)
    if not settings.overrides:
        yield model_dir
        return
    conf = model_dir / "conf" / "model.conf"
    if not conf.is_file():
        raise ModelError(f"{model_dir} has no conf/model.conf, so its decoder cannot be tuned")
    with tempfile.TemporaryDirectory(prefix="hotline-vosk-") as tmp:
        tuned = Path(tmp)
        for entry in model_dir.iterdir():
            if entry.name != "conf":
                (tuned / entry.name).symlink_to(entry.resolve())
        (tuned / "conf").mkdir()
        for entry in (model_dir / "conf").iterdir():
            if entry.name != "model.conf":
                (tuned / "conf" / entry.name).symlink_to(entry.resolve())
        (tuned / "conf" / "model.conf").write_text(
            rewrite_model_conf(conf.read_text(), settings.overrides)
        )
        yield tuned


def load_tuned_model(model_path: str | os.PathLike[str], settings: DecoderSettings) -> vosk.Model:
    """Load the model once, with the decoder settings applied (seconds, hundreds of MB)."""
    with prepare_model_dir(model_path, settings) as directory:
        model = load_model(directory)
    try:  # Vosk checks the decoder options only when a recogniser is made
        vosk.KaldiRecognizer(model, 8000)
    except Exception as exc:
        raise ModelError(
            f"Vosk rejected the decoder settings {settings.overrides} for {model_path}; "
            f"check {BEAM_ENV}, {MAX_ACTIVE_ENV} and {LATTICE_BEAM_ENV}"
        ) from exc
    return model
