"""Canary identities and the matcher: every field in every encoding is found in realistic payloads, nothing is
found where the canary is not, and no match carries a value.

Expected encodings are computed here with hashlib/base64/urllib directly, not with phileak's own encoders."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import pickle
import random
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit

import pytest

from phileak import logsafe
from phileak.errors import InputError
from phileak.model import DataCategory
from phileak.phi.canary import FIELD_CATEGORIES, UNIQUE_FIELDS, CanaryIdentity, CanaryMatch, CanaryMatcher

CANARY = CanaryIdentity.generate("test-canary-7")
FIELDS = sorted(FIELD_CATEGORIES)
OTHER_SEEDS = [f"unrelated-{n}" for n in range(25)]


@pytest.fixture(scope="module")
def matcher() -> CanaryMatcher:
    return CanaryMatcher(CANARY)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _embed(case: str, encoded: str) -> tuple[str, int]:
    """`encoded` inside one of a few realistic payloads (chosen by `case`), and where it starts."""
    templates = [
        "GET https://www.facebook.com/tr/?id=1184732&ev=Lead&dl=https%3A%2F%2Fwww.clinic.test%2Fbook"
        "&cd[value]={x}&ts=1731000000000",
        "POST /g/collect?v=2&tid=G-Q1W2E3R4&cid=1837461.1731000000\nen=page_view&_et=1534\n"
        "en=form_submit&ep.field={x}&_et=822\n",
        '{{"event":"CompleteRegistration","context":{{"user":{{"id":"{x}"}}}},"timestamp":"2026-11-20T14:30:00Z"}}',
        "Cookie: _ga=GA1.1.1837461.1731000000; hint={x}; _fbp=fb.1.1731000000.99182",
        '<form><input type="hidden" name="patient" value="{x}"></form><script>var s=1;</script>',
    ]
    template = templates[zlib.crc32(case.encode()) % len(templates)]
    head = template.split("{x}")[0].replace("{{", "{").replace("}}", "}")
    return template.format(x=encoded), len(head)


def _text_encodings(value: str) -> dict[str, tuple[str, Callable[[str], str]]]:
    """name -> (encoded value, expected encoding given the matched span)."""
    data = value.encode()
    b64 = base64.b64encode(data).decode()
    b64url = base64.urlsafe_b64encode(data).decode()

    def fixed(name: str) -> Callable[[str], str]:
        return lambda span: name

    def base64_kind(span: str) -> str:
        return "base64url" if re.search(r"[-_]", span) else "base64"

    once, plus = quote(value, safe=""), quote_plus(value)
    return {
        "plain": (value, fixed("plain")),
        "lower": (value.lower(), fixed("plain" if value.lower() == value else "lower")),
        "upper": (value.upper(), fixed("plain" if value.upper() == value else "upper")),
        "url": (once, fixed("plain" if once == value else "url")),
        "url-plus": (plus, fixed("plain" if plus == value else "url")),
        "url2": (quote(once, safe=""), fixed("plain" if once == value else "url2")),
        "url2-plus": (quote_plus(plus), fixed("plain" if plus == value else "url2")),
        "json": ("".join(f"\\u{ord(c):04x}" for c in value), fixed("json")),
        "json-upper": ("".join(f"\\u{ord(c):04X}" for c in value), fixed("json")),
        "hex": (data.hex(), fixed("hex")),
        "hex-upper": (data.hex().upper(), fixed("hex")),
        "base64": (b64, base64_kind),
        "base64-unpadded": (b64.rstrip("="), base64_kind),
        "base64url": (b64url, base64_kind),
        "base64url-unpadded": (b64url.rstrip("="), base64_kind),
    }


TEXT_CASES = [(field, name) for field in FIELDS for name in _text_encodings(CANARY.values()[field])]


def _assert_found(matcher: CanaryMatcher, payload: str, start: int, encoded: str, field: str,
                  expected: Callable[[str], str]) -> CanaryMatch:  # fmt: skip
    matches = [m for m in matcher.find(payload) if m.field == field]
    inside = [m for m in matches if start <= m.start and m.end <= start + len(encoded)]
    assert inside, f"{field} not found; got {matcher.find(payload)}"
    match = inside[0]
    assert match.end - match.start >= min(len(encoded), 6)
    assert match.encoding == expected(payload[match.start : match.end])
    return match


@pytest.mark.parametrize(("field", "encoding"), TEXT_CASES)
def test_every_field_is_found_in_every_text_encoding(matcher: CanaryMatcher, field: str, encoding: str) -> None:
    encoded, expected = _text_encodings(CANARY.values()[field])[encoding]
    payload, start = _embed(f"{field}/{encoding}", encoded)
    _assert_found(matcher, payload, start, encoded, field, expected)


def _vendor_forms(canary: CanaryIdentity) -> dict[tuple[str, str], str]:
    """Each vendor's normalisation of each field, written out here from shared/reference/web-trackers.md."""
    us, fr = _digits(canary.phone), _digits(canary.phone_fr)[2:]
    gmail_local, _, gmail_domain = canary.gmail.lower().partition("@")
    return {
        ("email", "raw, as Blacklight hashes it"): canary.email,
        ("email", "meta/tiktok/x: trim+lower"): f"  {canary.email.upper()} ".strip().lower(),
        ("gmail", "google: dots dropped"): gmail_local.replace(".", "") + "@" + gmail_domain,
        ("gmail", "meta: lower"): canary.gmail.lower(),
        ("phone", "meta: digits with country code"): "1" + us,
        ("phone", "meta: national digits"): us,
        ("phone", "google/tiktok: E.164"): "+1" + us,
        ("phone_fr", "meta: digits with country code"): "33" + fr,
        ("phone_fr", "google/tiktok: E.164"): "+33" + fr,
        ("first_name", "meta/google: lower"): canary.first_name.lower(),
        ("first_name", "meta f5first"): canary.first_name.lower()[:5],
        ("last_name", "meta/google: lower"): canary.last_name.lower(),
        ("last_name", "meta f5last"): canary.last_name.lower()[:5],
        ("full_name", "lower"): canary.full_name.lower(),
        ("dob", "meta: YYYYMMDD"): canary.dob.replace("-", ""),
        ("dob", "iso"): canary.dob,
        ("street", "google: lower"): canary.street.lower(),
        ("city", "meta: lower, no spaces"): canary.city.lower().replace(" ", ""),
        ("zip", "meta: 5 digits"): canary.zip[:5],
        ("mrn", "meta external_id"): canary.mrn.lower(),
        ("member_id", "meta external_id: lower"): canary.member_id.lower(),
        ("member_id", "raw"): canary.member_id,
        ("symptom", "lower"): canary.symptom.lower(),
        ("search_term", "raw"): canary.search_term,
    }


