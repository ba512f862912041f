"""FreshThreads: each job on its own thread, which ends with the job; one job at a time; close waits for them."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from crossroads.backends.fresh_threads import Closed, FreshThreads


async def test_each_job_runs_on_a_new_thread_and_every_thread_has_ended_after_close() -> None:
    runner = FreshThreads("job")
    seen: list[threading.Thread] = []

    def work(x: int) -> int:
        seen.append(threading.current_thread())
        return x * 2

    assert [await runner.run(work, 1), await runner.run(work, 2)] == [2, 4]
    assert seen[0] is not seen[1] and threading.main_thread() not in seen
    await runner.aclose()
    assert not any(t.is_alive() for t in seen)
    assert all(t.name == "job" for t in seen)


async def test_jobs_take_turns() -> None:
    runner = FreshThreads("job")
    running, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    await asyncio.gather(*(runner.run(work) for _ in range(5)))
    assert most == 1


async def test_an_exception_is_raised_in_the_caller() -> None:
    def fail() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        await FreshThreads("job").run(fail)


async def test_closed_runner_refuses_and_close_waits_for_the_running_job() -> None:
    runner = FreshThreads("job")
    done: list[bool] = []
    job = asyncio.ensure_future(runner.run(lambda: (time.sleep(0.1), done.append(True))))
    await asyncio.sleep(0.02)
    await runner.aclose()
    assert done == [True]
    await job
    with pytest.raises(Closed):
        await runner.run(print)
