"""Reading a console page by its structure (html5lib, as a browser parses it)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import html5lib
from werkzeug.test import TestResponse

from tests.publish.html import text

__all__ = ["by_id", "page", "table_rows", "text"]


def page(response: TestResponse) -> ET.Element:
    """The document of a successful response, without namespaces."""
    assert response.status_code == 200, response.status_code
    return html5lib.parse(response.get_data(), namespaceHTMLElements=False)  # type: ignore[no-any-return]


def by_id(tree: ET.Element, element_id: str) -> ET.Element:
    [found] = tree.findall(f".//*[@id='{element_id}']")
    return found


def table_rows(table: ET.Element) -> list[dict[str, str]]:
    """A table's body rows as {column header: cell text}."""
    head = table.find("thead")
    body = table.find("tbody")
    assert head is not None and body is not None
    headers = [text(th) for th in head.iter("th")]
    rows = []
    for tr in body.findall("tr"):
        cells = [text(td) for td in tr.findall("td")]
        assert len(cells) == len(headers), (headers, cells)
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows
