"""Image metadata (no pixels are decoded): EXIF text tags (Artist, ImageDescription, UserComment, XP*, camera
owner and serial numbers ...), a flag segment when a GPS position is embedded (the position itself is not
copied), PNG text chunks, JPEG comments and XMP packets."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import Any

from PIL import ExifTags, Image, UnidentifiedImageError

from phileak.phi.extract.context import Context
from phileak.phi.extract.errors import ExtractionLimitExceeded, malformed
from phileak.phi.extract.markup import xml_segments
from phileak.phi.extract.textcodec import decode_text
from phileak.phi.spec import Segment

_UTF16_TAGS = frozenset({ExifTags.Base.XPTitle, ExifTags.Base.XPComment, ExifTags.Base.XPAuthor,
                         ExifTags.Base.XPKeywords, ExifTags.Base.XPSubject})  # fmt: skip
_XMP_PACKET_TAG = 700  # TIFF's XMLPacket
_GPS_POSITION_TAGS = (ExifTags.GPS.GPSLatitude, ExifTags.GPS.GPSLongitude)
_MAX_XMP_BYTES = 1024 * 1024


def segments(data: bytes, ctx: Context) -> Iterator[Segment]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DecompressionBombWarning and friends; no pixels are decoded here
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError:
            raise ExtractionLimitExceeded(
                "max_memory_mb", "image dimensions beyond Pillow's decompression-bomb limit"
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise malformed("image", "Pillow cannot identify it") from None
        with image:
            found = list(_metadata(image, ctx))
    return iter(found)


def _metadata(image: Image.Image, ctx: Context) -> Iterator[Segment]:
    exif = image.getexif()
    yield from _exif_tags(exif, "exif")
    yield from _exif_tags(exif.get_ifd(ExifTags.IFD.Exif), "exif")
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    if any(tag in gps for tag in _GPS_POSITION_TAGS):
        yield Segment(text="GPS position present", label="GPSInfo", where="exif GPS")
    for key, value in getattr(image, "text", {}).items():  # PNG tEXt/iTXt/zTXt chunks
        if isinstance(value, str) and value.strip():
            yield Segment(text=value, label=str(key), where="png text")
    comment = image.info.get("comment")
    if isinstance(comment, bytes | str) and comment.strip():
        yield Segment(text=_as_text(comment), label="comment", where="comment")
    xmp = image.info.get("xmp") or exif.get(_XMP_PACKET_TAG)
    if isinstance(xmp, bytes | str) and len(xmp) <= _MAX_XMP_BYTES:
        packet = xmp.encode() if isinstance(xmp, str) else xmp
        for segment in xml_segments(packet, ctx):
            yield Segment(text=segment.text, label=segment.label, where="xmp")


def _exif_tags(tags: Any, where: str) -> Iterator[Segment]:
    for tag, value in tags.items():
        if tag == _XMP_PACKET_TAG:
            continue
        text = _tag_text(tag, value)
        if text:
            yield Segment(text=text, label=ExifTags.TAGS.get(tag, f"tag {tag}"), where=where)


def _tag_text(tag: int, value: object) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bytes) and tag in _UTF16_TAGS:
        text = value.decode("utf-16-le", errors="replace")
    elif isinstance(value, bytes) and tag == ExifTags.Base.UserComment:
        text = decode_text(value[8:])  # the first 8 bytes name the character code
    else:
        return ""
    text = text.strip("\x00 \t\r\n")
    return text


def _as_text(value: bytes | str) -> str:
    return decode_text(value) if isinstance(value, bytes) else value
