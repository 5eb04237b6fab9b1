"""The PHI engine's library floor: what its two scanning passes alone cost, before the engine decides anything.

Run: .venv/bin/python benchmarks/phi_floor.py [MEGABYTES]   (default 1 MB of the lab reports of phi_engine_speed.py)

Every detection starts from two passes over the text, both in compiled libraries:
- hyperscan, one database of the engine's expressions (as the engine compiles them: UTF-8, start-of-match tracking),
  and the same expressions without start-of-match tracking (the cheapest hyperscan can be asked to do);
- pyahocorasick, one automaton of every vocabulary term (names, conditions, medications, analytes...).
Each pass is timed with a callback or loop that does nothing with the matches, so the figures are a floor no
Python code over them can go below. They are printed as microseconds per report against the budget that issue
4's goal (18 MB/s per core, 2,000x Presidio) leaves for the whole analysis of one report, and next to the whole
engine's rate on the same text. CPU seconds of this process, best of three.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hyperscan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from phi_engine_speed import corpus

from phileak.phi.engine import PhiEngine
from phileak.phi.identity import IdentityHasher

GOAL_MB_PER_S = 18.0


def best_cpu_seconds(run: Callable[[], int], rounds: int = 3) -> tuple[float, int]:
    best, events = float("inf"), 0
    for _ in range(rounds):
        started = time.process_time()
        events = run()
        best = min(best, time.process_time() - started)
    return best, events


def hyperscan_pass(database: Any, datas: list[bytes]) -> Callable[[], int]:
    scratch = hyperscan.Scratch(database)

    def run() -> int:
        count = 0

        def on_match(_index: int, _start: int, _end: int, _flags: int, _context: object) -> None:
            nonlocal count
            count += 1

        for data in datas:
            database.scan(data, match_event_handler=on_match, scratch=scratch)
        return count

    return run


def without_start_of_match(matcher: Any) -> Any:
    planned = {}
    for index, expression in enumerate(matcher._expressions):
        if index in matcher._fallback:
            continue
        flags = hyperscan.HS_FLAG_UTF8 | (hyperscan.HS_FLAG_CASELESS if expression.case_insensitive else 0)
        regex = expression.prefilter[0] if expression.prefilter else expression.regex
        planned[index] = (regex.encode(), flags)
    return matcher._build(hyperscan, planned)


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 1.0
    documents = corpus(megabytes)
    texts = [segment.text for document in documents for segment in document.segments]
    datas = [text.encode() for text in texts]
    size = sum(map(len, datas))
    reports = len(texts)
    engine = PhiEngine(IdentityHasher(b"benchmark-key-0123456789"))
    matcher = engine._patterns.matcher  # the engine's own compiled expressions, as it scans them
    vocabulary = engine._vocabulary
    budget_us = size / reports / (GOAL_MB_PER_S * 1e6) * 1e6

    def line(label: str, seconds: float, events: int, what: str = "matches") -> float:
        per_report = seconds / reports * 1e6
        print(f"{label:<58} {per_report:6.0f} us/report  {size / 1e6 / seconds:6.1f} MB/s  "
              f"{events / reports:5.0f} {what}/report")  # fmt: skip
        return per_report

    print(f"{reports} lab reports, {size / 1e6:.2f} MB, {size / reports:.0f} bytes each; "
          f"{len(matcher._expressions)} expressions, {vocabulary.term_count} vocabulary terms")  # fmt: skip
    print(f"budget for the whole analysis of one report at {GOAL_MB_PER_S:.0f} MB/s per core: {budget_us:.0f} us")
    with_som = line("hyperscan pass, as the engine runs it (start of match)",
                    *best_cpu_seconds(hyperscan_pass(matcher._database, datas)))  # fmt: skip
    cheapest = line("hyperscan pass, no start-of-match tracking (cheapest)",
                    *best_cpu_seconds(hyperscan_pass(without_start_of_match(matcher), datas)))  # fmt: skip

    def vocabulary_pass() -> int:
        return sum(len(vocabulary.scan(text)) for text in texts)

    terms = line("pyahocorasick pass over the vocabularies", *best_cpu_seconds(vocabulary_pass))

    def whole_engine() -> int:
        return sum(len(engine.analyse(document).detections) for document in documents)

    whole_engine()  # the first pass fills the hash cache; the repeat pass is the engine's best case
    line("whole engine (repeat pass: people already hashed)", *best_cpu_seconds(whole_engine), "detections")
    print(f"floor: the two passes alone take {cheapest + terms:.0f}-{with_som + terms:.0f} us per report, "
          f"{(cheapest + terms) / budget_us:.1f}-{(with_som + terms) / budget_us:.1f}x the whole budget")  # fmt: skip


if __name__ == "__main__":
    main()
