"""Blocking work run one job at a time, each on a thread that ends with its job (not a pool's thread).

Why not a thread pool: an OpenMP runtime (libgomp, used by torch's CPU kernels and by llama.cpp's) keeps a team
of worker threads for every thread that ran a parallel region, for as long as that thread lives, and counts
them all. Once it counts more threads than cores, every OpenMP barrier in the process spins only ~100 times
before it sleeps in the kernel, and llama.cpp's CPU backend passes hundreds of barriers per token. An idle pool
thread that once ran torch kept torch's team alive, so SmolLM2 decoded at about half speed in a process that
also served MiniLM; a thread that ends takes its team with it (``benchmarks/embedded_throughput.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Closed(RuntimeError):
    """The runner was closed before the job started."""


class FreshThreads:
    def __init__(self, name: str) -> None:
        self.name = name
        self._turn = threading.Lock()  # one job at a time; a thread waits here, not the event loop
        self._alive: set[threading.Thread] = set()  # started, maybe not ended yet (pruned at each start)
        self._closed = False

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a new thread; its result or exception, awaited without blocking the loop."""
        if self._closed:
            raise Closed(f"{self.name} is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        thread = threading.Thread(target=self._work, args=(loop, future, fn, args), name=self.name, daemon=True)
        self._alive = {t for t in self._alive if t.is_alive()} | {thread}
        thread.start()
        return await future

    def _work(
        self, loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], fn: Callable[..., Any], args: Any
    ) -> None:
        try:
            with self._turn:
                if self._closed:
                    raise Closed(f"{self.name} is closed")
                outcome: tuple[bool, Any] = (True, fn(*args))
        except BaseException as exc:  # handed to the awaiting coroutine and raised there
            outcome = (False, exc)
        with contextlib.suppress(RuntimeError):  # a closed event loop: nobody waits for this result any more
            loop.call_soon_threadsafe(_settle, future, outcome)

    async def aclose(self) -> None:
        """Refuse new jobs, let the running one finish, and wait for every thread to end."""
        self._closed = True
        for thread in list(self._alive):
            await asyncio.to_thread(thread.join)


def _settle(future: asyncio.Future[Any], outcome: tuple[bool, Any]) -> None:
    if future.done():  # the awaiting coroutine was cancelled
        return
    ok, value = outcome
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
