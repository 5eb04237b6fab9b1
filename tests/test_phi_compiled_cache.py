"""The on-disk cache of compiled hyperscan databases: a second matcher of the same expressions loads instead of
compiling, behaves exactly like a compiled one (confirm windows, Python fallbacks), and a damaged, foreign or
disabled cache only costs a compile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from phileak.phi.patterns import compiled_cache
from phileak.phi.patterns.matcher import Expression, MultiMatcher

hs = pytest.importorskip("hyperscan")

EXPRESSIONS = [
    Expression(r"\d{3}-\d{4}"),
    Expression(r"https?://\S+", prefilter=(r"https?://", 8, 200)),  # located by an anchor, read by Python
    Expression(r"\bref(?=:)"),  # lookahead: Python re scans it
    Expression(r"\bMRN[ :]{1,3}\d{6,10}\b", case_insensitive=True),
]
TEXT = "Tél. 555-0143, ref: see https://exemple.fr/é?x=1 and mrn: 00482913, ref 9"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(compiled_cache.CACHE_ENV, str(tmp_path))
    monkeypatch.setattr(compiled_cache, "MIN_COMPILE_SECONDS", 0.0)  # these small sets compile in milliseconds
    return tmp_path / "hyperscan"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.hsdb")) if folder.exists() else []


def _no_compiling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: MultiMatcher, hs_module: object) -> object:
        raise AssertionError("compiled instead of loading from the cache")

    monkeypatch.setattr(MultiMatcher, "_compile_anew", refuse)


def test_a_second_matcher_loads_the_compiled_database_and_finds_the_same(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compiled = MultiMatcher(EXPRESSIONS)
    assert compiled.uses_hyperscan and compiled.fallback_count == 1
    [entry] = _entries(cache)
    assert entry.stat().st_mode & 0o077 == 0 and cache.stat().st_mode & 0o077 == 0  # the user's alone
    _no_compiling(monkeypatch)
    loaded = MultiMatcher(EXPRESSIONS)
    assert loaded.uses_hyperscan and loaded.fallback_count == 1
    assert loaded._confirm == compiled._confirm
    found = sorted(loaded.scan(TEXT))
    assert found == sorted(compiled.scan(TEXT))
    assert {(i, TEXT[s:e]) for i, s, e in found} == {
        (0, "555-0143"), (1, "https://exemple.fr/é?x=1"), (2, "ref"), (3, "mrn: 00482913"),
    }  # fmt: skip


def test_a_plan_without_start_of_match_is_replayed(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    too_large = Expression(r"\bpatient\b[^\n]{0,300}\bdob\b", case_insensitive=True)  # no SOM past a long gap
    compiled = MultiMatcher([too_large, Expression(r"\d{4}")])
    text = "Patient: Jane Roe, born 1980, DOB on file"
    _no_compiling(monkeypatch)
    loaded = MultiMatcher([too_large, Expression(r"\d{4}")])
    assert 0 in compiled._confirm and loaded._confirm == compiled._confirm  # located by hyperscan, read by re
    assert sorted(loaded.scan(text)) == sorted(compiled.scan(text)) == [(0, 0, 33), (1, 24, 28)]


def test_a_damaged_entry_is_compiled_again_and_replaced(cache: Path) -> None:
    MultiMatcher(EXPRESSIONS)
    [entry] = _entries(cache)
    data = bytearray(entry.read_bytes())
    data[-200:] = os.urandom(200)
    entry.write_bytes(bytes(data))
    damaged = MultiMatcher(EXPRESSIONS)
    assert sorted(damaged.scan(TEXT)) == sorted(MultiMatcher(EXPRESSIONS).scan(TEXT))
    entry.write_bytes(b'{"key": "other"}\nnot a database')
    assert MultiMatcher(EXPRESSIONS).uses_hyperscan
    assert len(_entries(cache)) == 1 and entry.read_bytes() != b'{"key": "other"}\nnot a database'


def test_an_entry_others_could_have_written_is_not_loaded(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    MultiMatcher(EXPRESSIONS)
    [entry] = _entries(cache)
    entry.chmod(0o666)
    calls: list[int] = []
    compile_anew = MultiMatcher._compile_anew

    def counted(self: MultiMatcher, hs_module: object) -> object:
        calls.append(1)
        return compile_anew(self, hs_module)  # type: ignore[arg-type]

    monkeypatch.setattr(MultiMatcher, "_compile_anew", counted)
    assert sorted(MultiMatcher(EXPRESSIONS).scan("555-0143")) == [(0, 0, 8)]
    assert calls == [1] and entry.stat().st_mode & 0o077 == 0  # compiled, and the entry written again privately


def test_other_expressions_are_another_entry_and_old_ones_are_evicted(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(compiled_cache, "KEEP", 3)
    for width in range(5):
        MultiMatcher([Expression(rf"\d{{{width + 2}}}-x")])
    assert len(_entries(cache)) == 3


def test_a_database_compiled_in_no_time_is_not_kept(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_cache, "MIN_COMPILE_SECONDS", 60.0)
    MultiMatcher(EXPRESSIONS)
    assert _entries(cache) == []


def test_an_empty_cache_setting_turns_the_cache_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_cache, "MIN_COMPILE_SECONDS", 0.0)
    monkeypatch.setenv(compiled_cache.CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    MultiMatcher(EXPRESSIONS)
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_cache_costs_nothing_but_the_compile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled_cache, "MIN_COMPILE_SECONDS", 0.0)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(compiled_cache.CACHE_ENV, str(blocker))
    assert sorted(MultiMatcher(EXPRESSIONS).scan("555-0143")) == [(0, 0, 8)]


def test_the_shipped_expressions_are_the_same_in_every_process() -> None:
    """Alternations built from sets are ordered the same whatever the hash seed, so every process finds the
    engine's entry."""
    program = (
        "import hashlib, json\n"
        "from phileak.phi.engine import _PatternSet, default_health_patterns\n"
        "from phileak.phi.patterns import default_patterns\n"
        "from phileak.phi.patterns.matcher import MultiMatcher\n"
        "MultiMatcher._compile = lambda self, hs: None\n"
        "expressions = _PatternSet(tuple([*default_patterns(), *default_health_patterns()])).matcher._expressions\n"
        "print(hashlib.sha256(json.dumps([[e.regex, e.case_insensitive, e.prefilter] for e in expressions])"
        ".encode()).hexdigest())\n"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", program], env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout.strip()
        for seed in ("1", "2", "3")
    }  # fmt: skip
    assert len(digests) == 1
