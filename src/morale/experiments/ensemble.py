"""Ensembles: N runs of one scenario, each with its own seed, optionally with parameters drawn from their ranges.

Run i uses `SeedSequence(seed, spawn_key=(i,))`, so `morale run --seed S --replicate i` reproduces it alone
(with `--uncertainty`, give the run's drawn parameters, recorded in `runs.parquet`, as base values:
`morale.run(..., base={...})`; `--set` would pin them and drop the dated events that change them). Seeds are
never reused. With `uncertainty`, every ranged parameter not fixed by an override is drawn, once per run, from
the run's own stream (`parameters.draw_run`). With `calibrated`, run i takes one parameter set of the scenario's
shipped calibrated sample (`morale.calibration.shipped`), chosen from the same stream: the bands are then
those the data allow, not those of the conventional ranges.

The folder gets `quantiles.parquet` (per-week 5/25/50/75/95% quantiles of every series: columns date, q,
one per series), `runs.parquet` (per run: seed, replicate, status, drawn parameters, outcomes and a compact
summary: each series' last value or total), `bands.png` and `report.html`.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from morale.experiments.outcomes import check_outcome_dates, parse_outcomes
from morale.experiments.parameters import draw_run, ranged_parameters
from morale.experiments.runner import open_store, run_tasks
from morale.experiments.store import Store, read_run_series, spec_hash, write_parquet
from morale.experiments.tasks import SimulatorModel, Task

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
DEFAULT_BANDS = ("soldiers_front", "front_demand", "serving", "killed", "recruits", "recruits_contract")


@dataclass
class Ensemble:
    """An ensemble's results: `quantiles` (date, q, one column per series), `runs` (one row per run)."""

    folder: Path
    spec: dict[str, Any]
    quantiles: pd.DataFrame
    runs: pd.DataFrame
    outcomes: list[str] = field(default_factory=list)

    @property
    def failures(self) -> pd.DataFrame:
        return self.runs[self.runs["status"] != "ok"]

    def band(self, name: str) -> pd.DataFrame:
        """One series' weekly quantiles: index date, one column per quantile."""
        return self.quantiles.pivot(index="date", columns="q", values=name)

    def series(self, run: int) -> pd.DataFrame:
        """Run i's full weekly series, read from its checkpoint."""
        return read_run_series(self.folder, f"{run:05d}")

    def plot(self, names: list[str] | None = None, path: str | Path | None = None):
        fig = plot_bands({self.spec["scenario"]: self}, names or default_bands(self.outcomes))
        if path is not None:
            fig.savefig(path, dpi=110, bbox_inches="tight")
        return fig


def resolve_model(scenario, scale, end, overrides) -> tuple[SimulatorModel, Any]:
    """The picklable model (the scenario as a resolved dict, --set pins applied) and the resolved scenario with
    run options applied (errors in the scenario, --set, --scale or --end surface here, before any run)."""
    from morale.engine.simulation import resolve
    from morale.scenario.loader import load_scenario

    given = overrides or None  # as given: a list of --set strings names --set in its errors
    overrides = _as_dict(overrides)
    resolved = resolve(scenario, None, scale, end, given)
    pinned = load_scenario(scenario, given).model_dump(mode="python")
    model = SimulatorModel(scenario=pinned, scale=scale, end=None if end is None else str(end),
                           overrides=tuple(sorted(overrides.items())))
    return model, resolved


def _as_dict(overrides) -> dict[str, Any]:
    if not overrides:
        return {}
    if isinstance(overrides, dict):
        return dict(overrides)
    from morale.scenario.loader import parse_value, split_assignment

    return {path: parse_value(value) for path, value in (split_assignment(o) for o in overrides)}


def model_spec(model: SimulatorModel, resolved) -> dict[str, Any]:
    return {"scenario": resolved.name, "scenario_sha": spec_hash(model.scenario), "scale": model.scale,
            "end": model.end, "overrides": dict(model.overrides)}


