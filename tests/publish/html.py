"""Reading a generated site the way a browser would: parsed, never string-compared."""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib

TEXT_SUFFIXES = {".html", ".css", ".js", ".json", ".csv", ".xml", ""}


def parse(path: Path) -> ET.Element:
    """The document tree (html5lib, the HTML5 parsing algorithm), without namespaces."""
    return html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)  # type: ignore[no-any-return]


def text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def files(site: Path) -> list[Path]:
    return sorted(p for p in site.rglob("*") if p.is_file() and p.name != ".dualrandom-site")


def pages(site: Path) -> list[Path]:
    return [p for p in files(site) if p.suffix == ".html"]


def rel(site: Path, path: Path) -> str:
    return path.relative_to(site).as_posix()


def links(tree: ET.Element) -> Iterator[tuple[str, str]]:
    """(attribute, value) of every href and src in the page."""
    for element in tree.iter():
        for attribute in ("href", "src"):
            if attribute in element.attrib:
                yield attribute, element.attrib[attribute]


def resolve(site: Path, page: Path, url: str) -> tuple[Path, str] | None:
    """The file and fragment a relative link leads to; None for an absolute URL."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    base = posixpath.dirname(rel(site, page))
    target = (
        posixpath.normpath(posixpath.join(base, unquote(parts.path)))
        if parts.path
        else rel(site, page)
    )
    return site / target, parts.fragment


def rows(tree: ET.Element, caption_starts: str = "") -> list[dict[str, str]]:
    """The body rows of the first table whose caption starts so, as {data-label: text}."""
    for table in tree.iter("table"):
        caption = table.find("caption")
        if caption is not None and text(caption).startswith(caption_starts):
            body = table.find("tbody")
            assert body is not None
            return [
                {td.attrib.get("data-label", ""): text(td) for td in tr.iter("td")}
                for tr in body.iter("tr")
            ]
    raise AssertionError(f"no table with a caption starting {caption_starts!r}")
