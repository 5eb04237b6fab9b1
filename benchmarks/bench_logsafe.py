"""Cost of logsafe.scrub with many registered values, beside a compiled alternation regex doing the same job.

Run: .venv/bin/python benchmarks/bench_logsafe.py [N_VALUES]
The regex is the obvious alternative: it must be recompiled after every registration, which the token index
in phi.redact.ValueMatcher avoids.
"""

from __future__ import annotations

import re
import sys
import time

from phileak.logsafe import SensitiveValues, scrub_patterns

LINES = [
    "probe dicom matched Patient{n} Family{n} (MRN-{n:07d}) at 127.0.0.1:4242 in 0.25 s",
    "scanned 1234 objects in 2.5 s, 0 errors",
    "association with ANY-SCP accepted: 3 presentation contexts",
]


def _timed(label: str, seconds: float, count: int) -> None:
    print(f"{label:<48} {seconds * 1e3:9.1f} ms total  {seconds / count * 1e6:9.1f} µs each")


def main(n_values: int) -> None:
    names = [f"Patient{n} Family{n}" for n in range(n_values)]
    mrns = [f"MRN-{n:07d}" for n in range(n_values)]
    lines = [line.format(n=n) for n in range(0, n_values, max(1, n_values // 1000)) for line in LINES]
    print(f"{n_values} names + {n_values} MRNs registered, {len(lines)} log lines\n")

    values = SensitiveValues()
    started = time.perf_counter()
    values.register(*names, *mrns)
    _timed("token index: register all", time.perf_counter() - started, 2 * n_values)
    started = time.perf_counter()
    for line in lines:
        values.scrub(line)
    _timed("token index: scrub (values + patterns)", time.perf_counter() - started, len(lines))
    started = time.perf_counter()
    for line in lines:
        scrub_patterns(line)
    _timed("patterns only", time.perf_counter() - started, len(lines))

    started = time.perf_counter()
    alternation = re.compile(
        "|".join(re.escape(v) for v in sorted([*names, *mrns], key=len, reverse=True)), re.IGNORECASE
    )
    _timed("alternation regex: compile once", time.perf_counter() - started, 1)
    sample = lines[:300]  # the regex tries every alternative at every position: far slower, so fewer lines
    started = time.perf_counter()
    for line in sample:
        alternation.sub("***", line)
    _timed("alternation regex: sub", time.perf_counter() - started, len(sample))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
