"""Sweeps: a grid or a Latin hypercube over named parameters; a table of parameter values x outcomes.

`--param combat.intensity=0.04:0.05` sweeps between the bounds, `--param combat.intensity=0.04,0.045,0.05`
at those values, `--param combat.intensity` over the parameter's own range (a value outside the scenario's
range widens it for that run). A sweep TOML gives the same as a file:

    scenario = "russia-2022"
    design = "lhs"            # or "grid"
    samples = 20              # lhs points (grid: levels = 3)
    runs = 2                  # replicates per point (paired seeds)
    outcomes = ["killed@2025-12-31", "max(soldiers_front)"]
    [params]
    "combat.intensity" = [0.04, 0.05]
    "recruitment.contract.risk_weight" = [2, 4, 8]      # three values make grid levels

The folder gets `sweep.parquet` (per run), `points.parquet` (per point, outcomes averaged over replicates),
`sweep.png` (each outcome against each parameter), `report.html`, and each simulator run's weekly series in
`runs/` (so `morale discover` can ask a condition the sweep did not name as an outcome).
"""

from __future__ import annotations

import html
import tomllib
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
from morale.experiments.parameters import Uncertain, grid, latin_hypercube
from morale.experiments.runner import open_store, run_tasks
from morale.experiments.store import write_parquet
from morale.experiments.tasks import FunctionModel

DESIGNS = ("grid", "lhs")


@dataclass
class Sweep:
    folder: Path
    spec: dict[str, Any]
    table: pd.DataFrame  # per run
    points: pd.DataFrame  # per design point
    parameters: list[str]
    outcomes: list[str]


