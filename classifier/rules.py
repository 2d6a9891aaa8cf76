"""Emergency and utility-line rules: recall first, but no alarm for the past or for questions.

A trigger ("楼道里全是烟", "叫不醒", "有人拿刀") fires for its line unless its clause speaks of
the past ("上周", "去年"), of a hypothetical or a hazard ("万一", "隐患", "预防"), is negated
("没有着火"), or the whole call is a procedural question ("消防验收", "怎么报销", "进展").
A present-tense cue ("现在", "还在", "快来", "救命") overrides those guards. The model's
emergency prediction is combined with these rules in ``classifier.model``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

EMERGENCY_TRIGGERS: dict[str, tuple[str, ...]] = {
    "119": (
        r"(?<![不没])着火|起火|失火|火灾|烧起来|烧着了|火很大|火光|明火|火苗|冒火|大火",
        r"(?<![油香])烟(?:很大|特别大|越来越大|太大了)|(?:全是|都是|好多|一屋子|满屋)(?:黑)?烟(?!味)",
        r"浓烟|(?<!烟囱)冒(?:黑)?烟|烧焦",
        r"(?:燃气|煤气|天然气)(?:泄漏|泄露|漏气|漏了)|漏气|(?:煤气|燃气|天然气)味(?:很|特别|非常|好)?(?:大|重|浓)"
        r"|(?:很|特别|非常|好)(?:重|浓|大)的(?:煤气|燃气|天然气)味",
        r"困在|被困|关在电梯|电梯里出不来|卡在电梯|电梯卡住|电梯卡在|卡在.{0,6}(?:拔不出|出不来)|掉进.{0,3}(?:河|井|水)",
        r"爆炸|泄漏",
    ),
    "120": (
        r"叫不醒|喊不醒|晕倒|昏倒|晕过去|昏过去|昏迷|不省人事|没(?:有)?(?:了)?(?:呼吸|意识|心跳)",
        r"喘不上气|喘不过气|呼吸困难|上不来气|憋气",
        r"(?:流|出)了?很多血|大出血|血流不止|血止不住|吐血|割腕",
        r"抽搐|口吐白沫|胸口疼|胸口痛|心脏病|中风|说话不清楚|半边身子",
        r"摔倒.{0,4}起不来|倒在(?:地上|路边)|摔下来|喝了?农药|服毒|触电|误吞|羊水破|砸伤",
    ),
    "110": (
        r"拿(?:着)?刀|持刀|砍人|拿棍|拿(?:着)?枪|拿酒瓶",
        r"打起来|打群架|打架|斗殴|被人打|砸东西|闹事|家暴|喊救命",
        r"抢劫|抢了我|抢包|撬(?:我家的)?门|撬锁|进小偷|小偷.{0,4}(?:还在|在屋)|正在偷",
        r"跳楼|要自杀|绑架|跟踪我|威胁我",
        r"(?:孩子|小孩|老人|女儿|儿子)(?:突然|又)?(?:找不到|不见了|走丢|丢了)|走失",
    ),
    "122": (
        r"车祸|撞车|撞了|追尾|被车撞|撞人|撞到|翻车|车翻了|车(?:刮|剐)了|交通事故|(?:刮|剐)蹭|肇事",
    ),
}
_PAST = re.compile(
    r"上周|上个?月|上个?星期|去年|前年|前天|昨天|前几天|前阵子|以前|之前|那次|上次|早就|"
    r"当时|曾经|过去|已经(?:处理|结束|灭了|好了|没事)|着过火|出过"
)
_HYPOTHETICAL = re.compile(
    r"万一|如果|假如|要是|担心|怕(?:会|万一)|隐患|预防|防止|避免|以防|演练|培训|会不会|安全检查|安检|报警器"
)
_NEGATED = re.compile(r"(?:没有|没|不是|并没|未|无)$")
_PROCEDURAL = re.compile(
    r"验收|手续|材料|流程|进展|进度|理赔|报销|赔偿|补偿|认定书|申请|怎么办理|怎么弄|在哪交|"
    r"罚款|医保|救助|医务室"
)
_PRESENT = re.compile(
    r"现在(?:还|人|怎么办|正)|正在|还在|快来|快点|快快|赶紧|马上|救命|快派|来人|越来越|就在这"
)
_CLAUSE = re.compile(r"[^，,。.！!？?；;\n]+")
# Smoke that is not a fire: cooking, chimneys, burning straw or rubbish (other departments).
_BENIGN_SMOKE = re.compile(r"油烟|烧烤|烟囱|秸秆|抽烟|吸烟|烧垃圾|烟味")

UTILITY_TRIGGERS: dict[str, str] = {
    "WATER": r"停水|没水|断水|没有水|水压(?:低|小|不够|太低)|自来水|水龙头.{0,6}(?:浑|黄|味|沙)|爆管|水管.{0,2}(?:爆|破|漏)|供水|水费|水表",
    "95598": r"停电|断电|跳闸|电压|供电|变压器|电表|电费",
    "GAS": r"燃气|天然气|煤气|停气|供气",
    "HEAT": r"暖气|供暖|采暖|供热",
}
CARRIER_LINES: dict[str, str] = {"电信": "10000", "移动": "10086", "联通": "10010"}
_TELECOM = re.compile(
    r"宽带|网速|断网|手机信号|没有信号|信号(?:不好|差)|话费|套餐|光缆|光纤|营业厅"
)


@dataclass(frozen=True)
class RuleHit:
    code: str
    words: str  # the words that fired the rule


_COMPILED_EMERGENCY = tuple(
    (code, re.compile(pattern))
    for code, patterns in EMERGENCY_TRIGGERS.items()
    for pattern in patterns
)
_COMPILED_UTILITY = tuple((code, re.compile(p)) for code, p in UTILITY_TRIGGERS.items())


def is_procedural_question(text: str) -> bool:
    """The call asks how to do something (a consultation), and nothing is happening now."""
    return bool(_PROCEDURAL.search(text)) and not _PRESENT.search(text)


def emergency_guarded(text: str) -> bool:
    """True when the text negates a trigger or reads as past, hypothetical or procedural, and
    has no present cue; the model's emergency guess is then not trusted."""
    if _PRESENT.search(text):
        return False
    if any(
        _NEGATED.search(text[: match.start()])
        for _code, pattern in _COMPILED_EMERGENCY
        for match in pattern.finditer(text)
    ):
        return True
    return bool(_PAST.search(text) or _HYPOTHETICAL.search(text) or _PROCEDURAL.search(text))


