"""Targets: what a probe is pointed at, parsed from the command line or an audit plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from phileak.errors import InputError

PROBES = ("web", "har", "dicom", "storage", "files")

_STORAGE_SCHEMES = ("s3", "gs", "azure")
_DICOM_SCHEMES = ("dicom", "dicom-tls", "http", "https")
DEFAULT_DICOM_PORT = 104


@dataclass(frozen=True)
class Target:
    """One thing to probe. `ref` is its canonical text form, used as Finding.target."""

    probe: str
    ref: str
    host: str | None = None
    port: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.probe, self.ref)


def parse_target(probe: str, text: str, options: Mapping[str, Any] | None = None) -> Target:
    """Parse `text` as a target of `probe`; raise InputError with a one-line reason when it is not one."""
    opts = dict(options or {})
    text = text.strip()
    if not text:
        raise InputError(f"empty {probe} target")
    if probe == "web":
        return _web(text, opts)
    if probe in ("har", "files"):
        return Target(probe, str(Path(text).expanduser().resolve()), options=opts)
    if probe == "dicom":
        return _dicom(text, opts)
    if probe == "storage":
        return _storage(text, opts)
    raise InputError(f"unknown probe '{probe}' (one of {', '.join(PROBES)})")


def _web(text: str, opts: dict[str, Any]) -> Target:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not a web URL: {text!r} (expected http(s)://host/...)")
    return Target("web", text, host=parts.hostname.lower(), port=parts.port, options=opts)


def _dicom(text: str, opts: dict[str, Any]) -> Target:
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in _DICOM_SCHEMES or not parts.hostname:
            raise InputError(f"unknown DICOM target scheme in {text!r} (dicom-tls://, http://, https://)")
        try:
            port = parts.port
        except ValueError as exc:
            raise InputError(f"bad port in DICOM target {text!r}") from exc
        return Target("dicom", text, host=parts.hostname.lower(), port=port, options=opts)
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":") or str(DEFAULT_DICOM_PORT)
    elif text.count(":") > 1:  # a bare IPv6 address
        host, port_text = text, str(DEFAULT_DICOM_PORT)
    else:
        host, _, port_text = text.partition(":")
        port_text = port_text or str(DEFAULT_DICOM_PORT)
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError(f"not a DICOM target: {text!r} (expected host[:port])")
    port = int(port_text)
    shown = f"[{host}]" if ":" in host else host
    return Target("dicom", f"{shown}:{port}", host=host.lower(), port=port, options=opts)


def _storage(text: str, opts: dict[str, Any]) -> Target:
    from phileak.probes.storage.location import canonical_ref, tidy_ref  # the providers' https forms

    text = canonical_ref(text)
    parts = urlsplit(text)
    if parts.scheme not in _STORAGE_SCHEMES or not parts.netloc:
        raise InputError(f"unknown storage target {text!r} (expected s3://, gs://, azure:// or a provider https URL)")
    endpoint = opts.get("endpoint")
    host = urlsplit(endpoint).hostname if endpoint else None
    return Target("storage", tidy_ref(text), host=host, options=opts)
