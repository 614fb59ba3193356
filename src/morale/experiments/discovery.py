"""`morale discover`: scenario discovery on an experiment folder, asked after the runs.

The folder (a sweep, an `--uncertainty` or `--calibrated` ensemble) keeps each run's parameters and weekly
series, so any condition (`morale.experiments.conditions`) can mark its runs, including one nobody named when
they ran. PRIM and CART (`morale.experiments.boxes`) then look for the boxes of parameter space where the
marked runs are dense. Prior ranges come from the sweep's design, else from the scenario the ensemble ran
(its `scenario.toml`), else from the runs themselves.

The results go to their own folder (default FOLDER/discover-<hash of the condition and options>), with a
manifest of kind `discover`: marks.parquet (per run: key, parameters, marked), trajectory.parquet,
box.parquet (the chosen box's limits with quasi-p-values), stability.parquet (bootstrap), leaves.parquet and
tree.txt (CART), trajectory.png, pairs.png, tree.png and report.html.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from morale.experiments.boxes import (
    DENSITY_FLOOR,
    BoxResult,
    find_boxes,
    plot_pairs,
    plot_trajectory,
    plot_tree,
)
from morale.experiments.conditions import parse_condition
from morale.experiments.kept_runs import finished_runs, parameter_names
from morale.experiments.store import ExperimentFolderError, read_manifest, read_run_series, write_parquet


@dataclass
class Discovery:
    folder: Path  # where the results were written
    source: Path  # the experiment folder the runs came from
    condition: str
    marks: pd.DataFrame  # per run: key, parameters, marked
    boxes: BoxResult

    @property
    def box(self) -> pd.DataFrame:
        return self.boxes.limits


def mark(folder: str | Path, condition: str) -> pd.DataFrame:
    """Per finished run of `folder`: key, seed, replicate, its parameters and `marked` (the condition holds)."""
    from morale.engine.recorder import SERIES

    folder = Path(folder)
    runs = finished_runs(folder)
    parsed = parse_condition(condition)
    names = parsed.series_names()
    first = read_run_series(folder, runs["key"].iloc[0], names)
    last_week = first.index[-1].date()
    parsed.check_dates(first.index[0].date(), last_week + dt.timedelta(days=6))  # a week is labelled by its start
    kinds = {name: SERIES[name][0] for name in names if name in SERIES}
    marked = [parsed.evaluate(read_run_series(folder, key, names), kinds) for key in runs["key"]]
    return runs.assign(marked=np.array(marked, dtype=bool))


def prior_ranges(folder: Path, names: list[str]) -> dict[str, tuple[float, float]]:
    """Each parameter's prior range: the sweep's design, else the ranges of the scenario the runs ran."""
    spec = read_manifest(folder).get("spec", {})
    ranges = {p["name"]: (p["low"], p["high"]) for p in spec.get("parameters", []) if p.get("name") in names}
    scenario_file = folder / "scenario.toml"
    if scenario_file.is_file():
        from morale.experiments.parameters import ranged_parameters
        from morale.scenario.loader import load_scenario

        for name, p in ranged_parameters(load_scenario(scenario_file)).items():
            if name in names:
                ranges.setdefault(name, (p.low, p.high))
    return ranges


def discover(folder: str | Path, condition: str, box: int | None = None, out: str | Path | None = None,
             threshold: float = DENSITY_FLOOR, bootstrap: int = 30, seed: int = 0, max_depth: int = 3,
             force: bool = False) -> Discovery:
    """Mark the folder's runs by `condition`, find PRIM and CART boxes, write the results (module docstring)."""
    from morale.experiments.store import spec_hash

    folder = Path(folder)
    marks = mark(folder, condition)
    names = [n for n in parameter_names(marks) if marks[n].nunique() > 1 and n != "marked"]
    if not names:
        raise ExperimentFolderError(f"{folder}: its runs share one parameter set; expected a sweep or an ensemble "
                                    f"with --uncertainty or --calibrated (parameters that vary between runs)")
    positives = int(marks["marked"].sum())
    if positives in (0, len(marks)):
        raise ExperimentFolderError(f"condition {condition!r}: {positives} of {len(marks)} runs of {folder} meet it; "
                                    f"expected some that do and some that do not (discovery contrasts them)")
    ranges = prior_ranges(folder, names)
    ranges = {n: (min(lo, marks[n].min()), max(hi, marks[n].max())) for n, (lo, hi) in ranges.items()}
    spec = {"kind": "discover", "source": str(folder.resolve()), "condition": condition, "box": box,
            "threshold": threshold, "bootstrap": bootstrap, "seed": seed, "max_depth": max_depth}
    target = Path(out) if out is not None else folder / f"discover-{spec_hash({**spec, 'source': ''})[:8]}"
    if target.exists() and any(target.iterdir()) and not force and not (target / "discovery.json").is_file():
        raise ExperimentFolderError(f"--out {target}: not empty and not a discovery; expected a new folder "
                                    f"(or --force)")
    result = find_boxes(marks[names], marks["marked"].to_numpy(), ranges, box=box, threshold=threshold,
                        bootstrap=bootstrap, seed=seed, max_depth=max_depth)
    found = Discovery(target, folder, condition, marks, result)
    _write(found, spec)
    return found


