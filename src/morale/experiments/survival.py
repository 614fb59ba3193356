"""How long can recruitment keep up? The date each run first fails its requirement, as a survival curve.

A single run's sustainment horizon swings with the call-up calendar and the seed; over an ensemble (with
`--uncertainty` or `--calibrated` parameters) the question has a distribution. The failure is the model's one
definition (`morale.processes.manpower`): the `requirement_failed` flag turns 1 in the week the war zone has
been short by more than `failure_share`, with the response ladder at its top, for 13 consecutive weeks. A run
that never fails is censored at its last week ("not by the horizon"), and the curve is the Kaplan-Meier
estimate, which equals the plain share of runs not yet failed when every run has the same horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from morale.experiments.kept_runs import finished_runs
from morale.experiments.store import read_run_series, write_parquet

FLAG = "requirement_failed"


@dataclass
class Survival:
    folder: Path  # where the results were written
    source: Path  # the experiment folder the runs came from
    failures: pd.DataFrame  # per run: key, seed, replicate, parameters, failed, failure_date, last_date
    curve: pd.DataFrame  # per arm (a comparison's A and B; "all" otherwise) and date: at_risk, failed, survival

    def share_failed_by(self, date: str, arm: str = "all") -> float:
        """Estimated share of runs failed by `date` (1 - survival at the last date on or before it)."""
        curve = self.curve[self.curve["arm"] == arm]
        before = curve[curve["date"] <= pd.Timestamp(date)]
        return 0.0 if before.empty else float(1 - before["survival"].iloc[-1])

    def median_failure(self, arm: str = "all") -> pd.Timestamp | None:
        """The first date by which half the runs have failed, or None (not by the horizon)."""
        below = self.curve[(self.curve["arm"] == arm) & (self.curve["survival"] <= 0.5)]
        return None if below.empty else below["date"].iloc[0]


def failure_dates(folder: str | Path, flag: str = FLAG) -> pd.DataFrame:
    """Per finished run of an experiment folder: the first week its `flag` series is 1 (NaT if never), and its
    last week (the censoring date)."""
    runs = finished_runs(folder)
    first, last = [], []
    for key in runs["key"]:
        series = read_run_series(Path(folder), key, [flag])[flag]
        hit = np.flatnonzero(series.to_numpy() >= 1)
        first.append(series.index[hit[0]] if len(hit) else pd.NaT)
        last.append(series.index[-1])
    return runs.assign(failed=[not pd.isna(d) for d in first], failure_date=pd.to_datetime(first),
                       last_date=pd.to_datetime(last))


def kaplan_meier(failures: pd.DataFrame) -> pd.DataFrame:
    """Survival per distinct date of failure or censoring: runs at risk, failures that week, S(t)."""
    times = failures["failure_date"].where(failures["failed"], failures["last_date"])
    dates = np.sort(times.unique())
    at_risk = np.array([(times >= d).sum() for d in dates])
    failed = np.array([((times == d) & failures["failed"]).sum() for d in dates])
    survival = np.cumprod(1 - failed / at_risk)
    return pd.DataFrame({"date": dates, "at_risk": at_risk, "failed": failed, "survival": survival})


def survival(folder: str | Path, out: str | Path | None = None, flag: str = FLAG) -> Survival:
    """Failure dates and the survival curve of an experiment folder; written to `out` (default
    FOLDER/survival) as failure_dates.parquet, survival.parquet and survival.png."""
    folder = Path(folder)
    failures = failure_dates(folder, flag)
    arms = failures["arm"] if "arm" in failures.columns else pd.Series("all", index=failures.index)
    curve = pd.concat([kaplan_meier(failures[arms == arm]).assign(arm=arm) for arm in sorted(arms.unique())],
                      ignore_index=True)
    target = Path(out) if out is not None else folder / "survival"
    result = Survival(target, folder, failures, curve[["arm", "date", "at_risk", "failed", "survival"]])
    target.mkdir(parents=True, exist_ok=True)
    write_parquet(failures, target / "failure_dates.parquet")
    write_parquet(result.curve, target / "survival.parquet")
    figure = plot_survival(result)
    figure.savefig(target / "survival.png", dpi=110, bbox_inches="tight")
    return result


def plot_survival(result: Survival):
    """The step curve of the share of runs whose requirement has not yet failed."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 4))
    axes = figure.subplots()
    for i, (arm, curve) in enumerate(result.curve.groupby("arm", sort=True)):
        axes.step([curve["date"].iloc[0], *curve["date"]], [1.0, *curve["survival"]], where="post", color=f"C{i}",
                  label=None if arm == "all" else arm)
    if result.curve["arm"].nunique() > 1:
        axes.legend()
    axes.set_ylim(0, 1.02)
    axes.set_ylabel("share of runs not yet failed")
    n, failed = len(result.failures), int(result.failures["failed"].sum())
    axes.set_title(f"Requirement not yet failed: {failed} of {n} runs fail by their horizon")
    axes.grid(alpha=0.3)
    return figure
