"""Batch segmentation: jieba's own words, for many texts at once; the hash table it rests on."""

from __future__ import annotations

import math
import pickle
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifier.corpus import read_written
from classifier.segment import (
    TIE_TOLERANCE,
    KeyedText,
    KeyTable,
    SegmentDictionary,
    segment,
    string_key,
)
from classifier.text import domain_jieba, normalize

JIEBA_BLOCK = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)")
ALPHABET = list(
    "工地晚上打桩物业费停水红旗区小区路灯坏了医保报销中华人民共和国ABCxyz0123456789 .-_%+#&，。！？…é㐀ア🙂\t\n\x00"
)


def jieba_words(tokenizer: object, text: str) -> list[str]:
    """What jieba itself gives, without punctuation, symbols and whitespace."""
    return [
        word
        for word in tokenizer.lcut(text, HMM=False)  # type: ignore[attr-defined]
        if word.strip() and not re.fullmatch(r"[\W_]+", word)
    ]


def jieba_route_words(tokenizer: object, text: str) -> list[str]:
    """jieba's precise mode without HMM, step by step as jieba does it, except that routes
    equally probable up to rounding go to the longer first word (the one documented
    difference), with the same punctuation filter."""
    frequencies, log_total = tokenizer.FREQ, math.log(tokenizer.total)  # type: ignore[attr-defined]
    words: list[str] = []
    for index, block in enumerate(JIEBA_BLOCK.split(text)):
        if index % 2 == 0:
            words.extend(char for char in block if char.isalnum())
            continue
        dag = tokenizer.get_DAG(block)  # type: ignore[attr-defined]
        route: dict[int, tuple[float, int]] = {len(block): (0.0, 0)}
        for start in range(len(block) - 1, -1, -1):
            values = [
                (math.log(frequencies.get(block[start : end + 1]) or 1) - log_total)
                + route[end + 1][0]
                for end in dag[start]
            ]
            best = max(values)
            end = max(
                e for e, v in zip(dag[start], values, strict=True) if v >= best - TIE_TOLERANCE
            )
            route[start] = (values[dag[start].index(end)], end)
        position, ascii_run = 0, ""
        while position < len(block):
            word = block[position : route[position][1] + 1]
            position += len(word)
            if len(word) == 1 and word.isascii() and word.isalnum():
                ascii_run += word
                continue
            words.extend([ascii_run, word] if ascii_run else [word])
            ascii_run = ""
        words.append(ascii_run)
    return [word for word in words if word.strip() and not re.fullmatch(r"[\W_]+", word)]


@pytest.fixture(scope="module")
def jieba_and_dictionary() -> tuple[object, SegmentDictionary]:
    tokenizer = domain_jieba()
    return tokenizer, SegmentDictionary.from_frequencies(tokenizer.FREQ, tokenizer.total)


def test_a_batch_gives_jiebas_words_for_every_normalized_corpus_text(
    jieba_and_dictionary: tuple[object, SegmentDictionary],
) -> None:
    tokenizer, dictionary = jieba_and_dictionary
    texts = [normalize(row["text"]) for row in read_written()]
    assert len(texts) > 3000
    words = segment(dictionary, texts).words()
    assert len(words) == len(texts)
    for text, cut in zip(texts, words, strict=True):
        assert cut == jieba_words(tokenizer, text), text


def test_equally_probable_routes_go_to_the_longer_first_word(
    jieba_and_dictionary: tuple[object, SegmentDictionary],
) -> None:
    tokenizer, dictionary = jieba_and_dictionary
    text = "音响咚咚咚的"  # 咚咚|咚 and 咚|咚咚 are equally probable
    assert segment(dictionary, [text]).words()[0] == ["音响", "咚咚", "咚", "的"]
    assert jieba_route_words(tokenizer, text) == ["音响", "咚咚", "咚", "的"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(ALPHABET), max_size=60), max_size=5))
def test_any_batch_gives_jiebas_route_text_by_text(
    jieba_and_dictionary: tuple[object, SegmentDictionary], texts: list[str]
) -> None:
    tokenizer, dictionary = jieba_and_dictionary
    tokens = segment(dictionary, texts)
    assert tokens.words() == [jieba_route_words(tokenizer, text) for text in texts]
    # Each word's key is the key of its string.
    words = [word for cut in tokens.words() for word in cut]
    assert tokens.keys.tolist() == [string_key(word) for word in words]


def test_empty_batch_and_empty_texts() -> None:
    tokenizer = domain_jieba()
    dictionary = SegmentDictionary.from_frequencies(tokenizer.FREQ, tokenizer.total)
    assert segment(dictionary, []).words() == []
    assert segment(dictionary, ["", "，。", "停水"]).words() == [[], [], ["停水"]]


def test_span_keys_are_the_keys_of_the_substrings() -> None:
    text = "红旗区金桂园小区停水了🙂abc"
    keyed = KeyedText(text)
    for start in range(len(text)):
        for length in range(1, len(text) - start + 1):
            key = keyed.span_keys(np.array([start]), length)[0]
            assert int(key) == string_key(text[start : start + length])


def test_key_table_finds_each_key_and_nothing_else() -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(1, 2**64 - 1, 5000, dtype=np.uint64)
    table = KeyTable(keys)
    assert table.rows(keys).tolist() == list(range(len(keys)))
    strangers = rng.integers(1, 2**64 - 1, 5000, dtype=np.uint64)
    strangers = strangers[~np.isin(strangers, keys)]
    assert (table.rows(strangers) == -1).all()
    assert table.rows(np.empty(0, dtype=np.uint64)).tolist() == []
    restored = pickle.loads(pickle.dumps(table))
    assert restored.rows(keys[::-1]).tolist() == list(range(len(keys)))[::-1]


def test_key_table_refuses_a_key_given_twice() -> None:
    with pytest.raises(ValueError, match="share a key"):
        KeyTable(np.array([5, 9, 5], dtype=np.uint64))


def test_are_words_knows_words_from_prefixes() -> None:
    tokenizer = domain_jieba()
    dictionary = SegmentDictionary.from_frequencies(tokenizer.FREQ, tokenizer.total)
    prefix = next(word for word, count in tokenizer.FREQ.items() if count == 0 and len(word) > 1)
    terms = ["停水", "门口", prefix, "刀在", "", "停"]
    assert dictionary.are_words(terms).tolist() == [True, True, False, False, False, True]
    assert dictionary.are_words([]).tolist() == []
