"""The `web` probe: a real browser through one health site (each start URL is a target), every request of every
page and step captured, and leak detection (leaks.LeakDetector) on what went to third parties.

Per target: scripted flows first (`--flows`, their own browser session, so a portal login never colours the
crawl), then the crawl with automatic flows. Each step's capture becomes a CaptureSession for the detector, and
findings are yielded as soon as they change, so a target cut short by its time limit keeps what it found. Pages
that fail give `page-error` (info) findings; links and requests refused by the scope guard give one
`out-of-scope-refused` finding per host.

The canary patient is one per scan, seeded with an HMAC of the scan id under the store's identity key (so
`--resume` plants the same patient, and nobody without the key can rebuild it); its values are registered with
logsafe and never stored, unless options["canary_out"] names a file to save it to.

Options (ScanContext.options): max_pages (50), submit_forms (False | True | "dry"), dry_submit (bool), flows
(path), har (path), third_party ("block" | "scripts" | "allow", see routing.py), auto_flows (True), delay_s
(0.5), per_host_concurrency (1), page_timeout_s (60), navigation_timeout_s (20), max_searches (2),
canary_out (path).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

from phileak.errors import InputError, ScopeViolation
from phileak.logsafe import scrub
from phileak.model import Evidence, Finding, Severity
from phileak.phi.canary import CanaryIdentity, CanaryMatcher
from phileak.probes.base import ScanContext
from phileak.probes.web.actor import ActorSettings, PageActor, StepResult, SubmitMode
from phileak.probes.web.browser import BrowserConfig, BrowserSession
from phileak.probes.web.capture import Capture
from phileak.probes.web.capture_model import CaptureSession
from phileak.probes.web.crawl import Frontier, site_of
from phileak.probes.web.flowfile import Flow, load_flows
from phileak.probes.web.flows import AutoFlows, FlowSettings, search_terms
from phileak.probes.web.gate import Gate
from phileak.probes.web.har_export import HarRedactor, export_har
from phileak.probes.web.hostrules import HostRules, build_host_rules
from phileak.probes.web.leaks import LeakDetector
from phileak.probes.web.routing import Router, RoutingPolicy, ThirdPartyMode, first_party_domains
from phileak.probes.web.scripted import run_flow
from phileak.probes.web.site import CrawlSettings, CrawlSummary, PageError, SiteCrawler, dismiss_dialog
from phileak.runner import refusal_finding
from phileak.scope import Resolver
from phileak.targets import Target

log = logging.getLogger(__name__)

PAGE_ERROR_KIND: Final = "page-error"
CRAWL_INCOMPLETE_KIND: Final = "crawl-incomplete"
SCOPE_ESCAPE_KIND: Final = "scope-escape"
MAX_BROWSER_RESTARTS: Final = 2
RESERVE_FRACTION: Final = 0.1  # of the target's time limit, kept for the last findings and the HAR
RESERVE_MIN_S: Final = 10.0
_canaries: dict[str, tuple[CanaryIdentity, CanaryMatcher]] = {}


@dataclass(frozen=True)
class WebSettings:
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    submit: SubmitMode = SubmitMode.NONE
    flows_file: Path | None = None
    har: Path | None = None
    third_party: ThirdPartyMode = ThirdPartyMode.BLOCK
    auto_flows: bool = True
    max_searches: int = 2
    canary_out: Path | None = None

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> WebSettings:
        submit_option = options.get("submit_forms", False)
        if submit_option is True or submit_option == "real":
            submit = SubmitMode.REAL
        elif submit_option == "dry" or options.get("dry_submit"):
            submit = SubmitMode.DRY
        else:
            submit = SubmitMode.NONE
        try:
            third_party = ThirdPartyMode(str(options.get("third_party") or ThirdPartyMode.BLOCK.value))
        except ValueError:
            raise InputError("third_party must be block, scripts or allow") from None
        crawl = CrawlSettings(
            max_pages=_positive_int(options, "max_pages", 50),
            per_host_concurrency=_positive_int(options, "per_host_concurrency", 1),
            delay_s=_non_negative(options, "delay_s", 0.5),
            page_timeout_s=_non_negative(options, "page_timeout_s", 60.0) or 60.0,
            navigation_timeout_s=_non_negative(options, "navigation_timeout_s", 20.0) or 20.0,
            settle_s=_non_negative(options, "settle_s", 1.5),
        )
        return cls(
            crawl=crawl,
            submit=submit,
            flows_file=_path(options.get("flows")),
            har=_path(options.get("har")),
            third_party=third_party,
            auto_flows=bool(options.get("auto_flows", True)),
            max_searches=_count(options, "max_searches", 2),
            canary_out=_path(options.get("canary_out")),
        )


def _positive_int(options: Mapping[str, Any], name: str, default: int) -> int:
    value = options.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise InputError(f"{name} must be a positive whole number")
    return value


def _count(options: Mapping[str, Any], name: str, default: int) -> int:
    value = options.get(name)
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InputError(f"{name} must be a whole number")
    return value


def _non_negative(options: Mapping[str, Any], name: str, default: float) -> float:
    value = options.get(name)
    if value is None:
        return default
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise InputError(f"{name} must be a number of seconds")
    return float(value)


def _path(value: Any) -> Path | None:
    return Path(value).expanduser() if value else None


def scan_canary(ctx: ScanContext) -> tuple[CanaryIdentity, CanaryMatcher]:
    """The scan's canary patient and its matcher (built once per scan)."""
    seed = ctx.identity.hash("id", f"phileak canary {ctx.scan_id}")
    known = _canaries.get(seed)
    if known is None:
        identity = CanaryIdentity.generate(seed)
        known = (identity, CanaryMatcher(identity))
        _canaries.clear()  # one scan per process at a time; keep no other scan's canary
        _canaries[seed] = known
    return known