def ensemble(scenario: str | Path | dict = "russia-2022", runs: int = 20, seed: int = 0, uncertainty: bool = False,
             scale: float | None = None, end: str | None = None, overrides: dict | list[str] | None = None,
             outcomes: list[str] | None = None, out: str | Path | None = None, resume: bool = False,
             force: bool = False, scheduler: str = "processes", workers: int | None = None,
             progress: bool = False, calibrated: bool = False) -> Ensemble:
    """Run an ensemble (see the module docstring) and return its results; `out` is the experiment folder."""
    from morale.results.run import scenario_toml

    if runs < 1:
        raise ValueError(f"--runs: got {runs}; expected at least 1")
    if uncertainty and calibrated:
        raise ValueError("--uncertainty and --calibrated: got both; expected one (ranges or the calibrated sample)")
    model, resolved = resolve_model(scenario, scale, end, overrides)
    parsed = parse_outcomes(outcomes, model.known_outcomes())
    check_outcome_dates(parsed, resolved.start, resolved.end)
    drawn = [p for name, p in ranged_parameters(resolved).items() if name not in dict(model.overrides)] \
        if uncertainty else []
    sample = _calibrated_sample(resolved.name, dict(model.overrides)) if calibrated else None
    spec = {"kind": "ensemble", **model_spec(model, resolved), "runs": runs, "seed": seed,
            "uncertainty": uncertainty, "drawn": [p.name for p in drawn], "outcomes": [o.text for o in parsed]}
    if calibrated:  # only when set, so the folders of earlier ensembles still resume
        spec["calibrated"] = {"parameters": list(sample.columns), "rows": len(sample)}
    store = open_store(out, spec, resume, force, changes=what_if(resolved))
    (store.folder / "scenario.toml").write_text(scenario_toml(resolved), encoding="utf-8")
    tasks = [Task(key=f"{i:05d}", model=model, seed=seed, replicate=i,
                  params=_run_parameters(drawn, sample, seed, i), outcomes=tuple(o.text for o in parsed),
                  keep_series=True, labels={"run": i})
             for i in range(runs)]
    records = run_tasks(tasks, store, scheduler, workers, progress, title=f"ensemble {resolved.name}")
    table = runs_table(tasks, records)
    quantiles = weekly_quantiles(store, [t.key for t in tasks if records[t.key]["status"] == "ok"])
    write_parquet(table, store.folder / "runs.parquet")
    write_parquet(quantiles, store.folder / "quantiles.parquet")
    result = Ensemble(store.folder, spec, quantiles, table, [o.text for o in parsed])
    result.plot(path=store.folder / "bands.png")
    write_report(result, store.folder / "report.html")
    return result


def _calibrated_sample(name: str, pinned: dict) -> pd.DataFrame:
    """The shipped sample without the parameters an override pins (the override wins, as with ranges)."""
    from morale.calibration.shipped import calibrated_sample

    sample = calibrated_sample(name)
    return sample[[c for c in sample.columns if c not in pinned]]


def _run_parameters(drawn, sample: pd.DataFrame | None, seed: int, i: int) -> dict[str, float]:
    if sample is not None:
        from morale.calibration.shipped import draw_calibrated

        return draw_calibrated(sample, seed, i)
    return draw_run(drawn, seed, i) if drawn else {}


