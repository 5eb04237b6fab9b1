"""The findings store against real SQLite files and a real (throwaway) PostgreSQL server."""

from __future__ import annotations

import json
import os
import random
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from phileak.errors import InputError
from phileak.model import (
    DataCategory,
    Estimate,
    Evidence,
    EvidenceMatch,
    Finding,
    OutcomeStatus,
    Recipient,
    Scan,
    ScanStatus,
    Severity,
    TargetOutcome,
)
from phileak.store import ScanDiff, Store
from phileak.store.location import locate
from phileak.store.migrate import alembic_config, head_revisions
from phileak.store.schema import metadata

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def key_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PostgreSQL stores keep their key under $PHILEAK_KEY_DIR: never the real home in tests."""
    directory = tmp_path / "keys"
    monkeypatch.setenv("PHILEAK_KEY_DIR", str(directory))
    return directory


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A --db value for a store that does not exist yet: a file path, or a fresh PostgreSQL database URL."""
    if request.param == "sqlite":
        return str(tmp_path / "phileak.db")
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def store(db: str) -> Iterator[Store]:
    opened = Store.open(db)
    yield opened
    opened.close()


def password_of(db: str) -> str:
    """The test server's password (never expected in any message), or a stand-in for SQLite paths."""
    return str(sa.make_url(db).password) if "://" in db else "no-password-in-a-path"


@contextmanager
def raw_engine(db: str) -> Iterator[sa.Engine]:
    """An engine of our own, to look at the database behind the store's back."""
    engine = sa.create_engine(db if "://" in db else f"sqlite:///{db}")
    try:
        yield engine
    finally:
        engine.dispose()


def make_finding(n: int = 0, **overrides: object) -> Finding:
    fields: dict[str, object] = {
        "probe": "web",
        "target": f"https://www.example-health.test/page-{n}",
        "kind": "phi-to-third-party",
        "key": "www.facebook.com",
        "severity": Severity.HIGH,
        "title": f"Appointment form sends the patient's email to Meta (page {n})",
        "data_categories": [DataCategory.EMAIL, DataCategory.HEALTH_CONDITION],
        "affected_individuals": 10 + n,
        "recipient": Recipient(host="www.facebook.com", vendor="Meta", category="advertising"),
        "evidence": Evidence(
            matches=[EvidenceMatch(field="email", encoding="sha256-hex", location="query", param="ud[em]")],
            excerpt="ud[em]=<redacted:email>",
            identity_hashes=[f"h{n:04d}"],
        ),
        "remediation": "Remove the Meta pixel from authenticated pages.",
    }
    fields.update(overrides)
    return Finding.create(**fields)  # type: ignore[arg-type]


def outcome(target: str, status: OutcomeStatus, **fields: object) -> TargetOutcome:
    return TargetOutcome(probe="web", target=target, status=status, **fields)  # type: ignore[arg-type,unused-ignore]


def assert_one_line_input_error(error: pytest.ExceptionInfo[InputError], *secrets: str) -> str:
    message = str(error.value)
    assert message and "\n" not in message and "\r" not in message
    for secret in secrets:
        assert secret not in message
    return message


# Creating, reopening, migrating


def test_a_new_store_gets_a_0600_key_beside_it_that_is_not_in_the_database(db: str, key_dir: Path) -> None:
    store = Store.open(db)
    key = store.identity_key()
    store.create_scan(Scan(id="s1"))
    store.record_finding("s1", make_finding())
    store.close()

    assert len(key) == 32
    assert stat.S_IMODE(store.key_path.stat().st_mode) == 0o600
    if "://" in db:
        assert store.key_path.parent == key_dir
        assert password_of(db) not in store.key_path.name
    else:
        assert store.key_path == Path(db + ".key")
        stored = b"".join(p.read_bytes() for p in Path(db).parent.glob("phileak.db*") if p != store.key_path)
        assert key not in stored and key.hex().encode() not in stored
    with raw_engine(db) as engine, engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                assert key.hex() not in json.dumps([str(value) for value in row])


def test_reopening_reuses_the_key_and_a_new_store_gets_its_own(db: str, tmp_path: Path) -> None:
    first = Store.open(db)
    first.close()
    again = Store.open(db)
    other = Store.open(str(tmp_path / "other.db"))
    try:
        assert again.identity_key() == first.identity_key()
        assert again.key_path == first.key_path
        assert other.identity_key() != first.identity_key()
    finally:
        again.close()
        other.close()