def save_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only from the first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(path, 0o600)


def to_session(result: StepResult) -> CaptureSession:
    captured, flags = result.capture, result.flags
    return CaptureSession(
        page_url=captured.page_url,
        requests=captured.requests,
        title=captured.title,
        step=captured.label,
        authenticated=flags.authenticated,
        identity_collected=flags.identity_collected,
        condition_page=flags.condition_page,
    )


class WebProbe:
    name: ClassVar[str] = "web"

    async def scan(self, target: Target, ctx: ScanContext) -> AsyncIterator[Finding]:
        audit = SiteAudit(target, ctx, WebSettings.from_options({**ctx.options, **target.options}))
        async for finding in audit.findings():
            yield finding


class SiteAudit:
    """One target: sessions, capture, detection, HAR; `findings()` drives it."""

    def __init__(self, target: Target, ctx: ScanContext, settings: WebSettings) -> None:
        if not target.host:
            raise InputError(f"web target without a host: {target.ref}")
        self.target = target
        self.ctx = ctx
        self.settings = settings
        self.flows: list[Flow] = load_flows(settings.flows_file) if settings.flows_file else []
        self.canary, self.matcher = scan_canary(ctx)
        if settings.canary_out is not None:
            save_private(settings.canary_out, self.canary.to_json())
        self.values = self.canary.values()
        self.policy = RoutingPolicy(
            scope=ctx.scope,
            first_party=first_party_domains([target.host]),
            resolver=ctx.resolver or Resolver(),
            third_party=settings.third_party,
            carries_canary=lambda url: bool(self.matcher.find(url)),
        )
        self.detector = LeakDetector(first_party=target.host, hasher=ctx.identity, canary=self.matcher)
        self.frontier = Frontier([site_of(target.host)], self.policy.in_scope)
        if not self.frontier.add(target.ref, start=True):
            raise ScopeViolation(target.ref, "the start URL is outside the authorised scope")
        self.summary = CrawlSummary()
        self.host_rules: HostRules | None = None
        self.gate: Gate | None = None
        self.refused: dict[str, int] = {}
        self.escaped: dict[str, int] = {}
        self.auto_flows = (
            AutoFlows(self.values, FlowSettings(settings.submit, settings.max_searches, search_terms=search_terms()))
            if settings.auto_flows
            else None
        )
        self._queue: asyncio.Queue[StepResult | None] = asyncio.Queue()
        timeout = ctx.limits.timeout_s
        self.deadline = time.monotonic() + max(5.0, timeout - max(RESERVE_MIN_S, timeout * RESERVE_FRACTION))

    async def findings(self) -> AsyncIterator[Finding]:
        worker = asyncio.create_task(self._run(), name="phileak web site")
        shown: dict[str, str] = {}
        try:
            while True:
                result = await self._queue.get()
                if result is None:
                    break
                self.detector.observe(to_session(result))
                for finding in self._changed(shown):
                    yield finding
            await worker
        finally:
            if not worker.done():
                worker.cancel()
                await asyncio.gather(worker, return_exceptions=True)
        for finding in self._changed(shown):
            yield finding
        for finding in self._notes():
            yield finding

    def _changed(self, shown: dict[str, str]) -> list[Finding]:
        changed = []
        for finding in self.detector.findings(probe="web", target=self.target.ref):
            digest = finding.model_dump_json()
            if shown.get(finding.id) != digest:
                shown[finding.id] = digest
                changed.append(finding)
        return changed

    def _sink(self, result: StepResult) -> None:
        if result.error is not None:
            self._page_error(result.url or self.target.ref, result.error)
        self._queue.put_nowait(result)

    def _page_error(self, url: str, reason: str) -> None:
        from phileak.scope import display_url

        shown = display_url(url)
        if not any(e.url == shown and e.reason == reason for e in self.summary.errors):
            self.summary.errors.append(PageError(shown, reason))

    async def _run(self) -> None:
        try:
            if self.policy.gate_applies():
                self.gate = await Gate(self.policy, insecure=self.ctx.insecure).start()
            rules = await build_host_rules(
                self.ctx.scope,
                self.ctx.resolver,
                start_hosts=[self.target.host or ""],
                guard_unknown_names=self.settings.third_party is ThirdPartyMode.BLOCK,
                gate=self.gate.ports if self.gate is not None else None,
            )
            self.host_rules = rules
            for host in rules.refused:
                self._refuse(host, 1)
            config = BrowserConfig(
                host_rules=rules.rules,
                insecure=self.ctx.insecure,
                record_har=self.settings.har is not None,
                extra_args=self.gate.browser_flags() if self.gate is not None else (),
            )
            if self.flows:
                await self._scripted_flows(config)
            for _attempt in range(MAX_BROWSER_RESTARTS + 1):
                stopped = await self._crawl(config)
                if stopped != "the browser went away" or not len(self.frontier):
                    break
                self.summary.stopped = None
        finally:
            if self.gate is not None:
                await self.gate.close()
                for url, count in self.gate.refused.items():
                    self._refuse(url, count)
            self._queue.put_nowait(None)

    async def _scripted_flows(self, config: BrowserConfig) -> None:
        terms = iter(search_terms())
        async with self._session(config) as (session, capture, router):
            session.context.on("dialog", dismiss_dialog)
            for flow in self.flows:
                if time.monotonic() >= self.deadline:
                    self.summary.stopped = "time budget reached"
                    return
                page = await session.new_page()
                actor = PageActor(
                    page,
                    capture,
                    router,
                    self._sink,
                    ActorSettings(
                        action_timeout_s=self.settings.crawl.navigation_timeout_s, settle_s=self.settings.crawl.settle_s
                    ),
                )
                await run_flow(
                    flow,
                    actor,
                    self.values,
                    real_submit=self.settings.submit is SubmitMode.REAL,
                    terms=terms,
                    navigation_timeout_s=self.settings.crawl.navigation_timeout_s,
                )
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(page.close(), 5.0)

    async def _crawl(self, config: BrowserConfig) -> str | None:
        async with self._session(config) as (session, capture, router):
            crawler = SiteCrawler(
                session, capture, router, self.frontier, self._sink, self.settings.crawl,
                flows=self.auto_flows, deadline=self.deadline, summary=self.summary,
            )  # fmt: skip
            summary = await crawler.run()
        for url, count in self.frontier.refused.items():
            self._refuse(url, count)
        self.frontier.refused.clear()
        return summary.stopped

    @contextlib.asynccontextmanager
    async def _session(self, config: BrowserConfig) -> AsyncIterator[tuple[BrowserSession, Capture, Router]]:
        session = await BrowserSession.start(config)
        capture = Capture(
            session.context,
            is_first_party=self.policy.is_first_party,
            keep_binary_bodies=config.record_har,
            wire_records=self.gate.take_wire_record if self.gate is not None else None,
        )
        capture.attach()
        rules = self.host_rules
        router = Router(
            self.policy,
            capture,
            resolvable=rules.resolvable if rules is not None else None,
            gated=self.gate is not None,
        )
        capture.on_redirect = router.note_redirect
        try:
            await router.install(session.context)
            yield session, capture, router
        finally:
            for url, count in router.refused.items():
                self._refuse(url, count)
            for url, count in router.escaped.items():
                self.escaped[url] = self.escaped.get(url, 0) + count
            raw_har = await session.close()
            try:
                if raw_har is not None and self.settings.har is not None:
                    await asyncio.to_thread(
                        export_har, raw_har, self.settings.har, scan_id=self.ctx.scan_id,
                        redactor=HarRedactor(self.matcher), websockets=capture.websocket_log,
                        binary_bodies=capture.binary_bodies,
                    )  # fmt: skip
            finally:
                session.discard()

    def _refuse(self, url_or_host: str, count: int) -> None:
        from urllib.parse import urlsplit

        host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
        key = host or url_or_host
        self.refused[key] = self.refused.get(key, 0) + count

    def _notes(self) -> list[Finding]:
        notes = [self._page_error_finding(error) for error in self.summary.errors]
        for host, count in sorted(self.refused.items()):
            violation = ScopeViolation(host, f"{count} link(s), navigation(s) or request(s) not made")
            notes.append(refusal_finding(self.target, violation))
        for url, count in sorted(self.escaped.items()):
            notes.append(self._escape_finding(url, count))
        if self.summary.stopped:
            notes.append(
                Finding.create(
                    probe="web",
                    target=self.target.ref,
                    kind=CRAWL_INCOMPLETE_KIND,
                    severity=Severity.INFO,
                    title=f"Crawl stopped early ({self.summary.stopped}) after {self.summary.pages_visited} pages",
                    evidence=Evidence(
                        reason=self.summary.stopped,
                        pages_visited=self.summary.pages_visited,
                        pages_queued=len(self.frontier),
                    ),
                    remediation="Re-run with a longer --timeout or a lower --max-pages to cover the rest.",
                )
            )
        return notes

    def _escape_finding(self, url: str, count: int) -> Finding:
        shown = scrub(url)
        return Finding.create(
            probe="web",
            target=self.target.ref,
            kind=SCOPE_ESCAPE_KIND,
            key=shown,
            severity=Severity.INFO,
            title=f"A redirect took the browser outside the scope: {shown} ({count} time(s))",
            evidence=Evidence(page=shown, redirects=count),
            remediation="The browser follows redirects itself; with a `--resolve '*=IP'` pin or third-party "
            "scripts/allow mode the DNS guard is off. Add the host to the scope, or drop the catch-all pin so "
            "names outside the scope stop resolving.",
        )

    def _page_error_finding(self, error: PageError) -> Finding:
        url, reason = scrub(error.url), scrub(error.reason)
        return Finding.create(
            probe="web",
            target=self.target.ref,
            kind=PAGE_ERROR_KIND,
            key=(url, reason),
            severity=Severity.INFO,
            title=f"Page not fully audited: {url} ({reason})",
            evidence=Evidence(page=url, reason=reason),
            remediation="Nothing to fix on the site unless the page matters; what it sent before failing was "
            "still analysed.",
        )
