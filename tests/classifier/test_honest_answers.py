"""Honest answers: no department for what is not a request; evidence is content words only."""

from __future__ import annotations

import csv

import pytest

from classifier.model import RoutingModel, is_content_word
from classifier.text import stop_words

from .conftest import TEST_CSV, TRAIN_CSV

NOT_REQUESTS = [
    "hello",
    "test",
    "123456",
    "12345",
    "嗯嗯啊啊",
    "喂喂喂",
    "哈哈哈",
    "你好",
    "喂，你好",
    "asdfghjkl",
    "qwer1234!!",
    "嗯，好",
    "红旗区",
    "平原示范区",
    "金桂园小区",
    "胜利路",
    "牧野区荣校路",
]
SHORT_REQUESTS = [
    ("路灯坏了", "CG"),
    ("停水了", "GS"),
    ("社保怎么交", "RS"),
    ("俺家没电了", "GD"),
    ("犬证怎么办", "GA"),  # 犬证 is no word the model knows, but it says something
    ("出租车绕路", "JT"),  # ends in 路 like a street name
]
# Jieba's part-of-speech tags of words that never say what a call is about: numerals and
# quantities, pronouns, adverbs, time words, conjunctions, prepositions, particles, modals.
FUNCTION_TAGS = ("m", "q", "r", "d", "t", "c", "p", "u", "y", "e", "o")
# Matters of 12345 calls that jieba tags as time words, adverbs or numerals; kept out of the stop
# words (classifier/data/stopwords.txt).
MISTAGGED_DOMAIN_WORDS = frozenset(
    [
        "汛期",
        "中暑",
        "过期",
        "到期",
        "高速",
        "进度",
        "小偷",
        "接单",
        "换管",
        "积分",
        "公开",
        "明细",
        "老年",
        "去世",
        "初中",
        "婚庆",
        "月季",
        "少儿",
        "二手",
        "二胎",
        "零部件",
        "终点站",
        "三轮",
        "上门",
        "满月",
        "成年",
        "孕前",
        "节假日",
        "清明节",
        "春节",
        "国庆",
        "假期",
        "期末",
        "期中",
        "课时",
        "课后",
        "术后",
        "夏季",
        "冬季",
        "秋季",
        "雨天",
        "雪天",
        "冷天",
        "供暖期",
        "年检",
        "周岁",
        "八旬",
        "三包",
        "青年",
        "少年",
        "日期",
        "周期",
        "后期",
        "过户",
        "暂停",
        "更新",
        "更正",
        "异常",
        "实时",
        "同意",
        "长途",
        "徒步",
        "夜间",
        "凌晨",
        "半夜",
        "深夜",
        "通宵",
    ]
)
NEVER_EVIDENCE = [
    "好几",
    "很多",
    "一家",
    "一下",
    "这个",
    "那个",
    "我们",
    "已经",
    "现在",
    "一直",
    "还是",
    "时候",
    "十二个",
    "三百多块",
]


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_what_is_not_a_request_is_uncertain_with_a_chinese_reason(
    shipped_model: RoutingModel, text: str
) -> None:
    suggestion = shipped_model.predict(text)
    assert suggestion.uncertain
    assert suggestion.department is None
    assert suggestion.reason and any("\u4e00" <= char <= "\u9fff" for char in suggestion.reason)


@pytest.mark.parametrize(("text", "department"), SHORT_REQUESTS)
def test_short_real_requests_stay_confident(
    shipped_model: RoutingModel, text: str, department: str
) -> None:
    suggestion = shipped_model.predict(text)
    assert not suggestion.uncertain
    assert suggestion.department == department
    assert suggestion.reason is None


def corpus_texts() -> list[str]:
    texts = []
    for path in (TRAIN_CSV, TEST_CSV):
        with path.open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle)]
    return texts


def test_every_written_call_is_a_request(shipped_model: RoutingModel) -> None:
    reasons = [s.reason or "" for s in shipped_model.predict_many(corpus_texts())]
    assert not [reason for reason in reasons if reason.startswith(("文本只有", "文本中没有"))]


def test_a_lone_place_name_is_named_in_the_reason(shipped_model: RoutingModel) -> None:
    assert "金桂园小区" in (shipped_model.predict("金桂园小区").reason or "")


def test_alarm_words_alone_are_a_request(shipped_model: RoutingModel) -> None:
    suggestion = shipped_model.predict("救命")
    assert suggestion.emergency and not suggestion.uncertain


@pytest.mark.parametrize("word", NEVER_EVIDENCE)
def test_function_words_and_quantities_are_no_content_words(word: str) -> None:
    assert not is_content_word(word)


def test_content_words_are_content_words() -> None:
    assert all(is_content_word(word) for word in ("路灯", "停水", "医保", "汛期", "小偷", "打桩"))


def test_no_evidence_over_the_corpus_is_a_stop_word_or_function_word(
    shipped_model: RoutingModel,
) -> None:
    evidence = {word for s in shipped_model.predict_many(corpus_texts()) for word in s.evidence}
    assert len(evidence) > 1000
    assert not evidence & stop_words()
    assert not evidence & set(NEVER_EVIDENCE)
    # Checked against jieba's own part-of-speech tags, except the domain words it mis-tags.
    from jieba import posseg  # here: classifier.text has imported jieba its quiet way

    tags = posseg.dt.word_tag_tab
    function = {word for word in evidence if tags.get(word, "n").startswith(FUNCTION_TAGS)}
    assert function <= MISTAGGED_DOMAIN_WORDS, sorted(function - MISTAGGED_DOMAIN_WORDS)


def test_an_alarm_told_over_several_clauses_gives_short_evidence(
    shipped_model: RoutingModel,
) -> None:
    suggestion = shipped_model.predict("俺娘有点痴呆，夜里出去了到现在还没回来")
    assert suggestion.emergency == "110"
    assert "痴呆" in suggestion.evidence
    assert all(len(word) <= 8 and word.isalnum() for word in suggestion.evidence)
