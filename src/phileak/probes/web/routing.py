"""What happens to each request the page makes: the request-level half of the scope guard (hostrules.py is the
DNS-level half) and the third-party policy.

RoutingPolicy.decide says what happens to a request; two mechanisms apply it:

- the third-party gate (gate.py), in the default mode (third parties answered locally) when the scope is made of
  hostnames and addresses: the resolver rules send every name outside the scope to a local HTTP(S) server that
  decides each request. No request is intercepted in the browser, so in-scope requests never wait and the HTTP
  cache stays on. Router then only routes WebSockets and, while a dry-submit step runs, first-party writes.
- the router below, otherwise (a URL-prefix scope, `scripts` and `allow` modes): every request of the context
  not bound for an in-scope hostname goes through `context.route(...)` (the pattern, RoutingPolicy.routed_urls,
  is matched in Playwright's driver, so in-scope traffic costs no round trip to Python; Playwright still pauses
  every request and turns the HTTP cache off), and every WebSocket through `route_web_socket("**/*")`.

The capture (capture.py) has already recorded each request by then: what the page *tried* to send is the
evidence, whether or not it leaves the machine.

  in scope (ctx.scope allows the URL)            -> goes out
  first party (the site's registrable domain)     -> refused (aborted): never fetched, never navigated to
    but outside the scope
  any main-frame navigation outside the scope     -> refused: the crawl never leaves the site
  third party pinned by --resolve to an address   -> goes out, to that address (the lab's and the tests' local
    inside a CIDR scope rule                          tracker sinks; `--resolve '*=127.0.0.1'`)
  any other third party, by ThirdPartyMode:
    block (default)  -> answered locally: an empty 204 (CORS preflights get a permissive answer so the real
                        request, body included, is made and captured). No vendor receives anything.
    scripts          -> as block, except GETs for scripts, stylesheets and fonts whose URL carries no canary
                        value: those load from the vendor so its tag runs and fires (locally answered) beacons.
    allow            -> goes out. Only with the user's explicit flag: vendors then receive the canary.
  dry-submit on, first party in scope, a write   -> answered locally (200, an HTML page or `{}`): the page's
    (POST, PUT, PATCH, DELETE...)                   submit handlers ran, the site never receives the form. While
                                                    a dry-submit step runs, a catch-all route is added, and it
                                                    holds for every page of the context. GET forms go through.

Playwright does not route redirect hops (the gate sees them, as any other request). Without the gate, without a
`--resolve '*=IP'` pin and in block mode, the resolver rules make every name outside the scope unresolvable, so
an out-of-scope redirect fails there; otherwise (the lab's catch-all pin, scripts and allow modes) such a hop is
made, and Router.note_redirect counts it for a `scope-escape` finding.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Final, Protocol

from phileak.errors import ScopeViolation
from phileak.probes.web.domains import registrable_domain
from phileak.scope import Resolver, Scope, display_url, parse_ip

if TYPE_CHECKING:
    from playwright.async_api import BrowserContext, Request, Route, WebSocketRoute

log = logging.getLogger(__name__)

ANSWERED_HEADER: Final = "x-phileak"
ANSWERED_LOCALLY: Final = "answered-locally"
DRY_SUBMITTED: Final = "dry-submit"
_EVERYTHING: Final = "**/*"
_SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_STATIC_TYPES: Final = frozenset({"script", "stylesheet", "font"})
DRY_SUBMIT_PAGE: Final = (
    "<!doctype html><html><head><title>Answered locally by phileak</title></head><body>"
    "<p>phileak dry-submit: this form submission was answered locally and never reached the site.</p>"
    "</body></html>"
)


class ThirdPartyMode(StrEnum):
    BLOCK = "block"
    SCRIPTS = "scripts"
    ALLOW = "allow"


class Decision(StrEnum):
    FORWARD = "forward"
    ANSWER_EMPTY = "answer-empty"
    ANSWER_FORM = "answer-form"
    REFUSE = "refuse"


class WebSocketRecorder(Protocol):
    def record_websocket(self, url: str, direction: str, data: str | bytes, *, answered_locally: bool) -> None: ...


@dataclass(frozen=True)
class RoutingPolicy:
    scope: Scope
    first_party: frozenset[str]  # registrable domains of the start URLs
    resolver: Resolver = field(default_factory=Resolver)
    third_party: ThirdPartyMode = ThirdPartyMode.BLOCK
    carries_canary: Callable[[str], bool] | None = None

    def in_scope(self, url: str) -> bool:
        try:
            self.scope.check_url(url)
        except ScopeViolation:
            return False
        return True

    def is_first_party(self, host: str) -> bool:
        return registrable_domain(host) in self.first_party

    def pinned_inside_scope(self, host: str) -> bool:
        """--resolve sends `host` to addresses that a CIDR scope rule allows (a local sink)."""
        addresses = self.resolver.override_for(host) or ()
        return bool(addresses) and all(self.scope.allows_host(address) for address in addresses)

    def decide(
        self,
        url: str,
        *,
        method: str = "GET",
        resource_type: str = "other",
        main_frame_navigation: bool = False,
        dry_submit: bool = False,
    ) -> Decision:
        host = _host(url)
        if host is None:
            return Decision.FORWARD if url.startswith(("data:", "blob:", "about:")) else Decision.REFUSE
        if self.in_scope(url):
            if dry_submit and method.upper() not in _SAFE_METHODS and self.is_first_party(host):
                return Decision.ANSWER_FORM
            return Decision.FORWARD
        if main_frame_navigation or self.is_first_party(host):
            return Decision.REFUSE
        if self.pinned_inside_scope(host) or self.third_party is ThirdPartyMode.ALLOW:
            return Decision.FORWARD
        if (
            self.third_party is ThirdPartyMode.SCRIPTS
            and method.upper() == "GET"
            and resource_type in _STATIC_TYPES
            and not (self.carries_canary is not None and self.carries_canary(url))
        ):
            return Decision.FORWARD
        return Decision.ANSWER_EMPTY

    def gate_applies(self) -> bool:
        """Whether the third-party gate (gate.py) can make every decision below the browser: third parties are
        answered locally, and the scope depends on hostnames and addresses only (a URL-prefix rule whose host no
        hostname or CIDR rule allows needs each URL routed)."""
        if self.third_party is not ThirdPartyMode.BLOCK:
            return False
        return all(self.scope.allows_host(_host(rule) or "") for rule in self.scope.rules() if "://" in rule)

    def routed_urls(self) -> re.Pattern[str]:
        """The URLs that need a decision: all but those on an in-scope hostname (exact or `*.` rule), which are
        always forwarded. Matched inside Playwright's driver, so in-scope requests cost no round trip to Python;
        anything unusual about such a URL (credentials, a trailing dot) makes it routed, never skipped."""
        names = []
        for rule in self.scope.rules():
            if "://" in rule or "/" in rule or parse_ip(rule) is not None:
                continue
            if rule.startswith("*."):
                names.append(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\." + _escape_name(rule[2:]))
            else:
                names.append(_escape_name(rule))
        if not names:
            return re.compile(r"^")
        return re.compile(rf"^(?!https?://(?:{'|'.join(names)})(?::\d+)?(?:[/?#]|$))", re.IGNORECASE)

    def decide_websocket(self, url: str) -> Decision:
        host = _host(url)
        if host is None:
            return Decision.REFUSE
        http_url = "http" + url[2:] if url.startswith("ws") else url
        if self.in_scope(http_url) or self.pinned_inside_scope(host) or self.third_party is ThirdPartyMode.ALLOW:
            return Decision.FORWARD
        if self.is_first_party(host):
            return Decision.REFUSE
        return Decision.ANSWER_EMPTY


class Router:
    """Applies a RoutingPolicy to a browser context; counts what it refused and answered locally."""

    def __init__(
        self,
        policy: RoutingPolicy,
        recorder: WebSocketRecorder | None = None,
        *,
        resolvable: Callable[[str], bool] | None = None,
        gated: bool = False,
    ) -> None:
        self.policy = policy
        self.gated = gated  # the gate (gate.py) decides requests outside the scope: no HTTP route is installed
        self.recorder = recorder
        self.resolvable = resolvable  # hostrules.HostRules.resolvable: can the browser reach this name at all?
        self._dry_holds = 0  # steps running in dry-submit mode (pages of one context may act at once)
        self._context: BrowserContext | None = None
        self.refused: dict[str, int] = {}  # display URL (no query) -> times
        self.answered_locally = 0
        self.dry_submitted: list[str] = []  # display URLs of first-party writes answered locally
        self.escaped: dict[str, int] = {}  # display URL -> redirect hops that left the scope (not routable)

    @property
    def dry_submit(self) -> bool:
        return self._dry_holds > 0

    @contextlib.asynccontextmanager
    async def dry_submitting(self, active: bool = True) -> AsyncIterator[None]:
        """While inside (when `active`), first-party writes of the whole context are answered locally: a
        catch-all route is added, since in-scope requests are otherwise not routed at all."""
        if not active:
            yield
            return
        self._dry_holds += 1
        try:
            if self._dry_holds == 1 and self._context is not None:
                await self._context.route(_EVERYTHING, self._handle)
            yield
        finally:
            self._dry_holds -= 1
            if self._dry_holds == 0 and self._context is not None:
                with contextlib.suppress(Exception):
                    await self._context.unroute(_EVERYTHING, self._handle)

    def note_redirect(self, url: str) -> None:
        """A redirect hop, which Playwright does not route: count it when it left the scope for the site."""
        host = _host(url)
        if host is None or (self.resolvable is not None and not self.resolvable(host)):
            return  # the resolver rules stopped it
        if self.policy.is_first_party(host) and not self.policy.in_scope(url):
            shown = display_url(url)
            self.escaped[shown] = self.escaped.get(shown, 0) + 1

    async def install(self, context: BrowserContext) -> None:
        self._context = context
        if not self.gated:
            await context.route(self.policy.routed_urls(), self._handle)
        await context.route_web_socket(_EVERYTHING, self._handle_websocket)

    async def _handle(self, route: Route) -> None:
        from playwright.async_api import Error as PlaywrightError

        request = route.request
        decision = self.policy.decide(
            request.url,
            method=request.method,
            resource_type=request.resource_type,
            main_frame_navigation=_is_main_frame_navigation(request),
            dry_submit=self.dry_submit,
        )
        try:
            if decision is Decision.FORWARD:
                await route.continue_()
            elif decision is Decision.ANSWER_EMPTY:
                self.answered_locally += 1
                await route.fulfill(status=204, headers=local_answer_headers(request.method, _request_headers(request)))
            elif decision is Decision.ANSWER_FORM:
                self.dry_submitted.append(display_url(request.url))
                navigation = request.is_navigation_request()
                await route.fulfill(
                    status=200,
                    headers={ANSWERED_HEADER: DRY_SUBMITTED},
                    content_type="text/html" if navigation else "application/json",
                    body=DRY_SUBMIT_PAGE if navigation else "{}",
                )
            else:
                shown = display_url(request.url)
                self.refused[shown] = self.refused.get(shown, 0) + 1
                await route.abort("blockedbyclient")
        except PlaywrightError as exc:  # the page or context went away meanwhile
            log.debug("web: route for a request ended early: %s", type(exc).__name__)

    async def _handle_websocket(self, socket: WebSocketRoute) -> None:
        url = socket.url
        decision = self.policy.decide_websocket(url)
        recorder = self.recorder
        if decision is Decision.REFUSE:
            shown = display_url(url)
            self.refused[shown] = self.refused.get(shown, 0) + 1
            await socket.close(code=1008, reason="refused by phileak")
            return
        if decision is Decision.ANSWER_EMPTY:
            self.answered_locally += 1

            def keep(message: str | bytes) -> None:
                if recorder is not None:
                    recorder.record_websocket(url, "sent", message, answered_locally=True)

            socket.on_message(keep)
            return
        server = socket.connect_to_server()

        def upstream(message: str | bytes) -> None:
            if recorder is not None:
                recorder.record_websocket(url, "sent", message, answered_locally=False)
            server.send(message)

        def downstream(message: str | bytes) -> None:
            if recorder is not None:
                recorder.record_websocket(url, "received", message, answered_locally=False)
            socket.send(message)

        socket.on_message(upstream)
        server.on_message(downstream)


def _escape_name(name: str) -> str:
    """A checked hostname (letters, digits, "-", "_", ".") as a regex both Python and JavaScript read alike."""
    return name.replace(".", r"\.")


def _host(url: str) -> str | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        return None
    return parts.hostname.lower()


def _is_main_frame_navigation(request: Request) -> bool:
    if not request.is_navigation_request():
        return False
    try:
        return request.frame.parent_frame is None
    except Exception:  # no frame yet: the first navigation of a new page (a pop-up)
        return True


def _request_headers(request: Request) -> dict[str, str]:
    """The headers a CORS answer needs (origin, preflight asks); the provisional ones are enough."""
    return {name.lower(): value for name, value in request.headers.items()}


def local_answer_headers(method: str, headers: dict[str, str]) -> dict[str, str]:
    """An empty answer's headers: enough CORS for the caller (`headers`: the request's, names lower-cased) to
    make, and complete, the real request after a preflight."""
    answer = {ANSWERED_HEADER: ANSWERED_LOCALLY}
    origin = headers.get("origin")
    if origin:
        answer["access-control-allow-origin"] = origin
        answer["access-control-allow-credentials"] = "true"
        answer["vary"] = "Origin"
    if method.upper() == "OPTIONS":
        answer["access-control-allow-methods"] = headers.get("access-control-request-method", "GET, POST")
        asked = headers.get("access-control-request-headers")
        if asked:
            answer["access-control-allow-headers"] = asked
        answer["access-control-max-age"] = "600"
    return answer


def first_party_domains(hosts: list[str]) -> frozenset[str]:
    return frozenset(registrable_domain(h) if parse_ip(h) is None else h for h in hosts if h)
