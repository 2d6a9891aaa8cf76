"""The revisit call's prompts as sound files Asterisk plays, made at build time.

One table (:data:`PROMPTS`) holds every prompt's name and text; :func:`build` speaks each
with espeak-ng's Mandarin voice and has sox write it in Asterisk's formats (8 kHz mono
16-bit signed: ``.wav``, raw ``.sln``, or ``.gsm``), one file per prompt, named as the
dialplan plays it (``revisit/greeting`` → ``DIR/revisit/greeting.wav``). ``DIR`` is the
channel language's sounds folder (``/var/lib/asterisk/sounds/zh``). A city's own recordings
under the same names replace the synthetic voice: put them in ``DIR`` and build with
``keep_existing`` (``--keep``), which only fills in the names still missing.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

SAMPLE_RATE = 8000
FORMATS = ("wav", "sln", "gsm")
VOICE = "cmn"

_MENU_TAIL = "转人工服务请按0，重听请按星号键。"
PROMPTS: dict[str, str] = {
    "revisit/greeting": "您好，这里是一二三四五政务服务便民热线，现在对您反映的问题进行回访。",
    "revisit/ticket-before": "您反映的编号为",
    "revisit/ticket-after": "的问题，承办单位已答复。",
    "revisit/satisfaction": (
        "请您对办理结果进行评价：非常满意请按1，满意请按2，基本满意请按3，"
        "不满意请按4，非常不满意请按5。" + _MENU_TAIL
    ),
    "revisit/solved": "您反映的问题是否已解决？已解决请按1，未解决请按2。" + _MENU_TAIL,
    "revisit/invalid": "您的按键无效，请重新输入。",
    "revisit/invalid-goodbye": "按键无效次数过多，我们将另行与您联系，再见。",
    "revisit/operator": "正在为您转接人工服务，请稍候。",
    "revisit/thanks": "感谢您的评价，祝您生活愉快，再见。",
    # SayDigits plays digits/N of the channel's language (the ticket number).
    **{f"digits/{digit}": word for digit, word in enumerate("零一二三四五六七八九")},
}


class PromptToolMissing(RuntimeError):
    """espeak-ng or sox is not installed (scripts/install-system-deps.sh installs both)."""


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PromptToolMissing(f"{name} is needed to build the prompts (apt-get install {name})")
    return path


def _sox_output(path: Path) -> list[str]:
    """sox arguments writing ``path`` in the format its suffix names, as Asterisk reads it."""
    if path.suffix == ".gsm":
        return ["-r", str(SAMPLE_RATE), "-c", "1", str(path)]  # GSM 06.10 is 8 kHz mono
    kind = ["-t", "raw"] if path.suffix == ".sln" else []
    return [*kind, "-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed", str(path)]


def synthesize(text: str, outputs: Iterable[Path], *, voice: str = VOICE) -> None:
    """Speak ``text`` into each of ``outputs`` (``.wav``, ``.sln`` or ``.gsm``).

    Also what the app can use to make a ticket's own summary prompt (``REVISIT_SUMMARY``).
    """
    espeak, sox = _tool("espeak-ng"), _tool("sox")
    with tempfile.TemporaryDirectory() as folder:
        spoken = Path(folder) / "spoken.wav"
        subprocess.run([espeak, "-v", voice, "-w", str(spoken), text], check=True)
        for path in outputs:
            if path.suffix.lstrip(".") not in FORMATS:
                raise ValueError(f"unsupported prompt format {path.suffix!r}; use {FORMATS}")
            path.parent.mkdir(parents=True, exist_ok=True)
            # Leading and trailing silence trimmed; resampled by sox's own filter; no
            # dither (-D), so the same text always gives the same file.
            silence = ["silence", "1", "0.05", "0.5%", "reverse", "silence", "1", "0.05", "0.5%"]
            subprocess.run(
                [sox, "-D", str(spoken), *_sox_output(path), *silence, "reverse"],
                check=True,
                capture_output=True,
            )


def build(
    directory: Path,
    formats: Iterable[str] = ("wav",),
    *,
    keep_existing: bool = False,
    prompts: dict[str, str] = PROMPTS,
) -> list[Path]:
    """Write every prompt in ``formats`` under ``directory``; returns the files written."""
    chosen = list(dict.fromkeys(formats))
    unknown = [name for name in chosen if name not in FORMATS]
    if unknown or not chosen:
        raise ValueError(f"formats must be among {FORMATS}, got {chosen}")
    written: list[Path] = []
    for name, text in prompts.items():
        stem = directory / name
        # A recording of this name in any format Asterisk plays counts as the city's own.
        if keep_existing and any(stem.with_suffix(f".{kind}").exists() for kind in FORMATS):
            continue
        outputs = [stem.with_suffix(f".{kind}") for kind in chosen]
        synthesize(text, outputs)
        written.extend(outputs)
    return written
