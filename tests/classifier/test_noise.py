"""The noise model: recogniser-style text, seeded, each operation doing what it says."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from classifier.noise import (
    EVALUATION_PROFILE,
    FILLERS,
    TRAINING_PROFILE,
    NoiseProfile,
    add_noise,
    cardinal,
    common_characters,
    homophone,
    near_homophone,
    near_syllables,
    noisy_texts,
    spoken_numbers,
    syllables,
    word_homophone,
)
from classifier.text import tokenize

QUIET = NoiseProfile(
    "quiet", homophone=0, near_homophone=0, word_homophone=0, dropped=0, doubled=0, filler=0
)
TEXTS = [
    "来电人反映：红旗区胜利路金桂园小区3号楼502室楼上漏水，已经三天了。",
    "俺家那个物业，咋回事嘞？电梯坏了好几天也没人修！",
    "我想问一下医保异地报销怎么办理，要带啥材料？",
]


def test_same_seed_same_noise_and_another_seed_other_noise() -> None:
    first = noisy_texts(TEXTS, TRAINING_PROFILE, seed=5)
    assert first == noisy_texts(TEXTS, TRAINING_PROFILE, seed=5)
    assert first != noisy_texts(TEXTS, TRAINING_PROFILE, seed=6)
    # A text's noise does not depend on the rest of the batch.
    assert noisy_texts(TEXTS[1:], TRAINING_PROFILE, seed=5) == first[1:]


def test_without_errors_it_is_words_between_spaces_without_punctuation() -> None:
    heard = add_noise(TEXTS[1], QUIET, random.Random(1))
    assert heard == " ".join(tokenize(TEXTS[1]))
    assert not any(mark in heard for mark in "，。？！：")
    assert heard.count(" ") >= 5


def test_numbers_are_spoken_in_the_noisy_text() -> None:
    heard = add_noise(TEXTS[0], QUIET, random.Random(1)).replace(" ", "")
    assert "三号楼五零二室" in heard
    assert not any(char.isdigit() for char in heard)


@pytest.mark.parametrize(
    ("written", "said"),
    [
        ("3号楼", "三号楼"),
        ("502", "五零二"),
        ("502室", "五零二室"),
        ("2000元", "两千元"),
        ("2个人", "两个人"),
        ("2号楼", "二号楼"),
        ("15栋", "十五栋"),
        ("2024年", "二零二四年"),
        ("3.5米", "三点五米"),
        ("13812345678", "幺三八幺二三四五六七八"),
        ("打12345", "打幺二三四五"),
        ("拨110", "拨幺幺零"),
    ],
)
def test_spoken_numbers(written: str, said: str) -> None:
    assert spoken_numbers(written) == said


@pytest.mark.parametrize(
    ("number", "said"),
    [
        (0, "零"),
        (10, "十"),
        (15, "十五"),
        (105, "一百零五"),
        (110, "一百一十"),
        (2000, "两千"),
        (20300, "两万零三百"),
        (100010, "十万零一十"),
        (12345678, "一千二百三十四万五千六百七十八"),
    ],
)
def test_cardinal(number: int, said: str) -> None:
    assert cardinal(number) == said


def test_a_homophone_is_another_common_character_with_the_same_syllable() -> None:
    common = set(common_characters())
    rng = random.Random(3)
    for char in "物医保水电路灯区楼修":
        syllable = syllables(char)[0]
        other = homophone(char, syllable, rng)
        assert other is not None and other != char and other in common
        assert syllables(other) == (syllable,)


def test_a_near_homophone_is_one_merge_away() -> None:
    assert near_syllables("zhang") == ["zang", "zhan"]
    assert near_syllables("nan") == ["lan", "nang"]
    assert "hu" in near_syllables("fu")
    rng = random.Random(3)
    for char in "张南福深城":
        syllable = syllables(char)[0]
        other = near_homophone(char, syllable, rng)
        assert other is not None and syllables(other)[0] in near_syllables(syllable)


def test_a_word_homophone_is_a_dictionary_word_that_sounds_the_same() -> None:
    rng = random.Random(1)
    heard = {word_homophone("物业", rng) for _ in range(50)}
    assert "无业" in heard and "物业" not in heard
    assert all(syllables(word) == ("wu", "ye") for word in heard)
    assert word_homophone("ab", rng) is None


def test_every_character_dropped_leaves_only_fillers_and_non_chinese() -> None:
    assert add_noise("路灯坏了", replace(QUIET, dropped=1.0), random.Random(1)) == ""


def test_every_character_doubled() -> None:
    assert (
        add_noise("路灯坏了", replace(QUIET, doubled=1.0), random.Random(1)) == "路路灯灯 坏坏 了了"
    )


def test_a_filler_before_every_word() -> None:
    heard = add_noise("路灯坏了", replace(QUIET, filler=1.0), random.Random(1)).split()
    assert heard[0::2] and all(word in FILLERS for word in heard[0::2])
    assert heard[1::2] == tokenize("路灯坏了")


def test_homophones_everywhere_keep_every_syllable() -> None:
    text = "电梯坏了好几天也没人修"
    heard = add_noise(text, replace(QUIET, homophone=1.0), random.Random(2)).replace(" ", "")
    assert len(heard) == len(text)
    assert all(a != b for a, b in zip(text, heard, strict=True))
    assert tuple(syllables(char)[0] for char in heard) == syllables(text)


def test_training_and_evaluation_noise_differ() -> None:
    assert TRAINING_PROFILE != EVALUATION_PROFILE
    assert noisy_texts(TEXTS, TRAINING_PROFILE, 1) != noisy_texts(TEXTS, EVALUATION_PROFILE, 1)
