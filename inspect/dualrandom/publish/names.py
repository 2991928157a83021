"""What the public site calls an object: its display name and its file name.

**Masking person names.** An individual business (个体工商户) may be
registered under the bare name of its owner ("董娟艳"). Such a name is
personal data, so when a plan's ``publication.mask_person_names`` is set,
the site shows it masked: the first and last character are kept and every
character between them becomes ``*`` (董*艳; a two-character name keeps its
first: 王*). The rule, chosen to err towards masking:

* the object's type is 个体工商户, and
* the name is 2–4 Han characters, or Han parts joined by a middle dot
  (买买提·艾力), and
* it does not end in a word that only a business ends in (店, 馆, 部 …:
  :data:`BUSINESS_ENDINGS`).

A trade name that merely contains a person's name ("罗刚军小卖店") is the
registered public name of the business and is not masked.

**File names.** Every object has one stable page,
``objects/<shard>/<slug>.html``. A unified social credit code (18 of
``0-9A-Z``) is its own slug; any other id (``盘锦-摊位-0001``, or text an
importer accepted) becomes ``x`` + the first 24 hex digits of the SHA-256 of
its UTF-8 bytes, which is safe on every file system, case-insensitive ones
included, and cannot collide with a credit code (those never contain a
lower-case ``x``). The shard, the first two hex digits of the id's SHA-256,
keeps folders small enough for FAT-formatted USB sticks.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

__all__ = [
    "BUSINESS_ENDINGS",
    "display_name",
    "is_person_name",
    "mask_name",
    "object_href",
    "object_slug",
]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_DOT = "·•\u30fb"
_PERSON = re.compile(rf"[{_HAN}]{{2,4}}|[{_HAN}]{{1,8}}(?:[{_DOT}][{_HAN}]{{1,8}}){{1,3}}")
_USCC = re.compile(r"[0-9A-Z]{18}")

# Characters that end a trade name and (almost) never a person's given name.
# Ambiguous ones (轩, 堂, 园, 楼, 行 … which end many given names) are left
# out on purpose: a false mask costs less than a published name.
BUSINESS_ENDINGS = frozenset("店馆铺厂坊社部所站场吧室屋厅摊档记号栈")

INDIVIDUAL = "个体工商户"


def is_person_name(name: str, object_type: str) -> bool:
    """True when ``name`` of an object of ``object_type`` looks like a bare person name."""
    text = unicodedata.normalize("NFC", name).strip()
    if object_type != INDIVIDUAL or not _PERSON.fullmatch(text):
        return False
    return text[-1] not in BUSINESS_ENDINGS


def mask_name(name: str) -> str:
    """王*明, 王*, 买**·*力: keep the first and last Han character, star the rest."""
    text = unicodedata.normalize("NFC", name).strip()
    if len(text) <= 2:
        return text[:1] + "*" * (len(text) - 1)
    middle = "".join(c if c in _DOT else "*" for c in text[1:-1])
    return text[0] + middle + text[-1]


def display_name(name: str, object_type: str, *, mask: bool) -> str:
    """The name as the public site shows it under a plan's masking setting."""
    return mask_name(name) if mask and is_person_name(name, object_type) else name


def object_slug(object_id: str) -> str:
    """The file-name stem of an object's page: the credit code itself, else ``x`` + hash."""
    if _USCC.fullmatch(object_id):
        return object_id
    return "x" + hashlib.sha256(object_id.encode("utf-8")).hexdigest()[:24]


def object_href(object_id: str) -> str:
    """The site-relative URL of an object's page; stable across builds."""
    shard = hashlib.sha256(object_id.encode("utf-8")).hexdigest()[:2]
    return f"objects/{shard}/{object_slug(object_id)}.html"
