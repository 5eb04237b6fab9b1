"""The findings store: scans, per-target outcomes, findings and evidence, each committed as it arrives."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from phileak.errors import InputError
from phileak.model import Finding, OutcomeStatus, Scan, ScanReport, ScanStatus, TargetOutcome
from phileak.store.diff import ScanDiff, diff_findings
from phileak.store.engine import cannot_open, open_engine
from phileak.store.keyfile import load_or_create_key
from phileak.store.location import Location, locate
from phileak.store.migrate import is_phileak_store, upgrade
from phileak.store.schema import evidence, findings, scans, targets

# A target with one of these outcomes is not scanned again by --resume.
COMPLETED = (OutcomeStatus.OK, OutcomeStatus.OUT_OF_SCOPE, OutcomeStatus.SKIPPED)


class Store:
    """One phileak database (SQLite file or PostgreSQL) and its identity key. Open with `Store.open`.

    Every write is its own committed transaction, so an interrupted scan keeps all it recorded.
    Writes are serialised by one lock, so threads may share a Store."""

    url: str
    key_path: Path

    def __init__(self, engine: Engine, location: Location, key: bytes) -> None:
        self.url = location.shown
        self.key_path = location.key_path
        self._label = location.label
        self._engine = engine
        self._key = key
        self._write_lock = threading.Lock()
        self._closed = False

    @classmethod
    def open(cls, target: str | None = None) -> Store:
        """Open (creating if need be) the store at a path or SQLAlchemy URL; None means ./phileak.db.
        Migrates the schema to the newest revision. Raises InputError with a one-line message."""
        try:
            return cls._open(locate(target))
        except InputError as exc:
            raise InputError(_one_line(str(exc))) from None

    @classmethod
    def _open(cls, location: Location) -> Store:
        engine = open_engine(location)
        try:
            existed = is_phileak_store(engine)
            key = load_or_create_key(location.key_path, store_exists=existed, store_label=location.label)
            upgrade(engine, location.label)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise cannot_open(location, exc) from None
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, location, key)

    def identity_key(self) -> bytes:
        return self._key

    # Scans

    def create_scan(self, scan: Scan) -> None:
        """Record a new scan. Raises ValueError if a scan with this id is already stored."""
        try:
            with self._write() as connection:
                connection.execute(sa.insert(scans).values(id=scan.id, **_scan_columns(scan)))
        except IntegrityError:
            raise ValueError(f"scan {scan.id!r} is already in the store") from None

    def get_scan(self, scan_id: str) -> Scan | None:
        with self._read() as connection:
            data = connection.scalar(sa.select(scans.c.data).where(scans.c.id == scan_id))
        return None if data is None else Scan.model_validate(data)

    def latest_scan(self) -> Scan | None:
        """The most recently started scan."""
        query = sa.select(scans.c.data).order_by(scans.c.started.desc(), scans.c.pk.desc()).limit(1)
        with self._read() as connection:
            data = connection.scalar(query)
        return None if data is None else Scan.model_validate(data)

    def list_scans(self) -> list[Scan]:
        """Every scan, oldest first."""
        query = sa.select(scans.c.data).order_by(scans.c.started, scans.c.pk)
        with self._read() as connection:
            return [Scan.model_validate(data) for data in connection.scalars(query)]

    def finish_scan(self, scan_id: str, status: ScanStatus, finished: datetime) -> None:
        """Set a scan's final status and end time. Raises LookupError for an unknown scan."""
        with self._write() as connection:
            query = sa.select(scans.c.data).where(scans.c.id == scan_id).with_for_update()
            data = connection.scalar(query)
            if data is None:
                raise LookupError(f"no scan {scan_id!r} in the store")
            scan = Scan.model_validate({**data, "status": status, "finished": finished})
            connection.execute(sa.update(scans).where(scans.c.id == scan_id).values(_scan_columns(scan)))

    # Findings and outcomes, written as they are found

    def record_finding(self, scan_id: str, finding: Finding) -> bool:
        """Store a finding, or replace the one with the same id in this scan. True if it was new.
        Raises LookupError for an unknown scan."""
        columns = _finding_columns(finding)
        proof = finding.evidence.model_dump(mode="json")
        with self._write() as connection:
            insert = self._insert(findings).values(scan_id=scan_id, finding_id=finding.id, **columns)
            try:
                pk = connection.scalar(
                    insert.on_conflict_do_nothing(index_elements=["scan_id", "finding_id"]).returning(
                        findings.c.pk
                    )
                )
            except IntegrityError:
                raise LookupError(f"no scan {scan_id!r} in the store") from None
            is_new = pk is not None
            if not is_new:
                pk = connection.scalar(
                    sa.update(findings)
                    .where(findings.c.scan_id == scan_id, findings.c.finding_id == finding.id)
                    .values(columns)
                    .returning(findings.c.pk)
                )
            upsert = self._insert(evidence).values(finding_pk=pk, data=proof)
            refresh = {"data": upsert.excluded.data}
            connection.execute(upsert.on_conflict_do_update(index_elements=["finding_pk"], set_=refresh))
        return is_new

    def record_outcome(self, scan_id: str, outcome: TargetOutcome) -> None:
        """Store how one (probe, target) went, replacing an earlier outcome for it in this scan.
        Raises LookupError for an unknown scan."""
        columns = {
            "target": outcome.target,
            "status": outcome.status.value,
            "findings": outcome.findings,
            "data": outcome.model_dump(mode="json"),
        }
        row = {"scan_id": scan_id, "probe": outcome.probe, "target_key": _target_key(outcome.target)}
        upsert = self._insert(targets).values(**row, **columns)
        statement = upsert.on_conflict_do_update(
            index_elements=["scan_id", "probe", "target_key"],
            set_={name: upsert.excluded[name] for name in columns},
        )
        try:
            with self._write() as connection:
                connection.execute(statement)
        except IntegrityError:
            raise LookupError(f"no scan {scan_id!r} in the store") from None

    def completed_targets(self, scan_id: str) -> set[tuple[str, str]]:
        """(probe, target) pairs a resumed scan skips: their outcome is ok, out-of-scope or skipped."""
        query = sa.select(targets.c.probe, targets.c.target).where(
            targets.c.scan_id == scan_id, targets.c.status.in_([status.value for status in COMPLETED])
        )
        with self._read() as connection:
            return {(probe, target) for probe, target in connection.execute(query)}

    def findings(self, scan_id: str) -> list[Finding]:
        """The scan's findings in the order first recorded (empty for an unknown scan)."""
        query = (
            sa.select(findings.c.data.label("finding"), evidence.c.data.label("evidence"))
            .select_from(findings.outerjoin(evidence, evidence.c.finding_pk == findings.c.pk))
            .where(findings.c.scan_id == scan_id)
            .order_by(findings.c.pk)
        )
        with self._read() as connection:
            rows = connection.execute(query).all()
        return [Finding.model_validate({**row.finding, "evidence": row.evidence or {}}) for row in rows]

    def outcomes(self, scan_id: str) -> list[TargetOutcome]:
        """The scan's per-target outcomes in the order first recorded (empty for an unknown scan)."""
        query = sa.select(targets.c.data).where(targets.c.scan_id == scan_id).order_by(targets.c.pk)
        with self._read() as connection:
            return [TargetOutcome.model_validate(data) for data in connection.scalars(query)]

    # Reading whole scans

    def load_report(self, scan_id: str) -> ScanReport:
        """The scan with its findings and outcomes. Raises InputError for an unknown scan."""
        scan = self._require_scan(scan_id)
        return ScanReport(scan=scan, findings=self.findings(scan_id), outcomes=self.outcomes(scan_id))

    def diff(self, old_scan_id: str, new_scan_id: str) -> ScanDiff:
        """Findings new in, fixed by, and still present in the new scan. InputError for an unknown scan."""
        self._require_scan(old_scan_id)
        self._require_scan(new_scan_id)
        return diff_findings(self.findings(old_scan_id), self.findings(new_scan_id))

    def close(self) -> None:
        self._closed = True
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store(url={self.url!r}, key_path={str(self.key_path)!r})"

    def _require_scan(self, scan_id: str) -> Scan:
        scan = self.get_scan(scan_id)
        if scan is None:
            raise InputError(_one_line(f"no scan '{scan_id}' in the store {self._label}"))
        return scan

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        self._check_open()
        with self._engine.connect() as connection:
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        self._check_open()
        with self._write_lock, self._engine.begin() as connection:
            yield connection

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError(f"the store {self._label} is closed")

    def _insert(self, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
        """The backend's INSERT, which knows ON CONFLICT (SQLite and PostgreSQL spell it alike)."""
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)


def _scan_columns(scan: Scan) -> dict[str, Any]:
    return {
        "started": scan.started,
        "finished": scan.finished,
        "status": scan.status.value,
        "command": scan.command,
        "data": scan.model_dump(mode="json"),
    }


def _finding_columns(finding: Finding) -> dict[str, Any]:
    return {
        "probe": finding.probe,
        "target": finding.target,
        "kind": finding.kind,
        "severity": finding.severity.value,
        "affected_individuals": finding.affected_individuals,
        "data": finding.model_dump(mode="json", exclude={"evidence"}),
    }


def _target_key(target: str) -> str:
    return hashlib.sha256(target.encode()).hexdigest()


def _one_line(text: str) -> str:
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
