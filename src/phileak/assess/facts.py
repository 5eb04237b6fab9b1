"""What the legal side reads of an exposure: how many people (exact, an interval, or unknown), which data
categories, recipients and kinds; and how a count compares with a threshold when it may be unknown.

Accepts the sizing engine's `Exposure` (any object with these attributes, or a pydantic model) or a plain dict
with the keys {"affected_individuals", "estimate": {"low", "high"}, "data_categories", "recipients", "kinds"}."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

_OPS: dict[str, Callable[[int, int], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le,
}  # fmt: skip
_OP_WORDS = {">=": "at least", ">": "more than", "<": "fewer than", "<=": "at most"}


@dataclass(frozen=True)
class Count:
    """A number of people: exact; an interval (an estimate); a floor (low only: "at least"); or unknown."""

    exact: int | None = None
    low: int | None = None
    high: int | None = None

    @property
    def known(self) -> bool:
        return self.exact is not None or (self.low is not None and self.high is not None)

    def describe(self) -> str:
        if self.exact is not None:
            return str(self.exact)
        if self.low is not None and self.high is not None:
            return f"an estimated {self.low}-{self.high}"
        if self.low is not None:
            return f"at least {self.low}"
        return "an unknown number of"

    def compare(self, op: str, value: int) -> bool | None:
        """True or False when the count settles `count op value`; None when it cannot (unknown, or a range on
        both sides of the threshold). The ops are monotone, so testing both ends of the range settles it."""
        test = _OPS[op]
        if self.exact is not None:
            return test(self.exact, value)
        if self.low is None:
            return None
        at_low = test(self.low, value)
        at_high = test(self.high, value) if self.high is not None else op in (">", ">=")
        return at_low if at_low == at_high else None


def at_least(count: Count, floor: int) -> Count:
    """`count` with `floor` as a lower bound: people known to be affected some other way (the plan's residents
    per State) are among the total, however few the scan counted."""
    if floor <= 0:
        return count
    if count.exact is not None:
        return Count(exact=max(count.exact, floor))
    if count.low is None:
        return Count(low=floor)
    return Count(low=max(count.low, floor), high=max(count.high, floor) if count.high is not None else None)


def threshold_words(op: str, value: int) -> str:
    return f"{_OP_WORDS[op]} {value}"


@dataclass(frozen=True)
class ExposureFacts:
    people: Count
    data_categories: tuple[str, ...] = ()
    recipients: tuple[dict[str, Any], ...] = ()
    kinds: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def exposure_facts(exposure: object) -> ExposureFacts:
    data = _as_mapping(exposure)
    estimate = _as_mapping(data.get("estimate")) if data.get("estimate") is not None else {}
    exact = _int_or_none(data.get("affected_individuals"))
    low, high = _int_or_none(estimate.get("low")), _int_or_none(estimate.get("high"))
    if low is not None:
        # With an estimate, affected_individuals is what was observed: a floor inside (or above) the interval.
        floor = exact or 0
        people = Count(low=max(low, floor), high=max(high, floor) if high is not None else None)
    else:
        people = Count(exact=exact)
    return ExposureFacts(
        people=people,
        data_categories=tuple(sorted({str(c) for c in data.get("data_categories") or []})),
        recipients=tuple(_recipient(r) for r in data.get("recipients") or []),
        kinds=tuple(sorted({str(k) for k in data.get("kinds") or []})),
        extra={k: v for k, v in data.items() if k not in _KNOWN_KEYS},
    )


_KNOWN_KEYS = frozenset({"affected_individuals", "estimate", "data_categories", "recipients", "kinds"})


def _as_mapping(value: object) -> Mapping[str, Any]:
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        dumped = dump(mode="json")
        if isinstance(dumped, Mapping):
            return dumped
    if hasattr(value, "__dict__"):
        return {k: v for k, v in vars(value).items() if not k.startswith("_")}
    raise TypeError(f"an exposure must be a mapping or an object with attributes, not {type(value).__name__}")


def _int_or_none(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _recipient(value: object) -> dict[str, Any]:
    if isinstance(value, str):
        return {"name": value}
    return dict(_as_mapping(value))
