"""The scope guard: which hosts, URLs, addresses and buckets phileak may contact, and what names resolve to.

Rules (one per line in a scope file, or `--allow`, or an audit plan's `[scope] allow`):
  www.example.test / *.example.test       hostname; `*.` matches any depth of subdomain, never the apex
  https://portal.example.test/patients/   URL prefix: scheme, host, port, path on a segment boundary
                                          (a query or fragment in the rule is ignored)
  127.0.0.1/32, ::1/128, 127.0.0.1        CIDR; a bare address is /32 or /128
  s3://exh-*, gs://name, azure://acct/ctr bucket patterns (fnmatch on bucket / account / container names)
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import posixpath
import re
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Final, TypeAlias
from urllib.parse import SplitResult, unquote, urlsplit

from phileak.errors import InputError, PhileakError, ScopeViolation, TransientError
from phileak.targets import Target

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

_WEB_PORTS = {"http": 80, "https": 443}
_BUCKET_SCHEMES = ("s3", "gs", "azure")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)\Z")
_BUCKET_PATTERN = re.compile(r"[a-z0-9.*?\[\]!_-]+\Z")


class HostNotFound(PhileakError):
    """A name that does not resolve. Not out of scope, not worth retrying."""


def parse_ip(text: str) -> IPAddress | None:
    """The address `text` spells (brackets allowed; IPv4-mapped IPv6 unwrapped), or None for a name."""
    try:
        address = ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalise_host(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


@functools.lru_cache(maxsize=4096)
def _host_and_key(hostname: str) -> tuple[str, str]:
    """A URL's host normalised, and as rules name it (an address in its canonical form)."""
    host = normalise_host(hostname)
    ip = parse_ip(host)
    return host, str(ip) if ip is not None else host


def host_pattern_matches(pattern: str, host: str) -> bool:
    """`*` matches every name, `*.suffix` every name below suffix (not suffix itself), else exact."""
    host = normalise_host(host)
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    return host == pattern


