"""The crawl of one site in one browser session: pages from the frontier, each loaded, scrolled, its links
queued and its automatic flows run, each inside phileak's own per-page wall clock.

Hostile pages end as a per-page error and the crawl goes on: infinite redirects (Chromium stops at 20),
never-loading pages (the load wait times out, what they sent is still kept), endless scrolling (a fixed number
of scrolls), huge pages (capped link and control lists, the page clock), pop-ups (closed after each page),
dialogs (dismissed), renderer crashes (a fresh page). If the browser itself goes away the crawl stops and says so;
the caller may start a new session on the same frontier.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from phileak.probes.web.actor import ActorSettings, PageActor, StepFlags, StepResult, StepSink, short_error
from phileak.probes.web.browser import BrowserSession
from phileak.probes.web.capture import Capture
from phileak.probes.web.capture_model import STEP_LANDING
from phileak.probes.web.crawl import EXTRACT_LINKS_JS, MAX_LINKS_PER_PAGE, Frontier, PageTask
from phileak.probes.web.flows import AutoFlows
from phileak.probes.web.routing import Router
from phileak.scope import display_url

if TYPE_CHECKING:
    from playwright.async_api import Dialog, Page

log = logging.getLogger(__name__)

CLOSE_PAGE_TIMEOUT_S: Final = 5.0
IDLE_POLL_S: Final = 0.05


@dataclass(frozen=True)
class CrawlSettings:
    max_pages: int = 50
    per_host_concurrency: int = 1
    delay_s: float = 0.5  # between two pages of one host
    page_timeout_s: float = 60.0  # phileak's own wall clock per page, flows included
    navigation_timeout_s: float = 20.0
    scroll_steps: int = 2
    settle_s: float = 1.5


@dataclass(frozen=True)
class PageError:
    url: str  # display form: no query, no credentials
    reason: str


@dataclass
class CrawlSummary:
    pages_visited: int = 0
    errors: list[PageError] = field(default_factory=list)
    stopped: str | None = None  # why the crawl ended early (browser gone, time budget)


class SiteCrawler:
    def __init__(
        self,
        session: BrowserSession,
        capture: Capture,
        router: Router,
        frontier: Frontier,
        sink: StepSink,
        settings: CrawlSettings,
        *,
        flows: AutoFlows | None = None,
        deadline: float | None = None,
        summary: CrawlSummary | None = None,
    ) -> None:
        self.session = session
        self.capture = capture
        self.router = router
        self.frontier = frontier
        self.sink = sink
        self.settings = settings
        self.flows = flows
        self.deadline = deadline
        self.summary = summary or CrawlSummary()
        self._own_pages: set[Page] = set()
        self._crashed: set[Page] = set()
        self._popups: list[Page] = []
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._host_next: dict[str, float] = {}
        self._active = 0
        session.context.on("page", self._on_new_page)
        session.context.on("dialog", dismiss_dialog)

    async def run(self) -> CrawlSummary:
        workers = [asyncio.create_task(self._worker()) for _ in range(max(1, self.settings.per_host_concurrency))]
        try:
            await asyncio.gather(*workers)
        finally:
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return self.summary

    def _budget_left(self) -> bool:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self.summary.stopped = self.summary.stopped or "time budget reached"
            return False
        if not self.session.alive:
            self.summary.stopped = self.summary.stopped or "the browser went away"
            return False
        return self.summary.pages_visited < self.settings.max_pages

    async def _worker(self) -> None:
        page: Page | None = None
        try:
            while self._budget_left():
                task = self.frontier.pop()
                if task is None:
                    if self._active == 0:
                        return
                    await asyncio.sleep(IDLE_POLL_S)
                    continue
                self.summary.pages_visited += 1
                self._active += 1
                try:
                    if page is None or page.is_closed():
                        page = await self._new_page()
                    page = await self._visit_politely(page, task)
                finally:
                    self._active -= 1
        finally:
            if page is not None:
                await _close(page)

    async def _new_page(self) -> Page:
        page = await self.session.new_page()
        self._own_pages.add(page)
        page.set_default_navigation_timeout(self.settings.navigation_timeout_s * 1000)
        page.set_default_timeout(self.settings.navigation_timeout_s * 1000)
        page.on("crash", lambda crashed: self._crashed.add(crashed))
        return page

    def _on_new_page(self, page: Page) -> None:
        # Fires for our own pages too, before new_page() returns: those are told apart when pop-ups are closed.
        self._popups.append(page)

    async def _visit_politely(self, page: Page, task: PageTask) -> Page | None:
        from urllib.parse import urlsplit

        host = urlsplit(task.url).hostname or ""
        slot = self._host_slots.setdefault(host, asyncio.Semaphore(max(1, self.settings.per_host_concurrency)))
        async with slot:
            wait = self._host_next.get(host, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                return await self._visit(page, task)
            finally:
                self._host_next[host] = time.monotonic() + self.settings.delay_s

    async def _visit(self, page: Page, task: PageTask) -> Page | None:
        """Visit one page under the page clock; the page to use next (None when it had to be thrown away)."""
        actor = PageActor(page, self.capture, self.router, self._collect, self._actor_settings())
        actor.mark(condition_page=task.page_class == "condition")
        actor.url_hint = task.url
        clock = self.settings.page_timeout_s
        if self.deadline is not None:
            clock = max(1.0, min(clock, self.deadline - time.monotonic()))
        healthy = False
        try:
            healthy = await asyncio.wait_for(self._visit_steps(actor, task), clock)
        except TimeoutError:
            self._error(task.url, f"page exceeded phileak's {clock:.0f} s page limit")
            await self._flush_open_step(page, actor.flags, "page limit reached")
            await _close(page)
            return None
        except Exception as exc:
            self._error(task.url, short_error(exc))
        finally:
            await self._close_popups()
        if page in self._crashed:
            self._error(task.url, "the page's renderer crashed")
            self._crashed.discard(page)
            await _close(page)
            return None
        if not healthy:
            await _close(page)  # a failed navigation may still commit its error page and disturb the next one
        if page.is_closed():
            return None
        return page

    async def _visit_steps(self, actor: PageActor, task: PageTask) -> bool:
        """The steps of one page; False when its landing failed (the page is not reused then)."""
        landing = await actor.step(
            STEP_LANDING,
            lambda: self._load(actor.page, task.url),
            timeout_s=self.settings.navigation_timeout_s + self.settings.settle_s + 5.0,
        )
        if actor.page.is_closed():
            return False
        if not self.router.policy.in_scope(actor.page.url):
            return landing.error is None  # a redirect left the scope: nothing more is done here
        links = await _links(actor.page)
        self.frontier.add_links(actor.page.url, links, task.depth + 1)
        if landing.error is not None:
            return False
        if self.flows is not None:
            await self.flows.run(actor)
        return True

    async def _load(self, page: Page, url: str) -> None:
        await page.goto(url, wait_until="load", timeout=self.settings.navigation_timeout_s * 1000)
        for _ in range(self.settings.scroll_steps):
            await page.mouse.wheel(0, 800)
            await asyncio.sleep(0.1)

    def _collect(self, result: StepResult) -> None:
        self.sink(result)

    def _actor_settings(self) -> ActorSettings:
        return ActorSettings(
            action_timeout_s=self.settings.navigation_timeout_s,
            settle_s=self.settings.settle_s,
        )

    def _error(self, url: str, reason: str) -> None:
        shown = display_url(url)
        if not any(e.url == shown and e.reason == reason for e in self.summary.errors):
            self.summary.errors.append(PageError(shown, reason))

    async def _flush_open_step(self, page: Page, flags: StepFlags, reason: str) -> None:
        step = self.capture.open_step(page)
        if step is None:
            return
        with contextlib.suppress(Exception):
            captured = await asyncio.wait_for(self.capture.end(step, title=False), CLOSE_PAGE_TIMEOUT_S * 2)
            self.sink(StepResult(captured, flags, f"{step.label}: {reason}", captured.page_url))

    async def _close_popups(self) -> None:
        popups, self._popups = [p for p in self._popups if p not in self._own_pages], []
        for popup in popups:
            await _close(popup)


async def _links(page: Page) -> list[tuple[str, str]]:
    if page.is_closed():
        return []
    try:
        raw = await asyncio.wait_for(page.evaluate(EXTRACT_LINKS_JS, MAX_LINKS_PER_PAGE), 10.0)
    except Exception:
        return []
    return [(str(href), str(text)) for href, text in raw or [] if isinstance(href, str)]


async def dismiss_dialog(dialog: Dialog) -> None:
    """Alerts, confirms and prompts are dismissed; "leave this page?" is answered yes, or the crawl would stay."""
    with contextlib.suppress(Exception):
        if dialog.type == "beforeunload":
            await dialog.accept()
        else:
            await dialog.dismiss()


async def _close(page: Page) -> None:
    with contextlib.suppress(Exception):
        await asyncio.wait_for(page.close(run_before_unload=False), CLOSE_PAGE_TIMEOUT_S)
