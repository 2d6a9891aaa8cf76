"""``hotline transcribe FILE.wav`` (offline transcription of a recording) and ``hotline
speech-server`` (the live AudioSocket server in a process of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import typer
from tqdm import tqdm

from hotline.cli_errors import refuse
from hotline.config import Settings
from hotline.metrics.listener import (
    METRICS_HOST,
    METRICS_PORT,
    metrics_listener,
    refuse_unless_metrics_can_listen,
)
from hotline.services import Services
from hotline.speech.decoder import prepare_model_dir
from hotline.speech.live import (
    PORT_ENV,
    decoder_settings,
    model_path,
    shared_model,
    start_live_speech,
)
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
        refuse(str(error))
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


def speech_server(
    host: str | None = typer.Option(None, help="监听地址（默认 HOTLINE_AUDIOSOCKET_HOST）"),
    port: int | None = typer.Option(
        None, help="AudioSocket 端口（默认 HOTLINE_AUDIOSOCKET_PORT；0 表示任一空闲端口）"
    ),
    metrics_host: str = METRICS_HOST,
    metrics_port: int | None = METRICS_PORT,
) -> None:
    """Run the live AudioSocket speech server without the web server: one model per host;
    transcripts are written to the database and published on the bus (Redis with
    HOTLINE_REDIS_URL, so the API workers' pages see them)."""
    from_env = Settings.from_env()
    settings = replace(
        from_env,
        audiosocket_host=host or from_env.audiosocket_host,
        audiosocket_port=from_env.audiosocket_port if port is None else port,
    )
    if settings.audiosocket_port is None:
        refuse(f"请设置 {PORT_ENV} 或 --port")
    refuse_unless_metrics_can_listen(settings, metrics_host, metrics_port)
    try:
        typer.echo(f"语音模型：{model_path(settings)}（加载中）")
        shared_model(settings)  # before listening: a bad model is an error, not a dead server
    except ModelError as error:
        refuse(f"语音模型不可用：{error}")
    if not settings.redis_url:
        typer.secho(
            "提示：未设置 HOTLINE_REDIS_URL，转写照常写入数据库，但实时事件只在本进程内发布",
            fg=typer.colors.YELLOW,
        )
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve_until_stopped(settings, metrics_host, metrics_port))
    typer.echo("语音识别服务已停止")


async def run_speech_server(
    settings: Settings,
    services: Services,
    stop: asyncio.Event,
    on_listening: Callable[[int], None],
    *,
    metrics_host: str = "127.0.0.1",
    metrics_port: int | None = None,
) -> None:
    """The live speech service with the app's sink until ``stop`` is set (or the task is
    cancelled); then the server stops and the sink drains before this returns. With
    ``metrics_port``, its /metrics on that port meanwhile."""
    speech, stop_live_speech = await start_live_speech(settings, services)
    on_listening(speech.port)
    try:
        async with metrics_listener(services, metrics_host, metrics_port, speech_service=speech):
            await stop.wait()
    finally:
        await stop_live_speech()


async def _serve_until_stopped(
    settings: Settings, metrics_host: str, metrics_port: int | None
) -> None:
    stop = asyncio.Event()
    # Ctrl-C cancels this task (asyncio.run's own handler); SIGTERM ends it the same clean way.
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    services = Services(settings)

    listening = False

    def say_listening(port: int) -> None:
        nonlocal listening
        listening = True
        address = f"{settings.audiosocket_host}:{port}"
        typer.echo(f"AudioSocket 语音识别：{address}，按 Ctrl-C 退出")

    try:
        await run_speech_server(
            settings,
            services,
            stop,
            say_listening,
            metrics_host=metrics_host,
            metrics_port=metrics_port,
        )
    except OSError as error:
        if listening:  # a failure while serving is not a failure to listen
            raise
        address = f"{settings.audiosocket_host}:{settings.audiosocket_port}"
        refuse(f"AudioSocket 无法监听 {address}：{error}")  # the port is taken, or not this host's
    finally:
        services.close()
