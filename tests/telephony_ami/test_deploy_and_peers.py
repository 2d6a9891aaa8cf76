"""deploy/asterisk is linted, and the defects of asterisk-ami that made us not use it."""

from __future__ import annotations

import configparser
import inspect
import socket
import subprocess
import sys
import threading
from pathlib import Path

from asterisk.ami.action import LoginAction
from asterisk.ami.client import AMIClient as ThreadedAMIClient

from telephony.ami import AMIDecoder, Message, ProtocolError
from telephony.revisit import RevisitSettings
from telephony.revisit.calls import (
    ANSWERED_EVENT,
    END_EVENT,
    INVALID_EVENT,
    KEYS_EVENT,
    OPERATOR_EVENT,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "asterisk"


def test_dialplan_passes_asterisklint() -> None:
    lint = Path(sys.executable).with_name("asterisklint")
    done = subprocess.run(
        [str(lint), "dialplan-check", str(DEPLOY / "extensions.conf")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    text = (DEPLOY / "extensions.conf").read_text()
    for number in (
        "110",
        "119",
        "120",
        "122",
        "95598",
        "WATER",
        "GAS",
        "HEAT",
        "10000",
        "10086",
        "10010",
    ):
        assert f"exten => {number},1,Dial(" in text
    assert "[speech-hooks]" in text
    assert "#include extensions-revisit.conf" in text  # so the lint above covers it too


def test_revisit_dialplan_reports_what_the_dialer_reads() -> None:
    text = (DEPLOY / "extensions-revisit.conf").read_text()
    assert f"[{RevisitSettings().context}]" in text
    for event in (ANSWERED_EVENT, KEYS_EVENT, OPERATOR_EVENT, INVALID_EVENT, END_EVENT):
        assert f"UserEvent({event},Ticket: ${{TICKET}},Attempt: ${{ATTEMPT}}" in text
    assert "exten => h,1,UserEvent(RevisitEnd," in text
    assert "Queue(12345," in text and "Set(__HOTLINE_REVISIT_TICKET=${TICKET})" in text
    assert "SayDigits(${FILTER(0123456789,${TICKET})})" in text


def test_queue_and_manager_settings() -> None:
    queues = configparser.ConfigParser(strict=False, inline_comment_prefixes=(";",))
    queues.read(DEPLOY / "queues.conf")
    assert queues["12345"]["servicelevel"] == "15"
    manager = (DEPLOY / "manager.conf").read_text()
    assert "[hotline]" in manager and "permit =" in manager and "timestampevents = yes" in manager
    pjsip = (DEPLOY / "pjsip.conf").read_text()
    assert all(f"[{ext}](operator)" in pjsip for ext in range(8001, 8011))


def _asterisk_ami_packs(data: bytes) -> list[str]:
    """Run asterisk-ami's own reader on a real socket carrying ``data``."""
    ours, theirs = socket.socketpair()
    client = ThreadedAMIClient()
    client._socket = theirs
    client.finished = threading.Event()

    def send() -> None:
        ours.sendall(b"Asterisk Call Manager/5.0.1\r\n" + data)
        ours.close()

    sender = threading.Thread(target=send)
    sender.start()
    packs = list(client._next_pack())
    sender.join()
    return packs


def test_asterisk_ami_defect_lf_framing_never_splits(shared_dir: Path) -> None:
    data = (shared_dir / "ami-captures/panoramisk/fixtures/queue_status.yaml").read_bytes()
    packs = _asterisk_ami_packs(data)
    assert packs == ["Asterisk Call Manager/5.0.1"]  # every message lost: no "\n\n" support
    assert (
        len([i for i in AMIDecoder(expect_banner=False).feed(data) if isinstance(i, Message)]) > 3
    )


def test_asterisk_ami_defect_unbounded_line_is_buffered_whole() -> None:
    huge = b"Event: Huge\r\nData: " + b"x" * 1_000_000 + b"\r\n\r\n"
    packs = _asterisk_ami_packs(huge)
    assert len(packs[1]) > 1_000_000  # no limit, no error: memory grows with the input
    items = AMIDecoder(expect_banner=False).feed(huge)
    assert [type(i) for i in items] == [ProtocolError]


def test_asterisk_ami_defect_no_asyncio_and_plaintext_login_only() -> None:
    assert not inspect.iscoroutinefunction(ThreadedAMIClient.login)
    assert "threading.Thread" in inspect.getsource(ThreadedAMIClient.connect)
    # Its only login action sends the secret in clear; nothing in the client asks a Challenge.
    assert LoginAction("u", "s").keys == {"Username": "u", "Secret": "s"}
    assert "Challenge" not in inspect.getsource(ThreadedAMIClient)
