"""How every ``hotline`` command stops on bad input: the reason in red on stderr, exit code 2."""

from __future__ import annotations

from typing import NoReturn

import typer


def refuse(message: str) -> NoReturn:
    typer.secho(f"错误：{message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)
