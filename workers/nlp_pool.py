"""The entities stage's spaCy model in worker processes: both cores busy from one worker.

In: the model name and a process count (``Settings.nlp_processes``), then batches of
``NormalizedArticle``. Out: per batch, exactly what
:func:`workers.stages.entities.extract_entities_batch` returns for it (the same code, run in a
child process), or an exception. One batch is one task; the worker keeps several in flight.

* ``processes`` 0: in this process, in a thread of the event loop's default executor (the
  behaviour before the pool existed).
* ``processes`` >= 1: a :class:`~concurrent.futures.ProcessPoolExecutor` of that many
  processes. One is already worth having: the model then runs beside the worker's own work
  (decoding, normalize, events, identity, Kafka) instead of sharing its interpreter lock.
  The processes are started by a *forkserver* (never by forking the worker itself, whose
  threads and event loop a fork would copy mid-flight) that has imported
  :mod:`workers.nlp_preload`, i.e. loaded the model and the gazetteers once; every pool process
  is a fork of it, so they share those pages copy-on-write (``gc.freeze`` keeps the collector
  from touching them) and a replacement process is ready in milliseconds. Each process still
  runs :func:`load_pipeline` in its initializer: a cache hit after the preload, the real load
  otherwise (e.g. another model than the environment names).

A pool process that dies (killed, out of memory, a crash in native code) breaks the whole
executor: every batch in flight then fails with :class:`NlpProcessDied`, and the next call
starts a fresh executor. The caller (``workers.app.run_nlp``) retries such a batch one
article at a time, each with the pool to itself (:meth:`NlpPool.extract` with
``exclusive=True``), so a death is pinned on the one article that causes it and no other
article pays for it; an ordinary exception raised by the extraction travels back as itself.
:class:`NlpPoolClosed` means the worker is shutting down: nothing is to be dead-lettered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from workers.types import ArticleEntities, NormalizedArticle

log = logging.getLogger(__name__)

Task = Callable[[str, list[NormalizedArticle]], list[ArticleEntities]]
PRELOAD_MODULE = "workers.nlp_preload"


class NlpProcessDied(RuntimeError):
    """A pool process died while this batch (or another one in flight) was in it."""


class NlpPoolClosed(RuntimeError):
    """The pool was closed (the worker is stopping): the batch was not processed."""


def extract_batch(model: str, articles: list[NormalizedArticle]) -> list[ArticleEntities]:
    """One batch through the model (in whichever process runs it)."""
    from workers.nlp.pipeline import load_pipeline  # cached per process
    from workers.stages.entities import extract_entities_batch

    return extract_entities_batch(load_pipeline(model), articles)


def _initialize(model: str) -> None:
    """A pool process's initializer: load the pipeline now rather than in the first batch."""
    from workers.nlp.pipeline import load_pipeline

    load_pipeline(model)


def _warm_up() -> int:
    """A start-up task: long enough that the executor hands the next one to another process."""
    import os
    import time

    time.sleep(0.2)
    return os.getpid()


