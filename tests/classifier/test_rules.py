"""Emergency and utility rules: recall on indirect phrasings, no alarm for past or questions."""

from __future__ import annotations

import pytest

from classifier.rules import (
    HEARD_AS,
    detect_emergency,
    detect_utility,
    emergency_lines,
    model_alarm_excused,
)
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

# One new phrasing per concept the rules must recognise (not corpus rows).
CONCEPT_EMERGENCIES = [
    # "Now" outweighs words that usually mark a chronic complaint (每天, 经常).
    ("我每天都路过这里,现在有个人倒在地上叫不醒", "120"),
    ("小区里经常有人打架,现在又打起来了,有人拿着刀", "110"),
    # 120: will not wake / not breathing, stroke signs, choking, swallowing, bleeding, burns, falls
    ("我外公坐在沙发上怎么拍都不醒,也不出气了", "120"),
    ("我爸吃饭的时候嘴一下子歪了,话也说不出来", "120"),
    ("奶奶右边胳膊突然没劲了,拿不住筷子", "120"),
    ("老人吃汤圆噎住了,脸憋得发紫", "120"),
    ("小孩把一颗玻璃珠吞下去了,一直在干呕", "120"),
    ("我妹妹把一瓶安眠药全吃了,现在叫不醒", "120"),
    ("爸爸骑车摔了一跤,腿上划了个大口子,血一直往外冒", "120"),
    ("锅里的热油泼到我妈脚上了,烫得起了一片水泡", "120"),
    ("工人从三楼架子上掉下来了,躺着不动", "120"),
    ("孩子从水池里捞上来了,没气了", "120"),
    # 119: fire on any object, gas smell, trapped in a lift / car / water
    ("我家电动车在楼道里充电,现在着起来了", "119"),
    ("仓库里的纸箱子起火了,火越来越大", "119"),
    ("楼下垃圾桶着了,火苗蹿到一楼窗户了", "119"),
    ("一进门就闻到一股臭鸡蛋味,家里人头晕", "119"),
    ("我和孩子困在电梯里了,按警铃没人理", "119"),
    ("有个小孩掉进村口的水塘里了,还在扑腾", "119"),
    ("车冲进河里了,人还在车里", "119"),
    # 110: weapons, someone about to jump, missing child, burglar, domestic violence, held
    ("一个男的拿着铁锹在村口追着人打", "110"),
    ("有人拿锤子在砸我家的车,就在楼下", "110"),
    ("有个女的站在桥边上说要跳下去", "110"),
    ("我家孩子在公园里找不到了,到处都找了", "110"),
    ("家里进贼了,我听到他还在客厅翻东西", "110"),
    ("我老公喝了酒在家打我,我躲在厕所里", "110"),
    ("有人被关在一个院子里出不去,手机被他们收走了", "110"),
    # 122: a collision with someone hurt or a driver fleeing; trapped after a crash stays 122
    ("两辆电动车撞了,一个人躺在路上起不来", "122"),
    ("一辆轿车把骑车的学生撞飞了,司机开车跑了", "122"),
    ("两辆车相撞了,司机被困在车里出不来", "122"),
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
    # Questions, praise, suggestions and recurring nuisances.
    "上礼拜小区门口出了车祸,那个路口能不能装个红绿灯",
    "想问一下家里老人突然晕倒应该怎么急救",
    "我想问煤气泄漏了应该先关阀门还是先开窗",
    "楼下烧烤摊年年夏天烟大得呛人,又摆出来了",
    "那个路口经常撞车,建议设个减速带",
    "表扬120的急救员,上个月把我爸从昏迷中救回来了",
    "老人走丢了算不算要立案,有没有什么规定",
    "饭店后厨天天冒黑烟,熏得晾的衣服都黑了",
    "孩子在学校被同学打了,想问学校应该怎么处理",
    "物业把电梯停了,老人下不了楼,诉求恢复运行",
    # Words that look like a trigger but are about objects, prices or near misses.
    "燃气灶点不着火,是不是没气了",
    "燃气表插卡没反应",
    "充电器用一会儿就发烫,质量有问题",
    "楼下商场天天喊跳楼价清仓",
    "剐蹭了一下,人没事,对方也同意私了",
    "路灯杆被车撞歪了,一直没人修",
    "大车开太快,差点撞到过马路的学生",
    "家里油烟机坏了,炒菜一屋子烟",
    "小区里有人在打篮球,声音太吵",
]


