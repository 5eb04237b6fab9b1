"""The leaky hospital website of the lab: care.lab-hospital.test, a health encyclopedia with search, find-a-doctor,
appointment booking, a symptom checker and a patient portal, wired to tracker stand-ins served under the real
tracker hostnames (www.facebook.com, www.google-analytics.com, bat.bing.com ...) by one local HTTPS server.

Nothing here reaches a real vendor: the browser reaches these names only because the lab plan's
`resolve = ["*=127.0.0.1"]` maps every hostname to loopback, where this server answers all of them with one
self-signed wildcard certificate made at lab setup. What each page sends, and what must not be reported, is the
ground truth in expected.toml (expected.py reads it).
"""

from __future__ import annotations

from typing import Final

SITE_HOST: Final = "care.lab-hospital.test"
ANALYTICS_HOST: Final = "metrics.lab-hospital.test"  # the hospital's own (first-party) analytics: a decoy
FIRST_PARTY_HOSTS: Final = frozenset({SITE_HOST, ANALYTICS_HOST})
DEFAULT_PORT: Final = 443

# Registrable domains the server answers for as a tracker sink (certificate SANs: the domain and *.domain).
TRACKER_DOMAINS: Final = (
    "facebook.net", "facebook.com", "googletagmanager.com", "google-analytics.com", "bing.com", "ads-twitter.com",
    "twitter.com", "tiktok.com", "licdn.com", "linkedin.com", "ads.linkedin.com", "sc-static.net", "snapchat.com",
    "pinimg.com", "pinterest.com", "hotjar.com", "clarity.ms", "fullstory.com", "infermedica.com",
)  # fmt: skip
DECOY_DOMAINS: Final = ("cloudflare.com", "userway.org")  # a CDN font and a widget that receive nothing personal

# The lab patient's portal account (synthetic test credentials, also written into the lab's flows file).
PORTAL_USERNAME: Final = "labpatient01"
PORTAL_PASSWORD: Final = "lab-portal-test-2026"  # noqa: S105 (a published test credential of a fictional site)

SINK_LOG: Final = "sink.jsonl"
FLOWS_FILE: Final = "flows.toml"


def site_origin(port: int = DEFAULT_PORT) -> str:
    """https://care.lab-hospital.test, with the port when it is not 443."""
    return f"https://{SITE_HOST}" + ("" if port == DEFAULT_PORT else f":{port}")
