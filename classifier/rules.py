"""Emergency and utility-line rules: recall first, but no alarm for the past or for questions.

A trigger ("楼道里全是烟", "叫不醒", "有人拿刀") fires for its line unless its clause speaks of
the past ("上周", "上礼拜"), of a hypothetical, a near miss or a hazard ("万一", "差点", "隐患"),
is negated ("没有着火"), or the whole call is a consultation, praise or a complaint about a
recurring nuisance ("消防验收", "想问", "算不算", "表扬", "建议", "年年", "又烧起来了").
A present-tense cue ("现在还在", "快来", "救命", "刚才") overrides those guards. Some triggers
are excused by what else the call says (cooking smoke, a scrape where nobody is hurt). The
model's emergency prediction is combined with these rules in ``classifier.model``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from re import _constants as sre_constants  # a pattern's parsed form, for its anchors
from re import _parser as sre_parser
from typing import Any

# Each line's triggers, one concept per entry. Within a clause the lines are tried in this
# order: fire, gas or someone trapped (119), then violence (110), then a collision (122), then
# injury or illness (120): "推倒在地上,还在踢" is an assault, "撞了,有人躺在地上" a crash. A
# crash is usually named in its first clause, so "两车相撞,一人被困" stays 122 (the corpus's
# convention), while a car in deep water is a 119 rescue.
EMERGENCY_TRIGGERS: dict[str, tuple[str, ...]] = {
    "119": (
        # Something is burning: 着火/起火/着了/着起来/冒火 on any object (not 打不着了, 冒火花).
        r"(?<![不没跟做打])着(?:了)?火|起火|失火|火灾|爆燃|(?:烧|着)起来|烧着了|救火|扑不灭"
        r"|火(?:很大|光|窜|从)|明火|冒火(?!花)|大火|(?<![睡打点找看跟接不])着了(?!急)",
        # Smoke pouring out (cooking, chimneys and straw are excused below).
        r"(?<![油香])烟(?:很大|特别大|越来越大|太大了)|(?:全是|都是|好多|一屋子|满屋)(?:黑)?烟(?!味)",
        r"浓烟|(?<!烟囱)冒(?:着)?(?:黑)?烟|烧焦",
        # Gas escaping now: the smell (煤气/燃气/臭鸡蛋味), hissing, a dug-up pipe.
        r"(?:燃气|煤气|天然气)(?:泄漏|泄露|漏气|漏了)|漏气|(?:煤气|燃气|然气|臭鸡蛋)味|嘶嘶|呲呲"
        r"|往外冒气|管道挖破",
        r"爆炸|(?:充电宝|电池|锅炉|气罐)(?:突然)?爆了",
        # Trapped: a lift, a locked car, a limb caught; held in a house (被困在房子里) is 110.
        r"(?<!被)困在|被困(?!在.{0,6}(?:房|屋|院|宾馆))|电梯困人|关在电梯|电梯里出不来|卡在电梯"
        r"|电梯.{0,12}(?:卡住|卡在|往下掉|下坠|门打不开)|(?:锁|关|困)在车里"
        r"|卡在.{0,6}(?:拔不出|出不来)|(?:拔|缩|退)不(?:出来|回来)",
        # Someone or a car in the water now (once 捞上来, the 120 signs decide).
        r"落水|掉进.{0,4}(?:河|井|水|池|渠|沟)|(?:翻|开|冲)(?:到|进).{0,3}(?:水|河|渠|沟)"
        r"|水(?:都)?(?:淹|漫过|到车窗|还在涨)",
    ),
    "110": (
        # A weapon in hand: 刀, 枪, 棍, 锤子, 铁锹, 酒瓶, 砖.
        r"(?:拿|持|掏|举|抡)(?:着|出|了)?.{0,3}(?:刀|枪|棍|棒|锤|斧|锹|酒瓶|砖)|持械|砍人|要砍|捅了",
        # Violence now: fights, beating someone, smashing, forcing in, domestic violence.
        r"打起来|打群架|群殴|打架|斗殴|被人打|打(?:他|她|孩子|人|死你)|(?<!要)打我(?!电话|手机)|扇了|推搡|还在踢|按在|家暴"
        r"|(?<!被)砸(?:东西|门|玻璃|车|了)|闹事|喊救命|动手动脚|闯进|堵在(?:家|门)",
        # Robbery, or a burglar or thief at work now.
        r"抢(?:劫|了|走|包)|(?:扯|拽|夺)(?:了|走)|撬(?:我|门|锁|窗|邻居)|(?:门锁|家门|仓库).{0,3}撬(?:开|了)"
        r"|(?<!防)小偷|进(?:了)?贼|偷(?:我|东西)|在偷|翻墙进|拧门把手|剪锁",
        # Someone about to take their life (not 跳楼价).
        r"跳楼(?!价|要)|要跳|往下跳|要自杀|不想活|要去死|轻生|(?:骑|站)在.{0,4}(?:栏杆|楼顶|边上)",
        # Being followed, held or taken away.
        r"绑架|跟踪|尾随|一直跟着我|跟着我.{0,2}(?:走|跑|到)|威胁我|被(?:人)?控制"
        r"|被(?:关|锁|困)在.{0,6}(?:房|屋|院|宾馆)|拉着孩子|往郊区开|叫他停车",
        # A child or a confused elderly person missing now (not 防走失).
        r"(?:孩子|小孩|老人|奶奶|爷爷|姥姥|妈|爸|女儿|儿子|闺女)(?:突然|又|放学)?"
        r"(?:丢了|[^的，,]{0,6}(?:找不到了|不见了|走丢|没回(?:家|来)))|(?<!防)走失|离家出走|脑子不清楚|家在哪",
    ),
    "122": (
        # A collision or rollover just happened, or the driver fled; a car stuck on a crossing.
        # Objects hit by a car (被车撞歪/坏) and a scrape with nobody hurt are not 122.
        r"车祸|撞车|相撞|碰撞|追尾|被车撞(?!歪|坏|断)|撞(?:人|倒|上(?!过)|伤|飞|一块|到|了)"
        r"|翻车|车翻了|侧翻|翻在|卷到车底|交通事故|(?<!被)车(?:刮|剐)了|(?:刮|剐)蹭|肇事|逃逸"
        r"|开车跑了|(?:道口|铁轨).{0,6}卡",
    ),
    "120": (
        # Will not wake or answer, collapsed, not breathing (a device 没反应 is not a person).
        r"(?:叫|喊|拍|摇|都)不醒|(?:叫|喊|拍|摇).{0,4}(?:不醒|不答应|不理人)|不睁眼|一动不动|(?<![卡了])没(?:什么)?反应"
        r"|不省人事|昏迷|意识模糊|晕倒|昏倒|晕过去|昏过去|睡过去|背过气|倒下了|歪下去|就倒了|又倒了"
        r"|倒在(?:地|路边|卫生间|厕所|屋里|家里|血)|躺(?:在)?地上|没(?:有)?了?(?:呼吸|意识|心跳)"
        r"|不(?:喘|出)气|没气了",
        # Cannot breathe: asthma, choking, an allergic reaction, stings.
        r"喘不上|喘不过|上不来气|呼吸困难|呼吸特别慢|无法呼吸|喘(?:气)?(?:费劲|呼呼|得特别厉害)|憋气"
        r"|(?:憋|发)(?:得)?(?:紫|通红)|青紫|噎住|过敏了|被蜂|蛰了|蜇了",
        # Heavy bleeding.
        r"(?:流|出)了?很多血|出血(?:较多|很多|不止)|(?:在|一直|下身)(?:流|出)血|大出血|血流不止"
        r"|血(?:一直)?(?:流|止不住|往外冒)|浑身是血|吐血|割腕",
        # Seizure, heart attack, stroke signs (嘴歪, 说不出话, 一边没劲).
        r"抽搐|(?:开始|在)抽了|吐白沫|胸口疼|胸口痛|胸痛|心脏病(?:犯|发)|哮喘.{0,6}犯|中风|嘴.{0,4}歪"
        r"|说不出(?:话|来)|话.{0,2}说不(?:清楚|出来)|说不清楚|说不了(?:整句)?话|(?:一边|半边|左边|右边|胳膊|腿).{0,4}(?:没劲|抬不起)"
        r"|半边身子",
        # Swallowed an object or poison.
        r"吞了(?:个|一|颗|半)|吞下去|误吞|误服|喝(?:了)?.{0,4}(?:农药|消毒|洗洁精|敌敌畏|百草枯)"
        r"|服毒|中毒|野蘑菇",
        # Burns, falls from a height, crush injuries, electric shock, labour.
        r"(?<![发烫])烫(?:了|伤|得)|烧伤|坠落|摔下来|从.{0,8}(?:掉|摔|坠)下|头先着地|(?:摔|滑)倒.{0,4}起不来"
        r"|站不(?:起来|住)|无法(?:起身|行动)|(?:被|给).{0,4}(?:砸|顶)|砸伤|砸中"
        r"|(?:腿|胳膊|手)(?:部)?.{0,2}变形|切得很深|刀口裂|触电|羊水破",
    ),
}
# The call speaks of the past. In this and the other guards every alternative starts with a
# literal character, so the regex engine jumps to those characters instead of trying each
# position (hence "过去" but not "晕过去" is written with the lookbehind after the word).
_PAST = re.compile(
    r"上周|上个?月|上个?星期|上礼拜|去年|前年|前天|昨天|前几天|前阵子|以前|之前|那次|上次|早就|"
    r"当时|曾经|过去(?<![晕昏睡]过去)|已经(?:处理|结束|灭了|好了|没事)|着过火|出过|近一个月"
)
# The clause is a hypothetical, a hazard, a near miss or a simile ("跟着火了似的").
_HYPOTHETICAL = re.compile(
    r"万一|如果|假如|要是|担心(?:会|引发|出|发生)|怕(?:会|万一)|隐患|预防|防止|避免|以防|演练|培训"
    r"|会不会|安全检查|安检|报警器|差点|险些|像有人|像.{0,6}(?:一样|似的)|跟.{0,6}(?:一样|似的)"
)
_NEGATED = re.compile(r"(?:没有|没|不是|并没|未|无)(?:出|发生)?$")
# Nothing is happening now: the whole call is a consultation or question, praise or a
# suggestion, or a complaint about a recurring nuisance.
_PROCEDURAL = re.compile(
    r"验收|手续|材料|流程|进展|进度|理赔|报销|赔偿|补偿|认定书|申请|怎么办理|怎么弄|在哪交|罚款|医保"
    r"|救助|医务室|疫苗|上门(?:检查|维修)"
    r"|想问|请问|问一下|问问|怎么处理|应该怎么|该怎么办|算不算|有没有|是真的吗|多长时间|找谁"
    r"|表扬|感谢|致谢|建议|诉求|希望(?:相关部门|尽快|立即)?(?:检查|查处|整改|检修)"
    r"|年年|天天|每天|经常|老是|老有|总是|整天|一到(?:晚上|夏天|冬天)|好几[次回]|又(?:烧|撞)"
)
# It is happening now, or help is asked for now.
_PRESENT = re.compile(
    r"现在|正在|还在|刚才|刚刚|就现在|就在这|越来越"
    r"|快来|快点|快快|赶紧|马上|救命|快派|快来人|来人[啊哪]"
    r"|请求(?:立即|警方|紧急)?(?:出警|支援|救援|救护|派车|增援|查找)"
)
_NUISANCE = re.compile(r"吵|噪音|噪声|扰民|声音(?:太|很|特别)?大|太响")
_CLAUSE = re.compile(r"[^，,。.！!？?；;\n]+")
# Something that will not light (打不着火, 点不着): no trigger matches it, so it only excuses the
# model, whose guess has no trigger words of its own, from reading 着火 in it.
_WONT_LIGHT = re.compile(r"[打点]不(?:着|上)|着不了火")
# A trigger on this line whose words match the first pattern is excused when the call matches
# the second: smoke from cooking, chimneys, straw or exhaust; something that will not light; a
# person already out of the water (the 120 signs decide); a scrape where nobody is hurt.
_EXCUSED: tuple[tuple[str, re.Pattern[str], re.Pattern[str]], ...] = (
    (
        "119",
        re.compile("烟"),
        re.compile(r"油烟|烧烤|烟囱|秸秆|麦茬|抽烟|吸烟|烧垃圾|烟味|乌烟瘴气|炉子|开起来"),
    ),
    ("119", _WONT_LIGHT, _WONT_LIGHT),
    ("119", re.compile("水|河|池|井|渠"), re.compile(r"(?:捞|救)上来")),
    ("122", re.compile(""), re.compile(r"人没事|没受伤|没人受伤|无人受伤")),
)

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


# Anchors: strings one of which every match of a pattern contains, read from the pattern as
# re's own parser sees it (the private but long-stable re._parser). A call is only searched
# for the triggers whose anchors it holds. Sets of more strings than this are not worked out.
_MAX_SPELLINGS = 64
_EMPTY = frozenset({""})
_ZERO_WIDTH = (sre_constants.AT, sre_constants.ASSERT, sre_constants.ASSERT_NOT)
_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)
_Parsed = Iterable[tuple[Any, Any]]  # a parsed sequence of (opcode, argument) items


def _bounded(strings: frozenset[str] | None) -> frozenset[str] | None:
    return strings if strings is not None and len(strings) <= _MAX_SPELLINGS else None


def _union(sets: list[frozenset[str] | None]) -> frozenset[str] | None:
    return None if None in sets else frozenset[str]().union(*sets)


def _joined(heads: frozenset[str], tails: frozenset[str]) -> frozenset[str] | None:
    return _bounded(frozenset(head + tail for head in heads for tail in tails))


def _case_sensitive_group(op: Any, av: Any) -> bool:
    return op is sre_constants.SUBPATTERN and not av[1] & re.IGNORECASE


def _item_spellings(op: Any, av: Any) -> frozenset[str] | None:
    """Every string one parsed item can match, or None when they are unbounded or many."""
    if op in _ZERO_WIDTH:
        return _EMPTY
    if op is sre_constants.LITERAL:
        return frozenset({chr(av)})
    if op is sre_constants.IN and all(kind is sre_constants.LITERAL for kind, _ in av):
        return frozenset(chr(code) for _kind, code in av)
    if _case_sensitive_group(op, av):
        return _spellings(av[-1])
    if op is sre_constants.BRANCH:
        return _bounded(_union([_spellings(branch) for branch in av[1]]))
    if op in _REPEATS and av[1] <= 2:  # (?:了)? or .{1,2}
        once = _spellings(av[2])
        if once is not None:
            return _bounded(_union([_EMPTY, once, _joined(once, once)][av[0] : av[1] + 1]))
    return None


def _spellings(items: _Parsed) -> frozenset[str] | None:
    spellings = _EMPTY
    for op, av in items:
        item = _item_spellings(op, av)
        joined = None if item is None else _joined(spellings, item)
        if joined is None:
            return None
        spellings = joined
    return spellings


def _inner_anchors(op: Any, av: Any) -> frozenset[str] | None:
    """The anchors of a group or repeated item, which every match of the sequence goes through."""
    if _case_sensitive_group(op, av):
        return _anchors(av[-1])
    if op is sre_constants.BRANCH:
        return _union([_anchors(branch) for branch in av[1]])
    if op in _REPEATS and av[0] >= 1:
        return _anchors(av[2])
    return None


def _anchors(items: _Parsed) -> frozenset[str] | None:
    """Strings one of which every match of the parsed ``items`` contains, or None if none are
    found: the spellings of a run of consecutive items, or the anchors of a group within."""
    candidates: list[frozenset[str] | None] = []
    run = _EMPTY  # the spellings of the items since the last one with too many
    for op, av in items:
        spellings = _item_spellings(op, av)
        joined = None if spellings is None else _joined(run, spellings)
        if joined is None:
            candidates += [run, _inner_anchors(op, av)]
            joined = spellings or _EMPTY
        run = joined
    usable = [c for c in [*candidates, run] if c and "" not in c]
    # The longest strings, then the fewest; on a tie the later part (the verb or its object,
    # rather than a marker such as "被" or "给") is the rarer.
    return max(reversed(usable), key=lambda c: (min(map(len, c)), -len(c)), default=None)


def _substring_free(anchors: dict[int, frozenset[str]]) -> dict[str, frozenset[int]]:
    """Each anchor with the patterns needing it, but no anchor that contains another: it is
    found wherever the longer one is, and then at most one anchor starts at any position."""
    needed_by: dict[str, set[int]] = {}
    for index, strings in anchors.items():
        for string in strings:
            needed_by.setdefault(string, set()).add(index)
    kept: dict[str, frozenset[int]] = {}
    for string in sorted(needed_by, key=len):
        shorter = next((kept_string for kept_string in kept if kept_string in string), string)
        kept[shorter] = kept.get(shorter, frozenset()) | needed_by[string]
    return kept


def _alternation(strings: Iterable[str]) -> str:
    """A regex for any of ``strings`` (none a prefix of another), grouped by first character:
    the engine jumps to those characters and tries the one group that starts with it."""
    by_first: dict[str, list[str]] = {}
    for string in sorted(strings):
        by_first.setdefault(string[0], []).append(re.escape(string[1:]))
    return "|".join(
        re.escape(first) + (f"(?:{'|'.join(rests)})" if len(rests) > 1 else rests[0])
        for first, rests in by_first.items()
    )


class _AnchorIndex:
    """Which of some patterns may match a text, found with one regex search for the anchors:
    a pattern none of whose anchors occur cannot match anywhere in it."""

    def __init__(self, patterns: Sequence[re.Pattern[str]]) -> None:
        anchors: dict[int, frozenset[str]] = {}
        for index, pattern in enumerate(patterns):
            parsed = sre_parser.parse(pattern.pattern, pattern.flags)
            if not parsed.state.flags & re.IGNORECASE and (found := _anchors(parsed.data)):
                anchors[index] = found
        self._unanchored = frozenset(range(len(patterns))) - anchors.keys()
        self._patterns_by_anchor = _substring_free(anchors)
        self._any_anchor = re.compile(_alternation(self._patterns_by_anchor) or "(?!)")

    def live(self, text: str) -> set[int]:
        """The indices of the patterns that may match somewhere in ``text``."""
        live = set(self._unanchored)
        position = 0
        while match := self._any_anchor.search(text, position):
            live |= self._patterns_by_anchor[match.group()]
            position = match.start() + 1  # anchors may overlap
        return live


_COMPILED_EMERGENCY = tuple(
    (code, re.compile(pattern))
    for code, patterns in EMERGENCY_TRIGGERS.items()
    for pattern in patterns
)
_EMERGENCY_INDEX = _AnchorIndex([pattern for _code, pattern in _COMPILED_EMERGENCY])
_COMPILED_UTILITY = tuple((code, re.compile(p)) for code, p in UTILITY_TRIGGERS.items())
# Any utility or telecom word: a call with none of them suggests no utility line.
_ANY_UTILITY = re.compile("|".join([*UTILITY_TRIGGERS.values(), _TELECOM.pattern]))


def is_procedural_question(text: str) -> bool:
    """The call asks how to do something (a consultation), and nothing is happening now."""
    return bool(_PROCEDURAL.search(text)) and not _PRESENT.search(text)


def _live_triggers(text: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The emergency triggers, in order, that may match somewhere in ``text``: usually none,
    and the few calls holding one of their anchors ("起火", "打他", "叫不醒" …) are
    searched for those triggers only."""
    return tuple(_COMPILED_EMERGENCY[index] for index in sorted(_EMERGENCY_INDEX.live(text)))


