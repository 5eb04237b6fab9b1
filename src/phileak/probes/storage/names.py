"""Bucket and container name candidates for owners checking their own namespace: a bounded generator from an
organisation's name, and name lists read from a file. Only candidates the scope authorises are probed (each is
an ordinary target, checked by the runner), so a candidate list never widens what phileak may contact."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from phileak.errors import InputError

DEFAULT_LIMIT = 200
HARD_LIMIT = 5_000
SUFFIXES = (
    "", "backup", "backups", "data", "exports", "export", "reports", "lab", "labs", "results", "patients",
    "records", "medical-records", "imaging", "dicom", "pacs", "files", "uploads", "documents", "archive", "logs",
    "prod", "dev", "staging", "test", "public", "static", "assets", "web", "billing", "claims",
)  # fmt: skip
_SEPARATORS = ("-", "", ".")
_S3_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_AZURE_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}\Z")
_STOP_WORDS = frozenset({"the", "of", "and", "inc", "llc", "ltd", "sa", "sas", "de", "la", "le", "du", "des"})


def words_of(organisation: str) -> list[str]:
    text = unicodedata.normalize("NFKD", organisation).encode("ascii", "ignore").decode().lower()
    return [w for w in re.findall(r"[a-z0-9]+", text) if w not in _STOP_WORDS]


def stems(organisation: str) -> list[str]:
    """Ways an organisation writes its own name in resource names: joined, hyphenated, acronym, first word."""
    words = words_of(organisation)
    if not words:
        raise InputError(f"no usable word in organisation name {organisation!r}")
    found = ["-".join(words), "".join(words)]
    if len(words) > 1:
        found += ["".join(w[0] for w in words), words[0], "-".join(words[:2])]
    return list(dict.fromkeys(s for s in found if len(s) >= 2))


def candidates(organisation: str, *, provider: str = "s3", limit: int = DEFAULT_LIMIT) -> Iterator[str]:
    """Up to `limit` valid bucket (or Azure container) names, most likely first, without duplicates."""
    if not 1 <= limit <= HARD_LIMIT:
        raise InputError(f"candidate limit must be between 1 and {HARD_LIMIT}")
    valid = _AZURE_CONTAINER if provider == "azure" else _S3_NAME
    seen: set[str] = set()
    for suffix in SUFFIXES:
        for stem in stems(organisation):
            for separator in _SEPARATORS if suffix else ("",):
                if provider == "azure" and separator == ".":
                    continue
                for name in (f"{stem}{separator}{suffix}", f"{suffix}{separator}{stem}") if suffix else (stem,):
                    if name in seen or not valid.match(name):
                        continue
                    seen.add(name)
                    yield name
                    if len(seen) >= limit:
                        return


def read_name_list(path: str | Path, *, limit: int = HARD_LIMIT * 20) -> list[str]:
    """Names or storage URLs, one a line; blank lines and `#` comments skipped."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read name list {path}: {type(exc).__name__}") from None
    names = [line.split("#", 1)[0].strip() for line in lines]
    names = [name for name in names if name]
    if len(names) > limit:
        raise InputError(f"name list {path} has more than {limit} names")
    return names


def as_targets(names: Iterable[str], scheme: str = "s3", account: str | None = None) -> list[str]:
    """Bare names as target URLs (`s3://name`, `gs://name`, `azure://account/name`); URLs pass unchanged."""
    out = []
    for name in names:
        if "://" in name:
            out.append(name)
        elif scheme == "azure":
            if not account:
                raise InputError("azure container names need an account: azure://ACCOUNT/CONTAINER")
            out.append(f"azure://{account}/{name}")
        else:
            out.append(f"{scheme}://{name}")
    return out
