"""Executors: map a pure function over tasks, yielding (task, result or exception) as runs finish.

- `inprocess`: a loop in this process (debugging, notebooks, tiny models);
- `processes` (default): a `concurrent.futures.ProcessPoolExecutor` on all cores, started by a forkserver
  that has imported morale once (no fork of a process running Numba threads, no re-import per worker);
- `local`: a Dask `LocalCluster` (one single-threaded worker process per core);
- `tcp://HOST:PORT`: a running Dask scheduler (`dask scheduler` + `dask worker` on other machines).

Every worker runs one Numba thread (`NUMBA_NUM_THREADS=1`): the workers are the parallelism. At most
`window` tasks are in flight, so memory stays bounded however many runs an experiment has. Completion order
depends on the executor; the experiment layer sorts by run before writing, so outputs do not.
"""

from __future__ import annotations

import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

SCHEDULERS = ("inprocess", "processes", "local")


class SchedulerError(ValueError):
    """A --scheduler or --workers that cannot be used."""


def check_scheduler(scheduler: str, workers: int | None) -> None:
    if scheduler not in SCHEDULERS and not scheduler.startswith("tcp://"):
        raise SchedulerError(f"--scheduler: got {scheduler!r}; expected inprocess, processes, local or "
                             f"tcp://HOST:PORT")
    if workers is not None and workers < 1:
        raise SchedulerError(f"--workers: got {workers}; expected at least 1")


def make_executor(scheduler: str = "processes", workers: int | None = None) -> Executor:
    check_scheduler(scheduler, workers)
    if scheduler == "inprocess":
        return InProcess()
    if scheduler == "processes":
        return Processes(workers)
    return DaskExecutor(scheduler, workers)


class Executor:
    name = "executor"
    workers = 1

    def map_unordered(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[Any, Any]]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        return {"scheduler": self.name, "workers": self.workers}


class InProcess(Executor):
    name = "inprocess"

    def map_unordered(self, fn, items):
        for item in items:
            try:
                yield item, fn(item)
            except Exception as err:  # noqa: BLE001 - reported per task
                yield item, err


def _init_worker(main_pid: int | None = None) -> None:
    os.environ["NUMBA_NUM_THREADS"] = "1"
    os.environ["MORALE_WORKER"] = "1"
    if main_pid is not None:
        watch_parent(main_pid)


def watch_parent(main_pid: int) -> threading.Thread:
    """Exit this worker as soon as the experiment's main process `main_pid` is gone, whatever killed it (a
    SIGKILL leaves no chance to shut the pool down, and the workers, blocked on a queue whose write end they
    hold themselves, would live on). With a forkserver the worker's parent is the forkserver, not the main
    process, so the main pid is passed in. Linux: a pidfd, readable when the process ends (even while it is
    a zombie; no pid reuse); elsewhere: the pid polled every second, and a change of parent."""
    parent = os.getppid()

    def gone_by_pidfd() -> None:
        try:
            fd = os.pidfd_open(main_pid)
        except ProcessLookupError:
            return
        select.select([fd], [], [])

    def gone_by_polling() -> None:
        while True:
            try:
                os.kill(main_pid, 0)
            except ProcessLookupError:
                return
            except PermissionError:
                pass
            if os.getppid() != parent:
                return
            time.sleep(1.0)

    def watch() -> None:
        try:
            gone_by_pidfd()
        except (AttributeError, OSError):  # no pidfd_open (not Linux, or Linux < 5.3)
            gone_by_polling()
        os._exit(70)  # EX_SOFTWARE; nothing to flush: results go to the main process, which is gone

    thread = threading.Thread(target=watch, name="morale-parent-watch", daemon=True)
    thread.start()
    return thread


def _pid(_: int) -> int:
    return os.getpid()


