"""Chinese notices are in Chinese: no English prose, no time-zone names.

Every page's visible text (and the feed's) is split into Latin tokens; a
token is allowed only if it is a code, an id, a digest, a file name, an
address or a product's name (:func:`allowed`). Literal values a reader must
copy exactly (commands, JSON keys, the public entropy) stand in ``<code>``,
``<pre>``, ``<var>`` or ``class="mono"`` and are not prose; registered
object names are data and are taken out first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dualrandom.draws import SecretStore, prepare_draw, run_draw
from dualrandom.publish.write import Renderer
from dualrandom.tables import ObjectRow
from tests.draws.conftest import fixed_token
from tests.publish.conftest import Published
from tests.publish.html import pages, parse, rel
from tests.publish.scenario import T0, publish

LITERAL_TAGS = {"code", "pre", "var", "kbd", "samp", "script", "style"}
PRODUCTS = {
    "Python", "Windows", "macOS", "Linux", "Excel", "Atom", "dual-random", "drand", "quicknet"
}
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/#%+\-]*")
CODE = re.compile(r"[A-Z0-9][A-Z0-9_\-]*")  # SCJG, CSV, KB, T_SEED, MATCH
FILE = re.compile(r"[\w.\-]+\.(py|json|csv|zip|sha256|md|exe|xml|html)")
HEX = re.compile(r"[0-9a-f]{8,}")
DECLARED_ENTROPY = "DR-1 scheduled draw 2027-Q3 attempt 2, declared at prepare time"


def allowed(token: str) -> bool:
    """A code, id, digest, file name, address or product name; never a word of prose."""
    return bool(
        token in PRODUCTS
        or not re.search("[A-Za-z]", token)
        or re.search("[0-9]", token)  # ids and codes: 2027-Q1, DR-1, UTF-8, 91211…
        or CODE.fullmatch(token)
        or HEX.fullmatch(token)
        or FILE.fullmatch(token)
        or token.startswith(("http://", "https://"))
    )


def _prose(element: ET.Element) -> str:
    """The visible text outside literal elements."""
    if element.tag in LITERAL_TAGS or "mono" in element.attrib.get("class", "").split():
        return element.tail or ""
    inner = "".join(_prose(child) for child in element)
    return (element.text or "") + inner + (element.tail or "")


def latin_words(text: str, names: list[str]) -> list[str]:
    for name in names:  # longest first, so that no name is cut by a shorter one
        text = text.replace(name, " ")
    tokens = (m.group().rstrip(".:,;") for m in TOKEN.finditer(text))
    return [t for t in tokens if not allowed(t)]


@pytest.fixture(scope="module")
def site(published: Published) -> Path:
    """The scenario's site, with one more draw: 2027-Q3 again, unattended ("declared")."""
    secrets = SecretStore(published.folder / "secrets-declared", token=fixed_token(9))
    at = T0 + timedelta(days=182)
    with published.app.transaction() as session:
        prepare_draw(
            session,
            "2027-Q3",
            secrets=secrets,
            now=at,
            entropy_source="declared",
            supersede_reason="改为定时无人值守抽取", actor="tester",
        )
    with published.app.transaction() as session:
        run_draw(session, "2027-Q3", DECLARED_ENTROPY, secrets=secrets, now=at + timedelta(days=1), actor="tester")
    return publish(published.app, published.folder / "declared-site")


@pytest.fixture(scope="module")
def names(published: Published) -> list[str]:
    with published.app.transaction() as session:
        registered = set(session.scalars(select(ObjectRow.name)))
    return sorted(registered, key=len, reverse=True)


def test_the_guard_sees_english_and_time_zone_names() -> None:
    """The check itself: prose and zone names fail, codes and digests pass."""
    assert latin_words("于2026年12月22日 09:30:00（Asia/Shanghai）", []) == ["Asia/Shanghai"]
    assert latin_words("定时抽取 (an unattended scheduled draw)", []) == [
        "an",
        "unattended",
        "scheduled",
        "draw",
    ]
    tree = ET.fromstring("<p>算法 DR-1，SCJG抽〔2027〕1号，见 <code>bundle.json</code> 的 <code>entropy</code>，"
                         "承诺值 14ad7db6…，Python、CSV、12.0 KB</p>")
    assert latin_words(_prose(tree), []) == []
    assert latin_words("兴隆台 Night Market 摊位", ["兴隆台 Night Market 摊位"]) == []


def test_no_page_has_english_prose_or_a_time_zone_name(site: Path, names: list[str]) -> None:
    found = {}
    for page in pages(site):
        words = latin_words(_prose(parse(page)), names)
        if words:
            found[rel(site, page)] = sorted(set(words))
    assert found == {}


def test_the_feed_is_chinese_too(site: Path, names: list[str]) -> None:
    text = " ".join(ET.parse(site / "feed.xml").getroot().itertext())
    assert latin_words(text, names) == []


def test_dates_and_times_say_beijing_time(site: Path) -> None:
    text = _prose(parse(site / "draws/2027-Q3/2/index.html"))
    assert "（北京时间）" in text and "Asia/Shanghai" not in text


def test_an_unattended_draw_is_described_in_chinese(site: Path) -> None:
    predraw = _prose(parse(site / "draws/2027-Q3/2/predraw.html"))
    assert "定时无人值守抽取" in predraw and "unattended" not in predraw
    notice = parse(site / "draws/2027-Q3/2/index.html")
    assert DECLARED_ENTROPY in " ".join("".join(notice.itertext()).split())


@pytest.mark.parametrize(
    ("zone", "shown"),
    [
        ("Asia/Shanghai", "2027年1月5日 09:30:00（北京时间）"),
        ("Asia/Urumqi", "2027年1月5日 07:30:00（UTC+6）"),
        ("Asia/Kolkata", "2027年1月5日 07:00:00（UTC+5:30）"),
        ("America/New_York", "2027年1月4日 20:30:00（UTC-5）"),
    ],
)
def test_a_time_names_its_offset_never_its_zone_id(zone: str, shown: str) -> None:
    moment = datetime(2027, 1, 5, 1, 30, tzinfo=UTC)
    local_time = Renderer(ZoneInfo(zone), "t").env.filters["local_time"]
    assert local_time(moment) == shown
