"""What the Compare page shows, built from a comparison's folder and tables without Streamlit: the two arms'
bands (mean and 90% band over runs), the paired difference B - A week by week with its 95% interval, and
the headline outcomes. The Explore page shows compare and ensemble folders with the same functions.

Charts carry a Plotly config whose toolbar saves them as PNG in the browser (nothing is exported on the
server, nothing is fetched: the pages work offline); each chart's data goes with it as a CSV (`display.Chart`).
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative
from plotly.subplots import make_subplots

from morale.dashboard.display import Chart
from morale.experiments.validate import paired_interval
from morale.scenario.loader import load_scenario
from morale.scenario.schema import Scenario

BAND = (0.05, 0.95)  # the 90% band over runs
COLOURS = qualitative.Plotly
HEADLINE = ["outcome", "mean A", "mean B", "mean B-A", "ci95 low", "ci95 high", "B-A q05", "B-A q95", "share B>A",
            "replicates"]
SCALES = (100, 200, 500, 1000)
# Measured on the 2-core machine with a niced 2-worker validate run in the background (an idle machine does
# better): a warm russia-2022 against long-training comparison in one process, without figures (`report=False`),
# took 0.29, 0.23, 0.19 and 0.17 s per simulated run-year at scales 100, 200, 500 and 1000 (2 paired runs to
# 2024-12-31), and about 0.3 s once. The values below add about 20% to those.
SECONDS_PER_YEAR = {100: 0.35, 200: 0.28, 500: 0.23, 1000: 0.2}
OVERHEAD_SECONDS = 1.0
BUDGET_SECONDS = 60.0
DEFAULT_RUNS = 4
MOST_RUNS = 20


# the two arms ------------------------------------------------------------------------------------------------
def pin_lines(text: str) -> list[str]:
    """`path=value` pins, one a line (as `--set`); blank lines and lines starting with # are skipped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def arms(a: str, b: str | None, pins: list[str]) -> tuple[Scenario, Scenario, list[str]]:
    """Scenarios A and B (B: the built-in `b`, or A with the pins when `b` is None) and the what-if warnings
    the pins raise (events they switch off). Bad input raises `ScenarioError` in one line."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        first = load_scenario(a)
        second = load_scenario(a, overrides=pins) if b is None else load_scenario(b)
    return first, second, [str(w.message) for w in said]


def years(start: dt.date, end: dt.date) -> float:
    return (end - start).days / 365.25


def run_seconds(scale: float, span_years: float) -> float:
    """A run's expected wall time: the measured cost per simulated year at the nearest offered scale."""
    nearest = min(SECONDS_PER_YEAR, key=lambda s: abs(math.log(s / scale)))
    return SECONDS_PER_YEAR[nearest] * span_years


def comparison_seconds(runs: int, scale: float, span_years: float) -> float:
    """A comparison's expected wall time: two arms of `runs` runs in one process, and their tables."""
    return OVERHEAD_SECONDS + 2 * runs * run_seconds(scale, span_years)


def most_runs(scale: float, span_years: float) -> int:
    """Runs per arm that fit in about a minute, at least 2, at most `MOST_RUNS`."""
    fits = int((BUDGET_SECONDS - OVERHEAD_SECONDS) // (2 * run_seconds(scale, span_years)))
    return max(2, min(MOST_RUNS, fits))


# bands ----------------------------------------------------------------------------------------------------------
@dataclass
class Arm:
    """One arm's weekly series over its finished runs: values[run, week, series]."""

    label: str
    dates: pd.DatetimeIndex
    replicates: np.ndarray
    values: np.ndarray


def read_arms(folder: Path, runs: pd.DataFrame, names: list[str], label: str = "runs") -> list[Arm]:
    """The finished runs' weekly series (DIR/runs/<key>.parquet, as the experiment store writes them), one
    `Arm` per scenario of a comparison (in the order of `runs`), or one labelled `label` for an ensemble."""
    ok = runs[runs["status"] == "ok"]
    groups = ok.groupby("scenario", sort=False) if "scenario" in ok.columns else [(label, ok)]
    found = []
    for name, group in groups:
        frames = [pd.read_parquet(Path(folder) / "runs" / f"{key}.parquet", columns=["date", *names])
                  for key in group["key"]]
        values = np.stack([f[names].to_numpy(dtype=float) for f in frames])
        found.append(Arm(str(name), pd.DatetimeIndex(frames[0]["date"]), group["replicate"].to_numpy(), values))
    return found


def band_table(arms: list[Arm], names: list[str]) -> pd.DataFrame:
    """Per arm, week and series: the mean over runs and the 90% band."""
    frames = []
    for arm in arms:
        low, high = np.quantile(arm.values, BAND, axis=0)
        for j, name in enumerate(names):
            frames.append(pd.DataFrame({"arm": arm.label, "series": name, "date": arm.dates,
                                        "mean": arm.values[:, :, j].mean(axis=0), "q05": low[:, j],
                                        "q95": high[:, j], "runs": len(arm.values)}))
    return pd.concat(frames, ignore_index=True)


def difference_table(a: Arm, b: Arm, names: list[str]) -> pd.DataFrame:
    """Per week and series: B - A over the replicates both finished (paired seeds), its mean with the
    paired 95% interval, and the 90% band of the differences."""
    both = np.intersect1d(a.replicates, b.replicates)
    differences = _runs_of(b, both) - _runs_of(a, both)
    mean, low, high = np.apply_along_axis(paired_interval, 0, differences)
    q05, q95 = np.quantile(differences, BAND, axis=0)
    frames = [pd.DataFrame({"series": name, "date": a.dates, "mean B-A": mean[:, j], "ci95 low": low[:, j],
                            "ci95 high": high[:, j], "q05": q05[:, j], "q95": q95[:, j], "replicates": len(both)})
              for j, name in enumerate(names)]
    return pd.concat(frames, ignore_index=True)


def _runs_of(arm: Arm, replicates: np.ndarray) -> np.ndarray:
    order = np.argsort(arm.replicates)
    return arm.values[order[np.searchsorted(arm.replicates, replicates, sorter=order)]]


def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _band(fig: go.Figure, x, low, centre, high, name: str, colour: str, row: int, legend: bool) -> None:
    fig.add_trace(go.Scatter(x=x, y=high, mode="lines", line={"width": 0}, hoverinfo="skip", showlegend=False,
                             legendgroup=name), row=row, col=1)
    fig.add_trace(go.Scatter(x=x, y=low, mode="lines", line={"width": 0}, fill="tonexty",
                             fillcolor=_rgba(colour, 0.2), hoverinfo="skip", showlegend=False, legendgroup=name),
                  row=row, col=1)
    fig.add_trace(go.Scatter(x=x, y=centre, mode="lines", line={"color": colour, "width": 2}, name=name,
                             legendgroup=name, showlegend=legend), row=row, col=1)


def bands_figure(bands: pd.DataFrame, names: list[str]) -> go.Figure:
    """One panel per series: each arm's mean over runs as a line in its 90% band."""
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, subplot_titles=names, vertical_spacing=0.06)
    for i, name in enumerate(names, start=1):
        for k, (arm, frame) in enumerate(bands[bands["series"] == name].groupby("arm", sort=False)):
            _band(fig, frame["date"], frame["q05"], frame["mean"], frame["q95"], arm, COLOURS[k % len(COLOURS)],
                  i, legend=i == 1)
    fig.update_layout(height=240 * len(names) + 60, margin={"t": 40, "b": 20},
                      title_text="mean over runs and 90% band", title_font_size=13)
    return fig


