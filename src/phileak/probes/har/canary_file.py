"""`--canary-file`: the values the tester typed into the app or site, to be looked for in the capture.

Either a canary identity saved by phileak (format "phileak-canary/1") or a plain JSON object of some of its
fields ({"email": "...", "phone": "...", "first_name": "..."}); fields not given get invented values that
match nothing. Every value is registered with logsafe at once. Errors quote field names, never values.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Final

from phileak import logsafe
from phileak.errors import InputError
from phileak.phi.canary_identity import FILE_FORMAT, CanaryIdentity

FIELDS: Final = tuple(f.name for f in dataclasses.fields(CanaryIdentity) if f.name != "seed")


def load_canary_file(path: Path) -> CanaryIdentity:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read canary file {path}: {type(exc).__name__}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise InputError(f"canary file {path} is not JSON") from None
    if not isinstance(data, dict):
        raise InputError(f"canary file {path} is not a JSON object")
    identity = CanaryIdentity.from_json(text) if data.get("format") == FILE_FORMAT else _partial(data, path)
    logsafe.register(*identity.values().values())
    return identity


def _partial(data: dict[str, object], path: Path) -> CanaryIdentity:
    unknown = sorted(str(k) for k in data if k not in FIELDS)
    if unknown:
        raise InputError(f"canary file {path}: unknown fields {', '.join(unknown)} (known: {', '.join(FIELDS)})")
    given = {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}
    if not given:
        raise InputError(f"canary file {path} gives no text value")
    logsafe.register(*given.values())
    return dataclasses.replace(CanaryIdentity.generate(), **given)
