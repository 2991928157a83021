"""Generate deterministic, synthetic sample data for a city like 盘锦 (Panjin, Liaoning).

Run from the repository root::

    .venv/bin/python scripts/generate_sample_data.py [--out DIR] [--objects N]

It writes, under ``DIR`` (default: the repository root), following docs/FORMATS.md:

- ``registries/departments.csv``  the departments named in 盘政办发〔2017〕57号, plus the
  merged 市场监督管理局 (SCJG), the 安监局 (AJ, not named in the text but needed for the
  危险化学品 item) and the district branches of SCJG;
- ``registries/objects.csv``      about N inspection objects (检查对象名录库, default 5000);
- ``registries/inspectors.csv``   88 certified inspectors (执法检查人员名录库);
- ``registries/conflicts.csv``    declared recusal relations (回避);
- ``rules/items.toml``            20 inspection items (随机抽查事项清单);
- ``rules/plans/2027-Q1.toml`` … ``2027-Q4.toml``  the quarterly batches of the 2027 plan.

Everything is fictitious: names, codes, resident IDs, phones and addresses are invented; the
check characters are valid (USCC per GB 32100 via ``stdnum.cn.uscc``, the organisation-code
part per GB 11714, resident IDs per GB 11643 via ``stdnum.cn.ric``) so importers accept them.
辽东湾新区 has no official county-level 行政区划 code: its USCCs use the placeholder 211171.

The output is a pure function of the arguments (a private seeded PRNG, no clock, rows sorted
by id, UTF-8 with ``\\n``): running it twice gives byte-identical files. At the end it prints
a sanity summary per plan: objects per stratum and item, and eligible officers per district
and specialty.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import random
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from stdnum.cn import ric, uscc

T = TypeVar("T")
Doc = dict[str, Any]  # a parsed TOML document (the self-check reads the files back)

SEED = 20270101
LATEST = date(2026, 10, 31)  # no generated registration or inspection date is later
YEAR = 2027

DISTRICTS = ("兴隆台区", "双台子区", "大洼区", "盘山县", "辽东湾新区")
REGION_CODE = {
    "盘锦市": "211100",
    "兴隆台区": "211103",
    "双台子区": "211102",
    "大洼区": "211104",
    "盘山县": "211122",
    "辽东湾新区": "211171",  # placeholder: the new area has no official county code
}
CITY_AUTHORITY = "盘锦市市场监督管理局"
AUTHORITY = {
    "兴隆台区": "盘锦市兴隆台区市场监督管理局",
    "双台子区": "盘锦市双台子区市场监督管理局",
    "大洼区": "盘锦市大洼区市场监督管理局",
    "盘山县": "盘山县市场监督管理局",
    "辽东湾新区": "盘锦辽东湾新区市场监督管理局",
}

# --------------------------------------------------------------------------- departments

DEPARTMENTS: tuple[tuple[str, str, str], ...] = (
    ("SCJG", "盘锦市市场监督管理局", "市"),
    ("GS", "盘锦市工商局", "市"),
    ("ZJ", "盘锦市质监局", "市"),
    ("SYJ", "盘锦市食药监局", "市"),
    ("WJJ", "盘锦市物价局", "市"),
    ("AJ", "盘锦市安监局", "市"),
    ("HB", "盘锦市环保局", "市"),
    ("JT", "盘锦市交通局", "市"),
    ("ZJW", "盘锦市住建委", "市"),
    ("WJ", "盘锦市卫计委", "市"),
    ("WG", "盘锦市文广局", "市"),
    ("TY", "盘锦市体育局", "市"),
    ("SW", "盘锦市商务局", "市"),
    ("JXW", "盘锦市经信委", "市"),
    ("MZ", "盘锦市民政局", "市"),
    ("JY", "盘锦市教育局", "市"),
    ("RS", "盘锦市人社局", "市"),
    ("TJ", "盘锦市统计局", "市"),
    ("CZ", "盘锦市财政局", "市"),
    ("SL", "盘锦市水利局", "市"),
    ("GH", "盘锦市规划局", "市"),
    ("LY", "盘锦市林园局", "市"),
    ("GA", "盘锦市公安局", "市"),
    ("ZHZF", "盘锦市综合执法局", "市"),
    ("FGW", "盘锦市发改委", "市"),
    ("SCJG-XLT", "盘锦市兴隆台区市场监督管理局", "区县"),
    ("SCJG-STZ", "盘锦市双台子区市场监督管理局", "区县"),
    ("SCJG-DW", "盘锦市大洼区市场监督管理局", "区县"),
    ("SCJG-PS", "盘山县市场监督管理局", "区县"),
    ("SCJG-LDW", "盘锦辽东湾新区市场监督管理局", "区县"),
)

# --------------------------------------------------------------------------- people

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙马朱胡郭何林高罗郑梁谢宋唐于许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛闫段雷侯史"
    "陶贺顾毛郝龚邵万钱武戴孔汤佟关那曲鲍栾"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳东亮成峰建志国海文博晨"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲燕丹萍红婷雪琳颖倩慧莉晶洁欣悦璐佳怡薇楠"
# fmt: off
PHONE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151",
                  "152", "155", "156", "158", "159", "177", "180", "181", "182", "183", "186",
                  "187", "188", "189", "199")
# fmt: on
SURNAME_WEIGHTS = [1 / (rank + 6) for rank in range(len(SURNAMES))]


def person_name(rng: random.Random) -> str:
    """A Chinese personal name: a common surname and one or two given characters."""
    surname = rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
    pool = GIVEN_MALE if rng.random() < 0.55 else GIVEN_FEMALE
    size = 2 if rng.random() < 0.6 else 1
    return surname + "".join(rng.choice(pool) for _ in range(size))


def phone_number(rng: random.Random) -> str:
    return f"{rng.choice(PHONE_PREFIXES)}-{rng.randrange(10000):04d}-{rng.randrange(10000):04d}"


def pick(rng: random.Random, table: Sequence[tuple[T, float]]) -> T:
    """One value of a ``(value, weight)`` table."""
    return rng.choices([v for v, _ in table], [w for _, w in table])[0]


def random_date(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


# --------------------------------------------------------------------------- codes

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(body: str) -> str:
    """The 9-character organisation code: 8 characters and the GB 11714 check character."""
    total = sum(int(c, 36) * w for c, w in zip(body, GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def organisation_body(rng: random.Random, category: str, established: date) -> str:
    """Pre-2016 codes are numeric (individual businesses: ``L`` + 7 digits); later ``MA``…"""
    if established.year >= 2016:
        return "MA" + "".join(rng.choice(USCC_ALPHABET) for _ in range(6))
    digits = "".join(rng.choice("0123456789") for _ in range(7))
    return ("L" if category == "2" else rng.choice("1234567")) + digits


def make_uscc(rng: random.Random, category: str, region: str, established: date) -> str:
    """A USCC: authority 9 (工商), category, 6-digit region, organisation code, check."""
    body = (
        "9" + category + region + organisation_code(organisation_body(rng, category, established))
    )
    code = body + uscc.calc_check_digit(body)
    assert uscc.is_valid(code), code
    return code


def make_resident_id(rng: random.Random, senior: bool) -> str:
    """A GB 11643 resident ID with a Panjin region code valid for the birth year (the stdnum
    database knows 2111xx codes only from 1984, when 盘锦市 got its present districts)."""
    born = random_date(rng, date(1984, 1, 1), date(1990 if senior else 2001, 12, 31))
    regions = ["211102", "211103", "211121"] + (["211122"] if born.year >= 1986 else [])
    body = f"{rng.choice(regions)}{born:%Y%m%d}{rng.randrange(1, 1000):03d}"
    number = body + ric.calc_check_digit(body + "0")
    assert ric.is_valid(number), number
    return number


# --------------------------------------------------------------------------- industries

# code: (weight among 企业, weight among 个体工商户, company words, shop words)
INDUSTRIES: dict[str, tuple[int, int, tuple[str, ...], tuple[str, ...]]] = {
    "F5211": (2, 0, ("百货",), ()),
    "F5212": (3, 3, ("超市", "购物广场"), ("超市",)),
    "F5213": (1, 10, ("便利店",), ("便利店", "小卖店", "食杂店")),
    "F5219": (0, 4, (), ("商店", "日杂店")),
    "F5221": (1, 3, ("粮油",), ("粮油店",)),
    "F5223": (0, 5, (), ("果蔬店", "水果店")),
    "F5224": (1, 5, ("海鲜",), ("海鲜店", "鲜肉店", "河蟹店")),
    "F5226": (0, 2, (), ("烟酒店", "茶叶店")),
    "F5232": (1, 4, ("服饰",), ("服装店", "服饰店")),
    "F5234": (0, 2, (), ("化妆品店",)),
    "F5251": (1, 2, ("大药房", "医药连锁"), ("大药房", "药店")),
    "F5254": (0, 1, (), ("医疗器械店",)),
    "F5261": (1, 0, ("汽车销售服务",), ()),
    "F5265": (1, 0, ("加油站", "石油销售"), ()),
    "F5274": (0, 2, (), ("手机店", "通讯器材店")),
    "F5281": (0, 2, (), ("五金店", "五金商店")),
    "F5292": (0, 2, (), ("网店", "电子商务")),
    "F5121": (2, 0, ("粮油贸易", "米业贸易"), ()),
    "F5124": (1, 0, ("水产贸易", "海产品"), ()),
    "F5162": (3, 0, ("石油化工销售", "能源贸易", "石化贸易"), ()),
    "F5169": (2, 0, ("化工贸易", "化工产品销售"), ()),
    "H6210": (4, 12, ("餐饮", "酒店管理", "饭店"), ("饭店", "家常菜馆", "酒家", "饺子馆")),
    "H6220": (1, 4, ("快餐",), ("快餐店",)),
    "H6241": (1, 0, ("餐饮配送",), ()),
    "H6291": (0, 8, (), ("烧烤店", "小吃部", "面馆", "麻辣烫")),
    "H6231": (0, 1, (), ("茶馆",)),
    "H6110": (1, 0, ("大酒店", "宾馆"), ()),
    "H6121": (1, 1, ("酒店",), ("旅店",)),
    "H6130": (0, 1, (), ("民宿",)),
    "C2511": (4, 0, ("石油化工", "石化", "炼化"), ()),
    "C2519": (1, 0, ("沥青", "燃料油"), ()),
    "C2614": (2, 0, ("化工", "精细化工"), ()),
    "C2619": (1, 0, ("化学",), ()),
    "C2641": (1, 0, ("涂料",), ()),
    "C2651": (1, 0, ("新材料", "树脂"), ()),
    "C2661": (1, 0, ("化学助剂", "油田化学"), ()),
    "C1311": (4, 3, ("米业", "稻米加工", "粮食加工"), ("米厂", "稻米加工厂")),
    "C1369": (1, 0, ("水产食品", "河蟹食品"), ()),
    "C1411": (1, 2, ("食品",), ("糕点坊", "面包房")),
    "C1431": (1, 0, ("米制品",), ()),
    "C3512": (4, 0, ("石油机械", "石油装备制造", "钻采设备"), ()),
    "C3311": (2, 0, ("钢结构",), ()),
    "C3021": (2, 0, ("建材",), ()),
    "B0711": (1, 0, ("石油开发",), ()),
    "B1120": (5, 0, ("石油工程技术服务", "油田技术服务", "石油技术开发"), ()),
    "E4700": (4, 0, ("建筑工程", "建设工程"), ()),
    "E4812": (2, 0, ("路桥工程", "公路工程"), ()),
    "E4910": (1, 0, ("电气安装工程",), ()),
    "E5012": (2, 2, ("装饰工程", "装饰装修"), ("装饰部",)),
    "G5431": (3, 3, ("物流", "运输"), ("货运部",)),
    "G5435": (1, 0, ("危险品运输", "化工物流"), ()),
    "G5941": (1, 0, ("石油储运", "油品仓储"), ()),
    "G5942": (1, 0, ("化工仓储",), ()),
    "I6432": (1, 0, ("网络科技",), ()),
    "I6510": (2, 0, ("软件", "信息技术"), ()),
    "K7010": (2, 0, ("房地产开发",), ()),
    "K7020": (2, 0, ("物业服务", "物业管理"), ()),
    "L7211": (1, 0, ("企业管理",), ()),
    "L7251": (1, 0, ("网络传媒",), ()),
    "L7259": (1, 1, ("广告", "文化传媒"), ("广告部", "图文广告")),
    "L7299": (1, 0, ("商务咨询",), ()),
    "M7320": (1, 0, ("石油科技", "工程技术"), ()),
    "M7452": (1, 0, ("检测技术",), ()),
    "D4511": (2, 0, ("燃气",), ()),
    "A0111": (1, 0, ("农业发展",), ()),
    "A0412": (2, 5, ("河蟹养殖", "水产养殖"), ("河蟹养殖场", "养殖场")),
    "O8111": (1, 3, ("汽车维修",), ("汽车修理部", "汽修部")),
    "O8040": (1, 6, ("美容美发",), ("美发店", "美容院", "理发店")),
    "O8051": (0, 2, (), ("洗浴中心", "浴池")),
    "O8030": (0, 1, (), ("干洗店",)),
    "R8930": (1, 1, ("健身", "体育发展"), ("健身房", "游泳馆")),
    "R9011": (1, 0, ("娱乐",), ()),
    "R9013": (0, 1, (), ("网吧",)),
    "P8391": (1, 0, ("职业技能培训",), ()),
}
COOP_INDUSTRIES: tuple[tuple[str, int, tuple[str, ...]], ...] = (
    ("A0111", 50, ("水稻种植", "稻米", "有机稻米")),
    ("A0412", 25, ("河蟹养殖", "水产养殖", "稻蟹共生")),
    ("A0512", 10, ("农机服务",)),
    ("A0514", 5, ("粮食烘干",)),
    ("A0313", 5, ("生猪养殖",)),
    ("C1311", 5, ("大米加工",)),
)
HEAVY = ("C25", "C26", "G59", "G5435", "F5162", "F5169", "D45")
FOREIGN_OFFICES: tuple[tuple[str, str, str, str], ...] = (
    ("日本东和精化株式会社盘锦代表处", "C2614", "辽东湾新区", "佐藤健一"),
    ("韩国海原石化株式会社盘锦代表处", "F5162", "兴隆台区", "金敏俊"),
    ("德国莱茵过程技术有限公司盘锦代表处", "M7320", "辽东湾新区", "托马斯·米勒"),
    ("美国海湾能源设备公司盘锦代表处", "C3512", "兴隆台区", "迈克尔·布朗"),
    ("新加坡宏远海事私人有限公司盘锦代表处", "L7299", "辽东湾新区", "陈志明"),
    ("荷兰北海阀门有限公司盘锦代表处", "C3512", "兴隆台区", "扬·德弗里斯"),
)
MARKETS: tuple[tuple[str, str, str], ...] = (
    ("惠宾农贸市场", "兴隆台区", "F5223"),
    ("振兴农贸市场", "兴隆台区", "F5224"),
    ("胜利农贸市场", "双台子区", "F5221"),
    ("田家农贸市场", "大洼区", "F5224"),
    ("太平农贸市场", "盘山县", "F5223"),
)
TRADE_CHARS = (
    "鑫华盛隆恒达宏源泰海辽河兴旺福瑞祥锦金利丰德顺通鼎昌裕嘉博远晟润佳美新安汇诚信中天"
    "鸿凯正明红宇航益万和同东北方永康宁乾坤聚荣晨阳湾辰启峰众合大洋禾稻苇蟹"
)

# --------------------------------------------------------------------------- places

# fmt: off
STREETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "兴隆台区": (("",), ("石油大街", "惠宾街", "泰山路", "市府大街", "兴隆街", "双兴路", "振兴街",
                        "渤海路", "友谊街", "新工街", "光明街", "科技路")),
    "双台子区": (("",), ("胜利街", "红旗大街", "建设街", "辽河路", "双盛街", "铁东街", "陆家街",
                        "中兴路")),
    "大洼区": (("大洼街道", "田家街道", "二界沟街道", "榆树街道", "西安镇", "新开镇", "清水镇"),
               ("中心路", "工业路", "向海大道", "兴业街", "渔港路", "新华路")),
    "盘山县": (("太平镇", "沙岭镇", "胡家镇", "高升街道", "石新镇", "东郭镇", "羊圈子镇", "陈家镇",
                "吴家镇", "坝墙子镇"),
               ("中心街", "兴盛路", "繁荣街", "工业路", "府前路")),
    "辽东湾新区": (("", "石化产业园区", "精细化工产业园区", "荣兴街道"),
                   ("辽滨大道", "海港大街", "临港路", "石化路", "蓝色海岸路", "荣滨街")),
}
VILLAGES = ("新立", "王家", "前进", "红旗", "东风", "胜利", "三家子", "新兴", "平安", "腰岗子",
            "杜家", "双岗子", "曙光", "光辉", "大堡子")
# fmt: on
DISTRICT_WEIGHTS: dict[str, tuple[float, ...]] = {
    "企业": (0.34, 0.18, 0.16, 0.12, 0.20),
    "heavy": (0.15, 0.05, 0.20, 0.15, 0.45),
    "oilfield": (0.60, 0.10, 0.10, 0.15, 0.05),
    "个体工商户": (0.38, 0.24, 0.16, 0.16, 0.06),
    "农民专业合作社": (0.04, 0.04, 0.46, 0.46, 0.0),
}


def address(rng: random.Random, district: str, rural: bool, heavy: bool) -> str:
    """Farms in villages; only the chemical industry in the 产业园区 of the new area."""
    areas, roads = STREETS[district]
    towns = [a for a in areas if a.endswith(("镇", "街道"))]
    if rural and towns:
        return f"盘锦市{district}{rng.choice(towns)}{rng.choice(VILLAGES)}村"
    areas = tuple(a for a in areas if heavy or "园区" not in a)
    return f"盘锦市{district}{rng.choice(areas)}{rng.choice(roads)}{rng.randint(1, 399)}号"


# --------------------------------------------------------------------------- objects


@dataclass
class Obj:
    id: str
    id_type: str
    name: str
    type: str
    industry: str
    district: str
    registration_authority: str
    address: str
    status: str
    established: date | None
    risk_class: str = "A"
    abnormal_list: bool = False
    serious_illegal_list: bool = False
    departments: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    last_inspected: date | None = None
    legal_representative: str = ""
    phone: str = ""


# fmt: off
OBJECT_COLUMNS = (
    "id", "id_type", "name", "type", "industry", "district", "registration_authority",
    "address", "status", "established", "risk_class", "abnormal_list", "serious_illegal_list",
    "departments", "tags", "last_inspected", "legal_representative", "phone",
)
# fmt: on

# fmt: off
TAG_RULES: tuple[tuple[str, tuple[str, ...], float, bool], ...] = (
    # (tag, industry prefixes, probability, enterprises only)
    ("特种设备使用单位", ("C25", "C26", "B", "G59", "D45"), 0.9, True),
    ("特种设备使用单位", ("K7020", "F5265", "H6110", "F5212", "C13", "C35", "C33", "C30"), 0.5,
     True),
    ("危险化学品", ("C25", "C26", "F5162", "F5169", "G5941", "G5942", "G5435", "F5265"), 1.0,
     True),
    ("重点排污单位", ("C25", "C26", "B07"), 0.6, True),
    ("食品生产", ("C13", "C14", "C15"), 1.0, False),
    ("食品经营", ("F512", "F521", "F522", "H62"), 1.0, False),
    ("网店", ("F5292", "I64"), 1.0, False),
)
DEPT_BY_TAG = {
    "特种设备使用单位": "ZJ", "危险化学品": "AJ", "重点排污单位": "HB",
    "食品生产": "SYJ", "食品经营": "SYJ", "集贸市场": "ZJ",
}
DEPT_BY_INDUSTRY: tuple[tuple[str, str], ...] = (
    ("C", "ZJ"), ("F522", "ZJ"), ("F5265", "ZJ"),
    ("F5251", "SYJ"), ("F5254", "SYJ"), ("F5234", "SYJ"), ("O8040", "SYJ"),
    ("E", "ZJW"), ("K70", "ZJW"), ("G54", "JT"),
    ("H61", "WJ"), ("O8040", "WJ"), ("O805", "WJ"),
    ("R901", "WG"), ("R89", "TY"),
    ("L725", "GS"), ("I64", "GS"), ("F5292", "GS"),
    ("F5211", "SW"), ("F5212", "SW"), ("F5162", "SW"),
    ("F5212", "WJJ"), ("F5265", "WJJ"), ("H6110", "WJJ"), ("K7020", "WJJ"),
    ("P8391", "RS"),
)
# fmt: on
STATUS_WEIGHTS: dict[str, tuple[tuple[str, float], ...]] = {
    "企业": (("存续", 88.0), ("注销", 6.0), ("吊销", 3.5), ("迁出", 2.5)),
    "个体工商户": (("存续", 52.0), ("在业", 39.0), ("注销", 6.0), ("吊销", 3.0)),
    "农民专业合作社": (("存续", 88.0), ("注销", 7.0), ("吊销", 4.0), ("迁出", 1.0)),
    "外国企业常驻代表机构": (("存续", 1.0),),
}


def founding_date(rng: random.Random, kind: str) -> date:
    """Registration dates skewed to the years after the 2014 商事制度改革."""
    first = {"农民专业合作社": 2007, "外国企业常驻代表机构": 2003}.get(kind, 1990)
    last = 2019 if kind == "外国企业常驻代表机构" else LATEST.year
    recent = 7.0 if kind == "个体工商户" else 5.0
    years = [
        (y, 1.0 if y < 2000 else 2.0 if y < 2010 else 3.0 if y < 2014 else recent)
        for y in range(first, last + 1)
    ]
    year = pick(rng, years)
    start = date(2007, 7, 1) if year == 2007 and kind == "农民专业合作社" else date(year, 1, 1)
    return random_date(rng, start, min(date(year, 12, 31), LATEST))


def industry_district(rng: random.Random, kind: str, industry: str) -> str:
    if kind == "企业" and industry.startswith(HEAVY):
        table = "heavy"
    elif kind == "企业" and industry.startswith(("B", "C3512", "M7320")):
        table = "oilfield"
    elif industry.startswith("A"):
        table = "农民专业合作社"  # farms and fisheries lie in the rural districts
    else:
        table = kind
    return pick(rng, list(zip(DISTRICTS, DISTRICT_WEIGHTS[table], strict=True)))


def trade_name(rng: random.Random) -> str:
    first = rng.choice(TRADE_CHARS)
    second = rng.choice([c for c in TRADE_CHARS if c != first])
    return first + second


BRANCH = dict(zip(DISTRICTS, ("兴隆台", "双台子", "大洼", "盘山", "辽东湾新区"), strict=True))


def enterprise_name(rng: random.Random, industry: str, district: str) -> str:
    word = rng.choice(INDUSTRIES[industry][2])
    form = pick(rng, (("有限公司", 6.0), ("有限责任公司", 2.0), ("股份有限公司", 1.0)))
    prefix = pick(rng, (("盘锦", 8.0), ("辽宁", 1.0), ("盘锦辽河", 0.5)))
    name = f"{prefix}{trade_name(rng)}{word}{form}"
    if rng.random() < 0.05:
        name += f"{BRANCH[district]}分公司"
    return name


def shop_name(rng: random.Random, industry: str, district: str, owner: str) -> str:
    """个体工商户 names; about one in ten carries no 字号 and is just the operator's name."""
    word = rng.choice(INDUSTRIES[industry][3])
    roll = rng.random()
    if roll < 0.10:
        return owner
    if roll < 0.25:
        return owner + word
    if roll < 0.45:
        return f"{district}{pick(rng, (('老', 1.0), ('', 2.0)))}{owner[0]}记{word}"
    return f"{district}{trade_name(rng)}{word}"


