"""Just enough RFC 6455 for the sink: the opening handshake's accept key, and reading and writing frames."""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass
from typing import Final, Protocol

GUID: Final = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_MESSAGE_BYTES: Final = 1024 * 1024
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class Readable(Protocol):
    def read(self, size: int, /) -> bytes: ...


class FrameError(Exception):
    """The peer sent something that is not a WebSocket frame we accept."""


@dataclass(frozen=True)
class Frame:
    opcode: int
    payload: bytes
    final: bool = True


def accept_key(client_key: str) -> str:
    return base64.b64encode(hashlib.sha1((client_key.strip() + GUID).encode()).digest()).decode()  # noqa: S324


def read_frame(stream: Readable) -> Frame | None:
    """The next frame, unmasked; None at end of stream."""
    head = _read(stream, 2)
    if head is None:
        return None
    final, opcode = bool(head[0] & 0x80), head[0] & 0x0F
    masked, length = bool(head[1] & 0x80), head[1] & 0x7F
    if length == 126:
        length = struct.unpack("!H", _need(stream, 2))[0]
    elif length == 127:
        length = struct.unpack("!Q", _need(stream, 8))[0]
    if length > MAX_MESSAGE_BYTES:
        raise FrameError(f"frame of {length} bytes is over the {MAX_MESSAGE_BYTES}-byte cap")
    mask = _need(stream, 4) if masked else b""
    payload = _need(stream, length)
    if masked:
        payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return Frame(opcode, payload, final)


def encode_frame(opcode: int, payload: bytes = b"") -> bytes:
    """A final, unmasked frame (server to client)."""
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
    return header + payload


def _read(stream: Readable, size: int) -> bytes | None:
    data = stream.read(size)
    if not data:
        return None
    if len(data) < size:
        data += _need(stream, size - len(data))
    return data


def _need(stream: Readable, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise FrameError("connection closed inside a frame")
        data += chunk
    return data
