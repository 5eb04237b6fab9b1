"""`phileak scan har`: the web leak detection over HAR files and mitmproxy dumps written here, in a child process
under phileak's limits; broken, truncated and huge captures are one-line per-target errors."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from phileak.errors import InputError, LimitExceeded
from phileak.model import Finding, Severity
from phileak.phi.canary import CanaryIdentity
from phileak.phi.identity import IdentityHasher
from phileak.probes import load_probe
from phileak.probes.base import Limits, ScanContext
from phileak.probes.har.canary_file import load_canary_file
from phileak.probes.har.probe import HarProbe
from phileak.probes.har.reader import read_capture
from phileak.probes.har.tnetstring import dumps, iter_values
from phileak.scope import Scope
from phileak.targets import parse_target

SITE = "https://www.example-health.test"
IDENTITY = CanaryIdentity.generate("har-probe-tests")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def context(tmp_path: Path, *, limits: Limits | None = None, **options: Any) -> ScanContext:
    return ScanContext(
        scan_id="har-test",
        scope=Scope.from_rules([]),
        identity=IdentityHasher(b"har-probe-test-key-0123456789ab"),
        limits=limits or Limits(timeout_s=60, max_memory_mb=1024),
        options=options,
    )


async def scan(path: Path, ctx: ScanContext) -> list[Finding]:
    return [f async for f in HarProbe().scan(parse_target("har", str(path)), ctx)]


def entry(
    url: str,
    *,
    method: str = "GET",
    page: str | None = "page_1",
    headers: dict[str, str] | None = None,
    post: dict[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/2",
        "headers": [{"name": k, "value": v} for k, v in (headers or {}).items()],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": 0,
    }
    if post is not None:
        request["postData"] = post
    result = {
        "startedDateTime": "2026-11-20T14:30:00.000Z",
        "time": 12.5,
        "request": request,
        "response": {
            "status": 200,
            "statusText": "OK",
            "httpVersion": "HTTP/2",
            "headers": [],
            "cookies": [],
            "content": {"size": 0, "mimeType": "text/plain"},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": 0,
        },
        "cache": {},
        "timings": {"send": 0, "wait": 10, "receive": 2},
        **extra,
    }
    if page is not None:
        result["pageref"] = page
    return result


def browser_har() -> dict[str, Any]:
    """A Chromium-style HAR of a booking page: Meta pixel with hashed email, GA4 with the condition page,
    a gzip Clarity chunk (base64 postData), a Hotjar WebSocket, a first-party decoy and a CDN font."""
    book = f"{SITE}/book?dept=oncology"
    clarity = gzip.compress(json.dumps({"e": [0] * 11 + [book], "p": [[1, 27, 4, IDENTITY.symptom]]}).encode())
    pixel = urlencode({"id": "1", "ev": "Schedule", "dl": book, "ud[em]": sha256(IDENTITY.email.lower())})
    ws_messages = [
        {"type": "send", "time": 1763649000.1, "opcode": 1, "data": json.dumps({"input": {"value": IDENTITY.mrn}})},
        {"type": "receive", "time": 1763649000.2, "opcode": 1, "data": json.dumps({"echo": IDENTITY.email})},
    ]
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "WebInspector", "version": "537.36"},
            "pages": [
                {"startedDateTime": "2026-11-20T14:30:00.000Z", "id": "page_1", "title": book, "pageTimings": {}}
            ],
            "entries": [
                entry(book, _resourceType="document"),
                entry(
                    f"https://www.facebook.com/tr/?{pixel}",
                    _resourceType="image",
                    headers={"Cookie": "c_user=1000123; xs=9%3Aabc"},
                ),
                entry(
                    "https://region1.google-analytics.com/g/collect?v=2&tid=G-1",
                    method="POST",
                    _resourceType="ping",
                    post={"mimeType": "text/plain", "text": "en=page_view&dl=" + quote(f"{SITE}/conditions/leukemia")},
                ),
                entry(
                    "https://k.clarity.ms/collect",
                    method="POST",
                    _resourceType="xhr",
                    headers={"Accept": "application/x-clarity-gzip"},
                    post={
                        "mimeType": "application/octet-stream",
                        "text": base64.b64encode(clarity).decode(),
                        "encoding": "base64",
                    },
                ),
                entry(
                    "wss://ws.hotjar.com/api/v2/client/ws", _resourceType="websocket", _webSocketMessages=ws_messages
                ),
                entry(f"https://analytics.example-health.test/hit?email={quote(IDENTITY.email)}"),
                entry("https://fonts.gstatic.com/s/inter.woff2", _resourceType="font", headers={"Referer": book}),
            ],
        }
    }


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.fixture
def canary_file(tmp_path: Path) -> Path:
    path = tmp_path / "canary.json"
    IDENTITY.save(path)
    return path


def by_kind(findings: list[Finding], kind: str) -> list[Finding]:
    return [f for f in findings if f.kind == kind]


def matched(findings: list[Finding]) -> set[tuple[str | None, str, str, str | None, str | None]]:
    return {
        (f.recipient.host if f.recipient else None, m.field, m.encoding, m.location, m.param)
        for f in findings
        for m in f.evidence.matches
    }


async def test_browser_har_with_canary_file(tmp_path: Path, canary_file: Path) -> None:
    har = write_json(tmp_path / "booking.har", browser_har())
    findings = await scan(har, context(tmp_path, canary_file=canary_file))
    found = matched(findings)
    assert ("www.facebook.com", "email", "sha256-hex", "query", "ud[em]") in found
    assert ("k.clarity.ms", "symptom", "plain", "body", "p[0][3]") in found
    assert ("ws.hotjar.com", "mrn", "plain", "websocket", "input.value") in found
    assert ("region1.google-analytics.com", "health-condition", "plain", "body", "dl") in found
    assert by_kind(findings, "logged-in-to-vendor")
    assert by_kind(findings, "session-replay-present")
    hosts = {f.recipient.host for f in findings if f.recipient}
    assert "analytics.example-health.test" not in hosts and "fonts.gstatic.com" not in hosts
    assert all(f.probe == "har" and f.target == str(har) for f in findings)
    email = next(f for f in findings if ("email", "sha256-hex") in {(m.field, m.encoding) for m in f.evidence.matches})
    assert email.kind == "phi-to-third-party" and email.severity is Severity.CRITICAL
    text = json.dumps([f.to_contract() for f in findings])
    for value in (IDENTITY.email, IDENTITY.mrn, IDENTITY.symptom, sha256(IDENTITY.email.lower())):
        assert value not in text


async def test_partial_canary_file_and_app_capture_without_pages(tmp_path: Path) -> None:
    typed = tmp_path / "typed.json"
    typed.write_text(json.dumps({"email": "tester.one@example.com", "phone": "(555) 010-0177"}))
    app_har = {
        "log": {
            "version": "1.2",
            "creator": {"name": "mitmproxy", "version": "11"},
            "entries": [
                entry(
                    "https://api.clinic-app.test/v1/appointments",
                    method="POST",
                    page=None,
                    post={"mimeType": "application/json", "text": json.dumps({"email": "tester.one@example.com"})},
                ),
                entry("https://api.clinic-app.test/v1/profile", page=None),
                entry(
                    "https://graph.facebook.com/app_events",
                    method="POST",
                    page=None,
                    # mitmproxy's HAR export writes the decoded body but keeps the Content-Encoding header.
                    headers={"Content-Encoding": "gzip"},
                    post={
                        "mimeType": "application/x-www-form-urlencoded",
                        "text": urlencode({"event": "CUSTOM_APP_EVENTS", "ud[ph]": sha256("15550100177")}),
                    },
                ),
            ],
        }
    }
    har = write_json(tmp_path / "app.har", app_har)
    findings = await scan(har, context(tmp_path, canary_file=typed))
    [phi] = by_kind(findings, "phi-to-third-party")
    assert ("graph.facebook.com", "phone", "sha256-hex", "body", "ud[ph]") in matched([phi])
    assert phi.evidence.model_dump()["page_context"] == "identity-collected"  # typed into the app's own API
    assert not [f for f in findings if f.recipient and f.recipient.host == "api.clinic-app.test"]


async def test_first_party_option_overrides_the_guess(tmp_path: Path) -> None:
    har = write_json(
        tmp_path / "one.har",
        {
            "log": {
                "entries": [
                    entry(f"https://partner.other-site.test/collect?dl={quote(SITE + '/conditions/hiv')}", page=None)
                ]
            }
        },
    )
    assert await scan(har, context(tmp_path)) == []  # the only host is taken as the first party
    findings = await scan(har, context(tmp_path, first_party=SITE))
    [health] = by_kind(findings, "health-context-to-third-party")
    assert health.evidence.model_dump()["page_context"] == "app"
    assert health.severity is Severity.HIGH


def flow(url_host: str, path: bytes, content: bytes, headers: list[list[bytes]]) -> dict[str, Any]:
    """A flow as mitmproxy's get_state() writes it (flow format 21)."""
    return {
        "version": 21,
        "type": "http",
        "id": "f1",
        "error": None,
        "client_conn": {},
        "server_conn": {},
        "intercepted": False,
        "is_replay": None,
        "marked": "",
        "metadata": {},
        "comment": "",
        "timestamp_created": 1763649000.0,
        "request": {
            "host": url_host,
            "port": 443,
            "method": b"POST",
            "scheme": b"https",
            "authority": b"",
            "path": path,
            "http_version": b"HTTP/1.1",
            "headers": headers,
            "content": content,
            "trailers": None,
            "timestamp_start": 1763649000.0,
            "timestamp_end": 1763649000.1,
        },
        "response": {
            "http_version": b"HTTP/1.1",
            "headers": [],
            "content": b"",
            "trailers": None,
            "timestamp_start": 1763649000.2,
            "timestamp_end": 1763649000.3,
            "status_code": 200,
            "reason": b"OK",
        },
        "websocket": None,
    }