DIGEST_CASES = [
    (field, form, algorithm, layout)
    for (field, form) in _vendor_forms(CANARY)
    for algorithm in ("md5", "sha1", "sha256", "sha512")
    for layout in ("hex", "HEX", "base64", "base64url")
]


@pytest.mark.parametrize(("field", "form", "algorithm", "layout"), DIGEST_CASES)
def test_every_vendor_normalised_digest_is_found(
    matcher: CanaryMatcher, field: str, form: str, algorithm: str, layout: str
) -> None:
    digest = hashlib.new(algorithm, _vendor_forms(CANARY)[(field, form)].encode())
    encoded = {
        "hex": digest.hexdigest(),
        "HEX": digest.hexdigest().upper(),
        "base64": base64.b64encode(digest.digest()).decode(),
        "base64url": base64.urlsafe_b64encode(digest.digest()).decode().rstrip("="),
    }[layout]

    def expected(span: str) -> str:
        if layout in ("hex", "HEX"):
            return f"{algorithm}-hex"
        return f"{algorithm}-base64url" if re.search(r"[-_]", span) else f"{algorithm}-base64"

    payload, start = _embed(f"{field}/{form}/{algorithm}/{layout}", encoded)
    _assert_found(matcher, payload, start, encoded, field, expected)


BLOB_CASES = [(field, before, alphabet) for field in FIELDS for before in (0, 1, 2, 7) for alphabet in ("std", "url")]


