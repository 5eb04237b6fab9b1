"""Debian's Chromium driven by Playwright (async API), headless, in a throw-away profile.

Playwright's bundled browser is never used (it cannot be downloaded offline): Chromium is launched from
/usr/lib/chromium/chromium, bypassing Debian's /usr/bin wrapper. The profile is a persistent one written for the
session, because Playwright's ordinary contexts are incognito-like and Chromium blocks third-party cookies there
(blocked reason "UserPreferences"): a patient's browser sends a vendor's cookies with its pixels, so ours must.
That makes one context per launch: the probe uses one session per site, and its pages share it.

The HAR, when asked for, is recorded by Playwright with bodies embedded; it holds raw captured data, so it lives
in the session's private temporary folder (mode 0700) and is removed with it once exported (har_export.py).
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from phileak.errors import PhileakError

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Page, Playwright

log = logging.getLogger(__name__)

CHROMIUM_EXECUTABLE: Final = Path("/usr/lib/chromium/chromium")
LAUNCH_FLAGS: Final = (
    "--disable-quic",  # keep every request on TCP/TLS, where it is captured
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--metrics-recording-only",
)
# An ordinary Chrome user's cookie settings: third-party cookies allowed, no tracking-protection phase-out.
PROFILE_PREFERENCES: Final = {
    "profile": {"cookie_controls_mode": 0, "block_third_party_cookies": False,
                "default_content_setting_values": {"cookies": 1}},
    "tracking_protection": {"tracking_protection_3pcd_enabled": False},
}  # fmt: skip
CLOSE_TIMEOUT_S: Final = 20.0


class BrowserUnavailable(PhileakError):
    """Playwright or Chromium is missing, or Chromium would not start."""


@dataclass(frozen=True)
class BrowserConfig:
    host_rules: str  # the --host-resolver-rules value (hostrules.HostRules.rules)
    insecure: bool = False  # accept self-signed certificates (labs, staging)
    record_har: bool = False
    executable: Path = CHROMIUM_EXECUTABLE
    viewport: tuple[int, int] = (1280, 800)
    locale: str = "en-US"
    user_agent: str | None = None
    extra_args: tuple[str, ...] = field(default=())

    def launch_args(self) -> list[str]:
        args = [*LAUNCH_FLAGS, f"--host-resolver-rules={self.host_rules}"]
        if self.insecure:
            # ignore_https_errors does not reach service-worker script fetches; this flag does.
            args.append("--ignore-certificate-errors")
        return [*args, *self.extra_args]


def chromium_available(executable: Path = CHROMIUM_EXECUTABLE) -> bool:
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return executable.is_file()


class BrowserSession:
    """One Chromium with one persistent context. Start with `await BrowserSession.start(config)`; `close()`
    writes the HAR (when recorded) and stops Chromium; `discard()` removes the profile and the HAR."""

    def __init__(self, playwright: Playwright, context: BrowserContext, workdir: Path, har_path: Path | None):
        self._playwright = playwright
        self.context = context
        self.workdir = workdir
        self.har_path = har_path
        self.closed = False
        self.crashed = False
        context.on("close", self._on_close)

    @classmethod
    async def start(cls, config: BrowserConfig) -> BrowserSession:
        try:
            from playwright.async_api import Error as PlaywrightError
            from playwright.async_api import async_playwright
        except ImportError:
            raise BrowserUnavailable("Playwright is not installed (pip install playwright)") from None
        if not config.executable.is_file():
            raise BrowserUnavailable(f"Chromium not found at {config.executable} (apt-get install chromium)")
        workdir = Path(tempfile.mkdtemp(prefix="phileak-web-"))
        workdir.chmod(0o700)
        profile = workdir / "profile"
        (profile / "Default").mkdir(parents=True)
        (profile / "Default" / "Preferences").write_text(json.dumps(PROFILE_PREFERENCES), encoding="utf-8")
        har_path = workdir / "capture.har" if config.record_har else None
        playwright = await async_playwright().start()
        options: dict[str, Any] = {
            "executable_path": str(config.executable),
            "headless": True,
            "args": config.launch_args(),
            "ignore_https_errors": config.insecure,
            "viewport": {"width": config.viewport[0], "height": config.viewport[1]},
            "locale": config.locale,
            "accept_downloads": False,
            "service_workers": "allow",
        }
        if config.user_agent:
            options["user_agent"] = config.user_agent
        if har_path is not None:
            options.update(record_har_path=str(har_path), record_har_content="embed", record_har_mode="full")
        try:
            context = await playwright.chromium.launch_persistent_context(str(profile), **options)
        except PlaywrightError as exc:
            await playwright.stop()
            shutil.rmtree(workdir, ignore_errors=True)
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserUnavailable(f"Chromium did not start: {first_line[:200]}") from None
        except BaseException:
            await playwright.stop()
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        return cls(playwright, context, workdir, har_path)

    def _on_close(self, _context: object) -> None:
        if not self.closed:
            self.crashed = True
            log.warning("web: the browser went away")

    @property
    def alive(self) -> bool:
        return not (self.closed or self.crashed)

    async def new_page(self) -> Page:
        return await self.context.new_page()

    async def close(self) -> Path | None:
        """Close the context (Playwright writes the HAR then) and stop Playwright; the HAR's path, if any."""
        if self.closed:
            return self.har_path if self.har_path is not None and self.har_path.exists() else None
        self.closed = True
        with contextlib.suppress(Exception):
            await _bounded(self.context.close(), CLOSE_TIMEOUT_S)
        with contextlib.suppress(Exception):
            await _bounded(self._playwright.stop(), CLOSE_TIMEOUT_S)
        return self.har_path if self.har_path is not None and self.har_path.exists() else None

    def discard(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)

    async def __aenter__(self) -> BrowserSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
        self.discard()


async def _bounded(awaitable: Any, seconds: float) -> Any:
    import asyncio

    return await asyncio.wait_for(awaitable, seconds)