async def test_mitmproxy_dump(tmp_path: Path, canary_file: Path) -> None:
    event = json.dumps({"event": "CompleteRegistration", "context": {"user": {"email": IDENTITY.email}}})
    flows = [
        flow("api.clinic-app.test", b"/signup", json.dumps({"email": IDENTITY.email}).encode(), []),
        flow(
            "analytics.tiktok.com",
            b"/api/v2/pixel",
            gzip.compress(event.encode()),
            [[b"content-type", b"application/json"], [b"content-encoding", b"gzip"]],
        ),
    ]
    dump = tmp_path / "app.flows"
    dump.write_bytes(b"".join(dumps(f) for f in flows))
    findings = await scan(dump, context(tmp_path, canary_file=canary_file))
    [phi] = by_kind(findings, "phi-to-third-party")
    assert ("analytics.tiktok.com", "email", "plain", "body", "context.user.email") in matched([phi])


def test_tnetstring_round_trip_and_truncation() -> None:
    value = {"a": [1, 2.5, True, None, b"\x00\xff", "t\u00e9xt"], "b": {"c": []}}
    assert list(iter_values(dumps(value) * 2)) == [value, value]
    with pytest.raises(ValueError, match="truncated"):
        list(iter_values(dumps(value)[:-5]))


def test_truncated_dump_keeps_the_flows_before_the_break() -> None:
    good = dumps(flow("a.test", b"/", b"x", []))
    capture = read_capture(good + good[:40], body_cap=1024)
    assert capture.requests == 1 and capture.skipped == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"log": {"entries": [{"request": {"url": "https://a.test/"', "JSON ends early"),
        (b'{"log": {"version": "1.2"}}', "no log.entries"),
        (b'{"entries": []}', 'no "log" object'),
        (b"\x89PNG\r\n\x1a\n binary", "not a HAR file"),
        (b"", "empty capture file"),
    ],
)
async def test_broken_captures_are_one_line_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "broken.har"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as caught:
        await scan(path, context(tmp_path))
    assert "\n" not in str(caught.value)


async def test_malformed_entries_are_skipped_and_reported(tmp_path: Path) -> None:
    har = browser_har()
    har["log"]["entries"] += [{"request": {"method": "GET"}}, {"no": "request"}, "not an entry"]
    findings = await scan(write_json(tmp_path / "partial.har", har), context(tmp_path))
    [incomplete] = by_kind(findings, "capture-incomplete")
    assert incomplete.severity is Severity.INFO and incomplete.title.startswith("3 of 10 entries")
    assert by_kind(findings, "phi-to-third-party")  # the readable entries were analysed (decoder: ud[em])


async def test_huge_capture_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write_json(tmp_path / "huge.har", browser_har())
    with pytest.raises(LimitExceeded, match="over phileak's limit") as caught:
        await scan(path, context(tmp_path, limits=Limits(timeout_s=60, max_bytes=1024)))
    assert "\n" not in str(caught.value)


async def test_missing_file_directory_and_bad_canary_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such capture file"):
        await scan(tmp_path / "absent.har", context(tmp_path))
    with pytest.raises(InputError, match="is a directory"):
        await scan(tmp_path, context(tmp_path))
    bad = tmp_path / "bad-canary.json"
    bad.write_text(json.dumps({"email": "a@b.test", "shoe_size": "44"}))
    with pytest.raises(InputError, match="unknown fields shoe_size"):
        await scan(write_json(tmp_path / "x.har", browser_har()), context(tmp_path, canary_file=bad))


def test_canary_file_formats(canary_file: Path, tmp_path: Path) -> None:
    assert load_canary_file(canary_file).email == IDENTITY.email
    partial = tmp_path / "p.json"
    partial.write_text(json.dumps({"email": "x.y@example.com"}))
    loaded = load_canary_file(partial)
    assert loaded.email == "x.y@example.com" and loaded.first_name
    (tmp_path / "list.json").write_text("[1]")
    with pytest.raises(InputError, match="not a JSON object"):
        load_canary_file(tmp_path / "list.json")


def test_har_probe_is_registered() -> None:
    assert isinstance(load_probe("har"), HarProbe)


def test_cli_scan_har_end_to_end(tmp_path: Path, canary_file: Path) -> None:
    har = write_json(tmp_path / "booking.har", browser_har())
    env = {**os.environ, "PHILEAK_KEY_DIR": str(tmp_path / "keys")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "phileak.cli",
            "scan",
            "har",
            str(har),
            "--canary-file",
            str(canary_file),
            "--format",
            "json",
            "--db",
            str(tmp_path / "scan.db"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stderr  # critical findings are above the default --fail-on high
    report = json.loads(result.stdout)
    kinds = {f["kind"] for f in report["findings"]}
    assert {"phi-to-third-party", "health-context-to-third-party", "tracker-present"} <= kinds
    leak = next(
        f
        for f in report["findings"]
        if f["kind"] == "phi-to-third-party" and f["recipient"]["host"] == "www.facebook.com"
    )
    assert {"field": "email", "encoding": "sha256-hex", "location": "query", "param": "ud[em]"}.items() <= next(
        m for m in leak["evidence"]["matches"] if m["field"] == "email"
    ).items()
    for text in (result.stdout, result.stderr, (tmp_path / "scan.db").read_bytes().decode("latin-1")):
        assert IDENTITY.email not in text and IDENTITY.mrn not in text


async def test_a_tracker_present_finding_shows_its_request_redacted(tmp_path: Path) -> None:
    """Real app traffic, no canary file: the info finding that names the tracker shows the same request as the
    leak findings, with the identifiers read in it redacted (it used to keep them in clear)."""
    from urllib.parse import quote

    pixel = (
        "https://www.facebook.com/tr/?id=1234567890&ev=Lead"
        f"&dl={quote('https://www.stmartha-hospital.test/book?dept=oncology', safe='')}"
        "&ud%5Bfn%5D=marguerite&ud%5Bln%5D=okonkwo&ud%5Bdb%5D=19610422&cd%5Bpatient%5D=Marguerite+Okonkwo"
    )
    har = write_json(tmp_path / "app.har", {"log": {"version": "1.2", "creator": {"name": "qa", "version": "1"},
                                                     "entries": [entry("https://www.stmartha-hospital.test/book"),
                                                                 entry(pixel)]}})  # fmt: skip
    findings = await scan(har, context(tmp_path))
    assert by_kind(findings, "tracker-present")
    shown = " ".join(f.model_dump_json() for f in findings)
    for value in ("marguerite", "okonkwo", "Marguerite", "Okonkwo", "19610422"):
        assert value not in shown, value
