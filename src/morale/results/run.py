"""A finished run: its weekly series, tidy breakdowns, the resolved scenario, and saving to a folder."""

from __future__ import annotations

import datetime as dt
import json
import platform
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import tomli_w

from morale.engine.recorder import kind
from morale.scenario.schema import Scenario


@dataclass
class Run:
    scenario: Scenario
    series: pd.DataFrame  # one row per week (DatetimeIndex), one column per variable
    by_stream: pd.DataFrame  # date, stream, variable, value
    by_region: pd.DataFrame  # date, region_code, variable, value
    events: pd.DataFrame  # date, kind, count
    seed: int
    replicate: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    def kind(self, name: str) -> str:
        return kind(name)

    def stream(self, variable: str) -> pd.DataFrame:
        """One variable by stream, wide: a column per stream."""
        frame = self.by_stream[self.by_stream["variable"] == variable]
        return frame.pivot(index="date", columns="stream", values="value")

    def region(self, variable: str) -> pd.DataFrame:
        frame = self.by_region[self.by_region["variable"] == variable]
        return frame.pivot(index="date", columns="region_code", values="value")

    def save(self, folder: str | Path, command: str | None = None, force: bool = False) -> Path:
        """Write the run folder (see README: manifest, scenario, Parquet tables, report)."""
        from morale.results.report import write_report

        folder = Path(folder)
        prepare_folder(folder, force)
        self.series.rename_axis("date").reset_index().to_parquet(folder / "series.parquet", index=False)
        self.by_stream.to_parquet(folder / "by_stream.parquet", index=False)
        self.by_region.to_parquet(folder / "by_region.parquet", index=False)
        self.events.to_parquet(folder / "events.parquet", index=False)
        (folder / "scenario.toml").write_text(scenario_toml(self.scenario), encoding="utf-8")
        manifest = {
            "morale_version": _version(),
            "git_commit": _git_commit(),
            "command": command or " ".join(sys.argv),
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
        write_report(self, folder / "report.html")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Run:
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


def prepare_folder(folder: Path, force: bool) -> None:
    """Refuse to overwrite a non-empty folder unless forced."""
    if folder.exists() and any(folder.iterdir()) and not force:
        raise OutputExistsError(f"{folder}: exists and is not empty; use --force to overwrite it")
    folder.mkdir(parents=True, exist_ok=True)


def scenario_toml(scenario: Scenario) -> str:
    """The resolved scenario as TOML, every default filled in (it loads back to the same scenario)."""
    return tomli_w.dumps(scenario.model_dump(mode="python", exclude_none=True))


def _version() -> str:
    from importlib.metadata import version

    return version("morale")


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).parent)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
