"""Hard per-call isolation: run a function in a child process that phileak can kill.

A thread cannot be stopped, so blocking libraries that parse hostile files or talk to hostile peers
(pynetdicom, pypdfium2, ...) run through `run_isolated`. The child gets phileak's own limits: wall-clock
(the child is killed), address space (RLIMIT_AS) and the size of the pickled result. Every failure comes
back as a phileak error with a one-line message scrubbed by phileak.logsafe, never a traceback.

This contains crashes and runaway resource use; it is not a security sandbox (same user, same files).
Children come from a 'forkserver', so the parent's threads, sockets and database connections are never
forked. This module imports only phileak.errors at run time: each child imports it, so it must stay light.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import multiprocessing
import os
import pickle
import resource
import signal
import struct
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing import spawn
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext, ForkServerProcess
from typing import TYPE_CHECKING, Any, TypeVar, cast

from phileak.errors import InputError, LimitExceeded, PhileakError, ScopeViolation, TransientError

if TYPE_CHECKING:
    from phileak.probes.base import Limits

T = TypeVar("T")

_MAX_RAW_MESSAGE = 4000
_HEADER = struct.Struct("!Q")
_ENVELOPE_SLACK = 64 * 1024
_EXIT_GRACE_S = 5.0
_READ_CHUNK = 1 << 20
# Errors rebuilt as themselves in the parent, so that e.g. the runner still retries a TransientError.
_REBUILT: dict[str, type[PhileakError]] = {
    cls.__name__: cls for cls in (TransientError, LimitExceeded, InputError, PhileakError)
}


class IsolatedFailure(PhileakError):
    """The isolated function raised an error that is not a phileak error, or its process died."""


def _scrubbed_line(text: str) -> str:
    # Imported here: logsafe is preloaded in the forkserver, and the parent only needs it on failure.
    from phileak.logsafe import scrub

    return " ".join(scrub(text[:_MAX_RAW_MESSAGE]).split())


# ---------------------------------------------------------------- parent side


async def run_isolated(fn: Callable[..., T], *args: Any, limits: Limits) -> T:
    """Run `fn(*args)` (a picklable top-level function) in a child process under `limits`; return its result.

    Raises LimitExceeded when the wall clock (`timeout_s`, the child is killed), the memory limit
    (`max_memory_mb` as RLIMIT_AS) or the result size (`max_bytes` pickled) is exceeded; a TransientError,
    LimitExceeded, InputError or ScopeViolation raised by `fn` as the same type; anything else as
    IsolatedFailure. TypeError if `fn` or `args` cannot be pickled. Cancelling the caller kills the child."""
    payload = _pickle_call(fn, args)
    context = _forkserver()
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(
        target=_child_main,
        args=(writer, payload, limits.max_memory_mb, limits.max_bytes),
        name=_CHILD if getattr(fn, "__module__", None) != "__main__" else _CHILD_OF_MAIN,
        daemon=True,
    )
    try:
        await _start(process)
    except BaseException:
        reader.close()
        raise
    finally:
        writer.close()
    message: bytearray | None = None
    exitcode: int | None = None
    try:
        async with asyncio.timeout(limits.timeout_s):
            message = await _read_message(reader, limits.max_bytes + _ENVELOPE_SLACK)
    except TimeoutError:
        raise LimitExceeded(
            f"isolated call killed at phileak's wall-clock limit of {limits.timeout_s:g}s"
        ) from None
    finally:
        reader.close()
        exitcode = await _reap(process, grace_s=_EXIT_GRACE_S if message else 0.0)
    return cast(T, _result(message, exitcode, limits))


async def _start(process: ForkServerProcess) -> None:
    """Start the child off the event loop: the fork server answers with the child's pid only after forking
    (about 15 ms), and many sessions start at once. A cancelled caller still gets its child killed."""
    started = asyncio.get_running_loop().run_in_executor(_STARTER, process.start)
    try:
        await asyncio.shield(started)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await started
        if process.pid is not None:
            process.kill()
            process.join()
        raise


def run_isolated_sync(fn: Callable[..., T], *args: Any, limits: Limits) -> T:
    """`run_isolated` for synchronous code (a worker thread, a script); not inside a running event loop."""
    return asyncio.run(run_isolated(fn, *args, limits=limits))


_PRELOAD: list[str] = [__name__, "phileak.logsafe"]
_CHILD, _CHILD_OF_MAIN = "phileak-isolated", "phileak-isolated-main"
_STARTER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="phileak-isolation-start")
_preparation_data = spawn.get_preparation_data


def _preparation_without_main(name: str) -> dict[str, Any]:
    """multiprocessing re-runs the main script in every child (about 0.1 s when it imports phileak's models):
    a child that calls a function of an importable module does not need it."""
    data: dict[str, Any] = _preparation_data(name)
    if name == _CHILD:
        data.pop("init_main_from_path", None)
        data.pop("init_main_from_name", None)
    return data


spawn.get_preparation_data = _preparation_without_main


def preload(*modules: str) -> None:
    """Import these modules once in the forkserver, so each isolated child starts with them loaded (a probe
    calls this at import time). Only effective before the first isolated call of the process starts the server."""
    _PRELOAD.extend(module for module in modules if module not in _PRELOAD)


def _forkserver() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(_PRELOAD))
    return context


def _pickle_call(fn: Callable[..., Any], args: tuple[Any, ...]) -> bytes:
    try:
        return pickle.dumps((fn, args), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        name = getattr(fn, "__qualname__", type(fn).__name__)
        raise TypeError(f"run_isolated needs a picklable top-level function and arguments ({name})") from None


async def _read_message(reader: Connection, cap: int, *, framed: bool = False) -> bytearray | None:
    """What the child writes: everything until it closes the pipe, or (`framed`) one length-prefixed answer
    from a worker that stays alive. None past `cap` bytes, or when a worker's pipe closes mid-answer."""
    loop = asyncio.get_running_loop()
    fd = reader.fileno()
    os.set_blocking(fd, False)
    received = bytearray()
    finished: asyncio.Future[bool] = loop.create_future()

    def on_readable() -> None:
        while not finished.done():
            try:
                chunk = os.read(fd, _READ_CHUNK)
            except BlockingIOError:
                return
            except OSError as exc:
                finished.set_exception(exc)
                return
            if not chunk:
                finished.set_result(not framed)
                return
            received.extend(chunk)
            if not framed:
                if len(received) > cap:
                    finished.set_result(False)
            elif len(received) >= _HEADER.size:
                announced = _HEADER.unpack_from(received)[0]
                if announced > cap:
                    finished.set_result(False)
                elif len(received) >= _HEADER.size + announced:
                    finished.set_result(True)

    loop.add_reader(fd, on_readable)
    try:
        complete = await finished
    finally:
        loop.remove_reader(fd)
    return received if complete else None


async def _reap(process: ForkServerProcess, grace_s: float) -> int | None:
    """Wait up to `grace_s` for the child to exit, kill it if it has not; return its exit status."""
    if process.exitcode is None and grace_s > 0:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace_s):
                await _readable(process.sentinel)
    if process.exitcode is None:
        process.kill()
        await _readable(process.sentinel)
    process.join()
    exitcode = process.exitcode
    process.close()
    return exitcode


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def on_readable() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, on_readable)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def _result(message: bytearray | None, exitcode: int | None, limits: Limits) -> Any:
    if message is None:
        raise LimitExceeded(f"isolated result is larger than phileak's limit of {limits.max_bytes} bytes")
    if len(message) < _HEADER.size or _HEADER.unpack_from(message)[0] != len(message) - _HEADER.size:
        raise IsolatedFailure(_death_reason(exitcode, limits))
    kind, value = pickle.loads(memoryview(message)[_HEADER.size :])  # noqa: S301 - written by our own child
    if kind == "ok":
        return value
    if kind == "limit":
        raise LimitExceeded(value)
    raise _rebuilt_error(value)


