"""Comparisons: two scenarios with common random numbers, their bands side by side, and the distribution of the paired
difference (B minus A) of chosen outcomes.

Run i of A and run i of B share the seed `SeedSequence(seed, spawn_key=(i,))`, so the difference is the scenarios'
effect and not the noise of two draws. The folder gets `quantiles.parquet` (with a `scenario` column), `runs.parquet`
(one row per run of either), `differences.parquet` (per replicate: A, B and B-A of each outcome), `effects.parquet`
(per outcome: means, paired 95% interval, quantiles of the difference, share of replicates with B > A), `bands.png`,
`differences.png` and `report.html` (both, with the effects table). With `report=False` the tables alone are written
(the dashboard draws its own charts); `morale report FOLDER` adds the figures later.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from morale.experiments.ensemble import (
    QUANTILES,
    Ensemble,
    default_bands,
    failures_html,
    figure_html,
    model_spec,
    plot_bands,
    provenance_section,
    resolve_model,
    runs_table,
    weekly_quantiles,
    what_if,
)
from morale.experiments.outcomes import check_outcome_dates, parse_outcomes
from morale.experiments.runner import open_store, run_tasks
from morale.experiments.store import write_parquet
from morale.experiments.tasks import Task

DEFAULT_OUTCOMES = ("killed", "recruits", "soldiers_front")


@dataclass
class Comparison:
    folder: Path
    spec: dict[str, Any]
    a: Ensemble
    b: Ensemble
    differences: pd.DataFrame
    effects: pd.DataFrame


def compare(a: str | Path | dict, b: str | Path | dict, runs: int = 20, seed: int = 0, scale: float | None = None,
            end: str | None = None, overrides: dict | list[str] | None = None, outcomes: list[str] | None = None,
            out: str | Path | None = None, resume: bool = False, force: bool = False, scheduler: str = "processes",
            workers: int | None = None, progress: bool = False, report: bool = True) -> Comparison:
    """Run A and B with paired seeds and compare them (see the module docstring). `report=False` leaves out
    the figures and report.html (seconds of Matplotlib); `morale report FOLDER` writes the report later."""
    from morale.scenario.loader import ScenarioError

    if runs < 1:
        raise ValueError(f"--runs: got {runs}; expected at least 1")
    model_a, resolved_a = resolve_model(a, scale, end, overrides)
    model_b, resolved_b = resolve_model(b, scale, end, overrides)
    parsed = parse_outcomes(outcomes or list(DEFAULT_OUTCOMES), model_a.known_outcomes())
    check_outcome_dates(parsed, max(resolved_a.start, resolved_b.start), min(resolved_a.end, resolved_b.end))
    name_a, name_b = arm_names(resolved_a.name, resolved_b.name)
    if model_a == model_b:
        raise ScenarioError(f"compare: {a} and {b} are the same scenario; expected two different ones "
                            f"(or one with its own change: --b-set, --b-event)")
    spec = {"kind": "compare", "a": model_spec(model_a, resolved_a), "b": model_spec(model_b, resolved_b),
            "runs": runs, "seed": seed, "outcomes": [o.text for o in parsed]}
    store = open_store(out, spec, resume, force, changes={f"A ({name_a})": what_if(resolved_a),
                                                          f"B ({name_b})": what_if(resolved_b)})
    texts = tuple(o.text for o in parsed)
    tasks = [Task(key=f"{arm}-{i:05d}", model=model, seed=seed, replicate=i, outcomes=texts, keep_series=True,
                  labels={"arm": arm.upper(), "scenario": name, "run": i})
             for i in range(runs) for arm, model, name in (("a", model_a, name_a), ("b", model_b, name_b))]
    records = run_tasks(tasks, store, scheduler, workers, progress, title=f"compare {name_a} / {name_b}")
    table = runs_table(tasks, records)
    ensembles = {}
    quantile_frames = []
    for arm, name in (("a", name_a), ("b", name_b)):
        arm_tasks = [t for t in tasks if t.labels["arm"] == arm.upper()]
        q = weekly_quantiles(store, [t.key for t in arm_tasks if records[t.key]["status"] == "ok"])
        quantile_frames.append(q.assign(scenario=name))
        ensembles[name] = Ensemble(store.folder, {**spec, "scenario": name}, q,
                                   table[table["arm"] == arm.upper()].reset_index(drop=True), list(texts))
    differences = paired_differences(table, list(texts))
    effects = effect_table(differences, list(texts), name_a, name_b)
    quantiles = pd.concat(quantile_frames, ignore_index=True)
    quantiles = quantiles[["scenario", *[c for c in quantiles.columns if c != "scenario"]]]
    write_parquet(table, store.folder / "runs.parquet")
    write_parquet(quantiles, store.folder / "quantiles.parquet")
    write_parquet(differences, store.folder / "differences.parquet")
    write_parquet(effects, store.folder / "effects.parquet")
    result = Comparison(store.folder, spec, ensembles[name_a], ensembles[name_b], differences, effects)
    if not report:
        return result
    import matplotlib.pyplot as plt

    fig = plot_bands(ensembles, default_bands(list(texts)))
    fig.savefig(store.folder / "bands.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig = plot_differences(differences, list(texts), name_a, name_b)
    fig.savefig(store.folder / "differences.png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    write_report(result, store.folder / "report.html")
    return result


def arm_names(a: str, b: str) -> tuple[str, str]:
    """The arms' labels: the scenarios' names, prefixed A: and B: when they are the same name."""
    return (f"A:{a}", f"B:{b}") if a == b else (a, b)


def write_report(result: Comparison, path: Path) -> None:
    """report.html: the bands of A and B side by side, the table of effects (B - A) and the differences figure."""
    import matplotlib.pyplot as plt

    from morale.results.report import write_page

    name_a, name_b = result.a.spec["scenario"], result.b.spec["scenario"]
    outcomes = list(result.spec["outcomes"])
    bands = plot_bands({name_a: result.a, name_b: result.b}, default_bands(outcomes))
    diffs = plot_differences(result.differences, outcomes, name_a, name_b)
    runs = pd.concat([result.a.runs, result.b.runs], ignore_index=True)
    effects = result.effects.to_html(index=False, float_format=lambda v: f"{v:,.4g}") if len(result.effects) \
        else "<p>No replicate finished in both scenarios: no effect to estimate.</p>"
    ok = {arm: int((e.runs["status"] == "ok").sum()) for arm, e in (("A", result.a), ("B", result.b))}
    parts = [f"<h1>Comparison: {html.escape(name_a)} (A) and {html.escape(name_b)} (B)</h1>",
             f"<p>{result.spec['runs']} paired runs per scenario (common random numbers), seed "
             f"{result.spec['seed']}, scale {result.spec['a'].get('scale')}: {ok['A']} of A and {ok['B']} of B "
             f"finished; {len(result.differences)} replicates finished in both.</p>",
             provenance_section(result.folder, result.spec["a"].get("overrides")),
             "<h2>Bands, side by side</h2>", figure_html(bands),
             "<h2>Effects: B - A per replicate (mean, paired 95% interval, quantiles, share B &gt; A)</h2>",
             effects, "<h2>Paired differences</h2>", figure_html(diffs), failures_html(runs)]
    plt.close(bands)
    plt.close(diffs)
    write_page(path, f"morale compare: {name_a} / {name_b}", parts)


def paired_differences(table: pd.DataFrame, outcomes: list[str]) -> pd.DataFrame:
    """Per replicate where both runs finished: each outcome in A, in B, and B - A."""
    ok = table[table["status"] == "ok"]
    a = ok[ok["arm"] == "A"].set_index("replicate")
    b = ok[ok["arm"] == "B"].set_index("replicate")
    both = a.index.intersection(b.index).sort_values()
    frame = pd.DataFrame({"replicate": both.to_numpy()})
    for o in outcomes:
        frame[f"A {o}"] = a.loc[both, o].to_numpy(dtype=float)
        frame[f"B {o}"] = b.loc[both, o].to_numpy(dtype=float)
        frame[f"B-A {o}"] = frame[f"B {o}"] - frame[f"A {o}"]
    return frame


def effect_table(differences: pd.DataFrame, outcomes: list[str], name_a: str, name_b: str) -> pd.DataFrame:
    from morale.experiments.validate import paired_interval

    rows = []
    for o in outcomes:
        d = differences[f"B-A {o}"].to_numpy(dtype=float)
        if len(d) == 0:
            continue
        mean, low, high = paired_interval(d)
        row = {"outcome": o, "A": name_a, "B": name_b, "mean A": float(differences[f"A {o}"].mean()),
               "mean B": float(differences[f"B {o}"].mean()), "mean B-A": mean, "ci95 low": low, "ci95 high": high}
        row.update({f"B-A q{int(q * 100):02d}": float(v) for q, v in zip(QUANTILES, np.quantile(d, QUANTILES))})
        row["share B>A"] = float((d > 0).mean())
        row["replicates"] = len(d)
        rows.append(row)
    return pd.DataFrame(rows)


def plot_differences(differences: pd.DataFrame, outcomes: list[str], name_a: str, name_b: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(outcomes), figsize=(4.2 * len(outcomes), 3.0), squeeze=False)
    for ax, o in zip(axes.flat, outcomes):
        d = differences[f"B-A {o}"].to_numpy(dtype=float)
        ax.hist(d, bins=max(5, min(30, len(d) // 2)), color="tab:purple", alpha=0.7)
        ax.axvline(0, color="black", lw=0.8)
        if len(d):
            ax.axvline(float(np.mean(d)), color="tab:red", lw=1.2, label=f"mean {np.mean(d):,.4g}")
            ax.legend(fontsize=7)
        ax.set_title(f"{o}\n{name_b} minus {name_a}", fontsize=8)
        ax.tick_params(labelsize=7)
    fig.suptitle(f"paired differences over {len(differences)} replicates (common random numbers)", fontsize=10)
    fig.tight_layout()
    return fig
