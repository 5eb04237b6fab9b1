"""HTML (visible text blocks and comments, form field values labelled by the field's own description, meta
content, JSON data islands labelled by their key paths; never executable scripts) and XML (element text and
attribute values labelled by their element path, as in HL7 CDA or FHIR XML)."""

from __future__ import annotations

import codecs
import io
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

from phileak.phi.extract import json_tree
from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import ExtractionError
from phileak.phi.extract.plaintext import text_segments
from phileak.phi.extract.textcodec import decode_text
from phileak.phi.spec import Segment

_SKIPPED_ELEMENTS = frozenset({"script", "style"})
_BLOCK_ELEMENTS = frozenset({
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li",
    "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul",
})  # fmt: skip
_CELL_ELEMENTS = frozenset({"td", "th"})
# Buttons carry captions, passwords credentials and files nothing: none is patient data worth a segment.
_IGNORED_INPUT_TYPES = frozenset({"submit", "button", "reset", "image", "password", "file"})
_FIELD_DESCRIPTORS = ("autocomplete", "name", "id", "placeholder", "aria-label", "title")
_UNINFORMATIVE_AUTOCOMPLETE = frozenset({"on", "off"})
_META_NAMES = frozenset({"description", "keywords", "author", "og:title", "og:description", "twitter:title"})
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_\-]{1,40})""", re.IGNORECASE)


@dataclass(slots=True)
class _Field:
    descriptors: dict[str, str]
    value: str = ""
    label_text: str = ""

    def label(self, labels_for: dict[str, str]) -> str | None:
        """Every description of the field, most standard first: autocomplete token, <label> text, name, id,
        placeholder, aria-label, title (duplicates dropped)."""
        parts = [self.descriptors.get("autocomplete", "")]
        if parts[0].lower() in _UNINFORMATIVE_AUTOCOMPLETE:
            parts[0] = ""
        parts.append(self.label_text or labels_for.get(self.descriptors.get("id", ""), ""))
        parts.extend(self.descriptors.get(key, "") for key in _FIELD_DESCRIPTORS[1:])
        unique = dict.fromkeys(" ".join(part.split()) for part in parts if part and not part.isspace())
        return " ".join(unique) or None


@dataclass(slots=True)
class _OpenLabel:
    for_id: str
    parts: list[str] = field(default_factory=list)
    fields: list[_Field] = field(default_factory=list)


class _HtmlReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str | None]] = []  # (text, label)
        self.fields: list[_Field] = []
        self.labels_for: dict[str, str] = {}
        self._buffer: list[str] = []
        self._skipping = 0
        self._labels: list[_OpenLabel] = []
        self._textarea: _Field | None = None
        self._select: _Field | None = None
        self._option: tuple[_Field, bool] | None = None  # the selected option's field, and whether it had a value
        self._in_title = False
        self.islands: list[str] = []  # the text of each JSON data island (<script type="application/json">)
        self._island: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script" and not self._skipping and _is_json_type(attrs):
            self._island = []
            return
        if tag in _SKIPPED_ELEMENTS:
            self._skipping += 1
            return
        if self._skipping:
            return
        if tag in _BLOCK_ELEMENTS:
            self._flush()
        elif tag in _CELL_ELEMENTS:
            self._buffer.append(" ")
        values = {name: value or "" for name, value in attrs}
        if tag in ("input", "textarea", "select"):
            self._start_field(tag, values)
        elif tag == "option" and self._select is not None and "selected" in values:
            has_value = "value" in values
            if has_value:
                self._select.value = values["value"]
            self._option = (self._select, has_value)
        elif tag == "label":
            self._labels.append(_OpenLabel(for_id=values.get("for", "")))
        elif tag == "meta":
            name = (values.get("name") or values.get("property") or "").lower()
            content = values.get("content", "")
            if name in _META_NAMES and content.strip():
                self.blocks.append((content, name))
        elif tag == "title":
            self._flush()
            self._in_title = True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in ("input", "meta", "br", "hr"):
            self.handle_endtag(tag)

    def _start_field(self, tag: str, values: dict[str, str]) -> None:
        descriptors = {key: values[key] for key in _FIELD_DESCRIPTORS if values.get(key)}
        new_field = _Field(descriptors=descriptors)
        if tag == "input":
            kind = values.get("type", "text").lower()
            if kind in _IGNORED_INPUT_TYPES or (kind in ("checkbox", "radio") and "checked" not in values):
                return
            new_field.value = values.get("value", "")
        elif tag == "textarea":
            self._textarea = new_field
        else:
            self._select = new_field
        self.fields.append(new_field)
        if self._labels:
            self._labels[-1].fields.append(new_field)

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._island is not None:
            self.islands.append("".join(self._island))
            self._island = None
            return
        if tag in _SKIPPED_ELEMENTS:
            self._skipping = max(0, self._skipping - 1)
            return
        if self._skipping:
            return
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "label" and self._labels:
            self._close_label(self._labels.pop())
        elif tag == "title":
            self._flush(label="title")
            self._in_title = False
        if tag in _BLOCK_ELEMENTS:
            self._flush()

    def _close_label(self, label: _OpenLabel) -> None:
        text = " ".join("".join(label.parts).split())
        if label.for_id:
            self.labels_for[label.for_id] = text
        for wrapped in label.fields:
            wrapped.label_text = text

    def handle_data(self, data: str) -> None:
        if self._island is not None:
            self._island.append(data)
            return
        if self._skipping:
            return
        if self._textarea is not None:
            self._textarea.value += data
            return
        if self._option is not None:
            select, has_value = self._option
            if not has_value:
                select.value += data
        for label in self._labels:
            label.parts.append(data)
        self._buffer.append(data)

    def handle_comment(self, data: str) -> None:
        """A comment's text as blocks of its own (a commented-out table or form is read as HTML: its text and
        field values); the surrounding text is not interrupted."""
        if self._skipping or self._island is not None or not data.strip():
            return
        if "<" not in data:
            self.blocks.append((" ".join(data.split()), None))
            return
        inner = _HtmlReader()  # comments do not nest: one level at most
        inner.feed(data)
        inner.close()
        self.blocks.extend(inner.blocks)
        self.fields.extend(inner.fields)
        self.islands.extend(inner.islands)
        for for_id, text in inner.labels_for.items():
            self.labels_for.setdefault(for_id, text)

    def _flush(self, label: str | None = None) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer.clear()
        if text:
            self.blocks.append((text, label or ("title" if self._in_title else None)))

    def close(self) -> None:
        super().close()
        if self._island is not None:  # an unterminated data island
            self.islands.append("".join(self._island))
            self._island = None
        while self._labels:
            self._close_label(self._labels.pop())
        self._flush()


def _is_json_type(attrs: list[tuple[str, str | None]]) -> bool:
    """A <script> holding data, not code: type application/json, application/ld+json or another +json type."""
    kind = next((value or "" for name, value in attrs if name == "type"), "")
    media = kind.split(";", 1)[0].strip().lower()
    return media.endswith(("/json", "+json"))


def _html_text(data: bytes) -> str:
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        declared = _CHARSET.search(data[:2048])
        if declared:
            try:
                return data.decode(declared.group(1).decode("ascii"), errors="replace")
            except LookupError:
                pass
    return decode_text(data)


def html_segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    reader = _HtmlReader()
    text = _html_text(data)
    step = 256 * 1024
    for start in range(0, len(text), step):
        ctx.budget.check_time()
        reader.feed(text[start : start + step])
    reader.close()
    for number, (block, label) in enumerate(reader.blocks, start=1):
        yield Segment(text=block, label=label, where=f"text {number}")
    for number, form_field in enumerate(reader.fields, start=1):
        if form_field.value.strip():
            yield Segment(text=form_field.value, label=form_field.label(reader.labels_for), where=f"field {number}")
    for number, island in enumerate(reader.islands, start=1):
        if island.strip():
            yield from _island_segments(island, f"script {number}", ctx)


def _island_segments(text: str, where: str, ctx: Context) -> Iterator[Segment]:
    """A JSON data island's leaves labelled by their key paths, as the JSON extractor reads them; one that is
    not JSON is read as plain text."""
    try:
        root = json_tree.parse(text)
    except (ExtractionError, json_tree.ExtraData):
        ctx.skip(where, "malformed JSON data island: read as plain text")
        for segment in text_segments(text, ctx):
            yield Segment(text=segment.text, label=segment.label, where=f"{where}: {segment.where}")
        return
    yield from json_tree.leaves(root, ctx, where_prefix=f"{where}: ")


_MAX_PATH = 6


def _local(name: str) -> str:
    return name.rpartition("}")[2]


def xml_segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    """Element paths label the text; a document declaring entities (the entity-expansion bomb's vehicle) or
    failing to parse is read as plain text instead, so nothing in it goes unread."""
    if b"<!ENTITY" in data:
        return text_segments(decode_text(data), ctx)
    try:
        return iter(list(_xml_elements(data, ctx)))
    except ElementTree.ParseError:
        ctx.skip("document", "malformed XML: read as plain text")
        return text_segments(decode_text(data), ctx)


def _xml_elements(data: bytes, ctx: Context) -> Iterator[Segment]:
    path: list[str] = []
    count = 0
    # Entity declarations were refused by the caller and ElementTree resolves no external entity: the classic
    # XML attacks defusedxml guards against have no vehicle left.
    for event, element in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):  # noqa: S314
        if event == "start":
            path.append(_local(element.tag))
            continue
        count += 1
        if count % 4096 == 0:
            ctx.budget.check_time()
        label = ".".join(path[-_MAX_PATH:])
        where = f"element {count}"
        for name, value in element.attrib.items():
            if value.strip() and not name.startswith("{http://www.w3.org/"):
                attribute = _local(name)
                yield Segment(text=value, label=label if attribute == "value" else f"{label}.{attribute}", where=where)
        if element.text and element.text.strip():
            yield Segment(text=element.text, label=label, where=where)
        for child in element:  # mixed content: a child's tail is complete once its parent ends
            if child.tail and child.tail.strip():
                yield Segment(text=child.tail, label=label, where=where)
        path.pop()
        tail = element.tail  # its parent reads it (the parser may also set it later)
        element.clear()
        element.tail = tail
