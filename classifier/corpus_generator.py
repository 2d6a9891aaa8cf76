"""Compose the project's training corpus from the phrase banks in ``classifier.corpus_banks``.

Run ``python -m classifier.corpus_generator`` to rewrite ``classifier/data/corpus.csv`` and the
fixed stratified 80/20 split ``corpus_train.csv`` / ``corpus_test.csv``. The output is
deterministic (seeded) and committed with the generator.

Every row states one matter of one department in one of four registers: an operator's tidy
summary, a caller's spoken rambling, that rambling as a speech recogniser damages it (homophones,
spaces between words, no punctuation), or a terse keyword query. Places, personas, durations
and closers vary independently of the department so the model cannot route by them.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from classifier.corpus_banks import DEPARTMENT_MATTERS, EMERGENCIES, NEAR_MISSES

DATA_DIR = Path(__file__).resolve().parent / "data"
COLUMNS = ("text", "department", "type", "urgency", "emergency", "utility")
ROWS_PER_DEPARTMENT = 175
TEST_FRACTION = 0.2
SEED = 12345

TYPE_NAMES = ("咨询", "求助", "投诉", "举报", "建议", "表扬")
UTILITY_LINE = {"GS": "WATER", "GD": "95598", "RQ": "GAS", "RL": "HEAT"}
CARRIER_LINES = (("电信", "10000"), ("移动", "10086"), ("联通", "10010"))

DIVISIONS = (
    "红旗区", "卫滨区", "牧野区", "凤泉区", "卫辉市", "辉县市", "长垣市", "新乡县", "获嘉县",
    "原阳县", "延津县", "封丘县", "平原示范区", "高新区", "经开区", "红旗", "牧野", "辉县",
)  # fmt: skip
STREETS = (
    "人民路", "胜利路", "平原路", "金穗大道", "华兰大道", "新中大道", "和平路", "劳动街",
    "健康路", "自由路", "解放大道", "向阳路", "东明大道", "宏力大道", "卫河路", "荣校路",
    "牧野大道", "新飞大道", "南干道", "北干道", "文化街", "青年路", "化工路", "振中路",
    "建设路", "友谊路", "德化街", "八一路", "饮马口街", "西华大道", "中同街", "洪门路",
)  # fmt: skip
ESTATES = (
    "金桂园小区", "锦绣花园", "阳光家园", "翠苑小区", "华隆小区", "紫薇苑", "书香名邸",
    "幸福里小区", "和谐家园", "康乐小区", "怡馨花园", "世纪村", "丽水湾", "春江苑", "御景城",
    "东方明珠小区", "水岸花城", "泰和小区", "铁路家属院", "化纤厂家属院", "桃园新村", "龙泉苑",
    "学府名苑", "恒大绿洲", "碧桂园", "新华社区", "向阳社区", "建业城", "南街村", "榆林村",
)  # fmt: skip
LANDMARKS = ("十字路口", "菜市场旁边", "学校门口", "公园东门", "医院对面", "超市后面", "桥头")

PERSONAS = (
    "", "", "", "我是这个小区的业主，", "我是外地来打工的，", "我是退休职工，", "我家有老人孩子，",
    "我是开小店的，", "我是在校大学生，", "我是附近的居民，", "我们是一群家长，", "我是残疾人，",
    "我是替我父亲打的电话，", "我是个体户，", "我是公司的员工，", "我是村里的，",
)  # fmt: skip
GREETINGS = (
    "喂，你好，", "你好，", "喂喂，", "您好，我想反映个事，", "你好，12345吗，", "喂，是热线吗，",
    "", "", "同志你好，", "师傅你好，",
)  # fmt: skip
DETAILS = (
    "", "", "", "已经好几天了", "持续一个多月了", "从上周开始就这样", "都反映过好几次了",
    "今天早上又这样", "不是一回两回了", "我们好多人都有意见", "问了好几个地方都说不归他们管",
    "打了好几次电话都没人管", "老人孩子都受影响", "实在是受不了了", "这个事情拖了很久了",
)  # fmt: skip
OPENERS = {
    "咨询": ("想咨询一下，", "请问，", "我想问问，", "问一下，", "麻烦问一下，", "", ""),
    "求助": ("想求助一下，", "实在没办法了，", "麻烦帮帮忙，", "", ""),
    "投诉": ("我要投诉，", "我要反映个问题，", "我想投诉一下，", "", "", ""),
    "举报": ("我要举报，", "我实名举报，", "匿名反映一下，", "想举报个情况，", ""),
    "建议": ("提个建议，", "我有个建议，", "", ""),
    "表扬": ("我想表扬一下，", "特意打电话来表扬，", "", ""),
}
CLOSERS = {
    "咨询": ("", "需要带什么材料？", "麻烦告诉我一下。", "谢谢。", "在哪里办？", "怎么弄？"),
    "求助": ("请帮忙协调一下。", "希望能帮帮我们。", "请尽快处理。", "怎么办啊？", ""),
    "投诉": ("希望尽快处理。", "请有关部门管一管。", "要求给个说法。", "希望派人来看看。", ""),
    "举报": ("请相关部门查处。", "希望严肃处理。", "请来查一查。", ""),
    "建议": ("希望能考虑一下。", "谢谢。", "希望采纳。", ""),
    "表扬": ("给他们点个赞。", "希望领导表扬一下他们。", "非常感谢。", ""),
}
SUMMARY_TEMPLATES = (
    "来电人反映：{place}{matter}。{detail}{close}",
    "市民来电称，{place}{matter}，{detail}{close}",
    "{place}居民反映{matter}，{close}",
    "来电反映{place}{matter}，{detail}请相关部门处理。",
    "市民咨询：{matter}",
    "来电人称其{place}{matter}，诉求：{close}",
)
FILLERS = ("嗯", "啊", "那个", "就是说", "呃", "这个这个", "然后呢")
# Speech-recognition confusions seen in Chinese ASR output: same or similar sound, wrong word.
HOMOPHONES = (
    ("施工", "师工"), ("噪音", "造音"), ("物业", "物页"), ("社保", "社宝"), ("医保", "一保"),
    ("小区", "小趋"), ("投诉", "头诉"), ("反映", "反应"), ("拖欠", "拖钱"), ("报销", "报消"),
    ("燃气", "然气"), ("暖气", "暖器"), ("停电", "停店"), ("垃圾", "拉鸡"), ("路灯", "路登"),
    ("公交", "公交儿"), ("学校", "学效"), ("工资", "攻资"), ("备案", "被按"), ("户口", "互口"),
    ("身份证", "身分证"), ("驾驶证", "驾使证"), ("红绿灯", "红路灯"), ("井盖", "井概"),
    ("油烟", "有烟"), ("宽带", "宽代"), ("信号", "信好"), ("低保", "低宝"), ("养老", "养劳"),
    ("疫苗", "一苗"), ("补贴", "不贴"), ("摊贩", "摊饭"), ("打桩", "打装"), ("电梯", "电体"),
    ("装修", "装休"), ("执照", "直照"), ("退费", "退废"), ("网吧", "网八"), ("河道", "合道"),
    ("秸秆", "节杆"), ("异味", "意味"), ("登记", "等级"), ("补办", "不办"), ("办理", "半理"),
)  # fmt: skip


@dataclass(frozen=True)
class Matter:
    department: str
    type: str
    urgency: str
    variants: tuple[str, ...]


def parse_matters(department: str, block: str) -> list[Matter]:
    matters = []
    for line in block.strip().splitlines():
        head, _, body = line.partition(":")
        urgent = head.endswith("!")
        ticket_type = head.rstrip("!").strip()
        if ticket_type not in TYPE_NAMES:
            raise ValueError(f"{department}: unknown ticket type {ticket_type!r} in {line!r}")
        variants = tuple(v.strip() for v in body.split("/") if v.strip())
        matters.append(Matter(department, ticket_type, "紧急" if urgent else "一般", variants))
    return matters


def _place(rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.25:
        return ""
    division = rng.choice(DIVISIONS)
    if shape < 0.45:
        return f"{division}{rng.choice(ESTATES)}"
    if shape < 0.6:
        return f"{division}{rng.choice(STREETS)}"
    if shape < 0.75:
        return f"{rng.choice(STREETS)}{rng.choice(ESTATES)}"
    if shape < 0.85:
        return f"{division}{rng.choice(STREETS)}{rng.choice(LANDMARKS)}"
    return rng.choice(ESTATES)


def _spoken_place(place: str, rng: random.Random) -> str:
    if not place:
        return ""
    return rng.choice(
        ("我住在{p}，", "我们{p}这边，", "在{p}，", "{p}这儿，", "我家是{p}的，")
    ).format(p=place)


def _add_fillers(text: str, rng: random.Random, rate: float) -> str:
    pieces = re.split(r"([，。？！,])", text)
    out = []
    for piece in pieces:
        if piece and piece not in "，。？！," and rng.random() < rate:
            piece = rng.choice(FILLERS) + "，" + piece
        out.append(piece)
    return "".join(out)


def _stutter(text: str, rng: random.Random) -> str:
    if len(text) < 4 or rng.random() < 0.6:
        return text
    cut = rng.randrange(0, min(len(text) - 2, 12))
    return text[:cut] + text[cut : cut + 2] + text[cut:]


def _asr_damage(text: str, rng: random.Random) -> str:
    for right, wrong in HOMOPHONES:
        if right in text and rng.random() < 0.35:
            text = text.replace(right, wrong, 1)
    text = re.sub(r"[，。？！,.?!：:；;、]", " ", text)
    # Vosk-like output: single spaces between short word-ish chunks.
    chunks: list[str] = []
    for run in text.split():
        position = 0
        while position < len(run):
            size = rng.choice((1, 2, 2, 2, 3, 4))
            chunks.append(run[position : position + size])
            position += size
    return " ".join(chunks)


def compose(matter: Matter, variant: str, register: str, rng: random.Random) -> str:
    """One utterance of ``variant`` in a register: summary, spoken, asr or short."""
    place = _place(rng)
    detail = rng.choice(DETAILS) if matter.type in {"投诉", "求助", "举报"} else ""
    close = rng.choice(CLOSERS[matter.type])
    opener = rng.choice(OPENERS[matter.type])
    if register == "short":
        return variant if rng.random() < 0.6 else f"{place}{variant}"
    if register == "summary":
        template = rng.choice(SUMMARY_TEMPLATES)
        detail_text = f"{detail}，" if detail else ""
        close = close or "请处理。"
        return template.format(place=place, matter=variant, detail=detail_text, close=close)
    spoken = (
        f"{rng.choice(GREETINGS)}{rng.choice(PERSONAS)}{opener}{_spoken_place(place, rng)}"
        f"{_stutter(variant, rng)}，{detail + '，' if detail else ''}{close}"
    ).rstrip("，")
    if register == "spoken":
        return _add_fillers(spoken, rng, 0.3)
    return _asr_damage(_add_fillers(spoken, rng, 0.4), rng)


def _utility_for(department: str, text: str) -> str:
    if department == "TX":
        return next((line for carrier, line in CARRIER_LINES if carrier in text), "")
    return UTILITY_LINE.get(department, "")


def _carrier_flavour(text: str, rng: random.Random) -> str:
    if rng.random() < 0.5:
        return text
    carrier, _ = rng.choice(CARRIER_LINES)
    return f"我是{carrier}的用户，{text}"


def department_rows(rng: random.Random) -> Iterator[dict[str, str]]:
    registers = ("summary", "spoken", "spoken", "asr", "asr", "short")
    for department, block in DEPARTMENT_MATTERS.items():
        pairs = [(m, v) for m in parse_matters(department, block) for v in m.variants]
        rng.shuffle(pairs)
        for index in range(ROWS_PER_DEPARTMENT):
            matter, variant = pairs[index % len(pairs)]
            text = compose(matter, variant, registers[index % len(registers)], rng)
            if department == "TX":
                text = _carrier_flavour(text, rng)
            utility = _utility_for(department, text) if matter.type not in {"建议", "表扬"} else ""
            yield {
                "_group": variant,
                "text": text,
                "department": department,
                "type": matter.type,
                "urgency": matter.urgency,
                "emergency": "",
                "utility": utility,
            }


_EMERGENCY_OPENERS = ("", "快快快，", "救命啊，", "喂喂，快来人，", "你们快派人来，", "喂，")
_EMERGENCY_CLOSERS = ("", "快来啊！", "现在怎么办？", "赶紧派人来！", "就在这儿！", "快点！")


def emergency_rows(rng: random.Random) -> Iterator[dict[str, str]]:
    for key, (department, block) in EMERGENCIES.items():
        code = key.split(":")[0]
        for phrase in (p.strip() for p in block.split("/") if p.strip()):
            for register in ("spoken", "asr", "plain"):
                place = _place(rng)
                text = (
                    f"{rng.choice(_EMERGENCY_OPENERS)}{_spoken_place(place, rng)}{phrase}，"
                    f"{rng.choice(_EMERGENCY_CLOSERS)}"
                )
                if register == "asr":
                    text = _asr_damage(text, rng)
                elif register == "plain":
                    text = phrase
                yield {
                    "_group": phrase,
                    "text": text,
                    "department": department,
                    "type": "求助",
                    "urgency": "紧急",
                    "emergency": code,
                    "utility": "GAS" if department == "RQ" else "",
                }


def near_miss_rows(rng: random.Random) -> Iterator[dict[str, str]]:
    for department, ticket_type, text in NEAR_MISSES:
        for register in ("plain", "asr"):
            yield {
                "_group": text,
                "text": text if register == "plain" else _asr_damage(text, rng),
                "department": department,
                "type": ticket_type,
                "urgency": "一般",
                "emergency": "",
                "utility": "",
            }


def build_corpus(seed: int = SEED) -> list[dict[str, str]]:
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for row in [*department_rows(rng), *emergency_rows(rng), *near_miss_rows(rng)]:
        if row["text"] not in seen:
            seen.add(row["text"])
            rows.append(row)
    return rows


def split_corpus(
    rows: list[dict[str, str]], seed: int = SEED
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Stratified by department and emergency code, grouped by phrasing: 20% of each stratum's
    phrasings, with every row composed from them, go to test, so the test split measures
    wording the model has never seen rather than a re-shuffled copy of its training rows."""
    rng = random.Random(seed)
    strata: dict[tuple[str, str], dict[str, list[dict[str, str]]]] = {}
    for row in rows:
        stratum = strata.setdefault((row["department"], row["emergency"]), {})
        stratum.setdefault(row["_group"], []).append(row)
    train, test = [], []
    for _key, groups in sorted(strata.items()):
        phrasings = sorted(groups)
        rng.shuffle(phrasings)
        n_test = max(1, round(len(phrasings) * TEST_FRACTION)) if len(phrasings) > 1 else 0
        for index, phrasing in enumerate(phrasings):
            (test if index < n_test else train).extend(groups[phrasing])
    return train, test


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    rows = build_corpus()
    train, test = split_corpus(rows)
    write_csv(DATA_DIR / "corpus.csv", rows)
    write_csv(DATA_DIR / "corpus_train.csv", train)
    write_csv(DATA_DIR / "corpus_test.csv", test)
    print(f"{len(rows)} rows: {len(train)} train, {len(test)} test -> {DATA_DIR}")


if __name__ == "__main__":
    main()