@pytest.mark.parametrize(("field", "before", "alphabet"), BLOB_CASES)
def test_values_inside_a_base64_blob_are_found_at_every_alignment(
    matcher: CanaryMatcher, field: str, before: int, alphabet: str
) -> None:
    inner = b'{"k":"' + b"x" * before + CANARY.values()[field].encode() + b'","t":1731000000}'
    encode = base64.b64encode if alphabet == "std" else base64.urlsafe_b64encode
    blob = encode(inner).decode()
    payload, start = _embed(f"blob/{field}/{before}/{alphabet}", blob)

    def expected(span: str) -> str:
        return "base64url" if re.search(r"[-_]", span) else "base64"

    _assert_found(matcher, payload, start, blob, field, expected)


def test_a_hex_digest_inside_a_base64_body_is_found(matcher: CanaryMatcher) -> None:
    digest = hashlib.sha256(CANARY.email.encode()).hexdigest()
    body = base64.b64encode(json.dumps({"ud": {"em": digest}, "ev": "Lead"}).encode()).decode()
    [match] = matcher.find(body)
    assert (match.field, match.encoding) == ("email", "sha256-hex/base64")


def test_meta_pixel_advanced_matching_url(matcher: CanaryMatcher) -> None:
    def sha(text: str) -> str:
        return hashlib.sha256(text.encode()).hexdigest()

    page = "https://www.clinic.test/search?q=" + quote_plus(CANARY.search_term)
    query = {
        "id": "1184732", "ev": "Lead", "dl": page, "cd[buttonText]": "Book appointment",
        "ud[em]": sha(CANARY.email.lower()), "ud[ph]": sha("1" + _digits(CANARY.phone)),
        "ud[fn]": sha(CANARY.first_name.lower()), "ud[ln]": sha(CANARY.last_name.lower()),
        "ud[db]": sha(CANARY.dob.replace("-", "")), "ud[ct]": sha(CANARY.city.lower().replace(" ", "")),
        "ud[zp]": sha(CANARY.zip), "ud[external_id]": sha(CANARY.mrn), "ud[ge]": sha("f"), "ud[country]": sha("us"),
    }  # fmt: skip
    url = "https://www.facebook.com/tr/?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())

    by_param = {m.param: m for m in matcher.match_fields(parse_qsl(urlsplit(url).query))}
    assert {param: (m.field, m.encoding) for param, m in by_param.items()} == {
        "dl": ("search_term", "url"),
        "ud[em]": ("email", "sha256-hex"),
        "ud[ph]": ("phone", "sha256-hex"),
        "ud[fn]": ("first_name", "sha256-hex"),
        "ud[ln]": ("last_name", "sha256-hex"),
        "ud[db]": ("dob", "sha256-hex"),
        "ud[ct]": ("city", "sha256-hex"),
        "ud[zp]": ("zip", "sha256-hex"),
        "ud[external_id]": ("mrn", "sha256-hex"),
    }
    assert by_param["ud[em]"].form == "raw" and by_param["ud[ct]"].form == "meta"
    # In the raw URL the page address is encoded twice.
    in_url = {(m.field, m.encoding) for m in matcher.find(url)}
    assert ("search_term", "url2") in in_url and ("email", "sha256-hex") in in_url


def test_ga4_batch_with_user_provided_data(matcher: CanaryMatcher) -> None:
    def sha64(text: str) -> str:
        return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).decode().rstrip("=")

    local = CANARY.gmail.split("@")[0].replace(".", "")
    em = (
        f"tv.1~em.{sha64(local + '@gmail.com')}~pn.{sha64('+1' + _digits(CANARY.phone))}"
        f"~fn0.{hashlib.sha256(CANARY.first_name.lower().encode()).hexdigest()}~pc0.{CANARY.zip}~co0.us"
    )
    url = f"https://region1.google-analytics.com/g/collect?v=2&tid=G-Q1W2E3R4&cid=1837461.1731000000&em={quote(em)}"
    body = (
        f"en=page_view&dl={quote('https://www.clinic.test/conditions', safe='')}&_et=1534\n"
        f"en=search&ep.search_term={quote_plus(CANARY.search_term)}&_et=822\n"
        f"en=generate_lead&ep.reason={quote_plus(CANARY.symptom)}&epn.value=1\n"
    )
    found = {(m.field, m.encoding, m.form) for m in matcher.find(url + "\n" + body)}

    def b64_kind(digest: str) -> str:  # base64url and base64 differ only where a digest has "-" or "_"
        return "sha256-base64url" if re.search(r"[-_]", digest) else "sha256-base64"

    assert ("gmail", b64_kind(sha64(local + "@gmail.com")), "google") in found
    assert ("phone", b64_kind(sha64("+1" + _digits(CANARY.phone))), "e164") in found
    assert ("first_name", "sha256-hex", "lower") in found or ("first_name", "sha256-hex", "meta") in found
    assert ("zip", "plain", "raw") in found
    assert ("search_term", "url", "raw") in found and ("symptom", "url", "raw") in found


