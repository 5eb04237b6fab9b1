"""One page, acted on step by step: each action (a navigation, a search, filling a form, a submit, a click) is a
step whose traffic is captured and handed on with the page context it happened in.

A step is: open the capture step, act, let the page settle (load, then a short network-idle wait, so beacons
fired by blur or submit handlers are in), close the step. An action that fails or times out is recorded as the
step's error; what the page sent until then is still handed on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Final

from phileak.logsafe import scrub
from phileak.probes.web.capture import Capture, StepCapture
from phileak.probes.web.capture_model import STEP_LANDING
from phileak.probes.web.routing import Router
from phileak.scope import display_url

if TYPE_CHECKING:
    from playwright.async_api import Page

log = logging.getLogger(__name__)

NETWORK_IDLE_CAP_S: Final = 1.5


class SubmitMode(StrEnum):
    NONE = "none"  # forms are filled, never submitted (the default)
    DRY = "dry"  # submit handlers run; the first-party write is answered locally
    REAL = "real"  # --submit-forms: the site receives the form


@dataclass(frozen=True, slots=True)
class StepFlags:
    authenticated: bool = False
    identity_collected: bool = False
    condition_page: bool = False


@dataclass(frozen=True, slots=True)
class StepResult:
    capture: StepCapture
    flags: StepFlags
    error: str | None = None
    url: str | None = None  # the page's URL, or the one being loaded when it never committed


StepSink = Callable[[StepResult], None]


@dataclass
class ActorSettings:
    action_timeout_s: float = 15.0
    settle_s: float = NETWORK_IDLE_CAP_S
    min_settle_s: float = 0.25


class PageActor:
    """Runs steps on `page`; every finished step goes to `sink`."""

    def __init__(
        self,
        page: Page,
        capture: Capture,
        router: Router,
        sink: StepSink,
        settings: ActorSettings | None = None,
    ) -> None:
        self.page = page
        self.capture = capture
        self.router = router
        self.sink = sink
        self.settings = settings or ActorSettings()
        self.flags = StepFlags()
        self.url_hint: str | None = None

    async def step(
        self,
        label: str,
        action: Callable[[], Awaitable[object]],
        *,
        identity: bool = False,
        dry_submit: bool = False,
        timeout_s: float | None = None,
    ) -> StepResult:
        """Run `action` as the step `label`. With `dry_submit`, first-party writes are answered locally while
        it runs. Never raises for the action's own failure: the result carries it."""
        step = self.capture.begin(self.page, label)
        error: str | None = None
        async with self.router.dry_submitting(dry_submit):
            try:
                await asyncio.wait_for(action(), timeout_s or self.settings.action_timeout_s)
                await self.settle()
            except TimeoutError:
                error = f"{label}: no result within {timeout_s or self.settings.action_timeout_s:.0f} s"
            except Exception as exc:
                error = f"{label}: {short_error(exc)}"
        if identity:
            self.flags = replace(self.flags, identity_collected=True)
        # A landing that failed before committing leaves the page showing the previous URL: name the one tried.
        failed_landing = error is not None and label == STEP_LANDING and self.url_hint is not None
        captured = await self.capture.end(step, page_url=self.url_hint if failed_landing else None)
        result = StepResult(captured, self.flags, error, captured.page_url or self.url_hint)
        self.sink(result)
        return result

    async def settle(self) -> None:
        """Let the page finish what the action started: its load, then network idle (capped)."""
        page = self.page
        await asyncio.sleep(self.settings.min_settle_s)
        with contextlib.suppress(Exception):
            await page.wait_for_load_state("load", timeout=self.settings.action_timeout_s * 1000)
        with contextlib.suppress(Exception):
            await page.wait_for_load_state("networkidle", timeout=self.settings.settle_s * 1000)

    def mark(self, *, authenticated: bool | None = None, condition_page: bool | None = None) -> None:
        if authenticated is not None:
            self.flags = replace(self.flags, authenticated=authenticated)
        if condition_page is not None:
            self.flags = replace(self.flags, condition_page=condition_page)


def short_error(exc: BaseException) -> str:
    """The first line of an error message, without Playwright's call log, URLs cut to scheme, host and path,
    identifiers scrubbed."""
    text = str(exc).split("Call log:", 1)[0].strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    first = _URL.sub(lambda m: display_url(m[0]), first)
    return scrub(first)[:300]


_URL: Final = re.compile(r"(?:https?|wss?)://[^\s\"'<>]+")
