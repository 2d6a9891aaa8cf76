"""Connections to PostgreSQL: a host that stops answering fails fast instead of hanging."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from hotline.db import make_engine


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word, like a hung database host."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in [*accepted, listener]:
        connection.close()


def test_a_silent_database_host_fails_the_connection_instead_of_hanging(
    silent_server: int,
) -> None:
    engine = make_engine(f"postgresql+psycopg://hotline@127.0.0.1:{silent_server}/hotline")
    failures: list[BaseException] = []

    def connect() -> None:
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except OperationalError as error:
            failures.append(error)

    # Without a limit the connection waits for an answer that never comes; with it, 10 s.
    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(60)
    assert not attempt.is_alive(), "the connection to a silent host is still waiting"
    assert len(failures) == 1 and "timeout" in str(failures[0])