def emergency_guarded(text: str) -> bool:
    """True when the text negates a trigger or reads as past, hypothetical or procedural, and
    has no present cue; the model's emergency guess is then not trusted."""
    if _PRESENT.search(text):
        return False
    if _PAST.search(text) or _HYPOTHETICAL.search(text) or _PROCEDURAL.search(text):
        return True  # the cheaper half of the answer first
    return any(
        _NEGATED.search(text[: match.start()])
        for _code, pattern in _live_triggers(text)
        for match in pattern.finditer(text)
    )


def _clause_guarded(clause: str, start: int) -> bool:
    if _NEGATED.search(clause[:start]):
        return True
    if _PRESENT.search(clause):
        return False
    return bool(_PAST.search(clause) or _HYPOTHETICAL.search(clause))


def _excused(code: str, words: str, text: str) -> bool:
    return any(
        code == line and trigger.search(words) and call.search(text)
        for line, trigger, call in _EXCUSED
    )


def model_alarm_excused(code: str, normalized: str) -> bool:
    """True when the call excuses the model's alarm on ``code``: cooking smoke, nobody hurt (the
    model's guess has no trigger words, so the whole call stands in for them), or a noise
    complaint, which the model confuses with a fight; the rules still catch a real one."""
    return _excused(code, normalized, normalized) or bool(_NUISANCE.search(normalized))


def detect_emergency(normalized: str) -> RuleHit | None:
    """The emergency line a present danger in ``normalized`` calls for, or None."""
    if is_procedural_question(normalized):
        return None
    triggers = _live_triggers(normalized)
    if not triggers:
        return None
    # A past marker anywhere guards every clause unless something is happening now.
    past_call = bool(_PAST.search(normalized)) and not _PRESENT.search(normalized)
    for clause_match in _CLAUSE.finditer(normalized):
        clause = clause_match.group(0)
        for code, pattern in triggers:
            trigger = pattern.search(clause)
            if not trigger or past_call or _clause_guarded(clause, trigger.start()):
                continue
            if _excused(code, trigger.group(0), normalized):
                continue
            return RuleHit(code, trigger.group(0))
    return None


def detect_utility(normalized: str) -> RuleHit | None:
    """The utility hotline a reported supply problem suggests, or None."""
    if not _ANY_UTILITY.search(normalized):
        return None
    for code, pattern in _COMPILED_UTILITY:
        match = pattern.search(normalized)
        if match:
            return RuleHit(code, match.group(0))
    if _TELECOM.search(normalized):
        for carrier, line in CARRIER_LINES.items():
            if carrier in normalized:
                return RuleHit(line, carrier)
    return None
