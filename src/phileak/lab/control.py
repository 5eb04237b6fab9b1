"""`phileak lab up|down|status`: start, watch and stop the lab's services on loopback."""

from __future__ import annotations

import fcntl
import os
import shlex
import shutil
import signal
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from phileak.lab import plan, process, state
from phileak.lab.ports import choose
from phileak.lab.readiness import wait_until_ready
from phileak.lab.service import LabService, PlanFragment, Runtime, ServiceState, ServiceStatus
from phileak.lab.state import ServiceRecord

DEFAULT_STATE_DIR = ".phileak-lab"
LOG_TAIL_LINES = 20
_UNKNOWN_SERVICE_STOP = (signal.SIGTERM, 10.0)


class Lab:
    """The lab under one state directory: state.json, plan.toml, logs/NAME.log, data/NAME/."""

    def __init__(self, state_dir: Path | None = None, services: Sequence[LabService] | None = None) -> None:
        if state_dir is None:
            state_dir = Path(os.environ.get("PHILEAK_LAB_DIR") or DEFAULT_STATE_DIR)
        if services is None:
            from phileak.lab.services import SERVICES

            services = SERVICES
        names = [service.name for service in services]
        if len(set(names)) != len(names):
            raise ValueError(f"lab service names must be unique: {names}")
        self.state_dir = state_dir.resolve()
        self.services = tuple(services)
        self.plan_path = self.state_dir / "plan.toml"
        self.state_path = self.state_dir / "state.json"
        self.logs_dir = self.state_dir / "logs"
        self.data_root = self.state_dir / "data"

    def up(self) -> list[ServiceStatus]:
        """Start every service not running yet (running ones are left alone), then write the plan."""
        with self._locked():
            records = state.load(self.state_path)
            taken = {
                port
                for record in records.values()
                if process.is_running(record.process)
                for port in record.ports.values()
            }
            statuses = [self._up_one(service, records, taken) for service in self.services]
            self._write_plan(records)
        return statuses

    def down(self) -> list[ServiceStatus]:
        """Stop every recorded process: stop signal to its group, SIGKILL after the timeout, wait for exit."""
        by_name = {service.name: service for service in self.services}
        with self._locked():
            records = state.load(self.state_path)
            statuses = []
            for name in self._names(records):
                record = records.get(name)
                if record is None:
                    statuses.append(ServiceStatus(name, ServiceState.STOPPED, "not running"))
                    continue
                service = by_name.get(name)
                sig, timeout = (
                    (service.stop_signal, service.stop_timeout) if service else _UNKNOWN_SERVICE_STOP
                )
                was_running = process.is_running(record.process)
                if not process.stop(record.process, sig, timeout):
                    statuses.append(
                        self._status(name, ServiceState.FAILED, "still running after SIGKILL", record)
                    )
                    continue
                del records[name]
                state.save(self.state_path, records)
                pid = record.process.pid
                detail = f"was pid {pid}" if was_running else f"not running (pid {pid} had exited)"
                statuses.append(ServiceStatus(name, ServiceState.STOPPED, detail, log_path=record.log))
            if not records:
                self.plan_path.unlink(missing_ok=True)
        return statuses

    def status(self) -> list[ServiceStatus]:
        records = state.load(self.state_path)
        statuses = []
        for name in self._names(records):
            record = records.get(name)
            if record is None:
                statuses.append(ServiceStatus(name, ServiceState.STOPPED, "not running"))
            elif process.is_running(record.process):
                statuses.append(self._status(name, ServiceState.RUNNING, "", record))
            else:
                detail = f"not running (pid {record.process.pid} has exited)"
                statuses.append(ServiceStatus(name, ServiceState.STOPPED, detail, log_path=record.log))
        return statuses

    def _up_one(
        self, service: LabService, records: dict[str, ServiceRecord], taken: set[int]
    ) -> ServiceStatus:
        name = service.name
        record = records.get(name)
        if record is not None and process.is_running(record.process):
            return self._status(name, ServiceState.RUNNING, "already running", record)
        if record is not None:
            del records[name]
            state.save(self.state_path, records)

        choice = choose(service.ports, taken)
        runtime = Runtime(name, choice.ports, self.data_root / name)
        argv = [str(word) for word in service.argv(runtime)]
        env = {**os.environ, **service.env}
        missing = _missing_binary(argv[0], env.get("PATH"))
        if missing:
            taken.difference_update(choice.ports.values())
            return ServiceStatus(name, ServiceState.UNAVAILABLE, missing)

        runtime.data_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log = self.logs_dir / f"{name}.log"
        if service.setup is not None:
            try:
                service.setup(runtime)
            except Exception as exc:
                return ServiceStatus(name, ServiceState.FAILED, f"setup step failed: {exc}")
        with log.open("a", encoding="utf-8") as out:
            out.write(
                f"--- {datetime.now().isoformat(timespec='seconds')} lab: starting {shlex.join(argv)}\n"
            )
            offset = out.tell()
        try:
            proc = process.spawn(argv, env=env, cwd=runtime.data_dir, log=log)
        except OSError as exc:
            return ServiceStatus(name, ServiceState.UNAVAILABLE, f"cannot run {argv[0]}: {exc.strerror}")
        record = ServiceRecord(proc, choice.ports, runtime.data_dir, log, tuple(argv))
        records[name] = record
        state.save(self.state_path, records)

        failure = wait_until_ready(
            service.ready, runtime, lambda: process.exit_status(proc), service.ready_timeout
        )
        if failure is None and service.load is not None:
            try:
                service.load(runtime)
            except Exception as exc:
                failure = f"load step failed: {exc}"
        if failure is not None:
            process.stop(proc, service.stop_signal, service.stop_timeout)
            del records[name]
            state.save(self.state_path, records)
            return ServiceStatus(
                name,
                ServiceState.FAILED,
                failure,
                ports=choice.ports,
                log_path=log,
                log_tail=_tail(log, offset),
            )
        return self._status(name, ServiceState.RUNNING, "; ".join(["started", *choice.notes]), record)

    def _write_plan(self, records: Mapping[str, ServiceRecord]) -> None:
        fragments: list[PlanFragment] = []
        allow: list[str] = []
        for service in self.services:
            record = records.get(service.name)
            if record is None or not process.is_running(record.process):
                continue
            if service.plan is not None:
                fragments.append(service.plan(Runtime(service.name, record.ports, record.data_dir)))
            allow.extend(service.allow)
        plan.write(self.plan_path, fragments, allow, date.today())

    def _names(self, records: Mapping[str, ServiceRecord]) -> list[str]:
        declared = [service.name for service in self.services]
        return declared + [name for name in records if name not in declared]

    @staticmethod
    def _status(name: str, state_: ServiceState, detail: str, record: ServiceRecord) -> ServiceStatus:
        return ServiceStatus(name, state_, detail, record.process.pid, record.ports, record.log)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """One `up`/`down` at a time per state directory."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.state_dir / "lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield


def _missing_binary(program: str, search_path: str | None) -> str:
    """Why `program` cannot be run, or "" when it can."""
    if "/" in program:
        if not Path(program).is_file():
            return f"{program} not found"
        return "" if os.access(program, os.X_OK) else f"{program} is not executable"
    return "" if shutil.which(program, path=search_path) else f"{program} not found on PATH"


def _tail(log: Path, offset: int) -> tuple[str, ...]:
    """The last lines this start wrote to `log` (everything after `offset`)."""
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            text = handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ()
    return tuple(text.splitlines()[-LOG_TAIL_LINES:])
