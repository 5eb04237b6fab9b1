"""The browser-free parts of the web probe: resolver rules, routing decisions, form-field matching, link
priorities, the flows file, HAR redaction."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from pathlib import Path

import pytest

from phileak.errors import InputError
from phileak.phi.canary import CanaryIdentity, CanaryMatcher
from phileak.probes.web.capture import WebSocketMessage
from phileak.probes.web.crawl import Frontier, link_class, normalise_link
from phileak.probes.web.fields import PASSWORD, SEARCH, USERNAME, Control, classify, option_for, value_for
from phileak.probes.web.flowfile import expand, load_flows, parse_flows
from phileak.probes.web.flows import FormGroup, group_controls
from phileak.probes.web.har_export import (
    HarRedactor,
    export_har,
    local_websocket_entries,
    redact_binary_body,
    redact_entry,
)
from phileak.probes.web.hostrules import build_host_rules, cidr_patterns
from phileak.probes.web.routing import Decision, RoutingPolicy, ThirdPartyMode, first_party_domains
from phileak.scope import Resolver, Scope

SITE = "https://www.example-health.test/"
CANARY = CanaryIdentity.generate("unit-tests")


# ---------------------------------------------------------------- resolver rules


async def test_a_star_pin_maps_every_name_and_keeps_chromium_from_calling_home() -> None:
    scope = Scope.from_rules([SITE, "127.0.0.1"])
    rules = await build_host_rules(scope, Resolver.parse(["*=127.0.0.1"]), start_hosts=["www.example-health.test"])
    assert rules.rules.startswith("MAP *.googleapis.com ~NOTFOUND, MAP clients*.google.com ~NOTFOUND, ")
    assert rules.rules.endswith("MAP * 127.0.0.1")
    assert "EXCLUDE" not in rules.rules


async def test_without_a_star_pin_unknown_names_do_not_resolve_and_pins_come_first() -> None:
    scope = Scope.from_rules([SITE, "127.0.0.1", "*.cdn.example-health.test"])
    resolver = Resolver.parse(["www.example-health.test=127.0.0.1", "*.tracker.test=127.0.0.2"])
    rules = await build_host_rules(scope, resolver)
    assert rules.rules == (
        "MAP *.googleapis.com ~NOTFOUND, MAP clients*.google.com ~NOTFOUND, "
        "MAP www.example-health.test 127.0.0.1, MAP *.tracker.test 127.0.0.2, MAP * ~NOTFOUND, "
        "EXCLUDE *.cdn.example-health.test, EXCLUDE 127.0.0.1"
    )


async def test_an_exact_scope_host_is_resolved_and_checked_before_launch() -> None:
    # localhost resolves to loopback, which no CIDR rule allows: left unresolvable, and said so.
    rules = await build_host_rules(Scope.from_rules(["localhost"]), Resolver())
    assert ("localhost", "~NOTFOUND") in rules.pins
    assert rules.refused == ("localhost",)


async def test_a_wildcard_scope_rule_covering_a_pin_is_not_excluded() -> None:
    scope = Scope.from_rules(["*.example-health.test", "127.0.0.1"])
    rules = await build_host_rules(scope, Resolver.parse(["www.example-health.test=127.0.0.1"]))
    assert "EXCLUDE *.example-health.test" not in rules.rules  # it would silently drop the pin


async def test_third_party_modes_other_than_block_keep_the_system_resolver() -> None:
    rules = await build_host_rules(Scope.from_rules(["127.0.0.1"]), Resolver(), guard_unknown_names=False)
    assert rules.catch_all is None


def test_cidr_patterns() -> None:
    assert cidr_patterns("127.0.0.1/32") == ["127.0.0.1"]
    assert cidr_patterns("10.0.0.0/8") == ["10.*"]
    assert cidr_patterns("10.1.0.0/23") == ["10.1.*"]  # widened to an octet boundary; the router still checks
    assert cidr_patterns("10.1.0.0/30") == ["10.1.0.0", "10.1.0.1", "10.1.0.2", "10.1.0.3"]
    assert cidr_patterns("::1/128") == ["::1", "[::1]"]
    assert cidr_patterns("0.0.0.0/1") == []


# ---------------------------------------------------------------- routing


def _policy(mode: ThirdPartyMode = ThirdPartyMode.BLOCK, resolve: tuple[str, ...] = ()) -> RoutingPolicy:
    matcher = CanaryMatcher(CANARY)
    return RoutingPolicy(
        scope=Scope.from_rules(["https://www.example-health.test/public/", "127.0.0.1"]),
        first_party=first_party_domains(["www.example-health.test"]),
        resolver=Resolver.parse(list(resolve)),
        third_party=mode,
        carries_canary=lambda url: bool(matcher.find(url)),
    )


@pytest.mark.parametrize(
    ("url", "kwargs", "expected"),
    [
        ("https://www.example-health.test/public/a", {}, Decision.FORWARD),
        ("https://www.example-health.test/private/a", {}, Decision.REFUSE),  # first party outside the scope
        ("https://portal.example-health.test/", {"resource_type": "image"}, Decision.REFUSE),
        ("https://www.facebook.com/tr?ev=PageView", {"resource_type": "image"}, Decision.ANSWER_EMPTY),
        ("https://www.facebook.com/", {"main_frame_navigation": True}, Decision.REFUSE),  # never leave the site
        ("https://www.example-health.test/public/book", {"method": "POST", "dry_submit": True}, Decision.ANSWER_FORM),
        ("https://www.example-health.test/public/book", {"method": "POST"}, Decision.FORWARD),
        ("javascript:alert(1)", {}, Decision.REFUSE),
        ("data:text/plain,x", {}, Decision.FORWARD),
    ],
)
def test_block_mode_decisions(url: str, kwargs: dict[str, object], expected: Decision) -> None:
    assert _policy().decide(url, **kwargs) is expected  # type: ignore[arg-type]


def test_a_third_party_pinned_inside_the_scope_goes_to_its_local_sink() -> None:
    policy = _policy(resolve=("*=127.0.0.1",))
    assert policy.decide("https://www.facebook.com/tr", resource_type="image") is Decision.FORWARD
    assert _policy(resolve=("*=10.9.9.9",)).decide("https://www.facebook.com/tr") is Decision.ANSWER_EMPTY


def test_scripts_mode_loads_tag_libraries_but_answers_beacons_and_canary_urls_locally() -> None:
    policy = _policy(ThirdPartyMode.SCRIPTS)
    assert policy.decide("https://connect.facebook.net/fbevents.js", resource_type="script") is Decision.FORWARD
    assert policy.decide("https://www.facebook.com/tr/", method="POST", resource_type="ping") is Decision.ANSWER_EMPTY
    leaky = f"https://cdn.tracker.test/tag.js?em={CANARY.email}"
    assert policy.decide(leaky, resource_type="script") is Decision.ANSWER_EMPTY


def test_websocket_decisions() -> None:
    assert _policy().decide_websocket("wss://chat.vendor.test/socket") is Decision.ANSWER_EMPTY
    assert _policy().decide_websocket("wss://www.example-health.test/public/ws") is Decision.FORWARD
    assert _policy().decide_websocket("wss://staff.example-health.test/ws") is Decision.REFUSE
    assert _policy(ThirdPartyMode.ALLOW).decide_websocket("wss://chat.vendor.test/socket") is Decision.FORWARD


# ---------------------------------------------------------------- form fields


def _control(**fields: object) -> Control:
    return Control.from_js({"index": 0, "tag": "input", "type": "text", **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"autocomplete": "given-name"}, "first_name"),
        ({"autocomplete": "shipping postal-code"}, "zip"),
        ({"type": "email"}, "email"),
        ({"type": "tel"}, "phone"),
        ({"type": "date"}, "dob"),
        ({"type": "password"}, PASSWORD),
        ({"type": "search"}, SEARCH),
        ({"name": "q"}, SEARCH),
        ({"name": "firstName"}, "first_name"),
        ({"name": "patient_last_name"}, "last_name"),
        ({"label": "Date of birth"}, "dob"),
        ({"placeholder": "Your full name"}, "full_name"),
        ({"id": "mrn"}, "mrn"),
        ({"label": "Insurance member ID"}, "member_id"),
        ({"name": "zip_code"}, "zip"),
        ({"aria": "Email address"}, "email"),
        ({"name": "username"}, USERNAME),
        ({"tag": "textarea", "name": "details"}, "symptom"),
        ({"type": "checkbox", "name": "email_optin"}, None),
        ({"type": "hidden", "name": "email"}, None),
        ({"name": "xyz123"}, None),
    ],
)
def test_classify(fields: dict[str, object], expected: str | None) -> None:
    assert classify(_control(**fields)) == expected


def test_values_take_the_shape_the_control_expects() -> None:
    values = CANARY.values()
    year, month, day = CANARY.dob.split("-")
    assert value_for(_control(type="date"), "dob", values) == CANARY.dob
    assert value_for(_control(placeholder="MM/DD/YYYY"), "dob", values) == f"{month}/{day}/{year}"
    assert value_for(_control(placeholder="jj/mm/aaaa"), "dob", values) == f"{day}/{month}/{year}"
    assert value_for(_control(), USERNAME, values) == CANARY.email


def test_select_options() -> None:
    states = _control(tag="select", options=[["", "State"], ["CA", "California"], [CANARY.state, "Chosen"]])
    assert option_for(states, "state", CANARY.values()) == CANARY.state
    other = _control(tag="select", options=[["", "Pick"], ["a", "A"], ["b", "B"]])
    assert option_for(other, "gender", CANARY.values()) == "a"


def test_forms_group_by_form_and_tell_login_from_booking() -> None:
    controls = [
        _control(index=0, form=0, name="email", type="email"),
        _control(index=1, form=0, type="password", name="pw"),
        _control(index=2, form=1, name="first_name"),
        _control(index=3, form=1, tag="textarea", name="reason"),
        _control(index=4, form=2, type="search", name="q"),
        _control(index=5, form=1, name="dob", visible=False),
    ]
    groups = {g.form: g for g in group_controls(controls)}
    assert groups[0].is_login and groups[0].asks_identity
    assert not groups[1].is_login and groups[1].kinds == {"first_name", "symptom"}
    assert groups[2].kinds == {SEARCH} and not groups[2].asks_identity
    assert isinstance(groups[1], FormGroup) and groups[1].signature() == "input:first_name|textarea:reason"


# ---------------------------------------------------------------- crawl


@pytest.mark.parametrize(
    ("url", "text", "expected"),
    [
        ("https://h.test/appointments/new", "", "booking"),
        ("https://h.test/x", "Request an appointment", "booking"),
        ("https://h.test/health-library/asthma", "", "condition"),
        ("https://h.test/conditions/hiv", "", "condition"),
        ("https://h.test/find-a-doctor", "", "doctor"),
        ("https://h.test/tools/symptom-checker", "", "symptom"),
        ("https://h.test/mychart/login", "", "portal"),
        ("https://h.test/search?q=x", "", "search"),
        ("https://h.test/about/history", "Our history", None),
    ],
)
def test_link_classes(url: str, text: str, expected: str | None) -> None:
    assert link_class(url, text)[0] == expected


def test_normalise_link() -> None:
    base = "https://www.example-health.test/a/b"
    assert normalise_link(base, "../c#top") == "https://www.example-health.test/c"
    assert normalise_link(base, "https://WWW.Example-Health.test:443/x?y=1") == "https://www.example-health.test/x?y=1"
    assert normalise_link(base, "mailto:a@b.test") is None
    assert normalise_link(base, "/brochure.pdf") is None
    assert normalise_link(base, "javascript:void(0)") is None


def test_frontier_orders_health_pages_first_and_keeps_to_the_site_and_scope() -> None:
    policy = _policy()
    frontier = Frontier(["example-health.test"], policy.in_scope)
    base = "https://www.example-health.test/public/"
    assert frontier.add(base, start=True)
    links = [
        ("/public/about", "About us"),
        ("/public/conditions/asthma", "Asthma"),
        ("/public/book", "Book an appointment"),
        ("/private/admin", "Admin"),
        ("https://www.facebook.com/examplehealth", "Facebook"),
        ("/public/about", "About again"),
    ]
    assert frontier.add_links(base, links, depth=1) == 3
    order = [frontier.pop() for _ in range(4)]
    assert [t.url.rsplit("/", 1)[-1] for t in order if t] == ["", "book", "asthma", "about"]
    assert frontier.refused == {"https://www.example-health.test/private/admin": 1}
    assert frontier.off_site == 1


# ---------------------------------------------------------------- flows file


def test_flows_file(tmp_path: Path) -> None:
    path = tmp_path / "flows.toml"
    path.write_text(
        """
