"""Web audit speed against the lab's leaky hospital site (src/phileak/lab/leaky_site), real Chromium throughout.

Run (as root; the script puts itself in a fresh network namespace with only lo):
    .venv/bin/python benchmarks/web_audit.py [--pages 30] [--rounds 3] [--crawl-pages 50]

1. Instrumentation overhead. The same lab pages (condition and health-library pages, every tracker of the site
   firing) are loaded one after another in one Chromium, waiting for `load`, in two modes built the same way
   (Debian's Chromium, a fresh persistent profile, the same flags; every name pinned to 127.0.0.1):
     bare          Playwright only: no routing, no listeners;
     instrumented  the web probe as a scan of this scope runs it: its capture (every request, bodies, headers,
                   cookies, WebSockets), the third-party gate (gate.py: every request outside the scope decided
                   and forwarded to the pinned local trackers) and the router's WebSocket routes, with each page
                   as one capture step.
   With --breakdown, also: the capture with Playwright's request interception instead of the gate (what a
   URL-prefix scope or --third-party scripts uses), the capture alone, each guard alone, interception with no
   URL routed, and the bare browser with its HTTP cache off.
   Rounds alternate the modes; the best round of each counts. The check: instrumented time per page is at most
   1.3x bare. Leak detection on the captured steps is timed on its own (it runs beside the browser in a scan).
2. A 50-page crawl. The web probe (crawl, automatic flows with form filling and searches, leak detection) audits
   the lab site with --max-pages 50 and no politeness delay. Reported: pages/min of wall time and pages per
   CPU-minute (this process and its children: the Playwright driver and Chromium), i.e. pages/min per core.

The lab's leaky-site service runs through the Lab framework on 127.0.0.1:443, as in `phileak lab up`.
Exit status 0 when the overhead is within 1.3x and the crawl visited the pages asked for.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phileak.lab import Lab, ServiceState
from phileak.lab.leaky_site import SITE_HOST, site_origin
from phileak.lab.leaky_site.content import LIBRARY_TOPICS, slug
from phileak.lab.web_services import LEAKY_SITE
from phileak.phi.identity import IdentityHasher
from phileak.probes.base import Limits, ScanContext
from phileak.probes.web.browser import CHROMIUM_EXECUTABLE, PROFILE_PREFERENCES, BrowserConfig, BrowserSession
from phileak.probes.web.capture import Capture, StepCapture
from phileak.probes.web.capture_model import CaptureSession
from phileak.probes.web.gate import Gate
from phileak.probes.web.hostrules import build_host_rules
from phileak.probes.web.leaks import LeakDetector
from phileak.probes.web.probe import SiteAudit, WebSettings
from phileak.probes.web.routing import Router, RoutingPolicy, first_party_domains
from phileak.scope import Resolver, Scope
from phileak.targets import parse_target

OVERHEAD_LIMIT = 1.3
HOST_RULES = "MAP *.googleapis.com ~NOTFOUND, MAP clients*.google.com ~NOTFOUND, MAP * 127.0.0.1"
SCOPE_RULES = ["*.lab-hospital.test", "127.0.0.1/32"]
KEY = b"benchmark-identity-key-32-bytes!"


@dataclass
class Round:
    mode: str
    pages: int
    seconds: float
    requests: int = 0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds


def page_urls(origin: str, count: int) -> list[str]:
    paths = ["/conditions/hiv.html", "/conditions/depression.html", "/library/index.html"]
    paths += [f"/library/{slug(topic)}.html" for topic in LIBRARY_TOPICS]
    return [origin + path for path in paths[:count]]


async def bare_round(urls: list[str], profile: Path, *, cache_off: bool = False) -> Round:
    from playwright.async_api import async_playwright

    _write_preferences(profile)
    config = BrowserConfig(host_rules=HOST_RULES, insecure=True)
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile), executable_path=str(CHROMIUM_EXECUTABLE), headless=True, args=config.launch_args(),
            ignore_https_errors=True, viewport={"width": 1280, "height": 800}, service_workers="allow",
        )  # fmt: skip
        page = await context.new_page()
        if cache_off:  # what Playwright does to the cache when a route is installed, without the routing
            cdp = await context.new_cdp_session(page)
            await cdp.send("Network.enable")
            await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        await page.goto(urls[0], wait_until="load")  # browser and caches warm, as in the other mode
        started = time.perf_counter()
        for url in urls:
            await page.goto(url, wait_until="load")
        seconds = time.perf_counter() - started
        await context.close()
    return Round("bare, HTTP cache off" if cache_off else "bare", len(urls), seconds)


async def instrumented_round(
    urls: list[str],
    steps_out: list[StepCapture],
    *,
    capturing: bool = True,
    routing: str = "gate",  # "gate" (the probe's default), "intercept" (Playwright routes), "none"
    intercept_nothing: bool = False,
) -> Round:
    scope = Scope.from_rules(SCOPE_RULES)
    resolver = Resolver.parse(["*=127.0.0.1"])
    policy = RoutingPolicy(scope=scope, first_party=first_party_domains([SITE_HOST]), resolver=resolver)
    gate = await Gate(policy, insecure=True).start() if routing == "gate" else None
    config = BrowserConfig(host_rules=HOST_RULES, insecure=True)
    if gate is not None:  # as the probe launches it
        rules = await build_host_rules(scope, resolver, start_hosts=[SITE_HOST], gate=gate.ports)
        config = BrowserConfig(host_rules=rules.rules, insecure=True, extra_args=gate.browser_flags())
    try:
        async with await BrowserSession.start(config) as session:
            wire = gate.take_wire_record if gate is not None else None
            capture = Capture(session.context, is_first_party=policy.is_first_party, wire_records=wire)
            if capturing:
                capture.attach()
            if routing != "none":  # Playwright turns the HTTP cache off once an HTTP route is installed
                await Router(policy, capture, gated=gate is not None).install(session.context)
            if intercept_nothing:  # request interception on (cache off), but no request ever reaches Python
                await session.context.route(re.compile(r"^$"), lambda route: route.continue_())
            page = await session.new_page()
            warm = capture.begin(page, "warm-up")
            await page.goto(urls[0], wait_until="load")
            await capture.end(warm)
            started = time.perf_counter()
            for url in urls:
                step = capture.begin(page, "landing")
                await page.goto(url, wait_until="load")
                steps_out.append(await capture.end(step))
            seconds = time.perf_counter() - started
    finally:
        if gate is not None:
            await gate.close()
    if intercept_nothing:
        mode = "interception on, nothing routed"
    elif routing == "intercept":
        mode = "instrumented, Playwright routes" if capturing else "Playwright routes only"
    else:
        mode = "instrumented" if capturing and routing == "gate" else "capture only" if capturing else "gate only"
    return Round(mode, len(urls), seconds, sum(len(s.requests) for s in steps_out))


def detection_seconds(steps: list[StepCapture]) -> float:
    detector = LeakDetector(first_party=SITE_HOST, hasher=IdentityHasher(KEY))
    started = time.perf_counter()
    for step in steps:
        detector.observe(CaptureSession(page_url=step.page_url, requests=step.requests, title=step.title))
    detector.findings(probe="web", target="benchmark")
    return time.perf_counter() - started


async def crawl(origin: str, max_pages: int) -> dict[str, Any]:
    target = parse_target("web", origin + "/")
    ctx = ScanContext(
        scan_id="benchmark-web-audit",
        scope=Scope.from_rules(SCOPE_RULES),
        identity=IdentityHasher(KEY),
        limits=Limits(timeout_s=1800.0, retries=0),
        resolver=Resolver.parse(["*=127.0.0.1"]),
        insecure=True,
        options={"max_pages": max_pages, "delay_s": 0.0, "submit_forms": "dry"},
    )
    audit = SiteAudit(target, ctx, WebSettings.from_options(ctx.options))
    before = _cpu_seconds()
    started = time.perf_counter()
    findings = {}
    async for finding in audit.findings():
        findings[finding.id] = finding
    wall = time.perf_counter() - started
    cpu = _cpu_seconds() - before  # the browser has exited: its CPU time is in RUSAGE_CHILDREN by now
    return {"pages": audit.summary.pages_visited, "wall_s": wall, "cpu_s": cpu, "findings": len(findings),
            "errors": len(audit.summary.errors)}  # fmt: skip


def _cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _write_preferences(profile: Path) -> None:
    (profile / "Default").mkdir(parents=True, exist_ok=True)
    (profile / "Default" / "Preferences").write_text(json.dumps(PROFILE_PREFERENCES), encoding="utf-8")


async def overhead(
    origin: str, pages: int, rounds: int, scratch: Path, breakdown: bool
) -> tuple[dict[str, Round], float]:
    """The best round of each mode, and the best leak-detection time over the instrumented captures."""
    urls = page_urls(origin, pages)
    results: dict[str, list[Round]] = {}
    detection: list[float] = []
    for number in range(rounds):
        results.setdefault("bare", []).append(await bare_round(urls, scratch / f"bare-{number}"))
        steps: list[StepCapture] = []
        results.setdefault("instrumented", []).append(await instrumented_round(urls, steps))
        detection.append(detection_seconds(steps))
        if breakdown:
            for capturing, routing in ((True, "intercept"), (True, "none"), (False, "gate"), (False, "intercept")):
                other = await instrumented_round(urls, [], capturing=capturing, routing=routing)
                results.setdefault(other.mode, []).append(other)
            nothing = await instrumented_round(urls, [], capturing=False, routing="none", intercept_nothing=True)
            results.setdefault(nothing.mode, []).append(nothing)
            uncached = await bare_round(urls, scratch / f"bare-uncached-{number}", cache_off=True)
            results.setdefault(uncached.mode, []).append(uncached)
    return {mode: min(rounds_, key=lambda r: r.seconds) for mode, rounds_ in results.items()}, min(detection)


def isolated() -> bool:
    return [name for _, name in socket.if_nameindex()] == ["lo"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=30, help="pages per overhead round (default 30)")
    parser.add_argument("--rounds", type=int, default=3, help="overhead rounds per mode (default 3)")
    parser.add_argument("--crawl-pages", type=int, default=50, help="--max-pages of the crawl (default 50)")
    parser.add_argument("--breakdown", action="store_true", help="also time capture alone and routing alone")
    args = parser.parse_args()
    if not isolated():
        if os.geteuid() != 0 or shutil.which("unshare") is None:
            print("needs root and unshare: the lab's sink takes 127.0.0.1:443 in a loopback-only namespace")
            return 2
        inner = [sys.executable, *sys.argv]
        return subprocess.call(["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "bench", *inner])
    if not CHROMIUM_EXECUTABLE.is_file():
        print(f"Chromium is not installed at {CHROMIUM_EXECUTABLE}")
        return 2

    with tempfile.TemporaryDirectory(prefix="phileak-web-bench-") as scratch_dir:
        scratch = Path(scratch_dir)
        lab = Lab(scratch / "lab", [LEAKY_SITE])
        [status] = lab.up()
        try:
            if status.state is not ServiceState.RUNNING:
                print(status.report())
                return 2
            origin = site_origin(status.ports["https"])
            cores = os.cpu_count() or 1
            print(f"lab site {origin}/ on {cores} cores; Chromium {CHROMIUM_EXECUTABLE}")
            modes, detect = asyncio.run(overhead(origin, args.pages, args.rounds, scratch, args.breakdown))
            bare, instrumented = modes["bare"], modes["instrumented"]
            ratio = instrumented.seconds / bare.seconds
            verdict = "ok" if ratio <= OVERHEAD_LIMIT else "OVER"
            print(f"overhead ({args.pages} pages, best of {args.rounds} rounds, wait for load):")
            for mode, best in modes.items():
                print(f"  {mode:<32}{best.pages_per_second:6.2f} pages/s  ({best.seconds / bare.seconds:.2f}x bare)")
            print(f"  instrumented: {instrumented.requests} requests captured and routed; ratio {ratio:.2f}x "
                  f"(limit {OVERHEAD_LIMIT}x): {verdict}")  # fmt: skip
            print(f"  leak detection   {args.pages / detect:6.1f} pages/s on the captured steps (beside the browser)")
            result = asyncio.run(crawl(origin, args.crawl_pages))
            wall_min, cpu_min = result["wall_s"] / 60, result["cpu_s"] / 60
            print(f"crawl (web probe, --max-pages {args.crawl_pages}, automatic flows, dry-submit, no delay):")
            print(f"  {result['pages']} pages in {result['wall_s']:.1f} s wall, {result['cpu_s']:.1f} s CPU; "
                  f"{result['findings']} findings, {result['errors']} page errors")  # fmt: skip
            print(f"  {result['pages'] / wall_min:6.1f} pages/min wall clock")
            print(f"  {result['pages'] / cpu_min:6.1f} pages/min per core (pages per CPU-minute)")
            crawled_enough = result["pages"] >= min(args.crawl_pages, 50)
            return 0 if ratio <= OVERHEAD_LIMIT and crawled_enough else 1
        finally:
            lab.down()


if __name__ == "__main__":
    sys.exit(main())
