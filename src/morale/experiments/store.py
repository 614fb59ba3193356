"""The experiment folder: a manifest of the spec, one checkpoint per finished run, and a log.

    DIR/manifest.json       what the experiment is (its spec); --resume with another spec is refused
    DIR/runs/<key>.json     one finished run: seed, replicate, parameters, outcomes, summary, status
    DIR/runs/<key>.parquet  its weekly series (ensembles, comparisons), float64, one column per series
    DIR/log.jsonl           timings, host and process of each run, failures, sessions (never compared)

A run is finished when its JSON exists: the series first, then the JSON (atomically, by rename), then its
line in log.jsonl (one `write` of one line). The records are the truth: "done" is derived from them only,
and a process killed at any point leaves either no record (the run is redone by --resume) or a record whose
log line may be missing; opening the folder with --resume appends that line (`"reconciled": true`), so after
a resume every record has exactly one `run` line whose status is the record's. Results are read back from
these files, so a resumed experiment writes the same bytes as an uninterrupted one.

Test hook (never set it outside tests): MORALE_TEST_KILL_AFTER_RUNS=N makes the process SIGKILL itself while
saving the N-th run of the session, at MORALE_TEST_KILL_POINT: `series` (its Parquet written, no record),
`record` (its record written, no log line) or `log` (everything written; the default).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
LOG = "log.jsonl"
FORMAT = 1
KILL_POINTS = ("series", "record", "log")


class ExperimentFolderError(ValueError):
    """A folder that cannot hold this experiment, said in one line."""


def canonical(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(spec).encode()).hexdigest()[:16]


class Store:
    def __init__(self, folder: str | Path, spec: dict[str, Any], resume: bool = False, force: bool = False,
                 provenance: dict[str, Any] | None = None):
        self.folder = Path(folder)
        self.spec = json.loads(canonical(spec))
        self.runs = self.folder / "runs"
        self.provenance = provenance
        self._saved = 0  # runs saved by this process (the test hook counts them)
        self._open(resume, force)

    def _open(self, resume: bool, force: bool) -> None:
        from morale.results.run import folder_problem

        folder = self.folder
        manifest_path = folder / MANIFEST
        problem = folder_problem(folder)
        if problem:
            raise ExperimentFolderError(f"--out {folder}: {problem}")
        non_empty = folder.exists() and any(folder.iterdir())
        if non_empty and resume:
            if not manifest_path.is_file():
                raise ExperimentFolderError(f"--resume: {folder} is not an experiment folder (no {MANIFEST})")
            manifest = read_manifest(folder)
            if manifest.get("spec_hash") != spec_hash(self.spec):
                old = manifest.get("spec", {})
                changed = sorted(k for k in set(old) | set(self.spec) if old.get(k) != self.spec.get(k))
                raise ExperimentFolderError(
                    f"--resume: {folder} holds a different experiment (differs in: {', '.join(changed) or '?'}); "
                    f"resume it with the same options, or choose another --out")
        elif non_empty and not force:
            raise ExperimentFolderError(f"--out {folder}: exists and is not empty; use --resume to continue the "
                                        f"experiment in it or --force to overwrite it")
        elif non_empty and force:
            shutil.rmtree(folder)
        self.runs.mkdir(parents=True, exist_ok=True)
        if not manifest_path.is_file():
            # provenance (command, version, commit, what-if changes) sits beside the spec, outside its hash
            manifest = {"format": FORMAT, "spec_hash": spec_hash(self.spec), "spec": self.spec}
            if self.provenance is not None:
                manifest["provenance"] = self.provenance
            atomic_write(manifest_path, json.dumps(manifest, indent=2, sort_keys=True, default=str))
        else:
            self.reconcile()

    def reconcile(self) -> list[str]:
        """Make the log agree with the records after a kill: drop half-written temporary files, and append a
        `run` line (marked `reconciled`) for each record that has none. Returns the keys reconciled."""
        for tmp in self.runs.glob("*.tmp"):
            tmp.unlink(missing_ok=True)
        logged: dict[str, int] = {}
        for event in self.read_log():
            if event.get("event") == "run" and "key" in event:
                logged[event["key"]] = logged.get(event["key"], 0) + 1
        missing = []
        for path in sorted(self.runs.glob("*.json")):
            if path.stem in logged:
                continue
            try:
                status = json.loads(path.read_text(encoding="utf-8")).get("status")
            except (OSError, ValueError):
                continue
            missing.append(path.stem)
            self.log({"event": "run", "key": path.stem, "status": status, "reconciled": True,
                      "note": "the process was killed after saving this run's record and before its log line"})
        return missing

    def read_log(self) -> list[dict[str, Any]]:
        """The log's events (a line cut by a kill, if any, is skipped)."""
        path = self.folder / LOG
        if not path.is_file():
            return []
        events = []
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                events.append(event)
        return events

    # runs ------------------------------------------------------------------------------------------------
    def record_path(self, key: str) -> Path:
        return self.runs / f"{key}.json"

    def series_path(self, key: str) -> Path:
        return self.runs / f"{key}.parquet"

    def finished(self) -> set[str]:
        """Keys of runs that finished successfully (failed runs are redone by --resume)."""
        done = set()
        for path in self.runs.glob("*.json"):
            try:
                if json.loads(path.read_text(encoding="utf-8")).get("status") == "ok":
                    done.add(path.stem)
            except (OSError, ValueError):
                continue
        return done

    def save_run(self, record: dict[str, Any], series: dict[str, Any] | None,
                 log_event: dict[str, Any] | None = None) -> None:
        """Checkpoint one run: its series, then its record (atomically: this is what makes it done), then its
        `run` line in the log (see the module docstring for what a kill between them leaves)."""
        key = record["key"]
        self._saved += 1
        if series is not None:
            table = pa.table({"date": pa.array(series["dates"], pa.timestamp("ns")),
                              **{c: pa.array(series["values"][:, j]) for j, c in enumerate(series["columns"])}})
            tmp = self.series_path(key).with_suffix(".parquet.tmp")
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, self.series_path(key))
        _test_kill(self._saved, "series")
        atomic_write(self.record_path(key), json.dumps(record, sort_keys=True))
        _test_kill(self._saved, "record")
        self.log({"event": "run", "key": key, "status": record["status"], **(log_event or {})})
        _test_kill(self._saved, "log")

    def load_record(self, key: str) -> dict[str, Any] | None:
        path = self.record_path(key)
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def log(self, event: dict[str, Any]) -> None:
        """Append one line with one `write` on an O_APPEND descriptor (a kill cannot leave half of it behind
        a later line; a line cut by a full disk is skipped by `read_log`)."""
        line = (json.dumps({"time": time.time(), **event}, default=str) + "\n").encode("utf-8")
        fd = os.open(self.folder / LOG, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if os.fstat(fd).st_size and not _ends_with_newline(fd):
                line = b"\n" + line
            os.write(fd, line)
        finally:
            os.close(fd)

    # aggregation -----------------------------------------------------------------------------------------
    def series_columns(self, key: str) -> list[str]:
        return [c for c in pq.read_schema(self.series_path(key)).names if c != "date"]

    def weekly_quantiles(self, keys: list[str], quantiles: tuple[float, ...], batch: int = 16):
        """Per-week quantiles of every series over the runs `keys`, read a few columns at a time (memory:
        runs x weeks x batch floats). Returns (dates, columns, array[quantile, week, column])."""
        first = pq.read_table(self.series_path(keys[0]), columns=["date"])
        dates = first.column("date").to_numpy()
        columns = self.series_columns(keys[0])
        out = np.empty((len(quantiles), len(dates), len(columns)))
        for start in range(0, len(columns), batch):
            chunk = columns[start:start + batch]
            stack = np.empty((len(keys), len(dates), len(chunk)))
            for i, key in enumerate(keys):
                table = pq.read_table(self.series_path(key), columns=chunk)
                stack[i] = np.column_stack([table.column(c).to_numpy() for c in chunk])
            out[:, :, start:start + len(chunk)] = np.quantile(stack, quantiles, axis=0)
        return dates, columns, out


def read_run_series(folder: Path, key: str, columns: list[str] | None = None):
    """One finished run's weekly series (DatetimeIndex), only `columns` when given."""
    wanted = None if columns is None else ["date", *columns]
    return pq.read_table(Path(folder) / "runs" / f"{key}.parquet", columns=wanted).to_pandas().set_index("date")


def read_manifest(folder: Path) -> dict[str, Any]:
    """An experiment folder's manifest.json, or one line saying what is wrong with it."""
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExperimentFolderError(f"{path}: missing; expected the folder's manifest (a run or experiment "
                                    f"folder written by morale)") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise ExperimentFolderError(f"{path}: cannot be read as JSON ({first_line(err)}); expected the "
                                    f"manifest morale wrote") from None
    if not isinstance(manifest, dict):
        raise ExperimentFolderError(f"{path}: holds a {type(manifest).__name__}; expected a JSON object")
    return manifest


def first_line(err: BaseException, limit: int | None = None) -> str:
    """An error's first line (at most `limit` characters), for one-line messages."""
    text = str(err).strip().splitlines()
    return text[0][:limit] if text else type(err).__name__


def _ends_with_newline(fd: int) -> bool:
    return os.pread(fd, 1, os.fstat(fd).st_size - 1) == b"\n"


def _test_kill(saved: int, point: str) -> None:
    """The crash test hook (see the module docstring): SIGKILL this process at a chosen point."""
    after = os.environ.get("MORALE_TEST_KILL_AFTER_RUNS")
    if not after or int(after) != saved or os.environ.get("MORALE_TEST_KILL_POINT", "log") != point:
        return
    os.kill(os.getpid(), signal.SIGKILL)


def atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_parquet(frame, path: Path) -> None:
    """A table written the same way every time (no index, zstd): equal frames give equal bytes."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd")
