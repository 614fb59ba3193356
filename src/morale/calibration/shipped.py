"""Calibrated samples shipped as package data, and the hash that keeps a stale one from shipping.

`tools/ship_calibration.py FOLDER` copies a finished `morale calibrate` folder's sample into
`morale/data/calibrated/<scenario>.parquet` with `<scenario>.json` beside it: the command, seed, scale, model
version and `model_hash`, a hash of everything the calibration's runs depended on (the engine, processes and
kernels' source, the scenario as resolved, and the packaged data: inputs, targets, observation models). When the
model changes, the hash changes and `check_fresh` (run by the test suite) fails: recalibrate and ship again.

Ensembles (`morale ensemble --calibrated`) draw run i's parameter set from the sample with the run's own
stream, as `--uncertainty` draws from ranges, so one run is reproducible from (seed, i) alone.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from morale.experiments.parameters import DRAWS_KEY

MODEL_PACKAGES = ("engine", "processes", "kernels")
SHIPPED = "calibrated"


class CalibrationMissing(ValueError):
    """No calibrated sample is shipped for that scenario."""


class StaleCalibration(ValueError):
    """The shipped sample was made for another version of the model or scenario."""


def model_hash(scenario: str) -> str:
    """sha256 (16 hex digits) of the model's source, the resolved scenario and the packaged data files."""
    from morale.experiments.store import spec_hash
    from morale.scenario.loader import load_scenario

    root = resources.files("morale")
    digest = hashlib.sha256()
    files = [f"{package}/{path.name}" for package in MODEL_PACKAGES
             for path in root.joinpath(package).iterdir() if path.name.endswith(".py")]
    files += [f"data/{path.name}" for path in root.joinpath("data").iterdir() if path.name.endswith(".csv")]
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(root.joinpath(name).read_bytes())
    digest.update(spec_hash(load_scenario(scenario).model_dump(mode="json")).encode())
    return digest.hexdigest()[:16]


def shipped_names() -> list[str]:
    folder = resources.files("morale.data").joinpath(SHIPPED)
    if not folder.is_dir():
        return []
    return sorted(p.name[: -len(".json")] for p in folder.iterdir() if p.name.endswith(".json"))


@lru_cache(maxsize=4)
def manifest(scenario: str) -> dict:
    path = resources.files("morale.data").joinpath(SHIPPED).joinpath(f"{scenario}.json")
    if not path.is_file():
        shipped = ", ".join(shipped_names()) or "none"
        raise CalibrationMissing(f"--calibrated: no calibrated sample is shipped for {scenario!r}; expected one of: "
                                 f"{shipped} (or calibrate it: morale calibrate {scenario})")
    return json.loads(path.read_text(encoding="utf-8"))


def check_fresh(scenario: str) -> dict:
    """The manifest, after checking that the model and scenario are those the sample calibrated."""
    made = manifest(scenario)
    now = model_hash(scenario)
    if made["model_hash"] != now:
        raise StaleCalibration(f"--calibrated: the sample for {scenario} was made for model hash "
                               f"{made['model_hash']}, the model is now {now}; expected a fresh calibration: "
                               f"{made['command']}, then python tools/ship_calibration.py on its folder")
    return made


@lru_cache(maxsize=4)
def calibrated_sample(scenario: str) -> pd.DataFrame:
    """The shipped not-ruled-out parameter sets of `scenario` (one row each; columns = parameter paths)."""
    made = check_fresh(scenario)
    path = resources.files("morale.data").joinpath(SHIPPED).joinpath(f"{scenario}.parquet")
    with path.open("rb") as fh:
        frame = pd.read_parquet(fh)
    return frame[made["parameters"]]


def draw_calibrated(sample: pd.DataFrame, seed: int, replicate: int) -> dict[str, float]:
    """Run i's parameter set: one row of the sample, chosen from the run's own draws stream."""
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(replicate, DRAWS_KEY)))
    row = sample.iloc[int(rng.integers(len(sample)))]
    return {name: float(value) for name, value in row.items()}


def write_shipped(folder: Path, scenario: str, sample: pd.DataFrame, parameters: list[str], made: dict) -> Path:
    """Write `<scenario>.parquet` and `<scenario>.json` into `folder` (the package's data/calibrated)."""
    folder.mkdir(parents=True, exist_ok=True)
    sample[parameters].reset_index(drop=True).to_parquet(folder / f"{scenario}.parquet", index=False)
    record = {**made, "scenario": scenario, "parameters": parameters, "rows": len(sample),
              "model_hash": model_hash(scenario)}
    (folder / f"{scenario}.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    return folder / f"{scenario}.json"


def calibration_marks(scenario: str) -> dict[str, str]:
    """What the shipped calibration says of each parameter (for `morale show`): pinned or allowed with the
    range the data allow, or fixed by the screening; empty when no calibration is shipped."""
    try:
        made = manifest(scenario)
    except CalibrationMissing:
        return {}
    marks = {row["parameter"]: f"{'pinned' if row['pinned'] else 'allowed'} {row['low']:.4g}..{row['high']:.4g}"
             for row in made.get("identification", [])}
    marks.update({row["parameter"]: row["decision"] for row in made.get("fixed", [])})
    return marks
