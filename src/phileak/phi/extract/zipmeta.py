"""What a zip's end records declare, read before zipfile builds a ZipInfo for every central-directory entry
(a hostile directory of millions of entries would otherwise cost gigabytes before any limit is checked)."""

from __future__ import annotations

import struct
from dataclasses import dataclass

_EOCD = struct.Struct("<4s4H2LH")
_EOCD_SIGNATURE = b"PK\x05\x06"
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_ZIP64_EOCD_SIGNATURE = b"PK\x06\x06"
_MAX_COMMENT = 0xFFFF


@dataclass(frozen=True, slots=True)
class CentralDirectory:
    entries: int
    raw: bytes  # the central directory's bytes: member names can be looked for without parsing it


def central_directory(data: bytes) -> CentralDirectory | None:
    """The declared entry count and central directory of the zip in `data`; None if no end record is found."""
    search_from = max(0, len(data) - _EOCD.size - _MAX_COMMENT)
    end = data.rfind(_EOCD_SIGNATURE, search_from)
    if end < 0 or end + _EOCD.size > len(data):
        return None
    _, _, _, _, entries, size, _, _ = _EOCD.unpack_from(data, end)
    directory_end = end
    if entries == 0xFFFF or size == 0xFFFFFFFF:
        zip64 = _zip64_counts(data, end)
        if zip64 is None:
            return None
        entries, size, directory_end = zip64
    start = max(0, directory_end - size)
    return CentralDirectory(entries=entries, raw=data[start:directory_end])


def _zip64_counts(data: bytes, end: int) -> tuple[int, int, int] | None:
    locator = end - _ZIP64_LOCATOR.size
    if locator < 0 or data[locator : locator + 4] != _ZIP64_LOCATOR_SIGNATURE:
        return None
    record = locator - _ZIP64_EOCD.size  # assumes no zip64 extensible data, as every common writer does
    if record < 0 or data[record : record + 4] != _ZIP64_EOCD_SIGNATURE:
        return None
    fields = _ZIP64_EOCD.unpack_from(data, record)
    return fields[7], fields[8], record
