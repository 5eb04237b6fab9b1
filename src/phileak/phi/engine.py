"""The PHI engine: finds patient identifiers and health facts in a Document, says whether they make PHI, and
assembles the people they belong to as keyed hashes.

One pass finds everything: identifier patterns, label cues and context words in one hyperscan database
(patterns/matcher.py), every vocabulary in one Aho-Corasick automaton (patterns/vocabulary.py). Python then
only looks at what they found: validators (checksums, ranges), context (the segment's label, the nearest cue
before a value, a spec's context words), and values only a label reveals (readers.py: "MRN: 00482913").

Context decides a lot: a date is a date of birth only after "DOB" / "Né le" / PatientBirthDate, and a date at
all only when a cue or its record ties it to a person; a bare number is never an MRN without a label; a word
from a name list is a name only with a name label, next to a date of birth, in a file name, or as a first and
last name in a record that identifies someone. Records are rows (CSV, XLSX), JSON array items, NDJSON lines,
or the document; people are assembled per record (a second, different name or date of birth starts the next).
"""

from __future__ import annotations

import bisect
import functools
import importlib
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from phileak import logsafe
from phileak.model import DataCategory
from phileak.phi import labels
from phileak.phi.analysis import HEALTH_CONTEXT, PATIENT_IDENTIFIERS, REDACTED, Analysis, joined, segments_of
from phileak.phi.candidates import (
    CUE_REACH,
    Candidate,
    Fact,
    Origin,
    cue_before,
    dedupe_cues,
    drop_nested,
    glued,
    has_strong,
    near,
    next_cue_start,
    overlaps_any,
    record_key,
    resolve,
    runs,
    starts_within,
    ties_person,
)
from phileak.phi.hashed import HASHABLE_ROLES, hashed_values, may_be_hashed
from phileak.phi.identity import DAY_FIRST_REGION, IdentityHasher, month_first
from phileak.phi.labels import ROLE_CATEGORY, Role, label_role, loose, role_supports
from phileak.phi.patterns import PREFILTERS, default_patterns
from phileak.phi.patterns.matcher import Expression, MultiMatcher
from phileak.phi.patterns.readers import (
    CUE_ROLES,
    LABELLED_ROLES,
    OPEN_ENDED_ROLES,
    file_stem_name,
    is_hex_digest,
    read_after,
    read_file_name,
    read_labelled,
)
from phileak.phi.patterns.vocabulary import VocabularyMatcher
from phileak.phi.person_assembly import PersonBuilder, assemble
from phileak.phi.spec import (
    IDENTIFIER_CATEGORIES,
    Detection,
    Document,
    PatternSpec,
    PersonRecord,
    Segment,
    VocabularySpec,
)

__all__ = ["PATIENT_IDENTIFIERS", "Analysis", "PhiEngine", "default_health_patterns", "default_vocabularies"]

log = logging.getLogger(__name__)

_C = DataCategory
_SEPARATOR: Final = " \x00 "  # between segments in the scanned text; no pattern crosses a NUL
_SHORT_SEGMENT: Final = 200  # a labelled segment this short is one value, and its label applies throughout
_NAME_NEAR_DOB: Final = 64
_ADDRESS_CHAIN: Final = 60  # a postcode line this close after a street line is part of the address

