"""Leak detection over captured sessions: which third party received what, from which page, in which step.

A request is third-party when its registrable domain is not the site's. Every third-party request is decoded
(vendor decoder from the catalogue, then the generic one) and searched (hits.py). Per request:
  identifiers + health context  -> phi-to-third-party   (health context: a health term, the canary symptom or
                                                          search term, or an authenticated / identity-collecting
                                                          page / app, where OCR reads identifiers as PHI)
  identifiers alone              -> identifiers-to-third-party
  health context alone           -> health-context-to-third-party (condition page URL/title, search term)
  the vendor's login cookies     -> logged-in-to-vendor
and, per vendor, tracker-present (info) and session-replay-present. Occurrences merge into one finding per
key (recipient host, kind, field or parameter), so ids are stable across crawls; the worst occurrence sets the
severity and gives the redacted request copy.

Usage (the web probe, the HAR probe):
    detector = LeakDetector(first_party="www.example-health.test", hasher=ctx.identity, canary=matcher)
    for session in sessions: detector.observe(session)
    findings = detector.findings(probe="web", target=start_url)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Literal

from phileak import logsafe
from phileak.model import Finding
from phileak.phi.canary import UNIQUE_FIELDS, CanaryMatcher
from phileak.phi.identity import IdentityHasher
from phileak.probes.web.capture_model import CapturedRequest, CaptureSession
from phileak.probes.web.catalogue import Catalogue, Vendor, default_catalogue
from phileak.probes.web.decoders import decode_request
from phileak.probes.web.decoders.payload import looks_hashed
from phileak.probes.web.domains import registrable_domain
from phileak.probes.web.health_terms import HealthTerms, default_health_terms
from phileak.probes.web.hits import HitFinder, PageFacts, RequestHits
from phileak.probes.web.leak_report import Occurrence, Report
from phileak.probes.web.legal import PHI_CONTEXTS, LeakKind, PageContext, classify
from phileak.probes.web.phi_bridge import PhiAnalyser, load_phi_engine
from phileak.probes.web.redaction import RequestRedactor

log = logging.getLogger(__name__)

_SKIPPED_SCHEMES = ("data:", "blob:", "about:", "chrome", "javascript:", "file:")


class LeakDetector:
    """Accumulates captured sessions; `findings()` turns what it saw into findings."""

    def __init__(
        self,
        *,
        first_party: str | Iterable[str],
        hasher: IdentityHasher | None = None,
        canary: CanaryMatcher | None = None,
        catalogue: Catalogue | None = None,
        engine: PhiAnalyser | Literal["auto"] | None = "auto",
        health_terms: HealthTerms | None = None,
    ) -> None:
        hosts = [first_party] if isinstance(first_party, str) else list(first_party)
        self.first_party = frozenset(registrable_domain(h) for h in hosts if h)
        self.catalogue = catalogue or default_catalogue()
        self.terms = health_terms or default_health_terms()
        self.engine = load_phi_engine(hasher) if engine == "auto" else engine
        self._hasher = hasher
        self._finder = HitFinder(canary, self.engine, self.terms)
        self._redactor = RequestRedactor(canary)
        self._report = Report(self._redactor)
        self.requests_seen = 0
        self.third_party_requests = 0
        self.engine_failures = 0

    def is_third_party(self, host: str) -> bool:
        return registrable_domain(host) not in self.first_party

    def page_context(self, session: CaptureSession) -> PageContext:
        condition = session.condition_page or bool(self._page_terms(session))
        return classify(
            authenticated=session.authenticated,
            identity_collected=session.identity_collected,
            app=session.app,
            condition_page=condition,
        )

    def identity_typed(self, session: CaptureSession) -> bool:
        """Whether a unique canary value went to the first party (the tester typed it into the site or app):
        for imports, where no crawler says that identity was collected."""
        canary = self._finder.canary
        if canary is None:
            return False
        for req in session.requests:
            host = req.host
            if host and not self.is_third_party(host):
                hits = canary.find(req.url) + canary.find(req.body)
                if any(m.field in UNIQUE_FIELDS and m.field not in ("symptom", "search_term") for m in hits):
                    return True
        return False

    def observe(self, session: CaptureSession) -> None:
        context = self.page_context(session)
        page = PageFacts(
            session.page_url, session.title, session.condition_page or context is PageContext.CONDITION_PAGE
        )
        for req in session.requests:
            self.requests_seen += 1
            self._observe_request(req, session, context, page)

    def findings(self, *, probe: str, target: str) -> list[Finding]:
        return self._report.findings(probe=probe, target=target)

    def notes(self) -> dict[str, object]:
        """How detection ran, for evidence and logs: engine, vocabulary, counts."""
        return {
            "phi_engine": "on" if self.engine is not None else "not available (canary, decoders and vocabulary only)",
            "health_vocabulary": self.terms.source,
            "requests": self.requests_seen,
            "third_party_requests": self.third_party_requests,
            "engine_failures": self.engine_failures,
        }

    def _page_terms(self, session: CaptureSession) -> list[str]:
        terms = self.terms.find_in_url(session.page_url) if session.page_url else []
        return terms or (self.terms.find(session.title) if session.title else [])

    def _observe_request(
        self, req: CapturedRequest, session: CaptureSession, context: PageContext, page: PageFacts
    ) -> None:
        if req.url.startswith(_SKIPPED_SCHEMES):
            return
        host = req.host
        if host is None or not self.is_third_party(host):
            return
        if req.is_websocket_message and req.direction == "received":
            return  # data the vendor sent, not data it received
        self.third_party_requests += 1
        vendor = self.catalogue.lookup(host, req.path)
        occurrence = Occurrence(
            host=host,
            vendor=vendor,
            context=context,
            page_url=req.page_url or session.page_url,
            step=req.step or session.step,
            request=req,
        )
        fields = decode_request(req, vendor.decoder if vendor else None)
        hits = self._finder.find(req, fields, page, vendor_known=vendor is not None)
        if vendor is not None:  # after the hits: the request these findings show is redacted with them
            self._report.add(LeakKind.TRACKER, occurrence, key_part=vendor.id, sensitive=hits.sensitive)
            if vendor.is_session_replay:
                self._report.add(LeakKind.SESSION_REPLAY, occurrence.for_site(), key_part=vendor.id,
                                 sensitive=hits.sensitive)  # fmt: skip
        if hits.engine_failed:
            self.engine_failures += 1
        self._record_leaks(occurrence, hits, _login_cookies(req, vendor))

    def _record_leaks(self, occurrence: Occurrence, hits: RequestHits, login: list[str]) -> None:
        linked = bool(login)
        if hits.health and occurrence.context is PageContext.PUBLIC_PAGE:
            # The request itself reveals a health topic (a search typed on the home page): read it as a visit to
            # a condition page, the case AHA v. Becerra decided.
            occurrence = replace(occurrence, context=PageContext.CONDITION_PAGE)
        if hits.identifiers:
            people = (*hits.people, *self._identity_hashes(hits))
            health_context = bool(hits.health) or occurrence.context in PHI_CONTEXTS
            kind = LeakKind.PHI if health_context else LeakKind.IDENTIFIERS
            for field_name in dict.fromkeys(h.field for h in hits.identifiers):
                group = [h for h in hits.identifiers if h.field == field_name]
                self._report.add(kind, occurrence, key_part=field_name, hits=group + hits.health, linked=linked,
                                 sensitive=hits.sensitive, people=people)  # fmt: skip
        elif hits.health:
            for param in dict.fromkeys(h.param or h.location for h in hits.health):
                group = [h for h in hits.health if (h.param or h.location) == param]
                self._report.add(LeakKind.HEALTH_CONTEXT, occurrence, key_part=param, hits=group, linked=linked,
                                 sensitive=hits.sensitive)  # fmt: skip
        if login:
            self._report.add(LeakKind.LOGGED_IN, occurrence, key_part=",".join(login), login_cookies=login,
                             linked=True, health_sent=bool(hits.health or hits.identifiers),
                             sensitive=hits.sensitive)  # fmt: skip

    def _identity_hashes(self, hits: RequestHits) -> list[str]:
        """Keyed hashes of the identifiers read in clear (not canary values, not vendor digests), so the people
        counter can link them; each raw value is registered with logsafe first."""
        if self._hasher is None or not hits.sensitive:
            return []
        logsafe.register(*hits.sensitive)
        hashes = []
        for value, category in hits.sensitive.items():
            if looks_hashed(value):
                continue
            try:
                hashes.append(self._hasher.hash(category, value))
            except ValueError:
                continue
        return hashes


def _login_cookies(req: CapturedRequest, vendor: Vendor | None) -> list[str]:
    if vendor is None or not vendor.login_cookies:
        return []
    sent = set(req.cookie_names())
    return [name for name in vendor.login_cookies if name in sent]