def runs_table(tasks: list[Task], records: dict[str, dict]) -> pd.DataFrame:
    """One row per run in run order: labels, seed, replicate, status, error, parameters, outcomes, summary."""
    rows = []
    for task in tasks:
        record = records[task.key]
        row = {**record["labels"], "key": task.key, "seed": record["seed"], "replicate": record["replicate"],
               "status": record["status"], "error": record["error"] or ""}
        row.update(record["params"])
        row.update({k: v for k, v in record["summary"].items() if k not in record["outcomes"]})
        row.update(record["outcomes"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    numeric = [c for c in frame.columns if c not in ("key", "status", "error", "arm", "scenario")
               and frame[c].dtype == object]
    for column in numeric:
        frame[column] = pd.to_numeric(frame[column], errors="ignore")
    return frame


def weekly_quantiles(store: Store, keys: list[str]) -> pd.DataFrame:
    if not keys:
        return pd.DataFrame(columns=["date", "q"])
    dates, columns, values = store.weekly_quantiles(keys, QUANTILES)
    n_q, n_weeks, _ = values.shape
    frame = pd.DataFrame(values.reshape(n_q * n_weeks, len(columns)), columns=columns)
    frame.insert(0, "q", np.repeat(np.array(QUANTILES), n_weeks))
    frame.insert(0, "date", np.tile(dates, n_q))
    return frame.sort_values(["date", "q"], kind="stable").reset_index(drop=True)


def default_bands(outcomes: list[str]) -> list[str]:
    from morale.experiments.outcomes import parse_outcome

    names = list(DEFAULT_BANDS)
    for text in outcomes:
        try:
            name = parse_outcome(text).name
        except ValueError:
            continue
        if name not in names:
            names.append(name)
    return names[:9]


def plot_bands(ensembles: dict[str, Ensemble], names: list[str]):
    """Median and 50%/90% bands of each series, one panel per series, one colour per ensemble."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ncols = min(3, len(names))
    nrows = int(np.ceil(len(names) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.0 * nrows), squeeze=False, sharex=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, name in zip(axes.flat, names):
        for (label, ens), colour in zip(ensembles.items(), colours):
            if name not in ens.quantiles.columns:
                continue
            band = ens.band(name)
            ax.fill_between(band.index, band[0.05], band[0.95], color=colour, alpha=0.15, lw=0)
            ax.fill_between(band.index, band[0.25], band[0.75], color=colour, alpha=0.3, lw=0)
            ax.plot(band.index, band[0.5], color=colour, lw=1.2, label=label)
        ax.set_title(name, fontsize=9)
        ax.tick_params(labelsize=7)
        ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="best")
    n_runs = {label: int((ens.runs["status"] == "ok").sum()) for label, ens in ensembles.items()}
    fig.suptitle("median, 50% and 90% bands over runs (" + ", ".join(f"{k}: {v}" for k, v in n_runs.items()) + ")",
                 fontsize=10)
    fig.tight_layout()
    return fig


def figure_html(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return png_html(buffer.getvalue())


def png_html(png: bytes) -> str:
    """A PNG embedded in a page (reports are single files)."""
    return f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def what_if(resolved) -> list[str]:
    """The resolved scenario's what-if changes, one line each (recorded in manifest.json, shown in reports)."""
    from morale.scenario.whatif import describe_changes

    return [str(line) for line in describe_changes(resolved)] if resolved is not None else []


def provenance_section(folder: Path, overrides: dict | None) -> str:
    """Command line, package version, git commit and what-if changes (from the folder's manifest.json) and the
    experiment's --set overrides, as HTML."""
    from morale.experiments.store import read_manifest
    from morale.results.report import provenance_html

    try:
        made = read_manifest(folder).get("provenance") or {}
    except ValueError:
        made = {}
    return provenance_html(made, overrides, made.get("changes"), show_overrides=True)


def failures_html(runs: pd.DataFrame) -> str:
    failed = runs[runs["status"] != "ok"]
    if not len(failed):
        return ""
    columns = [c for c in ("arm", "point", "key", "seed", "replicate", "error") if c in failed.columns]
    return "<h2>Failed runs</h2>" + failed[columns].to_html(index=False)


def _calibrated_text(spec: dict) -> str:
    made = spec.get("calibrated")
    if not made:
        return ""
    return (f", parameters drawn from the calibrated sample ({made['rows']} sets of {len(made['parameters'])} "
            f"parameters; the bands are those the calibration data allow)")


def write_report(ens: Ensemble, path: Path) -> None:
    import matplotlib.pyplot as plt

    from morale.results.report import write_page

    fig = ens.plot()
    ok = ens.runs[ens.runs["status"] == "ok"]
    columns = ens.outcomes or [c for c in DEFAULT_BANDS if c in ok.columns]
    table = ok[columns].describe(percentiles=[0.05, 0.25, 0.5, 0.75, 0.95]).T if len(ok) else pd.DataFrame()
    parts = [f"<h1>Ensemble: {html.escape(ens.spec['scenario'])}</h1>",
             f"<p>{len(ens.runs)} runs, seed {ens.spec['seed']}, scale {ens.spec['scale']}, "
             f"uncertainty {ens.spec['uncertainty']}{_calibrated_text(ens.spec)}: {len(ok)} finished, "
             f"{len(ens.runs) - len(ok)} failed.</p>",
             provenance_section(ens.folder, ens.spec.get("overrides")),
             "<h2>Bands</h2>", figure_html(fig), "<h2>Outcomes over runs (run totals or last values)</h2>",
             table.to_html(), failures_html(ens.runs)]
    plt.close(fig)
    write_page(path, f"morale ensemble: {ens.spec['scenario']}", parts)
