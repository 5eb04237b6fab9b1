"""Building segment text piece by piece while recording where each annotated value lands."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from phileak.lab.corpus.model import NAME_SEGMENT, Form, Gold, Kind, LabelledDoc
from phileak.model import DataCategory
from phileak.phi.spec import Segment

_FORMATTER = string.Formatter()
_MARKED = re.compile(r"\[\[(.+?)\]\]")


@dataclass(slots=True)
class Span:
    category: DataCategory
    start: int
    end: int
    form: Form = Form.PLAIN


@dataclass(slots=True)
class Text:
    """Text under construction: plain parts and annotated values, with their offsets."""

    parts: list[str] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    length: int = 0

    def add(self, text: str, category: DataCategory | None = None, form: Form = Form.PLAIN) -> Text:
        if category is not None and text:
            self.spans.append(Span(category, self.length, self.length + len(text), form))
        self.parts.append(text)
        self.length += len(text)
        return self

    def line(self, *pieces: str | tuple[str, DataCategory | None]) -> Text:
        """Append pieces (plain strings or (value, category) pairs), then a newline."""
        for piece in pieces:
            if isinstance(piece, tuple):
                self.add(*piece)
            else:
                self.add(piece)
        return self.add("\n")

    def fill(self, template: str, **values: str | tuple[str, DataCategory | None]) -> Text:
        """Append `template` with {placeholders} replaced by values (plain, or (value, category) to annotate);
        literal text marked [[like this]] is annotated as a health condition."""
        for literal, name, _spec, _conversion in _FORMATTER.parse(template):
            for index, piece in enumerate(_MARKED.split(literal)):
                self.add(piece, DataCategory.HEALTH_CONDITION if index % 2 else None)
            if name is not None:
                value = values[name]
                if isinstance(value, tuple):
                    self.add(*value)
                else:
                    self.add(value)
        return self

    @property
    def value(self) -> str:
        return "".join(self.parts)


class DocBuilder:
    """Segments and their gold spans, then the finished LabelledDoc."""

    def __init__(self, doc_id: str, kind: Kind, language: str, source: str) -> None:
        self._doc_id, self._kind, self._language, self._source = doc_id, kind, language, source
        self._segments: list[Segment] = []
        self._gold: list[Gold] = []
        self._name = Text()

    def segment(self, text: Text, *, label: str | None = None, where: str | None = None) -> None:
        """A segment holding `text`; empty text is skipped (extractors emit none)."""
        value = text.value.rstrip("\n")
        if not value.strip():
            return
        index = len(self._segments)
        self._segments.append(Segment(text=value, label=label, where=where))
        self._gold.extend(Gold(s.category, index, s.start, s.end, s.form) for s in text.spans if s.end <= len(value))

    def field(
        self, label: str, value: str, category: DataCategory | None, *, where: str | None = None,
        form: Form = Form.PLAIN,
    ) -> None:  # fmt: skip
        """A labelled segment whose whole text is one value (a CSV cell, a JSON leaf, a DICOM element)."""
        self.segment(Text().add(value, category, form), label=label, where=where or label)

    def file_name(self, name: Text) -> None:
        self._name = name

    def build(self, patient_ids: tuple[str, ...], *, phi: bool, endpoint: str | None = None) -> LabelledDoc:
        gold = [*self._gold, *(Gold(s.category, NAME_SEGMENT, s.start, s.end, s.form) for s in self._name.spans)]
        return LabelledDoc(
            doc_id=self._doc_id,
            kind=self._kind,
            language=self._language,
            segments=tuple(self._segments),
            gold=tuple(gold),
            patient_ids=patient_ids,
            file_name=self._name.value,
            source=self._source,
            phi=phi,
            endpoint=endpoint,
        )
