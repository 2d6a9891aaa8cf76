"""Normalisation and tokenisation: the functions the knowledge-base search reuses."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from classifier.text import normalize, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),  # full width → half width
        ("樓道裡全是煙", "楼道里全是烟"),  # traditional → simplified
        ("東西被打壞了", "东西被打坏了"),
        # Simplified text skips t2s, whose phrase table would make 打坏 打坯 (a brick mould).
        ("东西被打坏了，门也拉坏了", "东西被打坏了,门也拉坏了"),
        ("红旗 区 金桂园 小区 夜间 施工", "红旗区金桂园小区夜间施工"),  # Vosk spaces
        ("嗯，那个，就是说工地晚上打桩啊", "工地晚上打桩"),  # fillers
        ("我我我想问一下", "我想问一下"),  # stutter
        ("就是就是噪音噪音太大", "就是噪音太大"),  # repeated words
        ("<p>停水了</p>&nbsp;", "停水了"),  # HTML
        ("停\x00电\x07了", "停电了"),  # control characters dropped
        ("", ""),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_keeps_meaningful_demonstratives_and_latin_spacing() -> None:
    assert normalize("那个工地天天吵") == "那个工地天天吵"
    assert normalize("WiFi router 坏了") == "WiFi router 坏了"


def test_normalize_rejects_non_text() -> None:
    with pytest.raises(TypeError, match="expects str"):
        normalize(None)  # type: ignore[arg-type]


def test_tokenize_keeps_domain_words_whole_and_drops_punctuation() -> None:
    tokens = tokenize("我想问一下，异地就医备案怎么办？红旗区夜间施工噪音扰民！")
    assert "异地就医备案" in tokens
    assert "红旗区" in tokens
    assert "夜间施工" in tokens
    assert not any(token in {"，", "？", "！", ",", "?", "!"} for token in tokens)


def test_tokenize_same_result_from_many_threads() -> None:
    texts = [f"第{i}次反映小区物业不作为，垃圾没人清运，路灯不亮" for i in range(200)]
    expected = [tokenize(text) for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(tokenize, texts)) == expected


def test_importing_text_does_not_pull_in_scikit_learn() -> None:
    code = "import sys, classifier.text; print('sklearn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
