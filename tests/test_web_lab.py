"""The leaky lab site (src/phileak/lab/leaky_site): the lab service, its pages and tracker sink over real TLS, what a
real Chromium visiting it like a patient sends to each tracker (checked against expected.toml with the project's own
decoders and canary matcher), and, once the web probe is registered, that WebProbe finds every seeded leak and no
decoy. Everything runs on 127.0.0.1 (inside the test namespace: see scripts/run-tests.sh)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import http.client
import json
import os
import socket
import ssl
import tomllib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from phileak.lab import Lab, ServiceState
from phileak.lab.leaky_site import (
    DECOY_DOMAINS,
    PORTAL_PASSWORD,
    PORTAL_USERNAME,
    SINK_LOG,
    SITE_HOST,
    TRACKER_DOMAINS,
    site_origin,
)
from phileak.lab.leaky_site import websocket as ws
from phileak.lab.leaky_site.check import main as check_main
from phileak.lab.leaky_site.content import site_pages
from phileak.lab.leaky_site.expected import ExpectedLeak, load_ground_truth, same_page
from phileak.lab.leaky_site.ports import with_port
from phileak.lab.leaky_site.sinklog import SinkRecord, read_records
from phileak.lab.services import SERVICES
from phileak.lab.web_services import LEAKY_SITE
from phileak.model import Evidence, EvidenceMatch, Finding, Recipient, Severity
from phileak.phi.canary import CanaryMatcher
from phileak.phi.canary_identity import CanaryIdentity
from phileak.plan import load_plan
from phileak.probes import is_built
from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.catalogue import default_catalogue
from phileak.probes.web.decoders import DecodedField, decode_request
from phileak.probes.web.health_terms import default_health_terms

CHROMIUM = Path("/usr/lib/chromium/chromium")
TRUTH = load_ground_truth()
CANARY = CanaryIdentity.generate("test-web-lab")
HOST_RULES = "MAP *.googleapis.com ~NOTFOUND, MAP clients*.google.com ~NOTFOUND, MAP * 127.0.0.1"
# An ordinary Chrome user's cookie settings (third-party cookies allowed), as the web probe uses.
PROFILE_PREFERENCES = {
    "profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False},
    "tracking_protection": {"tracking_protection_3pcd_enabled": False},
}


def browser_missing() -> str | None:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed in the venv"
    return None if CHROMIUM.is_file() else f"Chromium is not installed at {CHROMIUM}"


needs_browser = pytest.mark.skipif(browser_missing() is not None, reason=browser_missing() or "")


# -- the running lab service


@dataclass
class RunningSite:
    lab: Lab
    port: int
    data_dir: Path
    plan_path: Path

    @property
    def origin(self) -> str:
        return site_origin(self.port)

    @property
    def cert(self) -> Path:
        return self.data_dir / "tls" / "cert.pem"

    @property
    def sink_log(self) -> Path:
        return self.data_dir / SINK_LOG

    def records(self) -> list[SinkRecord]:
        return read_records(self.sink_log)[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSite]:
    """The leaky-site service started through the Lab framework (on 443 when free, as in the lab)."""
    lab = Lab(tmp_path_factory.mktemp("lab"), [LEAKY_SITE])
    [status] = lab.up()
    try:
        assert status.state is ServiceState.RUNNING, status.report()
        yield RunningSite(lab, status.ports["https"], lab.data_root / "leaky-site", lab.plan_path)
    finally:
        lab.down()


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def request(
    site: RunningSite, host: str, target: str, method: str = "GET", body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:  # fmt: skip
    """An HTTPS request to the lab server for `host`, verifying its certificate (IP SAN 127.0.0.1)."""
    context = ssl.create_default_context(cafile=str(site.cert))
    connection = http.client.HTTPSConnection("127.0.0.1", site.port, context=context, timeout=10)
    try:
        connection.request(method, target, body=body, headers={"Host": host, **(headers or {})})
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def test_the_service_is_registered_with_a_plan_entry_and_no_tracker_in_scope(tmp_path: Path) -> None:
    assert LEAKY_SITE in SERVICES
    assert LEAKY_SITE.ports == {"https": 443}
    assert LEAKY_SITE.allow == ()
    from phileak.lab.service import Runtime

    assert LEAKY_SITE.plan is not None
    fragment = LEAKY_SITE.plan(Runtime("leaky-site", {"https": 443}, tmp_path))
    assert fragment == {
        "web": [
            {"url": "https://care.lab-hospital.test/", "flows": str(tmp_path / "flows.toml"), "submit_forms": "dry"}
        ]
    }
    moved = LEAKY_SITE.plan(Runtime("leaky-site", {"https": 8443}, tmp_path))
    assert moved["web"][0]["url"] == "https://care.lab-hospital.test:8443/"


def test_lab_up_writes_a_plan_that_targets_the_site_through_the_resolver(site: RunningSite) -> None:
    plan = tomllib.loads(site.plan_path.read_text())
    [entry] = plan["web"]
    assert entry["url"] == site.origin + "/"
    assert Path(entry["flows"]).is_file()
    assert plan["options"]["resolve"] == ["*=127.0.0.1"]
    assert plan["scope"]["allow"] == ["*.lab-hospital.test", "127.0.0.1/32"]
    for domain in TRACKER_DOMAINS:
        assert not any(domain in rule for rule in plan["scope"]["allow"])
    [target] = load_plan(site.plan_path).targets
    assert (target.probe, target.host, target.options["submit_forms"]) == ("web", SITE_HOST, "dry")


def test_every_page_is_served(site: RunningSite) -> None:
    pages = site_pages()
    assert len(pages) >= 55, "enough pages for the 50-page crawl benchmark"
    for relative in pages:
        answer = request(site, SITE_HOST, "/" + relative)
        if relative.startswith("portal/") and relative != "portal/login.html":
            assert (answer.status, answer.headers["Location"]) == (302, "/portal/login.html"), relative
            continue
        assert answer.status == 200, relative
        text = answer.body.decode()
        assert "<title>" in text and "data-tags=" in text, relative
    assert request(site, SITE_HOST, "/").body == request(site, SITE_HOST, "/index.html").body
    assert request(site, SITE_HOST, "/nowhere.html").status == 404
    assert request(site, SITE_HOST, "/assets/../../tls/key.pem").status == 404
    booking = request(site, SITE_HOST, "/appointments/book.html").body.decode()
    for token in ("given-name", "family-name", "email", "tel", "bday", "postal-code"):
        assert f'autocomplete="{token}"' in booking
    index = json.loads(request(site, SITE_HOST, "/assets/search-index.json").body)
    assert {"title": "HIV: testing, treatment and care", "url": "/conditions/hiv.html"} in index


def test_portal_login_with_the_test_credentials(site: RunningSite) -> None:
    form = f"username={PORTAL_USERNAME}&password={PORTAL_PASSWORD}".encode()
    good = request(site, SITE_HOST, "/portal/login", "POST", form)
    assert (good.status, good.headers["Location"]) == (303, "/portal/home.html")
    cookie = good.headers["Set-Cookie"].split(";", 1)[0]
    assert "Secure" in good.headers["Set-Cookie"] and "HttpOnly" in good.headers["Set-Cookie"]
    home = request(site, SITE_HOST, "/portal/results.html", headers={"Cookie": cookie})
    assert home.status == 200 and b"HIV viral load" in home.body
    bad = request(site, SITE_HOST, "/portal/login", "POST", f"username={PORTAL_USERNAME}&password=nope".encode())
    assert (bad.status, bad.headers["Location"]) == (303, "/portal/login.html?failed=1")
    assert request(site, SITE_HOST, "/portal/results.html", headers={"Cookie": "labchart_session=forged"}).status == 302
    booked = request(site, SITE_HOST, "/appointments/book", "POST", b"first_name=X")
    assert (booked.status, booked.headers["Location"]) == (303, "/appointments/thanks.html")
    assert request(site, SITE_HOST, "/portal/profile", "POST", b"email=x").status == 404  # not signed in


def test_the_certificate_covers_every_host_the_pages_call(site: RunningSite) -> None:
    names = {SITE_HOST, "metrics.lab-hospital.test", *(leak.host for leak in TRUTH.leaks if "." in leak.host)}
    names |= {path.name for path in (site.data_dir / "vendors").iterdir()}
    context = ssl.create_default_context(cafile=str(site.cert))
    for name in sorted(names):
        with (
            socket.create_connection(("127.0.0.1", site.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=name) as tls,
        ):
            assert tls.version() in ("TLSv1.2", "TLSv1.3"), name


def test_the_sink_answers_fast_and_records_third_parties_only(site: RunningSite) -> None:
    offset = site.sink_log.stat().st_size
    pixel = request(site, "www.facebook.com", "/tr/?id=1&ev=PageView&dl=https%3A%2F%2Fx.test%2F")
    assert pixel.status == 200 and pixel.body.startswith(b"GIF89a")
    assert {c.split("=", 1)[0] for c in pixel.headers.get_all("Set-Cookie")} == {"c_user", "xs"}
    beacon = request(site, "www.facebook.com", "/tr/", "POST", b"ev=Lead&ud%5Bem%5D=abc", {"Cookie": "c_user=1"})
    assert beacon.status == 204 and beacon.headers.get_all("Set-Cookie") is None
    asks = {"Origin": site.origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    preflight = request(site, "analytics.tiktok.com", "/api/v2/pixel", "OPTIONS", headers=asks)
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == site.origin
    assert preflight.headers["Access-Control-Allow-Headers"] == "content-type"
    script = request(site, "connect.facebook.net", "/en_US/fbevents.js")
    assert script.status == 200 and b"www.facebook.com/tr/" in script.body
    request(site, SITE_HOST, "/search.html?q=private+words")
    request(site, SITE_HOST, "/appointments/book", "POST", b"email=private%40example.com")

    records, _ = read_records(site.sink_log, offset)
    third = [(r.host, r.method, r.target, r.body) for r in records if not r.first_party]
    assert ("www.facebook.com", "POST", "/tr/", b"ev=Lead&ud%5Bem%5D=abc") in third
    assert ("www.facebook.com", "GET", "/tr/?id=1&ev=PageView&dl=https%3A%2F%2Fx.test%2F", b"") in third
    first = [r for r in records if r.first_party]
    assert {(r.method, r.target) for r in first} == {("GET", "/search.html"), ("POST", "/appointments/book")}
    assert all(not r.body and not r.headers for r in first), "first-party queries and bodies are never logged"
    assert os.stat(site.sink_log).st_mode & 0o077 == 0
    service_log = (site.lab.logs_dir / "leaky-site.log").read_text()
    assert "private" not in service_log


def test_a_websocket_message_to_a_third_party_is_recorded(site: RunningSite) -> None:
    offset = site.sink_log.stat().st_size
    context = ssl.create_default_context(cafile=str(site.cert))
    key = base64.b64encode(os.urandom(16)).decode()
    handshake = (
        "GET /api/v2/client/ws HTTP/1.1\r\nHost: ws.hotjar.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    with (
        socket.create_connection(("127.0.0.1", site.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="ws.hotjar.com") as tls,
    ):
        tls.sendall(handshake.encode())
        reply = tls.recv(4096).decode()
        assert reply.startswith("HTTP/1.1 101") and ws.accept_key(key) in reply
        payload, mask = b'{"events":[{"value":"typed text"}]}', os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        tls.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + masked)
        tls.sendall(bytes([0x88, 0x80]) + mask)
        assert tls.recv(16)[:1] == b"\x88"  # the close answered
    records, _ = read_records(site.sink_log, offset)
    messages = [r for r in records if r.websocket and r.method == "WS"]
    assert [(m.host, m.path, m.body) for m in messages] == [("ws.hotjar.com", "/api/v2/client/ws", payload)]


def test_urls_get_the_port_when_the_sink_is_not_on_443() -> None:
    text = ('src="https://connect.facebook.net/en_US/fbevents.js" "wss://ws.hotjar.com/api" '
            "https://care.lab-hospital.test/x https://example.org/y https://www.facebook.com:443/tr")  # fmt: skip
    assert with_port(text, 8443) == (
        'src="https://connect.facebook.net:8443/en_US/fbevents.js" "wss://ws.hotjar.com:8443/api" '
        "https://care.lab-hospital.test:8443/x https://example.org/y https://www.facebook.com:443/tr"
    )


def test_the_flows_file_parses_and_logs_in_with_the_test_account(site: RunningSite) -> None:
    from phileak.probes.web.flowfile import load_flows

    [flow] = load_flows(site.data_dir / "flows.toml")
    assert flow.steps[0].target == site.origin + "/portal/login.html"
    login = next(step for step in flow.steps if step.action == "login")
    assert login.login == {"username": PORTAL_USERNAME, "password": PORTAL_PASSWORD}
    labels = [flow.label(i, step) for i, step in enumerate(flow.steps)]
    assert {leak.step for leak in TRUTH.leaks if leak.needs == "flows"} <= set(labels)


def test_the_ground_truth_agrees_with_the_catalogue_and_the_site() -> None:
    catalogue = default_catalogue()
    pages = {"/" + relative for relative in site_pages()}
    assert len(TRUTH.leaks) >= 60 and {d.host for d in TRUTH.decoys} == {
        "metrics.lab-hospital.test", "cdnjs.cloudflare.com", "cdn.userway.org"}  # fmt: skip
    for leak in TRUTH.leaks:
        assert urlsplit(leak.page).path in pages, leak.id
        vendor = catalogue.lookup(leak.host, leak.path)
        assert (vendor.id if vendor else "") == leak.vendor, leak.id
    for decoy in TRUTH.decoys:
        assert catalogue.lookup(decoy.host, "/") is None
    kinds = {leak.kind for leak in TRUTH.leaks}
    assert kinds == {"phi-to-third-party", "health-context-to-third-party", "logged-in-to-vendor",
                     "session-replay-present"}  # fmt: skip
    assert all(domain in {*TRACKER_DOMAINS, *DECOY_DOMAINS} for domain in ("cloudflare.com", "userway.org"))


def finding_for(leak: ExpectedLeak, **changes: Any) -> Finding:
    """A finding as the web probe reports `leak` (fields overridable, to make near misses)."""
    values: dict[str, Any] = {
        "host": leak.host, "kind": leak.kind, "vendor": leak.vendor, "page": site_origin() + leak.page,
        "step": leak.step, "context": leak.context, "field": leak.field, "encoding": leak.encodings[:1],
        "location": leak.location, "param": leak.param, "term": leak.term,
    }  # fmt: skip
    values.update(changes)
    matches = []
    if values["field"] is not None:
        matches.append(EvidenceMatch(field=values["field"], encoding=values["encoding"][0], location=values["location"],
                                     param=values["param"], term=values["term"]))  # fmt: skip
    tracker = {"id": values["vendor"], "name": values["vendor"]} if values["vendor"] else None
    return Finding.create(
        probe="web", target=site_origin() + "/", kind=values["kind"], key=(values["host"], leak.id),
        severity=Severity.HIGH, title=f"{values['host']} receives something", recipient=Recipient(host=values["host"]),
        evidence=Evidence(matches=matches, tracker=tracker, pages=[values["page"]], steps=[values["step"]],
                          page_contexts=[values["context"]]),
    )  # fmt: skip


def test_the_ground_truth_check_finds_exact_leaks_and_rejects_near_misses() -> None:
    leak = next(leak for leak in TRUTH.leaks if leak.id == "book-ga4-em")
    assert leak.found_in(finding_for(leak))
    assert leak.found_in(finding_for(leak, encoding=("sha256-base64",)))
    for change in ({"encoding": ("sha256-hex",)}, {"param": "em.pn"}, {"location": "body"}, {"step": "landing"},
                   {"context": "public-page"}, {"page": site_origin() + "/index.html"}, {"vendor": "meta-pixel"},
                   {"kind": "identifiers-to-third-party"}, {"host": "region1.google-analytics.com"}):  # fmt: skip
        assert not leak.found_in(finding_for(leak, **change)), change
    condition = next(leak for leak in TRUTH.leaks if leak.id == "hiv-meta-pixel-dl")
    assert condition.found_in(finding_for(condition, term="sexual health, hiv"))
    assert not condition.found_in(finding_for(condition, term="depression"))
    doctor = next(leak for leak in TRUTH.leaks if leak.id == "doctor-uet-p")
    assert not doctor.found_in(finding_for(doctor, page=site_origin() + "/find-a-doctor.html"))
    search = next(leak for leak in TRUTH.leaks if leak.id == "search-meta-dl")
    assert search.found_in(finding_for(search, page=site_origin() + "/search.html?q=[canary search_term plain]"))


def test_the_check_command_reads_a_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    findings = [finding_for(leak) for leak in TRUTH.leaks]
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"findings": [f.to_contract() for f in findings]}))
    assert check_main([str(report)]) == 0
    assert capsys.readouterr().out.startswith(f"{len(TRUTH.leaks)}/{len(TRUTH.leaks)} expected leaks found")

    decoy = finding_for(TRUTH.leaks[0], host="cdn.userway.org", vendor="")
    crawl_only = [f for f, leak in zip(findings, TRUTH.leaks, strict=True) if leak.needs == "crawl"]
    report.write_text(json.dumps({"findings": [f.to_contract() for f in [*crawl_only, decoy]]}))
    assert check_main([str(report), "--no-submit", "--no-flows"]) == 1
    out = capsys.readouterr().out
    assert "decoy reported: cdn.userway.org" in out and "missing" not in out
    assert check_main([str(report)]) == 1
    assert "missing submit-snap-hem" in capsys.readouterr().out
    report.write_text("{}")
    assert check_main([str(report)]) == 2


# -- a real Chromium visiting the site like a patient


@dataclass
class Visit:
    """What the sink received during each step of the visit: (page URLs before and after the step, step label,
    records). A step that navigates (a search, a submit) sends from both pages."""

    windows: list[tuple[tuple[str, str], str, list[SinkRecord]]] = field(default_factory=list)
    first_party_analytics: list[str] = field(default_factory=list)  # URLs sent to metrics.lab-hospital.test

    def records_for(self, leak: ExpectedLeak) -> list[SinkRecord]:
        return [
            record
            for pages, step, records in self.windows
            if step == leak.step and any(same_page(page, leak.page) for page in pages)
            for record in records
            if _addressed_to(record, leak)
        ]

    def all_records(self) -> list[SinkRecord]:
        return [record for _, _, records in self.windows for record in records]


def _addressed_to(record: SinkRecord, leak: ExpectedLeak) -> bool:
    host_ok = record.host == leak.host or record.host.endswith("." + leak.host)
    return host_ok and record.method == leak.method and record.path.startswith(leak.path)


async def _visit(site: RunningSite, profile: Path) -> Visit:
    from playwright.async_api import Page, async_playwright

    (profile / "Default").mkdir(parents=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(PROFILE_PREFERENCES))
    values = CANARY.values()
    origin = site.origin
    visit = Visit()
    offset = site.sink_log.stat().st_size

    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM), headless=True, ignore_https_errors=True,
            args=[f"--host-resolver-rules={HOST_RULES}", "--disable-quic", "--ignore-certificate-errors"],
        )  # fmt: skip
        context.on("request", lambda r: _keep_analytics(visit, r.url))
        page: Page = await context.new_page()

        async def step(label: str, action: Callable[[], Awaitable[Any]]) -> None:
            nonlocal offset
            before = page.url
            await action()
            with contextlib.suppress(Exception):  # a page keeping a socket open still gets the quiet period below
                await page.wait_for_load_state("networkidle", timeout=5000)
            records, offset = await _until_quiet(site.sink_log, offset)
            visit.windows.append(((before, page.url), label, [r for r in records if not r.first_party]))

        async def fill(selector: str, value: str) -> None:
            await page.fill(selector, value)
            await page.locator(selector).blur()

        async def search() -> None:
            await page.fill("input[type=search]", values["search_term"])
            await page.press("input[type=search]", "Enter")
            await page.wait_for_url("**/search.html?q=*")

        async def fill_booking() -> None:
            for autocomplete, key in (("given-name", "first_name"), ("family-name", "last_name"), ("email", "email"),
                                      ("tel", "phone"), ("bday", "dob"), ("postal-code", "zip")):  # fmt: skip
                await fill(f'#booking [autocomplete="{autocomplete}"]', values[key])
            await fill("#booking textarea", values["symptom"])

        async def submit_booking() -> None:
            await page.check("#booking [name=consent]")
            await page.click("#booking button[type=submit]")
            await page.wait_for_url("**/thanks.html")

        async def fill_symptoms() -> None:
            await page.select_option("#symptoms [name=sex]", values["gender"])
            await fill("#symptoms textarea", values["symptom"])
            await fill('#symptoms [autocomplete="email"]', values["email"])

        await step("landing", lambda: page.goto(origin + "/"))
        await step("search", search)
        for path in ("/conditions/hiv.html", "/conditions/depression.html", "/find-a-doctor.html?specialty=psychiatry"):
            await step("landing", lambda path=path: page.goto(origin + path))  # type: ignore[misc]
        await step("landing", lambda: page.goto(origin + "/appointments/book.html"))
        await step("form-filled", fill_booking)
        await step("form-submitted", submit_booking)
        await step("landing", lambda: page.goto(origin + "/symptom-checker.html"))
        await step("form-filled", fill_symptoms)
        await _run_flows(site, page, step, fill, values)
        await context.close()
    return visit


async def _until_quiet(
    log: Path, offset: int, quiet_s: float = 1.0, cap_s: float = 15.0
) -> tuple[list[SinkRecord], int]:
    """Records the sink writes from `offset` on, until none has come for `quiet_s` (beacons sent after a hash or
    a timer arrive late on a busy machine)."""
    records: list[SinkRecord] = []
    loop = asyncio.get_running_loop()
    started = last = loop.time()
    while loop.time() - last < quiet_s and loop.time() - started < cap_s:
        await asyncio.sleep(0.1)
        fresh, offset = read_records(log, offset)
        if fresh:
            records += fresh
            last = loop.time()
    return records, offset


def _keep_analytics(visit: Visit, url: str) -> None:
    if urlsplit(url).hostname == "metrics.lab-hospital.test" and "/matomo.php" in url:
        visit.first_party_analytics.append(url)


async def _run_flows(
    site: RunningSite,
    page: Any,
    step: Callable[[str, Callable[[], Awaitable[Any]]], Awaitable[None]],
    fill: Callable[[str, str], Awaitable[None]],
    values: dict[str, str],
) -> None:
    """The steps of the site's own flows.toml, done directly with Playwright (independent of the probe)."""
    [flow] = tomllib.loads((site.data_dir / "flows.toml").read_text())["flow"]
    fields = {"email": "email", "tel": "phone", "street-address": "street", "address-level2": "city",
              "postal-code": "zip"}  # fmt: skip
    for item in flow["step"]:
        label = item["label"]
        if "goto" in item:
            await step(label, lambda url=item["goto"]: page.goto(url))
        elif "login" in item:

            async def login(credentials: dict[str, str] = item["login"]) -> None:
                await page.fill("[autocomplete=username]", credentials["username"])
                await page.fill("input[type=password]", credentials["password"])
                await page.press("input[type=password]", "Enter")
                await page.wait_for_url("**/portal/home.html")

            await step(label, login)
        elif "fill_form" in item:

            async def fill_form(form: str = item["fill_form"]) -> None:
                for autocomplete, key in fields.items():
                    await fill(f'{form} [autocomplete="{autocomplete}"]', values[key])

            await step(label, fill_form)
        elif "fill" in item:
            assert item["value"] == "{canary.symptom}"
            await step(label, lambda selector=item["fill"]: fill(selector, values["symptom"]))
        else:
            raise AssertionError(f"the lab flow uses an action this test does not know: {item}")