def test_an_existing_store_without_its_key_is_refused_and_no_new_key_is_made(db: str) -> None:
    store = Store.open(db)
    store.create_scan(Scan(id="s1"))
    store.close()
    store.key_path.unlink()

    with pytest.raises(InputError) as error:
        Store.open(db)

    message = assert_one_line_input_error(error, password_of(db))
    assert "missing" in message and str(store.key_path) in message
    assert not store.key_path.exists()


def test_opening_migrates_to_head_and_the_schema_matches_the_tables(store: Store, db: str) -> None:
    with raw_engine(db) as engine, engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert set(context.get_current_heads()) == head_revisions()
        assert compare_metadata(context, metadata) == []


def test_a_store_at_an_older_revision_is_upgraded_on_open(db: str) -> None:
    Store.open(db).close()
    with raw_engine(db) as engine:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        assert not sa.inspect(engine).has_table("findings")

        store = Store.open(db)
        store.create_scan(Scan(id="after-upgrade"))
        store.close()

        assert sa.inspect(engine).has_table("findings")
        with engine.connect() as connection:
            assert set(MigrationContext.configure(connection).get_current_heads()) == head_revisions()


def test_a_newer_schema_than_this_phileak_knows_is_refused(db: str) -> None:
    Store.open(db).close()
    with raw_engine(db) as engine, engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))

    with pytest.raises(InputError) as error:
        Store.open(db)

    message = assert_one_line_input_error(error, password_of(db))
    assert "9999_from_the_future" in message and "newer phileak" in message


def test_the_default_store_is_phileak_db_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = Store.open()
    store.close()

    assert (tmp_path / "phileak.db").is_file()
    assert store.key_path == tmp_path / "phileak.db.key"
    assert stat.S_IMODE((tmp_path / "phileak.db").stat().st_mode) == 0o600


def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    Store.open(str(tmp_path / "wal.db")).close()
    with raw_engine(str(tmp_path / "wal.db")) as engine, engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


# Scans


def test_scans_round_trip_and_are_listed_oldest_first(store: Store) -> None:
    paris = timezone(timedelta(hours=1))
    older = Scan(
        id="s-old",
        started=datetime(2026, 11, 20, 10, 0, tzinfo=paris),  # 09:00 UTC
        targets=["https://www.example-health.test/"],
        command="phileak scan web https://www.example-health.test/",
        profile={"max_pages": 50, "resolve": ["*=127.0.0.1"], "insecure": True},
    )
    newer = Scan(id="s-new", started=T0 + timedelta(minutes=5), targets=["127.0.0.1:4242"], command="x")
    middle = Scan(id="s-mid", started=T0 + timedelta(minutes=1))
    for scan in (older, newer, middle):
        store.create_scan(scan)

    assert store.get_scan("s-old") == older
    assert store.get_scan("absent") is None
    assert [scan.id for scan in store.list_scans()] == ["s-old", "s-mid", "s-new"]
    assert store.latest_scan() == newer


def test_finish_scan_sets_status_and_end(store: Store) -> None:
    store.create_scan(Scan(id="s1", started=T0, targets=["a"], command="c", profile={"k": 1}))
    store.finish_scan("s1", ScanStatus.COMPLETE, T0 + timedelta(minutes=3))

    assert store.get_scan("s1") == Scan(
        id="s1",
        started=T0,
        finished=T0 + timedelta(minutes=3),
        status=ScanStatus.COMPLETE,
        targets=["a"],
        command="c",
        profile={"k": 1},
    )


def test_unknown_or_duplicate_scans_are_errors_on_write(store: Store) -> None:
    store.create_scan(Scan(id="s1"))
    with pytest.raises(ValueError, match="already"):
        store.create_scan(Scan(id="s1"))
    with pytest.raises(LookupError):
        store.finish_scan("absent", ScanStatus.COMPLETE, T0)
    with pytest.raises(LookupError):
        store.record_finding("absent", make_finding())
    with pytest.raises(LookupError):
        store.record_outcome("absent", outcome("https://a.test/", OutcomeStatus.OK))
    assert store.latest_scan() == store.get_scan("s1")


