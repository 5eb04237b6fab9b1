"""Leak detection over captured sessions: the canary in vendor payloads, condition pages in page URLs, page
context and severity, login cookies, session replay, decoys that must stay silent, and evidence that never
holds a canary value in any form."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest

from phileak import logsafe
from phileak.model import DataCategory, Finding, Severity
from phileak.phi.canary import CanaryIdentity, CanaryMatcher
from phileak.phi.identity import IdentityHasher
from phileak.phi.spec import Detection, Document
from phileak.probes.web.capture_model import CapturedRequest, CaptureSession
from phileak.probes.web.leaks import LeakDetector

SITE = "https://www.example-health.test"
HASHER = IdentityHasher(b"leak-tests-key-0123456789abcdef")


@pytest.fixture(scope="module")
def identity() -> CanaryIdentity:
    return CanaryIdentity.generate("web-leak-tests")


@pytest.fixture(scope="module")
def matcher(identity: CanaryIdentity) -> CanaryMatcher:
    return CanaryMatcher(identity)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def meta_phone(identity: CanaryIdentity) -> str:
    return "1" + "".join(c for c in identity.phone if c.isdigit())


def detect(matcher: CanaryMatcher | None, *sessions: CaptureSession, engine: Any = "auto") -> list[Finding]:
    detector = LeakDetector(first_party="www.example-health.test", hasher=HASHER, canary=matcher, engine=engine)
    for session in sessions:
        detector.observe(session)
    return detector.findings(probe="web", target=f"{SITE}/")


def session(page: str, *requests: CapturedRequest, **context: Any) -> CaptureSession:
    return CaptureSession(page_url=f"{SITE}{page}", requests=tuple(requests), **context)


def of_kind(findings: Sequence[Finding], kind: str, host: str | None = None) -> list[Finding]:
    return [f for f in findings if f.kind == kind and (host is None or (f.recipient and f.recipient.host == host))]


def matches(finding: Finding) -> list[tuple[str, str, str | None, str | None]]:
    return [(m.field, m.encoding, m.location, m.param) for m in finding.evidence.matches]


def meta_pixel(identity: CanaryIdentity, page: str, **extra: str) -> CapturedRequest:
    query = urlencode(
        {
            "id": "1",
            "ev": "Schedule",
            "dl": f"{SITE}{page}",
            "ud[em]": sha256(identity.email.lower()),
            "ud[ph]": sha256(meta_phone(identity)),
            **extra,
        }
    )
    return CapturedRequest.build(f"https://www.facebook.com/tr/?{query}", resource_type="image")


def test_canary_email_hashed_in_ud_em_is_phi_with_field_encoding_and_param(
    identity: CanaryIdentity, matcher: CanaryMatcher
) -> None:
    booking = session(
        "/book?dept=cardiology",
        meta_pixel(identity, "/book?dept=cardiology"),
        step="form-filled",
        identity_collected=True,
        title="Book an appointment",
    )
    findings = detect(matcher, booking)
    phi = of_kind(findings, "phi-to-third-party", "www.facebook.com")
    email = next(f for f in phi if ("email", "sha256-hex", "query", "ud[em]") in matches(f))
    assert email.severity is Severity.CRITICAL
    assert email.recipient is not None
    assert (email.recipient.vendor, email.recipient.category) == ("Meta", "advertising")
    assert DataCategory.EMAIL in email.data_categories
    extra = email.evidence.model_dump()
    assert extra["page_context"] == "identity-collected" and extra["step"] == "form-filled"
    assert extra["page"] == f"{SITE}/book?dept=cardiology"
    assert extra["request"]["method"] == "GET" and "facebook.com/tr/" in extra["request"]["url"]
    assert "[canary email sha256-hex]" in extra["request"]["url"]
    assert "OCR" in extra["legal"]["reading"]
    phone = next(f for f in phi if ("phone", "sha256-hex", "query", "ud[ph]") in matches(f))
    assert phone.id != email.id


def test_canary_in_a_gzip_post_body(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    event = {
        "event": "SubmitForm",
        "context": {"page": {"url": f"{SITE}/symptom-checker"}, "user": {"email": sha256(identity.email.lower())}},
    }
    req = CapturedRequest.build(
        "https://analytics.tiktok.com/api/v2/pixel",
        method="POST",
        headers={"content-type": "application/json", "content-encoding": "gzip"},
        body=gzip.compress(json.dumps(event).encode()),
    )
    findings = detect(matcher, session("/symptom-checker", req, identity_collected=True))
    [phi] = of_kind(findings, "phi-to-third-party", "analytics.tiktok.com")
    assert ("email", "sha256-hex", "body", "context.user.email") in matches(phi)


def test_condition_page_url_is_a_health_context_finding_with_the_becerra_nuance(matcher: CanaryMatcher) -> None:
    page = "/conditions/hiv-testing"
    ga4 = CapturedRequest.build(
        "https://region1.google-analytics.com/g/collect?" + urlencode({"v": "2", "en": "page_view", "dl": SITE + page})
    )
    uet = CapturedRequest.build(
        "https://bat.bing.com/action/0?" + urlencode({"evt": "pageLoad", "p": SITE + page, "tl": "HIV testing"})
    )
    findings = detect(matcher, session(page, ga4, uet, title="HIV testing"))
    [analytics] = of_kind(findings, "health-context-to-third-party", "region1.google-analytics.com")
    assert ("health-condition", "plain", "query", "dl") in matches(analytics)
    assert analytics.evidence.model_dump()["health_terms"] == ["hiv testing"]
    assert analytics.severity is Severity.LOW  # analytics, public page: after AHA v. Becerra
    legal = analytics.evidence.model_dump()["legal"]
    assert legal["context"] == "condition-page" and "AHA v. Becerra" in legal["reading"]
    assert {DataCategory.HEALTH_CONDITION, DataCategory.URL, DataCategory.IP_ADDRESS} <= set(analytics.data_categories)
    bing = of_kind(findings, "health-context-to-third-party", "bat.bing.com")
    assert {m[3] for f in bing for m in matches(f)} == {"p", "tl"}
    assert all(f.severity is Severity.MEDIUM for f in bing)  # an advertising vendor
    assert not of_kind(findings, "phi-to-third-party")


def test_crawler_condition_flag_counts_when_the_url_has_no_health_word(matcher: CanaryMatcher) -> None:
    page = "/library/article-4711"
    pixel = CapturedRequest.build("https://www.facebook.com/tr/?" + urlencode({"ev": "PageView", "dl": SITE + page}))
    findings = detect(matcher, session(page, pixel, condition_page=True))
    [health] = of_kind(findings, "health-context-to-third-party")
    assert health.evidence.matches[0].model_dump()["via"] == "condition-page"
    unclassified = detect(matcher, session(page, pixel))
    assert [f.kind for f in unclassified] == ["tracker-present"]


def test_severity_follows_page_context(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    portal = session(
        "/portal/messages?topic=diabetes",
        CapturedRequest.build(
            "https://region1.google-analytics.com/g/collect?"
            + urlencode({"en": "page_view", "dl": f"{SITE}/portal/messages?topic=diabetes"})
        ),
        authenticated=True,
        step="logged-in",
    )
    [health] = of_kind(detect(matcher, portal), "health-context-to-third-party")
    assert health.severity is Severity.HIGH and health.evidence.model_dump()["page_context"] == "authenticated"
    newsletter = session(
        "/",
        CapturedRequest.build(
            "https://px.ads.linkedin.com/collect?" + urlencode({"pid": "1", "url": f"{SITE}/", "email": identity.email})
        ),
    )
    [identifiers] = of_kind(detect(matcher, newsletter), "identifiers-to-third-party")
    assert ("email", "plain", "query", "email") in matches(identifiers)
    assert identifiers.severity is Severity.HIGH  # advertising vendor
    in_portal = session(
        "/portal",
        CapturedRequest.build(
            "https://px.ads.linkedin.com/collect?" + urlencode({"pid": "1", "email": identity.email})
        ),
        authenticated=True,
    )
    [phi] = of_kind(detect(matcher, in_portal), "phi-to-third-party")
    assert phi.severity is Severity.CRITICAL and DataCategory.LOGIN_STATE in phi.data_categories


def test_decoys_stay_silent(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    page = "/conditions/breast-cancer"
    first_party_analytics = CapturedRequest.build(
        "https://analytics.example-health.test/collect?" + urlencode({"page": page, "email": identity.email})
    )
    cdn_font = CapturedRequest.build(
        "https://fonts.gstatic.com/s/inter/v13/font.woff2", resource_type="font", headers={"referer": SITE + page}
    )
    weather = CapturedRequest.build(
        "https://api.weather-widget.test/v1/now?units=metric&lang=en", headers={"referer": f"{SITE}/", "origin": SITE}
    )
    # A site with `Referrer-Policy: unsafe-url` sends the full search URL with every subresource.
    icon = CapturedRequest.build(
        "https://cdn.icons.test/sprite.svg",
        resource_type="image",
        headers={"referer": f"{SITE}/search?q={quote(identity.search_term)}"},
    )
    findings = detect(matcher, session(page, first_party_analytics, cdn_font, weather, icon, title="Breast cancer"))
    assert findings == []


def test_evidence_never_holds_a_canary_value_in_any_form(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    email = identity.email
    tiktok = CapturedRequest.build(
        "https://analytics.tiktok.com/api/v2/pixel",
        method="POST",
        body=json.dumps(
            {
                "event": "Lead",
                "context": {"user": {"email": email, "name": identity.full_name}},
                "properties": {identity.last_name: identity.mrn},
            }
        ),
    )
    ga4 = CapturedRequest.build(
        "https://region1.google-analytics.com/g/collect?"
        + urlencode(
            {
                "en": "search",
                "dl": f"{SITE}/search?q={quote(identity.search_term)}",
                "ep.search_term": identity.search_term,
                "em": "tv.1~em."
                + base64.urlsafe_b64encode(hashlib.sha256(email.encode()).digest()).decode().rstrip("="),
            }
        )
    )
    clarity = CapturedRequest.build(
        "https://x.clarity.ms/collect",
        method="POST",
        body=gzip.compress(
            json.dumps(
                {
                    "e": [0] * 11 + [f"{SITE}/symptom-checker"],
                    "p": [[1, 27, 4, identity.symptom], [2, 27, 5, identity.dob]],
                }
            ).encode()
        ),
    )
    blob = CapturedRequest.build(
        "https://collect.unknown.test/b",
        method="POST",
        body=b"\x08\x01\x12" + base64.b64encode(email.encode()) + b"\x00\xff",
    )
    findings = detect(
        matcher,
        session(f"/search?q={quote(identity.search_term)}", tiktok, ga4, clarity, blob, identity_collected=True),
    )
    assert of_kind(findings, "phi-to-third-party", "analytics.tiktok.com")
    assert of_kind(findings, "phi-to-third-party", "collect.unknown.test")
    text = json.dumps([f.to_contract() for f in findings])
    for field_name in ("email", "first_name", "last_name", "full_name", "mrn", "symptom", "search_term", "dob"):
        value = identity.values()[field_name]
        for form in (
            value,
            value.lower(),
            quote(value),
            quote(value.lower()),
            sha256(value.lower()),
            base64.b64encode(value.encode()).decode().rstrip("="),
        ):
            assert form not in text, f"{field_name} leaked into evidence"


def test_same_key_merges_pages_and_ids_are_stable(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    sessions = [
        session(page, meta_pixel(identity, page), identity_collected=True, step=step)
        for page, step in (("/book/step-1", "form-filled"), ("/book/step-2", "form-submitted"))
    ]
    first = detect(matcher, *sessions)
    second = detect(matcher, *reversed(sessions))
    assert sorted(f.id for f in first) == sorted(f.id for f in second)
    email = next(
        f for f in first if f.kind == "phi-to-third-party" and ("email", "sha256-hex", "query", "ud[em]") in matches(f)
    )
    details = email.evidence.model_dump()
    assert details["occurrences"] == 2
    assert details["pages"] == [f"{SITE}/book/step-1", f"{SITE}/book/step-2"]
    assert set(details["steps"]) == {"form-filled", "form-submitted"}


def test_login_cookies_sent_to_the_vendor(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    pixel = CapturedRequest.build(
        f"https://www.facebook.com/tr/?ev=PageView&dl={quote(SITE + '/conditions/hiv')}",
        headers={"cookie": "c_user=100012345678; xs=31%3Aabcdef; fr=0x"},
    )
    findings = detect(matcher, session("/conditions/hiv", pixel))
    [logged_in] = of_kind(findings, "logged-in-to-vendor", "www.facebook.com")
    assert logged_in.data_categories == [DataCategory.LOGIN_STATE]
    assert {m[3] for m in matches(logged_in)} == {"c_user", "xs"}
    assert logged_in.severity is Severity.HIGH  # health context went with the account link
    [health] = of_kind(findings, "health-context-to-third-party", "www.facebook.com")
    assert health.severity is Severity.HIGH
    text = json.dumps([f.to_contract() for f in findings])
    assert "100012345678" not in text and "abcdef" not in text


def test_session_replay_presence_and_typed_symptom(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    chunk = {"e": [0] * 11 + [f"{SITE}/symptom-checker"], "p": [[1, 27, 4, identity.symptom]]}
    req = CapturedRequest.build(
        "https://k.clarity.ms/collect",
        method="POST",
        headers={"accept": "application/x-clarity-gzip"},
        body=gzip.compress(json.dumps(chunk).encode()),
    )
    script = CapturedRequest.build("https://www.clarity.ms/tag/abcdef", resource_type="script")
    findings = detect(matcher, session("/symptom-checker", script, req))
    [replay] = of_kind(findings, "session-replay-present")
    assert replay.recipient is not None and replay.recipient.host == "clarity.ms"
    assert replay.evidence.model_dump()["captures"] == ["keystrokes", "dom"]
    assert replay.severity is Severity.MEDIUM
    [typed] = of_kind(findings, "health-context-to-third-party", "k.clarity.ms")
    assert ("symptom", "plain", "body", "p[0][3]") in matches(typed)
    portal = detect(matcher, session("/portal", script, authenticated=True))
    assert of_kind(portal, "session-replay-present")[0].severity is Severity.HIGH


def test_websocket_messages_sent_count_received_do_not(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    message = json.dumps({"input": {"value": identity.email}})
    sent = CapturedRequest.build(
        "wss://ws.hotjar.com/api/v2/client/ws", body=message, is_websocket_message=True, direction="sent"
    )
    received = CapturedRequest.build(
        "wss://ws.hotjar.com/api/v2/client/ws", body=message, is_websocket_message=True, direction="received"
    )
    [leak] = of_kind(detect(matcher, session("/portal", sent, authenticated=True)), "phi-to-third-party")
    assert ("email", "plain", "websocket", "input.value") in matches(leak)
    assert not of_kind(detect(matcher, session("/portal", received, authenticated=True)), "phi-to-third-party")


def test_plausible_canary_values_need_corroboration(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    plain_zip = CapturedRequest.build(f"https://cdn.unknown.test/pixel.gif?v={identity.zip}")
    assert detect(matcher, session("/", plain_zip)) == []
    hashed_zip = CapturedRequest.build(f"https://cdn.unknown.test/pixel.gif?h={sha256(identity.zip)}")
    [leak] = of_kind(detect(matcher, session("/", hashed_zip)), "identifiers-to-third-party")
    assert ("zip", "sha256-hex", "query", "h") in matches(leak)


def test_decoder_identity_fields_count_without_a_canary() -> None:
    # An app capture with no canary: Meta advanced matching still reveals a hashed email of a real user.
    stranger = sha256("someone.else@example.org")
    pixel = CapturedRequest.build(f"https://www.facebook.com/tr/?ev=Lead&ud%5Bem%5D={stranger}")
    findings = detect(None, CaptureSession(page_url=None, requests=(pixel,), app=True))
    [phi] = of_kind(findings, "phi-to-third-party")
    assert ("email", "sha256-hex", "query", "ud[em]") in matches(phi)
    assert phi.evidence.matches[0].model_dump()["via"] == "decoder"
    assert stranger not in json.dumps(phi.to_contract())


@dataclass(frozen=True)
class _Analysis:
    detections: list[Detection]
    people: list[Any]


class NameAndDrugEngine:
    """Stands in for phileak.phi.engine.PhiEngine (issue 4, not landed yet): same analyse() contract."""

    def __init__(self, name: str, drug: str) -> None:
        self.name, self.drug = name, drug
        self.documents: list[Document] = []

    def analyse(self, document: Document) -> _Analysis:
        self.documents.append(document)
        found = []
        for index, segment in enumerate(document.segments):
            for value, category in ((self.name, DataCategory.PERSON_NAME), (self.drug, DataCategory.MEDICATION)):
                start = segment.text.find(value)
                if start >= 0:
                    found.append(Detection(category, "stand-in", index, start, start + len(value), 0.95))
        return _Analysis(found, [])


class BrokenEngine:
    def analyse(self, document: Document) -> Any:
        raise RuntimeError("engine bug")


def test_phi_engine_detections_are_leaks_with_their_parameter() -> None:
    engine = NameAndDrugEngine("Orlando Vexworth", "Zelbrutamab")
    body = json.dumps({"props": {"patient": "Orlando Vexworth", "rx": "Zelbrutamab 20mg"}})
    req = CapturedRequest.build(
        "https://api.segment-like.test/v1/track", method="POST", headers={"content-type": "application/json"}, body=body
    )
    findings = detect(None, session("/", req), engine=engine)
    [phi] = of_kind(findings, "phi-to-third-party")
    assert ("person-name", "plain", "body", "props.patient") in matches(phi)
    assert ("medication", "plain", "body", "props.rx") in matches(phi)
    assert engine.documents[0].segments[0].label == "props.patient"
    assert "Orlando Vexworth" not in json.dumps(phi.to_contract())
    assert phi.evidence.identity_hashes == [HASHER.hash("person-name", "Orlando Vexworth")]
    assert "Orlando Vexworth" not in logsafe.scrub("seen: Orlando Vexworth")


def test_a_failing_engine_is_counted_and_detection_goes_on(identity: CanaryIdentity, matcher: CanaryMatcher) -> None:
    detector = LeakDetector(first_party=SITE.split("//")[1], hasher=HASHER, canary=matcher, engine=BrokenEngine())
    detector.observe(session("/book", meta_pixel(identity, "/book"), identity_collected=True))
    assert detector.engine_failures == 1
    assert of_kind(detector.findings(probe="web", target=SITE), "phi-to-third-party")


def test_tracker_present_is_info_per_host() -> None:
    findings = detect(None, session("/", CapturedRequest.build("https://connect.facebook.net/en_US/fbevents.js")))
    [present] = findings
    assert present.kind == "tracker-present" and present.severity is Severity.INFO
    assert present.evidence.model_dump()["tracker"]["id"] == "meta-pixel"
