"""A finished run: its weekly series, tidy breakdowns, the resolved scenario, and saving to a folder."""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import tomli_w

from morale.engine.recorder import kind
from morale.scenario.schema import Scenario


@dataclass
class Run:
    """A finished run: the resolved scenario, its weekly series and their breakdowns by stream and region.

    Counts are persons (agents x scale). `morale.run` and `Simulation.result()` make one; `Run.load` reads a
    run folder back.
    """

    scenario: Scenario
    series: pd.DataFrame  # one row per week (DatetimeIndex), one column per variable
    by_stream: pd.DataFrame  # date, stream, variable, value
    by_region: pd.DataFrame  # date, region_code, variable, value
    events: pd.DataFrame  # date, kind, count
    seed: int
    replicate: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def kind(self, name: str) -> str:
        """How a series is registered: "stock", "flow" or "mean" (`morale series` lists them)."""
        return kind(name)

    def stream(self, variable: str) -> pd.DataFrame:
        """One variable by stream, wide: a column per stream."""
        frame = self.by_stream[self.by_stream["variable"] == variable]
        return frame.pivot(index="date", columns="stream", values="value")

    def region(self, variable: str) -> pd.DataFrame:
        """One variable by region, wide: a column per region code."""
        frame = self.by_region[self.by_region["variable"] == variable]
        return frame.pivot(index="date", columns="region_code", values="value")

    def save(self, folder: str | Path, command: str | None = None, force: bool = False) -> Path:
        """Write the run folder (see README: manifest, scenario, Parquet tables, report)."""
        from morale.results.report import write_report

        folder = Path(folder)
        prepare_folder(folder, force)
        command = command or " ".join(sys.argv)
        self.series.rename_axis("date").reset_index().to_parquet(folder / "series.parquet", index=False)
        self.by_stream.to_parquet(folder / "by_stream.parquet", index=False)
        self.by_region.to_parquet(folder / "by_region.parquet", index=False)
        self.events.to_parquet(folder / "events.parquet", index=False)
        (folder / "scenario.toml").write_text(scenario_toml(self.scenario), encoding="utf-8")
        manifest = {
            "morale_version": package_version(),
            "git_commit": _git_commit(),
            "command": command,
            "scenario": self.scenario.name,
            "seed": self.seed,
            "replicate": self.replicate,
            "scale": self.scenario.scale,
            "start": str(self.scenario.start),
            "end": str(self.scenario.end),
            "python": platform.python_version(),
            "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "timings_seconds": self.timings,
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        write_report(self, folder / "report.html", manifest=manifest)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Run:
        """Read a run folder written by `save` (or `morale run`) back into a `Run`."""
        from morale.scenario.loader import load_scenario

        folder = Path(folder)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        series = pd.read_parquet(folder / "series.parquet").set_index("date")
        return cls(
            scenario=load_scenario(str(folder / "scenario.toml")),
            series=series,
            by_stream=pd.read_parquet(folder / "by_stream.parquet"),
            by_region=pd.read_parquet(folder / "by_region.parquet"),
            events=pd.read_parquet(folder / "events.parquet"),
            seed=manifest["seed"],
            replicate=manifest.get("replicate"),
            timings=manifest.get("timings_seconds", {}),
        )


class OutputExistsError(FileExistsError):
    pass


def folder_problem(folder: Path) -> str | None:
    """Why `folder` cannot become an output folder ("...; expected ..."), or None: it is a file, lies under a
    file, or it (or, when it does not exist yet, its nearest existing parent) cannot be written in. Nothing is
    created; writability is probed with a temporary file, removed at once (permission bits do not tell for
    root, read-only mounts or ACLs)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        return "is a file; expected a folder (a new or an empty one)"
    parent = folder
    while not parent.exists():
        if parent.parent == parent:
            break
        parent = parent.parent
    if parent.exists() and not parent.is_dir():
        return f"{parent} is a file; expected a folder path with no file in it"
    try:
        handle, probe = tempfile.mkstemp(prefix=".morale-write-check-", dir=parent)
    except OSError as err:
        reason = err.strerror or type(err).__name__
        where = "" if parent == folder else f"its parent {parent}: "
        return f"{where}cannot write there ({reason}); expected a folder this user can write in"
    os.close(handle)
    os.unlink(probe)
    return None


def check_output_folder(folder: Path, force: bool) -> None:
    """Before any simulation work: raise OutputExistsError with one line "--out PATH: ...; expected ..." if the
    run folder cannot be written (a file, under a file, not writable) or is not empty and not `force`d."""
    folder = Path(folder)
    problem = folder_problem(folder)
    if problem:
        raise OutputExistsError(f"--out {folder}: {problem}")
    if folder.is_dir() and any(folder.iterdir()) and not force:
        raise OutputExistsError(f"--out {folder}: exists and is not empty; expected a new or empty folder, or "
                                f"--force to overwrite it")


def prepare_folder(folder: Path, force: bool) -> None:
    """Check the run folder (`check_output_folder`) and create it."""
    folder = Path(folder)
    check_output_folder(folder, force)
    folder.mkdir(parents=True, exist_ok=True)


def provenance(command: str | None = None) -> dict[str, str | None]:
    """What made a result: the command line (default: this process's), the package version, the git commit."""
    return {"command": command or " ".join(sys.argv), "version": package_version(), "commit": _git_commit()}


def scenario_toml(scenario: Scenario) -> str:
    """The resolved scenario as TOML, every default filled in (it loads back to the same scenario)."""
    return tomli_w.dumps(scenario.model_dump(mode="python", exclude_none=True))


def package_version() -> str:
    """The installed morale version ("unknown" from a source tree that was never installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("morale")
    except PackageNotFoundError:
        return "unknown"


@functools.cache
def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