def test_latest_scan_of_an_empty_store_is_none(store: Store) -> None:
    assert store.latest_scan() is None
    assert store.list_scans() == []


# Findings and outcomes


def test_findings_round_trip_exactly_in_recording_order(store: Store) -> None:
    rich = make_finding(
        1,
        severity=Severity.CRITICAL,
        estimate=Estimate(low=1200, high=4800, confidence=0.9),
        affected_individuals=3_000_000_000,
        title="Études, 患者 and a tab\there",
        evidence=Evidence(
            matches=[EvidenceMatch(field="mrn", location="body", frame="worker", depth=2)],
            excerpt="binary\x00part <redacted:mrn>",
            identity_hashes=["a" * 64],
            study_count=17,
            nested={"series": [1, 2.5, None, "x"]},
        ),
    )
    bare = Finding.create(
        probe="dicom", target="127.0.0.1:4242", kind="dicom-echo-open", severity=Severity.INFO, title="t"
    )
    recorded = [make_finding(3), rich, bare]
    store.create_scan(Scan(id="s1"))
    for finding in recorded:
        store.record_finding("s1", finding)

    assert store.findings("s1") == recorded
    assert store.findings("absent") == []


def test_findings_keep_queryable_columns_and_evidence_in_its_own_table(store: Store, db: str) -> None:
    finding = make_finding(7)
    store.create_scan(Scan(id="s1"))
    store.record_finding("s1", finding)

    with raw_engine(db) as engine, engine.connect() as connection:
        row = connection.execute(
            sa.text("SELECT pk, probe, target, kind, severity, affected_individuals FROM findings")
        ).one()
        proof = connection.execute(sa.text("SELECT finding_pk FROM evidence")).scalars().all()
    assert tuple(row)[1:] == (finding.probe, finding.target, finding.kind, "high", 17)
    assert proof == [row.pk]


def test_recording_a_finding_again_replaces_it_without_doubling(store: Store) -> None:
    store.create_scan(Scan(id="s1"))
    first = make_finding(1)
    grown = first.model_copy(update={"affected_individuals": 500, "evidence": Evidence(excerpt="more")})

    assert store.record_finding("s1", first) is True
    assert store.record_finding("s1", first) is False
    assert store.record_finding("s1", grown) is False

    assert store.findings("s1") == [grown]


def test_the_same_finding_in_two_scans_is_kept_once_per_scan(store: Store) -> None:
    finding = make_finding(1)
    for scan_id in ("s1", "s2"):
        store.create_scan(Scan(id=scan_id))
        assert store.record_finding(scan_id, finding) is True
    assert store.findings("s1") == store.findings("s2") == [finding]


def test_outcomes_are_upserted_per_target_and_completed_ones_are_listed(store: Store) -> None:
    store.create_scan(Scan(id="s1"))
    long_url = "https://www.example-health.test/search?q=" + "x" * 5000
    start = T0 + timedelta(seconds=1)
    recorded = [
        outcome("https://a.test/", OutcomeStatus.OK, findings=2, started=start, finished=start),
        outcome("https://b.test/", OutcomeStatus.ERROR, reason="connection reset"),
        outcome("https://c.test/", OutcomeStatus.OUT_OF_SCOPE, reason="not in --allow"),
        outcome(long_url, OutcomeStatus.SKIPPED),
        outcome("https://d.test/", OutcomeStatus.TIMEOUT),
        outcome("https://e.test/", OutcomeStatus.INTERRUPTED),
    ]
    for item in recorded:
        store.record_outcome("s1", item)
    retried = outcome("https://b.test/", OutcomeStatus.OK, findings=1)
    store.record_outcome("s1", retried)

    assert store.outcomes("s1") == [recorded[0], retried, *recorded[2:]]
    assert store.completed_targets("s1") == {
        ("web", "https://a.test/"),
        ("web", "https://b.test/"),
        ("web", "https://c.test/"),
        ("web", long_url),
    }
    assert store.completed_targets("absent") == set()


def a_finding(n: int, target: str) -> Finding:
    return make_finding(n, target=target, key=f"recipient-{n}.test")


