"""Plain text in any common encoding, as blocks of whole lines (so context words stay beside their values)."""

from __future__ import annotations

from collections.abc import Iterator

from phileak.phi.extract.context import Context
from phileak.phi.extract.textcodec import decode_text
from phileak.phi.spec import Segment

BLOCK_CHARS = 64 * 1024


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    return text_segments(decode_text(data), ctx)


def text_segments(text: str, ctx: Context) -> Iterator[Segment]:
    """`text` cut at line ends into blocks of about BLOCK_CHARS, located as "line N" or "lines N-M"."""
    first_line = 1
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
