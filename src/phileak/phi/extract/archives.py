"""gzip, bzip2 and xz streams, zip and tar archives: every member extracted like a file of its own (recursively,
within the nesting depth), under the member-count, total-size and compression-ratio limits. Sizes are counted as
bytes come out of the decompressor, never trusted from headers, so a bomb stops at the limit, not at the OOM."""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import PurePosixPath
from typing import Protocol

from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import ExtractionError, ExtractionLimitExceeded, malformed
from phileak.phi.extract.zipmeta import central_directory
from phileak.phi.spec import Segment

_INPUT_CHUNK = 64 * 1024
_OUTPUT_CHUNK = 1024 * 1024
_MEMBER_READ_ERRORS = (zipfile.BadZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, NotImplementedError,
                       RuntimeError, ValueError)  # fmt: skip


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    @property
    def needs_input(self) -> bool: ...
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


class _GzipStream:
    """zlib's decompressobj behind the bz2/lzma decompressor interface (it hands back unconsumed input)."""

    def __init__(self) -> None:
        self._inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
        self._tail = b""
        self._output_full = False

    @property
    def eof(self) -> bool:
        return self._inflater.eof

    @property
    def unused_data(self) -> bytes:
        return self._inflater.unused_data

    @property
    def needs_input(self) -> bool:
        return not self._tail and not self._output_full

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        output = self._inflater.decompress(self._tail + data, max_length)
        self._tail = self._inflater.unconsumed_tail
        self._output_full = len(output) == max_length
        return output


def _inflate(data: bytes, new_stream: Callable[[], _Decompressor], ctx: Context) -> tuple[bytes, bool]:
    """All streams concatenated in `data`, decompressed; and whether the last one was complete."""
    output = bytearray()
    view = memoryview(data)
    position = 0
    stream = new_stream()
    finished_streams = 0
    while True:
        ctx.budget.check_time()
        if stream.eof:
            finished_streams += 1
            position -= len(stream.unused_data)
            if data.count(0, position) == len(data) - position:  # the end, or zero padding
                return bytes(output), True
            stream = new_stream()
        chunk = b""
        if stream.needs_input:
            if position >= len(data):
                return bytes(output), False
            chunk = bytes(view[position : position + _INPUT_CHUNK])
            position += len(chunk)
        try:
            piece = stream.decompress(chunk, _OUTPUT_CHUNK)
        except (zlib.error, OSError, EOFError, lzma.LZMAError):
            if finished_streams:  # trailing garbage after complete streams, which gzip(1) ignores too
                return bytes(output), True
            raise
        output += piece
        ctx.budget.add_uncompressed(len(piece))
        ctx.budget.check_ratio(len(output), position)


def _decompressed_name(name: str | None, suffixes: tuple[str, ...]) -> str:
    base = PurePosixPath(name or "").name
    lowered = base.lower()
    if lowered.endswith(".tgz"):
        return base[:-4] + ".tar"
    for suffix in suffixes:
        if lowered.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return "decompressed"


def _stream_segments(
    data: bytes, ctx: Context, kind: str, new_stream: Callable[[], _Decompressor], suffixes: tuple[str, ...]
) -> Iterator[Segment]:
    try:
        content, complete = _inflate(data, new_stream, ctx)
    except (zlib.error, OSError, EOFError, lzma.LZMAError):
        raise malformed(kind, "corrupt compressed data") from None
    member = _decompressed_name(ctx.name, suffixes)
    if not complete:
        ctx.skip(member, f"truncated {kind} stream: what could be decompressed was extracted")
    yield from ctx.nested(content, member)


def gzip_segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    return _stream_segments(data, ctx, "gzip", _GzipStream, (".gz", ".gzip"))


def bzip2_segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    return _stream_segments(data, ctx, "bzip2", bz2.BZ2Decompressor, (".bz2",))


def xz_segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    return _stream_segments(data, ctx, "xz", lzma.LZMADecompressor, (".xz",))


def open_zip(data: bytes, ctx: Context, kind: str = "zip") -> zipfile.ZipFile:
    """A ZipFile over `data` once its declared entry count is within max_archive_members (checked before
    zipfile reads the central directory). Raises ExtractionError for a malformed archive."""
    directory = central_directory(data)
    if directory is not None and directory.entries > ctx.limits.max_archive_members:
        raise ExtractionLimitExceeded(
            "max_archive_members", f"the {kind} declares {directory.entries} entries > {ctx.limits.max_archive_members}"
        )
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError, OSError):
        raise malformed(kind, "no readable central directory") from None


def charge_declared_sizes(archive: zipfile.ZipFile, ctx: Context) -> None:
    """For zip-based formats read by a library (DOCX, XLSX): zipfile never returns more than a member's
    declared size, so declared sizes bound what the library can decompress. Charge them before it runs."""
    for info in archive.infolist():
        ctx.budget.check_ratio(info.file_size, info.compress_size)
        ctx.budget.add_uncompressed(info.file_size)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, ctx: Context) -> bytes:
    ctx.budget.check_ratio(info.file_size, info.compress_size)
    content = bytearray()
    with archive.open(info) as member:
        while piece := member.read(_OUTPUT_CHUNK):
            content += piece
            ctx.budget.add_uncompressed(len(piece))
            ctx.budget.check_ratio(len(content), info.compress_size)
            ctx.budget.check_time()
    return bytes(content)


def zip_segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    with open_zip(data, ctx) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            ctx.budget.add_members(1)
            ctx.budget.check_time()
            if info.flag_bits & 0x1:
                ctx.skip(info.filename, "encrypted member")
                continue
            try:
                content = _read_member(archive, info, ctx)
            except ExtractionError:
                raise
            except _MEMBER_READ_ERRORS as exc:
                ctx.skip(info.filename, f"unreadable member ({type(exc).__name__})")
                continue
            yield from ctx.nested(content, info.filename)


def tar_segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    try:
        archive = tarfile.open(fileobj=io.BytesIO(data), mode="r:")  # noqa: SIM115 - closed by the with below
    except tarfile.TarError:
        raise malformed("tar", "unreadable header") from None
    with archive:
        while True:
            ctx.budget.check_time()
            try:
                info = archive.next()
            except tarfile.TarError:
                ctx.skip("archive", "malformed tar header: later members were not read")
                return
            if info is None:
                return
            if not info.isfile():
                continue
            ctx.budget.add_members(1)
            extracted = archive.extractfile(info)
            if extracted is None:
                continue
            try:
                content = extracted.read()
            except (tarfile.TarError, OSError, EOFError) as exc:
                ctx.skip(info.name, f"unreadable member ({type(exc).__name__})")
                continue
            yield from ctx.nested(content, info.name)
