"""``hotline serve`` itself, without a proxy in front, against slow and greedy clients: the
connection cap (HOTLINE_HTTP_MAX_CONNECTIONS), the request-head timeout
(HOTLINE_HTTP_HEADER_TIMEOUT), the head size (HOTLINE_HTTP_MAX_HEADER_BYTES) and the keep-alive
timeout (HOTLINE_HTTP_KEEP_ALIVE), on loopback with a bounded number of connections."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, wait_until_answering

HOTLINE = str(Path(sys.executable).parent / "hotline")
MAX_CONNECTIONS = 20
HEADER_SECONDS = 1.0
KEEP_ALIVE_SECONDS = 1


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``hotline serve`` process with small limits; its base URL."""
    database = tmp_path_factory.mktemp("serve") / "hotline.db"
    env = {
        **os.environ,
        "HOTLINE_DATABASE_URL": f"sqlite:///{database}",
        "HOTLINE_HTTP_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "HOTLINE_HTTP_HEADER_TIMEOUT": f"{HEADER_SECONDS:g}",
        "HOTLINE_HTTP_KEEP_ALIVE": str(KEEP_ALIVE_SECONDS),
        "HOTLINE_HTTP_MAX_HEADER_BYTES": "8192",
    }
    for name in ("HOTLINE_REDIS_URL", "HOTLINE_AMI_URL", "HOTLINE_AUDIOSOCKET_PORT"):
        env.pop(name, None)
    subprocess.run([HOTLINE, "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(
        [HOTLINE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{base}/api/health", server, seconds=60)
    yield base
    server.terminate()
    server.wait(timeout=30)


def connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def closed_by_server(sock: socket.socket) -> bool:
    if not select.select([sock], [], [], 0)[0]:
        return False
    try:
        return sock.recv(4096) == b""
    except ConnectionError:
        return True


def test_slow_clients_beyond_the_cap_are_cut_off_and_a_normal_client_is_answered(
    served: str,
) -> None:
    """50 connections beyond the cap: some send nothing, some trickle a request head a byte at
    a time (slowloris). While they are held the cap answers at once with 503 instead of piling
    up; the head timeout closes them all; then a normal client is served."""
    slow = [connect(served) for _ in range(MAX_CONNECTIONS + 50)]
    trickling = slow[::2]
    for sock in trickling:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n")
    time.sleep(0.3)
    assert httpx.get(f"{served}/api/health", timeout=5).status_code == 503

    started = time.monotonic()
    open_ = set(slow)
    while open_ and time.monotonic() - started < HEADER_SECONDS + 5:
        for sock in list(open_):
            try:
                if sock in trickling:
                    sock.sendall(b"X")
                if closed_by_server(sock):
                    open_.discard(sock)
            except ConnectionError:
                open_.discard(sock)
        time.sleep(0.2)
    cut_after = time.monotonic() - started
    for sock in slow:
        sock.close()
    assert not open_, f"{len(open_)} of {len(slow)} slow connections still open"
    assert cut_after >= HEADER_SECONDS - 0.5, "cut before the client had its time"
    assert httpx.get(f"{served}/api/health", timeout=5).json() == {"status": "ok"}


def test_a_request_head_over_the_size_limit_is_refused(served: str) -> None:
    with connect(served) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000)
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400 ")


def test_an_idle_kept_alive_connection_is_closed(served: str) -> None:
    with connect(served) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        reply = b""
        while not reply.endswith(b'{"status":"ok"}'):
            reply += sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 200 ")
        started = time.monotonic()
        sock.settimeout(KEEP_ALIVE_SECONDS + 5)
        assert sock.recv(4096) == b""
    assert time.monotonic() - started < KEEP_ALIVE_SECONDS + 2
