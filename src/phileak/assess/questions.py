"""Questions the user must answer where the evidence or the profile cannot settle something: phileak asks
instead of guessing. Each has a stable id so the same question raised twice is listed once."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    why: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "question": self.text, "why": self.why}


class Questions:
    """An ordered set of questions, first wording wins."""

    def __init__(self, initial: Iterable[Question] = ()) -> None:
        self._items: dict[str, Question] = {}
        self.extend(initial)

    def ask(self, qid: str, text: str, why: str) -> None:
        self.extend([Question(qid, text, why)])

    def extend(self, questions: Iterable[Question]) -> None:
        """Add each question unless one with the same id or the same wording is already there."""
        for question in questions:
            if question.id in self._items or any(q.text == question.text for q in self._items.values()):
                continue
            self._items[question.id] = question

    def __iter__(self) -> Iterator[Question]:
        return iter(self._items.values())

    def as_list(self) -> list[Question]:
        return list(self._items.values())

    def to_dicts(self) -> list[dict[str, str]]:
        return [q.to_dict() for q in self._items.values()]