_NAMES: Final = frozenset({_C.PERSON_NAME, _C.PROVIDER_NAME})
_DATES: Final = frozenset({_C.DATE, _C.DATE_OF_BIRTH})
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-]\d{4}")
# Words of French clinical paperwork: a document with them writes 03/04/1980 for the 3rd of April.
_FRENCH = re.compile(
    r"\b(?:né|née|naissance|prénom|adresse|téléphone|médecin|docteur|résultats?|ordonnance|rendez-vous|"
    r"patiente|compte rendu|examen|prélèvement|sécurité sociale)\b",
    re.IGNORECASE,
)
# Names, addresses and ids a health word inside of is not a health fact ("Dr. James Parkinson", "Rose Lane").
_SHADOWING: Final = REDACTED
# Numbers whose neighbours matter: "12-345-6789-01" or "1.2.3.4.5" is not a phone, an SSN or an address.
_NUMERIC: Final = frozenset(
    {_C.SSN, _C.FR_NIR, _C.PHONE, _C.FAX, _C.DATE, _C.DATE_OF_BIRTH, _C.NPI, _C.DEA, _C.HEALTH_PLAN_ID,
     _C.ACCOUNT_NUMBER, _C.DEVICE_ID, _C.IP_ADDRESS, _C.LICENCE_NUMBER, _C.MRN}
)  # fmt: skip
# What a NOT_PERSONAL cue ("Order #", "Version", "Clinic phone") suppresses right after it.
_SUPPRESSIBLE: Final = (_NUMERIC - {_C.DATE, _C.DATE_OF_BIRTH}) | {_C.ADDRESS, _C.EMAIL}
_NAME_ROLES: Final = frozenset({Role.PERSON_NAME, Role.GIVEN_NAME, Role.FAMILY_NAME})
_CUE_DETECTOR: Final = {role: f"cue:{role}" for role in Role}
_LABEL_DETECTOR: Final = {role: f"label:{role}" for role in Role}
_SUPPORTS: Final = frozenset(
    (role, category) for role in Role for category in DataCategory if role_supports(role, category)
)
# Cue roles whose values the patterns find themselves (dates, phones): no need to read them after the cue.
_PATTERN_READ: Final = frozenset({Role.DATE, Role.BIRTH_DATE, Role.PHONE, Role.FAX})
_PATTERN_READ_GAP: Final = 6
_VALUE_HEAD: Final = 4  # a cue this close after another is inside its value ("Serial: SN-4821")
_CLINICAL_SOURCES: Final = frozenset({"dicom"})
# A document of this few segments (a file's name and its text) is scanned a segment at a time: cheaper than
# finding each hit's segment in one joined scan, which pays off for the many short fields of a form or a table.
_SCANNED_ALONE: Final = 4
SLICE_SEGMENTS: Final = 20_000  # a larger document is analysed in slices of whole records ...
SLICE_CHARS: Final = 4_000_000  # ... or one of more characters than this


# --- compiled detectors --------------------------------------------------------------------------------------


class _PatternSet:
    """Pattern specs, prose cues and the specs' context words, compiled into one matcher. Expression e is
    pattern `pattern_of[e]` (-1: none), else a cue of role `cue_of[e]`, else context words of the patterns
    `context_of[e]`."""

    def __init__(self, patterns: tuple[PatternSpec, ...]) -> None:
        self.patterns = patterns
        expressions: list[Expression] = []
        pattern_of: list[int] = []
        cue_of: list[Role | None] = []
        context_of: list[tuple[int, ...]] = []
        for index, spec in enumerate(patterns):
            expressions.append(Expression(spec.regex, spec.case_insensitive, PREFILTERS.get(spec.name)))
            pattern_of.append(index)
            cue_of.append(None)
            context_of.append(())
        by_role: dict[tuple[Role, bool], list[str]] = {}
        for cue in labels.CUES:
            by_role.setdefault((cue.role, cue.exact), []).append(cue.regex)
        for (role, exact), regexes in by_role.items():
            expressions.append(Expression("|".join(f"(?:{r})" for r in regexes), not exact))
            pattern_of.append(-1)
            cue_of.append(role)
            context_of.append(())
        # Specs sharing a context list (every lab-result group) share one expression: one scan, one hit each.
        owners: dict[str, list[int]] = {}
        for index, spec in enumerate(patterns):
            words = [w.strip() for w in spec.context if w.strip()]
            if words:
                owners.setdefault("|".join(f"(?:{loose(w)})" for w in words), []).append(index)
        for regex, indices in owners.items():
            expressions.append(Expression(regex, True))
            pattern_of.append(-1)
            cue_of.append(None)
            context_of.append(tuple(indices))
        self.pattern_of = tuple(pattern_of)
        self.cue_of = tuple(cue_of)
        self.context_of = tuple(context_of)
        self.matcher = MultiMatcher(expressions)


