"""A throwaway PostgreSQL for tests, from Debian's server binaries.

    with PostgresServer() as server:      # initdb + start on 127.0.0.1, a free port; ~2-4 s
        url = server.create_database()    # postgresql+psycopg://phileak:...@127.0.0.1:PORT/t_...

As pytest fixtures: `postgres_server` (one server per session) and `postgres_url` (a fresh database per
test, dropped afterwards). Import both into a test module or conftest to use them; tests that need them are
skipped, with the reason, when the binaries are absent.

As root, every server command runs as the `postgres` system user (`runuser -u postgres --`), since the
server refuses to run as root. The data directory and the unix socket live in one temp dir owned by that
user; it is removed on stop. The server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import psycopg
import pytest
from psycopg import sql

PG_BIN = Path(os.environ.get("PHILEAK_PG_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"
SUPERUSER = "phileak"
# A password, so that tests can check it never leaks into messages, reprs or key file names.
PASSWORD = "pg-Secret-7f3a"
START_ATTEMPTS = 3


def unavailable_reason() -> str | None:
    """Why no server can be started here, or None if one can."""
    for tool in ("initdb", "pg_ctl", "postgres"):
        if not (PG_BIN / tool).is_file():
            return f"PostgreSQL server binaries not found: no {PG_BIN / tool} (apt-get install postgresql-15)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root needs runuser to start PostgreSQL as another user"
        try:
            pwd.getpwnam(OS_USER)
        except KeyError:
            return f"running as root needs the '{OS_USER}' system user to start PostgreSQL"
    return None


class PostgresServer:
    def __init__(self, bin_dir: Path = PG_BIN) -> None:
        self.bin_dir = bin_dir
        self.port = 0
        self._root: Path | None = None

    @property
    def root(self) -> Path:
        if self._root is None:
            raise RuntimeError("the PostgreSQL server is not started")
        return self._root

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def url(self, database: str = "postgres", *, password: str | None = PASSWORD) -> str:
        credentials = SUPERUSER if password is None else f"{SUPERUSER}:{password}"
        return f"postgresql+psycopg://{credentials}@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        # Under /tmp, not $TMPDIR: the postgres user must be able to reach it (pytest's dirs are 0700 root).
        self._root = Path(tempfile.mkdtemp(prefix="phileak-pg-", dir="/tmp" if os.geteuid() == 0 else None))
        try:
            self._own(self.root)
            self._initdb()
            self._start_on_free_port()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self._root is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._stop_server()
        finally:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL (with the password)."""
        name = name or f"t_{secrets.token_hex(6)}"
        with self._admin() as connection:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with self._admin() as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )

    def _admin(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            password=PASSWORD,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        )

    def _initdb(self) -> None:
        password_file = self.root / "password"
        password_file.write_text(PASSWORD + "\n")
        self._own(password_file)
        self._run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            SUPERUSER,
            f"--pwfile={password_file}",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        )
        password_file.unlink()

    def _start_on_free_port(self) -> None:
        for attempt in range(START_ATTEMPTS):
            self.port = _free_port()
            options = (
                f"-h 127.0.0.1 -p {self.port} -k {self.root} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            try:
                self._run(
                    "pg_ctl",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self.root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "-o",
                    options,
                    "start",
                )
                return
            except subprocess.CalledProcessError:
                if attempt == START_ATTEMPTS - 1:  # another process may have taken the port meanwhile
                    raise RuntimeError(f"PostgreSQL did not start:\n{self._log_tail()}") from None

    def _stop_server(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "-t", "60", "stop")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            pid = _postmaster_pid(self.data_dir)
            if pid is not None:
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid)

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin_dir / tool), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OS_USER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120, cwd=self.root)

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, OS_USER, OS_USER)

    def _log_tail(self) -> str:
        log = self.root / "server.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else "(no log)"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    reason = unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    with PostgresServer() as server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database on the session's server (dropped after the test)."""
    name = f"t_{secrets.token_hex(6)}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)
