"""Keyed identity hashing: one person hashes alike across formats, nothing raw comes out."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phileak.phi import identity
from phileak.phi.identity import IdentityHasher, normalise, parse_date

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
HASH_SHAPE = re.compile(r"^h:[0-9a-f]{24}$")


@pytest.fixture
def hasher() -> IdentityHasher:
    return IdentityHasher(KEY)


@pytest.mark.parametrize(
    ("category", "value", "expected"),
    [
        ("person-name", "QUIXOTE^HORTENSIA^B", "b hortensia quixote"),
        ("person-name", "Hortensia B. Quixote", "b hortensia quixote"),
        ("person-name", "Quixote, Hortensia B", "b hortensia quixote"),
        ("person-name", "  HORTENSIA   b  QUIXOTE ", "b hortensia quixote"),
        ("person-name", "QUIXOTE^HORTENSIA^^DR^JR=クイ^ホル", "hortensia jr quixote"),
        ("person-name", "Dr. Hélène O'Vantë-Zorbaz", "helene ovante zorbaz"),
        ("person-name", "HELENE^OVANTE ZORBAZ", "helene ovante zorbaz"),
        ("name", "Jöhn Smîth", "john smith"),
        ("date-of-birth", "1961-07-23", "1961-07-23"),
        ("date-of-birth", "19610723", "1961-07-23"),
        ("date-of-birth", "07/23/1961", "1961-07-23"),
        ("date-of-birth", "7/3/1961", "1961-07-03"),
        ("date-of-birth", "23/07/1961", "1961-07-23"),  # impossible as M/D, read as D/M
        ("date-of-birth", "1961.07.23", "1961-07-23"),
        ("date-of-birth", "1961-07-23T00:00:00Z", "1961-07-23"),
        ("date-of-birth", "1961-07-23 08:15", "1961-07-23"),
        ("date-of-birth", "23 Jul 1961", "1961-07-23"),
        ("date-of-birth", "23-JUL-1961", "1961-07-23"),
        ("date-of-birth", "July 23rd, 1961", "1961-07-23"),
        ("date-of-birth", "1er août 1961", "1961-08-01"),
        ("dob", "23 juillet 1961", "1961-07-23"),
        ("email", "  H.Quixote@Example.ORG ", "h.quixote@example.org"),
        ("phone", "(555) 010-0199", "+15550100199"),
        ("phone", "1-555-010-0199", "+15550100199"),
        ("phone", "555.010.0199 ext. 42", "+15550100199"),
        ("phone", "+33 1 23 45 67 89", "+33123456789"),
        ("phone", "011 33 1 23 45 67 89", "+33123456789"),
        ("fax", "5550100199", "+15550100199"),
        ("ssn", "078-05-1120", "078051120"),
        ("ssn", "078 05 1120", "078051120"),
        ("mrn", "zx-778 812", "ZX778812"),
        ("fr-nir", "1 85 05 2a 006 084 36", "185052A00608436"),
        ("address", "12, Rue de l'Église", "12 rue de l eglise"),
    ],
)
def test_normalise(category: str, value: str, expected: str) -> None:
    assert normalise(category, value) == expected


@pytest.mark.parametrize(
    ("value", "region", "expected"),
    [
        ("01/02/1961", "US", date(1961, 1, 2)),
        ("01/02/1961", "FR", date(1961, 2, 1)),
        ("01/02/1961", "GB", date(1961, 2, 1)),
        ("13/02/1961", "US", date(1961, 2, 13)),
        ("02/13/1961", "FR", date(1961, 2, 13)),
    ],
)
def test_numeric_date_order_follows_region(value: str, region: str, expected: date) -> None:
    assert parse_date(value, region) == expected


def test_french_phone_numbers_get_the_french_calling_code() -> None:
    assert normalise("phone", "01 23 45 67 89", region="FR") == "+33123456789"
    assert normalise("phone", "0033 1 23 45 67 89", region="FR") == "+33123456789"


@pytest.mark.parametrize(
    ("category", "value"),
    [
        ("date-of-birth", "23/07/61"),  # two-digit year: century unknown
        ("date-of-birth", "1961-02-30"),
        ("date-of-birth", "born 1961-07-23"),
        ("date-of-birth", "Smarch 3, 1961"),
        ("date-of-birth", "13/13/1961"),
        ("email", "hortensia.quixote"),
        ("phone", "12345"),
        ("mrn", "--/--"),
        ("person-name", "^^^"),
    ],
)
def test_unreadable_values_raise_without_quoting_the_value(category: str, value: str) -> None:
    with pytest.raises(ValueError) as caught:
        normalise(category, value)
    assert value not in str(caught.value)
    for token in re.findall(r"[A-Za-z0-9]{3,}", value):
        assert token not in str(caught.value)


def test_unknown_category_is_refused(hasher: IdentityHasher) -> None:
    with pytest.raises(ValueError, match="unknown identifier category 'shoe-size'"):
        hasher.hash("shoe-size", "44")


def test_hash_has_the_documented_shape_and_no_raw_value(hasher: IdentityHasher) -> None:
    for category, value in [("ssn", "078-05-1120"), ("date-of-birth", "19610723"), ("mrn", "ZX778812")]:
        digest = hasher.hash(category, value)
        assert HASH_SHAPE.match(digest)
        assert value not in digest
        assert normalise(category, value) not in digest


def test_same_person_hashes_alike_across_formats(hasher: IdentityHasher) -> None:
    dicom = hasher.person(name="QUIXOTE^HORTENSIA^B", birth_date="19610723")
    web_form = hasher.person(name="Hortensia B Quixote", birth_date="1961-07-23")
    pdf = hasher.person(name="Quixote, Hortensia B.", birth_date="07/23/1961")
    assert dicom is not None
    assert HASH_SHAPE.match(dicom)
    assert dicom == web_form == pdf
    assert hasher.hash("person-name", "QUIXOTE^HORTENSIA") == hasher.hash("person-name", "Hortensia Quixote")
    assert hasher.hash("date-of-birth", "19610723") == hasher.hash("dob", "1961-07-23")


def test_region_of_the_hasher_reads_day_first_dates() -> None:
    us = IdentityHasher(KEY)
    fr = IdentityHasher(KEY, region="FR")
    assert fr.hash("date-of-birth", "23/07/1961") == us.hash("date-of-birth", "07/23/1961")
    assert fr.hash("date-of-birth", "01/02/1961") != us.hash("date-of-birth", "01/02/1961")


def test_different_people_and_different_keys_hash_differently(hasher: IdentityHasher) -> None:
    assert hasher.hash("ssn", "078-05-1120") != hasher.hash("ssn", "078-05-1121")
    assert hasher.hash("ssn", "078-05-1120") != IdentityHasher(OTHER_KEY).hash("ssn", "078-05-1120")
    assert hasher.person(name="Hortensia Quixote", birth_date="1961-07-23") != hasher.person(
        name="Hortensia Quixote", birth_date="1961-07-24"
    )


def test_categories_are_separate_domains(hasher: IdentityHasher) -> None:
    assert hasher.hash("ssn", "078051120") != hasher.hash("mrn", "078051120")
    assert hasher.hash("date-of-birth", "1961-07-23") != hasher.hash("date", "1961-07-23")


@pytest.mark.parametrize("key", [b"", b"short", bytes(15)])
def test_short_keys_are_rejected(key: bytes) -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        IdentityHasher(key)


def test_non_bytes_key_is_rejected() -> None:
    with pytest.raises(TypeError):
        IdentityHasher("a text key of enough length")  # type: ignore[arg-type]


def test_repr_hides_the_key(hasher: IdentityHasher) -> None:
    assert KEY.hex() not in repr(hasher)
    assert repr(KEY) not in repr(hasher)


def test_person_prefers_an_identifier_over_name_and_birth_date(hasher: IdentityHasher) -> None:
    by_mrn = hasher.person(
        name="Hortensia Quixote", birth_date="1961-07-23", id_value="ZX-778812", id_kind="mrn"
    )
    assert by_mrn == hasher.person(id_value="zx778812", id_kind="MRN")
    assert by_mrn != hasher.person(id_value="ZX-778812", id_kind="health-plan-id")
    assert hasher.person(id_value="H.Quixote@example.org", id_kind="email") == hasher.person(
        id_value="h.quixote@EXAMPLE.org ", id_kind="email"
    )


def test_person_falls_back_tier_by_tier(hasher: IdentityHasher) -> None:
    name_and_birth = hasher.person(name="Hortensia Quixote", birth_date="1961-07-23")
    name_only = hasher.person(name="Hortensia Quixote")
    assert name_and_birth is not None
    assert name_only is not None
    assert name_and_birth != name_only
    assert hasher.person(name="Hortensia Quixote", birth_date="not a date") == name_only
    assert hasher.person(name="Hortensia Quixote", id_value="--", id_kind="mrn") == name_only
    assert hasher.person(birth_date="1961-07-23") is None
    assert hasher.person() is None


def test_phone_normalisation_matches_the_phonenumbers_package() -> None:
    """Hashes must not depend on whether phonenumbers is installed."""
    library = pytest.importorskip("phonenumbers")
    rows = [
        ("US", "(555) 010-0199"),
        ("US", "1-555-010-0199"),
        ("US", "011 33 1 23 45 67 89"),
        ("US", "+44 20 7946 0000"),
        ("FR", "01 23 45 67 89"),
        ("FR", "0033 6 12 34 56 78"),
        ("GB", "020 7946 0000"),
        ("DE", "030 1234567"),
    ]
    for region, value in rows:
        expected = library.format_number(library.parse(value, region), library.PhoneNumberFormat.E164)
        assert identity._simple_e164(value, region) == expected


_SEPARATORS = st.sampled_from(["", " ", "-", "."])


@given(st.integers(200, 999), st.integers(0, 999), st.integers(0, 9999), _SEPARATORS, _SEPARATORS,
       st.sampled_from(["{a}{s}{b}{t}{c}", "({a}) {b}{t}{c}", "({a}){b}-{c}", "+1 {a}{s}{b}{t}{c}",
                        "1-{a}-{b}-{c}", "+1({a}) {b}-{c}", "1{a}{b}{c}"]))  # fmt: skip
def test_ordinary_north_american_numbers_read_without_phonenumbers_give_its_answer(
    area: int, exchange: int, line: int, s: str, t: str, form: str
) -> None:
    library = pytest.importorskip("phonenumbers")
    value = form.format(a=area, b=f"{exchange:03d}", c=f"{line:04d}", s=s, t=t)
    assert identity._ORDINARY["US"].fullmatch(value)
    expected = library.format_number(library.parse(value, "US"), library.PhoneNumberFormat.E164)
    assert identity._normalise_phone(value, "US") == expected


@given(st.integers(1, 9), st.lists(st.integers(0, 99), min_size=4, max_size=4), _SEPARATORS,
       st.sampled_from(["0", "+33 ", "+33"]))  # fmt: skip
def test_ordinary_french_numbers_read_without_phonenumbers_give_its_answer(
    first: int, pairs: list[int], separator: str, head: str
) -> None:
    library = pytest.importorskip("phonenumbers")
    value = f"{head}{first}{separator}" + separator.join(f"{pair:02d}" for pair in pairs)
    assert identity._ORDINARY["FR"].fullmatch(value)
    expected = library.format_number(library.parse(value, "FR"), library.PhoneNumberFormat.E164)
    assert identity._normalise_phone(value, "FR") == expected


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_form_hashes_alike(day: date) -> None:
    us, fr = IdentityHasher(KEY), IdentityHasher(KEY, region="FR")
    expected = us.hash("date-of-birth", day.isoformat())
    assert us.hash("date-of-birth", day.strftime("%Y%m%d")) == expected
    assert us.hash("date-of-birth", day.strftime("%m/%d/%Y")) == expected
    assert fr.hash("date-of-birth", day.strftime("%d/%m/%Y")) == expected
    assert us.hash("date-of-birth", f"{day.day} {day.strftime('%b')} {day.year}") == expected


@given(st.text(alphabet=st.characters(categories=["L", "Zs", "Pd", "Po"]), max_size=40))
def test_name_normalisation_is_idempotent(name: str) -> None:
    try:
        once = normalise("person-name", name)
    except ValueError:
        return
    assert normalise("person-name", once) == once
