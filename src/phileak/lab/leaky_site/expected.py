"""The leaky site's ground truth (expected.toml) as data, and the check of a scan's findings against it.

    truth = load_ground_truth()
    verdict = truth.check(findings, submitted=True, flows=True)
    assert not verdict.missing and not verdict.decoys_reported

A leak is found when one finding has its kind and recipient (and vendor), lists its page, step and page
context, and holds a match with its field, location, parameter and one of its encodings (and health term).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from phileak.errors import InputError
from phileak.model import Finding

GROUND_TRUTH: Final = Path(__file__).with_name("expected.toml")
NEEDS: Final = ("crawl", "submit", "flows")
_LEAK_KEYS: Final = frozenset(
    {"id", "page", "step", "context", "kind", "vendor", "host", "method", "path", "field", "encoding", "location",
     "param", "term", "needs"}
)  # fmt: skip
_REQUIRED: Final = ("id", "page", "step", "context", "kind", "vendor", "host", "method", "path", "needs")


@dataclass(frozen=True)
class ExpectedLeak:
    id: str
    page: str
    step: str
    context: str
    kind: str
    vendor: str
    host: str
    method: str
    path: str
    needs: str
    field: str | None = None
    encodings: tuple[str, ...] = ()
    location: str | None = None
    param: str | None = None
    term: str | None = None

    @classmethod
    def from_toml(cls, raw: Mapping[str, Any]) -> ExpectedLeak:
        where = f"leak {raw.get('id', '?')!r}"
        unknown = set(raw) - _LEAK_KEYS
        missing = [key for key in _REQUIRED if not isinstance(raw.get(key), str)]
        if unknown or missing:
            problem = f"unknown key(s) {sorted(unknown)}" if unknown else f"missing {missing}"
            raise InputError(f"{GROUND_TRUTH.name}: {where}: {problem}")
        if raw["needs"] not in NEEDS:
            raise InputError(f"{GROUND_TRUTH.name}: {where}: needs must be one of {', '.join(NEEDS)}")
        encoding = raw.get("encoding", ())
        encodings = (encoding,) if isinstance(encoding, str) else tuple(encoding)
        if raw.get("field") is not None and not (encodings and raw.get("location") and raw.get("param")):
            raise InputError(f"{GROUND_TRUTH.name}: {where}: a field needs encoding, location and param")
        return cls(
            id=raw["id"], page=raw["page"], step=raw["step"], context=raw["context"], kind=raw["kind"],
            vendor=raw["vendor"], host=raw["host"], method=raw["method"], path=raw["path"], needs=raw["needs"],
            field=raw.get("field"), encodings=encodings, location=raw.get("location"), param=raw.get("param"),
            term=raw.get("term"),
        )  # fmt: skip

    def applies(self, *, submitted: bool, flows: bool) -> bool:
        return self.needs == "crawl" or (self.needs == "submit" and submitted) or (self.needs == "flows" and flows)

    def found_in(self, finding: Finding) -> bool:
        """Whether `finding` reports this leak."""
        if finding.kind != self.kind or finding.recipient is None or finding.recipient.host != self.host:
            return False
        evidence = finding.evidence.model_dump()
        tracker = evidence.get("tracker") or {}
        if (tracker.get("id") or "") != self.vendor:
            return False
        contexts = evidence.get("page_contexts") or [evidence.get("page_context")]
        if self.context not in contexts or self.step not in (evidence.get("steps") or [evidence.get("step")]):
            return False
        pages = evidence.get("pages") or [evidence.get("page")]
        if not any(same_page(page, self.page) for page in pages if page):
            return False
        return self.field is None or any(self._is_match(match) for match in evidence.get("matches") or [])

    def _is_match(self, match: Mapping[str, Any]) -> bool:
        if (match.get("field"), match.get("location"), match.get("param")) != (self.field, self.location, self.param):
            return False
        if match.get("encoding") not in self.encodings:
            return False
        if self.term is None:
            return True
        # "hiv" is found when the report names it or a longer term holding it ("hiv testing").
        reported = [f" {t.strip()} " for t in str(match.get("term") or "").split(",")]
        return any(f" {self.term} " in term for term in reported)


@dataclass(frozen=True)
class Decoy:
    host: str
    what: str

    def reported_by(self, finding: Finding) -> bool:
        host = finding.recipient.host if finding.recipient is not None else ""
        return host == self.host or host.endswith("." + self.host) or self.host.endswith("." + host)


@dataclass(frozen=True)
class Verdict:
    expected: tuple[ExpectedLeak, ...]
    missing: tuple[ExpectedLeak, ...]
    decoys_reported: tuple[tuple[Decoy, str], ...]  # (decoy, the finding's title)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.decoys_reported

    def summary(self) -> str:
        lines = [f"{len(self.expected) - len(self.missing)}/{len(self.expected)} expected leaks found"]
        lines += [f"  missing {leak.id}: {leak.kind} {leak.host} {leak.field or ''} {leak.param or ''}".rstrip()
                  for leak in self.missing]  # fmt: skip
        lines += [f"  decoy reported: {decoy.host}: {title}" for decoy, title in self.decoys_reported]
        return "\n".join(lines)


@dataclass(frozen=True)
class GroundTruth:
    leaks: tuple[ExpectedLeak, ...]
    decoys: tuple[Decoy, ...]

    def expected(self, *, submitted: bool, flows: bool) -> list[ExpectedLeak]:
        return [leak for leak in self.leaks if leak.applies(submitted=submitted, flows=flows)]

    def check(self, findings: Iterable[Finding], *, submitted: bool, flows: bool) -> Verdict:
        findings = list(findings)
        expected = self.expected(submitted=submitted, flows=flows)
        missing = tuple(leak for leak in expected if not any(leak.found_in(f) for f in findings))
        reported = tuple((decoy, f.title) for decoy in self.decoys for f in findings if decoy.reported_by(f))
        return Verdict(tuple(expected), missing, reported)


def same_page(reported: str, expected: str) -> bool:
    """`reported` (a URL, query values possibly redacted) is the page `expected` names (a path, with the query
    when the query matters)."""
    got, want = urlsplit(reported), urlsplit(expected)
    return got.path == want.path and (not want.query or got.query == want.query)


def load_ground_truth(path: Path = GROUND_TRUTH) -> GroundTruth:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the ground truth {path}: {exc}") from None
    leaks = tuple(ExpectedLeak.from_toml(item) for item in raw.get("leak", []))
    ids = [leak.id for leak in leaks]
    if len(set(ids)) != len(ids):
        raise InputError(f"{path.name}: leak ids repeat")
    decoys = tuple(Decoy(str(item["host"]), str(item.get("what", ""))) for item in raw.get("decoy", []))
    return GroundTruth(leaks, decoys)
