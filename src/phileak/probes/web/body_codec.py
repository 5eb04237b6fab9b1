"""Undoing the content codings of a captured body (gzip, deflate, br) under a cap on the decoded size.

A request body is decoded when its Content-Encoding says so, and also when it starts with the gzip magic
without saying so: Microsoft Clarity uploads `CompressionStream` gzip chunks flagged only by an Accept header,
and other beacons do the same. A body that cannot be decoded is kept as it came; a bomb stops at the cap.
Brotli uses the system's libbrotlidec through ctypes when it is there (no Python package needed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import zlib
from dataclasses import dataclass
from typing import Final

GZIP_MAGIC: Final = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class DecodedBody:
    data: bytes
    truncated: bool  # the decoded body was longer than the cap; `data` holds its first `cap` bytes
    undone: tuple[str, ...]  # the codings removed, outermost first ("gzip",)
    undecodable: str | None  # a coding that could not be removed (unknown, corrupt, no brotli library)


def decode_body(raw: bytes, content_encoding: str | None, cap: int) -> DecodedBody:
    """`raw` with the codings listed in `content_encoding` removed (last applied, first removed), then a gzip
    layer announced by nothing but its magic bytes; never more than `cap` bytes out."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    data, truncated = raw, False
    undone: list[str] = []
    for coding in reversed(codings):
        if coding == "identity":
            continue
        try:
            data, truncated = _undo(coding, data, cap)
        except _CannotDecode:
            return DecodedBody(_capped(data, cap), len(data) > cap, tuple(undone), coding)
        undone.append(coding)
        if truncated:
            return DecodedBody(data, True, tuple(undone), None)
    if data.startswith(GZIP_MAGIC):
        try:
            data, truncated = _undo("gzip", data, cap)
            undone.append("gzip")
        except _CannotDecode:
            pass
    return DecodedBody(_capped(data, cap), truncated or len(data) > cap, tuple(undone), None)


class _CannotDecode(Exception):
    pass


def _capped(data: bytes, cap: int) -> bytes:
    return data if len(data) <= cap else data[:cap]


def _undo(coding: str, data: bytes, cap: int) -> tuple[bytes, bool]:
    if coding in ("gzip", "x-gzip"):
        return _inflate(data, zlib.MAX_WBITS | 16, cap)
    if coding == "deflate":
        # RFC 9110 "deflate" is zlib-wrapped; some servers send raw deflate anyway.
        try:
            return _inflate(data, zlib.MAX_WBITS, cap)
        except _CannotDecode:
            return _inflate(data, -zlib.MAX_WBITS, cap)
    if coding == "br":
        return _brotli(data, cap)
    raise _CannotDecode(coding)


def _inflate(data: bytes, wbits: int, cap: int) -> tuple[bytes, bool]:
    inflater = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    try:
        while pending and not inflater.eof:
            out += inflater.decompress(pending, cap + 1 - len(out))
            pending = inflater.unconsumed_tail
            if len(out) > cap:
                return bytes(out[:cap]), True
    except zlib.error:
        raise _CannotDecode("corrupt") from None
    if not out and not inflater.eof:
        raise _CannotDecode("empty")
    return bytes(out), False


@functools.cache
def _brotli_library() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("brotlidec")
    for candidate in (name, "libbrotlidec.so.1"):
        if not candidate:
            continue
        try:
            library = ctypes.CDLL(candidate)
        except OSError:
            continue
        library.BrotliDecoderCreateInstance.restype = ctypes.c_void_p
        library.BrotliDecoderCreateInstance.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
        library.BrotliDecoderDestroyInstance.argtypes = [ctypes.c_void_p]
        library.BrotliDecoderDecompressStream.restype = ctypes.c_int
        library.BrotliDecoderDecompressStream.argtypes = [
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.POINTER(ctypes.c_size_t),
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_void_p,
        ]
        return library
    return None


def brotli_available() -> bool:
    return _brotli_library() is not None


_BROTLI_SUCCESS: Final = 1
_BROTLI_NEEDS_MORE_INPUT: Final = 2
_BROTLI_NEEDS_MORE_OUTPUT: Final = 3


def _brotli(data: bytes, cap: int) -> tuple[bytes, bool]:
    library = _brotli_library()
    if library is None:
        raise _CannotDecode("br")
    state = library.BrotliDecoderCreateInstance(None, None, None)
    if not state:
        raise _CannotDecode("br")
    try:
        source = ctypes.create_string_buffer(data, len(data))
        target = ctypes.create_string_buffer(cap + 1)
        available_in = ctypes.c_size_t(len(data))
        next_in = ctypes.c_void_p(ctypes.addressof(source))
        available_out = ctypes.c_size_t(cap + 1)
        next_out = ctypes.c_void_p(ctypes.addressof(target))
        result = library.BrotliDecoderDecompressStream(
            state,
            ctypes.byref(available_in),
            ctypes.byref(next_in),
            ctypes.byref(available_out),
            ctypes.byref(next_out),
            None,
        )
        produced = cap + 1 - available_out.value
    finally:
        library.BrotliDecoderDestroyInstance(state)
    if result == _BROTLI_NEEDS_MORE_OUTPUT or produced > cap:
        return target.raw[:cap], True
    if result not in (_BROTLI_SUCCESS, _BROTLI_NEEDS_MORE_INPUT) or (result != _BROTLI_SUCCESS and not produced):
        raise _CannotDecode("br")
    return target.raw[:produced], False
