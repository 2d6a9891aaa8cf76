"""Asterisk Manager Interface: a sans-I/O codec and an asyncio client around it."""

from telephony.ami.client import (
    ActionResult,
    ActionTimeout,
    AMIClient,
    AMIConfig,
    AMIError,
    LoginRefused,
    NotConnected,
    parse_ami_url,
)
from telephony.ami.codec import (
    AMIDecoder,
    AMIEncodeError,
    Banner,
    Message,
    ProtocolError,
    encode_action,
    encode_message,
)

__all__ = [
    "AMIClient",
    "AMIConfig",
    "AMIDecoder",
    "AMIEncodeError",
    "AMIError",
    "ActionResult",
    "ActionTimeout",
    "Banner",
    "LoginRefused",
    "Message",
    "NotConnected",
    "ProtocolError",
    "encode_action",
    "encode_message",
    "parse_ami_url",
]
