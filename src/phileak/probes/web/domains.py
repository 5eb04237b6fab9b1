"""Registrable domains ("eTLD+1"), so that www.example-health.test and portal.example-health.test are one site
and www.facebook.com is another.

Public suffixes come from Debian's `publicsuffix` package (/usr/share/publicsuffix) when it is installed, plus
a small built-in subset (multi-label country suffixes and hosting platforms where one customer's site must not
count as another's). Nothing is fetched: tldextract would download the list, so it is not used. Without the
full list, an unlisted suffix of one label is assumed (the PSL's own default rule "*").
"""

from __future__ import annotations

import functools
import ipaddress
from pathlib import Path
from typing import Final

SYSTEM_LIST: Final = Path("/usr/share/publicsuffix/public_suffix_list.dat")

_BUILT_IN_SUFFIXES: Final = frozenset(
    [
        "co.uk",
        "org.uk",
        "ac.uk",
        "gov.uk",
        "nhs.uk",
        "ltd.uk",
        "plc.uk",
        "me.uk",
        "net.uk",
        "sch.uk",
        "com.au",
        "net.au",
        "org.au",
        "edu.au",
        "gov.au",
        "asn.au",
        "id.au",
        "co.nz",
        "org.nz",
        "net.nz",
        "govt.nz",
        "health.nz",
        "ac.nz",
        "co.jp",
        "ne.jp",
        "or.jp",
        "ac.jp",
        "go.jp",
        "com.br",
        "org.br",
        "gov.br",
        "net.br",
        "com.cn",
        "net.cn",
        "org.cn",
        "gov.cn",
        "co.in",
        "org.in",
        "net.in",
        "gov.in",
        "ac.in",
        "co.za",
        "org.za",
        "gov.za",
        "ac.za",
        "com.mx",
        "org.mx",
        "gob.mx",
        "com.ar",
        "gob.ar",
        "com.sg",
        "edu.sg",
        "gov.sg",
        "com.hk",
        "org.hk",
        "com.tw",
        "org.tw",
        "co.kr",
        "or.kr",
        "co.il",
        "org.il",
        "com.tr",
        "gov.tr",
        "gouv.fr",
        "asso.fr",
        "nom.fr",
        "presse.fr",
        "tm.fr",
        "com.fr",
        "gc.ca",
        "qc.ca",
        "on.ca",
        "bc.ca",
        "ab.ca",
        "github.io",
        "gitlab.io",
        "herokuapp.com",
        "appspot.com",
        "cloudfront.net",
        "azurewebsites.net",
        "azureedge.net",
        "blogspot.com",
        "netlify.app",
        "vercel.app",
        "pages.dev",
        "workers.dev",
        "web.app",
        "firebaseapp.com",
        "s3.amazonaws.com",
        "elasticbeanstalk.com",
        "myshopify.com",
        "wixsite.com",
        "wpengine.com",
        "translate.goog",
    ]
)


def registrable_domain(host: str) -> str:
    """The registrable domain of `host` (lower-case, trailing dot dropped); an IP address or a bare public
    suffix is its own site."""
    name = host.strip().lower().rstrip(".").strip("[]")
    if not name or _is_ip(name):
        return name
    labels = name.split(".")
    suffix_length = _public_suffix_length(labels)
    if suffix_length >= len(labels):
        return name
    return ".".join(labels[-(suffix_length + 1) :])


def same_site(host: str, other: str) -> bool:
    return registrable_domain(host) == registrable_domain(other)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _public_suffix_length(labels: list[str]) -> int:
    """How many trailing labels form the public suffix, by the PSL algorithm (exceptions, wildcards)."""
    rules = _rules()
    best = 1
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        length = len(labels) - start
        if "!" + candidate in rules.exceptions:
            return length - 1
        wildcard = "*." + ".".join(labels[start + 1 :]) if start + 1 < len(labels) else None
        if candidate in rules.suffixes or (wildcard is not None and wildcard in rules.suffixes):
            best = max(best, length)
    return best


class _Rules:
    __slots__ = ("exceptions", "suffixes")

    def __init__(self, suffixes: frozenset[str], exceptions: frozenset[str]) -> None:
        self.suffixes = suffixes
        self.exceptions = exceptions


@functools.cache
def _rules() -> _Rules:
    suffixes = set(_BUILT_IN_SUFFIXES)
    exceptions: set[str] = set()
    for rule in _system_rules():
        (exceptions if rule.startswith("!") else suffixes).add(rule)
    return _Rules(frozenset(suffixes), frozenset(exceptions))


@functools.cache
def _system_rules() -> tuple[str, ...]:
    try:
        text = SYSTEM_LIST.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ()
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("//"):
            rules.append(line.split()[0].lower())
    return tuple(rules)


def using_system_list() -> bool:
    """Whether the full public suffix list was found on this machine."""
    return bool(_system_rules())
