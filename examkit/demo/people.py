"""Fictional schools and people for the demo year (no real person or school)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from examkit.core import idcard

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞宇浩然欣怡梓涵子轩思雨晨阳佳琪俊杰雅婷嘉欣宏博瑞泽一诺心怡雨桐梦琪诗涵晓东海燕志强春梅"


@dataclass(frozen=True)
class School:
    code: str
    name: str
    province: str
    area: str  # ID-number area code of the town
    pilot: bool
    filed: bool
    teacher_cert: str
    aliases: str
    weight: float  # share of the year's candidates


# Codes are strings: one starts with 0 on purpose (it must never become a number).
SCHOOLS: tuple[School, ...] = (
    School(
        "44001",
        "广州南方职业技术学院",
        "广东省",
        "440106",
        True,
        True,
        "HT-SZ-2022-0131",
        "南方职院、广州南方职院",
        1.4,
    ),
    School("44002", "深圳海湾职业学院", "广东省", "440305", True, True, "HT-SZ-2022-0208", "海湾职院", 1.2),
    School(
        "33001", "杭州钱江职业技术学院", "浙江省", "330106", True, True, "HT-SZ-2021-0877", "钱江职院;钱江学院", 1.2
    ),
    School("33002", "宁波港城职业学院", "浙江省", "330203", True, True, "HT-SZ-2022-0455", "", 0.9),
    School("51001", "成都天府职业技术学院", "四川省", "510104", True, True, "HT-SZ-2021-0612", "天府职院", 1.1),
    School("03107", "绵阳科创职业学院", "四川省", "510703", True, True, "HT-SZ-2022-0990", "科创职院", 0.7),
    School("37001", "济南泉城职业学院", "山东省", "370102", True, True, "HT-SZ-2022-0321", "泉城职院", 1.0),
    School("44901", "广州白云商贸学校", "广东省", "440111", False, False, "", "", 0.35),
    School("33901", "杭州西湖财经学校", "浙江省", "330106", False, False, "", "", 0.3),
    School("37002", "济南历下职业学院", "山东省", "370102", True, False, "HT-SZ-2023-0102", "", 0.0),
    School("37003", "青岛海滨职业学院", "山东省", "370202", True, True, "", "", 0.0),
)

# Non-pilot schools and social candidates sit at a nearby pilot site (借考).
HOST_SITE = {"44901": "44001", "33901": "33001"}
SOCIAL_SITES = ("44002", "51001", "37001")


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def id_number(rng: random.Random, area: str, born: dt.date) -> str:
    return idcard.make(area, born, rng.randrange(1000))


def student_birth(rng: random.Random, exam: dt.date) -> dt.date:
    age_days = rng.randrange(int(17.5 * 365), 22 * 365)
    return exam - dt.timedelta(days=age_days)


def social_birth(rng: random.Random, exam: dt.date) -> dt.date:
    return exam - dt.timedelta(days=rng.randrange(22 * 365, 45 * 365))


def phone(rng: random.Random) -> str:
    return rng.choice(("138", "139", "150", "186", "177", "199")) + f"{rng.randrange(10**8):08d}"
