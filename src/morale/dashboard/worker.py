"""Runs outside the page: a warm worker process, with progress and cancel.

A Streamlit script must return quickly, so a run goes to another process and the page polls it. Starting a
process per run would pay the imports and the loading of the compiled kernels (seconds) every time; the
`Worker` starts one process when the app starts, warms it with a tiny run, and feeds it runs one at a time
over a socket pair. Cancel terminates the process (a run cannot be interrupted from inside a Numba kernel) and
starts a fresh one, which warms again while the user looks at the page. The process is `python -m
morale.dashboard.worker`, not a multiprocessing child, so it never re-imports the server's main module; it ends
when the app's end of the socket closes.

`InProcess` runs in the caller's process and returns when the run is done: for tests and for debugging.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from morale.dashboard.request import RunRequest

WARM_UP = RunRequest("russia-2022", "russia-2022", seed=0, scale=10000, end="2022-03-31")


@dataclass
class Job:
    """A run's state as the page sees it: queued, running, done, failed or cancelled."""

    id: int
    request: RunRequest
    state: str = "queued"
    week: int = 0
    weeks: int = 0
    date: str = ""
    result: object = None  # the `Run` once done
    error: str = ""
    submitted: float = field(default_factory=time.perf_counter)
    finished: float | None = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def seconds(self) -> float:
        """From submission to the result (or to now)."""
        return (self.finished or time.perf_counter()) - self.submitted


def execute(request: RunRequest, report) -> object:
    """Run `request`, calling `report(week, weeks, date)` after each week; return the `Run`. The loader's
    warnings are not repeated: the page showed them when it resolved the request."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        simulation = request.simulation()
    simulation.run(lambda week, weeks: report(week, weeks, str(simulation.date)))
    result = simulation.result()
    result.timings = {"setup": simulation.setup_seconds}
    return result


def _one_line(err: Exception) -> str:
    from morale.cli_common import user_errors

    return str(err) if isinstance(err, user_errors()) else f"{type(err).__name__}: {err}"


def _reporter(conn: Connection, job_id: int):
    return lambda week, weeks, date: conn.send((job_id, "progress", (week, weeks, date)))


def _serve(conn: Connection) -> None:
    """The worker process: warm up, then run each request it receives until the app goes."""
    try:
        execute(WARM_UP, lambda *_: None)
    except Exception:  # a broken install shows on the first real run, in one line
        pass
    try:
        conn.send((None, "ready", None))
        while True:
            job_id, request = conn.recv()
            try:
                result = execute(request, _reporter(conn, job_id))
            except OSError:  # the socket: the app has gone
                raise
            except Exception as err:  # every failure goes to the page, in one line
                conn.send((job_id, "failed", _one_line(err)))
            else:
                conn.send((job_id, "done", result))
    except (EOFError, OSError):  # the app has gone
        return


class Worker:
    """One warm worker process shared by the app's sessions; runs are served in the order submitted."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._jobs: dict[int, Job] = {}
        self._start()

    def _start(self) -> None:
        mine, theirs = socket.socketpair()
        self._process = subprocess.Popen([sys.executable, "-m", "morale.dashboard.worker", str(theirs.fileno())],
                                         pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                         start_new_session=True)  # Ctrl-C on the server: the worker ends on EOF
        theirs.close()
        self._conn = Connection(mine.detach())
        self.ready = False

    def submit(self, request: RunRequest) -> Job:
        with self._lock:
            job = Job(next(self._ids), request)
            try:
                self._conn.send((job.id, request))
            except OSError:  # the process died since the last poll: start another
                self._lost()
                self._conn.send((job.id, request))
            self._jobs[job.id] = job
            return job

    def poll(self, timeout: float = 0.0) -> None:
        """Take in what the worker said (waiting up to `timeout` seconds for a first message)."""
        with self._lock:
            try:
                while self._conn.poll(timeout):
                    self._take(*self._conn.recv())
                    timeout = 0.0
            except (EOFError, OSError):
                self._lost()

    def wait(self, job: Job, timeout: float) -> Job:
        """Block until `job` is finished or `timeout` seconds have passed."""
        deadline = time.monotonic() + timeout
        while job.active and time.monotonic() < deadline:
            self.poll(min(1.0, max(0.0, deadline - time.monotonic())))
        return job

    def cancel(self, job: Job) -> None:
        """Stop `job`: the process is terminated and a fresh one started; other queued runs fail."""
        with self._lock:
            if not job.active:
                return
            self._process.terminate()
            self._process.wait(10)
            self._conn.close()
            job.state, job.finished = "cancelled", time.perf_counter()
            self._fail_all("the worker was restarted after a cancel; press Run again")
            self._start()

    def _take(self, job_id: int | None, kind: str, payload) -> None:
        if kind == "ready":
            self.ready = True
            return
        job = self._jobs.get(job_id)
        if job is None or not job.active:
            return
        if kind == "progress":
            job.state = "running"
            job.week, job.weeks, job.date = payload
            return
        job.state = kind
        job.finished = time.perf_counter()
        if kind == "done":
            job.result = payload
        else:
            job.error = payload
        del self._jobs[job_id]

    def _lost(self) -> None:
        """The process died (out of memory, killed): fail its runs and start another."""
        self._fail_all(f"the worker process stopped (exit code {self._process.wait(10)}); press Run again")
        self._conn.close()
        self._start()

    def _fail_all(self, reason: str) -> None:
        for job in self._jobs.values():
            if job.active:
                job.state, job.error, job.finished = "failed", reason, time.perf_counter()
        self._jobs.clear()


class InProcess:
    """Runs in the calling process, to the end, inside `submit` (tests, debugging)."""

    ready = True

    def submit(self, request: RunRequest) -> Job:
        job = Job(0, request)

        def report(week: int, weeks: int, date: str) -> None:
            job.week, job.weeks, job.date = week, weeks, date

        try:
            job.result, job.state = execute(request, report), "done"
        except Exception as err:  # shown on the page, in one line
            job.error, job.state = _one_line(err), "failed"
        job.finished = time.perf_counter()
        return job

    def poll(self, timeout: float = 0.0) -> None:
        """Nothing to take in: a job is finished when `submit` returns."""

    def wait(self, job: Job, timeout: float) -> Job:
        return job

    def cancel(self, job: Job) -> None:
        """A job is finished before the page could offer Cancel."""


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
