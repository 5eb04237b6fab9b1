"""Large documents: a table is analysed a slice of whole records at a time with the same result as in one go, and
an analysis trimmed for the trip between processes keeps what a finding is made of. Every value is synthetic."""

from __future__ import annotations

import itertools
import random

import pytest
from faker import Faker

from phileak.phi import engine as engine_module
from phileak.phi.engine import PhiEngine, record_slices
from phileak.phi.extract import extract
from phileak.phi.identity import IdentityHasher
from phileak.phi.spec import Detection, Document, Segment

KEY = b"large-documents-key-0123456789ab"
DIAGNOSES = ["Type 2 diabetes", "Hypertension", "Asthma", "HIV", "Depression"]


def export_csv(rows: int, seed: int) -> bytes:
    """A patient export as hospitals leak them: one patient per row, with a diagnosis."""
    fake, rng = Faker("en_US"), random.Random(seed)
    fake.seed_instance(seed)
    lines = ["mrn,last_name,first_name,dob,email,zip,diagnosis"]
    for row in range(rows):
        lines.append(f"{48_000_000 + row},{fake.last_name()},{fake.first_name()},"
                     f"{fake.date_of_birth(minimum_age=1, maximum_age=95).isoformat()},{fake.email()},"
                     f"{fake.postcode()},{rng.choice(DIAGNOSES)}")  # fmt: skip
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def engine() -> PhiEngine:
    return PhiEngine(IdentityHasher(KEY))


def canonical(detections: list[Detection]) -> list[tuple[int, int, int, str, str]]:
    return sorted((d.segment, d.start, d.end, d.category.value, d.detector) for d in detections)


def test_slices_end_where_a_record_ends_and_cover_every_segment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "SLICE_SEGMENTS", 10)
    segments = [Segment(f"v{row}-{cell}", where=f"row {row}") for row in range(1, 40) for cell in range(3)]
    slices = list(record_slices(segments))
    assert slices[0][0] == 0 and slices[-1][1] == len(segments)
    assert all(end == start for (_, end), (start, _) in itertools.pairwise(slices))
    for start, end in slices:
        assert 0 < end - start <= 10
        if end < len(segments):
            assert segments[end - 1].where != segments[end].where  # never inside a row


def test_a_record_longer_than_a_slice_is_cut_anyway(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "SLICE_SEGMENTS", 10)
    segments = [Segment(f"line {n}", where="row 1") for n in range(25)] + [Segment("x", where="row 2")]
    assert list(record_slices(segments)) == [(0, 10), (10, 20), (20, 26)]