[[flow]]
name = "portal"
[[flow.step]]
goto = "https://www.example-health.test/portal"
[[flow.step]]
login = { username = "test-user", password_env = "PHILEAK_TEST_PASSWORD" }
[[flow.step]]
fill = "#msg"
value = "I am {canary.first_name}"
label = "message"
[[flow.step]]
wait = 1.5
""",
        encoding="utf-8",
    )
    (flow,) = load_flows(path)
    assert [s.action for s in flow.steps] == ["goto", "login", "fill", "wait"]
    assert flow.label(2, flow.steps[2]) == "message" and flow.label(0, flow.steps[0]) == "flow:portal:1:goto"
    assert flow.steps[2].uses_canary() and not flow.steps[0].uses_canary()
    assert expand(flow.steps[2].value or "", CANARY.values()) == f"I am {CANARY.first_name}"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "no [[flow]] tables"),
        ({"flow": [{"name": "x"}]}, "no [[flow.step]] tables"),
        ({"flow": [{"step": [{"goto": "u", "click": "b"}]}]}, "exactly one of"),
        ({"flow": [{"step": [{"teleport": "u"}]}]}, "exactly one of"),
        ({"flow": [{"step": [{"click": "b", "colour": "red"}]}]}, "unknown key(s) colour"),
        ({"flow": [{"step": [{"fill": "#a"}]}]}, "fill needs a value"),
        ({"flow": [{"step": [{"fill": "#a", "value": "{canary.shoe_size}"}]}]}, "unknown canary field"),
        ({"flow": [{"step": [{"login": {"username": "u"}}]}]}, "login needs username"),
        ({"flow": [{"step": [{"wait": 600}]}]}, "wait takes a number"),
        ({"flow": [{"submit": "maybe", "step": [{"wait": 1}]}]}, 'submit must be "dry" or "real"'),
    ],
)
def test_bad_flows_are_one_line_input_errors(document: object, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        parse_flows(document)


def test_unreadable_flows_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read flows file"):
        load_flows(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[flow]\n", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_flows(bad)


def test_expand_reads_the_environment_and_says_which_variable_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PHILEAK_TEST_SECRET", "pa55word-xyz")
    assert expand("{env.PHILEAK_TEST_SECRET}", {}) == "pa55word-xyz"
    monkeypatch.delenv("PHILEAK_TEST_SECRET")
    with pytest.raises(InputError, match="PHILEAK_TEST_SECRET is not set"):
        expand("{env.PHILEAK_TEST_SECRET}", {})


# ---------------------------------------------------------------- HAR export


def _redactor() -> HarRedactor:
    return HarRedactor(CanaryMatcher(CANARY))


def test_redact_entry_leaves_no_canary_value_anywhere() -> None:
    email_hash = hashlib.sha256(CANARY.email.lower().encode()).hexdigest()
    entry = {
        "request": {
            "method": "POST",
            "url": f"https://www.facebook.com/tr?ud%5Bem%5D={email_hash}",
            "headers": [{"name": "Referer", "value": f"https://site.test/?name={CANARY.last_name}"}],
            "cookies": [{"name": "c", "value": CANARY.mrn}],
            "queryString": [{"name": "ud[em]", "value": email_hash}],
            "postData": {"mimeType": "text/plain", "text": f"fn={CANARY.first_name}"},
        },
        "response": {"status": 200, "headers": [], "content": {"text": f"hello {CANARY.full_name}"},
                     "redirectURL": ""},
        "_webSocketMessages": [{"type": "send", "time": 1.0, "opcode": 1, "data": CANARY.symptom}],
    }  # fmt: skip
    redact_entry(entry, _redactor())
    text = json.dumps(entry)
    for value in (email_hash, CANARY.last_name, CANARY.mrn, CANARY.first_name, CANARY.symptom):
        assert value not in text
    assert "[canary email sha256-hex]" in text


def test_gzip_bodies_are_redacted_inside_and_stay_gzip() -> None:
    raw = gzip.compress(json.dumps({"typed": CANARY.email}).encode())
    redacted = redact_binary_body(raw, None, _redactor())
    assert redacted is not None and redacted.startswith(b"\x1f\x8b")
    inner = gzip.decompress(redacted).decode()
    assert CANARY.email not in inner and "[canary email" in inner


def test_binary_bodies_carrying_a_canary_are_dropped() -> None:
    blob = b"\x00\xff" + CANARY.email.encode() + b"\xfe"
    assert redact_binary_body(blob, None, _redactor()) is None
    harmless = b"\x00\xff\x10"
    assert redact_binary_body(harmless, None, _redactor()) == harmless


def test_local_websocket_entries_are_written_like_devtools() -> None:
    messages = [
        WebSocketMessage("wss://chat.test/s", "sent", "hello", 1_700_000_000.5, answered_locally=True),
        WebSocketMessage("wss://chat.test/s", "sent", b"\x01\x02", 1_700_000_001.0, answered_locally=True),
        WebSocketMessage("wss://other.test/s", "sent", "x", 1_700_000_002.0, answered_locally=False),
    ]
    pages = [{"id": "page@1", "startedDateTime": "2023-11-14T22:13:00.000Z"}]
    (entry,) = local_websocket_entries(messages, pages)
    assert entry["response"]["status"] == 101 and entry["pageref"] == "page@1"
    assert entry["_webSocketMessages"] == [
        {"type": "send", "time": 1_700_000_000.5, "opcode": 1, "data": "hello"},
        {"type": "send", "time": 1_700_000_001.0, "opcode": 2, "data": base64.b64encode(b"\x01\x02").decode()},
    ]


def _har(entries: list[dict[str, object]]) -> dict[str, object]:
    return {"log": {"version": "1.2", "creator": {"name": "Playwright", "version": "1"}, "pages": [],
                    "entries": entries}}  # fmt: skip


def test_export_merges_targets_of_one_scan_and_restores_binary_bodies(tmp_path: Path) -> None:
    body = gzip.compress(b'{"chunk":1}')
    message = {"type": "send", "time": 1_700_000_000_123.0, "opcode": 1, "data": "x"}  # Playwright: milliseconds
    first = {"request": {"method": "POST", "url": "https://www.clarity.ms/collect", "bodySize": len(body),
                         "headers": [], "postData": {"mimeType": "application/octet-stream", "text": ""}},
             "response": {"status": 204, "headers": [], "content": {}},
             "_webSocketMessages": [message]}  # fmt: skip
    raw = tmp_path / "raw.har"
    raw.write_text(json.dumps(_har([first])), encoding="utf-8")
    out = tmp_path / "out" / "scan.har"
    bodies = {("POST", "https://www.clarity.ms/collect"): [body]}
    assert export_har(raw, out, scan_id="s1", redactor=_redactor(), binary_bodies=bodies) == 1
    assert export_har(raw, out, scan_id="s1", redactor=_redactor()) == 1
    document = json.loads(out.read_text(encoding="utf-8"))
    entries = document["log"]["entries"]
    assert len(entries) == 2 and out.stat().st_mode & 0o777 == 0o600
    post = entries[0]["request"]["postData"]
    assert post["encoding"] == "base64" and gzip.decompress(base64.b64decode(post["text"])) == b'{"chunk":1}'
    assert entries[0]["_webSocketMessages"][0]["time"] == pytest.approx(1_700_000_000.123)
    export_har(raw, out, scan_id="another-scan", redactor=_redactor())
    assert len(json.loads(out.read_text(encoding="utf-8"))["log"]["entries"]) == 1  # a new scan starts afresh


# ---------------------------------------------------------------- probe settings and canary


def test_web_settings_from_cli_options(tmp_path: Path) -> None:
    from phileak.probes.web.actor import SubmitMode
    from phileak.probes.web.probe import WebSettings

    settings = WebSettings.from_options({"max_pages": 7, "submit_forms": False, "har": tmp_path / "x.har"})
    assert settings.crawl.max_pages == 7 and settings.submit is SubmitMode.NONE
    assert settings.har == tmp_path / "x.har" and settings.third_party is ThirdPartyMode.BLOCK
    assert WebSettings.from_options({"submit_forms": True}).submit is SubmitMode.REAL
    assert WebSettings.from_options({"dry_submit": True}).submit is SubmitMode.DRY
    assert WebSettings.from_options({"third_party": "scripts"}).third_party is ThirdPartyMode.SCRIPTS
    for bad in ({"third_party": "everything"}, {"max_pages": 0}, {"delay_s": -1}, {"max_searches": "two"}):
        with pytest.raises(InputError):
            WebSettings.from_options(bad)


def test_the_scan_canary_is_keyed_and_stable_for_a_scan() -> None:
    from phileak.phi.identity import IdentityHasher
    from phileak.probes.base import ScanContext
    from phileak.probes.web.probe import scan_canary

    def canary(key: bytes, scan: str) -> CanaryIdentity:
        ctx = ScanContext(scan_id=scan, scope=Scope(), identity=IdentityHasher(key))
        return scan_canary(ctx)[0]

    first = canary(b"k" * 32, "scan-a")
    assert canary(b"k" * 32, "scan-a").values() == first.values()  # --resume plants the same patient
    assert canary(b"j" * 32, "scan-a").values() != first.values()  # nobody without the key can rebuild it
    assert canary(b"k" * 32, "scan-b").values() != first.values()
    assert first.seed != "scan-a" and "scan-a" not in first.seed


def test_the_web_probe_is_registered() -> None:
    from phileak.probes import load_probe
    from phileak.probes.web.probe import WebProbe

    assert isinstance(load_probe("web"), WebProbe)
