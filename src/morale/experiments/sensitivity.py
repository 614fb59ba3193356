"""Global sensitivity: Morris screening and Sobol indices (SALib) of chosen outcomes over parameters' ranges.

SALib samples the unit hypercube; each coordinate is mapped through its parameter's distribution
(`parameters.from_unit`), so Sobol indices are those of the inputs as the scenario states them. Each sample
is run `runs` times with paired seeds (replicate r of every sample shares a seed) and the outcome averaged.
Indices come with SALib's bootstrap 95% confidence intervals (its resampling seeded by `seed`).

Works on the simulator (parameters: every ranged one, or those named) and on any plain Python function
(`design.function_model`), which is how the pipeline is checked against the Ishigami function.

`dummy=True` (`--dummy`) adds a parameter named `dummy`, uniform on [0, 1], that SALib samples like the others
but the model never reads: it is not passed to the scenario or the function (it goes into the run table only).
Its index is the floor a real parameter must clear (as in the EMA Workbench): `indices.parquet` then has
`above_dummy`, true where the index minus its 95% interval (Morris mu* - mu_star_conf; Sobol ST - ST_conf)
is above the dummy's index plus its interval. Elementary effects of the dummy compare two runs that differ in
nothing, so with paired seeds (or a deterministic function) its mu* and interval are 0 exactly, and the test
says whether a parameter's mu* is distinguishable from zero.

The folder gets `runs.parquet` (each sample's parameters and outcomes), `indices.parquet` (per outcome and
parameter, ranked: Morris mu*, its CI, sigma; or Sobol S1, ST and their CIs), `sensitivity.png` and
`report.html`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from morale.experiments.design import design_tasks, model_description, simulator_parameters
from morale.experiments.ensemble import (
    failures_html,
    figure_html,
    provenance_section,
    resolve_model,
    runs_table,
    what_if,
)
from morale.experiments.outcomes import check_outcome_dates, parse_outcomes
from morale.experiments.parameters import Uncertain, from_unit, ranged_parameters
from morale.experiments.runner import open_store, run_tasks
from morale.experiments.store import write_parquet
from morale.experiments.tasks import FunctionModel, SimulatorModel

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4
DUMMY = "dummy"
DUMMY_PARAMETER = Uncertain(DUMMY, 0.5, 0.0, 1.0)  # drawn like the others, read by nothing


@dataclass
class Sensitivity:
    folder: Path
    spec: dict[str, Any]
    indices: pd.DataFrame
    table: pd.DataFrame


def ishigami(x1: float, x2: float, x3: float, a: float = 7.0, b: float = 0.1) -> float:
    """Ishigami & Homma (1990), x_i ~ U(-pi, pi): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)."""
    return float(np.sin(x1) + a * np.sin(x2) ** 2 + b * x3 ** 4 * np.sin(x1))


def salib_seed(seed: int) -> int:
    """A nonzero seed for SALib's analysers, derived from `seed`: they seed their bootstrap only `if seed:`, so
    seed 0 would give confidence intervals that change from call to call."""
    return int(np.random.SeedSequence([seed, 0x5A1B]).generate_state(1)[0]) or 1


def unit_samples(method: str, d: int, samples: int, seed: int) -> np.ndarray:
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    if method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, samples, calc_second_order=False, scramble=True, seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)


def sensitivity(scenario: str | Path | dict = "russia-2022", method: str = "morris", params: list[str] | None = None,
                samples: int = 16, runs: int = 1, seed: int = 0, scale: float | None = None, end: str | None = None,
                overrides: dict | list[str] | None = None, outcomes: list[str] | None = None,
                out: str | Path | None = None, resume: bool = False, force: bool = False,
                scheduler: str = "processes", workers: int | None = None, progress: bool = False,
                model: FunctionModel | SimulatorModel | None = None, parameters: list[Uncertain] | None = None,
                dummy: bool = False, resolved=None) -> Sensitivity:
    """`samples` is SALib's N: Morris makes N trajectories (N(D+1) points), Sobol N(D+2) points (D counts the
    dummy when `dummy` is set: a parameter named "dummy" on [0, 1] that the model never reads). A prepared
    `model` is analysed over `parameters`; a `SimulatorModel` comes with its `resolved` scenario."""
    if method not in METHODS:
        raise ValueError(f"--method: got {method!r}; expected morris or sobol")
    if model is None:
        model, resolved = resolve_model(scenario, scale, end, overrides)
        if params:
            uncertain, _ = simulator_parameters(resolved, params)
        else:
            fixed = dict(model.overrides)
            uncertain = [p for name, p in ranged_parameters(resolved).items() if name not in fixed]
    else:
        uncertain = list(parameters or [])
    if len(uncertain) < 2:
        raise ValueError("--param: expected at least two parameters with a range")
    if dummy and any(p.name == DUMMY for p in uncertain):
        raise ValueError(f"--dummy: a parameter is already named {DUMMY!r}; expected --dummy without one")
    design = [*uncertain, DUMMY_PARAMETER] if dummy else uncertain
    parsed = parse_outcomes(outcomes, model.known_outcomes())
    if not parsed:
        raise ValueError("--outcome: expected at least one outcome, for example killed@2025-12-31")
    if resolved is not None:
        check_outcome_dates(parsed, resolved.start, resolved.end)
    unit = unit_samples(method, len(design), samples, seed)
    drawn = [{p.name: float(from_unit(p, row[j])) for j, p in enumerate(design)} for row in unit]
    points = [{k: v for k, v in point.items() if not (dummy and k == DUMMY)} for point in drawn]  # never run
    labels = [{DUMMY: point[DUMMY]} for point in drawn] if dummy else None
    texts = tuple(o.text for o in parsed)
    spec = {"kind": "sensitivity", "method": method, "model": model_description(model, resolved),
            "parameters": [vars(p) for p in uncertain], "samples": samples, "runs": runs, "seed": seed,
            "outcomes": list(texts), "points": len(points)}
    if dummy:  # only when set, so the folders of earlier analyses still resume
        spec["dummy"] = vars(DUMMY_PARAMETER)
    store = open_store(out, spec, resume, force, changes=what_if(resolved))
    tasks = design_tasks(model, points, runs, seed, texts, labels)
    records = run_tasks(tasks, store, scheduler, workers, progress, title=f"{method} ({len(points)} samples)")
    table = runs_table(tasks, records)
    names = [p.name for p in design]
    keep = ["point", "key", "seed", "replicate", "status", "error", *names, *texts, "conservation_error"]
    table = table[[c for c in keep if c in table.columns]]
    indices = analyse(method, unit, table, names, list(texts), len(points), seed)
    if dummy:
        indices = against_dummy(method, indices)
    write_parquet(table, store.folder / "runs.parquet")
    write_parquet(indices, store.folder / "indices.parquet")
    result = Sensitivity(store.folder, spec, indices, table)
    import matplotlib.pyplot as plt

    fig = plot_indices(result)
    fig.savefig(store.folder / "sensitivity.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    write_report(result, store.folder / "report.html")
    return result


def write_report(result: Sensitivity, path: Path) -> None:
    """report.html: the method, the ranked indices (figure and table)."""
    import matplotlib.pyplot as plt

    from morale.results.report import write_page

    spec = result.spec
    model = spec.get("model", {})
    subject = model.get("scenario") or model.get("function") or "model"
    fig = plot_indices(result)
    ok = int((result.table["status"] == "ok").sum())
    dummy = (" and a dummy (a parameter on [0, 1] the model never reads; <code>above_dummy</code>: the index "
             "minus its interval is above the dummy's index plus its interval)" if spec.get("dummy") else "")
    parts = [f"<h1>Sensitivity ({html.escape(spec['method'])}): {html.escape(str(subject))}</h1>",
             f"<p>{len(spec['parameters'])} parameters{dummy}, {spec['points']} samples x {spec['runs']} paired "
             f"runs, seed {spec['seed']}{_scale(model)}; {ok} of {len(result.table)} runs finished.</p>",
             provenance_section(result.folder, model.get("overrides")),
             "<h2>Ranked indices (bars: 95% bootstrap intervals)</h2>", figure_html(fig),
             result.indices.to_html(index=False, float_format=lambda v: f"{v:,.4g}"), failures_html(result.table)]
    plt.close(fig)
    write_page(path, f"morale sensitivity: {subject}", parts)


def analyse(method: str, unit: np.ndarray, table: pd.DataFrame, names: list[str], outcomes: list[str],
            n_points: int, seed: int) -> pd.DataFrame:
    """SALib's analysis of each outcome (mean over replicates per sample); failed samples make it NaN."""
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    ok = table[table["status"] == "ok"]
    frames = []
    for outcome in outcomes:
        y = ok.groupby("point")[outcome].mean().reindex(range(n_points)).to_numpy(dtype=float)
        if np.isnan(y).any():
            frames.append(pd.DataFrame({"outcome": outcome, "parameter": names, "rank": 0,
                                        "note": f"{int(np.isnan(y).sum())} samples failed: not analysed"}))
            continue
        if method == "sobol":
            from SALib.analyze import sobol

            res = sobol.analyze(problem, y, calc_second_order=False, num_resamples=200, conf_level=0.95,
                                 seed=salib_seed(seed))
            frame = pd.DataFrame({"outcome": outcome, "parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                                  "ST": res["ST"], "ST_conf": res["ST_conf"]}).sort_values("ST", ascending=False,
                                                                                           kind="stable")
        else:
            from SALib.analyze import morris

            res = morris.analyze(problem, unit, y, num_resamples=200, conf_level=0.95, num_levels=MORRIS_LEVELS,
                                 seed=salib_seed(seed))
            frame = pd.DataFrame({"outcome": outcome, "parameter": names, "mu_star": res["mu_star"],
                                  "mu_star_conf": res["mu_star_conf"], "mu": res["mu"], "sigma": res["sigma"]})
            frame = frame.sort_values("mu_star", ascending=False, kind="stable")
        frame.insert(2, "rank", np.arange(1, len(frame) + 1))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def against_dummy(method: str, indices: pd.DataFrame) -> pd.DataFrame:
    """Add `above_dummy` per outcome: the parameter's index minus its 95% interval is above the dummy's index
    plus its interval (Morris mu*, Sobol ST). False for the dummy itself and where the analysis failed."""
    index, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
    indices = indices.copy()
    indices["above_dummy"] = False
    if index not in indices:
        return indices
    for _, frame in indices.groupby("outcome", sort=False):
        floor = frame[frame["parameter"] == DUMMY]
        if floor.empty or floor[index].isna().all():
            continue
        bound = float((floor[index] + floor[conf]).iloc[0])
        clears = (frame[index] - frame[conf] > bound) & (frame["parameter"] != DUMMY)
        indices.loc[frame.index, "above_dummy"] = clears.to_numpy()
    return indices


def plot_indices(result: Sensitivity, top: int = 15):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outcomes = list(dict.fromkeys(result.indices["outcome"]))
    method = result.spec["method"]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5.2 * len(outcomes), 0.32 * top + 1.5), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        every = result.indices[result.indices["outcome"] == outcome]
        frame = every.head(top)
        if DUMMY in set(every["parameter"]) and DUMMY not in set(frame["parameter"]):  # the floor is always shown
            frame = pd.concat([frame, every[every["parameter"] == DUMMY]])
        frame = frame.iloc[::-1]
        y = np.arange(len(frame))
        if method == "sobol" and "ST" in frame:
            ax.barh(y + 0.2, frame["ST"], 0.4, xerr=frame["ST_conf"], color="tab:red", alpha=0.7, label="ST")
            ax.barh(y - 0.2, frame["S1"], 0.4, xerr=frame["S1_conf"], color="tab:blue", alpha=0.7, label="S1")
            ax.legend(fontsize=7)
            ax.set_xlabel("Sobol index (bars: 95% CI)", fontsize=8)
        elif "mu_star" in frame:
            colours = ["tab:gray" if name == DUMMY else "tab:blue" for name in frame["parameter"]]
            ax.barh(y, frame["mu_star"], xerr=frame["mu_star_conf"], color=colours, alpha=0.7)
            ax.set_xlabel("Morris mu* (outcome units per unit range; bars: 95% CI)", fontsize=8)
        floor = every[every["parameter"] == DUMMY]
        if not floor.empty:
            index, conf = ("ST", "ST_conf") if method == "sobol" else ("mu_star", "mu_star_conf")
            if index in floor:
                ax.axvline(float((floor[index] + floor[conf]).iloc[0]), color="tab:gray", ls="--", lw=0.8)
        ax.set_yticks(y, frame["parameter"], fontsize=7)
        ax.set_title(outcome, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
    fig.suptitle(f"{method}: {result.spec['points']} samples x {result.spec['runs']} runs", fontsize=10)
    fig.tight_layout()
    return fig


def _scale(model: dict) -> str:
    return f", scale {model['scale']}" if model.get("scale") is not None else ""
