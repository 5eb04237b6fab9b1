"""Occurrences of leaks merged into findings: one per (recipient host, kind, field or parameter).

The worst occurrence (by severity) gives the finding its severity, page context, legal reading and redacted
request copy; every occurrence adds its page (redacted), step and matches, up to small caps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from phileak.model import DataCategory, Evidence, EvidenceMatch, Finding, Recipient, Severity
from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.catalogue import Vendor
from phileak.probes.web.domains import registrable_domain
from phileak.probes.web.hits import Hit
from phileak.probes.web.legal import PHI_CONTEXTS, READINGS, LeakKind, PageContext, remediation, severity
from phileak.probes.web.redaction import RequestRedactor

MAX_PAGES: Final = 20
MAX_MATCHES: Final = 50
MAX_PEOPLE: Final = 50
_IDENTIFIER_LABELS: Final = {
    "first_name": "first name", "last_name": "last name", "full_name": "full name", "dob": "date of birth",
    "member_id": "insurance member ID", "mrn": "medical record number", "phone_fr": "phone", "user_id": "user ID",
    "external_id": "external ID", "street": "street address", "zip": "ZIP code",
}  # fmt: skip
_CONTEXT_PHRASES: Final = {
    PageContext.AUTHENTICATED: "a logged-in (authenticated) page",
    PageContext.IDENTITY_COLLECTED: "a page collecting the patient's identity",
    PageContext.APP: "the app",
    PageContext.CONDITION_PAGE: "a health-condition page",
    PageContext.PUBLIC_PAGE: "a public page",
}


@dataclass(frozen=True, slots=True)
class Occurrence:
    host: str
    vendor: Vendor | None
    context: PageContext
    page_url: str | None
    step: str | None
    request: CapturedRequest

    def for_site(self) -> Occurrence:
        """The same occurrence addressed to the recipient's registrable domain (one finding per vendor site)."""
        return replace(self, host=registrable_domain(self.host))


@dataclass
class _Aggregate:
    kind: LeakKind
    host: str
    key_part: str
    vendor: Vendor | None
    severity: Severity
    context: PageContext
    request: dict[str, Any]
    excerpt: str
    page: str | None
    step: str | None
    matches: dict[tuple[str, ...], Hit] = field(default_factory=dict)
    categories: dict[DataCategory, None] = field(default_factory=dict)
    pages: dict[str, None] = field(default_factory=dict)
    steps: dict[str, None] = field(default_factory=dict)
    contexts: dict[str, None] = field(default_factory=dict)
    hosts: dict[str, None] = field(default_factory=dict)
    people: dict[str, None] = field(default_factory=dict)
    login_cookies: tuple[str, ...] = ()
    cookies_set: dict[str, None] = field(default_factory=dict)
    linked: bool = False
    occurrences: int = 0


class Report:
    def __init__(self, redactor: RequestRedactor) -> None:
        self._redactor = redactor
        self._aggregates: dict[tuple[str, str, str], _Aggregate] = {}

    def add(
        self,
        kind: LeakKind,
        occurrence: Occurrence,
        *,
        key_part: str,
        hits: Sequence[Hit] = (),
        linked: bool = False,
        sensitive: Mapping[str, str] | None = None,
        people: Iterable[str] = (),
        login_cookies: Sequence[str] = (),
        health_sent: bool = False,
    ) -> None:
        # Parameter names come from payloads (JSON keys): they are redacted like values before any use.
        key_part = self._redactor.text(key_part)
        hits = [replace(h, param=self._redactor.text(h.param)) if h.param else h for h in hits]
        category = occurrence.vendor.category if occurrence.vendor else None
        rated = severity(kind, occurrence.context, category, account_linked=linked)
        if kind is LeakKind.LOGGED_IN and health_sent:
            rated = Severity.HIGH
        key = (occurrence.host, kind.value, key_part)
        aggregate = self._aggregates.get(key)
        page = self._redactor.url(occurrence.page_url, sensitive) if occurrence.page_url else None
        if aggregate is None or rated.rank > aggregate.severity.rank:
            request = self._redactor.request(occurrence.request, sensitive)
            excerpt = self._redactor.excerpt(occurrence.request, sensitive)
            if aggregate is None:
                aggregate = _Aggregate(kind, occurrence.host, key_part, occurrence.vendor, rated, occurrence.context,
                                       request, excerpt, page, occurrence.step)  # fmt: skip
                self._aggregates[key] = aggregate
            else:
                aggregate.severity, aggregate.context, aggregate.request = rated, occurrence.context, request
                aggregate.excerpt, aggregate.page, aggregate.step = excerpt, page, occurrence.step
        aggregate.occurrences += 1
        aggregate.linked = aggregate.linked or linked
        aggregate.login_cookies = tuple(dict.fromkeys([*aggregate.login_cookies, *login_cookies]))
        aggregate.contexts[occurrence.context.value] = None
        if kind is LeakKind.TRACKER and occurrence.request.response is not None:
            for name in occurrence.request.response.cookie_names()[:MAX_PAGES]:
                aggregate.cookies_set[name] = None
        aggregate.hosts[occurrence.request.host or occurrence.host] = None
        if page is not None and len(aggregate.pages) < MAX_PAGES:
            aggregate.pages[page] = None
        if occurrence.step:
            aggregate.steps[occurrence.step] = None
        for hit in hits:
            aggregate.categories[hit.category] = None
            match_key = (hit.field, hit.encoding, hit.location, hit.param or "", hit.via, hit.term or "")
            if len(aggregate.matches) < MAX_MATCHES:
                aggregate.matches.setdefault(match_key, hit)
        for person in people:
            if len(aggregate.people) < MAX_PEOPLE:
                aggregate.people[person] = None

    def findings(self, *, probe: str, target: str) -> list[Finding]:
        return [_finding(a, probe, target) for _key, a in sorted(self._aggregates.items())]


