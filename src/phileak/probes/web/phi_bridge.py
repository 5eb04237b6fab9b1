"""The PHI engine, seen from leak detection: decoded payload fields in, per-field detections out.

The engine (phileak.phi.engine.PhiEngine, issue 4) is optional here: when it is not installed yet, or fails on
a payload, leak detection goes on with the canary matcher, the decoders and the health vocabulary, and says so.
Each field is one Segment labelled with its parameter name ("ud[em]", "ep.search_term"), so the engine's
label context works on query parameters as it does on form fields and CSV headers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from phileak import logsafe
from phileak.model import DataCategory
from phileak.phi.spec import Document, Segment

if TYPE_CHECKING:
    from phileak.phi.identity import IdentityHasher
    from phileak.probes.web.decoders import DecodedField

log = logging.getLogger(__name__)


class PhiAnalyser(Protocol):
    """What leak detection needs of the engine: `analyse(document)` returning an object with `detections`
    (phi.spec.Detection) and optionally `people` (phi.spec.PersonRecord)."""

    def analyse(self, document: Document) -> Any: ...


@dataclass(frozen=True, slots=True)
class FieldDetection:
    field: int  # index into the fields given
    category: DataCategory
    start: int
    end: int
    confidence: float


@dataclass(frozen=True, slots=True)
class FieldAnalysis:
    detections: tuple[FieldDetection, ...] = ()
    people: tuple[str, ...] = ()  # person keys (keyed hashes)
    failed: bool = False


def load_phi_engine(hasher: IdentityHasher | None) -> PhiAnalyser | None:
    """The PHI engine when phileak.phi.engine provides one, else None (canary-only detection)."""
    try:
        from phileak.phi.engine import PhiEngine  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        log.info("phileak.phi.engine is not available: leak detection uses the canary matcher and decoders only")
        return None
    engine: PhiAnalyser = PhiEngine(hasher)
    return engine


def analyse_fields(engine: PhiAnalyser, fields: Sequence[DecodedField]) -> FieldAnalysis:
    """Run the engine over `fields` as one document; an engine failure is logged (scrubbed) and reported as
    `failed`, never raised."""
    if not fields:
        return FieldAnalysis()
    segments = [Segment(text=f.value, label=f.name, where=f"{f.location}:{f.name}") for f in fields]
    try:
        analysis = engine.analyse(Document(segments=segments, name=None, source="tracker-payload"))
        detections = tuple(
            FieldDetection(d.segment, DataCategory(d.category), d.start, d.end, float(d.confidence))
            for d in getattr(analysis, "detections", ())
            if 0 <= d.segment < len(fields)
        )
        people = tuple(str(p.key) for p in getattr(analysis, "people", ()) if getattr(p, "key", None))
    except Exception as exc:  # the engine is another team's code: a failure must not end the scan
        log.warning("PHI engine failed on a tracker payload: %s", logsafe.safe_message(exc))
        return FieldAnalysis(failed=True)
    return FieldAnalysis(detections=detections, people=people)
