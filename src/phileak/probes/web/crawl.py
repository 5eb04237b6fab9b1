"""Which pages to visit, in which order: same-site link discovery with health-first priorities.

A random sample of links (Blacklight, WEC, OpenWPM) misses exactly the pages where the Kaiser and hospital
Meta-Pixel cases happened, so links are ranked by what their URL and anchor text say they are:

  condition   health encyclopedia, conditions, diseases, treatments, services       (the page topic leaks)
  doctor      find a doctor / provider / specialist, locations
  booking     appointment, booking, scheduling, request a visit                     (identity is collected)
  symptom     symptom checker, triage, "check your symptoms"
  portal      patient portal, MyChart, login, sign in                              (authenticated side)
  search      site search pages
then everything else, shallow pages first. Only links on the site (same registrable domain as a start URL) are
followed; those outside the scope are recorded as refused and never visited. No robots.txt (auditing a site one
is authorised to test), but polite: one page at a time per host by default, with a delay between pages.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from phileak.probes.web.domains import registrable_domain
from phileak.scope import display_url, parse_ip

MAX_LINKS_PER_PAGE: Final = 2000
START_WEIGHT: Final = 1000
PRIORITY_CLASSES: Final = (
    ("booking", 90, r"appointments?|book(ing)?|schedul(e|ing)|request[- ]an?[- ]appointment|make[- ]an?[- ]appointment"
                    r"|rendez[- ]vous|prendre[- ]rdv"),
    ("symptom", 85, r"symptom[- ]?checker|check[- ](your[- ])?symptoms|triage|symptoms?"),
    ("condition", 80, r"conditions?|diseases?|health[- ]?(library|encyclopedia|topics?|a[- ]?z)|encyclopedia"
                      r"|treatments?|disorders?|illness|diagnos[ie]s|services|specialt(y|ies)|maladies?|pathologies?"),
    ("doctor", 75, r"find[- ]a[- ](doctor|provider|physician|specialist)|doctors?|physicians?|providers?"
                   r"|specialists?|our[- ]team|m[ée]decins?|praticiens?"),
    ("portal", 70, r"patient[- ]?portal|portal|mychart|my[- ]?health|log[- ]?in|sign[- ]?in|account|espace[- ]patient"),
    ("search", 60, r"search|recherche"),
)  # fmt: skip
_CLASS_PATTERNS: Final = tuple(
    (name, weight, re.compile(rf"(?:^|[^a-z])(?:{words})(?:[^a-z]|$)", re.IGNORECASE))
    for name, weight, words in PRIORITY_CLASSES
)
_SKIPPED_EXTENSIONS: Final = frozenset(
    {"pdf", "zip", "gz", "tgz", "rar", "7z", "exe", "dmg", "msi", "apk", "ipa", "iso", "bin", "jpg", "jpeg", "png",
     "gif", "webp", "svg", "ico", "bmp", "tif", "tiff", "mp3", "mp4", "m4a", "wav", "avi", "mov", "mkv", "webm",
     "ogg", "flac", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "csv", "ics", "vcf", "xml", "rss",
     "atom", "json", "woff", "woff2", "ttf", "otf", "eot", "css", "js", "map"}
)  # fmt: skip
_SKIPPED_SCHEMES_IN_HREF: Final = ("mailto:", "tel:", "javascript:", "data:", "blob:", "sms:", "ftp:")

EXTRACT_LINKS_JS: Final = """
(max) => {
  const out = [];
  const anchors = document.querySelectorAll("a[href], area[href]");
  for (let i = 0; i < anchors.length && out.length < max; i++) {
    const a = anchors[i];
    out.push([a.href, ((a.innerText || a.getAttribute("aria-label") || a.title || "") + "").slice(0, 120)]);
  }
  return out;
}
"""


def link_class(url: str, text: str = "") -> tuple[str | None, int]:
    """(priority class, weight) of a link from its path, query and anchor text; (None, 0) when none fits."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, 0
    haystack = f"{parts.path} {parts.query} {text}"
    for name, weight, pattern in _CLASS_PATTERNS:
        if pattern.search(haystack):
            return name, weight
    return None, 0


def normalise_link(base: str, href: str) -> str | None:
    """`href` made absolute against `base`, without fragment, default port or empty query; None for what is
    not a web page (mailto:, downloads, media)."""
    href = href.strip()
    if not href or href.lower().startswith(_SKIPPED_SCHEMES_IN_HREF):
        return None
    try:
        absolute, _ = urldefrag(urljoin(base, href))
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    extension = parts.path.rsplit("/", 1)[-1].rpartition(".")[2].lower() if "." in parts.path.rsplit("/", 1)[-1] else ""
    if extension in _SKIPPED_EXTENSIONS:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if port in (None, default) else f"{host}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


def site_of(host: str) -> str:
    return host if parse_ip(host) is not None else registrable_domain(host)


@dataclass(order=True)
class _Queued:
    sort_key: tuple[int, int, int]
    url: str = field(compare=False)
    depth: int = field(compare=False)
    page_class: str | None = field(compare=False)


@dataclass(frozen=True)
class PageTask:
    url: str
    depth: int
    page_class: str | None


class Frontier:
    """Pages to visit, best first: class weight, then depth, then discovery order. Each URL once."""

    def __init__(self, sites: Iterable[str], in_scope: Callable[[str], bool]) -> None:
        self.sites = frozenset(sites)
        self._in_scope = in_scope
        self._heap: list[_Queued] = []
        self._seen: set[str] = set()
        self._order = itertools.count()
        self.refused: dict[str, int] = {}  # display URL -> links to it that were not followed (out of scope)
        self.off_site = 0

    def __len__(self) -> int:
        return len(self._heap)

    def add(self, url: str, *, depth: int = 0, text: str = "", start: bool = False) -> bool:
        """Queue `url` if it is on the site, in scope and new; True if queued. Start URLs go first."""
        if url in self._seen:
            return False
        self._seen.add(url)
        host = urlsplit(url).hostname or ""
        if site_of(host) not in self.sites:
            self.off_site += 1
            return False
        if not self._in_scope(url):
            shown = display_url(url)
            self.refused[shown] = self.refused.get(shown, 0) + 1
            return False
        page_class, weight = link_class(url, text)
        weight = START_WEIGHT if start else weight
        heapq.heappush(self._heap, _Queued((-weight, depth, next(self._order)), url, depth, page_class))
        return True

    def add_links(self, base: str, links: Iterable[tuple[str, str]], depth: int) -> int:
        added = 0
        for href, text in links:
            url = normalise_link(base, href)
            if url is not None and self.add(url, depth=depth, text=text):
                added += 1
        return added

    def pop(self) -> PageTask | None:
        if not self._heap:
            return None
        item = heapq.heappop(self._heap)
        return PageTask(item.url, item.depth, item.page_class)
