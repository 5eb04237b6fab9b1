"""People, not files: cross-document resolution into individuals, exact counts, and the sample estimate's 95 %
interval checked against synthetic populations whose true size is known."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from phileak.model import Estimate
from phileak.phi.identity import IdentityHasher
from phileak.phi.people import PeopleCounter, attribute_kind, estimate_distinct
from phileak.phi.spec import PersonRecord

HASHER = IdentityHasher(bytes(range(32)))


def record(**values: str) -> PersonRecord:
    """A PersonRecord as the engine builds one: keyed hashes of each attribute, never the values."""
    attributes = frozenset((kind, HASHER.hash(kind, value)) for kind, value in values.items())
    key = HASHER.person(
        name=values.get("person-name"), birth_date=values.get("date-of-birth"), id_value=values.get("mrn"),
        id_kind="mrn",
    )  # fmt: skip
    return PersonRecord(key=key or "h:none", attributes=attributes)


def counted(*docs: list[PersonRecord]) -> PeopleCounter:
    counter = PeopleCounter()
    for index, records in enumerate(docs):
        counter.add(f"doc-{index}", records)
    return counter


# --- resolution ----------------------------------------------------------------------------------------------------


def test_the_same_mrn_is_one_person_even_when_the_name_is_spelt_differently() -> None:
    counter = counted(
        [record(**{"person-name": "Hortensia Quixote", "mrn": "MRN-0042"})],
        [record(**{"person-name": "Hortensa Quixotte", "mrn": "mrn 0042"})],
    )
    assert counter.distinct() == 1
    assert counter.frequencies() == {2: 1}


def test_name_and_birth_date_link_across_formats() -> None:
    counter = counted(
        [record(**{"person-name": "QUIXOTE^HORTENSIA", "date-of-birth": "19610723"})],
        [record(**{"person-name": "Hortensia Quixote", "date-of-birth": "07/23/1961", "mrn": "77"})],
        [record(**{"mrn": "77", "email": "hq@example.com"})],
    )
    assert counter.distinct() == 1
    assert counter.files_per_person() == 3.0


def test_same_name_with_different_birth_dates_is_two_people() -> None:
    counter = counted(
        [record(**{"person-name": "John Smith", "date-of-birth": "1950-01-02"})],
        [record(**{"person-name": "John Smith", "date-of-birth": "1987-11-30"})],
    )
    assert counter.distinct() == 2


def test_a_name_alone_joins_the_only_person_known_by_it() -> None:
    counter = counted(
        [record(**{"person-name": "Ysolde Varnham", "date-of-birth": "1950-01-02", "mrn": "5"})],
        [record(**{"person-name": "Varnham, Ysolde", "email": "yv@example.org"})],
        [record(**{"email": "yv@example.org"})],
    )
    assert counter.distinct() == 1
    assert counter.frequencies() == {3: 1}


def test_a_name_shared_by_two_known_people_is_ambiguous_not_a_third_person() -> None:
    counter = counted(
        [record(**{"person-name": "John Smith", "date-of-birth": "1950-01-02"})],
        [record(**{"person-name": "John Smith", "date-of-birth": "1987-11-30"})],
        [record(**{"person-name": "John Smith", "phone": "415-555-0100"})],
    )
    assert counter.distinct() == 2
    assert counter.ambiguous() == 1


def test_names_link_groups_only_when_nothing_contradicts() -> None:
    # Same name, one group known by MRN and one by birth date: nothing differs, so one person...
    compatible = counted(
        [record(**{"person-name": "Ada Brisk", "mrn": "1"})],
        [record(**{"person-name": "Ada Brisk", "date-of-birth": "1970-05-05"})],
    )
    assert compatible.distinct() == 1
    # ...but two different MRNs under one name are two people.
    contradicting = counted(
        [record(**{"person-name": "Ada Brisk", "mrn": "1"})],
        [record(**{"person-name": "Ada Brisk", "mrn": "2"})],
    )
    assert contradicting.distinct() == 2


def test_a_name_thousands_share_is_resolved_by_what_tells_them_apart() -> None:
    """A large export repeats common names: 3,000 John Smiths with their own birth dates are 3,000 people
    (comparing every pair of them, and every third one with each pair, never finished); an MRN-only sighting
    compatible with all of them links to none, and one whose only match is unique joins it."""
    first = date(1930, 1, 1)
    smiths = [record(**{"person-name": "John Smith", "date-of-birth": (first + timedelta(days=n)).isoformat()})
              for n in range(3_000)]  # fmt: skip
    assert counted(smiths).distinct() == 3_000
    # An MRN-only sighting could be any of them: it is not merged into one (the count stays a person apart).
    assert counted(smiths, [record(**{"person-name": "John Smith", "mrn": "991"})]).distinct() == 3_001
    one_more = [record(**{"person-name": "John Smith", "date-of-birth": "1999-12-31", "mrn": "77"}),
                record(**{"person-name": "John Smith", "mrn": "77"})]  # fmt: skip
    assert counted(smiths, one_more).distinct() == 3_001


def test_names_shared_across_groups_merged_under_another_name_do_not_break_the_count() -> None:
    """Groups merged while one name was being resolved are gone when the next name lists them (it raised
    KeyError and lost the scan's summary): a population of partial sightings sharing names, e-mails, MRNs."""
    rng = random.Random(1)
    docs = []
    names = ["Ada Brisk", "Omar Haddad", "John Smith", "Jane Roe", "Li Wei"]
    for _ in range(rng.randint(20, 250)):
        values = {"person-name": rng.choice(names[: rng.randint(1, 5)])}
        if rng.random() < rng.random():
            values["date-of-birth"] = f"19{rng.randint(50, 51)}-0{rng.randint(1, 2)}-1{rng.randint(0, 2)}"
        if rng.random() < rng.random():
            values["mrn"] = str(rng.randint(1, 15))
        if rng.random() < 0.2:
            values["email"] = f"p{rng.randint(1, 10)}@example.org"
        docs.append([record(**values)])
    counter = counted(*docs)
    assert 0 < counter.distinct() < len(docs)


def test_a_shared_phone_or_email_links_only_what_nothing_tells_apart() -> None:
    family = {"phone": "+1 507-555-0142", "email": "family@example.com"}
    counter = counted(
        [record(**{"person-name": "Hortensia Quixote", "date-of-birth": "1961-07-23", "mrn": "A1", **family})],
        [record(**{"person-name": "Hortensia Quixote", "date-of-birth": "1990-02-11", "mrn": "A2", **family})],
        [record(**{"person-name": "Bruno Quixote", "date-of-birth": "1988-05-30", **family})],
        [record(**{"phone": "+1 507-555-0142"})],  # the household's phone alone: one of them, not a fourth
        [record(**{"mrn": "A1", "phone": "+1 507-555-0199"})],
        [record(**{"person-name": "H. Quixote", "phone": "+1 507-555-0199"})],  # A1's own mobile, no birth date
    )
    assert counter.distinct() == 3
    assert counter.files_per_person() == 2.0


def test_a_birth_date_alone_links_nobody() -> None:
    counter = counted(
        [record(**{"person-name": "Ada Brisk", "date-of-birth": "1970-05-05"})],
        [record(**{"person-name": "Bo Quill", "date-of-birth": "1970-05-05"})],
    )
    assert counter.distinct() == 2


def test_people_count_once_per_document_and_empty_documents_still_count_as_read() -> None:
    same = record(**{"mrn": "9"})
    counter = counted([same, same], [], [record(**{"mrn": "9"}), record(**{"mrn": "10"})])
    assert counter.documents == 3
    assert counter.distinct() == 2
    assert counter.frequencies() == {1: 1, 2: 1}
    assert counter.files_per_person() == 1.5


def test_a_record_without_attributes_is_linked_by_its_key() -> None:
    counter = counted([PersonRecord(key="h:aaa")], [PersonRecord(key="h:aaa")], [PersonRecord(key="h:bbb")])
    assert counter.distinct() == 2


def test_attribute_kinds_accept_common_aliases() -> None:
    assert attribute_kind("DOB") == "date-of-birth"
    assert attribute_kind("nir") == "fr-nir"
    dob_alias = counted(
        [PersonRecord(key="h:1", attributes=frozenset({("name", "h:n"), ("dob", "h:d")}))],
        [PersonRecord(key="h:2", attributes=frozenset({("person-name", "h:n"), ("date-of-birth", "h:d")}))],
    )
    assert dob_alias.distinct() == 1


def test_nothing_read_means_nobody_and_no_ratio() -> None:
    counter = PeopleCounter()
    assert counter.distinct() == 0
    assert counter.files_per_person() == 0.0
    assert counter.frequencies() == {}


# --- exact counts and estimates ------------------------------------------------------------------------------------


def test_reading_every_document_gives_the_exact_count() -> None:
    counter = counted([record(mrn="1")], [record(mrn="1")], [record(mrn="2")])
    estimate = counter.estimate(total_docs=3)
    assert (estimate.point, estimate.low, estimate.high, estimate.exact) == (2, 2, 2, True)
    assert estimate.to_model() == Estimate(low=2, high=2, confidence=0.95)


def test_total_docs_below_the_documents_read_is_refused() -> None:
    counter = counted([record(mrn="1")], [record(mrn="2")])
    with pytest.raises(ValueError, match="less than"):
        counter.estimate(total_docs=1)


def test_a_sample_without_people_bounds_the_count_by_the_rule_of_three() -> None:
    assert estimate_distinct({}, [0] * 300, 30_000) == (0, 0, 300)


@dataclass(frozen=True)
class Population:
    files_per_person: Callable[[random.Random], int]
    people: int

    def documents(self, rng: random.Random) -> list[int]:
        """One entry per document: whose it is."""
        return [person for person in range(self.people) for _ in range(self.files_per_person(rng))]


def sample_estimate(population: Population, fraction: float, seed: int) -> tuple[int, int, int, PeopleCounter]:
    """Read a uniform random `fraction` of the population's documents through a PeopleCounter (each document
    carries its person's hashed MRN) and estimate the total."""
    rng = random.Random(seed)
    documents = population.documents(rng)
    read = rng.sample(range(len(documents)), round(fraction * len(documents)))
    counter = PeopleCounter()
    for index in read:
        mrn = f"h:{documents[index]:08d}"  # already "hashed": the counter only compares values
        counter.add(f"doc-{index}", [PersonRecord(key=mrn, attributes=frozenset({("mrn", mrn)}))])
    estimate = counter.estimate(total_docs=len(documents))
    assert not estimate.exact
    assert estimate.low <= estimate.point <= estimate.high
    assert estimate.low >= counter.distinct()  # never below what was seen
    return estimate.point, estimate.low, estimate.high, counter


def coverage(population: Population, fraction: float, seeds: range) -> list[tuple[int, int, int]]:
    results = [sample_estimate(population, fraction, seed)[:3] for seed in seeds]
    return [r for r in results if not r[1] <= population.people <= r[2]]


@pytest.mark.slow
def test_the_95_percent_interval_covers_20000_people_with_1_to_4_files_sampled_at_10_percent() -> None:
    population = Population(lambda rng: rng.randint(1, 4), 20_000)
    misses = coverage(population, 0.10, range(10))
    assert len(misses) <= 1, misses


def _phm_like(rng: random.Random) -> int:
    """About 2.1 files per person, most with one or two, a few with many (316,363 files / ~150,000 people)."""
    return 1 + min(int(rng.expovariate(0.646)), 60)  # floor of Exp(0.646): geometric, mean 1.1


@pytest.mark.slow
def test_the_phm_ratio_is_recovered_exactly_from_a_full_read_and_covered_from_a_sample() -> None:
    population = Population(_phm_like, 15_000)
    rng = random.Random(7)
    documents = population.documents(rng)
    counter = PeopleCounter()
    for index, person in enumerate(documents):
        counter.add(f"doc-{index}", [record(mrn=str(person))])
    assert counter.distinct() == population.people
    assert counter.files_per_person() == pytest.approx(len(documents) / population.people)
    assert 1.9 < counter.files_per_person() < 2.3
    assert counter.estimate(total_docs=len(documents)).exact
    assert coverage(population, 0.10, range(4)) == []


@pytest.mark.slow
def test_one_off_visitors_mixed_with_regular_patients_are_covered_too() -> None:
    # Not one smooth distribution: 60 % have one file, 40 % have five (a model assuming a single bump fails).
    population = Population(lambda rng: 1 if rng.random() < 0.6 else 5, 10_000)
    assert len(coverage(population, 0.10, range(5))) <= 1


def test_documents_naming_several_people_are_estimated_from_incidences() -> None:
    # Patient-list exports: each document lists 3 to 8 people; a person appears in 1 to 3 lists.
    rng = random.Random(11)
    people = 3_000
    appearances = [person for person in range(people) for _ in range(rng.randint(1, 3))]
    rng.shuffle(appearances)
    documents: list[list[int]] = []
    while appearances:
        documents.append([appearances.pop() for _ in range(min(len(appearances), rng.randint(3, 8)))])
    counter = PeopleCounter()
    for index in rng.sample(range(len(documents)), len(documents) // 5):
        counter.add(f"list-{index}", [record(mrn=str(p)) for p in documents[index]])
    estimate = counter.estimate(total_docs=len(documents))
    assert estimate.low <= people <= estimate.high
    assert estimate.high - estimate.low < people  # informative, not just [seen, everything]


def _mixed_sightings(rng: random.Random, person: int, given: str, family: str, birth: str) -> Iterator[PersonRecord]:
    """The documents one person appears in, each identifying them differently (a lab report first; an
    email-only sighting, such as a tracker hit, only after one that ties the email to the name)."""
    mrn, email, name = f"M{person}", f"p{person}@example.com", f"{given} {family}"
    yield record(**{"person-name": name, "date-of-birth": birth, "mrn": mrn})
    shapes: list[dict[str, str]] = [
        {"person-name": name, "date-of-birth": birth},
        {"mrn": mrn},
        {"person-name": name, "email": email},
    ]
    for _ in range(rng.randint(0, 3)):
        shape = rng.choice(shapes)
        yield record(**shape)
        if "email" in shape:
            yield record(email=email)


def test_a_full_read_of_differently_identified_documents_counts_each_person_once() -> None:
    rng = random.Random(3)
    given = [f"Given{i}" for i in range(40)]
    family = [f"Family{i}" for i in range(60)]  # 2,400 names for 1,500 people: many shared names
    counter = PeopleCounter()
    doc = 0
    for person in range(1_500):
        birth = f"{rng.randrange(1930, 2010)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        for sighting in _mixed_sightings(rng, person, rng.choice(given), rng.choice(family), birth):
            counter.add(f"doc-{doc}", [sighting])
            doc += 1
    assert counter.distinct() == 1_500
