"""The embedded backend: a GGUF model run in process by llama-cpp-python.

``slots`` engine instances serve requests in parallel; a request waits for a free slot (at most
``max_queue`` wait, more get 503). Generation runs in worker threads so the event loop stays free;
a stream's worker hands chunks to the loop through an ``asyncio.Queue`` and stops at the next token
once the consumer goes away (a cancel event checked per token), then the slot is released.
Files: ``engine`` (loading, slots), ``request`` (validation), ``tools``
(messages, forced tool calls), ``run`` (generation and OpenAI shapes).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from crossroads.backends.base import Body, Endpoint, Location
from crossroads.backends.embedded.engine import Slot, load_slots
from crossroads.backends.embedded.request import Plan, build_plan
from crossroads.backends.embedded.run import Run
from crossroads.errors import CrossroadsError, ServiceUnavailable

if TYPE_CHECKING:
    from crossroads.backends.config import EmbeddedConfig

_DONE = object()


class EmbeddedBackend:
    """llama-cpp-python in process, answering OpenAI chat and completions requests."""

    location: Location = "local"

    def __init__(self, name: str, config: EmbeddedConfig) -> None:
        self.name = name
        self.config = config
        self._slots: list[Slot] = []
        self._free: asyncio.Queue[Slot | None] = asyncio.Queue()  # None wakes a waiter at shutdown
        self._waiting = 0
        self._closed = False
        self._running: set[threading.Event] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._status: str | None = "not started: call start() to load the model"

    async def start(self) -> None:
        """Load the model into ``slots`` engines, off the event loop."""
        self._status = "loading the model"
        try:
            self._slots = await asyncio.to_thread(load_slots, self.config)
        except CrossroadsError as exc:
            self._status = exc.message
            raise
        self._pool = ThreadPoolExecutor(max_workers=len(self._slots), thread_name_prefix=f"embedded-{self.name}")
        self._free, self._closed = asyncio.Queue(), False
        for slot in self._slots:
            self._free.put_nowait(slot)
        self._status = None

    async def aclose(self) -> None:
        """Stop running generations, wait for the workers, free the engines."""
        self._status, self._closed = "closed", True
        for cancel in list(self._running):
            cancel.set()
        for _ in range(self._waiting):
            self._free.put_nowait(None)
        if self._pool is not None:
            await asyncio.to_thread(self._pool.shutdown, wait=True)
            self._pool = None
        for slot in self._slots:
            slot.close()
        self._slots = []

    async def ready(self) -> str | None:
        return self._status

    @property
    def free_slots(self) -> int:
        """Slots not generating right now (0 before start)."""
        return self._free.qsize()

    async def send(self, endpoint: Endpoint, body: Body) -> Body:
        plan = self._plan(endpoint, body)
        slot = await self._acquire()
        cancel = threading.Event()
        future = self._submit(slot, cancel, lambda: Run(slot, plan).response())
        try:
            result: Body = await asyncio.shield(future)
        except asyncio.CancelledError:
            cancel.set()  # the client went away: stop at the next token
            raise
        return result

    async def stream(self, endpoint: Endpoint, body: Body) -> AsyncIterator[Body]:
        plan = self._plan(endpoint, body)
        slot = await self._acquire()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        cancel = threading.Event()
        put = _threadsafe_put(queue, cancel)

        def pump() -> None:
            chunks = Run(slot, plan).chunks()
            try:
                for chunk in chunks:
                    if cancel.is_set():
                        break
                    put(chunk)
                if self._closed:
                    put(self._closed_error())
            except Exception as exc:  # handed to the consumer and raised there
                put(exc)
            finally:
                chunks.close()
                put(_DONE)

        self._submit(slot, cancel, pump)
        try:
            while (item := await queue.get()) is not _DONE:
                if isinstance(item, Exception):
                    raise item
                yield item
        finally:
            cancel.set()

    # internals

    def _plan(self, endpoint: Endpoint, body: Body) -> Plan:
        if self._status is not None or not self._slots:
            raise ServiceUnavailable(f"embedded backend '{self.name}' is not ready: {self._status}")
        return build_plan(endpoint, self._with_default_limit(endpoint, body), self._slots[0].llama.n_vocab())

    def _with_default_limit(self, endpoint: Endpoint, body: Body) -> Body:
        """A chat request that sets no token limit gets ``default_max_tokens`` (a small model can loop)."""
        limit = self.config.default_max_tokens
        if endpoint is not Endpoint.CHAT or limit is None:
            return body
        if body.get("max_tokens") is None and body.get("max_completion_tokens") is None:
            return {**body, "max_tokens": limit}
        return body

    def _closed_error(self) -> ServiceUnavailable:
        return ServiceUnavailable(f"embedded backend '{self.name}' shut down during the request")

    async def _acquire(self) -> Slot:
        if not self._free.empty():
            return await self._take()
        if self._waiting >= self.config.max_queue:
            raise ServiceUnavailable(
                f"embedded backend '{self.name}' is busy: all {len(self._slots)} slots are generating and the "
                f"queue is full ({self.config.max_queue} waiting, max_queue); retry later or raise slots/max_queue"
            )
        self._waiting += 1
        try:
            return await self._take()
        finally:
            self._waiting -= 1

    async def _take(self) -> Slot:
        slot = await self._free.get()
        if slot is None or self._closed:
            raise self._closed_error()
        return slot

    def _submit(self, slot: Slot, cancel: threading.Event, work: Callable[[], Any]) -> asyncio.Future[Any]:
        """Run ``work`` in a worker thread; the slot is released when the thread ends, not before."""
        assert self._pool is not None  # a slot was taken, so the backend is open
        self._running.add(cancel)
        future = asyncio.get_running_loop().run_in_executor(self._pool, _on_slot, slot, cancel, work)
        future.add_done_callback(lambda done: self._release(done, slot, cancel))
        return future

    def _release(self, done: asyncio.Future[Any], slot: Slot, cancel: threading.Event) -> None:
        if not done.cancelled():
            done.exception()  # retrieved here too, so an abandoned request logs nothing
        self._running.discard(cancel)
        if not self._closed:
            self._free.put_nowait(slot)


def _on_slot(slot: Slot, cancel: threading.Event, work: Callable[[], Any]) -> Any:
    """Worker-thread body: point the slot's cancel flag at this request, then work."""
    slot.cancel = cancel
    return work()


def _threadsafe_put(queue: asyncio.Queue[Any], cancel: threading.Event) -> Callable[[Any], None]:
    """A function worker threads call to hand items to ``queue`` on its event loop."""
    loop = asyncio.get_running_loop()

    def put(item: Any) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the event loop is closed: nobody listens any more
            cancel.set()

    return put