@pytest.mark.parametrize(("text", "line"), INDIRECT_EMERGENCIES)
def test_indirect_emergencies_are_caught(text: str, line: str) -> None:
    hit = detect_emergency(normalize(text))
    assert hit is not None, text
    assert hit.code == line
    assert hit.words in normalize(text)


@pytest.mark.parametrize(("text", "line"), CONCEPT_EMERGENCIES)
def test_each_emergency_concept_is_caught_on_its_line(text: str, line: str) -> None:
    hit = detect_emergency(normalize(text))
    assert hit is not None, text
    assert hit.code == line, (text, hit)


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


def test_something_that_will_not_light_excuses_a_model_fire_alarm_only() -> None:
    stove = normalize("燃气灶打不着火想找人修")
    assert model_alarm_excused("119", stove)
    assert not model_alarm_excused("120", stove)
    # The rules still hear a real fire in the same call.
    hit = detect_emergency(normalize("车打不着火了，发动机那块冒烟了，快来人"))
    assert hit is not None and hit.code == "119"


# Every situation of issue 18 §1, in new wordings (not corpus rows): direct, indirect, spoken,
# Henan dialect and spaced recogniser-style text, each with all the lines to alert.
SITUATIONS_WITH_LINES = [
    # fire and smoke; people inside → 120 too
    ("对面饭店的招牌着火了，火苗往上蹿", ["119"]),
    ("俺 家 屋 里 冒 烟 了 俺 娘 还 在 里 面 没 出 来", ["119", "120"]),
    # gas: 119 (filed RQ), 120 when someone is dizzy
    ("厨房一股很冲的液化气味，我婆婆说头晕", ["119", "120"]),
    ("单元楼道里天然气味好大，不知道谁家漏了", ["119"]),
    # carbon monoxide: 120 first, 119 linked
    ("屋里生着煤炉子，我爹躺床上喊不醒了", ["120", "119"]),
    # missing people (a child, an elderly person with dementia)
    ("俺孙女在超市门口找不着了，才四岁，到处都找不到", ["110"]),
    ("我奶奶有老年痴呆，中午自己出门了到现在都没回来", ["110"]),
    # someone in the water: 119 and 120
    ("有个小孩掉进池塘里了，在水里扑腾", ["119", "120"]),
    # electric shock: 120, 119 while still on the wire
    ("我表哥被电打了，手还粘在电线上下不来", ["120", "119"]),
    ("工地上一个工人触电了，闸已经拉了，人躺着不动", ["120"]),
    # a fall; a threat to jump (110, 119, 120)
    ("俺爷爷从房顶上摔下来了，头上流血", ["120"]),
    ("有个姑娘坐在大桥护栏上哭，说不想活了", ["110", "119", "120"]),
    # violence, a weapon, domestic violence; 120 when someone is hurt
    ("楼下烧烤摊有人拿着啤酒瓶打架，有个人头破了", ["110", "120"]),
    ("隔壁男的又在打老婆，女的一直喊救命", ["110"]),
    # trapped: a lift, a collapse (120 when hurt)
    ("电梯卡在九楼下不去也上不来，里面有俩孩子", ["119"]),
    ("村里老房子塌了，有人被压在下面了", ["119", "120"]),
    # traffic: 122, 120 when hurt, 119 when trapped in a vehicle or a vehicle burns
    ("两辆车撞了，一个司机卡在车里出不来，头上在流血", ["122", "120", "119"]),
    ("刚 才 一 辆 车 把 骑 电动车 的 撞 倒 了 人 躺 地上 不 动", ["122", "120"]),
    # sudden illness
    ("俺爹胸口疼得厉害，满头大汗", ["120"]),
    ("我老婆突然抽起来了，叫也叫不醒", ["120"]),
    # poisoning; 110 when someone poisoned someone on purpose
    ("孩子把家里的老鼠药当糖吃了", ["120"]),
    ("有人往我们家水缸里下毒，一家人喝了都在吐", ["120", "110"]),
    # floods and landslides
    ("山上滑坡了，石头把一户人家的房子埋了，有人被埋在里面", ["119", "120"]),
    # found missed in a fresh set written after the rules (then fixed)
    ("有个人在河里挣扎，眼看就要沉下去了", ["119", "120"]),
    ("电梯从八楼突然掉到三楼才停，我们被关在里面了，有个老太太喘不上气", ["119", "120"]),
    ("我婆婆把农药当饮料喝了，现在一直吐", ["120"]),
    ("我闺女被人拉上一辆面包车带走了，车往北开了", ["110"]),
]

