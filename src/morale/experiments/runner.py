"""Running an experiment's tasks: skip the finished, checkpoint each run as it ends, show progress.

Shared by ensembles, comparisons, sweeps, sensitivity analyses and `morale validate`. A failed run is
reported (seed, replicate, parameters, error) and recorded; the experiment completes; `--resume` redoes
failed and unfinished runs only. Ctrl-C stops cleanly: every finished run is already on disk.
"""

from __future__ import annotations

import os
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from morale.experiments.executors import Executor, make_executor
from morale.experiments.store import Store
from morale.experiments.tasks import Task, execute

console = Console(stderr=True)


class ExperimentInterrupted(KeyboardInterrupt):
    pass


def open_store(out: str | Path | None, spec: dict[str, Any], resume: bool, force: bool,
               changes: list[str] | dict[str, list[str]] | None = None, command: str | None = None) -> Store:
    """The experiment folder; without --out a fresh temporary folder (kept until the process exits).
    `changes` (what-if changes of the scenario, `describe_changes`) and the command line, package version and
    git commit go into manifest.json beside the spec (not into its hash)."""
    from morale.results.run import provenance

    if out is None:
        out = tempfile.mkdtemp(prefix="morale-experiment-")
        _TEMPORARY.append(out)
    return Store(out, spec, resume=resume, force=force,
                 provenance={**provenance(command), "changes": changes if changes is not None else []})


_TEMPORARY: list[str] = []


def run_tasks(tasks: list[Task], store: Store, scheduler: str | Executor = "processes", workers: int | None = None,
              progress: bool = True, title: str = "runs") -> dict[str, dict[str, Any]]:
    """Run every task not yet finished in `store`; return every task's record by key (in task order)."""
    finished = store.finished()
    todo = [t for t in tasks if t.key not in finished]
    session = uuid.uuid4().hex[:8]
    failures = 0
    if todo:
        executor = make_executor(scheduler, workers) if isinstance(scheduler, str) else scheduler
        owned = isinstance(scheduler, str)
        from morale.results.run import provenance

        store.log({"event": "session", "session": session, "host": socket.gethostname(), "pid": os.getpid(),
                   "tasks": len(tasks), "finished_before": len(tasks) - len(todo), **provenance(),
                   **executor.describe()})
        started = time.perf_counter()
        bar = _progress(progress)
        try:
            with bar:
                job = bar.add_task(title, total=len(tasks), completed=len(tasks) - len(todo), failed=0)
                for task, result in executor.map_unordered(execute, todo):
                    if isinstance(result, BaseException):  # the executor lost the run (e.g. a worker died)
                        result = {"key": task.key, "status": "failed", "error": f"{type(result).__name__}: "
                                  f"{result}", "outcomes": {}, "summary": {}, "series": None, "meta": {}}
                    record = _record(task, result)
                    store.save_run(record, result.get("series"), {"session": session, **result.get("meta", {})})
                    if record["status"] != "ok":
                        failures += 1
                        store.log({"event": "failure", "key": task.key, "error": record["error"],
                                   "traceback": result.get("traceback")})
                        console.print(f"[red]run {task.key} failed[/] (seed {task.seed}, replicate "
                                      f"{task.replicate}, {_shown(task.params)}): {record['error']}",
                                      highlight=False, soft_wrap=True)
                    bar.update(job, advance=1, failed=failures)
        except KeyboardInterrupt:
            store.log({"event": "interrupted", "session": session})
            done = len(store.finished())
            console.print(f"interrupted: {done} of {len(tasks)} runs are saved in {store.folder}; "
                          f"continue with --resume", highlight=False)
            raise
        finally:
            if owned:
                executor.close()
        store.log({"event": "done", "session": session, "seconds": time.perf_counter() - started,
                   "runs": len(todo), "failures": failures})
    records = {}
    for task in tasks:
        records[task.key] = store.load_record(task.key)
    return records


def _shown(params: dict[str, Any], most: int = 4) -> str:
    if not params:
        return "no parameters changed"
    items = [f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()]
    more = f" and {len(items) - most} more, all in its runs/*.json" if len(items) > most else ""
    return "parameters " + ", ".join(items[:most]) + more


def _record(task: Task, result: dict[str, Any]) -> dict[str, Any]:
    """What goes into the run's checkpoint (no timings: those go to log.jsonl)."""
    return {"key": task.key, "seed": task.seed, "replicate": task.replicate, "labels": task.labels,
            "params": {k: v for k, v in task.params.items() if isinstance(v, int | float)},
            "status": result["status"], "error": result.get("error"), "outcomes": result.get("outcomes", {}),
            "summary": result.get("summary", {})}


def _progress(show: bool) -> Progress:
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("failed {task.fields[failed]}"), TimeElapsedColumn(), TextColumn("eta"),
                    TimeRemainingColumn(), console=console, transient=False, disable=not show)
