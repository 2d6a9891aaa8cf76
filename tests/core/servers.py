"""`hotline serve` in a process of its own, as systemd runs it, for tests of whole-server faults."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import free_port


@contextmanager
def hotline_serve(
    database_url: str, log: Path, *, redis_url: str = ""
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The process and its base URL once it answers; its output goes to `log`. Stopped (SIGTERM,
    then SIGKILL after 20 s) afterwards unless the test stopped it."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [Path(sys.executable).with_name("hotline"), "serve", "--port", str(port)],
            env={
                **os.environ,
                "HOTLINE_DATABASE_URL": database_url,
                "HOTLINE_REDIS_URL": redis_url,
                # The load comes from one address; the per-client limit has tests of its own.
                "HOTLINE_PUBLIC_RATE": "100000/minute",
            },
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 90  # a loaded machine takes its time to load models
            while True:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "hotline serve did not start"
                try:
                    if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.2)
            yield process, url
        finally:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