class Processes(Executor):
    name = "processes"

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1
        self._pool: ProcessPoolExecutor | None = None

    def _context(self):
        methods = multiprocessing.get_all_start_methods()
        if "forkserver" in methods:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["morale.experiments.tasks", "morale"])
            return context
        return multiprocessing.get_context("spawn")

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # the forkserver and its children inherit this environment: one Numba thread per worker
            saved = {k: os.environ.get(k) for k in ("NUMBA_NUM_THREADS", "MORALE_WORKER")}
            os.environ.update(NUMBA_NUM_THREADS="1", MORALE_WORKER="1")
            try:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=self._context(),
                                                 initializer=_init_worker, initargs=(os.getpid(),))
                # start the workers now, while the environment says one thread
                try:
                    list(self._pool.map(_pid, range(self.workers)))
                except BrokenProcessPool:
                    self._pool = None
                    raise SchedulerError("the worker processes did not start; a script that runs experiments on "
                                         "processes must guard its top level with `if __name__ == '__main__':`"
                                         ) from None
            finally:
                for k, v in saved.items():
                    if v is None:
                        os.environ.pop(k, None)
                    else:
                        os.environ[k] = v
        return self._pool

    def map_unordered(self, fn, items):
        window = 4 * self.workers
        pending = iter(items)
        running: dict[Any, Any] = {}
        retried: set[int] = set()

        def submit(item) -> None:
            running[self.pool().submit(fn, item)] = item

        for item in pending:
            submit(item)
            if len(running) >= window:
                break
        while running:
            done, _ = wait(list(running), return_when=FIRST_COMPLETED)
            broken = []
            for future in done:
                item = running.pop(future)
                try:
                    yield item, future.result()
                except BrokenProcessPool as err:  # a worker died: restart the pool, retry its runs once
                    if id(item) in retried:
                        yield item, err
                    else:
                        retried.add(id(item))
                        broken.append(item)
                except Exception as err:  # noqa: BLE001
                    yield item, err
            if broken:
                for item in list(running.values()):
                    broken.append(item)
                running.clear()
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
                for item in broken:
                    submit(item)
            for item in pending:
                submit(item)
                if len(running) >= window:
                    break

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def worker_pids(self) -> list[int]:
        """The pool's worker processes (starting it)."""
        return sorted(getattr(self.pool(), "_processes", None) or {})

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "worker_pids": self.worker_pids()}


def _quiet_workers() -> dict[str, Any]:
    """Dask settings for the workers of a LocalCluster.

    A run is one long single-threaded computation, so the worker's own event loop has nothing to watch at
    millisecond scale: its statistical profiler (every 10 ms) and its 20 ms tick monitor would only take the
    GIL from the run. And a Dask worker runs its task in a thread, where glibc gives the thread a malloc
    arena of its own: measured on one run of the default scenario at scale 50, 8-11% more CPU than the same
    run on a main thread (as in a pool worker), about 1% with MALLOC_ARENA_MAX=1. Workers that join
    through tcp:// keep their own settings: start them with MALLOC_ARENA_MAX=1,
    DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False and DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL=1s.
    """
    import dask

    before_start = {**dask.config.get("distributed.nanny.pre-spawn-environ", {}), "MALLOC_ARENA_MAX": 1}
    return {
        "distributed.worker.profile.enabled": False,
        "distributed.admin.tick.interval": "1s",
        "distributed.worker.memory.monitor-interval": "1s",
        "distributed.admin.system-monitor.interval": "5s",
        "distributed.nanny.pre-spawn-environ": before_start,
    }


class DaskExecutor(Executor):
    """Dask distributed: a LocalCluster started here, or a running scheduler at tcp://HOST:PORT."""

    def __init__(self, scheduler: str, workers: int | None = None):
        from distributed import Client, LocalCluster

        self.name = scheduler
        self.cluster = None
        if scheduler == "local":
            import dask

            self.workers = workers or os.cpu_count() or 1
            with dask.config.set(_quiet_workers()):
                self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None,
                                            env={"NUMBA_NUM_THREADS": "1", "MORALE_WORKER": "1"})
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler, timeout="20s")
            self.client.run(_init_worker)
            self.workers = workers or max(len(self.client.scheduler_info()["workers"]), 1)

    def map_unordered(self, fn, items):
        from distributed import as_completed

        window = 4 * self.workers
        pending = iter(items)
        futures = {}
        queue = as_completed()

        def submit(item) -> None:
            future = self.client.submit(fn, item, pure=False, retries=2)
            futures[future.key] = item
            queue.add(future)

        for item in pending:
            submit(item)
            if len(futures) >= window:
                break
        for future in queue:
            item = futures.pop(future.key)
            try:
                yield item, future.result()
            except Exception as err:  # noqa: BLE001 - e.g. KilledWorker after the retries
                yield item, err
            future.release()
            for nxt in pending:
                submit(nxt)
                break

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def describe(self) -> dict[str, Any]:
        return {"scheduler": self.name, "workers": self.workers,
                "dashboard": getattr(self.client, "dashboard_link", None)}