def test_tiktok_events_json(matcher: CanaryMatcher) -> None:
    payload = json.dumps({
        "event": "SubmitForm", "context": {"page": {"url": "https://www.clinic.test/book"},
        "user": {"email": hashlib.sha256(CANARY.email.encode()).hexdigest(),
                 "phone_number": hashlib.sha256(("+33" + _digits(CANARY.phone_fr)[2:]).encode()).hexdigest(),
                 "external_id": hashlib.sha256(CANARY.member_id.encode()).hexdigest()}},
        "properties": {"content_name": CANARY.symptom},
    })  # fmt: skip
    found = {(m.field, m.encoding) for m in matcher.find(payload.encode())}
    assert found == {("email", "sha256-hex"), ("phone_fr", "sha256-hex"), ("member_id", "sha256-hex"),
                     ("symptom", "plain")}  # fmt: skip


def test_json_escapes_of_non_ascii_and_slashes() -> None:
    accented = dataclasses.replace(CANARY, first_name="Hélène", last_name="Øvrebø-Quintal")
    matcher = CanaryMatcher(accented)
    us_date = "/".join([CANARY.dob[5:7], CANARY.dob[8:], CANARY.dob[:4]])
    body = json.dumps({"fn": accented.first_name, "ln": accented.last_name.upper(), "dob": us_date})
    body = body.replace("/", "\\/")  # as PHP's json_encode writes it
    assert "\\u00e9" in body
    found = {(m.field, m.encoding) for m in matcher.find(body)}
    assert found == {("first_name", "json"), ("last_name", "json"), ("dob", "json")}
    raw = json.dumps({"fn": accented.first_name}, ensure_ascii=False)
    assert {(m.field, m.encoding) for m in matcher.find(raw.encode())} == {("first_name", "plain")}


def test_replay_style_base64_upload_finds_each_value(matcher: CanaryMatcher) -> None:
    events = [{"t": 1731000000 + n, "target": f"#f{n}", "text": value} for n, value in
              enumerate([CANARY.full_name, CANARY.email, CANARY.mrn, CANARY.dob])]  # fmt: skip
    blob = base64.b64encode(json.dumps({"session": "a81f", "events": events}).encode())
    found = {(m.field, m.encoding) for m in matcher.find(b"payload=" + blob)}
    assert found == {("full_name", "base64"), ("email", "base64"), ("mrn", "base64"), ("dob", "base64")}


def _unrelated_corpus() -> list[bytes]:
    rng = random.Random(20261120)
    corpus = [rng.randbytes(256 * 1024), base64.b64encode(rng.randbytes(192 * 1024))]
    corpus.append("\n".join(hashlib.sha256(str(n).encode()).hexdigest() for n in range(4000)).encode())
    corpus.append("".join(
        f"en=page_view&cid={rng.randrange(10**9)}.{1731000000 + n}&_et={rng.randrange(50, 60000)}"
        f"&sr=1920x1080&ts={1731000000000 + rng.randrange(10**6)}\n" for n in range(3000)
    ).encode())  # fmt: skip
    corpus.append(b"<html><body>" + b"<p>Book an appointment with our cardiology team.</p>" * 2000 + b"</body>")
    for seed in OTHER_SEEDS:
        other = CanaryIdentity.generate(seed)
        pieces = [
            _embed(f"{field}/{name}", encoded)[0]
            for field in FIELDS
            for name, (encoded, _) in _text_encodings(other.values()[field]).items()
        ]
        pieces += [_embed(f"{f}/{form}", hashlib.sha256(text.encode()).hexdigest())[0]
                   for (f, form), text in _vendor_forms(other).items()]  # fmt: skip
        pieces.append(base64.b64encode(json.dumps(other.values()).encode()).decode())
        corpus.append("\n".join(pieces).encode())
    return corpus