def _death_reason(exitcode: int | None, limits: Limits) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            how = f"was killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            how = f"was killed by signal {-exitcode}"
        return f"isolated process {how} (memory limit {limits.max_memory_mb} MB) before returning a result"
    return f"isolated process exited with status {exitcode} before returning a result"


def _rebuilt_error(info: dict[str, str | None]) -> PhileakError:
    base, type_name, message = info["base"], info["type"] or "Exception", info["message"] or ""
    if base == "ScopeViolation":
        return ScopeViolation(info["subject"] or "?", info["reason"] or "")
    # Scrubbed in the child with the values it registered, and here with the parent's.
    text = _scrubbed_line(message)
    if base in _REBUILT:
        if type_name != base:
            text = f"{type_name}: {text}" if text else type_name
        return _REBUILT[base](text)
    return IsolatedFailure(f"{type_name}: {text}" if text else type_name)


# ---------------------------------------------------------------- child side


class _TooLarge(Exception):
    pass


_NO_STATE: Any = object()


class _CappedBuffer(io.BytesIO):
    def __init__(self, cap: int) -> None:
        super().__init__()
        self._cap = cap

    def write(self, data: Any) -> int:
        if self.tell() + memoryview(data).nbytes > self._cap:
            raise _TooLarge
        return super().write(data)


