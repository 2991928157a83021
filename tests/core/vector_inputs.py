"""The fixed inputs of the DR-1 test vectors (tests/core/vectors/dr1.json).

A small joint plan in 盘锦 (Panjin): 20 objects (16 with a unified social
credit code, 4 market stalls with ``other`` ids), 12 inspectors of two
departments, declared conflicts, history and a plan with three items, two
strata, exclusions and every team rule. Some values exercise the escaping
rules on purpose (a TAB in a name, a backslash in an address, ``;`` in a tag).
Changing anything here changes the vectors: regenerate them only together
with a new algorithm version.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

from dualrandom.core.model import (
    ConflictRecord,
    Exclusions,
    HistoryRecord,
    InspectorRecord,
    ItemRecord,
    ObjectFilter,
    ObjectRecord,
    Plan,
    Stratum,
    TeamRequirement,
    TeamRules,
)

ENTROPY = "骰子 31415926535897932384"
SECRET = bytes(range(32))

DAWA, XINGLONG, SHUANGTAI = "大洼区", "兴隆台区", "双台子区"


def _o(
    oid: str,
    name: str,
    type_: str,
    industry: str,
    district: str,
    risk: str,
    status: str = "存续",
    **kw: object,
) -> ObjectRecord:
    return ObjectRecord(
        id=oid,
        name=name,
        type=type_,  # type: ignore[arg-type]
        industry=industry,
        district=district,
        status=status,  # type: ignore[arg-type]
        risk_class=risk,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


OBJECTS = (
    _o(
        "91211100MA0Q00000P",
        "盘锦辽河食品有限公司",
        "企业",
        "C1391",
        DAWA,
        "A",
        departments=("SCJG",),
        established=date(2012, 5, 8),
    ),
    _o(
        "92211100MA1K07919G",
        "大洼区老王烧烤店",
        "个体工商户",
        "H6210",
        DAWA,
        "C",
        address="大洼区兴海街\\12号",
        tags=("夜市;烧烤",),
    ),
    _o("93211100MA2L15838Q", "盘锦稻香农民专业合作社", "农民专业合作社", "A0111", SHUANGTAI, "B"),
    _o(
        "91211103MA3X23757A",
        "盘锦锅炉制造有限公司",
        "企业",
        "C3411",
        XINGLONG,
        "D",
        departments=("SCJG", "ZJ"),
        abnormal_list=True,
    ),
    _o(
        "91211102MA4Y316767",
        "兴隆台区海鲜酒楼有限公司",
        "企业",
        "H6210",
        XINGLONG,
        "C",
        last_inspected=date(2026, 6, 15),
    ),
    _o("92211121MA5P39595U", "双台子区便民超市", "个体工商户", "F5211", SHUANGTAI, "B"),
    _o(
        "91211122MA6R47514N",
        "盘锦压力容器检测有限公司",
        "企业",
        "C3411",
        DAWA,
        "C",
        departments=("ZJ",),
    ),
    _o(
        "91211100MA0Q55433M",
        "盘锦北方石化设备有限公司",
        "企业",
        "C3411",
        XINGLONG,
        "B",
        status="注销",
    ),
    _o("92211100MA1K63352E", "大洼区\t鲜果铺", "个体工商户", "F5223", DAWA, "A"),
    _o(
        "93211100MA2L71271N",
        "盘锦蟹田农民专业合作社",
        "农民专业合作社",
        "A0412",
        DAWA,
        "D",
        serious_illegal_list=True,
    ),
    _o(
        "91211103MA3X79190Q",
        "盘锦电梯安装有限公司",
        "企业",
        "E4910",
        XINGLONG,
        "C",
        departments=("ZJ",),
    ),
    _o("91211102MA4Y87109Y", "盘锦红海滩文化旅游有限公司", "企业", "R9010", SHUANGTAI, "A"),
    _o("92211121MA5P950283", "双台子区小李面馆", "个体工商户", "H6210", SHUANGTAI, "D"),
    _o(
        "91211122MA6R02947N",
        "盘锦燃气储运有限公司",
        "企业",
        "D4500",
        DAWA,
        "D",
        departments=("SCJG", "ZJ"),
    ),
    _o("91211100MA0Q10866M", "盘锦宏达建材有限公司", "企业", "F5165", XINGLONG, "B", status="吊销"),
    _o("92211100MA1K18785Y", "大洼区粮油店", "个体工商户", "F5221", DAWA, "C"),
    _o(
        "盘锦-摊位-007",
        "兴隆台早市第7号摊位",
        "个体工商户",
        "F5221",
        XINGLONG,
        "C",
        id_type="other",
    ),
    _o(
        "盘锦-摊位-012",
        "兴隆台早市第12号摊位",
        "个体工商户",
        "H6210",
        XINGLONG,
        "D",
        id_type="other",
    ),
    _o("盘锦-摊位-101", "大洼夜市第101号摊位", "个体工商户", "H6210", DAWA, "B", id_type="other"),
    _o(
        "PJ-booth-5",
        "Booth 5, Shuangtaizi night market",
        "其他",
        "F5299",
        SHUANGTAI,
        "C",
        id_type="other",
    ),
)


def _i(cert: str, name: str, dept: str, **kw: object) -> InspectorRecord:
    fields: dict[str, object] = {"cert_valid_until": date(2029, 12, 31), "status": "在岗"}
    fields.update(kw)
    return InspectorRecord(cert_no=cert, name=name, department=dept, **fields)  # type: ignore[arg-type]


INSPECTORS = (
    _i("21110001", "王建国", "SCJG", leader=True, specialties=("食品",)),
    _i("21110002", "李娜", "SCJG", leader=True, specialties=("食品",), district=DAWA),
    _i("21110003", "张伟", "SCJG", leader=True, district=XINGLONG, home_district=SHUANGTAI),
    _i("21110004", "刘洋", "SCJG", post="科员", home_district=DAWA),
    _i(
        "21110005",
        "陈静",
        "SCJG",
        leader=True,
        specialties=("食品", "广告"),
        unavailable=((date(2027, 2, 1), date(2027, 2, 5)),),
    ),
    _i("21110006", "赵磊", "SCJG", cert_valid_until=date(2027, 2, 28)),
    _i("21110007", "黄丽", "SCJG", specialties=("食品",), home_district=SHUANGTAI),
    _i("21110008", "马超", "SCJG", leader=True, district=DAWA),
    _i("21120001", "孙强", "ZJ", specialties=("特种设备",), leader=True),
    _i("21120002", "周敏", "ZJ", specialties=("特种设备",), district=XINGLONG),
    _i("21120003", "吴刚", "ZJ", specialties=("特种设备",), status="休假"),
    _i("21120004", "郑洁", "ZJ", specialties=("特种设备", "食品"), expert=True),
)

CONFLICTS = (
    ConflictRecord("21110001", "91211102MA4Y316767", "亲属"),
    ConflictRecord("21120001", "91211122MA6R47514N", "原单位", valid_until=date(2026, 12, 31)),
    ConflictRecord("21120004", "91211103MA3X23757A", "持股", valid_from=date(2025, 1, 1)),
    ConflictRecord("21110004", "盘锦-摊位-012", "受礼"),
)

HISTORY = (
    HistoryRecord("92211100MA1K07919G", "SCJG-01", date(2026, 3, 2), ("21110001", "21110004")),
    HistoryRecord("91211103MA3X23757A", "ZJ-02", date(2026, 11, 20), ("21110003", "21120002")),
    HistoryRecord("91211103MA3X23757A", "SCJG-01", date(2025, 4, 9), ("21110001", "21110002")),
    HistoryRecord("92211121MA5P950283", "SCJG-02", date(2027, 1, 2), ("21110005",)),
    HistoryRecord("盘锦-摊位-101", "SCJG-02", date(2026, 2, 28), ("21110002", "21110005")),
)

ITEMS = {
    "SCJG-01": ItemRecord(
        code="SCJG-01",
        name="营业执照（登记证）规范使用情况的检查",
        legal_basis="《企业信息公示暂行条例》第十四条",
        department="SCJG",
        item_class="一般",  # type: ignore[arg-type]
        methods=("现场检查",),
        ratio=Fraction(1, 4),
        scope=ObjectFilter.of({"type": ["企业", "个体工商户", "农民专业合作社"]}),
    ),
    "SCJG-02": ItemRecord(
        code="SCJG-02",
        name="食品经营许可情况的检查",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
        department="SCJG",
        item_class="重点",  # type: ignore[arg-type]
        methods=("现场检查", "书面检查"),
        ratio=Fraction(1, 2),
        specialty="食品",
        max_per_year=1,
        scope=ObjectFilter.of({"industry": ["H62", "F522"]}),
    ),
    "ZJ-02": ItemRecord(
        code="ZJ-02",
        name="特种设备使用单位的检查",
        legal_basis="《中华人民共和国特种设备安全法》第五十七条",
        department="ZJ",
        item_class="重点",  # type: ignore[arg-type]
        methods=("现场检查",),
        ratio=Fraction(1, 3),
        sub_item="锅炉、压力容器、电梯",
        specialty="特种设备",
        scope=ObjectFilter.of({"industry": ["C34", "D45", "E49"]}),
    ),
}

PLAN = Plan(
    id="PJ-2027-Q1",
    title="盘锦市2027年第一季度部门联合双随机抽查",
    year=2027,
    batch="Q1",
    kind="不定向",  # type: ignore[arg-type]
    department="SCJG",
    co_departments=("ZJ",),
    items=("SCJG-01", "SCJG-02", "ZJ-02"),
    window_start=date(2027, 1, 4),
    window_end=date(2027, 3, 31),
    scope=ObjectFilter.of({"type": ["企业", "个体工商户", "农民专业合作社", "其他"]}),
    strata=(
        Stratum("低风险", ObjectFilter.of({"risk_class": ["A", "B"]})),
        Stratum(
            "中高风险",
            ObjectFilter.of({"risk_class": ["C", "D"], "type": ["企业", "个体工商户"]}),
            ratio=Fraction(1, 2),
            min_count=1,
        ),
    ),
    exclusions=Exclusions(lookback_months=12, annual_cap=1),
    team=TeamRules(
        size=2,
        leader=True,
        district="same",
        load_cap=4,
        require=(TeamRequirement("SCJG", 1),),
        conflict_rules=("declared", "previous_team", "home_district"),
    ),
    entropy="dice",  # type: ignore[arg-type]
)


# -- DR-2 (tests/core/vectors/dr2.json): the same registries and plan, plus ----------
# the beacon's 32 randomness bytes, the witnesses' dice and the salt key of the
# risk-class commitment; and a second plan with a public stratum beside two risk
# strata of one group, so the vectors also pin full public recomputation.

BEACON_RANDOMNESS = bytes(range(0x20, 0x40))
DICE = "31415265354232462643"
SALT_KEY = bytes(range(0x40, 0x60))

PLAN_MIXED = replace(
    PLAN,
    id="PJ-2027-Q1-B",
    strata=(
        Stratum(
            "低风险", ObjectFilter.of({"risk_class": ["A", "B"], "type": ["企业", "个体工商户"]})
        ),
        Stratum(
            "中高风险",
            ObjectFilter.of({"risk_class": ["C", "D"], "type": ["企业", "个体工商户"]}),
            ratio=Fraction(1, 2),
            min_count=1,
        ),
        Stratum("合作社及其他", ObjectFilter.of({"type": ["农民专业合作社", "其他"]}), min_count=1),
    ),
)