def test_no_hits_in_unrelated_payloads(matcher: CanaryMatcher) -> None:
    for payload in _unrelated_corpus():
        assert matcher.find(payload) == []
        assert matcher.find(payload.decode("latin-1")) == []


def test_matches_never_carry_a_value(matcher: CanaryMatcher) -> None:
    payload = json.dumps(CANARY.values()) + base64.b64encode(json.dumps(CANARY.values()).encode()).decode()
    payload += "&".join(f"{k}={hashlib.sha256(v.lower().encode()).hexdigest()}" for k, v in CANARY.values().items())
    matches = matcher.find(payload)
    assert {m.field for m in matches} == set(FIELDS)
    values = [v.lower() for v in CANARY.values().values() if len(v) > 3]
    for match in matches:
        shown = (repr(match) + match.evidence("body").model_dump_json()).lower()
        assert not [v for v in values if v in shown]
    assert not [v for v in values if v in repr(matcher).lower() or v in repr(CANARY).lower()]


def test_match_fields_names_the_parameter_and_offsets_within_it(matcher: CanaryMatcher) -> None:
    pairs = [("v", "2"), ("ep.note", f"called about {CANARY.symptom}"), ("empty", ""), ("uid", CANARY.mrn)]
    matches = matcher.match_fields(pairs)
    assert [(m.param, m.field, m.start) for m in matches] == [("ep.note", "symptom", 13), ("uid", "mrn", 0)]
    assert matches[1].end == len(CANARY.mrn)
    assert matcher.match_fields([]) == []


def test_text_offsets_count_characters_and_bytes_offsets_count_bytes(matcher: CanaryMatcher) -> None:
    text = "Prénom: Zoë — " + CANARY.email + " ✓ " + CANARY.mrn
    by_text = matcher.find(text)
    assert [text[m.start : m.end] for m in by_text] == [CANARY.email, CANARY.mrn]
    data = text.encode()
    assert [data[m.start : m.end].decode() for m in matcher.find(data)] == [CANARY.email, CANARY.mrn]


def test_a_value_inside_a_longer_hit_is_not_reported_again(matcher: CanaryMatcher) -> None:
    assert [m.field for m in matcher.find(f"to={CANARY.email}")] == ["email"]
    assert [m.field for m in matcher.find(f"name={CANARY.last_name.upper()}^{CANARY.first_name.upper()}")] == [
        "full_name"
    ]


def test_numbers_must_stand_alone(matcher: CanaryMatcher) -> None:
    assert matcher.find(f"ts=1{CANARY.zip}0&id=a{CANARY.mrn}") == []
    assert matcher.find(f"n=9{_digits(CANARY.phone)}") == []
    assert matcher.find(f"h=3fa{CANARY.zip}c9") == []
    [zip_match] = matcher.find(f"zip={CANARY.zip}-4411")
    assert (zip_match.field, zip_match.encoding) == ("zip", "plain")
    assert zip_match.category is DataCategory.ADDRESS and "zip" not in UNIQUE_FIELDS
    [dob_match] = matcher.find(f'{{"birthDate":"{CANARY.dob}T00:00:00Z"}}')
    assert (dob_match.field, dob_match.encoding) == ("dob", "plain")


@pytest.mark.parametrize("form", ["(212) 555-0147", "212-555-0147", "212.555.0147", "+1 212-555-0147",
                                  "+12125550147", "12125550147", "2125550147", "1-212-555-0147"])  # fmt: skip
def test_phone_is_found_however_it_is_written(form: str) -> None:
    matcher = CanaryMatcher(dataclasses.replace(CANARY, phone="(212) 555-0147"))
    assert [(m.field, m.encoding) for m in matcher.find(f"tel={form};")] == [("phone", "plain")]


