"""The finished runs of an experiment folder and their weekly series, for analyses asked after the runs.

Scenario discovery and survival curves read a folder that an ensemble, a comparison or a sweep left behind:
each run's record (`runs/<key>.json`: seed, replicate, the parameters it ran with) and its weekly series
(`runs/<key>.parquet`). Reading the records rather than a summary table keeps this the same for every kind
of folder, and a question can be asked that the experiment never named as an outcome.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from morale.experiments.store import ExperimentFolderError, read_manifest


def finished_runs(folder: str | Path) -> pd.DataFrame:
    """One row per run that finished: key, seed, replicate, labels (arm, point) and its parameters, in key
    order. A folder with no finished run, or whose runs kept no weekly series, is one line of error."""
    folder = Path(folder)
    read_manifest(folder)  # one line if this is not an experiment folder
    rows = []
    for path in sorted((folder / "runs").glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("status") != "ok":
            continue
        rows.append({"key": record["key"], "seed": record["seed"], "replicate": record["replicate"],
                     **record.get("labels", {}), **record.get("params", {})})
    if not rows:
        raise ExperimentFolderError(f"{folder}: no finished run; expected an experiment folder with runs")
    missing = [r["key"] for r in rows if not (folder / "runs" / f"{r['key']}.parquet").is_file()]
    if missing:
        raise ExperimentFolderError(f"{folder}: run {missing[0]} (and {len(missing) - 1} more) kept no weekly "
                                    f"series; expected an ensemble, compare or sweep folder made by morale 0.1 "
                                    f"or later with its runs/*.parquet")
    return pd.DataFrame(rows)


def parameter_names(runs: pd.DataFrame) -> list[str]:
    """The parameters the runs were given (those of the records, not seed, replicate or labels)."""
    fixed = {"key", "seed", "replicate", "arm", "scenario", "run", "point"}
    return [c for c in runs.columns if c not in fixed and pd.api.types.is_numeric_dtype(runs[c])]