def _write(found: Discovery, spec: dict) -> None:
    import json

    from morale.experiments.store import FORMAT, atomic_write, canonical, spec_hash
    from morale.results.run import provenance

    target, result = found.folder, found.boxes
    target.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "spec_hash": spec_hash(spec), "spec": json.loads(canonical(spec)),
                "provenance": provenance()}
    write_parquet(found.marks, target / "marks.parquet")
    write_parquet(result.trajectory, target / "trajectory.parquet")
    write_parquet(result.limits, target / "box.parquet")
    write_parquet(result.stability, target / "stability.parquet")
    write_parquet(result.leaves, target / "leaves.parquet")
    (target / "tree.txt").write_text(result.tree_rules, encoding="utf-8")
    figures = {"trajectory": plot_trajectory(result), "tree": plot_tree(result),
               "pairs": plot_pairs(found.marks[_restricted(result)], found.marks["marked"], result)}
    for name, figure in figures.items():
        figure.savefig(target / f"{name}.png", dpi=110, bbox_inches="tight")
    _report(found, figures, target / "report.html")
    summary = {"condition": found.condition, "source": str(found.source), "box": result.chosen,
               "positives": result.positives, "runs": result.total, "notes": result.notes,
               "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    atomic_write(target / "discovery.json", json.dumps(summary, indent=1))
    atomic_write(target / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True))


def _restricted(result: BoxResult) -> list[str]:
    names = list(result.limits["parameter"])
    return names or list(result.tree_importance.sort_values(ascending=False).index[:2])


def _report(found: Discovery, figures: dict, path: Path) -> None:
    from morale.experiments.ensemble import figure_html, provenance_section
    from morale.results.report import write_page

    result = found.boxes
    row = result.trajectory.set_index("id").loc[result.chosen]
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in result.notes)
    parts = [f"<h1>Scenario discovery: {html.escape(found.condition)}</h1>",
             f"<p>{result.positives} of {result.total} runs of <code>{html.escape(str(found.source))}</code> meet "
             f"the condition. PRIM box {result.chosen} (the last of the peeling trajectory with density at least "
             f"{result.threshold:g}, unless --box chose it): coverage {row['coverage']:.2f}, density "
             f"{row['density']:.2f}, mass {row['mass']:.2f}, {int(row['res_dim'])} parameters restricted.</p>",
             f"<ul>{notes}</ul>" if notes else "",
             provenance_section(found.source, None),
             "<h2>The box: limits per restricted parameter (prior range beside; quasi-p-values)</h2>",
             _table(result.limits) if len(result.limits) else "<p>No parameter restricted.</p>",
             "<h2>Peeling trajectory</h2>", figure_html(figures["trajectory"]),
             "<h2>Stability under bootstrap resampling</h2>", _table(result.stability),
             "<h2>Restricted parameters, pairwise</h2>", figure_html(figures["pairs"]),
             "<h2>CART</h2>", f"<pre>{html.escape(result.tree_rules)}</pre>", _table(result.leaves),
             figure_html(figures["tree"])]
    write_page(path, f"morale discover: {found.condition}", parts)


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, float_format=lambda v: f"{v:,.4g}")
