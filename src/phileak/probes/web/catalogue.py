"""The tracker catalogue (trackers.toml): host -> vendor lookup, validated on load.

Host patterns: "facebook.com" matches it and every subdomain; "www.google.com/pagead/" also needs the path
prefix; "*/g/collect" is a path on any host (GA4 through a tagging server). The most specific pattern wins:
the longest host suffix, then the longest path prefix, then any-host paths.
"""

from __future__ import annotations

import functools
import gzip
import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from phileak.errors import InputError
from phileak.probes.web.capture_model import CapturedRequest
from phileak.probes.web.decoders import Meaning

Category = Literal["advertising", "analytics", "session-replay", "tag-manager", "social", "other"]
Capture = Literal["keystrokes", "dom"]
DEFAULT_FILE = "trackers.toml"


class Sample(BaseModel):
    """A realistic request of the vendor's tag (synthetic values) and what its decoder must make of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = "GET"
    url: str
    headers: dict[str, str] = Field(default_factory=dict)
    body: str | None = None
    body_gzip: bool = False
    expect: dict[str, Meaning] = Field(default_factory=dict)

    def request(self) -> CapturedRequest:
        raw = self.body.encode("utf-8") if self.body is not None else None
        if raw is not None and self.body_gzip:
            raw = gzip.compress(raw, mtime=0)
        return CapturedRequest.build(self.url, method=self.method, headers=self.headers, body=raw)


class Vendor(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    vendor: str
    category: Category
    hosts: tuple[str, ...] = Field(min_length=1)
    decoder: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    docs: str
    captures: tuple[Capture, ...] = ()
    login_cookies: tuple[str, ...] = ()
    sample: Sample

    @field_validator("hosts")
    @classmethod
    def _patterns_well_formed(cls, hosts: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in hosts:
            host, _, path = pattern.partition("/")
            if pattern != pattern.lower() and host != "*":
                raise ValueError(f"host pattern must be lower-case: {pattern!r}")
            if not host or (host != "*" and ("*" in host or " " in host)):
                raise ValueError(f"bad host pattern {pattern!r}")
            if host == "*" and not path:
                raise ValueError(f"an any-host pattern needs a path: {pattern!r}")
        return hosts

    @property
    def is_session_replay(self) -> bool:
        return bool(self.captures) or self.category == "session-replay"


class Catalogue:
    """Vendors by id, with a host (and path) lookup."""

    def __init__(self, vendors: list[Vendor]) -> None:
        ids = [v.id for v in vendors]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise InputError(f"tracker catalogue: duplicate vendor ids {', '.join(duplicates)}")
        self._vendors = {v.id: v for v in vendors}
        self._by_host: dict[str, list[tuple[str, Vendor]]] = {}
        self._any_host: list[tuple[str, Vendor]] = []
        for vendor in vendors:
            for pattern in vendor.hosts:
                host, slash, path = pattern.partition("/")
                prefix = slash + path
                if host == "*":
                    self._any_host.append((prefix, vendor))
                else:
                    self._by_host.setdefault(host, []).append((prefix, vendor))
        for entries in self._by_host.values():
            entries.sort(key=lambda entry: -len(entry[0]))
        self._any_host.sort(key=lambda entry: -len(entry[0]))

    def __iter__(self) -> Iterator[Vendor]:
        return iter(self._vendors.values())

    def __len__(self) -> int:
        return len(self._vendors)

    def __getitem__(self, vendor_id: str) -> Vendor:
        return self._vendors[vendor_id]

    def lookup(self, host: str, path: str = "/") -> Vendor | None:
        """The vendor serving `host` (and `path`), or None for a host the catalogue does not know."""
        labels = host.lower().rstrip(".").split(".")
        for start in range(len(labels)):
            for prefix, vendor in self._by_host.get(".".join(labels[start:]), ()):
                if path.startswith(prefix):
                    return vendor
        for prefix, vendor in self._any_host:
            if path.startswith(prefix):
                return vendor
        return None

    def lookup_url(self, url: str) -> Vendor | None:
        request = CapturedRequest(url=url)
        host = request.host
        return self.lookup(host, request.path) if host else None

    def hostnames(self) -> list[str]:
        """Every concrete host name of the catalogue (no any-host patterns), e.g. for `--resolve` in a lab."""
        return sorted(self._by_host)

    @classmethod
    def from_toml(cls, text: str, source: str = DEFAULT_FILE) -> Catalogue:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"tracker catalogue {source} is not valid TOML: {exc}") from None
        rows = data.get("vendor")
        if not isinstance(rows, list) or not rows:
            raise InputError(f"tracker catalogue {source} has no [[vendor]] rows")
        vendors = []
        for number, row in enumerate(rows, start=1):
            try:
                vendors.append(Vendor.model_validate(row))
            except ValidationError as exc:
                problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:3])
                name = row.get("id", f"row {number}") if isinstance(row, Mapping) else f"row {number}"
                raise InputError(f"tracker catalogue {source}, vendor {name}: {problem}") from None
        return cls(vendors)

    @classmethod
    def from_path(cls, path: Path) -> Catalogue:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read tracker catalogue {path}: {type(exc).__name__}") from None
        return cls.from_toml(text, str(path))


@functools.cache
def default_catalogue() -> Catalogue:
    """The catalogue shipped with phileak (probes/web/trackers.toml)."""
    text = resources.files("phileak.probes.web").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
    return Catalogue.from_toml(text)