@pytest.fixture(scope="module")
def visit(site: RunningSite, tmp_path_factory: pytest.TempPathFactory) -> Visit:
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    return asyncio.run(_visit(site, tmp_path_factory.mktemp("profile") / "chromium"))


def _as_captured(record: SinkRecord) -> CapturedRequest:
    if record.websocket:
        return CapturedRequest.build(record.url, body=record.body, is_websocket_message=True, direction="sent")
    return CapturedRequest.build(record.url, method=record.method, headers=record.headers, body=record.body)


def _decoded(request: CapturedRequest) -> list[DecodedField]:
    vendor = default_catalogue().lookup(request.host or "", request.path)
    return decode_request(request, vendor.decoder if vendor else None)


def carries(leak: ExpectedLeak, record: SinkRecord, matcher: CanaryMatcher) -> bool:
    """Whether the request holds the leak's field at its parameter in one of its encodings (decoded by the
    vendor's decoder; canary values found by the canary matcher, health terms by the health vocabulary)."""
    if leak.field is None:
        return True
    captured = _as_captured(record)
    if leak.location == "cookie":
        return leak.param in captured.cookie_names()
    fields = [f for f in _decoded(captured) if f.name == leak.param and f.location == leak.location]
    if leak.term is not None:
        terms = default_health_terms()
        found = [
            t for f in fields
            for t in (terms.find_in_url(f.value) if f.value.startswith("http") else terms.find(f.value))
        ]
        # The longest term found is reported ("hiv testing" holds the expected "hiv").
        return any(f" {leak.term} " in f" {term} " for term in found)
    if leak.field not in CANARY.values():  # an identifier the site itself holds (a portal user id): by its decoder
        return any(f.value.strip() for f in fields) and "plain" in leak.encodings
    matches = matcher.match_fields((str(index), f.value) for index, f in enumerate(fields))
    return any(m.field == leak.field and m.encoding in leak.encodings for m in matches)


