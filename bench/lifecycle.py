"""Tickets through the whole cycle — create → dispatch → sign → reply → revisit → close.

Over HTTP against real uvicorn workers, and through the service layer directly, on SQLite and on
PostgreSQL. Prints tickets/s, p50/p99 per call, the HTTP/direct ratio and the CPU per ticket.

    .venv/bin/python bench/lifecycle.py --tickets 2000 --database sqlite
    .venv/bin/python bench/lifecycle.py --tickets 5000 --database postgresql --workers 2 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import httptools
import httpx
import sqlalchemy as sa

import hotline.models  # noqa: F401  (registers every table, so foreign keys resolve)
from hotline.config import Settings
from hotline.events import InProcessBus
from hotline.kb import install as install_kb
from hotline.migrate import prepare
from hotline.routing import install as install_routing
from hotline.services import Services
from hotline.tickets import service
from hotline.tickets.views import file_ticket, perform, take_number
from hotline.workflow import Actor, Role

PASSWORD = "bench-pass"
USERS = (("op", "operator", None), ("disp", "dispatcher", None), ("zj", "department", "ZJ"))
STEPS = ("create", "dispatch", "accept", "reply", "revisit", "close")
CONTENT = "小区旁边工地夜里一直打桩，吵得老人孩子睡不着，希望尽快处理。"


def _phone(number: int) -> str:
    """One citizen per ticket, as on a real day (repeat callers are the exception)."""
    return f"138{number:08d}"


def _database(kind: str) -> tuple[str, Callable[[], None]]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="hotline-bench-")
        return f"sqlite:///{folder}/bench.db", lambda: None
    server = os.environ.get(
        "HOTLINE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = sa.engine.make_url(server).set(database=name).render_as_string(hide_password=False)
    return url, drop


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2] * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    return f"p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"


def direct(url: str, tickets: int) -> float:
    """The same cycle through the service layer in one thread: the ceiling for HTTP."""
    svc = Services(Settings(database_url=url), bus=InProcessBus())
    install_kb(svc)
    install_routing(svc)
    op, disp = Actor("op", Role.OPERATOR), Actor("disp", Role.DISPATCHER)
    zj = Actor("zj", Role.DEPARTMENT, "ZJ")
    steps = (
        (disp, "dispatch", {"department": "ZJ"}),
        (zj, "accept", {}),
        (zj, "reply", {"content": "已处理"}),
        (op, "revisit", {"rating": "满意", "solved": True}),
        (op, "close", {}),
    )
    started = time.perf_counter()
    for number in range(tickets):
        data = service.NewTicket(content=CONTENT, citizen_phone=_phone(number), type="投诉")
        # The same intake path as HTTP: number, routing suggestion and intake hooks included.
        ticket_number = take_number(svc, data)
        with svc.unit() as (session, _outbox):
            ticket, _ = file_ticket(svc, session, op, data, {}, ticket_number)
            ticket_id = ticket.id
        for actor, action, params in steps:
            with svc.unit() as (session, _outbox):
                perform(svc, session, actor, ticket_id, action, params)
    elapsed = time.perf_counter() - started
    svc.close()
    return tickets / elapsed


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Connection:
    """One keep-alive HTTP/1.1 connection, parsed with httptools (uvicorn's own C parser): the
    load generator shares the server's 2 cores, so it should take as little of them as it can."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.body = bytearray()
        self.complete = False
        self.parser = httptools.HttpResponseParser(self)

    # httptools callbacks
    def on_body(self, data: bytes) -> None:
        self.body += data

    def on_message_complete(self) -> None:
        self.complete = True

    async def post(self, path: str, payload: dict[str, Any], token: str) -> tuple[int, bytes]:
        body = json.dumps(payload).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        self.body.clear()
        self.complete = False
        while not self.complete:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("the server closed the connection")
            self.parser.feed_data(data)
        return self.parser.get_status_code(), bytes(self.body)


async def _http_cycles(
    host: str, port: int, tokens: dict[str, str], tickets: int, concurrency: int
) -> tuple[float, dict[str, list[float]]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(tickets):
        queue.put_nowait(number)

    async def worker() -> None:
        connection = _Connection(*await asyncio.open_connection(host, port))

        async def call(step: str, user: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            began = time.perf_counter()
            status, reply = await connection.post(path, body, tokens[user])
            latencies[step].append(time.perf_counter() - began)
            if status >= 300:
                raise RuntimeError(f"{step}: {status} {reply[:200].decode(errors='replace')}")
            return json.loads(reply)

        try:
            while not queue.empty():
                number = queue.get_nowait()
                body = {"content": CONTENT, "citizen_phone": _phone(number), "type": "投诉"}
                ticket = await call("create", "op", "/api/tickets", body)
                path = f"/api/tickets/{ticket['id']}/actions/"
                await call("dispatch", "disp", path + "dispatch", {"department": "ZJ"})
                await call("accept", "zj", path + "accept", {})
                await call("reply", "zj", path + "reply", {"content": "已处理"})
                await call("revisit", "op", path + "revisit", {"rating": "满意", "solved": True})
                await call("close", "op", path + "close", {})
        finally:
            connection.writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return tickets / (time.perf_counter() - started), latencies


def _processes() -> dict[int, list[str]]:
    """Every process's /proc/<pid>/stat fields after the command name (Linux)."""
    stats: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    stats[int(entry)] = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue  # gone meanwhile
    return stats


def _cpu_ticks(fields: list[str]) -> int:
    utime, stime = fields[11:13]
    return int(utime) + int(stime)


def _cpu_seconds(root: int) -> float:
    """User + system CPU of a process and its children: unlike wall time, it holds whatever
    else the machine does."""
    stats = _processes()
    children: dict[int, list[int]] = defaultdict(list)
    for pid, fields in stats.items():
        children[int(fields[1])].append(pid)
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += _cpu_ticks(stats[pid])
        todo.extend(children[pid])
    return total / os.sysconf("SC_CLK_TCK")


def _database_cpu_seconds(database: str) -> float:
    """CPU of the PostgreSQL backends serving ``database``: neither the server's nor the
    client's figure holds it, yet it runs on the same cores. (A backend that exits during the
    run is not counted; the pool keeps the bench's connections open.)"""
    total = 0
    for pid, fields in _processes().items():
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                serves_it = f" {database} ".encode() in cmdline.read()
        except OSError:
            continue  # gone meanwhile
        if serves_it:
            total += _cpu_ticks(fields)
    return total / os.sysconf("SC_CLK_TCK")


def _wait_until_idle(pid: int) -> None:
    """Until the server has finished starting (its workers preload the routing model)."""
    before = _cpu_seconds(pid)
    for _ in range(60):
        time.sleep(1)
        now = _cpu_seconds(pid)
        if now - before < 0.05:
            return
        before = now
    raise RuntimeError("the server is still busy a minute after it answered")


def http(
    url: str, tickets: int, workers: int, concurrency: int
) -> tuple[float, dict[str, list[float]], float, float]:
    """Tickets/s, latencies per step, and the server's and the database's CPU seconds per
    ticket."""
    port = _free_port()
    env = {**os.environ, "HOTLINE_DATABASE_URL": url, "HOTLINE_SCAN_INTERVAL": "3600"}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "hotline.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = subprocess.Popen(command, env=env)
    try:
        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        _wait_until_idle(server.pid)
        tokens = {
            name: httpx.post(
                f"http://127.0.0.1:{port}/api/auth/token",
                data={"username": name, "password": PASSWORD},
            ).json()["access_token"]
            for name, _, _ in USERS
        }
        database = sa.engine.make_url(url).database or ""
        cpu_before, database_before = _cpu_seconds(server.pid), _database_cpu_seconds(database)
        rate, latencies = asyncio.run(_http_cycles("127.0.0.1", port, tokens, tickets, concurrency))
        server_cpu = (_cpu_seconds(server.pid) - cpu_before) / tickets
        return (
            rate,
            latencies,
            server_cpu,
            (_database_cpu_seconds(database) - database_before) / tickets,
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--concurrency", type=int, default=8, help="tickets in flight at once")
    args = parser.parse_args()

    url, drop = _database(args.database)
    try:
        prepare(url, [(name, role, department, PASSWORD) for name, role, department in USERS])
        direct_rate = direct(url, args.tickets)
        client_cpu = time.process_time()
        http_rate, latencies, server_cpu, database_cpu = http(
            url, args.tickets, args.workers, args.concurrency
        )
        client_cpu = (time.process_time() - client_cpu) / args.tickets
    finally:
        drop()
    calls = args.tickets * len(STEPS)
    print(
        f"database {args.database}, {args.tickets} tickets ({calls} calls), "
        f"{args.workers} worker(s), concurrency {args.concurrency}"
    )
    print(f"direct (service layer, 1 thread): {direct_rate:8.1f} tickets/s")
    print(
        f"HTTP                            : {http_rate:8.1f} tickets/s  "
        f"({http_rate * len(STEPS):.0f} calls/s)"
    )
    print(f"HTTP / direct                   : {http_rate / direct_rate:8.2f}")
    used = server_cpu + client_cpu + database_cpu
    print(
        f"CPU per ticket over HTTP        : server {server_cpu * 1000:.1f} ms, "
        f"client {client_cpu * 1000:.1f} ms, database {database_cpu * 1000:.1f} ms; "
        f"{os.cpu_count()} cores would take at most {os.cpu_count() / used:.0f} tickets/s"
    )
    for step in STEPS:
        print(f"  {step:<9} {_percentiles(latencies[step])}")
    every = [sample for samples in latencies.values() for sample in samples]
    print(f"  {'all':<9} {_percentiles(every)}  (mean {statistics.fmean(every) * 1000:.1f} ms)")
    print(f"60,000 tickets would take {60_000 / http_rate / 60:.1f} min over HTTP")


if __name__ == "__main__":
    main()
