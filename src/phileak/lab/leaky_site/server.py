"""One HTTPS server on 127.0.0.1 for every hostname of the leaky site: the hospital's pages (care.lab-hospital.test),
its own analytics (metrics.lab-hospital.test), and, as the tracker sink, every vendor host the pages call.

Which role a request gets is read from its Host header. Vendor scripts are files under `vendors/<host>/<path>`;
every other tracker request is recorded (sinklog.py) and answered at once: 1x1 GIF for image pixels, 204 for
beacons and JSON posts, with permissive CORS so a page's fetch/XHR bodies are sent as they would be to the real
vendor. `www.facebook.com` sets `c_user`/`xs` on its first answer: the lab's stand-in for a visitor who is
logged in to Facebook. WebSockets (Hotjar's recording socket) are accepted and each message recorded.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import secrets
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from phileak.lab.leaky_site import (
    DEFAULT_PORT,
    FIRST_PARTY_HOSTS,
    PORTAL_PASSWORD,
    PORTAL_USERNAME,
    SINK_LOG,
    SITE_HOST,
)
from phileak.lab.leaky_site import websocket as ws
from phileak.lab.leaky_site.ports import with_port
from phileak.lab.leaky_site.sinklog import SinkLog, SinkRecord, now

MAX_BODY_BYTES: Final = 4 * 1024 * 1024
MAX_FORM_BYTES: Final = 64 * 1024
TLS_HANDSHAKE_TIMEOUT_S: Final = 10.0
SESSION_COOKIE: Final = "labchart_session"
PIXEL_GIF: Final = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
_CONTENT_TYPES: Final = {
    ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8", ".js": "application/javascript",
    ".json": "application/json", ".woff2": "font/woff2", ".svg": "image/svg+xml", ".gif": "image/gif",
    ".txt": "text/plain; charset=utf-8", ".ico": "image/x-icon",
}  # fmt: skip
_TEXT_SUFFIXES: Final = frozenset({".html", ".css", ".js", ".json", ".svg", ".txt", ""})
_IMAGE_PIXEL_PATHS: Final = re.compile(r"^/(tr/?|action/.*|i/adsct|collect|v3/?|p|c\.gif)$")
_QUERY: Final = re.compile(r"\?[^\s\"']*")
# First-party form actions: (path) -> where the browser lands. Bodies are read and dropped, never stored.
_FORM_LANDINGS: Final = {
    "/appointments/book": "/appointments/thanks.html",
    "/symptom-checker/results": "/symptom-checker.html?checked=1",
    "/portal/profile": "/portal/profile.html?saved=1",
    "/portal/messages": "/portal/messages.html?sent=1",
}
_PUBLIC_PORTAL_PAGES: Final = frozenset({"/portal/login.html", "/portal/", "/portal"})


@dataclass
class SiteState:
    """What the server serves and remembers: files under `root`, portal sessions, the sink log."""

    root: Path
    port: int
    log: SinkLog
    sessions: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def text(self, data: bytes) -> bytes:
        """Page and script text with tracker and lab URLs given the port, when it is not 443."""
        if self.port == DEFAULT_PORT:
            return data
        return with_port(data.decode("utf-8"), self.port).encode("utf-8")

    def new_session(self) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.sessions.add(token)
        return token

    def has_session(self, token: str | None) -> bool:
        with self.lock:
            return token is not None and token in self.sessions


class LabWebServer(ThreadingHTTPServer):
    """Threaded; TLS is negotiated in each connection's own thread so a stalled client holds nobody else."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, port: int, tls: ssl.SSLContext, state: SiteState, log_line: Callable[[str], None] = print
    ) -> None:
        self.tls = tls
        self.state = state
        self.log_line = log_line
        super().__init__(("127.0.0.1", port), SiteHandler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(TLS_HANDSHAKE_TIMEOUT_S)
        try:
            secured = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return  # readiness probes, clients that refused the certificate
        try:
            SiteHandler(secured, client_address, self)
        finally:
            with contextlib.suppress(OSError):
                secured.close()


class SiteHandler(BaseHTTPRequestHandler):
    server: LabWebServer
    protocol_version = "HTTP/1.1"
    server_version = "LabSink/1.0"
    sys_version = ""
    timeout = 30

    # -- dispatch

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_OPTIONS(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip().lower()
        if host in FIRST_PARTY_HOSTS:
            self._first_party(host)
        else:
            self._sink(host)

    @property
    def state(self) -> SiteState:
        return self.server.state

    # -- the hospital's own hosts

    def _first_party(self, host: str) -> None:
        path = urlsplit(self.path).path or "/"
        self.state.log.write(SinkRecord(now(), host, self.command, path, first_party=True))
        body = self._read_body(MAX_FORM_BYTES)
        if body is None:
            return
        if host != SITE_HOST:
            if not self._serve_file(self.state.root / "vendors" / host, path):
                self._respond(HTTPStatus.NO_CONTENT)
            return
        if self.command == "POST":
            self._form(path, body)
            return
        if self.command not in ("GET", "HEAD"):
            self._respond(HTTPStatus.METHOD_NOT_ALLOWED)
            return
        if path.startswith("/portal") and path not in _PUBLIC_PORTAL_PAGES and not self._signed_in():
            self._redirect("/portal/login.html", HTTPStatus.FOUND)
            return
        if path in ("/portal", "/portal/"):
            self._redirect("/portal/home.html" if self._signed_in() else "/portal/login.html", HTTPStatus.FOUND)
            return
        if path.endswith("/"):
            path += "index.html"
        if not self._serve_file(self.state.root / "site", path, cache="no-cache"):
            self._respond(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")

    def _form(self, path: str, body: bytes) -> None:
        if path == "/portal/login":
            form = parse_qs(body.decode("utf-8", "replace"))
            user, password = form.get("username", [""])[0], form.get("password", [""])[0]
            if _same(user, PORTAL_USERNAME) and _same(password, PORTAL_PASSWORD):
                token = self.state.new_session()
                cookie = f"{SESSION_COOKIE}={token}; Path=/portal; Secure; HttpOnly; SameSite=Lax"
                self._redirect("/portal/home.html", HTTPStatus.SEE_OTHER, [("Set-Cookie", cookie)])
            else:
                self._redirect("/portal/login.html?failed=1", HTTPStatus.SEE_OTHER)
            return
        if path == "/portal/logout":
            expired = f"{SESSION_COOKIE}=; Path=/portal; Max-Age=0"
            self._redirect("/portal/login.html", HTTPStatus.SEE_OTHER, [("Set-Cookie", expired)])
            return
        landing = _FORM_LANDINGS.get(path)
        if landing is None or (path.startswith("/portal/") and not self._signed_in()):
            self._respond(HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8")
            return
        self._redirect(landing, HTTPStatus.SEE_OTHER)

    def _signed_in(self) -> bool:
        cookies: SimpleCookie = SimpleCookie()
        with contextlib.suppress(Exception):
            cookies.load(self.headers.get("Cookie") or "")
        morsel = cookies.get(SESSION_COOKIE)
        return self.state.has_session(morsel.value if morsel else None)

    # -- the tracker sink

    def _sink(self, host: str) -> None:
        if (self.headers.get("Upgrade") or "").lower() == "websocket":
            self._websocket(host)
            return
        body = self._read_body(MAX_BODY_BYTES)
        if body is None:
            return
        headers = tuple((name.lower(), value) for name, value in self.headers.items())
        self.state.log.write(SinkRecord(now(), host, self.command, self.path, headers, body))
        path = urlsplit(self.path).path or "/"
        extra = self._vendor_cookies(host)
        if self.command == "OPTIONS":
            self._respond(HTTPStatus.NO_CONTENT, headers=self._preflight())
            return
        if self.command in ("GET", "HEAD") and self._serve_file(
            self.state.root / "vendors" / host, path, cache="public, max-age=1200", extra=extra
        ):
            return
        if self.command in ("GET", "HEAD") and _IMAGE_PIXEL_PATHS.match(path):
            self._respond(HTTPStatus.OK, PIXEL_GIF, "image/gif", extra)
            return
        self._respond(HTTPStatus.NO_CONTENT, headers=extra)

    def _vendor_cookies(self, host: str) -> list[tuple[str, str]]:
        if not (host == "facebook.com" or host.endswith(".facebook.com")):
            return []
        if "c_user=" in (self.headers.get("Cookie") or ""):
            return []
        attributes = "Domain=.facebook.com; Path=/; Secure; SameSite=None; Max-Age=31536000"
        return [
            ("Set-Cookie", f"c_user=100000000000017; {attributes}"),
            ("Set-Cookie", f"xs=17%3Alabsession%3A2%3A1763650000; {attributes}; HttpOnly"),
        ]

    def _preflight(self) -> list[tuple[str, str]]:
        asked = self.headers.get("Access-Control-Request-Headers")
        answer = [("Access-Control-Allow-Methods", "GET, POST, PUT, OPTIONS"), ("Access-Control-Max-Age", "600")]
        if asked:
            answer.append(("Access-Control-Allow-Headers", asked))
        return answer

    def _websocket(self, host: str) -> None:
        key = self.headers.get("Sec-WebSocket-Key")
        if not key:
            self._respond(HTTPStatus.BAD_REQUEST)
            return
        headers = tuple((name.lower(), value) for name, value in self.headers.items())
        self.state.log.write(SinkRecord(now(), host, "GET", self.path, headers, websocket=True))
        self.send_response(HTTPStatus.SWITCHING_PROTOCOLS)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", ws.accept_key(key))
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        self.connection.settimeout(120)
        try:
            while True:
                frame = ws.read_frame(self.rfile)
                if frame is None or frame.opcode == ws.CLOSE:
                    with contextlib.suppress(OSError):
                        self.wfile.write(ws.encode_frame(ws.CLOSE, b"\x03\xe8"))
                    return
                if frame.opcode == ws.PING:
                    self.wfile.write(ws.encode_frame(ws.PONG, frame.payload))
                elif frame.opcode in (ws.TEXT, ws.BINARY, 0x0):
                    self.state.log.write(SinkRecord(now(), host, "WS", self.path, body=frame.payload, websocket=True))
        except (ws.FrameError, OSError):
            return

    # -- helpers

    def _read_body(self, cap: int) -> bytes | None:
        """The request body (None after answering 413/400 for one that is too large or malformed)."""
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            self._respond(HTTPStatus.LENGTH_REQUIRED)
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self._respond(HTTPStatus.BAD_REQUEST)
            return None
        if length > cap:
            self.close_connection = True
            self._respond(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return None
        return self.rfile.read(length) if length > 0 else b""

    def _serve_file(
        self, base: Path, path: str, *, cache: str = "no-cache", extra: list[tuple[str, str]] | None = None
    ) -> bool:
        """Answer with base/path when it is a file inside base; False when there is none."""
        relative = path.lstrip("/")
        if not relative or ".." in relative.split("/"):
            return False
        candidate = base / relative
        try:
            resolved = candidate.resolve()
            if not resolved.is_relative_to(base.resolve()) or not resolved.is_file():
                return False
            data = resolved.read_bytes()
        except OSError:
            return False
        suffix = resolved.suffix.lower()
        if suffix in _TEXT_SUFFIXES:
            data = self.state.text(data)
        content_type = _CONTENT_TYPES.get(suffix, "application/javascript")
        self._respond(HTTPStatus.OK, data, content_type, [("Cache-Control", cache), *(extra or [])])
        return True

    def _redirect(self, location: str, status: HTTPStatus, headers: list[tuple[str, str]] | None = None) -> None:
        self._respond(status, headers=[("Location", location), *(headers or [])])

    def _respond(
        self,
        status: HTTPStatus,
        body: bytes = b"",
        content_type: str | None = None,
        headers: list[tuple[str, str]] | None = None,
    ) -> None:
        self.send_response(status)
        origin = self.headers.get("Origin")
        if origin:
            self.send_header("Access-Control-Allow-Origin", origin)
            self.send_header("Access-Control-Allow-Credentials", "true")
            self.send_header("Vary", "Origin")
        for name, value in headers or []:
            self.send_header(name, value)
        if content_type and status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Type", content_type)
        if status != HTTPStatus.NO_CONTENT:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != HTTPStatus.NO_CONTENT:
            self.wfile.write(body)

    def handle(self) -> None:
        with contextlib.suppress(ConnectionError, TimeoutError, socket.timeout, ssl.SSLError):
            super().handle()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return  # every request is in sink.jsonl; the service log keeps errors only

    def log_message(self, format: str, *args: Any) -> None:
        # Request lines may carry canary values in their query: never into the service log.
        self.server.log_line(_QUERY.sub("?...", format % args))


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    context.set_alpn_protocols(["http/1.1"])
    return context


def make_server(root: Path, port: int, log_line: Callable[[str], None] = print) -> LabWebServer:
    """The server for a lab data directory (site/, vendors/, tls/), bound to 127.0.0.1:`port`."""
    tls = tls_context(root / "tls" / "cert.pem", root / "tls" / "key.pem")
    server = LabWebServer(port, tls, SiteState(root, port, SinkLog(root / SINK_LOG)), log_line)
    return server
