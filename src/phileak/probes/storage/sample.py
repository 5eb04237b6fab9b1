"""Stratified sampling of a listing that streams by: a reservoir per stratum (top-level prefix x file type), then
proportional allocation of the requested sample size, so the sample stays self-weighting (each object had about
the same chance) and every stratum with objects is represented when the sample is large enough.

Strata are bounded: after MAX_STRATA distinct prefixes, further prefixes share one "other" stratum, so a bucket
with a folder per patient does not grow memory with its patients."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from phileak.probes.storage.stores import ObjectInfo

MAX_STRATA = 32
OTHER = "\x00other"


def file_type(key: str, content_type: str | None = None) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    if 1 < len(suffix) <= 8 and suffix[1:].isalnum():
        return suffix
    return (content_type or "").split(";")[0].strip().lower() or "(none)"


def top_prefix(key: str, prefix: str) -> str:
    rest = key[len(prefix) :] if key.startswith(prefix) else key
    head, sep, _ = rest.lstrip("/").partition("/")
    return head if sep else ""


@dataclass
class _Stratum:
    population: int = 0
    reservoir: list[ObjectInfo] = field(default_factory=list)


class StratifiedSampler:
    """Offer every listed object once; `sample()` returns at most `size` of them."""

    def __init__(self, size: int, prefix: str = "", *, seed: int | None = None) -> None:
        if size < 1:
            raise ValueError("sample size must be at least 1")
        self.size = size
        self._prefix = prefix
        self._rng = random.Random(seed)
        self._strata: dict[tuple[str, str], _Stratum] = {}
        self._prefixes: set[str] = set()

    def stratum_of(self, item: ObjectInfo) -> tuple[str, str]:
        head = top_prefix(item.key, self._prefix)
        if head not in self._prefixes:
            if len(self._prefixes) >= MAX_STRATA:
                head = OTHER
            else:
                self._prefixes.add(head)
        return head, file_type(item.key, item.content_type)

    def offer(self, item: ObjectInfo) -> None:
        stratum = self._strata.setdefault(self.stratum_of(item), _Stratum())
        stratum.population += 1
        if len(stratum.reservoir) < self.size:
            stratum.reservoir.append(item)
            return
        slot = self._rng.randrange(stratum.population)
        if slot < self.size:
            stratum.reservoir[slot] = item

    @property
    def population(self) -> int:
        return sum(s.population for s in self._strata.values())

    def allocation(self) -> dict[tuple[str, str], int]:
        """How many objects each stratum contributes: proportional to its population (largest remainders)."""
        total = self.population
        if total <= self.size:
            return {name: s.population for name, s in self._strata.items()}
        exact = {name: self.size * s.population / total for name, s in self._strata.items()}
        share = {name: int(value) for name, value in exact.items()}
        left = self.size - sum(share.values())
        for name in sorted(exact, key=lambda n: exact[n] - share[n], reverse=True)[:left]:
            share[name] += 1
        return share

    def sample(self) -> list[ObjectInfo]:
        chosen: list[ObjectInfo] = []
        for name, count in self.allocation().items():
            reservoir = self._strata[name].reservoir
            chosen.extend(self._rng.sample(reservoir, min(count, len(reservoir))))
        self._rng.shuffle(chosen)
        return chosen

    def strata(self) -> Iterator[tuple[tuple[str, str], int]]:
        for name, stratum in self._strata.items():
            yield name, stratum.population