def _child_main(writer: Connection, payload: bytes, max_memory_mb: int, max_bytes: int) -> None:
    # Ctrl-C reaches the whole process group; the parent decides, and kills this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Library chatter and tracebacks about hostile input stay out of the terminal and the logs.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    body = _contained_call(payload, max_memory_mb, max_bytes)
    _write_all(writer.fileno(), _HEADER.pack(len(body)))
    _write_all(writer.fileno(), body)
    writer.close()


def _write_all(fd: int, data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _contained_call(payload: bytes, max_memory_mb: int, max_bytes: int, state: Any = _NO_STATE) -> bytes | memoryview:
    """The pickled ("ok", result), ("limit", message) or ("error", details) for the parent. A worker's calls
    get its `state` as their first argument."""
    out_of_memory = too_large = False
    try:
        _apply_limits(max_memory_mb)
        fn, args = pickle.loads(payload)  # noqa: S301 - pickled by our own parent
        if state is not _NO_STATE:
            args = (state, *args)
        buffer = _CappedBuffer(max_bytes)
        pickle.dump(("ok", fn(*args)), buffer, protocol=pickle.HIGHEST_PROTOCOL)
        return buffer.getbuffer()
    except MemoryError:
        out_of_memory = True
    except _TooLarge:
        too_large = True
    except BaseException as exc:  # every failure goes back to the parent as data
        return pickle.dumps(("error", _error_details(exc)))
    # Outside the except blocks: the traceback, and what its frames held, is freed by now.
    if out_of_memory:
        return pickle.dumps(("limit", f"isolated call reached phileak's memory limit of {max_memory_mb} MB"))
    assert too_large
    return pickle.dumps(("limit", f"isolated result is larger than phileak's limit of {max_bytes} bytes"))


def _apply_limits(max_memory_mb: int) -> None:
    # A crash must not write a core file full of patient data.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    limit = max_memory_mb * 1024 * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _error_details(exc: BaseException) -> dict[str, str | None]:
    base = next((cls.__name__ for cls in type(exc).__mro__ if cls.__module__ == "phileak.errors"), None)
    violation = exc if isinstance(exc, ScopeViolation) else None
    try:
        message = _scrubbed_line(str(exc))
    except Exception:
        message = "<unprintable message>"
    return {
        "base": base,
        "type": type(exc).__name__,
        "message": message,
        "subject": violation.subject if violation else None,
        "reason": violation.reason if violation else None,
    }


# ---------------------------------------------------------------- a long-lived isolated worker


class IsolatedWorker:
    """One long-lived child process for calls that share costly state (the PHI engine's compiled detectors):
    `setup(*setup_args)` runs once in the child and its result is passed as the first argument of every call.
    Each call has the same guarantees as `run_isolated`: a wall-clock limit (the worker is killed, and the next
    call starts a fresh one), the address-space limit (RLIMIT_AS, for the worker's whole life) and a result
    size cap; failures come back as phileak errors. One call at a time; callers queue on a lock.

    Use it only for work on input that phileak has already bounded (extracted text), not for parsing hostile
    bytes: a call that exhausts memory costs the worker, and the next call waits for a new one to set up."""

    def __init__(self, setup: Callable[..., Any], *setup_args: Any, max_memory_mb: int, name: str) -> None:
        self._setup = _pickle_call(setup, setup_args)
        self._max_memory_mb = max_memory_mb
        self._name = name
        self._process: ForkServerProcess | None = None
        self._requests: Connection | None = None
        self._answers: Connection | None = None
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    async def call(self, fn: Callable[..., T], *args: Any, timeout_s: float, max_bytes: int) -> T:
        payload = _pickle_call(fn, args)
        async with self._call_lock():
            if self._process is None or self._process.exitcode is not None:
                await self._start()
            assert self._requests is not None and self._answers is not None
            try:
                async with asyncio.timeout(timeout_s):
                    await _send_frame(self._requests, payload, max_bytes)
                    message = await _read_message(self._answers, max_bytes + _ENVELOPE_SLACK, framed=True)
            except TimeoutError:
                await self.close()
                raise LimitExceeded(f"worker call killed at phileak's wall-clock limit of {timeout_s:g}s") from None
            except BaseException:
                await self.close()
                raise
            if message is None:  # the worker died (or announced an oversized answer): reap it for its status
                exitcode = await self._stop(grace_s=_EXIT_GRACE_S)
                limits = _WorkerLimits(self._max_memory_mb, max_bytes)
                raise IsolatedFailure(_death_reason(exitcode, limits))  # type: ignore[arg-type]
            return cast(T, _result(message, 0, _WorkerLimits(self._max_memory_mb, max_bytes)))  # type: ignore[arg-type]

    def _call_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def _start(self) -> None:
        await self.close()
        context = _forkserver()
        requests_reader, requests_writer = context.Pipe(duplex=False)
        answers_reader, answers_writer = context.Pipe(duplex=False)
        process = context.Process(
            target=_worker_main,
            args=(requests_reader, answers_writer, self._setup, self._max_memory_mb),
            name=_CHILD,
            daemon=True,
        )
        try:
            await _start(process)
        finally:
            requests_reader.close()
            answers_writer.close()
        self._process, self._requests, self._answers = process, requests_writer, answers_reader

    def _detach(self) -> ForkServerProcess | None:
        """Close the pipes (the worker sees the end of its input) and hand back its process."""
        process, self._process = self._process, None
        for connection in (self._requests, self._answers):
            if connection is not None:
                with contextlib.suppress(OSError):
                    connection.close()
        self._requests = self._answers = None
        return process

    async def close(self) -> None:
        """Stop the worker (it is started again by the next call)."""
        await self._stop(grace_s=0.0)

    async def _stop(self, grace_s: float) -> int | None:
        process = self._detach()
        return await _reap(process, grace_s=grace_s) if process is not None else None

    def close_sync(self) -> None:
        """`close` outside an event loop (at exit)."""
        process = self._detach()
        if process is not None and process.exitcode is None:
            process.kill()
            process.join()


class _WorkerLimits:
    """The two limits `_result` and `_death_reason` report."""

    def __init__(self, max_memory_mb: int, max_bytes: int) -> None:
        self.max_memory_mb = max_memory_mb
        self.max_bytes = max_bytes


async def _send_frame(connection: Connection, payload: bytes, max_bytes: int) -> None:
    """Write one request as the worker reads it, from the event loop: a large batch waits for the worker without
    blocking the loop, and a call that times out stops writing at once. (A thread writing the raw descriptor
    went on after the timeout had closed the pipe, into whichever pipe took the descriptor's number next.)"""
    loop = asyncio.get_running_loop()
    fd = connection.fileno()
    os.set_blocking(fd, False)
    pending = memoryview(_HEADER.pack(len(payload)) + _HEADER.pack(max_bytes) + payload)
    while pending:
        try:
            pending = pending[os.write(fd, pending) :]
            continue
        except BlockingIOError:
            pass
        writable: asyncio.Future[None] = loop.create_future()
        loop.add_writer(fd, _settle, writable)
        try:
            await writable
        finally:
            loop.remove_writer(fd)


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, min(_READ_CHUNK, size - len(chunks)))
        if not chunk:
            return None
        chunks.extend(chunk)
    return bytes(chunks)


def _worker_main(requests: Connection, answers: Connection, setup: bytes, max_memory_mb: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    _apply_limits(max_memory_mb)
    setup_fn, setup_args = pickle.loads(setup)  # noqa: S301 - pickled by our own parent
    state = setup_fn(*setup_args)
    fd_in, fd_out = requests.fileno(), answers.fileno()
    while True:
        header = _read_exactly(fd_in, 2 * _HEADER.size)
        if header is None:
            return  # the parent closed the pipe
        size, max_bytes = _HEADER.unpack_from(header)[0], _HEADER.unpack_from(header, _HEADER.size)[0]
        payload = _read_exactly(fd_in, size)
        if payload is None:
            return
        body = _contained_call(payload, max_memory_mb, max_bytes, state)
        _write_all(fd_out, _HEADER.pack(len(body)))
        _write_all(fd_out, body)