@functools.lru_cache(maxsize=8)
def _pattern_set(patterns: tuple[PatternSpec, ...]) -> _PatternSet:
    return _PatternSet(patterns)


@functools.lru_cache(maxsize=8)
def _vocabulary_matcher(vocabularies: tuple[VocabularySpec, ...]) -> VocabularyMatcher:
    return VocabularyMatcher(vocabularies)


def _vocab_defaults(function: str) -> list[object]:
    """phileak.phi.vocab's default vocabularies or patterns; empty until that package provides them."""
    try:
        module = importlib.import_module("phileak.phi.vocab")
    except ImportError:
        module = None
    provider = getattr(module, function, None)
    if provider is None:
        log.info("phileak.phi.vocab.%s is not available", function)
        return []
    return list(provider())


def default_health_patterns() -> list[PatternSpec]:
    """The vocabulary-backed patterns (ICD-10 codes, lab results, CPT with context) from phileak.phi.vocab."""
    return [spec for spec in _vocab_defaults("default_patterns") if isinstance(spec, PatternSpec)]


def default_vocabularies() -> list[VocabularySpec]:
    """The term lists (names, conditions, medications, procedures, analytes) from phileak.phi.vocab."""
    return [spec for spec in _vocab_defaults("default_vocabularies") if isinstance(spec, VocabularySpec)]


# --- analysis results ------------------------------------------------------------------------------------------


# --- the engine ----------------------------------------------------------------------------------------------


class PhiEngine:
    """Finds PHI in documents. Build once (compiling the detectors takes a second or two; engines with the
    same detectors share them) and call `analyse` per document. `region` ("US", "FR", ...) decides how
    numeric dates and phone numbers are read for hashing. Without a hasher, people are hashed with a random
    key: linked within this engine, never across runs."""

    def __init__(
        self,
        hasher: IdentityHasher | None = None,
        *,
        region: str = "US",
        patterns: Sequence[PatternSpec] | None = None,
        vocabularies: Sequence[VocabularySpec] | None = None,
    ) -> None:
        self._hashing = _Hashing(hasher or IdentityHasher(secrets.token_bytes(32), region=region))
        self._region = region
        if patterns is None:
            patterns = [*default_patterns(), *default_health_patterns()]
        if vocabularies is None:
            vocabularies = default_vocabularies()
        self._patterns = _pattern_set(tuple(patterns))
        self._vocabularies = tuple(vocabularies)
        self._vocabulary = _vocabulary_matcher(self._vocabularies)
        self._name_lists = frozenset(
            i for i, v in enumerate(self._vocabularies) if v.category in _NAMES or v.category in IDENTIFIER_CATEGORIES
        )

    @property
    def uses_hyperscan(self) -> bool:
        return self._patterns.matcher.uses_hyperscan

    def analyse_text(self, text: str, *, label: str | None = None, name: str | None = None) -> Analysis:
        """`analyse` for one piece of text (a field value, a log line, a query parameter)."""
        return self.analyse(Document(segments=[Segment(text=text, label=label)], name=name))

    def analyse(self, document: Document, *, trim: int | None = None) -> Analysis:
        """What `document` holds. A large table is analysed a slice of whole records at a time (what one
        analysis holds in memory grows with its size), the slices' results joined as one. With `trim`, the
        result is `Analysis.trimmed(trim)`, and so is each slice's: a large table's detections are never all
        held at once."""
        segments = document.segments
        if len(segments) <= SLICE_SEGMENTS and sum(len(s.text or "") for s in segments) <= SLICE_CHARS:
            return _trimmed(_Run(self, document).analysis(), trim)
        parts: list[Analysis] = []
        for start, end in record_slices(segments):
            part = Document(segments=segments[start:end], name=document.name if start == 0 else None,
                            source=document.source)  # fmt: skip
            parts.append(_trimmed(_Run(self, part, first_segment=start).analysis(), trim))
        return _trimmed(joined(parts), trim)


