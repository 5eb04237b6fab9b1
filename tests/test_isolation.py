"""run_isolated: a child process phileak can kill, under its own wall-clock, memory and size limits."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import time
from pathlib import Path

import pytest

from phileak import isolation, logsafe
from phileak.errors import LimitExceeded, ScopeViolation, TransientError
from phileak.isolation import IsolatedFailure, IsolatedWorker, run_isolated, run_isolated_sync
from phileak.probes.base import Limits

LIMITS = Limits(timeout_s=60.0, max_memory_mb=256, max_bytes=1024 * 1024)


# Top-level functions: the child imports this module to find them.


def add(a: int, b: int) -> dict[str, int]:
    return {"sum": a + b, "pid": os.getpid()}


def allocate_gigabytes(count: int) -> int:
    block = bytearray(count * 1024 * 1024 * 1024)
    return len(block)


def allocate_gradually() -> int:
    blocks = []
    while True:
        blocks.append(bytearray(16 * 1024 * 1024))


def sleep_forever(pid_file: str) -> None:
    Path(pid_file).write_text(str(os.getpid()))
    time.sleep(600)


def raise_value_error() -> None:
    raise ValueError("bad header\nsecond line of detail")


def raise_with_identifiers() -> None:
    logsafe.register("Jane Example")  # registered in the child only: the parent never sees the value
    raise ValueError("patient Jane Example <jane.example@example.test> has no study")


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no")


def raise_unprintable() -> None:
    raise Unprintable


def raise_transient() -> None:
    raise TransientError("connection reset by peer")


def raise_scope_violation() -> None:
    raise ScopeViolation("https://elsewhere.test/", "redirect outside the scope")


def return_bytes(size: int) -> bytes:
    return b"x" * size


def die_by_signal() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def child_limits() -> tuple[int, int]:
    return resource.getrlimit(resource.RLIMIT_AS)[0], resource.getrlimit(resource.RLIMIT_CORE)[0]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_returns_the_value_from_another_process() -> None:
    result = await run_isolated(add, 2, 3, limits=LIMITS)
    assert result["sum"] == 5
    assert result["pid"] != os.getpid()


async def test_child_runs_under_the_memory_limit_without_core_dumps() -> None:
    address_space, core = await run_isolated(child_limits, limits=LIMITS)
    assert address_space == 256 * 1024 * 1024
    assert core == 0


async def test_allocating_4_gb_under_256_mb_is_a_limit_and_the_parent_lives() -> None:
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="memory limit of 256 MB"):
        await run_isolated(allocate_gigabytes, 4, limits=LIMITS)
    assert time.monotonic() - started < 30
    assert (await run_isolated(add, 1, 1, limits=LIMITS))["sum"] == 2


async def test_gradual_allocation_hits_the_memory_limit() -> None:
    with pytest.raises(LimitExceeded, match="memory limit"):
        await run_isolated(allocate_gradually, limits=LIMITS)


async def test_sleeping_child_is_killed_at_the_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="wall-clock limit of 1s"):
        await run_isolated(sleep_forever, str(pid_file), limits=Limits(timeout_s=1.0))
    assert time.monotonic() - started < 30
    assert _gone(int(pid_file.read_text()))


async def test_cancelling_the_caller_kills_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    task = asyncio.create_task(run_isolated(sleep_forever, str(pid_file), limits=LIMITS))
    for _ in range(300):
        if pid_file.exists() and pid_file.read_text():
            break
        await asyncio.sleep(0.1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _gone(int(pid_file.read_text()))


async def test_raising_child_gives_a_clean_one_line_error() -> None:
    with pytest.raises(IsolatedFailure) as caught:
        await run_isolated(raise_value_error, limits=LIMITS)
    message = str(caught.value)
    assert message.startswith("ValueError")
    assert "\n" not in message
    assert "Traceback" not in message


async def test_raising_child_message_is_scrubbed_with_the_childs_registered_values() -> None:
    with pytest.raises(IsolatedFailure) as caught:
        await run_isolated(raise_with_identifiers, limits=LIMITS)
    message = str(caught.value)
    assert message.startswith("ValueError: patient ")
    assert "Jane" not in message
    assert "jane.example@example.test" not in message
    assert "has no study" in message


async def test_unprintable_exception_still_comes_back_clean() -> None:
    with pytest.raises(IsolatedFailure, match="Unprintable: <unprintable message>"):
        await run_isolated(raise_unprintable, limits=LIMITS)


async def test_phileak_errors_keep_their_type() -> None:
    with pytest.raises(TransientError):
        await run_isolated(raise_transient, limits=LIMITS)
    with pytest.raises(ScopeViolation) as caught:
        await run_isolated(raise_scope_violation, limits=LIMITS)
    assert caught.value.subject == "https://elsewhere.test/"
    assert caught.value.reason == "redirect outside the scope"


async def test_result_larger_than_max_bytes_is_a_limit() -> None:
    small = Limits(timeout_s=60.0, max_bytes=10_000)
    assert len(await run_isolated(return_bytes, 1_000, limits=small)) == 1_000
    with pytest.raises(LimitExceeded, match="10000 bytes"):
        await run_isolated(return_bytes, 100_000, limits=small)


async def test_child_killed_by_a_signal_is_reported() -> None:
    with pytest.raises(IsolatedFailure, match="SIGKILL"):
        await run_isolated(die_by_signal, limits=LIMITS)


async def test_several_isolated_calls_run_at_once() -> None:
    results = await asyncio.gather(*(run_isolated(add, n, n, limits=LIMITS) for n in range(6)))
    assert [r["sum"] for r in results] == [2 * n for n in range(6)]
    assert len({r["pid"] for r in results}) == 6


async def test_unpicklable_function_is_refused_in_the_parent() -> None:
    with pytest.raises(TypeError, match="picklable"):
        await run_isolated(lambda: 1, limits=LIMITS)


def test_sync_variant() -> None:
    assert run_isolated_sync(add, 20, 22, limits=LIMITS)["sum"] == 42
    with pytest.raises(LimitExceeded):
        run_isolated_sync(allocate_gigabytes, 4, limits=LIMITS)


def test_children_do_not_rerun_the_main_script() -> None:
    """multiprocessing re-runs __main__ in every spawned child (0.1 s for phileak's CLI); isolated calls to
    functions of importable modules skip it, a function defined in __main__ keeps it."""
    from multiprocessing import spawn

    from phileak import isolation

    assert not {"init_main_from_path", "init_main_from_name"} & set(spawn.get_preparation_data(isolation._CHILD))
    kept = spawn.get_preparation_data(isolation._CHILD_OF_MAIN)
    assert kept.keys() == spawn.get_preparation_data("any-other-process").keys()


# ---------------------------------------------------------------- the long-lived worker


def make_state(seed: int) -> dict[str, int]:
    return {"seed": seed, "pid": os.getpid(), "calls": 0}


def use_state(state: dict[str, int], value: int) -> tuple[int, int, int]:
    state["calls"] += 1
    return state["seed"] + value, state["pid"], state["calls"]


def state_then_sleep(state: dict[str, int], seconds: float) -> int:
    time.sleep(seconds)
    return state["pid"]


def state_then_die(state: dict[str, int]) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def state_then_raise(state: dict[str, int]) -> None:
    raise TransientError("upstream went away")


def state_then_bytes(state: dict[str, int], size: int) -> bytes:
    return b"x" * size


def state_then_allocate(state: dict[str, int]) -> int:
    return len(bytearray(4 * 1024 * 1024 * 1024))


async def test_a_worker_keeps_its_state_across_calls_and_restarts_after_a_kill() -> None:
    worker = IsolatedWorker(make_state, 40, max_memory_mb=256, name="test-worker")
    try:
        first = await worker.call(use_state, 2, timeout_s=30, max_bytes=4096)
        second = await worker.call(use_state, 3, timeout_s=30, max_bytes=4096)
        assert (first[0], second[0]) == (42, 43)
        assert first[1] == second[1] != os.getpid()  # one process, set up once
        assert (first[2], second[2]) == (1, 2)

        started = time.monotonic()
        with pytest.raises(LimitExceeded, match="wall-clock"):
            await worker.call(state_then_sleep, 60, timeout_s=0.5, max_bytes=4096)
        assert time.monotonic() - started < 5
        assert _gone(first[1])
        after = await worker.call(use_state, 0, timeout_s=30, max_bytes=4096)
        assert after[1] != first[1] and after[2] == 1  # a fresh worker, set up again

        with pytest.raises(IsolatedFailure, match="killed by SIGKILL"):
            await worker.call(state_then_die, timeout_s=30, max_bytes=4096)
        with pytest.raises(TransientError, match="upstream went away"):
            await worker.call(state_then_raise, timeout_s=30, max_bytes=4096)
        with pytest.raises(LimitExceeded, match="larger than"):
            await worker.call(state_then_bytes, 10_000, timeout_s=30, max_bytes=1000)
        with pytest.raises(LimitExceeded, match="memory limit"):
            await worker.call(state_then_allocate, timeout_s=30, max_bytes=4096)
        assert (await worker.call(use_state, 1, timeout_s=30, max_bytes=4096))[0] == 41  # still serving
    finally:
        await worker.close()


def slow_state(seconds: float) -> dict[str, int]:
    time.sleep(seconds)  # the worker reads no request meanwhile
    return make_state(0)


def state_then_length(state: dict[str, int], data: bytes) -> int:
    return len(data)


async def test_a_call_that_times_out_while_its_request_is_still_being_written_stops_writing() -> None:
    """A request larger than the pipe, to a worker that reads nothing yet: the call times out, the event loop
    kept running meanwhile, nothing goes on writing afterwards, and the next call gets a fresh worker."""
    worker = IsolatedWorker(slow_state, 3.0, max_memory_mb=512, name="test-worker")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def starter_is_free() -> float:
        await asyncio.sleep(0.2)  # the request is being written by then
        asked = time.monotonic()
        await asyncio.get_running_loop().run_in_executor(isolation._STARTER, int)
        return time.monotonic() - asked

    running = asyncio.create_task(ticker())
    try:
        started = time.monotonic()
        probe = asyncio.create_task(starter_is_free())
        with pytest.raises(LimitExceeded, match="wall-clock"):
            await worker.call(state_then_length, b"x" * (8 << 20), timeout_s=0.5, max_bytes=4096)
        assert time.monotonic() - started < 3
        assert ticks > 10  # the send waited for the worker without blocking the loop...
        assert await probe < 0.2  # ...and without a thread (one that could write on after the timeout)
        again = worker.call(state_then_length, b"y" * (8 << 20), timeout_s=60, max_bytes=4096)
        assert await asyncio.wait_for(again, 90) == 8 << 20
    finally:
        running.cancel()
        await worker.close()
