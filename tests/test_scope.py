"""The scope guard: rule parsing, matching tables, DNS-answer policy and --resolve overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phileak.errors import InputError, ScopeViolation
from phileak.scope import Resolver, Scope
from phileak.targets import parse_target

WEB_SCOPE = Scope.from_rules(
    [
        "www.example-health.test",
        "*.portal.example-health.test",
        "https://records.example.test/patients/",
        "http://127.0.0.5:8042/dicom-web",
        "127.0.0.0/30",
        "::1",
    ]
)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://www.example-health.test/", True),
        ("http://WWW.Example-Health.TEST.:8080/any/path?q=1", True),
        ("https://example-health.test/", False),
        ("https://evil-www.example-health.test/", False),
        ("https://www.example-health.test.evil.test/", False),
        ("https://a.portal.example-health.test/", True),
        ("https://a.b.c.portal.example-health.test/", True),
        ("https://portal.example-health.test/", False),
        ("https://xportal.example-health.test/", False),
        ("https://records.example.test/patients/", True),
        ("https://records.example.test/patients", True),
        ("https://records.example.test/patients/123/notes", True),
        ("https://records.example.test:443/patients/1", True),
        ("https://records.example.test/patientsX", False),
        ("https://records.example.test/", False),
        ("https://records.example.test/patients/../admin", False),
        ("https://records.example.test/patients/%2e%2e/admin", False),
        ("https://records.example.test/patients/..%2fadmin", False),
        ("http://records.example.test/patients/1", False),
        ("https://records.example.test:8443/patients/1", False),
        ("https://user@records.example.test/patients/1", True),
        ("https://records.example.test@evil.test/patients/1", False),
        ("http://127.0.0.5:8042/dicom-web/studies", True),
        ("http://127.0.0.5:8042/", False),
        ("http://127.0.0.1/", True),
        ("http://127.0.0.3:9000/x", True),
        ("http://127.0.0.4/", False),
        ("http://[::1]:8080/", True),
        ("http://[::2]/", False),
        ("http://[::ffff:127.0.0.1]/", True),
        ("ftp://www.example-health.test/", False),
        ("https:///nohost", False),
    ],
)
def test_url_matching(url: str, allowed: bool) -> None:
    if allowed:
        WEB_SCOPE.check_url(url)
    else:
        with pytest.raises(ScopeViolation):
            WEB_SCOPE.check_url(url)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("www.example-health.test", True),
        ("a.portal.example-health.test", True),
        ("records.example.test", False),  # only authorised for some URLs, not as a bare host
        ("127.0.0.2", True),
        ("127.0.0.9", False),
        ("::1", True),
        ("[::1]", True),
        ("localhost", False),
    ],
)
def test_host_matching(host: str, allowed: bool) -> None:
    if allowed:
        WEB_SCOPE.check_host(host)
    else:
        with pytest.raises(ScopeViolation):
            WEB_SCOPE.check_host(host)


BUCKET_SCOPE = Scope.from_rules(
    ["s3://exh-*", "gs://exh-images", "azure://exhacct/reports-*", "azure://labacct"]
)


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("s3://exh-reports", True),
        ("s3://exh-reports/2024/", True),
        ("s3://EXH-Reports", True),
        ("s3://other-reports", False),
        ("gs://exh-reports", False),
        ("gs://exh-images", True),
        ("gs://exh-images-2", False),
        ("azure://exhacct/reports-2024", True),
        ("azure://exhacct/reports-2024/sub/dir", True),
        ("azure://exhacct/billing", False),
        ("azure://exhacct", False),
        ("azure://labacct/anything", True),
        ("azure://otheracct/reports-2024", False),
        ("https://exh-reports.s3.amazonaws.test/", False),
    ],
)
def test_bucket_matching(url: str, allowed: bool) -> None:
    if allowed:
        BUCKET_SCOPE.check_bucket(url)
    else:
        with pytest.raises(ScopeViolation):
            BUCKET_SCOPE.check_bucket(url)


def test_bucket_endpoint_must_be_in_scope_too() -> None:
    scope = Scope.from_rules(["s3://exh-*", "127.0.0.1/32"])
    scope.check_bucket("s3://exh-reports", endpoint="http://127.0.0.1:8333")
    with pytest.raises(ScopeViolation, match=r"127\.0\.0\.2"):
        scope.check_bucket("s3://exh-reports", endpoint="http://127.0.0.2:8333")


@pytest.mark.parametrize(
    ("probe", "text", "options", "allowed"),
    [
        ("web", "https://www.example-health.test/", {}, True),
        ("web", "https://elsewhere.test/", {}, False),
        ("dicom", "127.0.0.1:4242", {}, True),
        ("dicom", "127.0.0.9:4242", {}, False),
        ("dicom", "dicom-tls://www.example-health.test:2762", {}, True),
        ("dicom", "http://127.0.0.1:8042", {}, True),
        ("dicom", "pacs.elsewhere.test", {}, False),
        ("storage", "s3://exh-reports", {"endpoint": "http://127.0.0.1:8333"}, True),
        ("storage", "s3://exh-reports", {"endpoint": "http://127.0.0.9:8333"}, False),
        ("storage", "s3://other", {}, False),
        ("files", "/anywhere/exports", {}, True),
        ("har", "capture.har", {}, True),
    ],
)
def test_check_target(probe: str, text: str, options: dict[str, str], allowed: bool) -> None:
    scope = Scope.from_rules(["*.example-health.test", "www.example-health.test", "127.0.0.1", "s3://exh-*"])
    target = parse_target(probe, text, options)
    if allowed:
        scope.check_target(target)
    else:
        with pytest.raises(ScopeViolation):
            scope.check_target(target)


def test_empty_scope_allows_no_network_target() -> None:
    scope = Scope.from_rules([])
    assert scope.is_empty
    with pytest.raises(ScopeViolation):
        scope.check_url("http://127.0.0.1/")
    scope.check_target(parse_target("files", "./exports"))


@pytest.mark.parametrize(
    ("rule", "reason"),
    [
        ("127.0.0.300/8", "not a valid CIDR"),
        ("127.0.0.1/33", "not a valid CIDR"),
        ("127.0.0.300", "not a valid IP address"),
        ("*", "bare '*'"),
        ("*example.test", "leading"),
        ("www.*.example.test", "leading"),
        ("ftp://files.example.test/", "unknown scheme 'ftp'"),
        ("dicom://pacs.example.test:104", "unknown scheme"),
        ("bad_host!.test", "not a valid hostname"),
        ("pacs.example.test:4242", "takes no port"),
        ("https://user:pw@portal.example.test/x", "no credentials"),
        ("https://portal.example.test:99999/", "bad port"),
        ("s3://*", "every bucket"),
        ("s3://exh-reports/prefix", "names a bucket only"),
        ("azure://acct/container/dir", "account and a container only"),
        ("   ", "empty scope rule"),
    ],
)
def test_bad_rule_is_a_one_line_input_error(rule: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as info:
        Scope.from_rules([rule])
    message = str(info.value)
    assert "\n" not in message
    if rule.strip():
        assert repr(rule) in message


def test_rules_are_canonical_and_deduplicated() -> None:
    scope = Scope.from_rules(
        [
            "WWW.Example.TEST.",
            "www.example.test",
            "127.0.0.1",
            "::1",
            "127.0.0.9/24",
            "HTTPS://Portal.Example.Test:443/p",
        ]
    )
    assert scope.rules() == [
        "www.example.test",
        "127.0.0.1/32",
        "::1/128",
        "127.0.0.0/24",
        "https://portal.example.test/p/",
    ]


def test_url_prefix_rule_ignores_query_and_fragment() -> None:
    scope = Scope.from_rules(["https://portal.example.test/search?q=1#top"])
    assert scope.rules() == ["https://portal.example.test/search/"]
    scope.check_url("https://portal.example.test/search?q=other")
    with pytest.raises(ScopeViolation):
        scope.check_url("https://portal.example.test/admin?q=1")


def test_merged_keeps_both_sides() -> None:
    merged = Scope.from_rules(["a.example.test"]).merged(Scope.from_rules(["127.0.0.1", "a.example.test"]))
    assert merged.rules() == ["a.example.test", "127.0.0.1/32"]
    merged.check_url("http://a.example.test/")
    merged.check_url("http://127.0.0.1/")


def test_scope_file_with_comments(tmp_path: Path) -> None:
    path = tmp_path / "scope.txt"
    path.write_text(
        "# Example Health, authorised 2026-11-20\n"
        "\n"
        "*.example-health.test   # every subdomain\n"
        "   127.0.0.1/32\n"
        "# s3://commented-out\n"
        "s3://exh-*\n",
        encoding="utf-8",
    )
    scope = Scope.from_file(path)
    assert scope.rules() == ["*.example-health.test", "127.0.0.1/32", "s3://exh-*"]
    with pytest.raises(ScopeViolation):
        scope.check_bucket("s3://commented-out")


def test_scope_file_bad_rule_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "scope.txt"
    path.write_text("www.example.test\n\n127.0.0.300/8\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"scope\.txt:3: bad scope rule '127\.0\.0\.300/8'"):
        Scope.from_file(path)


@pytest.mark.parametrize("make_path", [lambda p: p / "missing.txt", lambda p: p])
def test_unreadable_scope_file(tmp_path: Path, make_path: object) -> None:
    path = make_path(tmp_path)  # type: ignore[operator]
    with pytest.raises(InputError, match="cannot read scope file"):
        Scope.from_file(path)


def test_scope_file_not_text(tmp_path: Path) -> None:
    path = tmp_path / "scope.bin"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="not UTF-8"):
        Scope.from_file(path)


@pytest.mark.parametrize(
    ("address", "scope_rules", "allowed"),
    [
        # no CIDR rules: only public addresses may be used
        ("127.0.0.1", ["x.test"], False),
        ("169.254.169.254", ["x.test"], False),
        ("100.64.0.1", ["x.test"], False),
        ("0.0.0.0", ["x.test"], False),
        ("224.0.0.251", ["x.test"], False),
        ("255.255.255.255", ["x.test"], False),
        ("fd12:3456::1", ["x.test"], False),
        ("fe80::1", ["x.test"], False),
        ("::1", ["x.test"], False),
        ("::ffff:127.0.0.1", ["x.test"], False),
        ("ff02::1", ["x.test"], False),
        ("93.184.215.14", ["x.test"], True),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", ["x.test"], True),
        # CIDR rules present: an answer must fall inside one
        ("127.0.0.1", ["x.test", "127.0.0.1/32"], True),
        ("::ffff:127.0.0.1", ["x.test", "127.0.0.1/32"], True),
        ("127.0.0.2", ["x.test", "127.0.0.1/32"], False),
        ("93.184.215.14", ["x.test", "127.0.0.1/32"], False),
        ("not-an-ip", ["x.test"], False),
    ],
)
def test_dns_answer_policy(address: str, scope_rules: list[str], allowed: bool) -> None:
    scope = Scope.from_rules(scope_rules)
    if allowed:
        scope.check_address(address)
    else:
        with pytest.raises(ScopeViolation):
            scope.check_address(address)


async def test_real_resolver_answer_outside_cidr_is_refused() -> None:
    # `localhost` comes from /etc/hosts (127.0.0.1), never from the network.
    resolver = Resolver()
    with pytest.raises(ScopeViolation, match="resolves only to addresses outside the scope") as info:
        await Scope.from_rules(["localhost", "127.0.0.2/32"]).resolve_checked("localhost", 80, resolver)
    assert info.value.subject == "localhost"
    with pytest.raises(ScopeViolation, match="outside the scope"):
        await Scope.from_rules(["localhost"]).resolve_checked("localhost", 80, resolver)
    loopback = Scope.from_rules(["localhost", "127.0.0.0/8"])
    assert await loopback.resolve_checked("localhost", 80, resolver) == "127.0.0.1"


async def test_resolve_checked_refuses_unauthorised_names_and_addresses() -> None:
    scope = Scope.from_rules(["www.example.test", "https://api.example.test/v1/", "127.0.0.1/32"])
    resolver = Resolver.parse(["*=127.0.0.1"])
    assert await scope.resolve_checked("www.example.test", 443, resolver) == "127.0.0.1"
    assert await scope.resolve_checked("API.example.test.", 443, resolver) == "127.0.0.1"
    assert await scope.resolve_checked("127.0.0.1", 80, resolver) == "127.0.0.1"
    with pytest.raises(ScopeViolation, match="no scope rule allows this host"):
        await scope.resolve_checked("other.example.test", 443, resolver)
    with pytest.raises(ScopeViolation, match="outside every CIDR rule"):
        await scope.resolve_checked("127.0.0.2", 80, resolver)


async def test_resolve_checked_picks_an_authorised_answer_only() -> None:
    scope = Scope.from_rules(["www.example.test", "127.0.0.3/32"])
    resolver = Resolver.parse(["www.example.test=127.0.0.2", "www.example.test=127.0.0.3"])
    assert await resolver.resolve("www.example.test") == ["127.0.0.2", "127.0.0.3"]
    assert await scope.resolve_checked("www.example.test", 80, resolver) == "127.0.0.3"


async def test_resolver_overrides_most_specific_first() -> None:
    resolver = Resolver.parse(["*=127.0.0.1", "*.cdn.example.test=127.0.0.2", "a.cdn.example.test=[::1]"])
    assert await resolver.resolve("a.cdn.example.test") == ["::1"]
    assert await resolver.resolve("b.cdn.example.test") == ["127.0.0.2"]
    assert await resolver.resolve("cdn.example.test") == ["127.0.0.1"]
    assert await resolver.resolve("127.0.0.9") == ["127.0.0.9"]
    assert resolver.entries() == ["*=127.0.0.1", "*.cdn.example.test=127.0.0.2", "a.cdn.example.test=::1"]


@pytest.mark.parametrize(
    "entry",
    [
        "www.example.test",
        "www.example.test=",
        "=127.0.0.1",
        "www.example.test=not-an-ip",
        "bad host=127.0.0.1",
        "www.example.test:443=127.0.0.1",
        "www.example.test=127.0.0.300",
    ],
)
def test_bad_resolve_entry(entry: str) -> None:
    with pytest.raises(InputError, match="bad --resolve entry") as info:
        Resolver.parse([entry])
    assert "\n" not in str(info.value)


_LABELS = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)


@given(apex=st.lists(_LABELS, min_size=1, max_size=3), below=st.lists(_LABELS, min_size=1, max_size=4))
def test_wildcard_matches_every_depth_but_never_the_apex(apex: list[str], below: list[str]) -> None:
    domain = ".".join([*apex, "test"])
    scope = Scope.from_rules([f"*.{domain}"])
    scope.check_host(".".join([*below, domain]))
    with pytest.raises(ScopeViolation):
        scope.check_host(domain)
    with pytest.raises(ScopeViolation):
        scope.check_host(below[0] + domain)


def test_host_answers_are_remembered_but_never_a_name_longer_than_dns_allows() -> None:
    scope = Scope.from_rules(["*.hospital.test", "127.0.0.0/8"])
    scope.check_url("https://portal.hospital.test/a")
    scope.check_url("http://127.1.2.3/b")
    with pytest.raises(ScopeViolation):
        scope.check_url("https://" + "x" * 5000 + ".tracker.test/")
    with pytest.raises(ScopeViolation):
        scope.check_url("https://" + "a." * 3000 + "hospital.test.evil.test/")
    assert scope._host_answers == {"portal.hospital.test": True, "127.1.2.3": True}
    scope.check_url("https://" + "a." * 200 + "hospital.test/")  # 413 characters: allowed, not remembered
    assert len(scope._host_answers) == 2