@needs_browser
@pytest.mark.parametrize("leak", TRUTH.leaks, ids=[leak.id for leak in TRUTH.leaks])
def test_a_patient_visit_sends_each_expected_leak(visit: Visit, leak: ExpectedLeak) -> None:
    records = visit.records_for(leak)
    assert records, f"no {leak.method} {leak.host}{leak.path} during {leak.step} on {leak.page}"
    matcher = CanaryMatcher(CANARY)
    assert any(carries(leak, record, matcher) for record in records), (
        f"{leak.host}{leak.path} was called but without {leak.field} at {leak.location} {leak.param} "
        f"({'/'.join(leak.encodings)})"
    )


@needs_browser
def test_decoys_are_called_but_receive_nothing_personal(visit: Visit) -> None:
    matcher = CanaryMatcher(CANARY)
    terms = default_health_terms()
    received = visit.all_records()
    for decoy in ("cdnjs.cloudflare.com", "cdn.userway.org"):
        mine = [record for record in received if record.host == decoy]
        assert mine, f"the decoy {decoy} was never called"
        for record in mine:
            captured = _as_captured(record)
            assert not matcher.find(captured.url) and not matcher.find(captured.body), decoy
            assert not captured.query_pairs and not captured.body and not captured.cookies, decoy
            referer = urlsplit(captured.header("referer") or "")
            assert referer.hostname == decoy or referer.path in ("", "/"), f"{decoy} was told the page"
            assert not terms.find_in_url(referer.geturl()), decoy
    # The first-party analytics decoy does receive personal data: the point is that it is not a third party.
    assert visit.first_party_analytics, "the first-party analytics were never called"
    assert any(m.field == "email" for url in visit.first_party_analytics for m in matcher.find(url))


# -- the web probe against the lab


@needs_browser
@pytest.mark.skipif(not is_built("web"), reason="the web probe is not registered in phileak.probes yet")
def test_the_web_probe_finds_every_seeded_leak_and_no_decoy(site: RunningSite, tmp_path: Path) -> None:
    from phileak.probes.base import Limits
    from phileak.session import ScanRequest, prepare, run_scan
    from phileak.store import Store

    plan = load_plan(site.plan_path)
    [target] = plan.targets
    options = {"flows": target.options["flows"], "submit_forms": "dry", "max_pages": 10, "delay_s": 0.0,
               "settle_s": 1.0}  # fmt: skip
    scan = ScanRequest(
        targets=[target], command="test web lab", scope_rules=list(plan.scope.allow), resolve=plan.options.resolve,
        insecure=True, options=options, limits=Limits(timeout_s=600.0, retries=0),
    )  # fmt: skip
    with Store.open(str(tmp_path / "scan.db")) as store:
        report = run_scan(store, prepare(scan))
    assert [outcome.status.value for outcome in report.outcomes] == ["ok"]
    verdict = TRUTH.check(report.findings, submitted=True, flows=True)
    assert verdict.ok, verdict.summary()
