"""Reading payloads into (name, value) parameters: URL queries, form and multipart bodies, newline-batched
hit lines (GA4, Meta), JSON flattened to key paths ("context.page.url", "events[0][1].email"), and JSON found
inside a parameter value. Decoders build their fields from these."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from email.message import Message
from email.parser import BytesParser
from typing import Any, Final
from urllib.parse import parse_qsl

from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import IDENTITY_MEANINGS, DecodedField, Location, Meaning

MAX_JSON_DEPTH: Final = 48
MAX_PAIRS: Final = 20_000
MAX_NESTED_JSON_CHARS: Final = 256 * 1024

Pairs = list[tuple[str, str]]
MeaningOf = Callable[[str], Meaning]

_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_DIGEST_SHAPES: Final = (
    (re.compile(r"[0-9a-fA-F]{128}"), "sha512-hex"),
    (_SHA256_HEX, "sha256-hex"),
    (re.compile(r"[0-9a-fA-F]{40}"), "sha1-hex"),
    (re.compile(r"[0-9a-fA-F]{32}"), "md5-hex"),
    (re.compile(r"[A-Za-z0-9_-]{43}"), "sha256-base64url"),
    (re.compile(r"[A-Za-z0-9+/]{43}="), "sha256-base64"),
)


def digest_shape(value: str) -> str | None:
    """The encoding name of a value shaped like a digest ("sha256-hex", "sha256-base64url", ...), else None."""
    text = value.strip()
    for pattern, name in _DIGEST_SHAPES:
        if pattern.fullmatch(text):
            return name
    return None


def looks_hashed(value: str) -> bool:
    return digest_shape(value) is not None


def body_location(req: CapturedRequest) -> Location:
    return "websocket" if req.is_websocket_message else "body"


def body_pairs(req: CapturedRequest) -> Pairs:
    """The body's parameters by its content type (or its look when untyped): JSON flattened, form fields,
    multipart fields, newline-batched hit lines; an unstructured text body is one ("body", text) pair."""
    text = req.body_text()
    if text is None:
        return []
    content_type = req.content_type
    if content_type == "multipart/form-data":
        return multipart_pairs(req)
    stripped = text.lstrip()
    if "json" in content_type or stripped[:1] in ("{", "["):
        parsed = parse_json(stripped)
        if parsed is not _NOT_JSON:
            return flatten_json(parsed)
    if content_type == "application/x-www-form-urlencoded" or _looks_like_form(stripped):
        return batched_form_pairs(text)
    return [("body", text)]


def batched_form_pairs(text: str) -> Pairs:
    """Form parameters of every line (GA4 and others batch one hit per line); same names may repeat."""
    pairs: Pairs = []
    for line in text.splitlines():
        if line.strip():
            pairs.extend(parse_qsl(line.strip(), keep_blank_values=True, max_num_fields=MAX_PAIRS))
        if len(pairs) >= MAX_PAIRS:
            break
    return pairs[:MAX_PAIRS]


def multipart_pairs(req: CapturedRequest) -> Pairs:
    """Text fields of a multipart/form-data body (sendBeacon with FormData)."""
    content_type = req.header("content-type") or ""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    message: Message = BytesParser().parsebytes(head + req.body)
    pairs: Pairs = []
    if not message.is_multipart():
        return pairs
    for part in message.get_payload():
        if not isinstance(part, Message):
            continue
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            pairs.append((name, payload.decode("utf-8", "replace")))
    return pairs[:MAX_PAIRS]


_NOT_JSON: Final = object()


def parse_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return _NOT_JSON


def flatten_json(value: Any, prefix: str = "") -> Pairs:
    """Scalar leaves of a JSON value as (key path, text) pairs; objects give "a.b", arrays "a[0]"."""
    pairs: Pairs = []
    _flatten(value, prefix, pairs, 0)
    return pairs


def _flatten(value: Any, path: str, out: Pairs, depth: int) -> None:
    if len(out) >= MAX_PAIRS:
        return
    if depth > MAX_JSON_DEPTH:
        out.append((path or "$", json.dumps(value)[:MAX_NESTED_JSON_CHARS]))
        return
    if isinstance(value, dict):
        for key, child in value.items():
            _flatten(child, f"{path}.{key}" if path else str(key), out, depth + 1)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            _flatten(child, f"{path}[{index}]", out, depth + 1)
    elif value is None:
        return
    elif isinstance(value, bool):
        out.append((path or "$", "true" if value else "false"))
    else:
        out.append((path or "$", str(value)))


def expand_json_values(pairs: Pairs) -> Pairs:
    """Each pair whose value is a JSON object or array replaced by its flattened leaves ("cd[formFeatures]"
    -> "cd[formFeatures][0].name"); other pairs as they are."""
    out: Pairs = []
    for name, value in pairs:
        stripped = value.strip()
        if stripped[:1] in ("{", "[") and len(stripped) <= MAX_NESTED_JSON_CHARS:
            parsed = parse_json(stripped)
            if isinstance(parsed, dict | list):
                leaves = flatten_json(parsed, name)
                out.extend(leaves if leaves else [(name, value)])
                continue
        out.append((name, value))
    return out


def fields(
    pairs: Pairs, location: Location, meaning_of: MeaningOf, *, hashed_meanings: bool = True
) -> Iterator[DecodedField]:
    """DecodedFields for `pairs`; a value shaped like a digest is flagged hashed when its meaning is an
    identity (or always, with `hashed_meanings=False`)."""
    for name, value in pairs:
        meaning = meaning_of(name)
        hashed = looks_hashed(value) and (meaning in IDENTITY_MEANINGS or not hashed_meanings)
        yield DecodedField(name=name, meaning=meaning, value=value, location=location, hashed=hashed)


def _looks_like_form(text: str) -> bool:
    first = text.split("\n", 1)[0]
    return "=" in first and " " not in first.strip() and not first.startswith(("<", "{", "["))


def strip_index_prefix(name: str, container: str) -> str:
    """ "batch[3].event" -> "event" for `container` "batch": batched events keep their per-event names."""
    match = re.match(rf"{re.escape(container)}\[\d+\]\.?", name)
    return name[match.end() :] if match else name
