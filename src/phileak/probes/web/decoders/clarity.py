"""Microsoft Clarity session replay: POST of `{"e": envelope, "a": analytics events, "p": playback events}`.
Non-final chunks are gzipped (CompressionStream) and flagged only by `Accept: application/x-clarity-gzip`; the
capture model undoes the gzip by its magic bytes. The last chunk goes by sendBeacon uncompressed
(microsoft/clarity packages/clarity-js/src/data/upload.ts). Envelope item 11 is the page URL (envelope.ts);
events are arrays `[time, type, ...data]` (types/data.d.ts: 27 Input and 104 Keystrokes carry typed text,
5 Discover / 6 Mutation / 43 Snapshot the DOM, 1 Dimension page metadata)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import DecodedField, Location, Meaning
from phileak.probes.web.decoders.payload import body_location, expand_json_values, fields, flatten_json, parse_json

_ENVELOPE_URL: Final = 11
_ENVELOPE_PROJECT: Final = 4
_ENVELOPE_USER: Final = 5
_TYPED_TEXT_EVENTS: Final = frozenset({27, 38, 42, 104})  # Input, Clipboard, Change, Keystrokes
_DOM_EVENTS: Final = frozenset({5, 6, 8, 43, 100, 101})  # Discover, Mutation, Document, Snapshot, WebView*
_DIMENSION_EVENT: Final = 1
_DIMENSIONS: Final = {1: Meaning.PAGE_URL, 2: Meaning.REFERRER, 3: Meaning.PAGE_TITLE}


def decode(req: CapturedRequest) -> Iterator[DecodedField]:
    yield from fields(expand_json_values(req.query_pairs), "query", lambda _name: Meaning.OTHER)
    text = req.body_text()
    payload = parse_json(text) if text else None
    if not isinstance(payload, dict):
        return
    location = body_location(req)
    envelope = payload.get("e")
    if isinstance(envelope, list):
        for index, meaning in (
            (_ENVELOPE_URL, Meaning.PAGE_URL),
            (_ENVELOPE_PROJECT, Meaning.TAG_ID),
            (_ENVELOPE_USER, Meaning.CLIENT_ID),
        ):
            if len(envelope) > index and isinstance(envelope[index], str):
                yield DecodedField(f"e[{index}]", meaning, envelope[index], location)
    for stream in ("a", "p"):
        events = payload.get(stream)
        if isinstance(events, list):
            for number, event in enumerate(events):
                yield from _event_fields(f"{stream}[{number}]", event, location)


def _event_fields(name: str, event: Any, location: Location) -> Iterator[DecodedField]:
    if not isinstance(event, list) or len(event) < 2 or not isinstance(event[1], int):
        return
    kind = event[1]
    if kind == _DIMENSION_EVENT:
        yield from _dimension_fields(name, event, location)
        return
    meaning = (
        Meaning.KEYSTROKES if kind in _TYPED_TEXT_EVENTS else Meaning.DOM if kind in _DOM_EVENTS else Meaning.OTHER
    )
    for index, item in enumerate(event[2:], start=2):
        for path, value in flatten_json(item, f"{name}[{index}]"):
            yield DecodedField(path, meaning, value, location)


def _dimension_fields(name: str, event: list[Any], location: Location) -> Iterator[DecodedField]:
    """[time, 1, key, [values], key, [values], ...]: page URL, referrer and title among the keys."""
    for index in range(2, len(event) - 1, 2):
        key = event[index]
        meaning = _DIMENSIONS.get(key, Meaning.OTHER) if isinstance(key, int) else Meaning.OTHER
        for path, value in flatten_json(event[index + 1], f"{name}[{index + 1}]"):
            yield DecodedField(path, meaning, value, location)
