"""Canary matcher throughput: one Aho-Corasick pass vs a naive loop of `in` checks over the same needles.

Run: .venv/bin/python benchmarks/canary_match.py [MEGABYTES]   (default 4)
The payloads are synthetic tracker traffic (Meta pixel URLs, GA4 batches, TikTok JSON, base64 replay uploads,
HTML) with a canary value planted in about one payload in fifty. Both approaches look for exactly the needles the
matcher builds (case-insensitive ones on a lower-cased copy, as the matcher does); the naive loop cannot tell
which needle explains a hit, report offsets or check number boundaries, so it is a lower bound on its real cost.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import sys
import time
from urllib.parse import quote, quote_plus

from phileak.phi.canary import CanaryIdentity, CanaryMatcher


def _payloads(canary: CanaryIdentity, megabytes: float) -> list[bytes]:
    rng = random.Random(7)
    values = list(canary.values().values())
    out: list[bytes] = []
    size = 0
    n = 0
    while size < megabytes * 1e6:
        n += 1
        planted = values[n % len(values)] if n % 50 == 0 else f"Book a visit {rng.randrange(10**6)}"
        kind = n % 5
        if kind == 0:
            digest = hashlib.sha256(planted.lower().encode()).hexdigest()
            text = (
                f"https://www.facebook.com/tr/?id=1184732&ev=PageView&dl={quote('https://www.clinic.test/p/' + str(n))}"
                f"&rl=&if=false&ts={1731000000000 + n}&cd[buttonText]={quote(planted)}&ud[em]={digest}&v=2.9.174"
            )
        elif kind == 1:
            text = "".join(
                f"en=page_view&dl=https%3A%2F%2Fwww.clinic.test%2F{rng.randrange(999)}&_et={rng.randrange(60000)}"
                f"&ep.search_term={quote_plus(planted if i == 0 else 'opening hours')}\n"
                for i in range(8)
            )
        elif kind == 2:
            text = json.dumps({
                "event": "SubmitForm",
                "context": {"page": {"url": f"https://www.clinic.test/form/{n}"}, "user": {"external_id": planted}},
                "properties": {"contents": [{"id": rng.randrange(10**9)} for _ in range(20)]},
            })
        elif kind == 3:
            events = [
                {"t": n + i, "x": rng.randrange(1920), "y": rng.randrange(1080), "text": planted if i == 3 else ""}
                for i in range(60)
            ]
            text = "payload=" + base64.b64encode(json.dumps(events).encode()).decode()
        else:
            text = "<div class='card'><h2>Cardiology</h2><p>" + "Our team is here to help. " * 80 + "</p></div>"
        data = text.encode()
        out.append(data)
        size += len(data)
    return out


def _naive(needles: list[tuple[bytes, bool]], payloads: list[bytes]) -> int:
    insensitive = [needle.lower() for needle, sensitive in needles if not sensitive]
    sensitive = [needle for needle, is_sensitive in needles if is_sensitive]
    hits = 0
    for payload in payloads:
        lowered = payload.lower()
        hits += any(needle in lowered for needle in insensitive) or any(needle in payload for needle in sensitive)
    return hits


def main(megabytes: float) -> None:
    canary = CanaryIdentity.generate("benchmark")
    started = time.perf_counter()
    matcher = CanaryMatcher(canary)
    build = time.perf_counter() - started
    payloads = _payloads(canary, megabytes)
    total = sum(map(len, payloads)) / 1e6
    print(f"{matcher.needle_count} needles built in {build * 1e3:.0f} ms; "
          f"{len(payloads)} payloads, {total:.1f} MB")  # fmt: skip

    started = time.perf_counter()
    with_hits = sum(1 for payload in payloads if matcher.find(payload))
    one_pass = time.perf_counter() - started
    print(f"Aho-Corasick, one pass per payload:  {total / one_pass:8.1f} MB/s   ({with_hits} payloads with a hit)")

    joined = b"\n".join(payloads)
    started = time.perf_counter()
    matcher.find(joined)
    big = time.perf_counter() - started
    print(f"Aho-Corasick, one {total:.1f} MB buffer:      {total / big:8.1f} MB/s")

    needles = list(matcher.needles())
    started = time.perf_counter()
    naive_hits = _naive(needles, payloads)
    naive = time.perf_counter() - started
    print(f"naive `in` loop over {len(needles)} needles: {total / naive:8.2f} MB/s   "
          f"({naive_hits} payloads with a hit)")  # fmt: skip
    print(f"speed-up: {naive / one_pass:.0f}x")
    _hyperscan(needles, payloads, total)


def _hyperscan(needles: list[tuple[bytes, bool]], payloads: list[bytes], total: float) -> None:
    """For comparison only: the same needles as one hyperscan literal database (caseless where allowed)."""
    try:
        import hyperscan
    except ImportError:
        return
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    caseless = hyperscan.HS_FLAG_CASELESS
    flags = [hyperscan.HS_FLAG_SOM_LEFTMOST | (0 if sensitive else caseless) for _, sensitive in needles]
    database.compile(
        expressions=[re.escape(needle) for needle, _ in needles], ids=list(range(len(needles))),
        elements=len(needles), flags=flags,
    )  # fmt: skip
    with_hits = 0
    started = time.perf_counter()
    for payload in payloads:
        found: list[int] = []
        database.scan(payload, match_event_handler=lambda ident, *_, found=found: found.append(ident))
        with_hits += bool(found)
    elapsed = time.perf_counter() - started
    print(f"(for comparison) hyperscan, same needles: {total / elapsed:8.1f} MB/s   ({with_hits} payloads with a hit)")


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 4.0)