def is_public_address(address: IPAddress) -> bool:
    """False for loopback, private, link-local (cloud metadata), unique-local, multicast, reserved..."""
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def display_url(url: str) -> str:
    """A URL fit for messages and findings: no credentials, query or fragment (they may carry identifiers)."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2]
    except ValueError:
        return "<unparsable URL>"
    return f"{parts.scheme}://{netloc}{parts.path}" if parts.scheme else url.split("?")[0].split("#")[0]


def _normalise_path(raw_path: str) -> str:
    """The path a server would act on: percent-decoded, backslashes as slashes, dot segments resolved."""
    path = unquote(raw_path).replace("\\", "/")
    normal = posixpath.normpath("/" + path.lstrip("/"))
    return "" if normal == "/" else normal


def _checked_hostname(text: str) -> str:
    """A valid hostname (lowercased), else ValueError with the reason."""
    host = normalise_host(text)
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise ValueError("not a valid hostname")
    if labels[-1].isdigit():
        raise ValueError("not a valid IP address")
    return host


@dataclass(frozen=True)
class _HostRule:
    pattern: str

    @classmethod
    def parse(cls, text: str) -> _HostRule:
        if text == "*":
            raise ValueError("a bare '*' would allow every host")
        if text.startswith("*."):
            return cls("*." + _checked_hostname(text[2:]))
        if "*" in text:
            raise ValueError("'*' is only allowed as a leading '*.'")
        return cls(_checked_hostname(text))

    @property
    def text(self) -> str:
        return self.pattern

    def matches(self, host: str) -> bool:
        return host_pattern_matches(self.pattern, host)


@dataclass(frozen=True)
class _CidrRule:
    network: IPNetwork

    @classmethod
    def parse(cls, text: str) -> _CidrRule:
        try:
            network = ipaddress.ip_network(text.strip("[]"), strict=False)
        except ValueError as exc:
            raise ValueError("not a valid CIDR") from exc
        return cls(network)

    @property
    def text(self) -> str:
        return str(self.network)

    def contains(self, address: IPAddress) -> bool:
        return address.version == self.network.version and address in self.network


@dataclass(frozen=True)
class _UrlPrefixRule:
    scheme: str
    host: str
    port: int
    path: str  # normalised, no trailing slash; "" is the whole site

    @classmethod
    def parse(cls, parts: SplitResult) -> _UrlPrefixRule:
        if parts.username is not None:
            raise ValueError("a URL prefix takes no credentials")
        if not parts.hostname:
            raise ValueError("no host")
        try:
            port = parts.port or _WEB_PORTS[parts.scheme]
        except ValueError as exc:
            raise ValueError("bad port") from exc
        ip = parse_ip(parts.hostname)
        host = str(ip) if ip is not None else _checked_hostname(parts.hostname)
        return cls(parts.scheme, host, port, _normalise_path(parts.path))

    @property
    def text(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if _WEB_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}{self.path}/"

    def matches(self, scheme: str, host: str, port: int, path: str) -> bool:
        if (scheme, host, port) != (self.scheme, self.host, self.port):
            return False
        return not self.path or path == self.path or path.startswith(self.path + "/")


@dataclass(frozen=True)
class _BucketRule:
    scheme: str
    name: str  # bucket pattern; the account pattern for azure
    container: str | None = None  # azure only; None = every container of the account

    @classmethod
    def parse(cls, parts: SplitResult) -> _BucketRule:
        name = parts.netloc.lower()
        segments = [segment for segment in parts.path.lower().split("/") if segment]
        if parts.query or parts.fragment or len(segments) > (1 if parts.scheme == "azure" else 0):
            what = "an account and a container" if parts.scheme == "azure" else "a bucket"
            raise ValueError(f"a {parts.scheme} rule names {what} only")
        container = segments[0] if segments else None
        for pattern in filter(None, (name, container)):
            if not _BUCKET_PATTERN.match(pattern):
                raise ValueError(f"bad bucket pattern {pattern!r}")
        if not name.strip("*?"):
            raise ValueError("a wildcard-only pattern would allow every bucket")
        return cls(parts.scheme, name, container)

    @property
    def text(self) -> str:
        return f"{self.scheme}://{self.name}" + (f"/{self.container}" if self.container else "")

    def matches(self, scheme: str, name: str, container: str | None) -> bool:
        if scheme != self.scheme or not fnmatchcase(name, self.name):
            return False
        if self.container is None:
            return True
        return container is not None and fnmatchcase(container, self.container)


_Rule: TypeAlias = _HostRule | _CidrRule | _UrlPrefixRule | _BucketRule


def _parse_rule(text: str) -> _Rule:
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme in _WEB_PORTS:
            return _UrlPrefixRule.parse(parts)
        if parts.scheme in _BUCKET_SCHEMES:
            return _BucketRule.parse(parts)
        raise ValueError(f"unknown scheme '{parts.scheme}' (http, https, s3, gs, azure)")
    if "/" in text:
        return _CidrRule.parse(text)
    ip = parse_ip(text)
    if ip is not None:
        return _CidrRule(ipaddress.ip_network(ip))
    if ":" in text:
        raise ValueError("not an IP address, and a hostname rule takes no port (use a URL prefix)")
    return _HostRule.parse(text)


def _bucket_parts(url: str) -> tuple[str, str, str | None]:
    """(scheme, bucket or account, container) of a storage URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _BUCKET_SCHEMES or not parts.netloc:
        raise ScopeViolation(display_url(url), "not an s3://, gs:// or azure:// URL")
    container = None
    if parts.scheme == "azure":
        container = next((segment.lower() for segment in parts.path.split("/") if segment), None)
    return parts.scheme, parts.netloc.lower(), container