def load_sweep_file(path: str | Path) -> dict[str, Any]:
    """A sweep TOML as keyword arguments of `sweep` (params as --param texts)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ValueError(f"{path}: cannot be read as a sweep TOML ({err})") from None
    params = []
    for name, value in data.pop("params", {}).items():
        if isinstance(value, list) and len(value) == 2:
            params.append(f"{name}={value[0]}:{value[1]}")
        elif isinstance(value, list) and value:
            params.append(f"{name}=" + ",".join(str(v) for v in value))
        else:
            params.append(name)
    known = {"scenario", "design", "samples", "levels", "runs", "seed", "scale", "end", "outcomes", "set"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(known))}")
    if "set" in data:
        data["overrides"] = data.pop("set")
    return {**data, "params": params}


def sweep(scenario: str | Path | dict = "russia-2022", params: list[str] | None = None, design: str = "grid",
          levels: int = 3, samples: int = 10, runs: int = 1, seed: int = 0, scale: float | None = None,
          end: str | None = None, overrides: dict | list[str] | None = None, outcomes: list[str] | None = None,
          out: str | Path | None = None, resume: bool = False, force: bool = False, scheduler: str = "processes",
          workers: int | None = None, progress: bool = False, model: FunctionModel | None = None,
          parameters: list[Uncertain] | None = None) -> Sweep:
    """Run a sweep. For a plain Python model give `model` (see `design.function_model`) and `parameters`."""
    if design not in DESIGNS:
        raise ValueError(f"--design: got {design!r}; expected grid or lhs")
    explicit: dict[str, list[float]] = {}
    if model is None:
        model, resolved = resolve_model(scenario, scale, end, overrides)
        uncertain, explicit = simulator_parameters(resolved, params or [])
    else:
        resolved, uncertain = None, list(parameters or [])
    if not uncertain:
        raise ValueError("--param: expected at least one parameter to sweep")
    parsed = parse_outcomes(outcomes, model.known_outcomes())
    if not parsed:
        raise ValueError("--outcome: expected at least one outcome, for example killed@2025-12-31")
    if resolved is not None:
        check_outcome_dates(parsed, resolved.start, resolved.end)
    if design == "grid":
        points = grid(uncertain, {p.name: explicit.get(p.name) or list(np.linspace(p.low, p.high, levels))
                                  for p in uncertain})
    else:
        points = latin_hypercube(uncertain, samples, seed)
    texts = tuple(o.text for o in parsed)
    spec = {"kind": "sweep", "model": model_description(model, resolved), "design": design,
            "parameters": [vars(p) for p in uncertain], "levels": levels, "samples": samples, "runs": runs,
            "seed": seed, "outcomes": list(texts), "points": len(points)}
    store = open_store(out, spec, resume, force, changes=what_if(resolved))
    tasks = design_tasks(model, points, runs, seed, texts, keep_series=True)  # conditions asked later
    records = run_tasks(tasks, store, scheduler, workers, progress, title=f"sweep ({len(points)} points)")
    table = runs_table(tasks, records)
    names = [p.name for p in uncertain]
    ok = table[table["status"] == "ok"]
    per_point = ok.groupby("point", sort=True)[list(texts)].mean() if len(ok) else pd.DataFrame(columns=texts)
    point_frame = pd.DataFrame([{"point": i, **pt} for i, pt in enumerate(points)]).set_index("point")
    point_frame = point_frame.join(per_point).reset_index()
    point_frame["replicates_ok"] = point_frame["point"].map(ok.groupby("point").size()).fillna(0).astype(int)
    keep = ["point", "key", "seed", "replicate", "status", "error", *names, *texts, "conservation_error"]
    table = table[[c for c in keep if c in table.columns]]
    write_parquet(table, store.folder / "sweep.parquet")
    write_parquet(point_frame, store.folder / "points.parquet")
    result = Sweep(store.folder, spec, table, point_frame, names, list(texts))
    fig = plot_sweep(result)
    fig.savefig(store.folder / "sweep.png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    write_report(result, store.folder / "report.html")
    return result


def write_report(result: Sweep, path: Path, most: int = 200) -> None:
    """report.html: the design, each outcome against each parameter, and the table of points."""
    import matplotlib.pyplot as plt

    from morale.results.report import write_page

    spec = result.spec
    model = spec.get("model", {})
    subject = model.get("scenario") or model.get("function") or "model"
    fig = plot_sweep(result)
    ok = int((result.table["status"] == "ok").sum())
    shown = result.points.head(most)
    more = f"<p>The first {most} of {len(result.points)} points; all are in points.parquet.</p>" \
        if len(result.points) > most else ""
    parts = [f"<h1>Sweep: {html.escape(str(subject))}</h1>",
             f"<p>{html.escape(spec['design'])} design over {html.escape(', '.join(result.parameters))}: "
             f"{len(result.points)} points x {spec['runs']} paired runs, seed {spec['seed']}{_scale(model)}; "
             f"{ok} of {len(result.table)} runs finished.</p>",
             provenance_section(result.folder, model.get("overrides")),
             "<h2>Outcomes against parameters</h2>", figure_html(fig),
             "<h2>Points (outcomes: mean over replicates)</h2>",
             shown.to_html(index=False, float_format=lambda v: f"{v:,.6g}"), more, failures_html(result.table)]
    plt.close(fig)
    write_page(path, f"morale sweep: {subject}", parts)


def plot_sweep(result: Sweep):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = len(result.outcomes), len(result.parameters)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.8 * rows), squeeze=False)
    ok = result.table[result.table["status"] == "ok"]
    for i, outcome in enumerate(result.outcomes):
        for j, param in enumerate(result.parameters):
            ax = axes[i][j]
            ax.scatter(ok[param], ok[outcome], s=10, alpha=0.5, color="tab:blue", label="runs")
            if len(result.parameters) == 1:
                pts = result.points.sort_values(param)
                ax.plot(pts[param], pts[outcome], color="tab:red", lw=1.2, label="mean over replicates")
            ax.set_xlabel(param, fontsize=7)
            ax.set_ylabel(outcome, fontsize=7)
            ax.tick_params(labelsize=7)
    fig.suptitle(f"sweep: {result.spec['design']}, {len(result.points)} points x {result.spec['runs']} runs",
                 fontsize=10)
    fig.tight_layout()
    return fig


def _scale(model: dict) -> str:
    return f", scale {model['scale']}" if model.get("scale") is not None else ""