def _clause_guarded(clause: str, start: int) -> bool:
    if _NEGATED.search(clause[:start]):
        return True
    if _PRESENT.search(clause):
        return False
    return bool(_PAST.search(clause) or _HYPOTHETICAL.search(clause))


def detect_emergency(normalized: str) -> RuleHit | None:
    """The emergency line a present danger in ``normalized`` calls for, or None."""
    if is_procedural_question(normalized):
        return None
    # A past marker anywhere guards every clause unless something is happening now.
    past_call = bool(_PAST.search(normalized)) and not _PRESENT.search(normalized)
    for clause_match in _CLAUSE.finditer(normalized):
        clause = clause_match.group(0)
        for code, pattern in _COMPILED_EMERGENCY:
            trigger = pattern.search(clause)
            if not trigger or past_call or _clause_guarded(clause, trigger.start()):
                continue
            if "烟" in trigger.group(0) and _BENIGN_SMOKE.search(normalized):
                continue
            return RuleHit(code, trigger.group(0))
    return None


def detect_utility(normalized: str) -> RuleHit | None:
    """The utility hotline a reported supply problem suggests, or None."""
    for code, pattern in _COMPILED_UTILITY:
        match = pattern.search(normalized)
        if match:
            return RuleHit(code, match.group(0))
    if _TELECOM.search(normalized):
        for carrier, line in CARRIER_LINES.items():
            if carrier in normalized:
                return RuleHit(line, carrier)
    return None
