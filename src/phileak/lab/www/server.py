"""The www server: http.server on 127.0.0.1 serving the site, and accepting (then forgetting) its forms."""

from __future__ import annotations

import functools
import io
import os
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MAX_FORM_BYTES = 64 * 1024
# Form actions and where the browser lands after posting. Bodies are read and dropped, never stored.
FORM_REDIRECTS = {
    "/appointments/book": "/appointments/thanks.html",
    "/portal/login": "/portal/login.html?failed=1",
}


class SiteHandler(SimpleHTTPRequestHandler):
    server_version = "LabGeneralWeb/1.0"
    sys_version = ""

    def do_POST(self) -> None:
        target = FORM_REDIRECTS.get(self.path.split("?", 1)[0])
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_FORM_BYTES:
            self.send_error(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self.rfile.read(length)
        if target is None:
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self.send_response(HTTPStatus.SEE_OTHER)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def list_directory(self, path: str | os.PathLike[str]) -> io.BytesIO | None:
        self.send_error(HTTPStatus.NOT_FOUND)
        return None


def make_server(root: Path, port: int) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 only; port 0 picks a free one."""
    handler = functools.partial(SiteHandler, directory=str(root))
    return ThreadingHTTPServer(("127.0.0.1", port), handler)
