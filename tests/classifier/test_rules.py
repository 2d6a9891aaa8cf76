"""Emergency and utility rules: recall on indirect phrasings, no alarm for past or questions."""

from __future__ import annotations

import pytest

from classifier.rules import detect_emergency, detect_utility, model_alarm_excused
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
