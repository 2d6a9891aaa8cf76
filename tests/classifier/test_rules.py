"""Emergency and utility rules: recall on indirect phrasings, no alarm for past or questions."""

from __future__ import annotations

import pytest

from classifier.rules import detect_emergency, detect_utility
from classifier.text import normalize

INDIRECT_EMERGENCIES = [
    ("楼道里全是烟", "119"),
    ("樓道裡全是煙，快來人", "119"),
    ("我爸叫不醒了", "120"),
    ("有人拿刀在小区门口", "110"),
    ("喂 有人 拿刀 在 楼下 追人", "110"),
    ("对面楼窗户往外冒黑烟", "119"),
    ("家里煤气味特别重", "119"),
    ("闻到很重的燃气味不敢开灯", "119"),
    ("电梯卡在两层中间里面有人", "119"),
    ("老人突然晕倒了", "120"),
    ("我妈喘不上气来", "120"),
    ("孩子抽搐了口吐白沫", "120"),
    ("路口两辆车撞了有人躺在地上", "122"),
    ("我被车撞了腿动不了", "122"),
    ("邻居家在家暴，女的一直喊救命", "110"),
    ("有人撬我家的门", "110"),
    ("孩子不见了一个小时了", "110"),
    ("昨天就开始冒烟现在还在冒烟", "119"),
]

NOT_EMERGENCIES = [
    "上周被偷了",
    "上周家里被偷了，报了案，想问问有没有进展",
    "怎么办消防验收",
    "商铺装修完了消防验收去哪里申请",
    "去年出过一次车祸，想问问事故认定书怎么补",
    "我爸上个月晕倒住院了，医保报销怎么弄",
    "楼下饭店油烟太大，楼道里全是油烟味",
    "工厂烟囱冒黑烟熏得人头疼",
    "小区消防通道被车堵了，万一着火了消防车都进不来",
    "燃气灶打不着火想找人修",
    "小区的消防栓都是坏的，存在火灾隐患",
    "家里老人的身份证丢了又急着用",
    "心肺复苏培训在哪里可以学",
    "没有着火，就是邻居家烧菜味道大",
]


@pytest.mark.parametrize(("text", "line"), INDIRECT_EMERGENCIES)
def test_indirect_emergencies_are_caught(text: str, line: str) -> None:
    hit = detect_emergency(normalize(text))
    assert hit is not None, text
    assert hit.code == line
    assert hit.words in normalize(text)


@pytest.mark.parametrize("text", NOT_EMERGENCIES)
def test_past_events_questions_and_hazards_raise_no_alarm(text: str) -> None:
    assert detect_emergency(normalize(text)) is None


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("我们小区突然停水了", "WATER"),
        ("整条街都停电了", "95598"),
        ("家里暖气不热", "HEAT"),
        ("新房子燃气怎么开通", "GAS"),
        ("我是移动的用户，家里宽带老是断网", "10086"),
        ("联通手机信号很差", "10010"),
    ],
)
def test_utility_outages_suggest_the_utility_line(text: str, line: str) -> None:
    hit = detect_utility(normalize(text))
    assert hit is not None and hit.code == line


@pytest.mark.parametrize(
    "text", ["路口的红绿灯坏了", "路灯不亮", "宽带老是断网", "物业不作为垃圾没人清"]
)
def test_no_utility_line_without_a_utility_matter_or_a_named_carrier(text: str) -> None:
    assert detect_utility(normalize(text)) is None