def test_an_interrupted_scan_keeps_its_findings_and_resumes_without_doubling(db: str) -> None:
    store = Store.open(db)
    store.create_scan(Scan(id="s1", targets=["https://a.test/", "https://b.test/"]))
    for n in range(3):
        store.record_finding("s1", a_finding(n, "https://a.test/"))
    store.record_outcome("s1", outcome("https://a.test/", OutcomeStatus.OK, findings=3))
    store.record_outcome("s1", outcome("https://b.test/", OutcomeStatus.INTERRUPTED))
    store.close()  # no finish_scan: the process was interrupted

    resumed = Store.open(db)
    try:
        assert resumed.get_scan("s1").status == ScanStatus.RUNNING  # type: ignore[union-attr]
        assert len(resumed.findings("s1")) == 3
        assert resumed.completed_targets("s1") == {("web", "https://a.test/")}
        # --resume visits b.test again; a probe may re-emit a finding it already reported.
        new_flags = [resumed.record_finding("s1", a_finding(n, "https://b.test/")) for n in range(2)]
        new_flags.append(resumed.record_finding("s1", a_finding(0, "https://a.test/")))
        resumed.record_outcome("s1", outcome("https://b.test/", OutcomeStatus.OK, findings=2))
        resumed.finish_scan("s1", ScanStatus.COMPLETE, T0)

        assert new_flags == [True, True, False]
        assert len(resumed.findings("s1")) == 5
        assert len({finding.id for finding in resumed.findings("s1")}) == 5
        assert [o.status for o in resumed.outcomes("s1")] == [OutcomeStatus.OK, OutcomeStatus.OK]
    finally:
        resumed.close()


KILLED_WRITER = """
import sys, time
from phileak.model import Finding, Scan, Severity
from phileak.store import Store
store = Store.open(sys.argv[1])
store.create_scan(Scan(id="killed"))
for n in range(int(sys.argv[2])):
    store.record_finding("killed", Finding.create(
        probe="files", target=f"/srv/export-{n}.csv", kind="phi-in-file", severity=Severity.HIGH, title="t"))
print("recorded", flush=True)
time.sleep(600)
"""


def test_findings_survive_the_process_being_killed(db: str) -> None:
    command_line = [sys.executable, "-c", KILLED_WRITER, db, "25"]
    with subprocess.Popen(command_line, stdout=subprocess.PIPE, text=True, env=os.environ.copy()) as writer:
        try:
            assert writer.stdout is not None
            assert writer.stdout.readline() == "recorded\n"
        finally:
            writer.kill()  # SIGKILL: no close(), no finish_scan(), no atexit
            writer.wait(timeout=60)

    store = Store.open(db)
    try:
        assert {f.target for f in store.findings("killed")} == {f"/srv/export-{n}.csv" for n in range(25)}
        assert store.get_scan("killed").status == ScanStatus.RUNNING  # type: ignore[union-attr]
    finally:
        store.close()


def test_record_finding_is_safe_from_many_threads(store: Store) -> None:
    store.create_scan(Scan(id="s1"))
    shared = [make_finding(n) for n in range(40)]
    threads_count = 6
    own = {t: [make_finding(1000 + t * 10 + n) for n in range(10)] for t in range(threads_count)}
    results: list[bool] = []
    failures: list[BaseException] = []
    results_lock = threading.Lock()
    start = threading.Barrier(threads_count)

    def worker(index: int) -> None:
        batch = shared + own[index]
        random.Random(index).shuffle(batch)
        start.wait()
        try:
            flags = [store.record_finding("s1", finding) for finding in batch]
        except BaseException as exc:
            failures.append(exc)
            return
        with results_lock:
            results.extend(flags)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)

    expected = len(shared) + threads_count * 10
    assert failures == []
    assert len(results) == threads_count * 50
    assert results.count(True) == expected
    stored = store.findings("s1")
    assert len(stored) == expected
    assert {f.id for f in stored} == {f.id for f in shared} | {f.id for batch in own.values() for f in batch}


# Reading whole scans


def test_diff_tells_new_fixed_and_still(store: Store) -> None:
    kept, gone, appeared = make_finding(1), make_finding(2), make_finding(3)
    kept_now = kept.model_copy(update={"affected_individuals": 99})
    store.create_scan(Scan(id="old", started=T0))
    store.create_scan(Scan(id="new", started=T0 + timedelta(days=7)))
    for finding in (kept, gone):
        store.record_finding("old", finding)
    for finding in (appeared, kept_now):
        store.record_finding("new", finding)

    assert store.diff("old", "new") == ScanDiff(new=[appeared], fixed=[gone], still=[kept_now])
    assert store.diff("new", "new") == ScanDiff(new=[], fixed=[], still=[appeared, kept_now])
    with pytest.raises(InputError):
        store.diff("old", "absent")