def difference_figure(differences: pd.DataFrame, names: list[str]) -> go.Figure:
    """One panel per series: the mean paired difference B - A with its 95% interval, and zero."""
    fig = make_subplots(rows=len(names), cols=1, shared_xaxes=True, subplot_titles=names, vertical_spacing=0.06)
    for i, name in enumerate(names, start=1):
        frame = differences[differences["series"] == name]
        _band(fig, frame["date"], frame["ci95 low"], frame["mean B-A"], frame["ci95 high"], "B - A (95% interval)",
              COLOURS[2], i, legend=i == 1)
        fig.add_hline(y=0, line={"color": "grey", "width": 1}, row=i, col=1)
    fig.update_layout(height=240 * len(names) + 60, margin={"t": 40, "b": 20},
                      title_text="paired difference B - A: mean and 95% interval", title_font_size=13)
    return fig


# outcomes ---------------------------------------------------------------------------------------------------
def headline(effects: pd.DataFrame) -> pd.DataFrame:
    """The effects table's headline columns (means, B - A with its paired 95% interval, share B > A)."""
    return effects[[c for c in HEADLINE if c in effects.columns]]


def outcome_figure(differences: pd.DataFrame, effects: pd.DataFrame) -> go.Figure:
    """One panel per outcome: B - A of each replicate, the mean (line) and its 95% interval (shaded)."""
    outcomes = list(effects["outcome"])
    fig = make_subplots(rows=1, cols=len(outcomes), subplot_titles=outcomes)
    for j, row in enumerate(effects.to_dict("records"), start=1):
        fig.add_trace(go.Scatter(x=differences["replicate"], y=differences[f"B-A {row['outcome']}"], mode="markers",
                                 marker={"color": COLOURS[0]}, name="replicates", showlegend=j == 1), row=1, col=j)
        fig.add_hrect(y0=row["ci95 low"], y1=row["ci95 high"], fillcolor=COLOURS[1], opacity=0.2, line_width=0,
                      row=1, col=j)
        fig.add_hline(y=row["mean B-A"], line={"color": COLOURS[1]}, row=1, col=j)
        fig.add_hline(y=0, line={"color": "grey", "width": 1}, row=1, col=j)
        fig.update_xaxes(title_text="replicate", row=1, col=j)
    fig.update_layout(height=340, margin={"t": 60, "b": 20},
                      title_text="B - A per replicate, mean and 95% interval", title_font_size=13)
    return fig


def comparison_panels(folder: Path, runs: pd.DataFrame, differences: pd.DataFrame, effects: pd.DataFrame,
                      names: list[str]) -> list[Chart]:
    """The panels of a comparison: bands, the weekly paired difference (when both arms share a calendar)
    and the outcomes' differences."""
    a, b = read_arms(folder, runs, names)
    bands = band_table([a, b], names)
    panels = [Chart("compare-bands", f"Bands: {a.label} (A) and {b.label} (B)", bands_figure(bands, names), bands)]
    if a.dates.equals(b.dates):
        weekly = difference_table(a, b, names)
        panels.append(Chart("compare-difference", "Paired difference B - A, week by week",
                            difference_figure(weekly, names), weekly))
    if len(effects):
        panels.append(Chart("compare-outcomes", "Outcomes: B - A per replicate",
                            outcome_figure(differences, headline(effects)), differences))
    return panels
