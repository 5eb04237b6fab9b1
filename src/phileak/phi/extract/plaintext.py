"""Plain text in any common encoding, as blocks of whole lines (so context words stay beside their values).
A line that is a URL with a query, or a form-encoded body (a captured tracker request), is read as its
parameters instead: each decoded value labelled with its name ("dt", "cd[content_name]")."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from phileak.phi.extract.context import Context
from phileak.phi.extract.textcodec import decode_text
from phileak.phi.spec import Segment

BLOCK_CHARS = 64 * 1024
MAX_QUERY_LINE_CHARS = 64 * 1024
MAX_PARAMETERS = 500
_PARAM = r"[\w.\[\]%~-]+=[^&\s]*"
_QUERY_LINE = re.compile(rf"https?://[^\s?#]+\?{_PARAM}(?:&{_PARAM})*(?:#\S*)?|{_PARAM}(?:&{_PARAM})+")


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    return text_segments(decode_text(data), ctx)


def text_segments(text: str, ctx: Context) -> Iterator[Segment]:
    """`text` cut at line ends into blocks of about BLOCK_CHARS, located as "line N" or "lines N-M"; query lines
    as their parameters."""
    if "=" not in text or ("&" not in text and "?" not in text):
        yield from _blocks(text, 1, ctx)
        return
    pending: list[str] = []
    pending_first = 1
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if len(stripped) <= MAX_QUERY_LINE_CHARS and _QUERY_LINE.fullmatch(stripped):
            yield from _blocks("".join(pending), pending_first, ctx)
            pending, pending_first = [], number + 1
            yield from _query_segments(stripped, number)
        else:
            pending.append(line)
    yield from _blocks("".join(pending), pending_first, ctx)


def _query_segments(line: str, number: int) -> Iterator[Segment]:
    if line.startswith(("http://", "https://")):
        parts = urlsplit(line)
        yield Segment(text=unquote_plus(f"{parts.scheme}://{parts.netloc}{parts.path}"), where=f"line {number}")
        query = parts.query
    else:
        query = line
    try:
        parameters = parse_qsl(query, max_num_fields=MAX_PARAMETERS)
    except ValueError:  # more parameters than any tracker sends: read the line as text
        yield Segment(text=line, where=f"line {number}")
        return
    for name, value in parameters:
        if value.strip():
            yield Segment(text=value, label=name, where=f"line {number} {name}")


def _blocks(text: str, first_line: int, ctx: Context) -> Iterator[Segment]:
    start = 0
    while start < len(text):
        ctx.budget.check_time()
        end = len(text) if len(text) - start <= BLOCK_CHARS else text.rfind("\n", start, start + BLOCK_CHARS) + 1
        if end <= start:  # one line longer than a block
            end = text.find("\n", start + BLOCK_CHARS) + 1 or len(text)
        block = text[start:end]
        last_line = first_line + block.count("\n", 0, len(block) - 1)
        if block.strip():
            where = f"line {first_line}" if last_line == first_line else f"lines {first_line}-{last_line}"
            yield Segment(text=block, where=where)
        first_line = last_line + 1
        start = end
