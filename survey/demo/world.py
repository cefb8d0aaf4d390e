"""The demo's world: one province's operator, its cities, halls, crews, customers' names and
the comments they write. Plain data; the generator in ``survey.demo.generate`` uses it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np


@dataclass(frozen=True)
class Region:
    name: str
    share: float  # of customers
    offset: float  # satisfaction offset on a 1-5 mean (regions differ, steadily)
    halls: int
    crews: int


REGIONS = (
    Region("Hangzhou", 0.28, +0.05, 6, 9),
    Region("Ningbo", 0.20, 0.00, 4, 7),
    Region("Wenzhou", 0.17, -0.10, 4, 6),
    Region("Jiaxing", 0.12, +0.05, 3, 4),
    Region("Shaoxing", 0.12, 0.00, 3, 4),
    Region("Jinhua", 0.11, -0.05, 3, 4),
)

TIERS = ("diamond", "gold", "silver", "standard")
TIER_SHARE = np.array([0.02, 0.06, 0.12, 0.80])
TIER_OFFSET = np.array([-0.08, -0.04, 0.0, 0.0])  # top tiers expect more
TIER_EVENT_WEIGHT = np.array([1.6, 1.4, 1.2, 1.0])  # VIPs have more service contacts

SEGMENTS = ("consumer", "business")
BUSINESS_SHARE = 0.10
BUSINESS_OFFSET = -0.05
ENGLISH_SHARE = 0.03
EMAIL_SHARE = 0.30
PHONE_CHANNEL_OFFSET = 0.12  # answers given to a person run a little kinder

# Spring Festival (Chinese New Year's day), for the seasonal dip.
SPRING_FESTIVAL = {
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
GIVEN = list(
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国红梅海燕鹏飞晓东雪玲婷宇浩然轩欣怡思远佳琪俊峰志文斌丹萍慧颖"
)
FIRST_NAMES_EN = [
    "James",
    "Mary",
    "David",
    "Linda",
    "Peter",
    "Susan",
    "Michael",
    "Emma",
    "Daniel",
    "Sophie",
    "Thomas",
    "Anna",
    "Mark",
    "Laura",
    "Paul",
    "Grace",
]
LAST_NAMES_EN = [
    "Smith",
    "Brown",
    "Wilson",
    "Taylor",
    "Clark",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Green",
    "Baker",
    "Adams",
    "Turner",
]

# Free-text comments by theme. Themes mirror the root-cause categories, so comment
# classification (closed loop) has something true to find.
COMMENTS: dict[str, dict[str, list[str]]] = {
    "network_quality": {
        "zh-CN": [
            "家里宽带经常掉线，晚上网速特别慢。",
            "手机信号太差了，地下室完全没有信号。",
            "网络不稳定，视频会议老是卡顿。",
            "5G信号时有时无，网速还不如4G。",
            "宽带提速后反而更慢了，希望尽快解决网络问题。",
        ],
        "en": [
            "The broadband keeps dropping and is very slow in the evening.",
            "Mobile signal is terrible at home, no coverage in the basement.",
            "The network is unstable and my video calls keep freezing.",
            "5G coverage comes and goes; the speed is worse than 4G.",
        ],
    },
    "billing": {
        "zh-CN": [
            "话费扣费不明白，账单看不懂。",
            "套餐外多收了流量费，没有提前提醒。",
            "这个月话费比平时多了五十元，希望核实一下计费。",
            "退订的业务还在扣费，账单有问题。",
        ],
        "en": [
            "I was charged for data I did not use; the bill is confusing.",
            "There is an extra fee on my bill that nobody explained.",
            "My bill is much higher this month, please check the charges.",
            "I cancelled a service but I am still being billed for it.",
        ],
    },
    "business_handling": {
        "zh-CN": [
            "营业厅排队太久了，等了四十多分钟。",
            "办个业务要跑好几趟，手续太繁琐。",
            "业务办理效率太低，一个过户弄了半天。",
            "网上办理总是失败，最后还得去营业厅。",
        ],
        "en": [
            "I queued for over forty minutes at the business hall.",
            "It took several visits and too much paperwork to get it done.",
            "Handling was very slow; a simple transfer took half a day.",
            "The online application kept failing so I had to go to the hall anyway.",
        ],
    },
    "fault_repair": {
        "zh-CN": [
            "报修后两天才有人上门，修复太慢了。",
            "约好的时间装维师傅迟到了三个小时。",
            "故障处理时间太长，影响正常使用。",
        ],
        "en": [
            "It took two days before anyone came to repair the fault.",
            "The technician was three hours late for the appointment.",
            "The repair took far too long and I could not work.",
        ],
    },
    "repeated_fault": {
        "zh-CN": [
            "同一个故障报修三次了还没彻底修好。",
            "修好没几天又坏了，反复出现同样的问题。",
            "光猫又坏了，这已经是这个月第二次报修。",
        ],
        "en": [
            "I have reported the same fault three times and it is still not fixed.",
            "It broke again a few days after the repair, the same problem keeps coming back.",
            "The modem failed again, this is my second repair request this month.",
        ],
    },
    "staff_attitude": {
        "zh-CN": [
            "客服态度很差，说话不耐烦。",
            "营业员爱理不理的，服务态度需要改进。",
            "打10000号转了好几次人工，客服推诿责任。",
        ],
        "en": [
            "The agent was rude and impatient.",
            "The staff at the counter ignored me, very poor attitude.",
            "I was transferred several times on the hotline and nobody took responsibility.",
        ],
    },
    "praise": {
        "zh-CN": [
            "师傅很专业，态度也很好，非常满意！",
            "营业员服务热情，办理很快，点赞。",
            "问题很快就解决了，谢谢你们。",
            "客户经理很负责，有问题随时帮忙处理。",
        ],
        "en": [
            "The technician was professional and friendly, very satisfied!",
            "Friendly staff and quick service, thank you.",
            "My problem was solved quickly, thanks.",
            "My account manager is very responsive and helpful.",
        ],
    },
    "suggestion": {
        "zh-CN": ["希望能增加周末的营业时间。", "建议手机营业厅的操作再简单一点。", "希望套餐资费再优惠一些。"],
        "en": [
            "Please open the business hall longer at weekends.",
            "The app could be simpler to use.",
            "I would like cheaper plans.",
        ],
    },
}


def chinese_names(rng: np.random.Generator, n: int) -> list[str]:
    surnames = rng.choice(SURNAMES, n)
    first = rng.choice(GIVEN, n)
    second = rng.choice(GIVEN + [""] * (len(GIVEN) // 2), n)
    return [a + b + c for a, b, c in zip(surnames.tolist(), first.tolist(), second.tolist())]


def english_names(rng: np.random.Generator, n: int) -> list[str]:
    return [f"{a} {b}" for a, b in zip(rng.choice(FIRST_NAMES_EN, n).tolist(), rng.choice(LAST_NAMES_EN, n).tolist())]


def phone_numbers(rng: np.random.Generator, n: int) -> list[str]:
    prefixes = rng.choice(["133", "153", "173", "177", "180", "181", "189", "199"], n)
    numbers = rng.integers(0, 10**8, n)
    return [f"{p}{x:08d}" for p, x in zip(prefixes.tolist(), numbers.tolist())]
