"""Emergency and utility-line rules: recall first, but no alarm for the past or for questions.

A trigger ("楼道里全是烟", "叫不醒", "有人拿刀") fires for its line unless its clause speaks of
the past ("上周", "上礼拜"), of a hypothetical, a near miss or a hazard ("万一", "差点", "隐患"),
is negated ("没有着火"), or the whole call is a consultation, praise or a complaint about a
recurring nuisance ("消防验收", "想问", "算不算", "表扬", "建议", "年年", "又烧起来了").
A present-tense cue ("现在还在", "快来", "救命", "刚才") overrides those guards. Some triggers
are excused by what else the call says (cooking smoke, a scrape where nobody is hurt). Situations told over several clauses (carbon monoxide, a missing person) are searched in the
whole call first. ``emergency_lines`` adds the linked lines to a primary one from what the call
says (someone hurt → 120, trapped in a vehicle → 119 …; docs/classifier.md, "Emergency"). The
model's emergency prediction is combined with these rules in ``classifier.model``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from re import _constants as sre_constants  # a pattern's parsed form, for its anchors
from re import _parser as sre_parser
from typing import Any

# Carbon monoxide poisoning now: a coal stove, charcoal, a gas water heater or a running engine
# in a closed room, and someone dizzy, sick or down.
_CO_SOURCE = r"(?:煤|炭|碳)(?:炉|火|盆|烟)|烧(?:了)?(?:一盆)?炭|烤火|热水器|车库|发动着|打着火|炉子"
_CO_SIGN = r"晕|吐|不醒|倒(?:了|下|在|地)|躺(?:在)?地上|头疼|头痛|站不稳"
_CARBON_MONOXIDE_NOW = rf"一氧化碳|煤气中毒|(?:{_CO_SOURCE})[^。]{{0,30}}(?:{_CO_SIGN})|(?:{_CO_SIGN})[^。]{{0,30}}(?:煤炉|炭火|炭盆|烧炭|热水器)"
# Each line's triggers, one concept per entry. Within a clause the lines are tried in this
# order: fire, gas or someone trapped (119), then violence (110), then a collision (122), then
# injury or illness (120): "推倒在地上,还在踢" is an assault, "撞了,有人躺在地上" a crash. A
# crash is usually named in its first clause, so "两车相撞,一人被困" stays 122 (the corpus's
# convention), while a car in deep water is a 119 rescue.
EMERGENCY_TRIGGERS: dict[str, tuple[str, ...]] = {
    "119": (
        # Something is burning: 着火/起火/着了/着起来/冒火 on any object (not 打不着了, 冒火花).
        r"(?<![不没跟做打])着(?:了)?火|起火|失火|火灾|爆燃|(?:烧|着)起来|烧着了|救火|扑不灭"
        r"|火(?:很大|光|窜|从)|明火|冒火(?!花)|大火|(?<![睡打点找看跟接不站压挨])着了(?!急)|招火"
        r"|火(?:已经|都)(?:上|烧到)|火(?:烧到|蔓延|蹿|窜)|火苗",
        # Smoke pouring out (cooking, chimneys and straw are excused below).
        r"(?<![油香])烟(?:很大|特别大|越来越大|太大了|大得)|(?:全是|都是|好多|一屋子|满屋)(?:黑)?烟(?!味)",
        r"浓烟|(?<!烟囱)冒(?:着)?(?:黑)?烟|烧焦",
        # Gas escaping now: the smell (煤气/燃气/臭鸡蛋味), hissing, a dug-up pipe.
        r"(?:燃气|煤气|天然气|液化气)(?:泄漏|泄露|漏气|漏了)|漏气|(?:煤气|燃气|然气|液化气|臭鸡蛋)(?:的)?味"
        r"|嘶嘶|呲呲|往外冒气|管道挖破|(?:燃气|煤气|然气|液化气|气罐|钢瓶)[^，,。]{0,8}"
        r"(?:漏了|泄漏|外泄|往外喷|喷出|挖断|挖破|刮断|撞断|咬破|关不上|软管掉了|管子掉了)|气体.{0,4}(?:泄漏|外泄)",
        r"爆炸|(?:充电宝|电池|锅炉|气罐)(?:突然)?爆了",
        # Trapped: a lift, a locked car, a limb caught; held in a house (被困在房子里) is 110.
        r"(?<!被)困在|被困(?!在.{0,6}(?:房|屋|院|宾馆))|电梯困人|关在电梯|电梯里出不来|卡在电梯"
        r"|电梯.{0,12}(?:卡住|卡在|往下掉|掉到|下坠|一坠|停在(?:半|两层)|门打不开)|(?:锁|关|困)在车里|困有"
        r"|卡在.{0,6}(?:拔不出|出不来)|(?:拔|缩|退|拿)不(?:出来|回来)|反锁在|锁在(?:地下室|卫生间|厕所)"
        r"|(?:人|们|孩子|老人|都)出不去|上不来下不去|上面下不来|晕在(?:下面|井)|井(?:里|下面).{0,8}(?:晕|没上来|上不来)",
        # Buried or pinned under a collapse, a landslide, a flood cutting people off.
        r"被埋|埋在(?:土|下面|底下|里面)|(?<!车)(?:压|砸)在(?:了)?(?:下面|底下|土里|预制板|床底|墙)|塌方|坍塌|冒顶"
        r"|(?:房|墙|楼|棚)(?:子)?塌了|压塌"
        r"|滑坡|泥石流|山体.{0,4}(?:塌|滑)|发(?:大)?洪水|发大水|漫堤|(?:被|让)(?:洪)?水(?:围|困)|水涨得(?:很|特别)?快"
        r"|进水过半|倒灌",
        # Someone or a car in the water now (once 捞上来, the 120 signs decide).
        r"落水|溺水|(?<!手机)(?<!钥匙)(?<!东西)(?<![拆换扔删])(?:掉|跌|栽|滑)(?:进|到|入|下)?.{0,4}(?:河|井|水|池|渠|塘|湖|冰窟窿)|冰窟窿"
        r"|(?:翻|开|冲)(?:到|进).{0,3}(?:水|河|渠)|被水冲|冲走|一沉一浮|扑腾|淹着"
        r"|水(?:都|已经)?(?:淹|漫过|到车窗|到脖子|还在涨|涨上来|快到顶|往车里灌)|(?:河|游泳).{0,8}没上来"
        r"|(?:池|河|塘|水)里.{0,4}(?:有)?(?:个)?(?:人|孩|小孩|老人).{0,4}(?:趴着|漂着)|脸朝下"
        r"|(?:河|湖|塘|水|江)里.{0,2}挣扎|沉下去",
    ),
    "110": (
        # A weapon in hand: 刀, 枪, 棍, 锤子, 铁锹, 酒瓶, 砖.
        r"(?:拿|持|掏|举|抡|拎|提|取)(?:着|出|了)?.{0,3}(?:刀|枪|棍|棒|锤|斧|锹|酒瓶|砖|匕首|钢管|铁棍)|持械|砍人|要砍"
        r"|捅了|拿刀|扎(?:了|在|伤)|划伤|劫持|要杀人|要(?:点|烧)(?:了|死)|弄死我|踹门|门被踹",
        # Violence now: fights, beating someone, smashing, forcing in, domestic violence.
        r"打起来|打群架|群殴|打架|斗殴|被人打|打(?:他|她|孩子|人|死你)|(?<!要)打我(?!电话|手机)|扇了|推搡|还在踢|按在|家暴"
        r"|(?<!被)(?<!被人)砸(?:东西|门|玻璃|车|了)|闹事|喊救命|动手动脚|闯进|堵在(?:家|门)"
        r"|殴打|打(?:老婆|媳妇|她妈|他妈|老娘|俺)|拖进.{0,6}打|抽俺|掐着|勒住|(?:拖|拽)(?:我|她|他)?(?:进|上)(?:了)?(?:车|房|屋|面包车)"
        r"|被(?:人)?(?:拽|拉|拖|塞)(?:上|进)(?:了)?(?:一辆|辆)?.{0,3}车|硬拽|强行拖|摸.{0,4}(?:屁股|胸)|猥亵|偷拍|裙(?:子)?底|不让(?:我|她)?出门|往里爬|爬窗",
        # Robbery, or a burglar or thief at work now.
        r"抢(?:劫|了|走|包)|(?:扯|拽|夺)(?:了|走)|撬(?:我|门|锁|窗|邻居)|(?:门锁|家门|仓库).{0,3}撬(?:开|了)"
        r"|(?<!防)小偷|进(?:了)?贼|偷(?:我|东西|电缆|车|牛|电瓶)|在偷|翻(?:墙)?进|拧门把手|剪锁"
        r"|在撬|撬(?:仓库|邻居)|捅锁眼|拿钥匙.{0,4}开",
        # Someone about to take their life (not 跳楼价), on a roof or outside a railing.
        r"跳楼(?!价|要)|要跳|往下跳|要自杀|不想活|要去死|轻生|活着没意思"
        r"|(?:骑|站|翻|爬|跨|坐)(?:到|在|出)?.{0,4}(?:栏杆|护栏|楼顶|天台)(?:外|上|边)|(?:翻|爬|站)(?:到|在|出)?窗(?:户|台)?外|外机上",
        # Being followed, held or taken away.
        r"绑架|跟踪|尾随|一直跟着我|跟着我.{0,2}(?:走|跑|到)|威胁我|被(?:人)?控制"
        r"|被(?:关|锁|困)在.{0,6}(?:房|屋|院|宾馆)|拉着孩子|往郊区开|叫他停车|盯着我|跟着我进|关在家里",
        # A child or a confused elderly person missing now (not 防走失).
        r"(?:孩子|小孩|老人|奶奶|爷爷|姥姥|妈|爸|女儿|儿子|闺女)(?:突然|又|放学)?"
        r"(?:丢了|[^的，,]{0,6}(?:找不到了|不见了|走丢|没回(?:家|来)))|(?<!防)走失|离家出走|脑子不清楚|家在哪"
        r"|找不到(?:妈妈|爸爸|家人|家)|与家人走散|说不清(?:家庭)?住址|没影了|不让(?:他|她)走|扬言.{0,8}不让走",
    ),
    "122": (
        # A collision or rollover just happened, or the driver fled; a car stuck on a crossing.
        # Objects hit by a car (被车撞歪/坏) and a scrape with nobody hurt are not 122.
        r"车祸|撞车|相撞|碰撞|撞击|追尾|被车撞(?!歪|坏|断)|撞(?:人|倒|上(?!过)|伤|飞|一块|到|了)"
        r"|翻车|车翻了|侧翻|翻在|卷到车底|交通事故|(?<!被)车(?:刮|剐)了|(?:刮|剐)蹭|肇事|逃逸"
        r"|开车跑了|(?:道口|铁轨).{0,6}卡|撞(?:翻|掉|断)|对撞|(?:刮|带)倒|车轮(?:下|底)|逆行|翻(?:到|进)|车顶朝下"
        r"|轮子朝天|(?:车|机)翻了|(?:被|让).{0,6}(?:车|公交|货车|大车|三轮)(?:给)?(?:刮|挤|带|压|轧|撞)(?!歪|坏|断|碎)"
        r"|刹不住|失控|(?:车|大巴|货车)[^，,]{0,6}刮了",
    ),
    "120": (
        # Will not wake or answer, collapsed, not breathing (a device 没反应 is not a person).
        r"(?:叫|喊|拍|摇|都)不醒|(?:叫|喊|拍|摇).{0,4}(?:不醒|不答应|不理人)|不睁眼|一动不动|(?<![卡了])没(?:什么)?反应"
        r"|不省人事|昏迷|意识模糊|晕倒|昏倒|晕过去|昏过去|睡过去|背过气|倒下了|歪下去|就倒了|又倒了"
        r"|(?:叫|喊|问).{0,4}(?:不(?:太)?应|没动静|答不上来|不太理)|呼之不应|意识丧失|无自主呼吸|呼吸(?:很|特别)?弱"
        r"|(?:在|正在)(?:做|进行|给他|给她)?(?:心肺复苏|胸外按压|按压)|按胸口|掐人中|(?:突然|一下子)(?:就)?(?:倒|趴|栽|坐地上)"
        r"|(?:人|突然|老人|他|她)倒地|倒地不起|一头栽|抽过去|眼睛(?:往上)?翻|嘴角(?:流)?口水|口水流出来|睁不开|说话(?:都)?不清"
        r"|倒在(?:地|路边|卫生间|厕所|屋里|家里|血)|躺(?:在)?地上|没(?:有)?了?(?:呼吸|意识|心跳)"
        r"|不(?:喘|出)气|没气了",
        # Cannot breathe: asthma, choking, an allergic reaction, stings.
        r"喘不上|喘不过|上不来气|呼吸困难|呼吸特别慢|无法呼吸|喘(?:气)?(?:费劲|呼呼|得特别厉害)|憋气"
        r"|(?:憋|发)(?:得)?(?:紫|通红)|青紫|噎住|过敏了|被蜂|蛰了|蜇了|喘(?:不动|不过来)|(?:嗓子|喉咙)(?:发紧|肿)"
        r"|发青|脸(?:是|都)青|发绀",
        # Heavy bleeding.
        r"(?:流|出)了?很多血|出血(?:较多|很多|不止)|(?:在|一直|下身)(?:流|出)血|大出血|血流不止"
        r"|血(?:一直)?(?:流|止不住|往外冒)|浑身是血|吐血|割腕|见红|(?:流|出)了?好多血|血(?:都|顺着)?.{0,4}(?:淌|糊)"
        r"|咳(?:出来的都是)?血|咯血|上吊|(?:被|让)蛇咬|撕开.{0,2}口子|大口子|满(?:脸|头|身)是血",
        # Seizure, heart attack, stroke signs (嘴歪, 说不出话, 一边没劲).
        r"抽搐|(?:开始|在)抽了|吐白沫|胸口疼|胸口痛|胸痛|心脏病(?:犯|发)|哮喘.{0,6}犯|中风|嘴.{0,4}歪"
        r"|说不出(?:话|来)|话.{0,2}说不(?:清楚|出来)|说不清楚|说不了(?:整句)?话|(?:一边|半边|左边|右边|胳膊|腿).{0,4}(?:没劲|抬不起)"
        r"|半边身子|心口疼|胸口(?:闷|发紧|压)|手脚(?:都)?不(?:会|能)动|含含糊糊|眼睛.{0,4}斜|颠三倒四|说胡话"
        r"|心跳.{0,6}(?:特别快|一百)|疼得.{0,4}(?:打滚|直叫|受不了|满头)|中暑|体温很高|浑身滚烫|烫得吓人",
        # Swallowed an object or poison.
        r"吞了(?:个|一|颗|半)|吞下去|误吞|误服|喝(?:了)?.{0,4}(?:农药|消毒|洗洁精|敌敌畏|百草枯)"
        r"|服毒|中毒|下毒|投毒|野蘑菇|(?:农药|老鼠药|消毒液|消毒水|洗洁精)当|把(?:农药|老鼠药|敌敌畏|百草枯|消毒液|消毒水).{0,6}(?:喝|吃)|吃了.{0,6}老鼠药|安眠药|假酒|满嘴泡沫|上吐下泻|(?:好多|十余|几)(?:个)?(?:人|名).{0,12}(?:吐|腹痛|拉肚子)",
        # Burns, falls from a height, crush injuries, electric shock, labour.
        r"(?<![发烫])烫(?:了|伤|得)|烧伤|坠落|摔下来|从.{0,8}(?:掉|摔|坠|栽|跌)下|头先着地|(?:摔|滑)倒.{0,4}起不来"
        r"|栽下来|踩空|泼到.{0,4}(?:腿|脚|手|身)|掉了.{0,3}皮|摔了.{0,8}(?:口子|血|起不来|不能动)"
        r"|站不(?:起来|住)|无法(?:起身|行动)|(?:被|给).{0,4}(?:砸|顶)|砸伤|砸中"
        r"|(?:腿|胳膊|手)(?:部)?.{0,2}变形|切得很深|刀口裂|触电|羊水破|被电|电(?:打|击)了|电得|(?:雷|闪电).{0,6}劈|被劈",
    ),
}
# The call speaks of the past. In this and the other guards every alternative starts with a
# literal character, so the regex engine jumps to those characters instead of trying each
# position (hence "过去" but not "晕过去" is written with the lookbehind after the word).
_PAST = re.compile(
    r"上周|上个?月|上个?星期|上礼拜|去年|前年|前天|昨天|前几天|前阵子|以前|之前|那次|上次|早就|"
    r"当时|曾经|过去(?<![晕昏睡]过去)|已经(?:处理|结束|灭了|好了|没事|赔)|着过火|出过|近一个月|说过"
    r"|过(?:一|两|几|好几)[次回]|前(?:两|几|一)天|来过|进过"
)
# The clause is a hypothetical, a hazard, a near miss or a simile ("跟着火了似的").
_HYPOTHETICAL = re.compile(
    r"万一|如果|假如|要是|担心(?:会|引发|出|发生)|怕(?:会|万一)|隐患|预防|防止|避免|以防|演练|培训"
    r"|会不会|安全检查|安检|报警器|差点|险些|像有人|像.{0,6}(?:一样|似的)|跟.{0,6}(?:一样|似的)"
    r"|以为|哪天|担心|容易|风险|怕(?:它|会|万一|出事|哪天|着火|起火|有人|掉)|(?<!不)会(?:中毒|着火|起火|爆炸|出事|出人命)"
)
_NEGATED = re.compile(r"(?:没有|没|(?<!是)不是|并没|未|无)(?:出|发生)?$")  # not "是不是…"
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
    # 现在 in "现在想问", "现在住在亲戚家" asks or tells about the after, not a danger now.
    r"现在(?!想|要求|需要|能不能|可以|怎么|住|村里|还让|还能|还允许|还没|还不|一家)|正在|还在|刚才|刚刚|就现在|就在这|越来越"
    r"|快来|快点|快快|赶紧|马上|救命|快派|快来人|来人[啊哪]"
    r"|请求(?:立即|警方|紧急)?(?:出警|支援|救援|救护|派车|增援|查找)"
)
_LINK_GUARD = re.compile(_PAST.pattern + r"|万一|如果|假如|要是|担心|怕|差点|险些")
# Whatever happened is over ("现在好了", "开窗以后就好了"): no alarm, even with 现在 in it.
_CALM_NOW = re.compile(r"(?:现在|已经|后来)(?:都|也|在家)?(?:好了|没事了|好好的)|就好了")
_NOBODY_HURT = re.compile(
    r"人(?:都|也)?没(?:什么)?事|没(?:有)?(?:人)?受伤|无人受伤|没(?:有)?伤(?:着|到)|没(?:有)?人伤"
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
    ("119", re.compile("火"), _WONT_LIGHT),
    ("119", re.compile("水|河|池|井|渠|塘|湖|冰"), re.compile(r"(?:捞|救)上来")),
    ("119", re.compile("臭鸡蛋"), re.compile(r"水龙头|自来水|出来的水")),  # foul tap water
    ("120", re.compile("没气"), re.compile(r"燃气|煤气|液化气|气罐|灶")),  # the gas has run out
    ("122", re.compile(""), _NOBODY_HURT),
)

# Linked lines: who else to alert besides the primary line, from what the call says
# (docs/classifier.md, "Emergency"; the convention the corpus's ``lines`` column follows).
# Someone is hurt, bleeding, unconscious or ill: the 120 triggers plus plainer injury words
# (磕破, 躺着不动, 撞飞, 压住, 被埋 …) that only count once a primary line is raised.
_HURT = re.compile(
    "|".join(EMERGENCY_TRIGGERS["120"])
    + r"|受(?:了)?伤|伤(?:着|到|了|得|员|者|势)|(?<![高验])血(?!压|糖|脂|型|管|栓|常规)|骨折|骨头|错位"
    r"|(?:腿|胳膊|手|脚|肋骨)(?:好像|都)?断了|昏|晕|呛|迷糊|磕(?:破|出|在|地)|头破|见红"
    r"|起不来|爬不起|动不了|(?<![拧推拉搬挪走])不动|动弹|倒地|人倒了|躺(?:着|在|地)|趴着|惨叫|呻吟|哼|喊疼"
    r"|(?<!不)疼|摔(?:在|到)?地上|摔伤|按在地上|往地上撞|踢.{0,2}头|夹(?:在|住)"
    r"|撞(?:倒|飞|出去|伤)|撞(?:了)?(?:个|一个|好几个)?人|卷到|甩出|碾|(?:被|给)?压(?:了|住|着|在)|被埋|埋在"
    r"|捅了|被捅|捅伤|扎(?:了|在|伤)|划(?:到|伤|破)|(?<!两)口子|砸(?:头|伤|中|到头)|打伤|埋了|孕妇|心脏病|犯病|中暑|没劲了"
)
# A 119 call about fire or smoke (not gas, water or a lift): with someone inside, also 120's.
_FIRE = re.compile(r"火|烟|烧")
_BURNING = re.compile(r"着火|起火|冒(?:着)?(?:黑)?烟|冒火|烧起来|烧着")
_PEOPLE_INSIDE = re.compile(
    r"(?:还|尚|可能还|好像还)有(?:个|一个|一名|好几个|几个)?.{0,6}(?:人|老|孩|娃|工人)(?:没|在|住|被|困|趴|喊)"
    r"|(?:屋|房|楼|室|厂房|车间)(?:里|内)(?:还|可能|好像|也)*有|(?:里面|里头|屋里|家里)(?:还|可能|好像|也)*(?:有|住)"
    r"|人(?:还)?在(?:里面|里头|屋里|家里|楼上)|(?:一个人|自己)在(?:家|屋)|还在(?:里面|里头|屋里|家里)"
    r"|困在|被困|出不来|出不去|下不来|下不去|跑不出|没(?:有)?(?:出来|撤出|跑出|下来)|尚未撤出"
    r"|不敢(?:往下)?(?:跑|走|下)|锁在|烧伤|烧到人|呛|喊救命"
)
# Someone in the water (not a flood that cuts people off: that is 120's only when hurt).
_WATER = re.compile(
    r"落水|溺水|淹着|扑腾|一沉一浮|沉下去|(?:河|湖|塘|江)里.{0,2}挣扎|被水冲|冲走|冰窟窿|水(?:都)?到(?:脖子|车窗)|水淹|没上来|失联|水深|往车里灌|水里"
    r"|(?:掉|跌|栽|滑|翻|开|冲)(?:进|到|入|下)?.{0,4}(?:河|渠|塘|湖|水|井|池)"
)
# Carbon monoxide: the call-level trigger, or a coal stove or charcoal named at all.
_CARBON_MONOXIDE = re.compile(_CARBON_MONOXIDE_NOW + r"|(?:煤|炭|碳)(?:炉|火|盆)|烤火|烧炭")
_SHOCK = re.compile(
    r"触电|(?:被|让|叫)电(?:到|打|击|住)|电(?:着|倒)了|漏电.{0,6}(?:倒|晕|抽)|电线.{0,10}(?:碰|搭|挂)|碰到.{0,4}电线"
)
_ON_THE_WIRE = re.compile(
    r"(?:还|仍)(?:在|粘在|挂在|扒在|贴在|抓着).{0,6}(?:电线|线上|电闸|电门|上面)|(?:粘|吸|挂)在.{0,4}(?:线|电)上"
    r"|拽不下来|松不开|(?:闸|电)(?:还)?没(?:有)?(?:拉|断|关)|(?:电线|线)(?:还)?(?:搭|挂|缠|压)在.{0,4}身上|冒火花"
)
_DELIBERATE = re.compile(
    r"投毒|下毒|下药|投放|故意.{0,6}(?:毒|药)|(?:毒|药).{0,6}故意|(?:饭|水|茶|汤|酒|缸|菜)里.{0,4}(?:放了|下了|加了)"
)
_JUMP = re.compile(
    r"跳楼(?!价|要)|跳(?:河|桥|江|湖)|要跳|往下跳|(?:骑|站|翻|爬|跨|坐)(?:到|在|出)?.{0,6}(?:栏杆|护栏|楼顶|天台|窗台|边上)|(?:楼顶|天台)上"
    r"|窗(?:户|台)?外|外机上|点了自己|自焚"
)
# Someone trapped in a vehicle (or under one), or a vehicle burning or leaking fuel.
_IN_A_VEHICLE = re.compile(
    r"(?:卡|困|夹|压|挤|关)(?:在|住).{0,4}(?:车|驾驶|座位|方向盘|底下)|被困|困住|卡住"
    r"|车(?:门|里|内).{0,6}(?:打不开|出不来|拉不开)|出不来|拽不出|拉不出|弄不出|变形.{0,6}(?:人|打不开)"
    r"|人(?:还)?(?:在|坐在)(?:车|驾驶室)?(?:里|内)|(?:车|里面|里头)(?:还)?有人|还在驾驶室|悬在|车轮(?:下|底)|车底下"
    r"|漏油|着火|起火|冒(?:着)?烟|冒火|烧起来"
)
# (primary, linked line, the call's situation, what must also be said — None: nothing more)
_LINKED: tuple[tuple[str, str, re.Pattern[str], re.Pattern[str] | None], ...] = (
    ("119", "120", _WATER, None),
    ("119", "120", _FIRE, _PEOPLE_INSIDE),
    ("119", "120", re.compile(""), _HURT),
    ("120", "119", _CARBON_MONOXIDE, None),
    ("120", "119", _SHOCK, _ON_THE_WIRE),
    ("120", "119", _SHOCK, _BURNING),
    ("120", "110", re.compile(""), _DELIBERATE),
    ("110", "119", _JUMP, None),
    ("110", "120", _JUMP, None),
    ("110", "120", re.compile(""), _HURT),
    ("122", "120", re.compile(""), _HURT),
    ("122", "119", re.compile(""), _IN_A_VEHICLE),
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
_FIRE_TRIGGERS = {re.compile(p) for p in EMERGENCY_TRIGGERS["119"][:3]}  # burning or smoke
_CRASH = re.compile("|".join(EMERGENCY_TRIGGERS["122"]))
# A 119 trigger that gives way to 122 when the call also tells of a crash (a car that burns,
# explodes or traps someone after a collision), and to 120 when someone was electrocuted.
_YIELDS_TO_CRASH = {*_FIRE_TRIGGERS, *(re.compile(EMERGENCY_TRIGGERS["119"][i]) for i in (4, 5))}
_YIELDS_TO_SHOCK = _FIRE_TRIGGERS
# A cry for help names no danger of its own: another trigger in the call says which line.
_WEAK_WORDS = frozenset({"喊救命"})
_MISSING_PERSON = (
    r"(?:孩子|小孩|孙子|孙女|男童|女童|儿子|闺女|女儿|老人|老头|老太太|爷爷|奶奶|外婆|姥姥|父亲|母亲|老伴)"
    r"[^。]{0,60}(?:到处(?:都)?找不(?:着|到)|找不(?:着|到)了|未归|走散|走丢|跟丢|跑出去了|找遍|都找了"
    r"|找了(?:一晚上|一下午|一上午|一天|好几个小时|几个小时))"
    r"|(?:痴呆|认知障碍|阿尔茨海默|糊涂了)[^。]{0,40}(?:出去|出门|不见|没回|未归|走丢|找)"
)
# Situations told over several clauses ("烧了一盆炭，早上起来都头疼", "儿子…我们找了一晚上了"),
# searched in the whole call before the clause-by-clause triggers; past, hypothetical and
# procedural calls are guarded as for those.
_CALL_TRIGGERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("120", re.compile(_CARBON_MONOXIDE_NOW)),
    ("110", re.compile(_MISSING_PERSON)),
    ("119", re.compile(r"下(?:河|水|塘|水库)(?:游泳|洗澡|摸鱼)?[^。]{0,20}没(?:上来|出来)")),
)
_CALL_INDEX = _AnchorIndex([pattern for _code, pattern in _CALL_TRIGGERS])
_COMPILED_UTILITY = tuple((code, re.compile(p)) for code, p in UTILITY_TRIGGERS.items())
# Any utility or telecom word: a call with none of them suggests no utility line.
_ANY_UTILITY = re.compile("|".join([*UTILITY_TRIGGERS.values(), _TELECOM.pattern]))


# What a speech recogniser writes for an emergency word it hears (the same syllables, other
# characters: a Vosk-like transcript), read back as the word before the triggers are tried.
# Only spellings that are not words of their own in a call: "一车货" stays, "出了车货" is 车祸.
HEARD_AS: dict[str, str] = {
    "招火": "着火",
    "叫不行": "叫不醒",
    "叫不星": "叫不醒",
    "不醒人事": "不省人事",
    "就命": "救命",
    "云倒": "晕倒",
    "婚迷": "昏迷",
    "昏米": "昏迷",
    "触店": "触电",
    "流雪": "流血",
    "出车货": "出车祸",
    "出了车货": "出了车祸",
    "穿不上气": "喘不上气",
    "落睡": "落水",
    "跳喽": "跳楼",
    "抢节": "抢劫",
    "抢结": "抢劫",
    "煤气中读": "煤气中毒",
}
_HEARD = re.compile("|".join(sorted(map(re.escape, HEARD_AS), key=len, reverse=True)))


def heard_right(normalized: str) -> str:
    """``normalized`` with the recogniser's spellings of emergency words read back as the words."""
    return _HEARD.sub(lambda match: HEARD_AS[match.group(0)], normalized)


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
    text = heard_right(text)
    if _CALM_NOW.search(text):
        return True
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