def test_load_report_gathers_scan_findings_and_outcomes(store: Store) -> None:
    scan = Scan(id="s1", started=T0, targets=["https://a.test/"], command="phileak scan web https://a.test/")
    store.create_scan(scan)
    findings = [make_finding(1), make_finding(2, severity=Severity.LOW)]
    for finding in findings:
        store.record_finding("s1", finding)
    store.record_outcome("s1", outcome("https://a.test/", OutcomeStatus.OK, findings=2))
    store.finish_scan("s1", ScanStatus.COMPLETE, T0 + timedelta(minutes=1))

    report = store.load_report("s1")

    assert report.scan == store.get_scan("s1")
    assert report.findings == findings
    assert report.outcomes == [outcome("https://a.test/", OutcomeStatus.OK, findings=2)]
    contract = report.to_contract("test")
    assert contract["summary"]["findings"] == 2
    assert store.identity_key().hex() not in json.dumps(contract)
    with pytest.raises(InputError) as error:
        store.load_report("absent")
    assert "absent" in assert_one_line_input_error(error)


def test_a_closed_store_refuses_further_use(db: str) -> None:
    store = Store.open(db)
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        store.list_scans()


# Bad --db values

HIDDEN = "pw-Hidden-42"


def _closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing-directory", "does not exist"),
        ("not-a-database", "not a database"),
        ("a-directory", "is a directory"),
        ("unknown-scheme", "unsupported database URL scheme"),
        ("unparsable-url", "not a valid database URL"),
        ("unreachable-postgresql", "cannot open the database"),
        ("in-memory", "in-memory"),
        ("empty", "empty"),
    ],
)
def test_a_db_that_cannot_be_opened_is_a_one_line_input_error(
    tmp_path: Path, case: str, expected: str
) -> None:
    not_a_db = tmp_path / "notes.db"
    not_a_db.write_text("these are not the tables you are looking for\n" * 100)
    port = _closed_loopback_port()
    target = {
        "missing-directory": str(tmp_path / "no-such-dir" / "phileak.db"),
        "not-a-database": str(not_a_db),
        "a-directory": str(tmp_path),
        "unknown-scheme": f"mysql://auditor:{HIDDEN}@127.0.0.1/phileak",
        "unparsable-url": f"postgresql+psycopg://auditor:{HIDDEN}@127.0.0.1:not-a-port/phileak",
        "unreachable-postgresql": f"postgresql+psycopg://auditor:{HIDDEN}@127.0.0.1:{port}/phileak",
        "in-memory": "sqlite://",
        "empty": "",
    }[case]
    before = sorted(p.name for p in tmp_path.iterdir())

    with pytest.raises(InputError) as error:
        Store.open(target)

    assert expected in assert_one_line_input_error(error, HIDDEN)
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written half-way
    assert not_a_db.read_text().startswith("these are not")


@pytest.mark.postgres
def test_a_wrong_postgresql_password_is_a_one_line_error_without_either_password(
    postgres_url: str,
) -> None:
    right = password_of(postgres_url)
    with pytest.raises(InputError) as error:
        Store.open(postgres_url.replace(right, HIDDEN))
    assert "authentication failed" in assert_one_line_input_error(error, HIDDEN, right)


@pytest.mark.postgres
def test_postgresql_urls_hide_the_password_and_name_the_key_without_it(
    postgres_url: str, key_dir: Path
) -> None:
    password = password_of(postgres_url)
    store = Store.open(postgres_url)
    try:
        assert password not in store.url and "***" in store.url
        assert password not in repr(store) and password not in str(store)
        assert list(key_dir.iterdir()) == [store.key_path]
        same_database = postgres_url.replace("postgresql+psycopg://", "postgresql://").replace(
            password, "other"
        )
        assert locate(same_database).key_path == store.key_path
        assert locate(postgres_url.rsplit("/", 1)[0] + "/elsewhere").key_path != store.key_path
    finally:
        store.close()