# Near misses: past events, safety questions, hazards not happening now, consultations,
# figurative words — and something over by now.
NEAR_MISSES = [
    "上个月我家电动车着过火，想问问保险能不能赔",
    "请问一下家里装的燃气报警器多久要换一次",
    "楼道里堆了好多纸箱子，万一着火人都跑不出去",
    "电梯年检合格证过期了还在用，物业也不管",
    "前两天老人走丢过一次，想办个防走失手环",
    "商场门口天天喊跳楼价，喇叭吵死人",
    "新开的火锅店生意火爆，天天在人行道上排队",
    "快递丢了客服也不管，我都气炸了",
    "暖气烧得热得要命，能不能调低一点",
    "燃气热水器洗澡时有点头晕，开窗以后就好了，热水器是不是该换了",
    "孩子昨天误吞了一颗纽扣，去医院取出来了，想投诉玩具质量",
    "学校组织防溺水教育，想问问河边有没有人巡逻",
    "车被刮了一道印子，对方已经赔钱走了",
    "消防通道被私家车占了，怕着火了消防车进不来",
    "有人把我拉进一个理财微信群，已经好几个人被骗了",
]


@pytest.mark.parametrize(("text", "lines"), SITUATIONS_WITH_LINES)
def test_each_situation_raises_its_lines_primary_first(text: str, lines: list[str]) -> None:
    normalized = normalize(text)
    hit = detect_emergency(normalized)
    assert hit is not None, text
    assert emergency_lines(hit.code, normalized) == lines


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_raise_no_alarm(text: str) -> None:
    assert detect_emergency(normalize(text)) is None


def test_no_primary_line_no_lines() -> None:
    assert emergency_lines(None, normalize("两辆车撞了，司机卡在车里")) == []


@pytest.mark.parametrize(
    ("primary", "text", "lines"),
    [
        # Linked lines only from what is said now: not negated, past or feared.
        ("122", "追尾了，人都没事，车在路中间", ["122"]),
        ("122", "撞车了，万一有人受伤就麻烦了", ["122"]),
        ("119", "仓库着火了，里面的人都跑出来了", ["119"]),
        # The model's primary line gets its linked lines from the same rules.
        ("110", "有人站在楼顶边上", ["110", "119", "120"]),
    ],
)
def test_linked_lines_follow_what_the_call_says(primary: str, text: str, lines: list[str]) -> None:
    assert emergency_lines(primary, normalize(text)) == lines


def test_each_heard_spelling_sounds_like_its_word() -> None:
    pypinyin = pytest.importorskip("pypinyin")

    def readings(text: str) -> list[set[str]]:  # every toneless reading of each character
        style = pypinyin.Style.NORMAL
        return [set(pypinyin.pinyin(char, style=style, heteronym=True)[0]) for char in text]

    for heard, word in HEARD_AS.items():
        pairs = zip(readings(heard), readings(word), strict=True)
        assert all(a & b for a, b in pairs), (heard, word)


@pytest.mark.parametrize(
    ("transcript", "lines"),
    [
        ("喂 我 爸 在 沙发 上 叫 不 行 了 脸 都 白 了", ["120"]),
        ("楼 下 饭店 招 火 了 烟 老 大 了", ["119"]),
        ("出 了 车货 了 有 个 人 腿 上 流 雪", ["122", "120"]),
        ("我 奶奶 突然 婚 迷 了 不省人事", ["120"]),
    ],
)
def test_a_recogniser_s_homophones_still_raise_the_alarm(transcript: str, lines: list[str]) -> None:
    normalized = normalize(transcript)
    hit = detect_emergency(normalized)
    assert hit is not None, transcript
    assert emergency_lines(hit.code, normalized) == lines


@pytest.mark.parametrize(
    "text",
    [
        "拉了一车货到市场上卖，被城管罚款",
        "工地上开着货车拉土，尘土飞扬",
        "我家孩子高中读书，想问转学手续",
    ],
)
def test_the_heard_spellings_leave_ordinary_words_alone(text: str) -> None:
    assert detect_emergency(normalize(text)) is None
