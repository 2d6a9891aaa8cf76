"""deploy/nginx/hotline.conf in front of the real app, run by Debian's nginx: the pages and the
API through TLS, the live event stream unbuffered, a recording larger than nginx's default
upload limit reaching the app while large bodies elsewhere are refused, and a client that
sends its request head slowly cut off."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import free_port, wait_until_answering
from tests.web.conftest import ROOT

SITE = ROOT / "deploy" / "nginx" / "hotline.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
HEADER_SECONDS = 1  # the shipped 10 s, shortened for the test


def _site_for_test(app_port: int, https_port: int, http_port: int, certificate: Path) -> str:
    """The shipped site with this machine's ports and a throw-away certificate; every line
    replaced must be there, so the test notices when the shipped file changes shape."""
    site = SITE.read_text()
    for shipped, here in (
        ("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("/etc/ssl/hotline/fullchain.pem", str(certificate)),
        ("/etc/ssl/hotline/privkey.pem", str(certificate.with_suffix(".key"))),
        ("client_header_timeout 10s;", f"client_header_timeout {HEADER_SECONDS}s;"),
    ):
        assert shipped in site, f"{SITE.name} no longer has {shipped!r}"
        site = site.replace(shipped, here)
    return site


@dataclass(frozen=True)
class Proxy:
    https: str
    http: str


@pytest.fixture(scope="module")
def proxy(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    """nginx with the shipped site, in one foreground process, logs and temp files in a
    scratch folder."""
    if not Path(NGINX).exists():
        pytest.skip("nginx is absent: scripts/install-system-deps.sh installs it")
    folder = tmp_path_factory.mktemp("nginx")
    certificate = folder / "proxy.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-keyout", str(certificate.with_suffix(".key"))),
            *("-out", str(certificate)),
        ],
        check=True,
        capture_output=True,
    )
    https_port, http_port = free_port(), free_port()
    app_port = urlsplit(base_url).port
    assert app_port is not None
    (folder / "site.conf").write_text(_site_for_test(app_port, https_port, http_port, certificate))
    temp_paths = (
        "\n".join(
            f"    {kind}_temp_path {folder / kind};" for kind in ("client_body", "proxy", "fastcgi")
        )
        + f"\n    uwsgi_temp_path {folder / 'uwsgi'};\n    scgi_temp_path {folder / 'scgi'};"
    )
    (folder / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{ worker_connections 64; }}\n"
        f"http {{\n    access_log off;\n{temp_paths}\n    include {folder / 'site.conf'};\n}}\n"
    )
    nginx = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(folder),
            "-e",
            str(folder / "error.log"),
            "-c",
            str(folder / "nginx.conf"),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"https://127.0.0.1:{https_port}"
    wait_until_answering(f"{base}/api/health", nginx)
    yield Proxy(https=base, http=f"http://127.0.0.1:{http_port}")
    nginx.terminate()
    nginx.wait(timeout=10)


def test_pages_and_api_come_through_tls_and_plain_http_is_sent_there(proxy: Proxy) -> None:
    assert httpx.get(f"{proxy.https}/api/health", verify=False).json() == {"status": "ok"}
    login = httpx.get(f"{proxy.https}/login", verify=False)
    assert login.status_code == 200 and "登录" in login.text
    plain = httpx.get(f"{proxy.http}/console?tab=new")
    assert plain.status_code == 301
    assert plain.headers["location"] == "https://127.0.0.1/console?tab=new"


@pytest.mark.parametrize(
    ("path", "user", "expected"),
    [
        ("/api/events/stream", "disp", "event: ticket.created"),
        ("/api/wallboard/stream", "sup", "event: changed"),
    ],
)
def test_the_event_stream_is_not_buffered(
    proxy: Proxy,
    api_token: Callable[[str], str],
    call_api: Callable[..., httpx.Response],
    path: str,
    user: str,
    expected: str,
) -> None:
    """A new ticket's event reaches a page (or the wallboard) connected through the proxy
    within seconds; a buffering proxy would hold it until kilobytes of events had piled up."""
    headers = {"Authorization": f"Bearer {api_token(user)}"}
    arrived = threading.Event()
    lines: list[str] = []

    def listen() -> None:
        with httpx.stream(
            "GET", f"{proxy.https}{path}", headers=headers, verify=False, timeout=30
        ) as stream:
            for line in stream.iter_lines():
                lines.append(line)
                if line.startswith(expected):
                    arrived.set()
                    return

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    deadline = time.monotonic() + 10
    while not lines:  # ": connected" — the stream is open
        assert time.monotonic() < deadline, "the stream never opened through the proxy"
        time.sleep(0.05)
    body = {"content": "反向代理测试：路灯不亮", "citizen_phone": "13900001234", "type": "求助"}
    assert call_api("op", "POST", "/api/tickets", body).status_code == 201
    assert arrived.wait(5), f"the event did not come through the proxy: {lines}"


def test_a_recording_larger_than_nginx_default_reaches_the_app(
    proxy: Proxy, api_token: Callable[[str], str]
) -> None:
    headers = {"Authorization": f"Bearer {api_token('op')}"}
    two_megabytes = bytes(2 * 1024 * 1024)
    reply = httpx.post(
        f"{proxy.https}/api/calls/999999/recording-transcript",
        files={"recording": ("call.wav", two_megabytes, "audio/wav")},
        headers=headers,
        verify=False,
        timeout=30,
    )
    # The app's own answer (no such call), not nginx's 413 page.
    assert reply.status_code == 404, reply.text[:200]
    assert reply.json()["code"] == "not_found"


def test_a_large_body_on_any_other_path_is_refused_by_the_proxy(
    proxy: Proxy, api_token: Callable[[str], str]
) -> None:
    headers = {"Authorization": f"Bearer {api_token('op')}", "Content-Type": "application/json"}
    reply = httpx.post(
        f"{proxy.https}/api/tickets",
        content=b'{"content": "' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers=headers,
        verify=False,
        timeout=30,
    )
    assert reply.status_code == 413
    assert reply.json() == {"code": "body_too_large", "message": "请求内容超过 1 MB 上限"}


def test_a_client_that_sends_its_request_head_slowly_is_cut_off(proxy: Proxy) -> None:
    """Slowloris: a byte of header every 0.2 s never completes the head; nginx closes the
    connection once client_header_timeout has passed, however often bytes arrive."""
    address = urlsplit(proxy.https)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    raw = socket.create_connection((address.hostname, address.port), timeout=5)
    with context.wrap_socket(raw) as sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < HEADER_SECONDS + 5:
            try:
                sock.sendall(b"X")
                time.sleep(0.2)
                sock.setblocking(False)
                closed = sock.recv(4096) == b""
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            except (ConnectionError, ssl.SSLError):
                closed = True
            finally:
                sock.setblocking(True)
        cut_after = time.monotonic() - started
    assert closed, "nginx kept a connection whose head never completed"
    assert HEADER_SECONDS - 0.5 <= cut_after <= HEADER_SECONDS + 3
