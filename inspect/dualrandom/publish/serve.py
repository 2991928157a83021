"""``dualrandom serve``: preview a published site on this machine only.

A plain ``http.server`` bound to 127.0.0.1 (never to other interfaces: this
is a preview, not the public server). It sends the types the site's files
need and the headers a production server should send too: a content
security policy that allows only the site's own files, and ``nosniff``.
"""

from __future__ import annotations

import functools
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dualrandom.errors import UserError

__all__ = ["HOST", "SECURITY_HEADERS", "PreviewServer", "make_server"]

HOST = "127.0.0.1"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (overrides the stdlib class attribute)
        **SimpleHTTPRequestHandler.extensions_map,
        ".html": "text/html; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".json": "application/json",
        ".csv": "text/csv; charset=utf-8",
        ".xml": "application/xml",
        ".zip": "application/zip",
        "": "text/plain; charset=utf-8",
    }

    def end_headers(self) -> None:
        for name, value in SECURITY_HEADERS.items():
            self.send_header(name, value)
        super().end_headers()

    def guess_type(self, path: str | Any) -> str:
        if str(path).endswith("feed.xml"):
            return "application/atom+xml"
        return super().guess_type(path)

    def log_message(self, format: str, *args: Any) -> None:
        if not (isinstance(self.server, PreviewServer) and self.server.quiet):
            super().log_message(format, *args)


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True
    quiet = False

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server_address[1]}/"


def make_server(directory: Path, port: int = 8000, *, quiet: bool = False) -> PreviewServer:
    """A server for ``directory`` on 127.0.0.1:``port`` (0: any free port); call serve_forever()."""
    if not (directory / "index.html").is_file():
        raise UserError(
            f"{directory} 中没有 index.html；请先运行 dualrandom publish",
            f"{directory} has no index.html; run 'dualrandom publish' first",
        )
    handler = functools.partial(_Handler, directory=str(directory))
    try:
        server = PreviewServer((HOST, port), handler)
    except OSError as exc:
        raise UserError(
            f"无法在 {HOST}:{port} 上监听：{exc.strerror}；请换一个 --port",
            f"cannot listen on {HOST}:{port}: {exc.strerror}; try another --port",
        ) from None
    server.quiet = quiet
    return server