class Resolver:
    """Name resolution: `--resolve HOST=IP` overrides (HOST exact, `*.suffix` or `*`), then the system."""

    def __init__(self, overrides: Mapping[str, Iterable[str]] | None = None) -> None:
        self._overrides = {normalise_host(host): tuple(addrs) for host, addrs in (overrides or {}).items()}

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Resolver:
        overrides: dict[str, list[str]] = {}
        for entry in entries:
            host, sep, address_text = entry.strip().partition("=")
            host = normalise_host(host)
            address = parse_ip(address_text)
            if not sep or not host or address is None:
                raise InputError(f"bad --resolve entry {entry!r} (expected HOST=IP, HOST may be '*')")
            if host != "*":
                try:
                    _HostRule.parse(host)
                except ValueError as exc:
                    raise InputError(f"bad --resolve entry {entry!r}: {exc}") from None
            overrides.setdefault(host, []).append(str(address))
        return cls(overrides)

    def entries(self) -> list[str]:
        return [f"{host}={address}" for host, addresses in self._overrides.items() for address in addresses]

    def override_for(self, host: str) -> tuple[str, ...] | None:
        """The most specific override: exact name, then the longest `*.suffix`, then `*`."""
        host = normalise_host(host)
        if host in self._overrides:
            return self._overrides[host]
        wildcards = sorted((p for p in self._overrides if p.startswith("*")), key=len, reverse=True)
        return next((self._overrides[p] for p in wildcards if host_pattern_matches(p, host)), None)

    async def resolve(self, host: str, port: int | None = None) -> list[str]:
        """Every address `host` stands for, in resolver order, without duplicates."""
        ip = parse_ip(host)
        if ip is not None:
            return [str(ip)]
        overridden = self.override_for(host)
        if overridden is not None:
            return list(overridden)
        loop = asyncio.get_running_loop()
        try:
            answers = await loop.getaddrinfo(normalise_host(host), port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno == socket.EAI_AGAIN:
                raise TransientError(f"cannot resolve {host} right now") from exc
            raise HostNotFound(f"cannot resolve {host}: {exc.strerror}") from exc
        addresses = [str(parse_ip(str(sockaddr[0])) or sockaddr[0]) for *_, sockaddr in answers]
        return list(dict.fromkeys(addresses))


_HOST_ANSWERS: Final = 4096
_DNS_NAME: Final = 253  # the longest host name DNS has; the memos keep nothing longer


class Scope:
    """An immutable list of allow rules. Every check raises ScopeViolation or returns None."""

    def __init__(self, rules: Iterable[_Rule] = ()) -> None:
        self._rules = tuple(dict.fromkeys(rules))
        self._hosts = [rule for rule in self._rules if isinstance(rule, _HostRule)]
        self._cidrs = [rule for rule in self._rules if isinstance(rule, _CidrRule)]
        self._prefixes = [rule for rule in self._rules if isinstance(rule, _UrlPrefixRule)]
        self._buckets = [rule for rule in self._rules if isinstance(rule, _BucketRule)]
        self._host_answers: dict[str, bool] = {}  # allows_host, by host: a scan asks about few hosts, often

    @classmethod
    def from_rules(cls, rules: Iterable[str], *, origin: str = "") -> Scope:
        return cls(_parsed(rule, origin) for rule in rules)

    @classmethod
    def from_file(cls, path: str | Path) -> Scope:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
            raise InputError(f"cannot read scope file {path}: {reason}") from None
        rules: list[_Rule] = []
        for number, line in enumerate(lines, start=1):
            text = line.split("#", 1)[0].strip()
            if text:
                rules.append(_parsed(text, f"{path}:{number}: "))
        return cls(rules)

    def merged(self, other: Scope) -> Scope:
        return Scope(self._rules + other._rules)

    @property
    def is_empty(self) -> bool:
        return not self._rules

    def rules(self) -> list[str]:
        return [rule.text for rule in self._rules]

    def __repr__(self) -> str:
        return f"Scope({self.rules()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Scope) and set(self._rules) == set(other._rules)

    def __hash__(self) -> int:
        return hash(frozenset(self._rules))

    def check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ScopeViolation(display_url(url), "not a valid URL") from None
        if parts.scheme not in _WEB_PORTS or not parts.hostname:
            raise ScopeViolation(display_url(url), "not an http(s) URL")
        hostname = parts.hostname
        host, host_key = _host_and_key(hostname) if len(hostname) <= _DNS_NAME else _host_and_key.__wrapped__(hostname)
        if self._prefixes:
            path = _normalise_path(parts.path)
            port = port or _WEB_PORTS[parts.scheme]
            if any(rule.matches(parts.scheme, host_key, port, path) for rule in self._prefixes):
                return
        if self.allows_host(host):
            return
        raise ScopeViolation(display_url(url), f"no scope rule allows {host_key}{self._path_hint(host_key)}")

    def check_host(self, host: str) -> None:
        """A bare host (a DICOM `host:port` target): a hostname rule, or an address inside a CIDR rule."""
        if not self.allows_host(host):
            raise ScopeViolation(normalise_host(host), "no hostname or CIDR rule allows it")

    def check_address(self, address: str) -> None:
        """A resolved address: inside a CIDR rule if there are any, else a public (global) address."""
        ip = parse_ip(address)
        if ip is None:
            raise ScopeViolation(address, "not an IP address")
        if self._cidrs:
            if not any(rule.contains(ip) for rule in self._cidrs):
                raise ScopeViolation(str(ip), "outside every CIDR rule")
        elif not is_public_address(ip):
            raise ScopeViolation(str(ip), "a non-public address and no CIDR rule allows it")

    def check_bucket(self, url: str, endpoint: str | None = None) -> None:
        scheme, name, container = _bucket_parts(url)
        if not any(rule.matches(scheme, name, container) for rule in self._buckets):
            raise ScopeViolation(display_url(url), "no bucket rule allows it")
        if endpoint:
            self.check_url(endpoint)

    def check_target(self, target: Target) -> None:
        if target.probe in ("files", "har"):
            return
        if target.probe == "storage":
            endpoint = target.options.get("endpoint")
            self.check_bucket(target.ref, str(endpoint) if endpoint else None)
        elif target.probe == "web" or target.ref.startswith(("http://", "https://")):
            self.check_url(target.ref)
        elif target.host is not None:
            self.check_host(target.host)
        else:
            raise ScopeViolation(target.ref, "target has no host")

    async def resolve_checked(self, host: str, port: int | None, resolver: Resolver) -> str:
        """One authorised address for `host`: connect to it and to nothing else (no second lookup)."""
        name = normalise_host(host)
        ip = parse_ip(name)
        if ip is not None:
            if not (any(rule.contains(ip) for rule in self._cidrs) or self._prefix_names(str(ip))):
                raise ScopeViolation(str(ip), "outside every CIDR rule")
            return str(ip)
        if not (any(rule.matches(name) for rule in self._hosts) or self._prefix_names(name)):
            raise ScopeViolation(name, "no scope rule allows this host")
        answers = await resolver.resolve(name, port)
        for address in answers:
            try:
                self.check_address(address)
            except ScopeViolation:
                continue
            return address
        raise ScopeViolation(name, f"resolves only to addresses outside the scope: {', '.join(answers)}")

    def allows_host(self, host: str) -> bool:
        """`check_host` as a yes/no answer."""
        answer = self._host_answers.get(host)
        if answer is None:
            ip = parse_ip(host)
            if ip is not None:
                answer = any(rule.contains(ip) for rule in self._cidrs)
            else:
                answer = any(rule.matches(host) for rule in self._hosts)
            if len(host) <= _DNS_NAME:  # a longer name is no host anyway: not worth remembering
                if len(self._host_answers) >= _HOST_ANSWERS:
                    self._host_answers.clear()
                self._host_answers[host] = answer
        return answer

    def _prefix_names(self, host: str) -> bool:
        return any(rule.host == host for rule in self._prefixes)

    def _path_hint(self, host: str) -> str:
        return " at this scheme, port and path" if self._prefix_names(host) else ""


def _parsed(text: str, origin: str) -> _Rule:
    rule = text.strip()
    if not rule:
        raise InputError(f"{origin}empty scope rule")
    try:
        return _parse_rule(rule)
    except ValueError as exc:
        raise InputError(f"{origin}bad scope rule {rule!r}: {exc}") from None