def test_a_table_analysed_in_slices_gives_what_one_pass_gives(
    engine: PhiEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = extract(export_csv(300, seed=5), name="Export_Grant_Rose_2026.csv")
    document = Document(segments=table.segments, name=table.name, source=table.source)
    whole = engine.analyse(document)
    monkeypatch.setattr(engine_module, "SLICE_SEGMENTS", 97)
    sliced = engine.analyse(document)
    assert len(list(record_slices(document.segments))) > 20
    assert canonical(sliced.detections) == canonical(whole.detections)
    assert any(d.segment == -1 for d in sliced.detections)  # the file name is read once, with the first slice
    assert sorted(sliced.people, key=lambda p: p.key) == sorted(whole.people, key=lambda p: p.key)
    assert len({p.key for p in sliced.people}) == 301  # a patient per row, and the one the file is named after
    assert (sliced.patient_identifiers, sliced.sensitivities, sliced.severity(), sliced.excerpt(document)) == (
        whole.patient_identifiers, whole.sensitivities, whole.severity(), whole.excerpt(document)
    )  # fmt: skip


def test_a_slice_of_characters_bounds_a_table_of_long_cells(
    engine: PhiEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine_module, "SLICE_CHARS", 2_000)
    note = "Patient: Omar Haddad, DOB 03/04/1971, MRN 4481122. Hypertension follow-up. " * 5
    segments = [Segment(note, label="note", where=f"row {row}") for row in range(1, 41)]
    assert len(list(record_slices(segments))) >= 7
    analysis = engine.analyse(Document(segments=segments))
    assert {d.segment for d in analysis.detections} == set(range(40))
    assert len({p.key for p in analysis.people}) == 1  # one patient, seen in every row


def test_a_trimmed_analysis_keeps_what_a_finding_is_made_of(engine: PhiEngine) -> None:
    table = extract(export_csv(200, seed=8), name="Haddad_Omar_export.csv")
    document = Document(segments=table.segments, name=table.name, source=table.source)
    full = engine.analyse(document)
    trimmed = full.trimmed(keep=100)
    assert len(trimmed.detections) < 100 < len(full.detections)
    assert trimmed.counts() == full.counts() and trimmed.categories == full.categories
    assert (trimmed.identifiers, trimmed.health, trimmed.is_phi, trimmed.severity()) == (
        full.identifiers, full.health, full.is_phi, full.severity()
    )  # fmt: skip
    assert trimmed.excerpt(document) == full.excerpt(document) != ""
    assert [d for d in trimmed.detections if d.segment == -1] == [d for d in full.detections if d.segment == -1]
    assert trimmed.people == full.people
    assert full.trimmed(keep=len(full.detections)) is full


def test_a_large_table_trimmed_slice_by_slice_gives_the_trimmed_whole(
    engine: PhiEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With `trim`, each slice's analysis is trimmed as it is made (a large table's detections are never all
    held): the result says what the whole analysis, trimmed, says."""
    table = extract(export_csv(300, seed=9), name="Export_Grant_Rose_2026.csv")
    document = Document(segments=table.segments, name=table.name, source=table.source)
    whole = engine.analyse(document).trimmed(keep=50)
    monkeypatch.setattr(engine_module, "SLICE_SEGMENTS", 97)
    sliced = engine.analyse(document, trim=50)
    assert len(sliced.detections) < 50 and sliced.tallied is not None
    assert sliced.counts() == whole.counts() and sliced.categories == whole.categories
    assert (sliced.is_phi, sliced.severity(), sliced.excerpt(document)) == (
        whole.is_phi, whole.severity(), whole.excerpt(document)
    )  # fmt: skip
    assert sorted(sliced.people, key=lambda p: p.key) == sorted(whole.people, key=lambda p: p.key)
    assert [d for d in sliced.detections if d.segment == -1] == [d for d in whole.detections if d.segment == -1] != []


def test_a_large_document_crosses_processes_as_columns_and_comes_back_equal() -> None:
    import pickle

    from phileak.phi.extract.context import ExtractedDocument, Skipped
    from phileak.phi.spec import COLUMNAR_SEGMENTS

    cells = ["Zoë Ångström", "", "4481122", "Hypertension — suivi", "x" * 300]
    segments = [Segment(cells[n % 5], label=None if n % 7 == 0 else f"col{n % 5}", where=None if n % 11 == 0
                        else f"row {n // 5}") for n in range(COLUMNAR_SEGMENTS + 50)]  # fmt: skip
    skipped = (Skipped("row 9", "unreadable row"),)
    large = ExtractedDocument(segments=segments, name="Export_Zoë.csv", source="csv", skipped=skipped,
                              read_in_part="limit max_segments reached")  # fmt: skip
    payload = pickle.dumps(large)
    assert b"_segments_from_columns" in payload
    back = pickle.loads(payload)
    assert back == large and type(back) is ExtractedDocument and isinstance(back.segments, list)
    plain = Document(segments=segments, name=None, source="csv")
    assert pickle.loads(pickle.dumps(plain)) == plain
    small = Document(segments=segments[:10], name="a.csv")
    assert b"_segments_from_columns" not in pickle.dumps(small) and pickle.loads(pickle.dumps(small)) == small
