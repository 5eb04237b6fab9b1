"""Real Chromium against a local HTTPS server standing in for a health site and its trackers (tests/web_site.py).

Every hostname maps to 127.0.0.1 through --host-resolver-rules, and the suite runs in a network namespace with
only `lo` (scripts/run-tests.sh), so nothing can leave the machine. One browser serves the capture tests; the
end-to-end crawl and the DNS-guard check each run the probe once (its own browser, as in a scan).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import pytest_asyncio

from phileak.model import Finding
from phileak.phi.canary import CanaryIdentity, CanaryMatcher
from phileak.phi.identity import IdentityHasher
from phileak.probes.base import Limits, ScanContext
from phileak.probes.har.har_format import har_capture
from phileak.probes.web.actor import ActorSettings, PageActor, StepResult, SubmitMode
from phileak.probes.web.browser import BrowserConfig, BrowserSession, chromium_available
from phileak.probes.web.capture import Capture, Step, StepCapture
from phileak.probes.web.crawl import Frontier, PageTask
from phileak.probes.web.flows import AutoFlows, FlowSettings
from phileak.probes.web.gate import Gate
from phileak.probes.web.hostrules import build_host_rules
from phileak.probes.web.probe import SiteAudit, WebSettings
from phileak.probes.web.routing import ANSWERED_HEADER, Router, RoutingPolicy, ThirdPartyMode, first_party_domains
from phileak.probes.web.site import CrawlSettings, SiteCrawler
from phileak.scope import Resolver, Scope
from phileak.targets import parse_target
from web_site import SITE, Hit, SiteServer, make_certificate

pytestmark = pytest.mark.asyncio(loop_scope="module")

SITE_URL = f"https://{SITE}/"
GATED_SCOPE = [SITE_URL, SITE, "127.0.0.1"]  # hostnames and addresses: the third-party gate decides (gate.py)
ROUTED_SCOPE = [SITE_URL, "127.0.0.1"]  # a URL-prefix rule alone: each URL outside the site's name is routed
KEY = b"web-browser-tests-identity-key!!"
CANARY = CanaryIdentity.generate("web-browser-tests")
WAIT_S = 20.0  # how long a test waits for the page to send what it must; not a performance bound


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteServer]:
    if not chromium_available():
        pytest.skip("needs Playwright and Debian's Chromium (/usr/lib/chromium/chromium)")
    cert, key = make_certificate(tmp_path_factory.mktemp("tls"))
    try:
        server = SiteServer(cert, key).start()
    except OSError as exc:
        pytest.skip(f"needs 127.0.0.1:443 (root, inside the test network namespace): {exc.strerror}")
    yield server
    server.stop()


@dataclass
class Rig:
    session: BrowserSession
    capture: Capture
    router: Router
    policy: RoutingPolicy
    gate: Gate | None = None

    def use_policy(self, policy: RoutingPolicy) -> None:
        self.router.policy = policy
        if self.gate is not None:
            self.gate.policy = policy

    def refused(self, url: str) -> int:
        return self.router.refused.get(url, 0) + (self.gate.refused.get(url, 0) if self.gate is not None else 0)

    async def load(self, url: str, until: Callable[[Step], Awaitable[bool]], label: str = "landing") -> StepCapture:
        """Load `url` in a fresh page as one step; end it once `until(step)` holds (or after WAIT_S)."""
        page = await self.session.new_page()
        try:
            step = self.capture.begin(page, label)
            await page.goto(url, wait_until="load")
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline and not await until(step):
                await asyncio.sleep(0.05)
            return await self.capture.end(step)
        finally:
            await page.close()


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["routes", "gate"])
async def rig(site: SiteServer, request: pytest.FixtureRequest) -> AsyncIterator[Rig]:
    """One browser with the capture and the scope guard: Playwright routes (a URL-prefix scope), or the
    third-party gate (a hostname scope, as a scan of a site gives by default)."""
    gated = request.param == "gate"
    scope = Scope.from_rules(GATED_SCOPE if gated else ROUTED_SCOPE)
    resolver = Resolver.parse(["*=127.0.0.1"])
    policy = RoutingPolicy(scope, first_party_domains([SITE]), resolver)
    assert policy.gate_applies() == gated
    gate = await Gate(policy, insecure=True).start() if gated else None
    rules = await build_host_rules(scope, resolver, gate=gate.ports if gate is not None else None)
    session = await BrowserSession.start(BrowserConfig(host_rules=rules.rules, insecure=True))
    wire = gate.take_wire_record if gate is not None else None
    capture = Capture(session.context, is_first_party=policy.is_first_party, wire_records=wire)
    capture.attach()
    router = Router(policy, capture, gated=gated)
    await router.install(session.context)
    yield Rig(session, capture, router, policy, gate)
    await session.close()
    session.discard()
    if gate is not None:
        await gate.close()


def _find(captured: StepCapture, needle: str, method: str | None = None) -> list:  # type: ignore[type-arg]
    return [r for r in captured.requests if needle in r.url and (method is None or r.method == method)]


def _one(captured: StepCapture, needle: str, method: str | None = None):  # type: ignore[no-untyped-def]
    found = _find(captured, needle, method)
    assert found, f"nothing captured for {needle}"
    return found[0]


def _seen(site: SiteServer, host: str, path: str) -> bool:
    return bool(site.log.matching(host, path))


# ---------------------------------------------------------------- capture, with one browser


async def test_every_kind_of_request_a_page_makes_is_captured(rig: Rig, site: SiteServer) -> None:
    expected_paths = [
        ("www.facebook.com", "/tr/blob"), ("www.google-analytics.com", "/g/collect?v=2&en=keepalive"),
        ("analytics.tiktok.com", "/api/v2/pixel"), ("www.clarity.ms", "/collect-deflate"),
        ("www.facebook.com", "/tr?ev=AfterRedirect"), ("www.facebook.com", "/tr?ev=FirstPartyFrame"),
        ("www.facebook.com", "/tr?ev=ThirdPartyFrame"), ("www.google-analytics.com", "/g/collect?from=worker"),
        ("www.google-analytics.com", "/g/collect?from=service-worker"), ("www.facebook.com", "/set-cookie"),
    ]  # fmt: skip

    async def everything_arrived(step: Step) -> bool:
        cookies = await rig.session.context.cookies()
        return (
            all(_seen(site, host, path) for host, path in expected_paths)
            and any(c["name"] == "fr" for c in cookies)
            and any(m.message.direction == "received" for m in step.messages)
        )

    captured = await rig.load(f"{SITE_URL}capture", everything_arrived)
    page_url = f"{SITE_URL}capture"

    pixel = _one(captured, "/tr?id=1&ev=PageView")
    assert pixel.resource_type == "image" and dict(pixel.query_pairs)["dl"] == page_url
    assert pixel.page_url == page_url and pixel.step == "landing" and pixel.response.status == 200
    assert len(pixel.headers) > 5 and pixel.header("user-agent")  # all headers, not Playwright's short list

    beacon = _one(captured, "https://www.facebook.com/tr/", "POST")
    assert beacon.resource_type == "ping" and beacon.body == b"ev=Lead&cd%5Bcondition%5D=breast-cancer"
    blob = _one(captured, "/tr/blob", "POST")
    assert json.loads(blob.body) == {"ev": "BlobBeacon", "diagnosis": "C50.9"}
    keepalive = _one(captured, "/g/collect?v=2&en=keepalive", "POST")
    assert json.loads(keepalive.body) == {"diag": "E11.9", "kind": "keepalive"}
    tiktok = _one(captured, "/api/v2/pixel", "POST")
    assert tiktok.content_type == "application/json" and json.loads(tiktok.body)["context"]["page"]["url"] == page_url

    gzipped = _one(captured, "https://www.clarity.ms/collect", "POST")  # gzip announced by nothing but its magic
    assert json.loads(gzipped.body) == {"clarity": "gzip-chunk", "diag": "asthma"}
    deflated = _one(captured, "/collect-deflate", "POST")  # Content-Encoding: deflate
    assert json.loads(deflated.body) == {"clarity": "deflate-chunk"}

    hop = _one(captured, "/tr?ev=AfterRedirect")
    assert hop.redirect_from == "https://www.facebook.com/redirect-pixel"
    assert _one(captured, "/redirect-pixel").response.status == 302

    in_frame = _one(captured, "/tr?ev=ThirdPartyFrame")
    assert in_frame.frame_url == "https://www.facebook.com/plugin-frame" and in_frame.page_url == page_url
    assert _one(captured, "/tr?ev=FirstPartyFrame").frame_url == f"{SITE_URL}frame"
    assert _one(captured, "from=worker", "POST").body == b"worker-body"
    service_worker = _one(captured, "from=service-worker", "POST")
    assert service_worker.body == b"sw-body" and service_worker.frame_url is None

    sent = [r for r in captured.requests if r.is_websocket_message and r.direction == "sent"]
    received = [r for r in captured.requests if r.is_websocket_message and r.direction == "received"]
    assert [json.loads(r.body)["text"] for r in sent] == ["websocket-frame-hello"]
    assert sent[0].url == "wss://www.facebook.com/socket" and received[0].body == b"ack"
    assert site.log.frames == [("www.facebook.com", b'{"type":"chat","text":"websocket-frame-hello"}')]

    assert ("facebook.com", "fr", "tracker-cookie") in {(c.domain, c.name, c.value) for c in captured.cookies}
    assert _one(captured, "/set-cookie").response.cookie_names() == ["fr"]


async def test_a_vendor_login_cookie_goes_out_with_its_pixels(rig: Rig, site: SiteServer) -> None:
    # A visitor logged in to the vendor: Chromium must send its cookies on third-party pixels (Playwright's
    # incognito-like contexts would not), or logged-in-to-vendor leaks go unseen.
    await rig.session.context.add_cookies(
        [{"name": "c_user", "value": "100001", "domain": ".facebook.com", "path": "/", "secure": True,
          "sameSite": "None"}]
    )  # fmt: skip

    async def pixel_sent(_step: Step) -> bool:
        wanted = "/tr?id=1&ev=PageView&dl=https%3A%2F%2Fwww.example-health.test%2F"
        return any(h.path == wanted for h in site.log.matching("www.facebook.com", wanted))

    captured = await rig.load(SITE_URL, pixel_sent)
    pixel = _one(captured, "/tr?id=1&ev=PageView")
    assert ("c_user", "100001") in pixel.cookies


async def test_blur_fires_advanced_matching_and_dry_submit_keeps_the_form_from_the_site(
    rig: Rig, site: SiteServer
) -> None:
    page = await rig.session.new_page()
    results: list[StepResult] = []
    actor = PageActor(page, rig.capture, rig.router, results.append, ActorSettings(action_timeout_s=10, settle_s=1.0))
    try:
        await actor.step("landing", lambda: page.goto(f"{SITE_URL}book"))
        flows = AutoFlows(CANARY.values(), FlowSettings(submit=SubmitMode.DRY, max_searches=0))
        await flows.run(actor)
    finally:
        await page.close()
    by_step = {r.capture.label: r for r in results}
    filled, submitted = by_step["form-filled"], by_step["form-submitted"]
    assert filled.error is None and filled.flags.identity_collected

    for event in ("input", "change", "blur"):  # what form-analytics and advanced-matching scripts listen to
        assert _find(filled.capture, f"ev=FormFieldEvent&type={event}")
    matching = _one(filled.capture, "ev=AdvancedMatching")
    email_hash = hashlib.sha256(CANARY.email.lower().encode()).hexdigest()
    assert dict(matching.query_pairs)["ud[em]"] == email_hash
    (hit,) = CanaryMatcher(CANARY).match_fields(matching.query_pairs)
    assert (hit.field, hit.encoding, hit.param) == ("email", "sha256-hex", "ud[em]")

    form_post = _one(submitted.capture, "/book-submit", "POST")
    assert dict(form_post.response.headers)[ANSWERED_HEADER] == "dry-submit"
    form = {k: v[0] for k, v in parse_qs(form_post.body.decode()).items()}
    year, month, day = CANARY.dob.split("-")
    assert form["first_name"] == CANARY.first_name and form["lastName"] == CANARY.last_name
    assert form["email"] == CANARY.email and form["dob"] == f"{month}/{day}/{year}"
    assert form["reason"] == CANARY.symptom
    assert _one(submitted.capture, "https://www.facebook.com/tr/", "POST").body == b"ev=Schedule&cd%5Bform%5D=booking"
    assert site.log.matching(SITE, "/book-submit") == []  # the site never received the booking
    assert rig.router.dry_submitted == [f"{SITE_URL}book-submit"]


async def test_block_mode_captures_third_party_requests_and_answers_them_locally(rig: Rig, site: SiteServer) -> None:
    saved = rig.router.policy
    rig.use_policy(
        RoutingPolicy(saved.scope, saved.first_party, Resolver.parse([f"{SITE}=127.0.0.1"]), ThirdPartyMode.BLOCK)
    )
    site.log.clear()
    watched = ["/tr/blob", "/api/v2/pixel", "www.clarity.ms/collect-deflate", "/tr?id=1&ev=PageView"]
    step_holder: list[StepCapture] = []

    async def captured_all(step: Step) -> bool:
        answered = [e.request.url for e in step.entries if e.response is not None]
        sent = any(m.message.direction == "sent" for m in step.messages)
        return sent and all(any(w in u for u in answered) for w in watched)

    try:
        step_holder.append(await rig.load(f"{SITE_URL}capture", captured_all))
    finally:
        rig.use_policy(saved)
    captured = step_holder[0]
    assert {h.host for h in site.log.hits} == {SITE}  # no tracker host was contacted
    assert site.log.frames == []
    for needle in ("/tr/blob", "/api/v2/pixel", "/collect-deflate", "/tr?id=1&ev=PageView"):
        request = _one(captured, needle)
        assert request.response is not None and request.response.status == 204
        assert dict(request.response.headers)[ANSWERED_HEADER] == "answered-locally"
    assert json.loads(_one(captured, "/api/v2/pixel", "POST").body)["event"] == "ViewContent"
    assert json.loads(_one(captured, "/collect-deflate").body) == {"clarity": "deflate-chunk"}
    (message,) = [r for r in captured.requests if r.is_websocket_message]
    assert message.direction == "sent" and b"websocket-frame-hello" in message.body


async def test_first_party_requests_outside_the_scope_are_refused(rig: Rig, site: SiteServer) -> None:
    site.log.clear()

    async def loaded(_step: Step) -> bool:
        return bool(site.log.matching("www.facebook.com", "/tr?id=1&ev=PageView"))

    captured = await rig.load(SITE_URL, loaded)
    assert _find(captured, "https://staff.example-health.test/logo.png")  # the page asked for it...
    assert "staff.example-health.test" not in site.log.hosts()  # ...it was never fetched
    assert rig.refused("https://staff.example-health.test/logo.png") >= 1


async def test_a_renderer_crash_is_a_page_error_and_the_crawl_goes_on(rig: Rig) -> None:
    results: list[StepResult] = []
    frontier = Frontier(["example-health.test"], rig.policy.in_scope)
    settings = CrawlSettings(delay_s=0, page_timeout_s=20, navigation_timeout_s=10, settle_s=0.3, scroll_steps=0)
    crawler = SiteCrawler(rig.session, rig.capture, rig.router, frontier, results.append, settings)
    task = PageTask(f"{SITE_URL}conditions/type-2-diabetes", 0, "condition")
    page = await crawler._new_page()
    await page.goto(f"{SITE_URL}frame")
    cdp = await rig.session.context.new_cdp_session(page)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(cdp.send("Page.crash"), 2.0)
    assert await crawler._visit(page, task) is None  # the crashed page is thrown away
    assert any("crashed" in e.reason.lower() for e in crawler.summary.errors)
    fresh = await crawler._new_page()
    assert await crawler._visit(fresh, task) is fresh, crawler.summary.errors
    landing = [r for r in results if r.error is None and r.capture.label == "landing"]
    assert landing and _find(landing[-1].capture, "cd%5Bcontent_name%5D=Type%202%20diabetes")
    assert landing[-1].flags.condition_page
    await fresh.close()


# ---------------------------------------------------------------- the probe, end to end


class RecordingAudit(SiteAudit):
    """The probe's site audit, keeping every step result for the assertions."""

    steps: list[StepResult]

    def _sink(self, result: StepResult) -> None:
        self.__dict__.setdefault("steps", []).append(result)
        super()._sink(result)


