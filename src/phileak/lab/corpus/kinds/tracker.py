"""What trackers send from a clinic's pages: a Meta Pixel hit (ud[...] hashed per Meta's normalisation, cd[...]
plain), a GA4 hit (ep.* parameters, user-provided data as em=tv.1~em.<sha256>~pn.<sha256>), or a JSON event."""

from __future__ import annotations

import hashlib

from phileak.lab.corpus.builder import DocBuilder, Text
from phileak.lab.corpus.clinical import SEARCH_TERMS_EN, SEARCH_TERMS_FR
from phileak.lab.corpus.identities import Person, ascii_fold
from phileak.lab.corpus.kinds.common import C, Context, Patient, compact_date
from phileak.lab.corpus.model import Form, Kind, LabelledDoc

_SITES = ("www.northwind-health.example", "www.bayside-clinic.example", "www.centre-tilleuls.example")
_IP_BLOCKS = ("192.0.2", "198.51.100", "203.0.113")  # documentation ranges (RFC 5737)


def build(ctx: Context, patient: Patient) -> LabelledDoc:
    roll = ctx.rng.random()
    if roll < 0.4:
        return _meta_pixel(ctx, patient)
    if roll < 0.7:
        return _ga4(ctx, patient)
    return _json_event(ctx, patient)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _e164_digits(person: Person) -> str:
    digits = "".join(c for c in person.phone if c.isdigit())
    return "33" + digits[1:] if person.language == "fr" else "1" + digits


def _page(ctx: Context, path: str) -> str:
    return f"https://{ctx.rng.choice(_SITES)}/{path}"


def _slug(text: str) -> str:
    return "-".join(ascii_fold(text).lower().replace("'", " ").split())


def _meta_pixel(ctx: Context, patient: Patient) -> LabelledDoc:
    person, rng = patient.person, ctx.rng
    condition = patient.conditions[0]
    term = condition.fr if ctx.fr else condition.en
    doc = DocBuilder(ctx.doc_id, Kind.TRACKER, ctx.language, "query")
    doc.field("id", str(rng.randrange(10**15, 10**16)), None, where="query")
    doc.field("ev", rng.choice(("Lead", "Schedule", "PageView")), None, where="query")
    doc.field("dl", _page(ctx, f"conditions/{_slug(term)}/book"), C.URL, where="query")
    doc.field("ts", str(1_700_000_000_000 + rng.randrange(10**10)), None, where="query")
    doc.field("cd[content_name]", term, C.HEALTH_CONDITION, where="query")
    hashed = (
        ("ud[em]", person.email.lower(), C.EMAIL),
        ("ud[ph]", _e164_digits(person), C.PHONE),
        ("ud[fn]", person.given.lower(), C.PERSON_NAME),
        ("ud[ln]", person.family.lower(), C.PERSON_NAME),
        ("ud[db]", compact_date(person.birth_date), C.DATE_OF_BIRTH),
        ("ud[zp]", person.postcode.split("-")[0], C.ADDRESS),
    )
    for label, value, category in hashed:
        if label in ("ud[em]", "ud[ph]") or rng.random() < 0.6:
            doc.field(label, sha256(value), category, where="query", form=Form.SHA256)
    doc.field("fbp", f"fb.1.{1_700_000_000_000 + rng.randrange(10**10)}.{rng.randrange(10**9)}", None, where="query")
    doc.file_name(Text().add(f"captures/meta-pixel-{ctx.number:06d}.txt"))
    return doc.build((person.pid,), phi=True, endpoint="https://www.facebook.com/tr/")


def _ga4(ctx: Context, patient: Patient) -> LabelledDoc:
    person, rng = patient.person, ctx.rng
    search = rng.choice(SEARCH_TERMS_FR if ctx.fr else SEARCH_TERMS_EN)
    condition = patient.conditions[0]
    term = condition.fr if ctx.fr else condition.en
    doc = DocBuilder(ctx.doc_id, Kind.TRACKER, ctx.language, "query")
    doc.field("v", "2", None, where="query")
    doc.field("tid", f"G-{rng.randrange(10**9):09d}", None, where="query")
    doc.field("cid", f"{rng.randrange(10**9)}.{1_700_000_000 + rng.randrange(10**7)}", None, where="query")
    doc.field("en", "view_search_results", None, where="query")
    doc.field("dl", _page(ctx, f"search?q={_slug(search)}"), C.URL, where="query")
    doc.segment(Text().fill("{term} | Northwind Health", term=(term, C.HEALTH_CONDITION)), label="dt", where="query")
    doc.field("ep.search_term", search, C.SEARCH_TERM, where="query")
    user_data = Text().add("tv.1~em.").add(sha256(person.email.lower()), C.EMAIL, Form.SHA256)
    user_data.add("~pn.").add(sha256("+" + _e164_digits(person)), C.PHONE, Form.SHA256)
    doc.segment(user_data, label="em", where="query")
    doc.file_name(Text().add(f"captures/ga4-{ctx.number:06d}.txt"))
    return doc.build((person.pid,), phi=True, endpoint="https://region1.google-analytics.com/g/collect")


def _json_event(ctx: Context, patient: Patient) -> LabelledDoc:
    """A server-side or custom analytics event, plain values under their JSON keys (`where` is the JSON path)."""
    person, rng = patient.person, ctx.rng
    condition = patient.conditions[0]
    doc = DocBuilder(ctx.doc_id, Kind.TRACKER, ctx.language, "json")
    doc.field("event", "appointment_booked", None, where="event")
    doc.field("timestamp", f"{ctx.day.isoformat()}T{rng.randrange(8, 20):02d}:{rng.randrange(60):02d}:00Z", C.DATE,
              where="timestamp")  # fmt: skip
    doc.field("context.ip", f"{rng.choice(_IP_BLOCKS)}.{rng.randrange(1, 255)}", C.IP_ADDRESS, where="context.ip")
    doc.field("page.url", _page(ctx, "appointments/thanks"), C.URL, where="context.page.url")
    doc.field("properties.first_name", person.given, C.PERSON_NAME, where="properties.first_name")
    doc.field("properties.last_name", person.family, C.PERSON_NAME, where="properties.last_name")
    doc.field("properties.email", person.email, C.EMAIL, where="properties.email")
    doc.field("properties.phone", person.phone, C.PHONE, where="properties.phone")
    doc.field("properties.condition", condition.fr if ctx.fr else condition.en, C.HEALTH_CONDITION,
              where="properties.condition")  # fmt: skip
    doc.file_name(Text().add(f"captures/events-{ctx.number:06d}.json"))
    return doc.build((person.pid,), phi=True, endpoint=f"https://{rng.choice(_SITES)}/api/track")
