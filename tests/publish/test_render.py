"""The bytes of a rendered page: no control character reaches one."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from dualrandom.publish.write import Renderer

# The C0 controls but tab, newline and carriage return, and DEL.
CONTROLS = "".join(map(chr, [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F]))


def test_control_characters_never_reach_a_page() -> None:
    renderer = Renderer(ZoneInfo("Asia/Shanghai"), "公示")
    url = f"a{CONTROLS}\t\n\r的é/x.html"
    page = renderer.render("sitemap.xml.j2", "sitemap.xml", urls=[url], base="")
    assert "<loc>a\t\n\r的é/x.html</loc>".encode() in page  # the rest kept, as UTF-8
    assert not any(chr(byte) in CONTROLS for byte in page)