def _clause_hits(normalized: str) -> Iterator[tuple[str, re.Pattern[str], str]]:
    """Each trigger that fires, clause by clause and within a clause in line order, as
    (line, pattern, words), unless negated, past or hypothetical in its clause, or excused."""
    triggers = _live_triggers(normalized)
    for clause_match in _CLAUSE.finditer(normalized) if triggers else ():
        clause = clause_match.group(0)
        for code, pattern in triggers:
            trigger = pattern.search(clause)
            if not trigger or _clause_guarded(clause, trigger.start()):
                continue
            if not _excused(code, trigger.group(0), normalized):
                yield code, pattern, trigger.group(0)


def detect_emergency(normalized: str) -> RuleHit | None:
    """The emergency line a present danger in ``normalized`` calls for, or None."""
    normalized = heard_right(normalized)
    if is_procedural_question(normalized) or _CALM_NOW.search(normalized):
        return None
    present = _PRESENT.search(normalized)
    # A past marker anywhere guards every clause unless something is happening now.
    if _PAST.search(normalized) and not present:
        return None
    for index in sorted(_CALL_INDEX.live(normalized)):
        code, pattern = _CALL_TRIGGERS[index]
        match = pattern.search(normalized)
        if match and (present or not _HYPOTHETICAL.search(match.group(0))):
            return RuleHit(code, match.group(0))
    hits = _clause_hits(normalized)
    first = next(hits, None)
    if first is None:
        return None
    if first[2] in _WEAK_WORDS:
        first = next((hit for hit in hits if hit[2] not in _WEAK_WORDS), first)
    code, pattern, words = first
    if pattern in _YIELDS_TO_CRASH and _crash_said(normalized):
        code = "122"  # a crash that burns or traps someone: 122 first, 119 linked
    elif pattern in _YIELDS_TO_SHOCK and _SHOCK.search(normalized):
        code = "120"  # someone electrocuted where something burns: 120 first, 119 linked
    return RuleHit(code, words)


def _crash_said(normalized: str) -> bool:
    """A 122 trigger fires somewhere in the call (the cheap whole-call search first)."""
    if not _CRASH.search(normalized):
        return False
    return any(line == "122" for line, _pattern, _words in _clause_hits(normalized))


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


def emergency_lines(primary: str | None, normalized: str) -> list[str]:
    """Every line to alert, primary first: the linked lines the call's words call for (a crash
    with someone hurt and trapped: 122, 120, 119); [] without a primary line."""
    if primary is None:
        return []
    normalized = heard_right(normalized)
    lines = [primary]
    for line, linked, situation, also in _LINKED:
        if line != primary or linked in lines or not situation.search(normalized):
            continue
        if also is None or (
            _said_now(also, normalized) and not (also is _HURT and _NOBODY_HURT.search(normalized))
        ):
            lines.append(linked)
    return lines


def _said_now(pattern: re.Pattern[str], normalized: str) -> bool:
    """``pattern`` occurs in a clause where it is not negated, past or feared ("万一有人受伤");
    a similie guard ("好像有人住") does not apply: the primary line already says it is now."""
    for clause in _CLAUSE.findall(normalized):
        match = pattern.search(clause)
        if match and not (_NEGATED.search(clause[: match.start()]) or _LINK_GUARD.search(clause)):
            return True
    return False
