"""Recall and precision per category of any detector's spans against the corpus's gold annotations.

A gold value is found when a detection of the same category overlaps it in the same segment (or file name).
A detection is correct when it overlaps a gold value of its category; one lying wholly inside a gold value of a
container category (a name inside an e-mail address, a condition inside a URL's path) is "nested": neither
right nor wrong. Anything else is a false positive. Gold values a tracker sent hashed score under their own row
("email#sha256"), apart from the values written plainly, and values in file names under "category@name"."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from phileak.lab.corpus.model import NAME_SEGMENT, Form, Gold, LabelledDoc
from phileak.model import DataCategory

CONTAINER_CATEGORIES = frozenset({DataCategory.URL, DataCategory.EMAIL})


@dataclass(frozen=True, slots=True)
class Span:
    """A detector's answer: category, segment index (-1 for the file name), offsets."""

    category: DataCategory
    segment: int
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Row:
    category: str
    gold: int
    found: int
    correct: int
    wrong: int

    @property
    def recall(self) -> float | None:
        return self.found / self.gold if self.gold else None

    @property
    def precision(self) -> float | None:
        answered = self.correct + self.wrong
        return self.correct / answered if answered else None


@dataclass(slots=True)
class Scores:
    """Counts per row: gold values, gold values found, correct and wrong detections."""

    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)
    wrong: Counter[str] = field(default_factory=Counter)
    nested: int = 0

    def add(self, doc: LabelledDoc, spans: Iterable[Span]) -> None:
        detections = list(spans)
        for gold in doc.gold:
            row = row_name(gold)
            self.gold[row] += 1
            if any(_overlap(d, gold) and d.category == gold.category for d in detections):
                self.found[row] += 1
        for detection in detections:
            same = [g for g in doc.gold if g.category == detection.category and _overlap(detection, g)]
            if same:
                self.correct[row_name(same[0])] += 1
            elif any(g.category in CONTAINER_CATEGORIES and _inside(detection, g) for g in doc.gold):
                self.nested += 1
            else:
                suffix = "@name" if detection.segment == NAME_SEGMENT else ""
                self.wrong[detection.category.value + suffix] += 1

    def rows(self) -> list[Row]:
        names = sorted(set(self.gold) | set(self.wrong) | set(self.correct))
        return [Row(n, self.gold[n], self.found[n], self.correct[n], self.wrong[n]) for n in names]

    def row(self, name: str) -> Row:
        return Row(name, self.gold[name], self.found[name], self.correct[name], self.wrong[name])


def row_name(gold: Gold) -> str:
    """The category, "#sha256" for a hashed value, "@name" for a value in the file name."""
    name = gold.category.value if gold.form is Form.PLAIN else f"{gold.category.value}#{gold.form.value}"
    return f"{name}@name" if gold.segment == NAME_SEGMENT else name


def _overlap(span: Span, gold: Gold) -> bool:
    return span.segment == gold.segment and span.start < gold.end and gold.start < span.end


def _inside(span: Span, gold: Gold) -> bool:
    return span.segment == gold.segment and gold.start <= span.start and span.end <= gold.end


def table(results: Sequence[tuple[str, Scores]], *, min_gold: int = 0) -> str:
    """A plain-text table: one line per category, recall and precision for each named result side by side."""
    names = sorted({r.category for _, scores in results for r in scores.rows() if r.gold >= min_gold or r.wrong})
    header = f"{'category':<24} {'gold':>5}" + "".join(f" | {label[:21]:>21}" for label, _ in results)
    sub = f"{'':<24} {'':>5}" + "".join(f" | {'recall':>7} {'prec':>6} {'fp':>5}" for _ in results)
    lines = [header, sub, "-" * len(header)]
    for name in names:
        gold = max(scores.row(name).gold for _, scores in results)
        cells = "".join(_cell(scores.row(name)) for _, scores in results)
        lines.append(f"{name:<24} {gold:>5}{cells}")
    return "\n".join(lines)


def _cell(row: Row) -> str:
    recall = "-" if row.recall is None else f"{row.recall:.3f}"
    precision = "-" if row.precision is None else f"{row.precision:.3f}"
    return f" | {recall:>7} {precision:>6} {row.wrong:>5}"
