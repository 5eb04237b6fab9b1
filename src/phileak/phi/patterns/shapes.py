"""Regex fragments shared by the pattern families. Every fragment compiles with hyperscan (UTF-8 mode, no
lookaround, no backreferences) and with Python `re`."""

from __future__ import annotations

from typing import Final

UPPER: Final = "A-ZÀ-ÖØ-Þ"
LOWER: Final = "a-zß-öø-ÿ"
LETTER: Final = f"{UPPER}{LOWER}"
# A capitalised or upper-case word, as names, streets and cities are written.
CAP_WORD: Final = f"[{UPPER}][{LETTER}'\u2019\\-]*"
WORD: Final = f"[{LETTER}][{LETTER}'\u2019\\-]*"


def words(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of `text` (word lists written as prose)."""
    return tuple(text.split())


def any_case(word: str) -> str:
    """`word` matched in any letter case without a case-insensitive flag ("rue" -> [Rr][Uu][Ee]); accented
    letters also match their plain form. Other characters are kept as written."""
    parts = []
    for char in word:
        if char.isalpha():
            variants = {char.lower(), char.upper(), *_PLAIN.get(char.lower(), "")}
            parts.append("[" + "".join(sorted(variants)) + "]")
        elif char in ".()":
            parts.append("\\" + char)
        elif char in "'\u2019":
            parts.append("['\u2019]")
        else:
            parts.append(char)
    return "".join(parts)


_PLAIN: Final = {
    "é": "eE", "è": "eE", "ê": "eE", "ë": "eE", "à": "aA", "â": "aA", "î": "iI", "ï": "iI", "ô": "oO",
    "û": "uU", "ù": "uU", "ü": "uU", "ç": "cC",
}  # fmt: skip


def longest_first(text: str) -> tuple[int, str]:
    """Sort key of alternatives: longest first, ties by text, so every process builds the same expressions
    (the compiled pattern cache is keyed by them)."""
    return -len(text), text


def alternation(words: list[str] | tuple[str, ...], *, case: bool = False) -> str:
    """A non-capturing alternation of `words`, longest first; `case` makes each word match in any case."""
    ordered = sorted(set(words), key=longest_first)
    return "(?:" + "|".join(any_case(w) if case else w for w in ordered) + ")"


US_STATES: Final = words(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH "
    "OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP AA AE AP"
)
