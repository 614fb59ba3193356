"""The experiment folder: a manifest of the spec, one checkpoint per finished run, and a log.

    DIR/manifest.json       what the experiment is (its spec); --resume with another spec is refused
    DIR/runs/<key>.json     one finished run: seed, replicate, parameters, outcomes, summary, status
    DIR/runs/<key>.parquet  its weekly series (ensembles, comparisons), float64, one column per series
    DIR/log.jsonl           timings, host and process of each run, failures, sessions (never compared)

A run is finished when its JSON exists (written last, atomically); an interrupted run leaves nothing that
counts and is redone by --resume. Results are read back from these files, so a resumed experiment writes
the same bytes as an uninterrupted one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MANIFEST = "manifest.json"
FORMAT = 1


class ExperimentFolderError(ValueError):
    """A folder that cannot hold this experiment, said in one line."""


def canonical(spec: dict[str, Any]) -> str:
    return json.dumps(spec, sort_keys=True, default=str, separators=(",", ":"))


def spec_hash(spec: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(spec).encode()).hexdigest()[:16]


class Store:
    def __init__(self, folder: str | Path, spec: dict[str, Any], resume: bool = False, force: bool = False):
        self.folder = Path(folder)
        self.spec = json.loads(canonical(spec))
        self.runs = self.folder / "runs"
        self._open(resume, force)

    def _open(self, resume: bool, force: bool) -> None:
        folder = self.folder
        manifest_path = folder / MANIFEST
        non_empty = folder.exists() and any(folder.iterdir())
        if folder.exists() and not folder.is_dir():
            raise ExperimentFolderError(f"--out {folder}: exists and is not a folder")
        if non_empty and resume:
            if not manifest_path.is_file():
                raise ExperimentFolderError(f"--resume: {folder} is not an experiment folder (no {MANIFEST})")
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
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
            manifest = {"format": FORMAT, "spec_hash": spec_hash(self.spec), "spec": self.spec}
            _atomic_write(manifest_path, json.dumps(manifest, indent=2, sort_keys=True))

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

    def save_run(self, record: dict[str, Any], series: dict[str, Any] | None) -> None:
        key = record["key"]
        if series is not None:
            table = pa.table({"date": pa.array(series["dates"], pa.timestamp("ns")),
                              **{c: pa.array(series["values"][:, j]) for j, c in enumerate(series["columns"])}})
            tmp = self.series_path(key).with_suffix(".parquet.tmp")
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, self.series_path(key))
        _atomic_write(self.record_path(key), json.dumps(record, sort_keys=True))

    def load_record(self, key: str) -> dict[str, Any] | None:
        path = self.record_path(key)
        if not path.is_file():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def log(self, event: dict[str, Any]) -> None:
        with open(self.folder / "log.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"time": time.time(), **event}, default=str) + "\n")

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

    def read_series(self, key: str, columns: list[str] | None = None):
        return pq.read_table(self.series_path(key), columns=columns).to_pandas().set_index("date")


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_parquet(frame, path: Path) -> None:
    """A table written the same way every time (no index, zstd): equal frames give equal bytes."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd")