@dataclass
class Crawl:
    findings: dict[str, Finding]
    steps: list[StepResult]
    hits: list[Hit]
    har: Path
    canary: CanaryIdentity
    gate: Gate | None = None

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings.values()}


FLOWS = """
[[flow]]
name = "portal"
[[flow.step]]
goto = "https://www.example-health.test/portal/login"
[[flow.step]]
login = { username = "test-patient-7", password = "c0rrect-horse-battery" }
[[flow.step]]
fill = "#msg"
value = "Question from {canary.first_name}: {canary.symptom}"
[[flow.step]]
click = "text=Send"

[[flow]]
name = "booking"
[[flow.step]]
goto = "https://www.example-health.test/book"
[[flow.step]]
fill_form = "form#booking"
[[flow.step]]
submit = "form#booking"
[[flow.step]]
goto = "https://www.example-health.test/search"
[[flow.step]]
search = "hiv testing"
[[flow.step]]
wait_for = "form"
"""


async def _audit(
    site: SiteServer, start: str, options: dict[str, object], resolve: list[str], scope: list[str] = GATED_SCOPE
) -> RecordingAudit:
    ctx = ScanContext(
        scan_id="web-browser-test-scan",
        scope=Scope.from_rules(scope),
        identity=IdentityHasher(KEY),
        limits=Limits(timeout_s=240),
        resolver=Resolver.parse(resolve),
        insecure=True,
        options={"delay_s": 0, "settle_s": 0.3, "navigation_timeout_s": 3, "page_timeout_s": 8, **options},
    )
    audit = RecordingAudit(parse_target("web", start), ctx, WebSettings.from_options(ctx.options))
    findings: dict[str, Finding] = {}
    async for finding in audit.findings():
        findings[finding.id] = finding
    audit.__dict__["collected"] = findings
    return audit


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def crawl(site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Crawl:
    folder = tmp_path_factory.mktemp("crawl")
    (folder / "flows.toml").write_text(FLOWS, encoding="utf-8")
    site.log.clear()
    options = {"max_pages": 20, "submit_forms": "dry", "flows": folder / "flows.toml", "har": folder / "scan.har"}
    audit = await asyncio.wait_for(_audit(site, SITE_URL, options, ["*=127.0.0.1"]), 200)
    return Crawl(
        audit.__dict__["collected"], audit.steps, list(site.log.hits), folder / "scan.har", audit.canary, audit.gate
    )


async def test_the_crawl_finds_the_leaks_of_the_health_pages(crawl: Crawl) -> None:
    phi = [f for f in crawl.findings.values() if f.kind == "phi-to-third-party"]
    assert any(
        f.recipient and f.recipient.host == "www.facebook.com"
        and any((m.field, m.encoding, m.param) == ("email", "sha256-hex", "ud[em]") for m in f.evidence.matches)
        for f in phi
    )  # fmt: skip
    condition = [s for s in crawl.steps if s.capture.page_url == f"{SITE_URL}conditions/type-2-diabetes"]
    assert condition and condition[0].flags.condition_page
    searched = [s for s in crawl.steps if s.capture.label == "search"]
    assert searched and _find(searched[0].capture, "ep.search_term=")  # the canary's search reached GA4


async def test_hostile_pages_give_page_errors_and_the_crawl_goes_on(crawl: Crawl) -> None:
    errors = {f.evidence.model_extra["page"]: f for f in crawl.findings.values() if f.kind == "page-error"}
    assert set(errors) >= {f"{SITE_URL}hostile/{name}" for name in ("redirect-loop", "never-load", "busy")}
    assert "ERR_TOO_MANY_REDIRECTS" in errors[f"{SITE_URL}hostile/redirect-loop"].title
    visited = {h.path for h in crawl.hits if h.host == SITE and h.method == "GET"}
    for name in ("redirect-loop", "never-load", "huge", "dialogs", "popups", "endless-scroll", "busy"):
        assert f"/hostile/{name}" in visited
    after_dialogs = [s for s in crawl.steps if s.capture.page_url == f"{SITE_URL}hostile/dialogs"]
    assert after_dialogs and _find(after_dialogs[0].capture, "ev=AfterDialogs")  # dialogs were dismissed
    never = [s for s in crawl.steps if s.url == f"{SITE_URL}hostile/never-load"]
    assert never and _find(never[0].capture, "ev=NeverLoads")  # what a never-loading page sent is kept


async def test_the_crawl_stays_inside_the_scope_and_on_the_site(crawl: Crawl) -> None:
    hosts = {h.host for h in crawl.hits}
    assert "staff.example-health.test" not in hosts  # first party, outside the scope: link and image refused
    assert "www.external-news.test" not in hosts  # off-site link not followed, pop-ups to it refused
    refused = [f for f in crawl.findings.values() if f.kind == "out-of-scope-refused"]
    subjects = {f.evidence.model_extra["subject"] for f in refused}
    assert subjects == {"staff.example-health.test", "www.external-news.test"}  # the latter: pop-ups
    assert "scope-escape" not in crawl.kinds()


async def test_scripted_login_is_real_but_later_writes_are_answered_locally(crawl: Crawl) -> None:
    posts = [(h.path, h.body) for h in crawl.hits if h.host == SITE and h.method == "POST"]
    assert ("/portal/login", b"username=test-patient-7&password=c0rrect-horse-battery") in posts
    assert all(path not in ("/portal/message", "/book-submit") for path, _ in posts)
    flow_steps = {s.capture.label: s for s in crawl.steps if s.capture.label.startswith("flow:portal")}
    assert not flow_steps["flow:portal:1:goto"].flags.authenticated
    assert flow_steps["flow:portal:3:fill"].flags.authenticated
    assert flow_steps["flow:portal:3:fill"].flags.identity_collected
    sent = _one(flow_steps["flow:portal:4:click"].capture, "/portal/message", "POST")
    assert dict(sent.response.headers)[ANSWERED_HEADER] == "dry-submit"


async def test_a_scripted_booking_flow_fills_submits_dry_and_searches(crawl: Crawl) -> None:
    steps = {s.capture.label: s for s in crawl.steps if s.capture.label.startswith("flow:booking")}
    assert all(s.error is None for s in steps.values()), [s.error for s in steps.values()]
    assert steps["flow:booking:2:fill_form"].flags.identity_collected
    _one(steps["flow:booking:2:fill_form"].capture, "ev=AdvancedMatching")
    booked = _one(steps["flow:booking:3:submit"].capture, "/book-submit", "POST")
    assert dict(booked.response.headers)[ANSWERED_HEADER] == "dry-submit"
    _one(steps["flow:booking:5:search"].capture, "ep.search_term=hiv%20testing")


async def test_the_har_is_complete_redacted_and_readable_by_the_har_probe(crawl: Crawl) -> None:
    assert crawl.har.stat().st_mode & 0o777 == 0o600
    text = crawl.har.read_text(encoding="utf-8")
    secrets = [*(crawl.canary.values()[f] for f in ("email", "first_name", "last_name", "symptom", "mrn", "phone")),
               hashlib.sha256(crawl.canary.email.lower().encode()).hexdigest(), "c0rrect-horse-battery"]  # fmt: skip
    for secret in secrets:
        assert secret not in text
    document = json.loads(text)
    entries = document["log"]["entries"]
    sockets = [e for e in entries if e.get("_webSocketMessages")]
    assert sockets and all(0 < m["time"] < 1e11 for e in sockets for m in e["_webSocketMessages"])
    clarity = [e for e in entries if e["request"]["url"] == "https://www.clarity.ms/collect"]
    assert clarity and clarity[0]["request"]["postData"]["encoding"] == "base64"
    capture = har_capture(document, 1 << 20)
    imported = [r for s in capture.sessions for r in s.requests]
    assert any(r.body == b"ev=Schedule&cd%5Bform%5D=booking" for r in imported)
    assert any(r.body == b'{"clarity":"gzip-chunk","diag":"asthma"}' for r in imported)  # gzip restored
    assert any(r.is_websocket_message and b"websocket-frame-hello" in r.body for r in imported)
    assert any("[canary email sha256-hex]" in r.url for r in imported)


async def test_with_no_catch_all_pin_an_out_of_scope_redirect_goes_nowhere(crawl: Crawl, site: SiteServer) -> None:
    site.log.clear()
    audit = await asyncio.wait_for(
        _audit(site, f"{SITE_URL}redirect-out", {"max_pages": 1}, [f"{SITE}=127.0.0.1"], ROUTED_SCOPE), 120
    )
    findings = audit.__dict__["collected"].values()
    assert "staff.example-health.test" not in site.log.hosts()
    assert [h.path for h in site.log.hits] == ["/redirect-out"]
    errors = [f for f in findings if f.kind == "page-error"]
    assert errors and "ERR_NAME_NOT_RESOLVED" in errors[0].title
    assert not [f for f in findings if f.kind == "scope-escape"]


async def test_the_crawl_went_through_the_gate_and_the_pinned_trackers_got_their_requests(crawl: Crawl) -> None:
    assert crawl.gate is not None  # a scope of hostnames and addresses: no request interception at all
    assert crawl.gate.forwarded > 10  # every tracker request reached the pinned local sink through the gate
    assert crawl.gate.refused  # pop-ups and first-party links outside the scope, decided by the gate
    assert any(h.host == "www.facebook.com" for h in crawl.hits)
    assert {url.split("/")[2] for url in crawl.gate.refused} == {"staff.example-health.test", "www.external-news.test"}
    # Third-party headers come from the gate, as on the wire: the vendor's Set-Cookie, then its cookie going out.
    captured = [r for s in crawl.steps for r in s.capture.requests if r.host == "www.facebook.com"]
    assert any(r.response is not None and "fr=tracker-cookie" in "".join(r.response.set_cookies) for r in captured)
    assert any(("fr", "tracker-cookie") in r.cookies for r in captured)
    assert crawl.gate.wire_records_taken > 10  # no round trip to the browser for those


async def test_in_block_mode_with_no_pin_the_gate_answers_every_third_party_itself(site: SiteServer) -> None:
    site.log.clear()
    audit = await asyncio.wait_for(_audit(site, f"{SITE_URL}capture", {"max_pages": 1}, [f"{SITE}=127.0.0.1"]), 120)
    assert audit.gate is not None and audit.gate.answered_locally > 0 and audit.gate.forwarded == 0
    assert site.log.hosts() == {SITE}  # no tracker host was contacted
    landing = [s for s in audit.steps if s.capture.label == "landing"]
    pixel = _one(landing[0].capture, "/tr?id=1&ev=PageView")
    assert pixel.response is not None and pixel.response.status == 204
    assert dict(pixel.response.headers)[ANSWERED_HEADER] == "answered-locally"
    assert json.loads(_one(landing[0].capture, "/api/v2/pixel", "POST").body)["event"] == "ViewContent"
    assert any(r.is_websocket_message and b"websocket-frame-hello" in r.body for r in landing[0].capture.requests)


async def test_through_the_gate_an_out_of_scope_redirect_is_refused(site: SiteServer) -> None:
    site.log.clear()
    audit = await asyncio.wait_for(
        _audit(site, f"{SITE_URL}redirect-out", {"max_pages": 1}, [f"{SITE}=127.0.0.1"]), 120
    )
    findings = audit.__dict__["collected"].values()
    assert [h.path for h in site.log.hits] == ["/redirect-out"]  # staff.example-health.test never contacted
    assert audit.gate is not None and audit.gate.refused == {"https://staff.example-health.test/intranet": 1}
    refused = [f for f in findings if f.kind == "out-of-scope-refused"]
    assert {f.evidence.model_extra["subject"] for f in refused} == {"staff.example-health.test"}
    assert not [f for f in findings if f.kind == "scope-escape"]


async def test_without_insecure_chromium_accepts_the_gate_by_its_key_and_nothing_else(site: SiteServer) -> None:
    """A real scan does not pass --insecure: Chromium must take the gate's session certificate (and only it)."""
    policy = RoutingPolicy(Scope.from_rules([SITE, "127.0.0.1"]), first_party_domains([SITE]), Resolver())
    async with Gate(policy) as gate:
        rules = await build_host_rules(policy.scope, Resolver.parse([f"{SITE}=127.0.0.1"]), gate=gate.ports)
        config = BrowserConfig(host_rules=rules.rules, extra_args=gate.browser_flags())
        async with await BrowserSession.start(config) as session:
            page = await session.new_page()
            await page.goto("data:text/html,<img src='https://www.facebook.com/tr?id=1&ev=PageView'>")
            deadline = time.monotonic() + WAIT_S
            while not gate.answered_locally and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            assert gate.answered_locally == 1  # the TLS handshake with the gate succeeded
            with pytest.raises(Exception, match="ERR_CERT"):  # the site's own self-signed certificate is not
                await page.goto(SITE_URL)
    record = gate.take_wire_record("GET", "https://www.facebook.com/tr?id=1&ev=PageView")
    assert record is not None and dict(record.answer_headers)[ANSWERED_HEADER] == "answered-locally"


async def test_a_site_on_a_public_address_still_reaches_the_gate(site: SiteServer) -> None:
    """Chromium's Local Network Access blocks a public site's requests to loopback, where the gate listens, unless
    the gate's ports count as public. The local test site is made to look public here, as a hospital's site is."""
    site.log.clear()
    scope = Scope.from_rules(GATED_SCOPE)
    policy = RoutingPolicy(scope, first_party_domains([SITE]), Resolver.parse([f"{SITE}=127.0.0.1"]))
    async with Gate(policy, insecure=True) as gate:
        rules = await build_host_rules(scope, policy.resolver, gate=gate.ports)
        flags = gate.browser_flags(public=["127.0.0.1:443"])
        async with await BrowserSession.start(BrowserConfig(rules.rules, insecure=True, extra_args=flags)) as session:
            capture = Capture(session.context, is_first_party=policy.is_first_party, wire_records=gate.take_wire_record)
            capture.attach()
            page = await session.new_page()
            step = capture.begin(page, "landing")
            await page.goto(f"{SITE_URL}capture", wait_until="load")
            deadline = time.monotonic() + WAIT_S
            while time.monotonic() < deadline and not any(
                "/tr/blob" in e.request.url and e.response is not None for e in step.entries
            ):
                await asyncio.sleep(0.05)
            captured = await capture.end(step)
    assert gate.answered_locally >= 4 and site.log.hosts() <= {SITE}
    blob = _one(captured, "/tr/blob", "POST")
    assert json.loads(blob.body) == {"ev": "BlobBeacon", "diagnosis": "C50.9"}
    assert blob.response is not None and dict(blob.response.headers)[ANSWERED_HEADER] == "answered-locally"