class _Hashing:
    """The hasher with a memory: a person seen in 20 weekly reports is hashed (and registered with logsafe)
    once. Bounded. Remembers keyed hashes under Python's per-process salted hash of the input, never the input
    itself (a 64-bit collision among 200,000 entries has a chance of about 1e-9)."""

    _LIMIT: Final = 200_000

    def __init__(self, hasher: IdentityHasher) -> None:
        self.hasher = hasher
        self._hashes: dict[int, str | None] = {}
        self._registered: set[str] = set()

    def hash(self, category: str, value: str) -> str | None:
        key = hash((category, value))
        if key not in self._hashes:
            if len(self._hashes) > self._LIMIT:
                self._hashes.clear()
            try:
                self._hashes[key] = self.hasher.hash(category, value)
            except ValueError:
                self._hashes[key] = None
        return self._hashes[key]

    def person(self, **parts: str | None) -> str | None:
        key = hash(("person", *sorted(parts.items())))
        if key not in self._hashes:
            if len(self._hashes) > self._LIMIT:
                self._hashes.clear()
            self._hashes[key] = self.hasher.person(**parts)
        return self._hashes[key]

    def register(self, key: str, values: Callable[[], list[tuple[str, str]]]) -> None:
        """logsafe.register the raw values (with their categories) of the person keyed `key`, unless this engine
        already did."""
        if key in self._registered:
            return
        if len(self._registered) > self._LIMIT:
            self._registered.clear()
        self._registered.add(key)
        logsafe.register_as(values())


# --- one analysis ----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _SegmentHits:
    patterns: list[tuple[int, int, int]] = field(default_factory=list)  # (spec, start, end)
    cues: list[tuple[int, int, Role]] = field(default_factory=list)  # (start, end, role)
    context: list[tuple[int, int, int]] = field(default_factory=list)  # (owner, start, end); owner <0: vocab
    vocab: list[tuple[int, int, int]] = field(default_factory=list)  # (vocabulary, start, end)


