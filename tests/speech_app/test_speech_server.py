"""``hotline speech-server``: the live AudioSocket server in a process of its own, beside an API
that runs without one (real TCP, the real Vosk engine with the Korean stand-in model, SQLite and
PostgreSQL); its errors; and ``hotline serve`` refusing several workers while the port is set."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, NoReturn

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from hotline.app import create_app
from hotline.cli import app
from hotline.config import Settings
from hotline.events import Event, InProcessBus
from hotline.services import Services
from hotline.speech.cli import run_speech_server
from hotline.speech.models import TranscriptStream
from telephony.audiosocket import encode_uuid
from tests.app_fixtures import Clock
from tests.speech_fixtures import Speech

from .conftest import FRAME, Live, add_call, assert_a_call_is_transcribed_and_linked, ended

runner = CliRunner()
START_TIMEOUT = 60.0


class SpeechServerThread:
    """``run_speech_server`` on an event loop of its own in a thread, as ``hotline
    speech-server`` runs it in a process of its own."""

    def __init__(
        self, settings: Settings, services: Services, *, metrics_port: int | None = None
    ) -> None:
        self.settings = settings
        self.services = services
        self.metrics_port = metrics_port
        self.port = 0
        self.error: BaseException | None = None
        self._listening = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="speech-server", daemon=True)

    def start(self) -> int:
        self._thread.start()
        assert self._listening.wait(START_TIMEOUT), "the speech server never started listening"
        if self.error is not None:
            raise self.error
        return self.port

    def stop(self) -> None:
        """Returns once the runner has returned: the server stopped, the sink drained."""
        if not self._thread.is_alive():
            return
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(START_TIMEOUT)
        assert not self._thread.is_alive(), "the speech server did not stop"
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:
            self.error = error
        finally:
            self._listening.set()  # a runner that failed to start must not leave start() hanging

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        def listening(port: int) -> None:
            self.port = port
            self._listening.set()

        await run_speech_server(
            self.settings, self.services, self._stop, listening, metrics_port=self.metrics_port
        )


class Standalone(Live):
    """An API without a speech server, and ``hotline speech-server``'s runner beside it: the two
    share only the database (and the bus, as Redis would carry it between processes)."""

    def __init__(self, client: TestClient, services: Services, server: SpeechServerThread) -> None:
        super().__init__(client, services, server.port)
        self.server = server


@pytest.fixture
def standalone(
    speech_settings: Settings, clock: Clock, events: list[Event]
) -> Iterator[Standalone]:
    bus = InProcessBus()
    bus.subscribe(events.append)
    speech_services = Services(speech_settings, bus=bus)
    speech_services.clock = clock
    api_settings = replace(speech_settings, audiosocket_port=None)
    api_services = Services(api_settings, bus=bus)
    server = SpeechServerThread(speech_settings, speech_services)
    try:
        server.start()
        with TestClient(create_app(api_settings, services=api_services)) as client:
            assert client.app.state.speech_service is None  # type: ignore[attr-defined]
            yield Standalone(client, api_services, server)
    finally:
        server.stop()
        api_services.close()
        speech_services.close()


def test_the_speech_server_transcribes_a_call_as_the_app_does(
    standalone: Standalone, korean_speech: Speech, events: list[Event]
) -> None:
    assert standalone.port > 0  # port 0 asked for any free port
    assert_a_call_is_transcribed_and_linked(standalone, korean_speech, events)


def test_stopping_the_speech_server_ends_open_streams_before_it_returns(
    standalone: Standalone, korean_speech: Speech, events: list[Event]
) -> None:
    stream_id, call_id, sock = standalone.call(korean_speech.sentence_pcm, pace=0.005)
    deadline = time.monotonic() + START_TIMEOUT
    while not has_segments(standalone.transcript(stream_id)):
        assert time.monotonic() < deadline, "no final segment"
        standalone.send(sock, bytes(FRAME * 10))  # the caller's silence, in real time

    standalone.server.stop()  # the caller is still on the line
    sock.close()
    body = standalone.transcript(stream_id).json()  # no waiting: the sink has drained
    assert ended(body) and body["end_reason"] == "service_stopped"
    assert body["call_id"] == call_id and body["segments"]
    suggested = [e for e in events if e.type == "classification.suggested"]
    assert [e.payload["uuid"] for e in suggested][-1:] == [str(stream_id)]
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", standalone.port), timeout=2).close()


def has_segments(reply: Any) -> bool:
    return reply.status_code == 200 and bool(reply.json()["segments"])


@pytest.fixture
def speech_env(
    ko_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """``hotline speech-server``'s environment: the model, any free port, no Redis, and a
    scratch database for the runs that fail before they store anything."""
    env = {
        "HOTLINE_DATABASE_URL": f"sqlite:///{tmp_path / 'scratch.db'}",
        "HOTLINE_VOSK_MODEL": str(ko_model_dir),
        "HOTLINE_AUDIOSOCKET_PORT": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HOTLINE_AUDIOSOCKET_HOST", raising=False)
    monkeypatch.delenv("HOTLINE_REDIS_URL", raising=False)
    return env


class ServerProcess:
    """``hotline speech-server`` as its own process, its stdout read line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        command = Path(sys.executable).with_name("hotline")
        assert command.is_file(), f"{command} missing: pip install -e . puts it there"
        self.process = subprocess.Popen(
            [str(command), "speech-server"],
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def wait_for_line(self, start: str) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                self._fail(f"no line starting {start!r}")
            self.output.append(line)
            if line.startswith(start):
                return line.strip()

    def finish(self) -> int:
        code = self.process.wait(START_TIMEOUT)
        time.sleep(0.1)  # the reader thread hands over the last lines
        while not self.lines.empty():
            self.output.append(self.lines.get())
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def _fail(self, what: str) -> NoReturn:
        self.kill()
        assert self.process.stderr is not None
        raise AssertionError(f"{what}; stdout {self.output}, stderr {self.process.stderr.read()}")


def _keep_talking(sock: socket.socket, hung_up: threading.Event) -> None:
    while not hung_up.is_set():
        try:
            Live.send(sock, bytes(FRAME * 10))
        except OSError:  # the server closed the line
            return


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_the_command_runs_until_a_signal_and_then_stops_cleanly(
    speech_env: dict[str, str],
    services: Services,
    korean_speech: Speech,
    stop_signal: signal.Signals,
) -> None:
    server = ServerProcess({**speech_env, "HOTLINE_DATABASE_URL": services.settings.database_url})
    try:
        listening = server.wait_for_line("AudioSocket 语音识别：")
        address = re.fullmatch(
            r"AudioSocket 语音识别：127\.0\.0\.1:(\d+)，按 Ctrl-C 退出", listening
        )
        assert address is not None, listening
        port = int(address[1])
        assert any("HOTLINE_REDIS_URL" in line for line in server.output)  # the yellow hint

        stream_id = uuid.uuid4()
        call_id = add_call(services, str(stream_id))
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(encode_uuid(stream_id))
        Live.send(sock, korean_speech.sentence_pcm, pace=0.005)
        deadline = time.monotonic() + START_TIMEOUT
        while stream_row(services, stream_id) is None:
            assert time.monotonic() < deadline, "the speech server stored nothing"
            Live.send(sock, bytes(FRAME * 10))  # the caller's silence, in real time

        # Asterisk goes on sending the caller's audio until the server hangs up; without
        # it a slow shutdown on a loaded machine would end the stream as idle instead.
        hung_up = threading.Event()
        caller = threading.Thread(target=_keep_talking, args=(sock, hung_up), daemon=True)
        caller.start()
        server.process.send_signal(stop_signal)
        assert server.finish() == 0
        hung_up.set()
        caller.join(START_TIMEOUT)
        sock.close()
    finally:
        server.kill()
    assert server.output[-1].strip() == "语音识别服务已停止"
    stream = stream_row(services, stream_id)
    assert stream is not None and stream.call_id == call_id
    assert stream.ended_at is not None and stream.end_reason == "service_stopped"


def stream_row(services: Services, stream_id: uuid.UUID) -> TranscriptStream | None:
    with services.sessions() as session:
        stream = session.get(TranscriptStream, str(stream_id))
        if stream is not None:
            session.expunge(stream)
        return stream


def test_without_a_port_the_command_exits_2(
    speech_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HOTLINE_AUDIOSOCKET_PORT")
    result = runner.invoke(app, ["speech-server"])
    assert result.exit_code == 2
    assert "错误" in result.stderr and "HOTLINE_AUDIOSOCKET_PORT" in result.stderr
    assert "--port" in result.stderr


@pytest.mark.parametrize("model", ["unset", "missing directory", "empty directory", "broken"])
def test_without_a_usable_model_the_command_exits_2(
    speech_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model: str
) -> None:
    monkeypatch.delenv("HOTLINE_AUDIOSOCKET_PORT")  # --port stands in for it
    folder = tmp_path / "model"
    if model != "missing directory":
        folder.mkdir()
    if model == "broken":  # looks like a model until Vosk reads it
        (folder / "am").mkdir()
        (folder / "am" / "final.mdl").write_text("not a model")
    monkeypatch.setenv("HOTLINE_VOSK_MODEL", str(folder))
    if model == "unset":
        monkeypatch.delenv("HOTLINE_VOSK_MODEL")
    result = runner.invoke(app, ["speech-server", "--port", "0"])
    assert result.exit_code == 2
    assert "错误：语音模型不可用" in result.stderr and "HOTLINE_VOSK_MODEL" in result.stderr
    assert "AudioSocket 语音识别" not in result.stdout


def test_a_bad_decoder_setting_exits_2(
    speech_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_VOSK_BEAM", "wide")
    result = runner.invoke(app, ["speech-server"])
    assert result.exit_code == 2 and "HOTLINE_VOSK_BEAM" in result.stderr


def test_a_port_in_use_exits_2(speech_env: dict[str, str]) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["speech-server", "--host", "127.0.0.1", "--port", str(port)])
    assert result.exit_code == 2
    assert f"错误：AudioSocket 无法监听 127.0.0.1:{port}" in result.stderr


# ---------------------------------------------------------------- hotline serve --workers


@pytest.fixture
def uvicorn_runs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    """uvicorn.run recorded instead of serving; the app's database a scratch file."""
    runs: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **options: runs.append(options))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'serve.db'}")
    monkeypatch.delenv("HOTLINE_AMI_URL", raising=False)
    return runs


def test_serve_refuses_several_workers_while_the_audiosocket_port_is_set(
    uvicorn_runs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_start(*args: object, **kwargs: object) -> None:
        pytest.fail("uvicorn.run was called: a worker would have started")

    monkeypatch.setattr(uvicorn, "run", must_not_start)
    monkeypatch.setenv("HOTLINE_AUDIOSOCKET_PORT", "9092")
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2, result.output
    assert "错误" in result.stderr and "HOTLINE_AUDIOSOCKET_PORT" in result.stderr
    assert "hotline speech-server" in result.stderr and "--workers 1" in result.stderr


def test_serve_with_one_worker_keeps_the_port_and_several_need_none(
    uvicorn_runs: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_AUDIOSOCKET_PORT", "9092")
    result = runner.invoke(app, ["serve", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert len(uvicorn_runs) == 1 and "workers" not in uvicorn_runs[0]

    monkeypatch.delenv("HOTLINE_AUDIOSOCKET_PORT")
    monkeypatch.setenv("HOTLINE_REDIS_URL", "redis://127.0.0.1:6379/0")  # several workers need it
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert uvicorn_runs[1]["workers"] == 2
