"""A sans-I/O codec for the Asterisk Manager Interface (AMI).

No sockets here: bytes go in through :meth:`AMIDecoder.feed`, parsed items come out. The
same decoder serves the client (messages from Asterisk) and the simulator (actions from a
client). Framing follows Asterisk: ``Key: Value`` lines ended by CRLF, a blank line ends a
message; bare LF is tolerated. Oversized input is reported as a :class:`ProtocolError` and
skipped up to the next blank line instead of buffering without bound.

A decoder given the names of the events its consumer uses skips every other event, but not
events answering an action (they carry ``ActionID``), and still reports malformed input.
A key that is empty or has a space is kept as it came, on every path.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import contains

BANNER_PREFIX = b"Asterisk Call Manager/"
END_COMMAND = b"--END COMMAND--"
DEFAULT_MAX_LINE_BYTES = 64 * 1024
DEFAULT_MAX_MESSAGE_BYTES = 256 * 1024

# re finds it in CRLF text about twice as fast as `in` (CPython 3.11's 2-byte needle search).
_BARE_LF_BLANK_LINE = re.compile(b"\n\n")
# Headers that may legitimately appear in a "Response: Follows" block before the raw output.
_FOLLOWS_HEADERS = frozenset({"Response", "Privilege", "ActionID", "Message"})


class AMIEncodeError(ValueError):
    """An action that cannot be put on the wire safely (e.g. a value with a line break)."""


@dataclass(slots=True)
class Banner:
    """The greeting line Asterisk sends first: ``Asterisk Call Manager/x.y.z``."""

    version: str


@dataclass(slots=True)
class ProtocolError:
    """Input the decoder had to drop; the stream continues after it.

    ``dropped_bytes`` counts what was dropped when the error was reported (an oversized
    message keeps being skipped, silently, until its blank line).
    """

    reason: str
    dropped_bytes: int


@dataclass(slots=True)
class Message:
    """One AMI message: an Event, a Response, or (server side) an Action.

    ``headers`` keeps the last value of each key; keys that appeared more than once are also
    listed in full in ``repeated`` (None when there are none; see :meth:`values`). ``output`` holds command output lines (``Response:
    Follows`` bodies and Asterisk 13+ ``Output:`` headers). ``undecodable`` is True when the
    bytes were not valid UTF-8 and were decoded with replacement characters.
    """

    headers: dict[str, str]
    output: Sequence[str] = ()
    repeated: Mapping[str, list[str]] | None = None
    undecodable: bool = False

    @property
    def event(self) -> str | None:
        return self.headers.get("Event")

    @property
    def response(self) -> str | None:
        return self.headers.get("Response")

    @property
    def action(self) -> str | None:
        """The action name (clients may spell the key ``action``; Asterisk accepts any case)."""
        return self.get("Action") or None

    @property
    def action_id(self) -> str | None:
        return self.headers.get("ActionID")

    def values(self, key: str) -> list[str]:
        """Every value of a key, in order (AMI repeats keys such as ``ChanVariable``)."""
        if self.repeated and key in self.repeated:
            return list(self.repeated[key])
        return [self.headers[key]] if key in self.headers else []

    def get(self, key: str, default: str = "") -> str:
        """Header value, matching the key case-insensitively when the exact case is absent."""
        value = self.headers.get(key)
        if value is not None:
            return value
        lowered = key.lower()
        for name, candidate in self.headers.items():
            if name.lower() == lowered:
                return candidate
        return default


Item = Banner | Message | ProtocolError


class AMIDecoder:
    """Incremental AMI parser: ``feed(bytes) -> list[Banner | Message | ProtocolError]``.

    With ``events``, an event not named there and carrying no ``ActionID`` is not yielded,
    only counted in :attr:`skipped_events`; responses, actions, banners and errors always are.
    """

    def __init__(
        self,
        *,
        expect_banner: bool = True,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        events: Collection[str] | None = None,
    ) -> None:
        self._buffer = bytearray()
        self._expect_banner = expect_banner
        self._max_line = max_line_bytes
        self._max_message = max_message_bytes
        self._events = None if events is None else frozenset(events)
        self._discarding = False
        self.skipped_events = 0

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the end of a message (always bounded by the limits)."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[Item]:
        self._buffer += data
        items: list[Item] = []
        while True:
            if self._discarding and not self._skip_oversized(items):
                return items
            if self._expect_banner and not self._take_banner(items):
                return items
            self._parse_available(items)
            if len(self._buffer) <= self._max_message:
                return items
            self._start_discarding(items, "message exceeds the size limit")

    def _parse_available(self, items: list[Item]) -> None:
        buf = self._buffer
        start = self._parse_plain_crlf_run(buf, items)
        while True:
            end, after = self._find_message_end(buf, start)
            if end < 0:
                break
            if end > start:
                self._parse_block(bytes(buf[start:end]), items)
            start = after
        del buf[:start]

    def _parse_plain_crlf_run(self, buf: bytearray, items: list[Item]) -> int:
        """Fast path: every complete message in a pure-CRLF stretch, decoded in one go.

        One decode and one split for the whole stretch; each line is split once at its first
        ": ". Any message that does not fit the simple shape goes to the slow path. An event
        to skip is recognised without building its headers (most of the cost of a message).
        Returns how many bytes of ``buf`` were consumed.
        """
        last = buf.rfind(b"\r\n\r\n")
        if last < 0 or _BARE_LF_BLANK_LINE.search(buf) or b"Response: Follows" in buf:
            return 0
        chunk = bytes(buf[:last])
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError:
            return 0  # per-message decoding flags exactly the bad messages
        max_line, events = self._max_line, self._events
        for block in text.split("\r\n\r\n"):
            if len(block) <= max_line:
                lines = block.split("\r\n")
                if events is not None and _is_skipped_block(block, lines, events):
                    self.skipped_events += 1
                    continue
                headers = _simple_headers(lines)
                if headers is not None and ("Event" in headers or "Response" in headers):
                    self._deliver(Message(headers), items)
                    continue
            if block:
                self._parse_block(block.encode("utf-8"), items)
        return last + 4

    # -- framing -----------------------------------------------------------------------

    def _take_banner(self, items: list[Item]) -> bool:
        newline = self._buffer.find(b"\n")
        if newline < 0:
            if len(self._buffer) > self._max_line:
                self._expect_banner = False
                self._start_discarding(items, "banner line exceeds the size limit")
                return True
            return False
        line = bytes(self._buffer[:newline]).rstrip(b"\r")
        self._expect_banner = False
        if line.startswith(BANNER_PREFIX):
            version = line[len(BANNER_PREFIX) :].decode("ascii", "replace").strip()
            items.append(Banner(version))
            del self._buffer[: newline + 1]
        return True

    @staticmethod
    def _find_message_end(buf: bytearray, start: int) -> tuple[int, int]:
        """Index where the message starting at ``start`` ends and where the next begins."""
        if buf.startswith(b"Response: Follows", start):
            marker = buf.find(END_COMMAND, start)
            if marker < 0:
                return -1, -1
            start = marker
        crlf = buf.find(b"\r\n\r\n", start)
        # Look for a bare-LF blank line only before the CRLF one, so a CRLF stream is
        # scanned once, not once per message.
        lf = buf.find(b"\n\n", start, crlf + 2 if crlf >= 0 else len(buf))
        if lf < 0:
            return crlf, (crlf + 4 if crlf >= 0 else -1)
        # A bare-LF blank line ("\n\n" or "\r\n\n"): trim the CR before it from the block.
        end = lf - 1 if lf > start and buf[lf - 1] == 13 else lf
        return end, lf + 2

    def _start_discarding(self, items: list[Item], reason: str) -> None:
        """Report at once (not at resync) so a slow flood is visible while it lasts."""
        self._discarding = True
        items.append(ProtocolError(f"{reason}; skipping to the next blank line", len(self._buffer)))

    def _skip_oversized(self, items: list[Item]) -> bool:
        """Drop bytes up to the next blank line; True once resynchronised."""
        buf = self._buffer
        for terminator in (b"\r\n\r\n", b"\n\n"):
            index = buf.find(terminator)
            if index >= 0:
                del buf[: index + len(terminator)]
                self._discarding = False
                return True
        # Keep the last 3 bytes: a terminator may straddle two reads.
        keep = 3 if len(buf) > 3 else len(buf)
        del buf[: len(buf) - keep]
        return False

    # -- message parsing ---------------------------------------------------------------

    def _parse_block(self, block: bytes, items: list[Item]) -> None:
        if block[0] in b" \t\r\n":  # stray blank lines before a message
            block = block.lstrip(b" \t\r\n")
            if not block:
                return
        if len(block) > self._max_line and self._has_long_line(block):
            items.append(ProtocolError("line exceeds the size limit", len(block)))
            return
        undecodable = False
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            text = block.decode("utf-8", "replace")
            undecodable = True
        lines = text.split("\r\n") if "\r" in text else text.split("\n")
        if text.startswith("Response: Follows"):
            message = self._parse_follows(lines)
        else:
            headers = _simple_headers(lines)
            if headers is not None:
                message = Message(headers)
            else:
                parsed = self._parse_slow(lines)
                if isinstance(parsed, ProtocolError):
                    items.append(parsed)
                    return
                message = parsed
        if not (message.event or message.response or message.action):
            items.append(ProtocolError("message has no Event, Response or Action", len(block)))
            return
        message.undecodable = undecodable
        self._deliver(message, items)

    def _deliver(self, message: Message, items: list[Item]) -> None:
        """Yield the message unless it is an event to skip: one not named in ``events`` that
        answers no action (it has no ActionID)."""
        events, headers = self._events, message.headers
        event = headers.get("Event")
        if events is None or event is None or event in events or "ActionID" in headers:
            items.append(message)
        else:
            self.skipped_events += 1

    def _has_long_line(self, block: bytes) -> bool:
        return any(len(line) > self._max_line for line in block.split(b"\n"))

    @staticmethod
    def _parse_slow(lines: list[str]) -> Message | ProtocolError:
        """Lines with repeated keys, ``Output:`` lines, ``Key:Value`` without a space, or CRs."""
        headers: dict[str, str] = {}
        repeated: dict[str, list[str]] = {}
        output: list[str] = []
        for raw in lines:
            line = raw.rstrip("\r")
            key, colon, value = line.partition(":")
            if not colon:
                return ProtocolError(f"malformed line {line[:80]!r}", len(line))
            key = key.strip()
            value = value[1:] if value.startswith(" ") else value
            if key == "Output":
                output.append(value)
                continue
            if key in headers:
                repeated.setdefault(key, [headers[key]]).append(value)
            headers[key] = value
        return Message(headers, output, repeated or None)

    @staticmethod
    def _parse_follows(lines: list[str]) -> Message:
        headers: dict[str, str] = {}
        index = 0
        for index, line in enumerate(lines):  # noqa: B007 - index is used after the loop
            key, sep, value = line.partition(": ")
            if not sep or key not in _FOLLOWS_HEADERS:
                break
            headers[key] = value
        else:
            index = len(lines)
        output = [line for line in lines[index:] if line.rstrip("\r") != END_COMMAND.decode()]
        return Message(headers, output)


def encode_action(action: str, fields: Mapping[str, str | Iterable[str]] | None = None) -> bytes:
    """One action on the wire. A value that is a list repeats its key (e.g. ``Variable``)."""
    lines = [f"Action: {_checked('Action', action)}"]
    for key, value in (fields or {}).items():
        _checked("key", key)
        if ":" in key or not key:
            raise AMIEncodeError(f"invalid AMI header name {key!r}")
        values = [value] if isinstance(value, str) else list(value)
        lines.extend(f"{key}: {_checked(key, item)}" for item in values)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def encode_message(headers: Mapping[str, str], output: Iterable[str] = ()) -> bytes:
    """A Response or Event as Asterisk writes it (used by the simulator and test servers)."""
    lines = [f"{key}: {_checked(key, value)}" for key, value in headers.items()]
    lines.extend(f"Output: {_checked('Output', line)}" for line in output)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _checked(key: str, value: str) -> str:
    if not isinstance(value, str):
        raise AMIEncodeError(f"AMI value for {key!r} must be a string, got {type(value).__name__}")
    if "\r" in value or "\n" in value:
        raise AMIEncodeError(f"AMI value for {key!r} contains a line break")
    return value


def _is_skipped_block(block: str, lines: list[str], events: frozenset[str]) -> bool:
    """What ``_deliver`` would decide, read from the text of a block whose every line has
    ": " (any other block is decoded, so its errors are reported): the first line names the
    event, and no later line is an Event (the last one would name it) or an ActionID.
    """
    first = lines[0]
    return (
        first.startswith("Event: ")
        and first[7:] not in events
        and "\r\nActionID: " not in block
        and "\r\nEvent: " not in block
        and all(map(contains, lines, repeat(": ")))
    )


def _simple_headers(lines: list[str]) -> dict[str, str] | None:
    """Headers of a message whose every line is "Key: value" with no repeated key and no
    ``Output:``; None sends the message to the careful path."""
    try:
        # A line without ": " raises here, so it never pairs with its neighbour; map keeps
        # the loop in C.
        headers = dict(map(str.split, lines, repeat(": "), repeat(1)))
    except ValueError:
        return None
    if len(headers) != len(lines) or "Output" in headers:
        return None
    return headers