class _Run:
    """The state of one `analyse` call."""

    def __init__(self, engine: PhiEngine, document: Document, first_segment: int = 0) -> None:
        """`first_segment`: where `document` starts in the one it is a slice of (detections are placed there)."""
        self.engine = engine
        self.document = document
        self.segments = segments_of(document)
        self.texts = [segment.text or "" for segment in self.segments]
        self.name_offset = 1 if document.name else 0
        self.shift = first_segment - self.name_offset  # from an index in self.segments to Detection.segment

    def analysis(self) -> Analysis:
        identifiers: list[Candidate] = []
        facts: list[Fact] = []
        for index, hits in self._scan().items():
            self._segment(index, hits, identifiers, facts)
        kept, person_tied, builders = self._records(identifiers)
        detections = [self._detection(c) for c in kept]
        shift = self.shift
        detections += [Detection(f[3], f[4], f[0] + shift, f[1], f[2], f[5]) for f in sorted(facts)]
        return Analysis(
            detections=detections,
            people=self._people(builders),
            patient_identifiers=frozenset(person_tied),
            clinical_source=(self.document.source or "").lower() in _CLINICAL_SOURCES,
            sensitivities=self._sensitivities(facts),
        )

    # -- scanning --

    def _scan(self) -> dict[int, _SegmentHits]:
        """Every hit, by segment. Segments without hits appear only when their label may make them a value."""
        texts = self.texts
        per_segment: dict[int, _SegmentHits] = {}
        for index, segment in enumerate(self.segments):
            role = label_role(segment.label)
            text = texts[index]
            labelled = role in LABELLED_ROLES or role in HASHABLE_ROLES or may_be_hashed(text)
            if role is Role.FILE_NAME or (labelled and len(text) <= _SHORT_SEGMENT):
                per_segment[index] = _SegmentHits()
        patterns = self.engine._patterns
        if len(texts) <= _SCANNED_ALONE:
            for index, text in enumerate(texts):
                self._scan_one(index, text, patterns, per_segment)
            return per_segment
        joined = _SEPARATOR.join(texts)
        starts = []
        position = 0
        for text in texts:
            starts.append(position)
            position += len(text) + len(_SEPARATOR)
        bounds = [start + len(text) for start, text in zip(starts, texts, strict=True)]
        pattern_of, cue_of, context_of = patterns.pattern_of, patterns.cue_of, patterns.context_of
        found = patterns.matcher.scan(joined)
        terms = self.engine._vocabulary.scan(joined)
        for expression, start, end in found:
            index = bisect.bisect_right(starts, start) - 1
            if end > bounds[index]:
                continue
            base = starts[index]
            hits = per_segment.get(index) or per_segment.setdefault(index, _SegmentHits())
            spec = pattern_of[expression]
            role = cue_of[expression]
            if spec >= 0:
                hits.patterns.append((spec, start - base, end - base))
            elif role is not None:
                hits.cues.append((start - base, end - base, role))
            else:
                hits.context += [(owner, start - base, end - base) for owner in context_of[expression]]
        for vocabulary, start, end in terms:
            index = bisect.bisect_right(starts, start) - 1
            if end > bounds[index]:
                continue
            base = starts[index]
            hits = per_segment.get(index) or per_segment.setdefault(index, _SegmentHits())
            (hits.vocab if vocabulary >= 0 else hits.context).append((vocabulary, start - base, end - base))
        return per_segment

    def _scan_one(self, index: int, text: str, patterns: _PatternSet, per_segment: dict[int, _SegmentHits]) -> None:
        """The hits of one segment scanned alone."""
        found = patterns.matcher.scan(text)
        terms = self.engine._vocabulary.scan(text)
        if not (found or terms):
            return
        pattern_of, cue_of, context_of = patterns.pattern_of, patterns.cue_of, patterns.context_of
        hits = per_segment.get(index) or per_segment.setdefault(index, _SegmentHits())
        hits.patterns = [(pattern_of[e], s, t) for e, s, t in found if pattern_of[e] >= 0]
        hits.cues = [(s, t, role) for e, s, t in found if (role := cue_of[e]) is not None]
        hits.context = [(owner, s, t) for e, s, t in found for owner in context_of[e]]
        hits.context += [term for term in terms if term[0] < 0]
        hits.vocab = [term for term in terms if term[0] >= 0]

    # -- one segment --

    def _segment(self, index: int, hits: _SegmentHits, identifiers: list[Candidate], facts: list[Fact]) -> None:
        text = self.texts[index]
        role = label_role(self.segments[index].label)
        short = len(text) <= _SHORT_SEGMENT
        found: list[Candidate] = []
        hashed = hashed_values(role, text) if short else []
        if hashed:
            for start, end, named in hashed:
                found.append(Candidate(index, start, end, ROLE_CATEGORY[named], f"hashed:{named}", 0.85, Origin.LABEL,
                                        named, contextual=True))  # fmt: skip
        elif role is not None and short and role in LABELLED_ROLES:
            self._labelled(index, text, role, found, facts)
        elif role is Role.FILE_NAME:
            for start, end, named in read_file_name(text):
                provisional = named is Role.DATE
                found.append(Candidate(index, start, end, ROLE_CATEGORY[named], "file-name", 0.85, Origin.LABEL,
                                        named, provisional, not provisional))  # fmt: skip
        cues = dedupe_cues(hits.cues) if hits.cues else hits.cues
        pattern_starts: list[int] = []
        if hits.patterns and any(cue[2] in _PATTERN_READ for cue in cues):
            pattern_starts = sorted(start for _, start, _ in hits.patterns)
        read_to = -1
        for position, (start, end, cue_role) in enumerate(cues):
            if start < read_to:
                continue  # inside a value read after the previous cue ("Serial number: SN-4821")
            if cue_role in _PATTERN_READ and starts_within(pattern_starts, end, end + _PATTERN_READ_GAP):
                continue  # a date or phone pattern found the value; the cue will classify it
            if cue_role in CUE_ROLES:
                limit = len(text)
                if cue_role in OPEN_ENDED_ROLES:
                    limit = next_cue_start(cues, position, end + _VALUE_HEAD, limit)
                span = read_after(cue_role, text, end, limit)
                if span is not None:
                    read_to = span[1]
                    category, detector = ROLE_CATEGORY[cue_role], _CUE_DETECTOR[cue_role]
                    found.append(Candidate(index, span[0], span[1], category, detector, 0.95, Origin.CUE, cue_role,
                                            contextual=True))  # fmt: skip
        if hits.context:
            hits.context.sort()
        if hits.patterns:
            self._patterns(index, text, role, short, hits, cues, found)
        accepted = resolve(found) if len(found) > 1 else found
        names: list[tuple[int, int, int]] = []
        if hits.vocab:
            shadows = sorted((c.start, c.end) for c in accepted if c.category in _SHADOWING)
            names = self._vocabulary(index, text, role, hits, shadows, facts)
        if names:
            accepted += self._name_runs(index, text, role, names, accepted)
        identifiers += accepted

    def _labelled(self, index: int, text: str, role: Role, found: list[Candidate], facts: list[Fact]) -> None:
        span = read_labelled(role, text)
        if span is None or is_hex_digest(text[span[0] : span[1]]) or is_hex_digest(text.strip()):
            return
        category = ROLE_CATEGORY[role]
        if category in HEALTH_CONTEXT and category not in _NAMES:
            facts.append((index, span[0], span[1], category, _LABEL_DETECTOR[role], 0.8))
        else:
            found.append(Candidate(index, span[0], span[1], category, _LABEL_DETECTOR[role], 0.9, Origin.LABEL, role,
                                    contextual=True))  # fmt: skip

    def _patterns(
        self,
        index: int,
        text: str,
        role: Role | None,
        short: bool,
        hits: _SegmentHits,
        cues: list[tuple[int, int, Role]],
        found: list[Candidate],
    ) -> None:
        specs = self.engine._patterns.patterns
        cue_ends = [end for _, end, _ in cues]
        address_end = suppressed_address_end = -(10**9)  # an address line continues the one before it
        for spec_index, start, end in sorted(hits.patterns, key=lambda h: (h[1], -h[2])):
            spec = specs[spec_index]
            if spec.validate is not None and not _valid(spec, text[start:end]):
                continue
            category = spec.category
            if category in _NUMERIC and glued(text, start, end):
                continue
            effective = cue_before(text, cues, cue_ends, start)
            if effective is None and (short or start < CUE_REACH):
                effective = role
            chained = category is _C.ADDRESS and start - address_end <= _ADDRESS_CHAIN
            if category is _C.ADDRESS and start - suppressed_address_end <= _ADDRESS_CHAIN:
                effective = Role.NOT_PERSONAL  # the rest of "Hospital, 1216 Second Street SW, Rochester, MN"
            if effective is Role.NOT_PERSONAL and category in _SUPPRESSIBLE:
                if category is _C.ADDRESS:
                    suppressed_address_end = end
                continue
            contextual = (effective, category) in _SUPPORTS
            if not contextual and spec.context:
                contextual = near(hits.context, spec_index, start, end)
            if spec.needs_context and not (contextual or chained):
                continue
            if effective is not None:
                category = labels.RECLASSIFY.get((effective, category), category)
            provisional = category is _C.DATE and not contextual  # a log timestamp is a date only near a person
            if category is _C.ADDRESS:
                address_end = end
            confidence = min(0.99, spec.confidence + (0.05 if contextual or chained else 0.0))
            found.append(Candidate(index, start, end, category, spec.name, confidence, Origin.PATTERN, effective,
                                    provisional, contextual))  # fmt: skip

    def _vocabulary(
        self,
        index: int,
        text: str,
        role: Role | None,
        hits: _SegmentHits,
        shadows: list[tuple[int, int]],
        facts: list[Fact],
    ) -> list[tuple[int, int, int]]:
        """Health facts from the term lists go to `facts`; name-list words are returned for _name_runs."""
        specs = self.engine._vocabularies
        name_lists = self.engine._name_lists
        names = [hit for hit in hits.vocab if hit[0] in name_lists]
        found: list[Fact] = []
        role_category = ROLE_CATEGORY.get(role) if role is not None else None
        for spec_index, start, end in hits.vocab if len(names) < len(hits.vocab) else ():
            if spec_index in name_lists:
                continue
            spec = specs[spec_index]
            if (
                spec.needs_context
                and role_category != spec.category
                and not near(hits.context, -1 - spec_index, start, end)
            ):
                continue
            if shadows and overlaps_any(shadows, start, end):
                continue
            found.append((index, start, end, spec.category, spec.name, spec.confidence))
        facts += drop_nested(found) if len(found) > 1 else found
        return names

    def _name_runs(
        self, index: int, text: str, role: Role | None, names: list[tuple[int, int, int]], accepted: list[Candidate]
    ) -> list[Candidate]:
        """Name-list words joined into runs ("Jane" "Doe"). A run is a name when the segment is labelled as a
        name, when it sits next to a date of birth, when it is two or more names in a file name, or (decided
        per record) when it is two or more capitalised names in a record that identifies someone."""
        labelled = role in _NAME_ROLES or role is Role.PROVIDER_NAME
        file_name = role is Role.FILE_NAME
        found_runs = runs(text, sorted({(s, e) for _, s, e in names}), require_capital=not (labelled or file_name))
        if not found_runs:
            return []
        category = _C.PROVIDER_NAME if role is Role.PROVIDER_NAME else _C.PERSON_NAME
        taken = sorted((c.start, c.end) for c in accepted)
        dobs = sorted(c.start for c in accepted if c.category is _C.DATE_OF_BIRTH)
        confidence = max(self.engine._vocabularies[s].confidence for s, _, _ in names)
        out: list[Candidate] = []
        for start, end, words in found_runs:
            if taken and overlaps_any(taken, start, end):
                continue
            near_dob = starts_within(dobs, start - _NAME_NEAR_DOB, end + _NAME_NEAR_DOB)
            stem = file_stem_name(text, start, end) if file_name and words == 1 else None
            if stem is not None and not (taken and overlaps_any(taken, *stem)):
                out.append(Candidate(index, stem[0], stem[1], category, "name-list", confidence - 0.1, Origin.VOCAB,
                                      role, contextual=True))  # fmt: skip
            elif labelled or near_dob or (file_name and words >= 2):
                out.append(Candidate(index, start, end, category, "name-list", confidence, Origin.VOCAB, role,
                                      contextual=True))  # fmt: skip
            elif words >= 2:
                out.append(Candidate(index, start, end, category, "name-list", confidence - 0.1, Origin.VOCAB,
                                      provisional=True))  # fmt: skip
        return out

    # -- records and people --

    def _records(self, identifiers: list[Candidate]) -> tuple[list[Candidate], set[DataCategory], list[PersonBuilder]]:
        """Kept candidates (provisional ones only in records that identify someone), the patient identifier
        categories tied to a person, and the people of each record."""
        records: dict[str, list[Candidate]] = {}
        for candidate in sorted(identifiers, key=lambda c: (c.segment, c.start)):
            key = record_key(self.segments[candidate.segment].where)
            records.setdefault(key, []).append(candidate)
        kept: list[Candidate] = []
        person_tied: set[DataCategory] = set()
        builders: list[PersonBuilder] = []
        texts = self.texts
        region = self._date_region(identifiers)
        for members in records.values():
            strong = has_strong(members)
            present = [c for c in members if strong or not c.provisional]
            kept += present
            for candidate in present:
                if candidate.category in PATIENT_IDENTIFIERS and candidate.category not in person_tied:
                    value = texts[candidate.segment][candidate.start : candidate.end]
                    if ties_person(candidate, strong, value):
                        person_tied.add(candidate.category)
            people = [(c.category, c.role, texts[c.segment][c.start : c.end]) for c in present]
            builders += assemble(people, region)
        return kept, person_tied, builders

    def _date_region(self, identifiers: list[Candidate]) -> str:
        """The region whose order reads this document's numeric dates. In a month-first region (US), a
        document writes day first when one of its dates can only be read so (31/01/1980) and none only month
        first, or when its dates are all ambiguous (03/04/1980) and it is written in French."""
        region = self.engine._region
        if not month_first(region):
            return region
        day_first_seen = month_first_seen = ambiguous = False
        texts = self.texts
        for candidate in identifiers:
            if candidate.category not in _DATES:
                continue
            match = _NUMERIC_DATE.fullmatch(texts[candidate.segment][candidate.start : candidate.end].strip())
            if match is None:
                continue
            first, second = int(match[1]), int(match[2])
            day_first_seen |= first > 12 >= second
            month_first_seen |= second > 12 >= first
            ambiguous |= first <= 12 and second <= 12
        if month_first_seen:
            return region
        if day_first_seen or (ambiguous and any(_FRENCH.search(text) for text in texts)):
            return DAY_FIRST_REGION
        return region

    def _people(self, builders: list[PersonBuilder]) -> list[PersonRecord]:
        by_key: dict[str, set[tuple[str, str]]] = {}
        hashing = self.engine._hashing
        for builder in builders:
            record = builder.record(hashing)
            if record is None:
                continue
            by_key.setdefault(record.key, set()).update(record.attributes)
            hashing.register(record.key, builder.values)
        return [PersonRecord(key=key, attributes=frozenset(attributes)) for key, attributes in by_key.items()]

    def _detection(self, c: Candidate) -> Detection:
        return Detection(c.category, c.detector, c.segment + self.shift, c.start, c.end, round(c.confidence, 3))

    def _sensitivities(self, facts: list[Fact]) -> frozenset[str]:
        """The special categories (HIV, mental health, reproductive ...) the health facts fall in."""
        texts = self.texts
        terms = {texts[f[0]][f[1] : f[2]] for f in facts if f[3] is not _C.LAB_RESULT}
        return frozenset(found for term in terms if (found := _sensitivity_of(term)))


