"""How every ``hotline`` command stops on bad input: the reason in red on stderr, exit code 2."""

from __future__ import annotations

import errno
import socket
from typing import NoReturn

import typer

from telephony.ami import AMIConfig, parse_ami_url


def refuse(message: str) -> NoReturn:
    typer.secho(f"错误：{message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)


def refuse_unless_port_free(host: str, port: int) -> None:
    """Stop before anything slow starts when the server could not listen (uvicorn would say
    so in English, after loading everything)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn does, so a port in TIME_WAIT from a previous run is not taken for busy.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                refuse(
                    f"端口已被占用：{host}:{port} 上已有程序在监听。"
                    f"请换一个端口，例如 `make run PORT=8080`（或 `--port 8080`）"
                )
            refuse(f"无法在 {host}:{port} 上监听：{error.strerror}")


def ami_config_or_refuse(option: str | None, configured: str | None) -> AMIConfig:
    """The switchboard from ``--ami-url`` or else HOTLINE_AMI_URL; a command that needs it
    stops when it is missing or malformed."""
    url = option or configured
    if not url:
        refuse("请设置 HOTLINE_AMI_URL 或 --ami-url")
    try:
        return parse_ami_url(url)
    except ValueError as error:
        refuse(str(error))
