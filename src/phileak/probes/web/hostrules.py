"""Chromium's `--host-resolver-rules` for a scan: the DNS-level half of the scope guard.

Chromium resolves names itself and follows redirects, preconnects and service-worker fetches without asking
Playwright's router, so the router alone cannot keep it inside the scope. The resolver rules do:

  MAP *.googleapis.com ~NOTFOUND, MAP clients*.google.com ~NOTFOUND   Chromium's own update and time calls
  MAP <host> <address>        every --resolve pin, and each in-scope hostname resolved (and its answer checked
                              against the scope) before launch, exact names first, then wildcards
  MAP * <address>             a `--resolve '*=IP'` pin: every other name goes there (the lab, the tests)
  MAP * ~NOTFOUND             otherwise, when third-party requests are answered locally (the default): no other
                              name resolves, so an out-of-scope redirect or preconnect goes nowhere
  EXCLUDE <pattern>           in-scope wildcard names and IP literals, which keep the system resolver

With the third-party gate (gate.py), names outside the scope go to the gate instead of the catch-all, and only
in-scope names are pinned (the gate forwards a pinned third party itself):

  MAP <in-scope name> <address>       as above; with a `*` pin, in-scope wildcard names map to its address
  MAP *:80 127.0.0.1:<gate>, MAP *:443 127.0.0.1:<gate, TLS>, MAP * ~NOTFOUND   everything else

Chromium applies EXCLUDE to every MAP rule, pins included, so a wildcard scope rule that covers a pinned name
is not excluded: its other names do not resolve (pin them too, or pin the wildcard itself).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Final
from urllib.parse import urlsplit

from phileak.errors import PhileakError, ScopeViolation
from phileak.scope import HostNotFound, Resolver, Scope, host_pattern_matches, normalise_host, parse_ip

log = logging.getLogger(__name__)

GATE_ADDRESS: Final = "127.0.0.1"  # where the third-party gate (gate.py) listens
CALL_HOME_RULES: Final = ("MAP *.googleapis.com ~NOTFOUND", "MAP clients*.google.com ~NOTFOUND")
NOT_FOUND: Final = "~NOTFOUND"
_MAX_ENUMERATED_ADDRESSES: Final = 256


@dataclass(frozen=True)
class HostRules:
    """What the browser may resolve. `rules` is the flag value; `refused` names hosts left unresolvable."""

    pins: tuple[tuple[str, str], ...] = ()  # (host pattern, address), most specific first
    catch_all: str | None = None  # an address, NOT_FOUND, or None (the system resolver)
    excluded: tuple[str, ...] = ()
    refused: tuple[str, ...] = field(default=())
    gate: tuple[int, int] | None = None  # the gate's (plain, TLS) ports on GATE_ADDRESS

    @property
    def rules(self) -> str:
        parts = list(CALL_HOME_RULES)
        parts += [f"MAP {host} {_rule_address(address)}" for host, address in self.pins]
        if self.gate is not None:
            plain, tls = self.gate
            parts += [f"MAP *:80 {GATE_ADDRESS}:{plain}", f"MAP *:443 {GATE_ADDRESS}:{tls}"]
        if self.catch_all is not None:
            parts.append(f"MAP * {_rule_address(self.catch_all)}")
        parts += [f"EXCLUDE {pattern}" for pattern in self.excluded]
        return ", ".join(parts)

    def flag(self) -> str:
        return f"--host-resolver-rules={self.rules}"

    def resolvable(self, host: str) -> bool:
        """Whether Chromium, under these rules, can resolve `host` (so a request to it can be made)."""
        name = normalise_host(host)
        for pattern, address in self.pins:
            if fnmatchcase(name, pattern):
                return address != NOT_FOUND
        if self.catch_all is None or any(fnmatchcase(name, p.strip("[]")) for p in self.excluded):
            return True
        return self.catch_all != NOT_FOUND and self.gate is None  # the gate decides, and counts, those requests


async def build_host_rules(
    scope: Scope,
    resolver: Resolver | None,
    *,
    start_hosts: Iterable[str] = (),
    guard_unknown_names: bool = True,
    gate: tuple[int, int] | None = None,
) -> HostRules:
    """The rules for a browser that may reach `scope`. In-scope exact hostnames (and `start_hosts`) that no
    --resolve entry pins are resolved now through the scope guard and pinned to the checked address; a name
    that resolves only outside the scope is left unresolvable. With `guard_unknown_names`, every other name
    fails to resolve unless --resolve pins `*`. With `gate` (its plain and TLS ports), every other name goes
    to the gate."""
    resolver = resolver or Resolver()
    overrides = _overrides(resolver)
    star = overrides.pop("*", None)
    if gate is not None:
        return await _gated_rules(scope, resolver, overrides, star, start_hosts, gate)
    exact_names, wildcard_names, literal_patterns = _scope_names(scope)
    pins, refused = await _pinned_names(scope, resolver, [*exact_names, *start_hosts], overrides)
    for host, address in overrides.items():
        pins[host] = address
    ordered = sorted(pins.items(), key=lambda item: (item[0].startswith("*"), -len(item[0]), item[0]))
    if star is not None:
        return HostRules(tuple(ordered), star, (), tuple(refused))
    if not guard_unknown_names:
        return HostRules(tuple(ordered), None, (), tuple(refused))
    pinned = [host for host, _ in ordered]
    excluded = [p for p in wildcard_names if not any(host_pattern_matches(p, _sample(h)) for h in pinned)]
    return HostRules(tuple(ordered), NOT_FOUND, tuple(excluded + literal_patterns), tuple(refused))


async def _gated_rules(
    scope: Scope,
    resolver: Resolver,
    overrides: dict[str, str],
    star: str | None,
    start_hosts: Iterable[str],
    gate: tuple[int, int],
) -> HostRules:
    exact_names, wildcard_names, literal_patterns = _scope_names(scope)
    in_scope = {host: address for host, address in overrides.items() if scope.allows_host(_sample(host))}
    pins, refused = await _pinned_names(scope, resolver, [*exact_names, *start_hosts], in_scope)
    pins.update(in_scope)
    excluded = list(literal_patterns)
    for pattern in wildcard_names:
        if star is not None:
            pins.setdefault(pattern, star)
        elif not any(host_pattern_matches(pattern, _sample(h)) for h in pins):
            excluded.append(pattern)
    ordered = sorted(pins.items(), key=lambda item: (item[0].startswith("*"), -len(item[0]), item[0]))
    return HostRules(tuple(ordered), NOT_FOUND, tuple(excluded), tuple(refused), gate)


async def _pinned_names(
    scope: Scope, resolver: Resolver, hosts: Iterable[str], overrides: dict[str, str]
) -> tuple[dict[str, str], list[str]]:
    """Each name resolved through the scope guard (pinned to the checked address), unless `overrides` pins it;
    a name that resolves only outside the scope is pinned to ~NOTFOUND and listed."""
    pins: dict[str, str] = {}
    refused: list[str] = []
    for host in dict.fromkeys(normalise_host(h) for h in hosts):
        if not host or parse_ip(host) is not None or host in overrides or _covered(host, overrides):
            continue
        try:
            pins[host] = await scope.resolve_checked(host, None, resolver)
        except (ScopeViolation, HostNotFound) as exc:
            log.warning("web: %s is left unresolvable: %s", host, exc)
            pins[host] = NOT_FOUND
            refused.append(host)
        except PhileakError as exc:  # a transient DNS failure: Chromium will try itself
            log.warning("web: cannot pin %s now (%s)", host, exc)
    return pins, refused


def _overrides(resolver: Resolver) -> dict[str, str]:
    """host pattern -> its first --resolve address (Chromium maps a name to one address)."""
    first: dict[str, str] = {}
    for entry in resolver.entries():
        host, _, address = entry.partition("=")
        first.setdefault(host, address)
    return first


def _covered(host: str, overrides: dict[str, str]) -> bool:
    return any(pattern.startswith("*.") and host_pattern_matches(pattern, host) for pattern in overrides)


def _sample(pattern: str) -> str:
    """A name `pattern` matches ("*.x.test" -> "a.x.test")."""
    return "a." + pattern[2:] if pattern.startswith("*.") else pattern


def _scope_names(scope: Scope) -> tuple[list[str], list[str], list[str]]:
    """(exact hostnames, wildcard hostname patterns, IP-literal EXCLUDE patterns) named by the scope's rules."""
    exact: list[str] = []
    wildcards: list[str] = []
    literals: list[str] = []
    for rule in scope.rules():
        if "://" in rule:
            parts = urlsplit(rule)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                continue
            host = normalise_host(parts.hostname)
            (literals if parse_ip(host) is not None else exact).append(host)
        elif "/" in rule:
            literals.extend(cidr_patterns(rule))
        elif rule.startswith("*."):
            wildcards.append(rule)
        else:
            exact.append(rule)
    return exact, wildcards, list(dict.fromkeys(literals))


def cidr_patterns(cidr: str) -> list[str]:
    """Chromium hostname patterns covering the IP literals of `cidr` (IPv4: exact addresses when few, else
    `a.b.*` at the enclosing octet boundary, none wider than /8; IPv6: exact addresses only, when few)."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return []
    if network.num_addresses <= _MAX_ENUMERATED_ADDRESSES:
        hosts = [network.network_address] if network.num_addresses == 1 else list(network)
        return [form for a in hosts for form in ((str(a),) if a.version == 4 else (str(a), f"[{a}]"))]
    if network.version == 6:
        return []
    octets = network.prefixlen // 8
    fixed = str(network.network_address).split(".")[:octets]
    return [".".join([*fixed, "*"])] if fixed else []


def _rule_address(address: str) -> str:
    if address == NOT_FOUND:
        return address
    ip = parse_ip(address)
    return f"[{ip}]" if ip is not None and ip.version == 6 else address
