"""A local HTTPS server on 127.0.0.1:443 standing in for a health site and the trackers it feeds, for the browser
tests. One self-signed wildcard certificate (made with openssl) covers every hostname; the browser maps every
name to 127.0.0.1 with --host-resolver-rules, so nothing leaves loopback (and the tests run in a network
namespace with only `lo`). Every request is logged (host, method, path, body); WebSocket frames too.
"""

from __future__ import annotations

import base64
import hashlib
import ssl
import struct
import subprocess
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

SITE = "www.example-health.test"
NAMES = (
    "*.example-health.test", "example-health.test", "*.facebook.com", "*.facebook.net", "*.google-analytics.com",
    "*.tiktok.com", "*.clarity.ms", "*.external-news.test", "localhost",
)  # fmt: skip


@dataclass
class Hit:
    host: str
    method: str
    path: str
    body: bytes
    headers: dict[str, str]


@dataclass
class SiteLog:
    hits: list[Hit] = field(default_factory=list)
    frames: list[tuple[str, bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, hit: Hit) -> None:
        with self.lock:
            self.hits.append(hit)

    def clear(self) -> None:
        with self.lock:
            self.hits.clear()
            self.frames.clear()

    def hosts(self) -> set[str]:
        with self.lock:
            return {h.host for h in self.hits}

    def matching(self, host: str, path_prefix: str = "/", method: str | None = None) -> list[Hit]:
        with self.lock:
            return [h for h in self.hits if h.host == host and h.path.startswith(path_prefix)
                    and (method is None or h.method == method)]  # fmt: skip


def make_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    san = ",".join([*(f"DNS:{n}" for n in NAMES), "IP:127.0.0.1"])
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "2", "-subj", "/CN=phileak-test", "-addext", f"subjectAltName={san}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


PAGE_HEAD = "<!doctype html><html><head><meta charset=utf-8><title>{title}</title></head><body>"

INDEX = (
    PAGE_HEAD.format(title="Example Health")
    + """
<h1>Example Health</h1>
<a href="/conditions/type-2-diabetes">Type 2 diabetes</a>
<a href="/book">Book an appointment</a>
<a href="/capture">About us</a>
<a href="/hostile/">Odd corners</a>
<a href="https://staff.example-health.test/intranet">Staff intranet</a>
<a href="https://www.external-news.test/story">In the news</a>
<a href="mailto:info@example-health.test">Mail us</a>
<img src="https://staff.example-health.test/logo.png" alt="">
<form action="/search" method="get"><input type="search" name="q" placeholder="Search"></form>
<script>
new Image().src = "https://www.facebook.com/tr?id=1&ev=PageView&dl=" + encodeURIComponent(location.href);
</script></body></html>"""
)

CONDITION = (
    PAGE_HEAD.format(title="Type 2 diabetes | Example Health")
    + """
<h1>Type 2 diabetes</h1>
<script>
new Image().src = "https://www.facebook.com/tr?id=1&ev=PageView&dl=" + encodeURIComponent(location.href)
  + "&rl=&cd%5Bcontent_name%5D=" + encodeURIComponent(document.title);
</script></body></html>"""
)

SEARCH = (
    PAGE_HEAD.format(title="Search | Example Health")
    + """
<form action="/search" method="get"><input type="search" name="q" placeholder="Search"></form>
<script>
const q = new URLSearchParams(location.search).get("q");
if (q) {
  fetch("https://www.google-analytics.com/g/collect?v=2&tid=G-TEST&en=search&ep.search_term="
    + encodeURIComponent(q) + "&dl=" + encodeURIComponent(location.href), {method: "POST", keepalive: true});
}
</script></body></html>"""
)

CAPTURE = (
    PAGE_HEAD.format(title="About us | Example Health")
    + """
<iframe src="/frame"></iframe>
<iframe src="https://www.facebook.com/plugin-frame"></iframe>
<script>
new Image().src = "https://www.facebook.com/tr?id=1&ev=PageView&dl=" + encodeURIComponent(location.href);
navigator.sendBeacon("https://www.facebook.com/tr/", "ev=Lead&cd%5Bcondition%5D=breast-cancer");
navigator.sendBeacon("https://www.facebook.com/tr/blob",
  new Blob([JSON.stringify({ev: "BlobBeacon", diagnosis: "C50.9"})], {type: "application/json"}));
fetch("https://www.google-analytics.com/g/collect?v=2&en=keepalive",
  {method: "POST", keepalive: true, body: JSON.stringify({diag: "E11.9", kind: "keepalive"})});
fetch("https://analytics.tiktok.com/api/v2/pixel", {method: "POST", headers: {"Content-Type": "application/json"},
  body: JSON.stringify({event: "ViewContent", context: {page: {url: location.href}}})});
async function compressed(format, text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return await new Response(stream).arrayBuffer();
}
(async () => {
  fetch("https://www.clarity.ms/collect", {method: "POST", headers: {"Accept": "application/x-clarity-gzip"},
    body: await compressed("gzip", '{"clarity":"gzip-chunk","diag":"asthma"}')});
  fetch("https://www.clarity.ms/collect-deflate", {method: "POST", headers: {"Content-Encoding": "deflate"},
    body: await compressed("deflate", '{"clarity":"deflate-chunk"}')});
})();
new Image().src = "https://www.facebook.com/redirect-pixel";
new Image().src = "https://www.facebook.com/set-cookie";
const socket = new WebSocket("wss://www.facebook.com/socket");
socket.onopen = () => socket.send(JSON.stringify({type: "chat", text: "websocket-frame-hello"}));
new Worker("/worker.js");
navigator.serviceWorker.register("/sw.js");
</script></body></html>"""
)

FRAME = "<!doctype html><html><body><script>new Image().src = 'https://www.facebook.com/tr?ev=FirstPartyFrame';"
FRAME += "</script></body></html>"
PLUGIN_FRAME = "<!doctype html><html><body><script>new Image().src = 'https://www.facebook.com/tr?ev=ThirdPartyFrame';"
PLUGIN_FRAME += "</script></body></html>"
WORKER = "fetch('https://www.google-analytics.com/g/collect?from=worker', {method: 'POST', body: 'worker-body'});"
SERVICE_WORKER = """
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", event => event.waitUntil(
  fetch("https://www.google-analytics.com/g/collect?from=service-worker", {method: "POST", body: "sw-body"})));
"""

BOOK = (
    PAGE_HEAD.format(title="Book an appointment | Example Health")
    + """
<h1>Book an appointment</h1>
<form id="booking" action="/book-submit" method="post">
  <label for="fn">First name</label><input id="fn" name="first_name" autocomplete="given-name">
  <label for="ln">Last name</label><input id="ln" name="lastName">
  <label for="em">Email address</label><input id="em" name="email" type="email">
  <label for="ph">Phone</label><input id="ph" name="phone" type="tel">
  <label for="dob">Date of birth</label><input id="dob" name="dob" placeholder="MM/DD/YYYY">
  <label for="why">Reason for visit</label><textarea id="why" name="reason"></textarea>
  <select name="state"><option value="">State</option><option value="CA">California</option>
    <option value="TX">Texas</option></select>
  <button type="submit">Book now</button>
</form>
<script>
async function sha256(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest)).map(b => b.toString(16).padStart(2, "0")).join("");
}
document.getElementById("em").addEventListener("blur", async event => {
  const hashed = await sha256(event.target.value.trim().toLowerCase());
  new Image().src = "https://www.facebook.com/tr?id=1&ev=AdvancedMatching&ud%5Bem%5D=" + hashed;
});
const fired = new Set();
for (const type of ["input", "change", "blur"]) {
  document.getElementById("fn").addEventListener(type, () => {
    if (fired.has(type)) return;
    fired.add(type);
    new Image().src = "https://www.facebook.com/tr?ev=FormFieldEvent&type=" + type;
  });
}
document.getElementById("booking").addEventListener("submit", () => {
  navigator.sendBeacon("https://www.facebook.com/tr/", "ev=Schedule&cd%5Bform%5D=booking");
});
</script></body></html>"""
)

LOGIN = (
    PAGE_HEAD.format(title="Patient portal | Example Health")
    + """
<form action="/portal/login" method="post">
  <label for="u">Username</label><input id="u" name="username" autocomplete="username">
  <label for="p">Password</label><input id="p" name="password" type="password">
  <button type="submit">Sign in</button>
</form></body></html>"""
)

PORTAL_HOME = (
    PAGE_HEAD.format(title="My health | Example Health")
    + """
<h1>Your test results</h1>
<form id="message" action="/portal/message" method="post">
  <label for="msg">Message your doctor</label><textarea id="msg" name="message"></textarea>
  <button type="submit">Send</button>
</form>
<script>new Image().src = "https://www.facebook.com/tr?id=1&ev=PortalView&dl=" + encodeURIComponent(location.href);
</script></body></html>"""
)

HOSTILE_INDEX = (
    PAGE_HEAD.format(title="Hostile pages")
    + "".join(
        f'<a href="/hostile/{name}">{name}</a>'
        for name in ("redirect-loop", "never-load", "huge", "dialogs", "popups", "endless-scroll", "busy")
    )
    + '<a href="/conditions/type-2-diabetes">After the storm</a></body></html>'
)

DIALOGS = (
    PAGE_HEAD.format(title="Dialogs")
    + """
<script>alert("one"); confirm("two"); prompt("three");
window.addEventListener("beforeunload", e => { e.preventDefault(); e.returnValue = "stay"; });
new Image().src = "https://www.facebook.com/tr?ev=AfterDialogs";</script></body></html>"""
)
POPUPS = (
    PAGE_HEAD.format(title="Popups")
    + """
<script>for (let i = 0; i < 3; i++) window.open("https://www.external-news.test/popup" + i);
window.open("/conditions/type-2-diabetes");</script></body></html>"""
)
ENDLESS = (
    PAGE_HEAD.format(title="Endless")
    + """<div id="feed"></div>
<script>const feed = document.getElementById("feed");
function more() { for (let i = 0; i < 500; i++) { const d = document.createElement("p"); d.textContent = "item " + i;
  feed.appendChild(d); } }
more(); window.addEventListener("scroll", more);</script></body></html>"""
)
BUSY = (
    PAGE_HEAD.format(title="Busy")
    + """<input type="search" name="q">
<script>window.addEventListener("load", () => setTimeout(() => { for (;;) {} }, 0));</script></body></html>"""
)


def huge_page() -> bytes:
    links = "".join(f'<a href="/hostile/huge#{i}">item {i}</a>\n' for i in range(60_000))
    return (PAGE_HEAD.format(title="Huge") + links + "</body></html>").encode()


class SiteServer:
    def __init__(self, cert: Path, key: Path, port: int = 443) -> None:
        self.log = SiteLog()
        self.stop_event = threading.Event()
        handler = _handler(self)
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> SiteServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stop_event.set()
        self.server.shutdown()
        self.server.server_close()


def _handler(site: SiteServer) -> type[BaseHTTPRequestHandler]:
    huge = huge_page()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            host = (self.headers.get("host") or "").split(":")[0].lower()
            site.log.add(Hit(host, self.command, self.path, body, {k.lower(): v for k, v in self.headers.items()}))
            if self.headers.get("upgrade", "").lower() == "websocket":
                self._websocket()
                return
            path = urlsplit(self.path).path
            if host == SITE:
                self._site(path)
            elif path == "/redirect-pixel":
                self._send(302, b"", "text/plain", {"Location": "https://www.facebook.com/tr?ev=AfterRedirect"})
            elif path == "/set-cookie":
                self._send(200, b"", "image/gif", {"Set-Cookie": "fr=tracker-cookie; Domain=.facebook.com; Path=/; "
                                                                 "SameSite=None; Secure"})  # fmt: skip
            elif path == "/plugin-frame":
                self._send(200, PLUGIN_FRAME.encode(), "text/html")
            elif self.command == "OPTIONS":
                self._send(204, b"", "text/plain", {
                    "Access-Control-Allow-Origin": self.headers.get("origin", "*"),
                    "Access-Control-Allow-Methods": "POST, GET", "Access-Control-Allow-Headers": "content-type",
                    "Access-Control-Allow-Credentials": "true"})  # fmt: skip
            else:
                origin = self.headers.get("origin")
                extra = (
                    {"Access-Control-Allow-Origin": origin, "Access-Control-Allow-Credentials": "true"}
                    if origin
                    else {}
                )
                self._send(200, b"", "image/gif", extra)

        def _site(self, path: str) -> None:
            pages = {"/": INDEX, "/conditions/type-2-diabetes": CONDITION, "/search": SEARCH, "/capture": CAPTURE,
                     "/frame": FRAME, "/book": BOOK, "/portal/login": LOGIN, "/hostile/": HOSTILE_INDEX,
                     "/hostile/dialogs": DIALOGS, "/hostile/popups": POPUPS, "/hostile/endless-scroll": ENDLESS,
                     "/hostile/busy": BUSY}  # fmt: skip
            if path == "/portal/login" and self.command == "POST":
                self._send(303, b"", "text/plain", {"Location": "/portal/home", "Set-Cookie": "session=s1; Path=/"})
            elif path == "/portal/home":
                self._send(200, PORTAL_HOME.encode(), "text/html")
            elif path in ("/book-submit", "/portal/message"):
                self._send(200, b"<html><body>Thanks</body></html>", "text/html")
            elif path == "/redirect-out":
                self._send(302, b"", "text/plain", {"Location": "https://staff.example-health.test/intranet"})
            elif path == "/hostile/redirect-loop":
                self._send(302, b"", "text/plain", {"Location": "/hostile/redirect-loop"})
            elif path == "/hostile/never-load":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(
                    b"<!doctype html><html><head><title>Never</title></head><body><script>"
                    b"new Image().src='https://www.facebook.com/tr?ev=NeverLoads';</script>"
                )
                self.wfile.flush()
                site.stop_event.wait(30)
            elif path == "/hostile/huge":
                self._send(200, huge, "text/html")
            elif path == "/worker.js":
                self._send(200, WORKER.encode(), "application/javascript")
            elif path == "/sw.js":
                self._send(200, SERVICE_WORKER.encode(), "application/javascript")
            elif path in pages:
                self._send(200, pages[path].encode(), "text/html")
            else:
                self._send(404, b"not here", "text/plain")

        def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _websocket(self) -> None:
            key = self.headers["sec-websocket-key"]
            accept = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
            self.send_response(101)
            self.send_header("Upgrade", "websocket")
            self.send_header("Connection", "Upgrade")
            self.send_header("Sec-WebSocket-Accept", accept.decode())
            self.end_headers()
            self.wfile.flush()
            host = (self.headers.get("host") or "").split(":")[0].lower()
            while not site.stop_event.is_set():
                head = self.rfile.read(2)
                if len(head) < 2:
                    return
                opcode, length = head[0] & 0x0F, head[1] & 0x7F
                if length == 126:
                    length = struct.unpack(">H", self.rfile.read(2))[0]
                elif length == 127:
                    length = struct.unpack(">Q", self.rfile.read(8))[0]
                mask = self.rfile.read(4)
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
                if opcode == 8:
                    return
                with site.log.lock:
                    site.log.frames.append((host, data))
                reply = b"ack"
                self.wfile.write(bytes([0x81, len(reply)]) + reply)
                self.wfile.flush()

        do_GET = do_POST = do_PUT = do_OPTIONS = do_HEAD = _serve

    return Handler


def query(hit: Hit) -> dict[str, list[str]]:
    return parse_qs(urlsplit(hit.path).query)