@pytest.mark.parametrize("form", ["+33 6 39 98 41 27", "+33639984127", "33639984127", "0033639984127",
                                  "06 39 98 41 27", "0639984127", "06.39.98.41.27"])  # fmt: skip
def test_french_phone_is_found_however_it_is_written(form: str) -> None:
    matcher = CanaryMatcher(dataclasses.replace(CANARY, phone_fr="+33 6 39 98 41 27"))
    assert [(m.field, m.encoding) for m in matcher.find(f"tel={form};")] == [("phone_fr", "plain")]


def test_a_matcher_pickles_small_for_child_processes(matcher: CanaryMatcher) -> None:
    data = pickle.dumps(matcher)
    assert len(data) < 4096
    assert pickle.loads(data).find(CANARY.email) == matcher.find(CANARY.email) != []


def test_the_matcher_keeps_values_out_of_logs(matcher: CanaryMatcher) -> None:
    assert CANARY.symptom not in logsafe.scrub(f"leak: {CANARY.symptom}")
    assert CANARY.mrn not in logsafe.scrub(f"leak: {CANARY.mrn}")


def test_generation_is_deterministic_per_seed() -> None:
    assert CanaryIdentity.generate("abc") == CanaryIdentity.generate("abc")
    assert CanaryIdentity.generate("abc").values() != CanaryIdentity.generate("abd").values()
    assert CanaryIdentity.generate().seed != CanaryIdentity.generate().seed


def test_invented_values_are_unique_across_seeds() -> None:
    identities = [CanaryIdentity.generate(f"seed-{n}") for n in range(300)]
    for field in UNIQUE_FIELDS:
        values = [identity.values()[field].lower() for identity in identities]
        assert len(set(values)) == len(values), field


@pytest.mark.parametrize("seed", [f"shape-{n}" for n in range(40)])
def test_values_have_safe_and_plausible_shapes(seed: str) -> None:
    canary = CanaryIdentity.generate(seed)
    assert canary.email.endswith("@example.com") and canary.email == canary.email.lower()
    local, domain = canary.gmail.split("@")
    assert domain == "gmail.com" and local.count(".") >= 2
    assert re.fullmatch(r"\([2-9]\d\d\) 555-01\d\d", canary.phone)
    assert re.fullmatch(r"\+33 6 39 98 \d\d \d\d", canary.phone_fr)
    assert re.fullmatch(r"(19[4-9]\d|200[0-3])-\d\d-\d\d", canary.dob)
    assert re.fullmatch(r"\d{5}", canary.zip) and re.fullmatch(r"\d{10}", canary.mrn)
    assert re.fullmatch(r"[A-Z]{3}\d{9}", canary.member_id)
    assert re.fullmatch(r"\d+ [A-Z][a-z]+ [A-Z][a-z]+", canary.street)
    assert " " in canary.city and canary.gender in ("female", "male")
    assert " after taking " in canary.symptom and len(canary.search_term.split()) >= 2
    assert all(value.isascii() and value == value.strip() for value in canary.values().values())


def test_json_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "canary.json"
    CANARY.save(path)
    assert CanaryIdentity.load(path) == CANARY
    assert json.loads(path.read_text())["values"]["email"] == CANARY.email


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not JSON"),
        ('{"format": "other/9", "seed": "x", "values": {}}', "format"),
        (json.dumps({"format": "phileak-canary/1", "values": {"email": CANARY.email}}), "no seed"),
        (
            json.dumps(
                {"format": "phileak-canary/1", "seed": "s", "values": {**CANARY.values(), "mrn": "  ", "zip": 60614}}
            ),
            "zip, mrn",
        ),
    ],
)
def test_bad_canary_files_are_refused_without_quoting_values(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "canary.json"
    path.write_text(text)
    with pytest.raises(InputError, match=message) as caught:
        CanaryIdentity.load(path)
    assert CANARY.email not in str(caught.value)


def test_a_missing_canary_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read canary file"):
        CanaryIdentity.load(tmp_path / "absent.json")
