"""``python -m telephony.prompts build DIR [--format wav --format sln] [--keep]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from telephony.prompts import FORMATS, PROMPTS, PromptToolMissing, build


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m telephony.prompts", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("build", help="speak every prompt into DIR")
    make.add_argument("directory", type=Path, help="e.g. /var/lib/asterisk/sounds/zh")
    make.add_argument("--format", dest="formats", action="append", choices=FORMATS)
    make.add_argument(
        "--keep", action="store_true", help="keep files already there (a city's recordings)"
    )
    commands.add_parser("list", help="the prompts' names and texts")
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, text in PROMPTS.items():
            print(f"{name}\t{text}")
        return 0
    try:
        written = build(args.directory, args.formats or ("wav",), keep_existing=args.keep)
    except PromptToolMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"{len(written)} prompt files written under {args.directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