def coop_name(rng: random.Random, words: tuple[str, ...], district: str) -> str:
    prefix = district if rng.random() < 0.7 else "盘锦"
    return f"{prefix}{trade_name(rng)}{rng.choice(words)}专业合作社"


def add_tags_and_departments(rng: random.Random, obj: Obj) -> None:
    tags: list[str] = []
    for tag, prefixes, probability, enterprises_only in TAG_RULES:
        if enterprises_only and obj.type != "企业":
            continue
        if obj.industry.startswith(prefixes) and tag not in tags and rng.random() < probability:
            tags.append(tag)
    if obj.id_type == "other":
        tags.append("集贸市场")
    departments = {"SCJG"}
    departments.update(DEPT_BY_TAG[t] for t in tags if t in DEPT_BY_TAG)
    departments.update(d for prefix, d in DEPT_BY_INDUSTRY if obj.industry.startswith(prefix))
    obj.tags = tuple(sorted(tags))
    obj.departments = tuple(sorted(departments))


class Registry:
    """Builds the object list, keeping codes and names unique."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.names: set[str] = set()
        self.objects: list[Obj] = []

    def unique(self, make: Callable[[], str], seen: set[str]) -> str:
        for _ in range(1000):
            value = make()
            if value not in seen:
                seen.add(value)
                return value
        raise RuntimeError("could not make a unique value")

    def register(
        self, kind: str, industry: str, district: str, name_of: Callable[[str], str], category: str
    ) -> Obj:
        rng = self.rng
        established = founding_date(rng, kind)
        city_level = kind in ("企业", "外国企业常驻代表机构") and rng.random() < 0.3
        authority = CITY_AUTHORITY if city_level else AUTHORITY[district]
        region = REGION_CODE["盘锦市" if city_level else district]
        code = self.unique(lambda: make_uscc(rng, category, region, established), self.ids)
        owner = person_name(rng)
        name = self.unique(lambda: name_of(owner), self.names)
        rural = kind == "农民专业合作社" or industry.startswith("A")
        obj = Obj(
            id=code,
            id_type="uscc",
            name=name,
            type=kind,
            industry=industry,
            district=district,
            registration_authority=authority,
            address=address(rng, district, rural, industry.startswith(HEAVY)),
            status=pick(rng, STATUS_WEIGHTS[kind]),
            established=established,
            legal_representative=owner,
            phone=phone_number(rng) if rng.random() < 0.9 else "",
        )
        self.objects.append(obj)
        return obj

    def enterprise(self) -> Obj:
        industry = pick(self.rng, [(c, v[0]) for c, v in INDUSTRIES.items() if v[0]])
        district = industry_district(self.rng, "企业", industry)
        return self.register(
            "企业",
            industry,
            district,
            lambda _owner: enterprise_name(self.rng, industry, district),
            "1",
        )

    def individual(self) -> Obj:
        industry = pick(self.rng, [(c, v[1]) for c, v in INDUSTRIES.items() if v[1]])
        district = industry_district(self.rng, "个体工商户", industry)
        return self.register(
            "个体工商户",
            industry,
            district,
            lambda owner: shop_name(self.rng, industry, district, owner),
            "2",
        )

    def cooperative(self) -> Obj:
        industry, _, words = pick(self.rng, [(row, row[1]) for row in COOP_INDUSTRIES])
        district = industry_district(self.rng, "农民专业合作社", industry)
        return self.register(
            "农民专业合作社",
            industry,
            district,
            lambda _owner: coop_name(self.rng, words, district),
            "3",
        )

    def foreign_office(self, index: int) -> Obj:
        name, industry, district, chief = FOREIGN_OFFICES[index]
        obj = self.register("外国企业常驻代表机构", industry, district, lambda _owner: name, "1")
        obj.legal_representative = chief
        return obj

    def stall(self, index: int) -> Obj:
        rng = self.rng
        market, district, industry = MARKETS[index % len(MARKETS)]
        owner = person_name(rng)
        obj = Obj(
            id=f"盘锦-摊位-{index + 1:04d}",
            id_type="other",
            name=f"{district}{market}{index // len(MARKETS) + 1}号摊位",
            type="其他",
            industry=industry,
            district=district,
            registration_authority="",
            address=f"盘锦市{district}{market}",
            status="在业",
            established=None,
            legal_representative=owner,
            phone=phone_number(rng),
        )
        self.objects.append(obj)
        return obj


def type_counts(total: int) -> dict[str, int]:
    other = min(20, max(1, total // 250))
    foreign = min(len(FOREIGN_OFFICES), max(1, total // 800))
    coops = round(total * 0.04)
    enterprises = round(total * 0.40)
    return {
        "其他": other,
        "外国企业常驻代表机构": foreign,
        "农民专业合作社": coops,
        "企业": enterprises,
        "个体工商户": total - other - foreign - coops - enterprises,
    }


def assign_risk(rng: random.Random, objects: list[Obj]) -> None:
    """Exact shares A 35 % / B 45 % / C 15 % / D 5 %, then the lists (mostly C and D)."""
    n = len(objects)
    counts = {"D": round(n * 0.05), "C": round(n * 0.15), "A": round(n * 0.35)}
    classes = [c for c, k in counts.items() for _ in range(k)]
    classes += ["B"] * (n - len(classes))
    rng.shuffle(classes)
    for obj, risk in zip(objects, classes, strict=True):
        obj.risk_class = risk
    by_class = {c: [o for o in objects if o.risk_class == c] for c in "ABCD"}
    for obj in rng.sample(by_class["D"], min(len(by_class["D"]), max(1, round(n * 0.005)))):
        obj.serious_illegal_list = True
    abnormal = round(n * 0.03)
    high = rng.sample(by_class["C"] + by_class["D"], round(abnormal * 0.7))
    low = rng.sample(by_class["B"], abnormal - len(high))
    for obj in high + low:
        obj.abnormal_list = True


def assign_history(rng: random.Random, obj: Obj) -> None:
    """Some objects were inspected before this system, mostly in 2025-2026."""
    active = obj.status in ("存续", "在业")
    if rng.random() < (0.12 if active else 0.03):
        first = date(2025, 1, 1) if active else date(2019, 1, 1)
        if obj.established and obj.established > first:
            first = obj.established
        if first <= LATEST:
            obj.last_inspected = random_date(rng, first, LATEST)


def build_objects(total: int) -> list[Obj]:
    rng = random.Random(f"{SEED}:objects")
    reg = Registry(rng)
    counts = type_counts(total)
    for _ in range(counts["企业"]):
        reg.enterprise()
    for _ in range(counts["个体工商户"]):
        reg.individual()
    for _ in range(counts["农民专业合作社"]):
        reg.cooperative()
    for index in range(counts["外国企业常驻代表机构"]):
        reg.foreign_office(index)
    for index in range(counts["其他"]):
        reg.stall(index)
    for obj in reg.objects:
        add_tags_and_departments(rng, obj)
        assign_history(rng, obj)
    assign_risk(rng, reg.objects)
    return sorted(reg.objects, key=lambda o: o.id)


# --------------------------------------------------------------------------- inspectors


@dataclass(frozen=True)
class Slot:
    """A post in the roster before a person is drawn for it."""

    department: str
    district: str  # 负责片区; "" = citywide
    specialties: tuple[str, ...]
    leader: bool = False
    expert: bool = False


@dataclass
class Inspector:
    cert_no: str
    name: str
    department: str
    post: str
    specialties: tuple[str, ...]
    leader: bool
    expert: bool
    cert_valid_until: date
    status: str
    unavailable: tuple[str, ...]
    district: str
    home_district: str
    id_number: str
    phone: str


# fmt: off
INSPECTOR_COLUMNS = (
    "cert_no", "name", "department", "post", "specialties", "leader", "expert",
    "cert_valid_until", "status", "unavailable", "district", "home_district", "id_number", "phone",
)
# fmt: on
SCJG_DISTRICT_SLOTS = (
    (("食品", "计量", "特种设备"), True),
    (("广告", "网络交易", "价格"), None),  # leader in the three largest districts
    (("食品", "药品", "化妆品"), False),
    (("特种设备", "计量"), False),
    (("食品", "网络交易"), False),
)
CITYWIDE_SLOTS: tuple[Slot, ...] = (
    Slot("SCJG", "", ("食品", "药品", "医疗器械"), leader=True),
    Slot("SCJG", "", ("特种设备", "危险化学品"), leader=True, expert=True),
    Slot("SCJG", "", ("广告", "网络交易")),
    Slot("SCJG", "", ("计量", "价格")),
    Slot("SCJG", "", ("化妆品", "食品")),
    Slot("ZJ", "", ("特种设备", "计量"), expert=True),
    Slot("ZJ", "", ("产品质量",)),
    Slot("SYJ", "", ("食品", "药品"), expert=True),
    Slot("SYJ", "", ("化妆品", "医疗器械")),
    Slot("AJ", "", ("危险化学品", "特种设备"), leader=True, expert=True),
    Slot("HB", "", ("环境监测",), leader=True, expert=True),
    Slot("HB", "", ("环境监测",)),
    Slot("HB", "", ("排污许可",)),
    Slot("JT", "", ("道路运输",), leader=True),
    Slot("JT", "", ("道路运输",)),
    Slot("ZJW", "", ("建筑工程",), leader=True, expert=True),
    Slot("ZJW", "", ("建筑工程",)),
    Slot("WJ", "", ("公共卫生",), leader=True),
    Slot("WJ", "", ("公共卫生",)),
    Slot("WG", "", ("文化市场",), leader=True),
    Slot("WG", "", ("文化市场",)),
    Slot("TY", "", ("体育",)),
    Slot("SW", "", ("商贸流通",)),
    Slot("WJJ", "", ("价格",), leader=True),
    Slot("WJJ", "", ("价格",)),
)


def district_slots(index: int, district: str) -> list[Slot]:
    """Five SCJG officers (seven in 兴隆台区, the busiest), two each of GS, ZJ, SYJ and one AJ
    officer per district."""
    big = index < 3
    slots = [
        Slot("SCJG", district, specs, leader=big if lead is None else lead)
        for specs, lead in SCJG_DISTRICT_SLOTS
    ]
    if index == 0:
        slots += [
            Slot("SCJG", district, ("计量", "食品")),
            Slot("SCJG", district, ("化妆品", "医疗器械", "食品")),
            Slot("SYJ", district, ("食品", "化妆品")),
        ]
    slots += [
        Slot("GS", district, ("广告", "网络交易"), leader=big),
        Slot("GS", district, ("合同", "商标", "网络交易")),
        Slot("ZJ", district, ("特种设备",), leader=big, expert=index in (0, 4)),
        Slot("ZJ", district, ("计量", "产品质量")),
        Slot("SYJ", district, ("食品", "药品", "化妆品"), leader=big),
        Slot("SYJ", district, ("药品", "医疗器械", "化妆品"), expert=index == 1),
        Slot("AJ", district, ("危险化学品",), leader=index in (0, 4)),
    ]
    return slots


def roster() -> list[Slot]:
    slots: list[Slot] = []
    for index, district in enumerate(DISTRICTS):
        slots += district_slots(index, district)
    return slots + list(CITYWIDE_SLOTS)


LEADER_POSTS = ("科长", "副科长", "执法大队长", "执法中队长")
MEMBER_POSTS = ("一级科员", "二级科员", "四级主任科员", "三级主任科员", "一级主任科员")
UNAVAILABLE_RANGES: tuple[tuple[str, ...], ...] = (
    ("2027-02-01..2027-02-19",),
    ("2027-03-08..2027-03-12",),
    ("2027-05-10..2027-05-21",),
    ("2027-07-12..2027-07-23", "2027-08-02"),
    ("2027-10-18..2027-10-29",),
    ("2027-11-15..2027-12-03",),
)


def home_of(rng: random.Random, slot: Slot) -> str:
    """居住片区: leaders never live in their own 负责片区; others seldom do."""
    weights = (0.35, 0.30, 0.15, 0.12, 0.08)
    if slot.district and (slot.leader or rng.random() < 0.8):
        others = [(d, w) for d, w in zip(DISTRICTS, weights, strict=True) if d != slot.district]
        return pick(rng, others)
    return slot.district or pick(rng, list(zip(DISTRICTS, weights, strict=True)))


def make_inspector(rng: random.Random, slot: Slot, seq: Counter[int], seen: set[str]) -> Inspector:
    issued = pick(rng, ((2023, 3.0), (2024, 3.0), (2025, 2.0)))
    seq[issued] += rng.randint(1, 9)
    name = person_name(rng)
    while name in seen:
        name = person_name(rng)
    id_number = make_resident_id(rng, slot.leader or slot.expert)
    while id_number in seen:
        id_number = make_resident_id(rng, slot.leader or slot.expert)
    seen.update((name, id_number))
    return Inspector(
        cert_no=f"{REGION_CODE['盘锦市']}{issued}{seq[issued]:04d}",
        name=name,
        department=slot.department,
        post=rng.choice(LEADER_POSTS if slot.leader else MEMBER_POSTS),
        specialties=tuple(sorted(slot.specialties)),
        leader=slot.leader,
        expert=slot.expert,
        cert_valid_until=random_date(rng, date(issued + 5, 1, 1), date(issued + 5, 12, 31)),
        status="在岗",
        unavailable=(),
        district=slot.district,
        home_district=home_of(rng, slot),
        id_number=id_number,
        phone=phone_number(rng),
    )


def perturb(rng: random.Random, inspectors: list[Inspector]) -> None:
    """Exercise the availability rules: leave, secondment, expired or expiring certificates."""
    candidates = [
        i for i in inspectors if not i.leader and i.department in ("SCJG", "GS", "ZJ", "SYJ")
    ]
    chosen = rng.sample(candidates, 14)
    for inspector, status in zip(chosen[:5], ("休假", "休假", "借调", "借调", "离岗"), strict=True):
        inspector.status = status
    chosen[5].cert_valid_until = date(2026, 3, 31)
    chosen[6].cert_valid_until = date(2026, 8, 15)
    chosen[7].cert_valid_until = date(2027, 6, 30)
    for inspector, ranges in zip(chosen[8:], UNAVAILABLE_RANGES, strict=True):
        inspector.unavailable = ranges


def build_inspectors() -> list[Inspector]:
    rng = random.Random(f"{SEED}:inspectors")
    seq: Counter[int] = Counter()
    seen: set[str] = set()
    inspectors = [make_inspector(rng, slot, seq, seen) for slot in roster()]
    perturb(rng, inspectors)
    return sorted(inspectors, key=lambda i: i.cert_no)


# --------------------------------------------------------------------------- conflicts

# (relation, weight, only for 企业, notes; {y}/{m} is the year/month the relation started or ended)
RELATIONS: tuple[tuple[str, float, bool, tuple[str, ...]], ...] = (
    (
        "亲属",
        12.0,
        False,
        (
            "配偶的兄弟为该单位经营者",
            "其表姐为该单位负责人",
            "父亲系该单位负责人",
            "与经营者系兄弟关系",
            "岳父为该单位经营者",
        ),
    ),
    ("原单位", 5.0, True, ("{y}年{m}月从该公司离职，未满三年", "{y}年{m}月前在该公司任职")),
    ("持股", 3.0, True, ("配偶自{y}年起持有该公司股份", "本人{y}年起持有该公司少量股份")),
    (
        "受礼",
        3.0,
        False,
        ("{y}年收受该单位赠送的购物卡，已退还并报告", "{y}年参加该单位宴请，已说明情况"),
    ),
    ("办理过案件", 9.0, False, ("{y}年承办该单位行政处罚案件", "{y}年处理涉及该单位的投诉举报")),
    ("其他", 2.0, False, ("与负责人系同学关系", "与经营者系邻居")),
)
CONFLICT_COLUMNS = ("cert_no", "object_id", "relation", "valid_from", "valid_until", "note")


def conflict_dates(rng: random.Random, relation: str) -> tuple[date | None, date | None, date]:
    """When a relation is in force (kinship: always; a former employer: three years after
    leaving; a gift or a case: two or three years), and the date the note mentions."""
    event = random_date(rng, date(2021, 1, 1), LATEST)
    if relation in ("亲属", "其他"):
        return None, None, event
    if relation == "原单位":
        return None, event + timedelta(days=3 * 365), event
    if relation == "持股":
        return event, None, event
    return event, event + timedelta(days=rng.choice((2, 3)) * 365), event


def build_conflicts(
    inspectors: list[Inspector], objects: list[Obj], count: int = 36
) -> list[tuple[str, str, str, str, str, str]]:
    rng = random.Random(f"{SEED}:conflicts")
    active = [o for o in objects if o.status in ("存续", "在业")]
    rows: dict[tuple[str, str, str], tuple[str, str, str, str, str, str]] = {}
    while len(rows) < count:
        inspector = rng.choice(inspectors)
        local = [o for o in active if o.district in (inspector.district, inspector.home_district)]
        obj = rng.choice(local or active)
        relation, _, companies_only, notes = pick(rng, [(r, r[1]) for r in RELATIONS])
        if companies_only and obj.type != "企业":
            continue
        start, end, event = conflict_dates(rng, relation)
        note = rng.choice(notes).format(y=event.year, m=event.month)
        key = (inspector.cert_no, obj.id, relation)
        rows[key] = (*key, iso(start), iso(end), note)
    return [rows[key] for key in sorted(rows)]


# --------------------------------------------------------------------------- items and plans


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    sub_item: str
    legal_basis: str
    department: str
    item_class: str
    methods: tuple[str, ...]
    specialty: str
    ratio: str
    max_per_year: int | None
    scope: dict[str, list[str]]


# fmt: off
ITEMS: tuple[Item, ...] = (
    Item("SCJG-01", "企业公示信息的检查", "年度报告公示信息的检查",
         "《企业信息公示暂行条例》第十四条", "SCJG", "一般", ("书面检查", "网络监测", "现场检查"),
         "", "0.05", 1, {"type": ["企业", "农民专业合作社", "外国企业常驻代表机构"]}),
    Item("SCJG-02", "营业执照（登记证）规范使用情况的检查", "",
         "《中华人民共和国市场主体登记管理条例》第三十六条", "SCJG", "一般", ("现场检查",), "",
         "0.05", 1, {"type": ["企业", "个体工商户", "农民专业合作社"]}),
    Item("GS-01", "广告发布行为的检查", "广告发布者、广告经营者的检查",
         "《中华人民共和国广告法》第四十九条", "GS", "一般", ("网络监测", "现场检查"), "广告",
         "0.03", 1, {"industry": ["L725", "I64", "F5292"]}),
    Item("GS-02", "网络交易经营者的检查", "网络经营者亮照经营情况的检查",
         "《中华人民共和国电子商务法》第十五条", "GS", "一般", ("网络监测",), "网络交易", "0.05", 1,
         {"industry": ["F5292", "I64"]}),
    Item("ZJ-01", "特种设备使用单位的检查", "特种设备使用登记和定期检验情况的检查",
         "《中华人民共和国特种设备安全法》第五十七条", "ZJ", "重点", ("现场检查",), "特种设备",
         "0.10", None, {"tag": ["特种设备使用单位"]}),
    Item("ZJ-02", "产品质量监督抽查", "",
         "《中华人民共和国产品质量法》第十五条", "ZJ", "一般", ("抽样检测",), "产品质量", "0.05",
         1, {"type": ["企业"], "industry": ["C"]}),
    Item("ZJ-03", "计量器具使用情况的检查", "强制检定计量器具的检查",
         "《中华人民共和国计量法》第九条", "ZJ", "一般", ("现场检查",), "计量", "0.05", 1,
         {"industry": ["F52"]}),
    Item("SYJ-01", "食品生产经营者的检查", "",
         "《中华人民共和国食品安全法》第一百一十条", "SYJ", "重点", ("抽样检测", "现场检查"),
         "食品", "0.10", 2,
         {"industry": ["C13", "C14", "C15", "F512", "F521", "F522", "H62"]}),
    Item("SYJ-02", "药品零售企业的检查", "",
         "《中华人民共和国药品管理法》第九十九条", "SYJ", "重点", ("现场检查",), "药品", "0.10",
         None, {"industry": ["F5251", "F5252"]}),
    Item("SYJ-03", "化妆品经营者的检查", "",
         "《化妆品监督管理条例》第四十六条", "SYJ", "一般", ("现场检查",), "化妆品", "0.05", 1,
         {"industry": ["F5234", "C2682", "O8040"]}),
    Item("SYJ-04", "医疗器械经营企业的检查", "",
         "《医疗器械监督管理条例》第七十条", "SYJ", "一般", ("现场检查",), "医疗器械", "0.05", 1,
         {"industry": ["F5254", "F5251"]}),
    Item("WJJ-01", "价格行为的检查", "明码标价情况的检查",
         "《中华人民共和国价格法》第十三条、第三十四条", "WJJ", "一般", ("现场检查",), "", "0.03",
         1, {"industry": ["F5212", "F5265", "H61", "K7020", "O805"]}),
    Item("AJ-01", "危险化学品生产经营单位的检查", "",
         "《危险化学品安全管理条例》第七条；《中华人民共和国安全生产法》第六十五条", "AJ", "重点",
         ("现场检查",), "危险化学品", "0.10", None, {"tag": ["危险化学品"]}),
    Item("HB-01", "排污单位的检查", "排污许可证执行情况的检查",
         "《中华人民共和国环境保护法》第二十四条；《排污许可管理条例》", "HB", "一般",
         ("现场检查", "抽样检测"), "", "0.05", 1, {"tag": ["重点排污单位"]}),
    Item("ZJW-01", "建设工程质量的检查", "",
         "《建设工程质量管理条例》第四十七条", "ZJW", "一般", ("现场检查",), "建筑工程", "0.05", 1,
         {"type": ["企业"], "industry": ["E"]}),
    Item("JT-01", "道路运输经营者的检查", "",
         "《中华人民共和国道路运输条例》", "JT", "一般", ("现场检查", "书面检查"), "", "0.05", 1,
         {"industry": ["G54"]}),
    Item("WJ-01", "公共场所卫生的检查", "",
         "《公共场所卫生管理条例》第十条", "WJ", "一般", ("现场检查",), "", "0.05", 1,
         {"industry": ["H61", "O8040", "O805"]}),
    Item("WG-01", "娱乐场所和互联网上网服务营业场所的检查", "",
         "《娱乐场所管理条例》；《互联网上网服务营业场所管理条例》", "WG", "一般", ("现场检查",),
         "", "0.05", 1, {"industry": ["R901"]}),
    Item("TY-01", "高危险性体育项目经营活动的检查", "",
         "《全民健身条例》；《经营高危险性体育项目许可管理办法》", "TY", "一般", ("现场检查",), "",
         "0.05", 1, {"industry": ["R892", "R893"]}),
    Item("SW-01", "单用途商业预付卡发卡企业的检查", "",
         "《单用途商业预付卡管理办法（试行）》", "SW", "一般", ("书面检查", "现场检查"), "",
         "0.03", 1, {"type": ["企业"], "industry": ["F5211", "F5212", "H62", "O8040"]}),
)
# fmt: on

RISK_RATIOS = ("0.01", "0.02", "0.10", "0.30")  # A / B / C / D, as Henan 2021
SPECIAL_RATIOS = ("0.05", "0.10", "0.20", "0.50")
ALL_TYPES = ["企业", "个体工商户", "农民专业合作社", "外国企业常驻代表机构"]


def item_doc(item: Item) -> dict[str, object]:
    doc: dict[str, object] = {"code": item.code, "name": item.name}
    if item.sub_item:
        doc["sub_item"] = item.sub_item
    doc |= {
        "legal_basis": item.legal_basis,
        "department": item.department,
        "class": item.item_class,
        "methods": list(item.methods),
    }
    if item.specialty:
        doc["specialty"] = item.specialty
    doc["ratio"] = item.ratio
    if item.max_per_year is not None:
        doc["max_per_year"] = item.max_per_year
    doc["scope"] = item.scope
    return doc


def risk_strata(ratios: Sequence[str], maxima: Sequence[int]) -> list[dict[str, object]]:
    return [
        {
            "name": f"{risk}类",
            "where": {"risk_class": [risk]},
            "ratio": ratio,
            "min": 1 if risk in "AB" else 2,
            "max": most,
        }
        for risk, ratio, most in zip("ABCD", ratios, maxima, strict=True)
    ]


PLAN_NOTES = {
    1: "Q1: enterprises, co-operatives and foreign offices; joint with SYJ (food, drugs).",
    2: "Q2: individual businesses and market stalls; joint with SYJ and ZJ (metrology).",
    3: "Q3 专项 on 重点 items: annual_cap 2 lets an object drawn in Q1 be drawn again here;\n"
    "# strata ratios are higher than Henan's general ones; teams may cross districts.",
    4: "Q4: all market entities; joint with GS (advertising, online trade) and WJJ (prices).",
}


def plan_doc(
    quarter: int,
    title: str,
    kind: str,
    co: list[str],
    items: list[str],
    scope: dict[str, list[str]],
    **extra: object,
) -> dict[str, object]:
    starts = {1: date(YEAR, 1, 4), 2: date(YEAR, 4, 1), 3: date(YEAR, 7, 1), 4: date(YEAR, 10, 8)}
    ends = {1: date(YEAR, 3, 31), 2: date(YEAR, 6, 30), 3: date(YEAR, 9, 30), 4: date(YEAR, 12, 31)}
    assert starts[quarter].weekday() < 5
    doc: dict[str, object] = {
        "id": f"{YEAR}-Q{quarter}",
        "title": title,
        "year": YEAR,
        "batch": f"Q{quarter}",
        "type": kind,
        "department": "SCJG",
        "co_departments": co,
        "items": items,
        "schedule": "quarterly",
        "prepare_days_before": 7,
        "entropy": "beacon",
        **({"dice": True} if extra.get("dice") else {}),
        "window": {"start": starts[quarter], "end": ends[quarter]},
        "scope": scope,
        "stratum": extra.get("strata", risk_strata(RISK_RATIOS, (30, 60, 100, 100))),
        "exclusions": {
            "statuses": ["注销", "吊销", "迁出", "撤销"],
            "lookback_months": 12,
            "annual_cap": extra.get("annual_cap", 1),
        },
        "team": {
            "size": 2,
            "leader": True,
            "district": extra.get("district", "same"),
            # A cap that covers the busiest district in every draw, not on average:
            # with 25, a seed that put 51 visits in 兴隆台区 (2 eligible SCJG leaders)
            # left the demo's 2027-Q2 draw without a team.
            "load_cap": 40,
            "require": [{"department": "SCJG", "count": 1}],
            "conflict_rules": ["declared", "previous_team", "home_district"],
        },
        "publication": {"inspector_names": False, "mask_person_names": True},
    }
    return doc


def build_plans() -> list[dict[str, object]]:
    enterprise_types = ["企业", "农民专业合作社", "外国企业常驻代表机构"]
    return [
        plan_doc(
            1,
            "2027年第一季度部门联合双随机抽查",
            "不定向",
            ["SYJ"],
            ["SCJG-01", "SYJ-01", "SYJ-02"],
            {"type": enterprise_types},
            dice=True,
        ),
        plan_doc(
            2,
            "2027年第二季度个体工商户部门联合双随机抽查",
            "不定向",
            ["SYJ", "ZJ"],
            ["SCJG-02", "SYJ-01", "SYJ-03", "ZJ-03"],
            {"type": ["个体工商户", "其他"]},
        ),
        plan_doc(
            3,
            "2027年第三季度危险化学品和特种设备安全专项联合抽查",
            "专项",
            ["AJ", "HB", "ZJ"],
            ["AJ-01", "HB-01", "ZJ-01", "ZJ-02"],
            {"type": ["企业"], "tag": ["危险化学品", "特种设备使用单位", "重点排污单位"]},
            dice=True,
            district="any",
            annual_cap=2,
            strata=risk_strata(SPECIAL_RATIOS, (20, 30, 30, 30)),
        ),
        plan_doc(
            4,
            "2027年第四季度部门联合双随机抽查",
            "不定向",
            ["GS", "WJJ"],
            ["SCJG-01", "GS-01", "GS-02", "WJJ-01"],
            {"type": ALL_TYPES},
        ),
    ]


# --------------------------------------------------------------------------- writers


def iso(value: date | None) -> str:
    return value.isoformat() if value else ""


def flag(value: bool) -> str:
    return "true" if value else "false"


def cell(value: object) -> str:
    if isinstance(value, bool):
        return flag(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return buffer.getvalue()


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return flag(value)
    if isinstance(value, int | date):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def is_table_list(value: object) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toml_document(doc: dict[str, object], header: str) -> str:
    """Scalars first, then ``[table]`` and ``[[array]]`` sections in insertion order."""
    lines = [f"# {header}"]
    lines += [
        f"{k} = {toml_value(v)}"
        for k, v in doc.items()
        if not isinstance(v, dict) and not is_table_list(v)
    ]
    for key, value in doc.items():
        if isinstance(value, dict):
            lines += ["", f"[{key}]", *(f"{k} = {toml_value(v)}" for k, v in value.items())]
        elif is_table_list(value):
            assert isinstance(value, list)
            for table in value:
                lines += ["", f"[[{key}]]", *(f"{k} = {toml_value(v)}" for k, v in table.items())]
    return "\n".join(lines) + "\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


GENERATED = "Synthetic sample data from scripts/generate_sample_data.py: regenerate, do not edit."


def write_all(
    out: Path,
    objects: list[Obj],
    inspectors: list[Inspector],
    conflicts: list[tuple[str, str, str, str, str, str]],
) -> list[Path]:
    files = {
        "registries/departments.csv": csv_text(("code", "name", "level"), sorted(DEPARTMENTS)),
        "registries/objects.csv": csv_text(
            OBJECT_COLUMNS, ([getattr(o, c) for c in OBJECT_COLUMNS] for o in objects)
        ),
        "registries/inspectors.csv": csv_text(
            INSPECTOR_COLUMNS, ([getattr(i, c) for c in INSPECTOR_COLUMNS] for i in inspectors)
        ),
        "registries/conflicts.csv": csv_text(CONFLICT_COLUMNS, conflicts),
        "rules/items.toml": toml_document({"item": [item_doc(i) for i in ITEMS]}, GENERATED),
    }
    for quarter, plan in enumerate(build_plans(), start=1):
        header = f"{GENERATED}\n# {PLAN_NOTES[quarter]}"
        files[f"rules/plans/{plan['id']}.toml"] = toml_document(plan, header)
    for name, text in files.items():
        write(out / name, text)
    return [out / name for name in files]


# --------------------------------------------------------------------------- self-check


def matches(scope: dict[str, list[str]], obj: Obj) -> bool:
    """The object filter of docs/FORMATS.md: AND across keys, OR within a key."""
    lists = [
        n
        for n, on in (
            ("abnormal", obj.abnormal_list),
            ("serious_illegal", obj.serious_illegal_list),
        )
        if on
    ]
    fields: dict[str, Callable[[list[str]], bool]] = {
        "type": lambda v: obj.type in v,
        "district": lambda v: obj.district in v,
        "industry": lambda v: obj.industry.startswith(tuple(v)),
        "risk_class": lambda v: obj.risk_class in v,
        "status": lambda v: obj.status in v,
        "department": lambda v: bool(set(v) & set(obj.departments)),
        "tag": lambda v: bool(set(v) & set(obj.tags)),
        "list": lambda v: bool(set(v) & set(lists)),
    }
    return all(fields[key](values) for key, values in scope.items())


def quota(ratio: str, pool: float, low: int, high: int) -> int:
    wanted = max(math.ceil(Fraction(ratio) * Fraction(round(pool))), low)
    return min(round(pool), min(wanted, high))


def in_force(inspector: Inspector, plan: Doc) -> bool:
    """在岗, certificate valid through the window, no unavailable day inside it."""
    start, end = plan["window"]["start"], plan["window"]["end"]
    if inspector.status != "在岗" or inspector.cert_valid_until < end:
        return False
    for text in inspector.unavailable:
        first, _, last = text.partition("..")
        if date.fromisoformat(first) <= end and date.fromisoformat(last or first) >= start:
            return False
    return True


def item_quotas(
    plan: Doc, items: dict[str, Doc], pool: list[Obj], drawn: dict[str, float]
) -> dict[str, Counter[str]]:
    """Expected draws per item and district. ``drawn`` holds each object's chance of an earlier
    draw this year; with annual_cap 1 that share of the pool is taken as already excluded."""
    depleting = plan["exclusions"]["annual_cap"] == 1
    loads: dict[str, Counter[str]] = {}
    now: Counter[str] = Counter()
    for code in plan["items"]:
        members = [o for o in pool if matches(items[code]["scope"], o)]
        loads[code] = Counter()
        cells = []
        for stratum in plan["stratum"]:
            group = [o for o in members if matches(stratum["where"], o)]
            weight = {o.id: 1 - drawn.get(o.id, 0.0) if depleting else 1.0 for o in group}
            left = sum(weight.values())
            k = quota(stratum["ratio"], left, stratum["min"], stratum["max"]) if group else 0
            cells.append(f"{stratum['name']} {len(group)}/{left:.0f}->{k}")
            for o in group:
                p = k / left * weight[o.id] if left else 0.0
                loads[code][o.district] += p
                now[o.id] = max(now[o.id], p)
        print(f"    {code:8} pool {len(members):5}  " + "  ".join(cells))
    for key, p in now.items():
        drawn[key] = min(1.0, drawn.get(key, 0.0) + p)
    return loads


def district_line(
    plan: Doc,
    district: str,
    officers: list[Inspector],
    loads: dict[str, Counter[str]],
    items: dict[str, Doc],
) -> str:
    team = plan["team"]
    cap = team["load_cap"]
    local = [
        i
        for i in officers
        if i.home_district != district
        and (team["district"] == "any" or i.district in ("", district))
    ]
    visits = sum(load[district] for load in loads.values())
    scjg = sum(i.department == "SCJG" for i in local)
    leaders = sum(i.leader for i in local)
    ok = scjg * cap >= visits and leaders * cap >= visits and len(local) * cap >= 2 * visits
    specs = []
    for code, load in loads.items():
        specialty = items[code].get("specialty")
        if specialty:
            holders = sum(specialty in i.specialties for i in local)
            ok = ok and (holders * cap >= load[district] or load[district] < 0.5)
            specs.append(f"{specialty} {holders} (≈{load[district]:.0f})")
    return (
        f"    {district:6} visits≤{visits:5.1f}  officers {len(local):2}  SCJG {scjg:2}  "
        f"leaders {leaders:2}  " + "  ".join(specs) + ("  ok" if ok else "  CHECK")
    )


LEGEND = """\
Sanity check (an estimate, not the draw). Per item and risk stratum: pool size N / expected
pool left after earlier quarters (annual_cap 1) -> quota k = min(N, clamp(ceil(ratio*N), min,
max)). Per district: visits = expected draws summed over items (an upper bound: one visit may
cover several items); officers = plan departments, 在岗, certificate valid to the window end, no
unavailable day in the window, not living in the district (home_district rule), and with
district "same" assigned to it or citywide (citywide officers count in every district);
specialty: holders (expected objects needing it). "ok" when load_cap covers visits for SCJG
officers, leaders, both team seats and each specialty."""


def self_check(out: Path, objects: list[Obj], inspectors: list[Inspector]) -> None:
    print(LEGEND)
    items = {
        i["code"]: i for i in tomllib.loads((out / "rules/items.toml").read_text("utf-8"))["item"]
    }
    drawn: dict[str, float] = {}
    for path in sorted((out / "rules/plans").glob(f"{YEAR}-Q*.toml")):
        plan = tomllib.loads(path.read_text("utf-8"))
        excluded = plan["exclusions"]["statuses"]
        pool = [o for o in objects if matches(plan["scope"], o) and o.status not in excluded]
        departments = [plan["department"], *plan["co_departments"]]
        officers = [i for i in inspectors if i.department in departments and in_force(i, plan)]
        print(
            f"{plan['id']} {plan['type']} {plan['title']}: pool {len(pool)}, "
            f"officers in force {len(officers)} ({'/'.join(departments)}), "
            f"team district={plan['team']['district']}"
        )
        print("    item     stratum N/N-after-earlier-draws->k")
        loads = item_quotas(plan, items, pool, drawn)
        for district in DISTRICTS:
            print(district_line(plan, district, officers, loads, items))


def summary(objects: list[Obj], inspectors: list[Inspector], files: list[Path]) -> None:
    for path in files:
        rows = path.read_text("utf-8").count("\n") - 1
        print(
            f"{path}: {path.stat().st_size:,} bytes"
            + (f", {rows} rows" if path.suffix == ".csv" else "")
        )
    print("types", dict(Counter(o.type for o in objects)))
    print("status", dict(Counter(o.status for o in objects)))
    print(
        "risk",
        dict(sorted(Counter(o.risk_class for o in objects).items())),
        "abnormal",
        sum(o.abnormal_list for o in objects),
        "serious",
        sum(o.serious_illegal_list for o in objects),
    )
    print("districts", dict(Counter(o.district for o in objects)))
    print(
        "inspectors",
        dict(Counter(i.department for i in inspectors)),
        "leaders",
        sum(i.leader for i in inspectors),
        "experts",
        sum(i.expert for i in inspectors),
        "status",
        dict(Counter(i.status for i in inspectors)),
    )


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="directory to write registries/ and rules/ into (default: repo root)",
    )
    parser.add_argument(
        "--objects", type=int, default=5000, help="number of objects (default 5000)"
    )
    args = parser.parse_args(argv)
    if args.objects < 100:
        parser.error("--objects must be at least 100")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    objects = build_objects(args.objects)
    inspectors = build_inspectors()
    conflicts = build_conflicts(inspectors, objects)
    files = write_all(args.out, objects, inspectors, conflicts)
    summary(objects, inspectors, files)
    self_check(args.out, objects, inspectors)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