def _finding(aggregate: _Aggregate, probe: str, target: str) -> Finding:
    vendor = aggregate.vendor
    recipient = Recipient(host=aggregate.host, vendor=vendor.vendor if vendor else None,
                          category=vendor.category if vendor else None)  # fmt: skip
    matches = sorted(
        aggregate.matches.values(), key=lambda h: (h.health, h.field, h.param or "", h.location, h.encoding)
    )
    extra: dict[str, Any] = {
        "page": aggregate.page,
        "step": aggregate.step,
        "page_context": aggregate.context.value,
        "legal": {"context": aggregate.context.value, "reading": READINGS[aggregate.context]},
        "request": aggregate.request,
        "occurrences": aggregate.occurrences,
        "pages": list(aggregate.pages),
        "steps": list(aggregate.steps),
        "page_contexts": sorted(aggregate.contexts),
    }
    if vendor is not None:
        extra["tracker"] = {"id": vendor.id, "name": vendor.name, "docs": vendor.docs}
        if vendor.captures:
            extra["captures"] = list(vendor.captures)
    if len(aggregate.hosts) > 1 or aggregate.kind is LeakKind.SESSION_REPLAY:
        extra["hosts"] = sorted(aggregate.hosts)
    if aggregate.login_cookies:
        extra["login_cookies"] = list(aggregate.login_cookies)
    if aggregate.cookies_set:
        extra["cookies_set"] = sorted(aggregate.cookies_set)  # names only: values identify the visitor
    terms = sorted({t.strip() for h in matches if h.term for t in h.term.split(",")})
    if terms:
        extra["health_terms"] = terms
    evidence = Evidence(
        matches=[h.evidence() for h in matches] + _cookie_matches(aggregate),
        excerpt=aggregate.excerpt,
        identity_hashes=list(aggregate.people),
        **extra,
    )
    return Finding.create(
        probe=probe,
        target=target,
        kind=aggregate.kind.value,
        key=(aggregate.host, aggregate.kind.value, aggregate.key_part),
        severity=aggregate.severity,
        title=_title(aggregate, matches),
        data_categories=_categories(aggregate, matches),
        recipient=recipient,
        evidence=evidence,
        remediation=remediation(aggregate.kind, vendor.name if vendor else aggregate.host, aggregate.context),
    )


def _cookie_matches(aggregate: _Aggregate) -> list[EvidenceMatch]:
    if aggregate.kind is not LeakKind.LOGGED_IN:
        return []
    return [EvidenceMatch(field="login-cookie", encoding="plain", location="cookie", param=name)
            for name in aggregate.login_cookies]  # fmt: skip


def _categories(aggregate: _Aggregate, matches: Sequence[Hit]) -> list[DataCategory]:
    kind = aggregate.kind
    if kind is LeakKind.LOGGED_IN:
        return [DataCategory.LOGIN_STATE]
    if kind in (LeakKind.TRACKER, LeakKind.SESSION_REPLAY):
        return []
    categories = [h.category for h in matches if not h.health] + [h.category for h in matches if h.health]
    if any(h.meaning in ("page-url", "referrer") for h in matches):
        categories.append(DataCategory.URL)
    if kind is LeakKind.PHI and aggregate.context is PageContext.AUTHENTICATED:
        categories.append(DataCategory.LOGIN_STATE)
    categories.append(DataCategory.IP_ADDRESS)
    return list(dict.fromkeys(categories))


def _title(aggregate: _Aggregate, matches: Sequence[Hit]) -> str:
    vendor = aggregate.vendor
    who = f"{vendor.name} ({aggregate.host})" if vendor else aggregate.host
    where = _CONTEXT_PHRASES[aggregate.context]
    kind = aggregate.kind
    if kind in (LeakKind.PHI, LeakKind.IDENTIFIERS):
        identifiers = [h for h in matches if not h.health]
        label = _IDENTIFIER_LABELS.get(aggregate.key_part, aggregate.key_part.replace("-", " "))
        how = _how(identifiers)
        if kind is LeakKind.PHI:
            context = "with health information" if any(h.health for h in matches) else f"from {where}"
            suffix = f" on {where}" if any(h.health for h in matches) else ""
            return f"{who} receives the patient's {label} ({how}) {context}{suffix}"
        return f"{who} receives the visitor's {label} ({how}) from {where}"
    if kind is LeakKind.HEALTH_CONTEXT:
        terms = sorted({t.strip() for h in matches if h.term for t in h.term.split(",")})
        what = f"health terms ({', '.join(terms[:3])})" if terms else "a health-condition page"
        if any(h.via == "canary" for h in matches):
            what = "the patient's typed symptom or health search"
        return f"{who} receives {what} in {aggregate.key_part} from {where}"
    if kind is LeakKind.LOGGED_IN:
        cookies = ", ".join(aggregate.login_cookies)
        return f"{who} receives its login cookies ({cookies}): hits are tied to the visitor's account"
    if kind is LeakKind.SESSION_REPLAY:
        captures = " and ".join(vendor.captures) if vendor and vendor.captures else "the page"
        worst = "including " + where if aggregate.context in PHI_CONTEXTS else f"on {where}"
        return f"Session replay {vendor.name if vendor else aggregate.host} records {captures} {worst}"
    return f"{who} tracker present on {where}"


def _how(hits: Sequence[Hit]) -> str:
    parts = []
    for hit in hits[:3]:
        where = hit.param or hit.location
        parts.append(f"{hit.encoding} in {where}")
    return ", ".join(dict.fromkeys(parts)) + (", ..." if len(hits) > 3 else "")
