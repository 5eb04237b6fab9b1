"""Reading a capture file: HAR (JSON) or a mitmproxy flow dump (tnetstrings), told apart by their first bytes."""

from __future__ import annotations

import json

from phileak.errors import InputError
from phileak.probes.har.capture import Capture
from phileak.probes.har.har_format import har_capture
from phileak.probes.har.mitmproxy_dump import looks_like_dump, mitmproxy_capture

_BOM = b"\xef\xbb\xbf"


def read_capture(data: bytes, body_cap: int) -> Capture:
    """The sessions in `data`; InputError (one line, quoting nothing from the file) when it is neither a HAR
    file nor a mitmproxy dump, or is truncated JSON."""
    text = data.removeprefix(_BOM)
    if text.lstrip()[:1] == b"{":
        try:
            document = json.loads(text)
        except UnicodeDecodeError:
            raise InputError("not a HAR file: not UTF-8 text") from None
        except json.JSONDecodeError as exc:
            where = "ends early" if exc.pos >= len(text.rstrip()) - 1 else "is malformed"
            raise InputError(
                f"not a valid HAR file: its JSON {where} (line {exc.lineno}, column {exc.colno})"
            ) from None
        except RecursionError:
            raise InputError("not a valid HAR file: JSON nested too deeply") from None
        return har_capture(document, body_cap)
    if looks_like_dump(data):
        return mitmproxy_capture(data, body_cap)
    if not data.strip():
        raise InputError("empty capture file")
    raise InputError("not a HAR file (JSON) nor a mitmproxy flow dump")
