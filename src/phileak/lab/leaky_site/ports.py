"""URLs of the lab's hosts given an explicit port, for when the sink cannot have 443 (it is taken, or the lab
runs without root): pages and vendor scripts are written with the real, port-less URLs and served rewritten."""

from __future__ import annotations

import re
from typing import Final

from phileak.lab.leaky_site import DECOY_DOMAINS, TRACKER_DOMAINS

_DOMAINS: Final = ("lab-hospital.test", *TRACKER_DOMAINS, *DECOY_DOMAINS)
_URL: Final = re.compile(r"\b(https|wss)://([a-z0-9.-]+)(?![a-z0-9.:-])")


def _ours(host: str) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in _DOMAINS)


def with_port(text: str, port: int) -> str:
    """`text` with every https:// or wss:// URL of a lab or tracker host given `:port`."""

    def add_port(match: re.Match[str]) -> str:
        scheme, host = match.group(1), match.group(2)
        return f"{scheme}://{host}:{port}" if _ours(host) else match.group(0)

    return _URL.sub(add_port, text)