@functools.lru_cache(maxsize=16384)
def _sensitivity_of(term: str) -> str | None:
    """phileak.phi.vocab.sensitivity's answer for a detected term (None until that module is installed)."""
    check = _sensitivity_function()
    if check is None:
        return None
    try:
        result = check(term)
    except Exception:  # a vocabulary bug must not lose the analysis
        log.debug("sensitivity lookup failed", exc_info=True)
        return None
    return str(result) if result else None


@functools.cache
def _sensitivity_function() -> Callable[[str], object] | None:
    try:
        module = importlib.import_module("phileak.phi.vocab.sensitivity")
    except ImportError:
        return None
    function = getattr(module, "sensitivity", None)
    return function if callable(function) else None


# --- helpers -----------------------------------------------------------------------------------------------------


def _trimmed(analysis: Analysis, keep: int | None) -> Analysis:
    return analysis if keep is None else analysis.trimmed(keep)


def record_slices(segments: Sequence[Segment]) -> Iterator[tuple[int, int]]:
    """(start, end) slices of `segments`, each of at most about SLICE_SEGMENTS segments and SLICE_CHARS characters,
    cut where one record (a row, a line, an array item) ends and the next begins; a record longer than a slice
    is cut anyway (its people are assembled a slice at a time)."""
    start = 0
    total = len(segments)
    while start < total:
        end, chars = start, 0
        while end < total and end - start < SLICE_SEGMENTS and chars <= SLICE_CHARS:
            chars += len(segments[end].text or "")
            end += 1
        if end < total:
            last = record_key(segments[end - 1].where)
            back = end - 1
            while back > start and record_key(segments[back - 1].where) == last:
                back -= 1
            if back > start:  # else the slice is all one record
                end = back
        yield start, end
        start = end


def _valid(spec: PatternSpec, value: str) -> bool:
    """The spec's validator's answer; a validator that raises says no (and is logged, without the value)."""
    try:
        return bool(spec.validate(value)) if spec.validate is not None else True
    except Exception as exc:
        if spec.name not in _BROKEN_VALIDATORS:
            _BROKEN_VALIDATORS.add(spec.name)
            log.warning("validator of pattern %s raised %s; its hits are dropped", spec.name, type(exc).__name__)
        return False


_BROKEN_VALIDATORS: set[str] = set()
