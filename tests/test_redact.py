"""Redacted display forms show an identifier's shape, never its value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phileak.phi.redact import ValueMatcher, guess_category, redact, redact_text


@pytest.mark.parametrize(
    ("category", "value", "expected"),
    [
        ("person-name", "John Smith", "J*** S****"),
        ("person-name", "Hortensia Quixote", "H**** Q****"),
        ("person-name", "QUIXOTE^HORTENSIA", "Q****^H****"),
        ("provider-name", "Dr. Al Li", "D*. A* L*"),
        ("date-of-birth", "1950-02-01", "19**-**-**"),
        ("date-of-birth", "19500201", "19******"),
        ("date", "02/01/1950", "**/**/19**"),
        ("date-of-birth", "1 Feb 1950", "* *** 19**"),
        ("email", "john.smith@example.com", "j***@e******.com"),
        ("email", "h@mail.example-hospital.org", "h***@m***.e******.org"),
        ("email", "not-an-email", "************"),
        ("phone", "(555) 010-0199", "(***) ***-**99"),
        ("phone", "+33 1 23 45 67 89", "+** * ** ** ** 89"),
        ("fax", "5550100199", "********99"),
        ("ssn", "078-05-1120", "***-**-****"),
        ("ssn", "078051120", "***-**-****"),
        ("mrn", "ZX-78", "****"),
        ("mrn", "ZX778812", "********"),
        ("health-plan-id", "ABC123456789", "************"),
        ("fr-nir", "1 85 05 2A 006 084 36", "****************"),
        ("address", "12 Main Street", "** M*** S****"),
        ("made-up-category", "secret-42", "********"),
        ("person-name", "", ""),
    ],
)
def test_redact(category: str, value: str, expected: str) -> None:
    assert redact(category, value) == expected


@pytest.mark.parametrize(
    ("value", "category"),
    [
        ("h.quixote@example.org", "email"),
        ("h.quixote%40example.org", "email"),
        ("078-05-1120", "ssn"),
        ("1961-07-23", "date"),
        ("19610723", "date"),
        ("(555) 010-0199", "phone"),
        ("Hortensia Quixote", "person-name"),
        ("QUIXOTE^HORTENSIA", "person-name"),
        ("ZX-778812", "id"),
        ("12345", "id"),
    ],
)
def test_guess_category(value: str, category: str) -> None:
    assert guess_category(value) == category


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        (
            "Patient HORTENSIA QUIXOTE seen; hortensia quixote again",
            ["Hortensia Quixote"],
            "Patient H**** Q**** seen; h**** q**** again",
        ),
        ("Annual review for Ann", ["Ann"], "Annual review for A**"),
        (
            "ref SSN078051120 and 078 05 1120",
            ["078051120", "078-05-1120"],
            "ref SSN************ and ***-**-****",
        ),
        ("Hélène and HELENE", ["Helene"], "H**** and H****"),
        (
            "born 1961-07-23, mrn ZX-778812",
            {"1961-07-23": "date-of-birth", "ZX-778812": "mrn"},
            "born 19**-**-**, mrn ********",
        ),
        ("John Smith Jr and John", ["John", "John Smith Jr"], "J*** S**** J* and J***"),
        ("nothing to see", ["Hortensia"], "nothing to see"),
        ("nothing to see", [], "nothing to see"),
    ],
)
def test_redact_text(text: str, values: list[str] | dict[str, str], expected: str) -> None:
    assert redact_text(text, values) == expected


def test_discarded_values_are_no_longer_found() -> None:
    matcher = ValueMatcher()
    key = matcher.add("Hortensia Quixote")
    assert key is not None
    matcher.add("Quixote")
    matcher.discard(key)
    assert matcher.sub("Hortensia Quixote") == "Hortensia Q****"


def test_values_below_min_chars_are_ignored() -> None:
    matcher = ValueMatcher(min_chars=3)
    assert matcher.add("Al") is None
    assert matcher.add("--") is None
    assert matcher.sub("Al went to Alabama") == "Al went to Alabama"


_words = st.text(alphabet=st.characters(categories=["L"]), min_size=2, max_size=12)


@given(st.lists(_words, min_size=1, max_size=4))
def test_redacted_names_never_contain_a_whole_word(words: list[str]) -> None:
    name = " ".join(words)
    shown = redact("person-name", name)
    for word in shown.split():
        assert "*" in word
    assert redact_text(f"seen: {name}.", [name]) == f"seen: {shown}."


@given(st.from_regex(r"[a-z0-9._]{2,20}@[a-z0-9]{2,15}\.(com|org|fr)", fullmatch=True))
def test_redacted_emails_hide_the_mailbox(email: str) -> None:
    local = email.split("@")[0]
    shown_local, _, shown_domain = redact("email", email).partition("@")
    assert shown_local == local[0] + "***"
    assert shown_domain.endswith(email.rsplit(".", 1)[1])