class NlpPool:
    """Runs ``task(model, batch)`` in this process or in ``processes`` worker processes.

    ``task`` must be a module-level function (pickled by name); tests pass one that fails on
    purpose. Use from one event loop; :meth:`start` is optional (the first batch starts the
    pool) but loads the model before the first article waits for it.
    """

    def __init__(
        self,
        model: str,
        processes: int,
        *,
        task: Task = extract_batch,
        preload: bool = True,
    ) -> None:
        self.model = model
        self.processes = max(0, processes)
        self.task = task
        self.preload = preload
        self.restarts = 0  # executors replaced after a process died
        self.loaded = False  # the model is loaded where batches run (start() finished; /readyz)
        self._executor: concurrent.futures.ProcessPoolExecutor | None = None
        self._closed = False
        # shared (ordinary batches) / exclusive (one suspect article alone) access
        self._condition: asyncio.Condition | None = None
        self._shared = 0
        self._exclusive = False
        self._waiting_exclusive = 0

    @property
    def slots(self) -> int:
        """How many batches are worth keeping in flight: one per process (one in process)."""
        return max(1, self.processes)

    @property
    def in_process(self) -> bool:
        return self.processes == 0

    def _new_executor(self) -> concurrent.futures.ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        if self.preload:
            # only takes effect when the forkserver starts (once per worker process)
            context.set_forkserver_preload([PRELOAD_MODULE])
        return concurrent.futures.ProcessPoolExecutor(
            max_workers=self.processes,
            mp_context=context,
            initializer=_initialize,
            initargs=(self.model,),
        )

    def _current(self) -> concurrent.futures.ProcessPoolExecutor:
        if self._closed:
            raise NlpPoolClosed("the NLP pool is closed")
        if self._executor is None:
            self._executor = self._new_executor()
        return self._executor

    async def start(self) -> None:
        """Load the model now: in this process, or in every pool process (started in parallel)."""
        loop = asyncio.get_running_loop()
        if self.in_process:
            await loop.run_in_executor(None, _initialize, self.model)
        else:
            executor = self._current()
            # one task per process: a busy process makes the executor start the next one (each
            # process runs its initializer, which loads the model, before its first task)
            await asyncio.gather(*[loop.run_in_executor(executor, _warm_up) for _ in range(self.processes)])
        self.loaded = not self._closed

    async def extract(
        self, articles: Sequence[NormalizedArticle], *, exclusive: bool = False
    ) -> list[ArticleEntities]:
        """One batch, one task. Raises what the extraction raised, :class:`NlpProcessDied` when a
        pool process died meanwhile, or :class:`NlpPoolClosed`. ``exclusive``: wait until no other
        batch is in flight and keep the pool to this one (so a death is this batch's own)."""
        batch = list(articles)
        if not batch:
            return []
        loop = asyncio.get_running_loop()
        if self.in_process:
            if self._closed:
                raise NlpPoolClosed("the NLP pool is closed")
            return await loop.run_in_executor(None, self.task, self.model, batch)
        await self._enter(exclusive)
        try:
            executor = self._current()
            try:
                return await loop.run_in_executor(executor, self.task, self.model, batch)
            except BrokenProcessPool as exc:
                self._replace(executor)
                raise NlpProcessDied(f"an NLP process died during a batch of {len(batch)}: {exc}") from exc
            except RuntimeError as exc:  # "cannot schedule new futures after shutdown"
                if self._closed:
                    raise NlpPoolClosed("the NLP pool is closed") from exc
                raise
        finally:
            await self._leave(exclusive)

    def _replace(self, broken: concurrent.futures.ProcessPoolExecutor) -> None:
        """Drop a broken executor (once, however many batches report it); the next call starts anew."""
        if self._executor is broken:
            self._executor = None
            self.restarts += 1
            log.warning("an NLP pool process died; starting a new pool (restart %d)", self.restarts)
            broken.shutdown(wait=False, cancel_futures=True)

    def _gate(self) -> asyncio.Condition:
        if self._condition is None:
            self._condition = asyncio.Condition()
        return self._condition

    async def _enter(self, exclusive: bool) -> None:
        gate = self._gate()
        async with gate:
            if exclusive:
                self._waiting_exclusive += 1
                try:
                    await gate.wait_for(lambda: not self._exclusive and self._shared == 0)
                finally:
                    self._waiting_exclusive -= 1
                self._exclusive = True
            else:  # an exclusive caller waiting goes first: it holds a batch's worth of articles back
                await gate.wait_for(lambda: not self._exclusive and self._waiting_exclusive == 0)
                self._shared += 1

    async def _leave(self, exclusive: bool) -> None:
        gate = self._gate()
        async with gate:
            if exclusive:
                self._exclusive = False
            else:
                self._shared -= 1
            gate.notify_all()

    def close(self) -> None:
        """Stop the pool without waiting: batches not started fail with :class:`NlpPoolClosed` or
        are cancelled, running ones finish in their process, which then exits."""
        self._closed = True
        self.loaded = False
        executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        """The pool processes' ids (for tests and the benchmark)."""
        executor: Any = self._executor
        return sorted(executor._processes) if executor is not None else []
