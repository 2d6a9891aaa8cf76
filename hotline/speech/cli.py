"""``hotline transcribe FILE.wav``: offline transcription of a recording."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from tqdm import tqdm

from hotline.config import Settings
from hotline.speech.decoder import prepare_model_dir
from hotline.speech.live import decoder_settings, model_path
from hotline.speech.service import segment_json
from telephony.speech import AudioFormatError, ModelError, resolve_model_path, transcribe_file

# Recordings longer than this get a progress bar (on stderr, and only on a terminal).
PROGRESS_FROM_SECONDS = 60.0


def transcribe(
    recording: Path = typer.Argument(..., help="PCM WAV 录音文件（任意采样率、位宽、声道）"),
    as_json: bool = typer.Option(False, "--json", help="以 JSON 输出分段"),
    model: Path | None = typer.Option(None, help="Vosk 模型目录（默认取 HOTLINE_VOSK_MODEL）"),
) -> None:
    """Transcribe a WAV recording offline; segments with times in seconds."""
    settings = Settings.from_env()
    try:
        if not recording.is_file():
            raise FileNotFoundError(f"录音文件不存在：{recording}")
        directory = resolve_model_path(model) if model else model_path(settings)
        progress = ProgressBar()
        with prepare_model_dir(directory, decoder_settings(settings)) as tuned:
            try:
                segments = transcribe_file(recording, tuned, progress=progress)
            finally:
                progress.close()
    except (FileNotFoundError, AudioFormatError, ModelError) as error:
        typer.secho(f"错误：{error}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    if as_json:
        body = {"file": str(recording), "segments": [segment_json(s) for s in segments]}
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
        return
    for segment in segments:
        typer.echo(f"[{segment.start:8.2f} – {segment.end:8.2f}] {segment.normalized_text}")


class ProgressBar:
    """tqdm on stderr for a long recording, made once the length is known. ``disable=None``
    keeps it off when stderr is not a terminal, so piped JSON output stays clean."""

    def __init__(self) -> None:
        self.bar: tqdm | None = None  # type: ignore[type-arg]

    def __call__(self, done: float, total: float) -> None:
        if self.bar is None:
            long_file = total >= PROGRESS_FROM_SECONDS
            self.bar = tqdm(
                total=round(total, 1),
                unit="s",
                file=sys.stderr,
                disable=None if long_file else True,
            )
        self.bar.update(round(done - self.bar.n, 3))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
