"""`morale calibrate SCENARIO`: history matching of a scenario against its observation models.

The steps, each an experiment folder under `--out` (so `--resume` picks up where a run stopped):

1. `spread/`: replicate runs at the scenario's own values, for each observable's stochastic spread there;
2. `screening/`: Morris elementary effects (SALib, `experiments.sensitivity`) of every ranged parameter on
   every observable. An effect counts in units of what the calibration can see: mu* over the total sd of the
   observation (observation, discrepancy and stochastic spread). Parameters that move no observable by
   `threshold` of that sd are fixed at their values (inert); of the rest, `keep` are calibrated, chosen round
   by round over the observations (each one's strongest parameter first), and the others fixed too (weak).
   Both lists are in `screening.csv`, with the reason. `--screening FILE` reuses an earlier run's table
   instead (`read_screening`), when the change since cannot move its choices;
3. `wave-1/`, `wave-2/`, ...: history matching (`history_matching.history_match`) over the kept parameters.

Outputs, shared with the toy (see `history_matching`): `sample.parquet`, `identification.csv`,
`targets.csv`, `waves.csv`, pictures, `report.html`; `screening.csv` and `calibration.json` say what was
fixed and why. `tools/ship_calibration.py` turns a finished folder into package data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from morale.calibration.history_matching import (
    CUTOFF,
    DISCREPANCY,
    LOO_SHARE,
    HistoryMatch,
    Observation,
    history_match,
)
from morale.calibration.observations import observations, simulated_observables
from morale.experiments.design import design_tasks, model_description
from morale.experiments.ensemble import resolve_model
from morale.experiments.parameters import Uncertain, ranged_parameters
from morale.experiments.runner import open_store, run_tasks
from morale.experiments.sensitivity import sensitivity
from morale.experiments.tasks import SimulatorModel

SCREEN_THRESHOLD = 0.5  # mu* below half a total sd on every observable: the data cannot see the parameter
SCREEN_KEEP = 20  # at most this many parameters are history-matched (500 runs emulate ~20 inputs well)
SPREAD_RUNS = 8


@dataclass
class Calibration:
    folder: Path
    screening: pd.DataFrame
    match: HistoryMatch
    observations: list[Observation]


def calibration_model(scenario, scale: float | None, end: str | None, overrides=None,
                      exclude: list[str] | None = None) -> tuple[SimulatorModel, Any, list[Observation]]:
    """The simulator as the calibration runs it: each run returns the expected observed value of every
    observation inside its span (`observations.simulated_observables`), less those whose id starts with one of
    `exclude` (observables a coarse scale biases, say: `benchmarks/bench_calibration.py --check-scale`)."""
    model, resolved = resolve_model(scenario, scale, end, overrides)
    found = observations(resolved.start, resolved.end)
    for prefix in exclude or []:
        if not any(o.output.startswith(prefix) for o in found):
            raise ValueError(f"--exclude {prefix}: matches no observation inside {resolved.start}..{resolved.end}; "
                             f"expected the start of an observation id (see docs/observation-models.md)")
    found = [o for o in found if not any(o.output.startswith(prefix) for prefix in exclude or [])]
    if not found:
        raise ValueError(f"--end {resolved.end}: no observation lies inside {resolved.start}..{resolved.end}; "
                         f"expected a run that covers at least one target period")
    names = tuple(dict.fromkeys(o.output for o in found))
    model = SimulatorModel(scenario=model.scenario, scale=model.scale, end=model.end, overrides=model.overrides,
                           measures=simulated_observables, measure_names=names)
    return model, resolved, found


def stochastic_spread(model: SimulatorModel, resolved, outputs: tuple[str, ...], runs: int, seed: int,
                      folder: Path, resume: bool, force: bool, scheduler: str, workers: int | None,
                      progress: bool) -> pd.Series:
    """Each output's sd over `runs` replicate runs at the scenario's own values."""
    spec = {"kind": "calibration-spread", "model": model_description(model, resolved), "runs": runs, "seed": seed,
            "outcomes": list(outputs)}
    store = open_store(folder, spec, resume, force)
    tasks = design_tasks(model, [{}], runs, seed, outputs)
    records = run_tasks(tasks, store, scheduler, workers, progress, title="stochastic spread")
    ok = [r["outcomes"] for r in records.values() if r["status"] == "ok"]
    if len(ok) < 2:
        raise RuntimeError(f"{len(ok)} of {runs} runs at the scenario's values finished; expected at least 2 "
                           f"(see {folder}/log.jsonl)")
    return pd.DataFrame(ok)[list(outputs)].std(ddof=1)


def screening_table(indices: pd.DataFrame, params: list[Uncertain], observed: list[Observation], spread: pd.Series,
                    threshold: float, keep: int, discrepancy: float = DISCREPANCY) -> pd.DataFrame:
    """Per parameter: its largest Morris effect in total sds of an observation, that observation, and the
    decision (calibrated, fixed: inert, fixed: weak).

    The kept parameters are chosen round by round over the observations, in their order: each observation's
    strongest parameter not yet kept, then each one's second strongest, and so on, until `keep`. Ranking by
    the largest effect alone would hand every place to the observations whose model output explodes in part
    of the prior (the opposition's criminal cases move hundreds of sds there) and leave, say, the deaths
    without the combat intensity."""
    total_sd = {}
    for o in observed:
        sd = float(np.sqrt(o.variance + o.discrepancy_variance(discrepancy) + float(spread.get(o.output, 0.0)) ** 2))
        total_sd[o.output] = min(total_sd.get(o.output, np.inf), sd)  # two observations of one output: the tighter
    names = [p.name for p in params]
    frame = indices[indices["parameter"].isin(names)].copy()
    frame["effect"] = frame["mu_star"] / frame["outcome"].map(total_sd)
    effects = frame.pivot_table(index="parameter", columns="outcome", values="effect", aggfunc="first")
    effects = effects.reindex(index=names, columns=list(dict.fromkeys(o.output for o in observed)))
    chosen: dict[str, str] = {}
    ranked = {output: effects[output].dropna().sort_values(ascending=False, kind="stable") for output in effects}
    for r in range(len(names)):
        for output, column in ranked.items():
            if len(chosen) >= keep:
                break
            if r < len(column) and column.iloc[r] >= threshold and column.index[r] not in chosen:
                chosen[column.index[r]] = output
    largest = effects.max(axis=1, skipna=True)
    rows = [{"parameter": p.name, "value": p.value, "low": p.low, "high": p.high,
             "effect": float(largest.get(p.name, np.nan)),
             "moves_most": effects.loc[p.name].idxmax() if effects.loc[p.name].notna().any() else "",
             "kept_for": chosen.get(p.name, "")} for p in params]
    table = pd.DataFrame(rows).sort_values("effect", ascending=False, kind="stable", na_position="last")
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    active = table["effect"] >= threshold
    table["decision"] = np.where(table["kept_for"] != "", "calibrated",
                                 np.where(~active, "fixed: inert", "fixed: weak (not among the kept)"))
    return table.reset_index(drop=True)


SCREENING_COLUMNS = ("parameter", "decision")
DECISIONS = ("calibrated", "fixed: inert", "fixed: weak (not among the kept)")


def read_screening(path: str | Path, candidates: list[Uncertain]) -> pd.DataFrame:
    """An earlier run's `screening.csv`, to history-match the parameters it kept without screening again: the
    Morris design depends only on the parameters and the seed, so when the observations change in a way that
    moves no choice (a dropped observation that kept no parameter), the screening's answer is unchanged. Every
    parameter it names must be a candidate; one bad row stops it with the file, line, field and value."""
    path = Path(path)
    try:
        table = pd.read_csv(path, dtype={"parameter": str, "decision": str}, keep_default_na=False)
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"--screening {path}: cannot be read as CSV ({exc}); expected a screening.csv that "
                         f"`morale calibrate` wrote") from None
    missing = [c for c in SCREENING_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"--screening {path}: no column {missing[0]!r}; expected the columns "
                         f"{', '.join(SCREENING_COLUMNS)} of a screening.csv that `morale calibrate` wrote")
    names = {p.name for p in candidates}
    for line, row in zip(range(2, len(table) + 2), table.to_dict("records")):
        if row["parameter"] not in names:
            raise ValueError(f"--screening {path}: line {line}, field parameter: {row['parameter']!r} is not a "
                             f"ranged parameter being screened; expected one `morale show` lists with a range")
        if row["decision"] not in DECISIONS:
            raise ValueError(f"--screening {path}: line {line}, field decision: {row['decision']!r}; expected one "
                             f"of {', '.join(DECISIONS)}")
    if not (table["decision"] == "calibrated").any():
        raise ValueError(f"--screening {path}: no row has decision 'calibrated'; expected at least one")
    return table


def calibrate(scenario: str | Path | dict = "russia-2022", *, scale: float | None = None, end: str | None = None,
              overrides=None, points: int = 500, waves: int = 4, replicates: int = 4, replicated_points: int = 25,
              trajectories: int = 4, keep: int = SCREEN_KEEP, threshold: float = SCREEN_THRESHOLD,
              params: list[str] | None = None, exclude: list[str] | None = None, seed: int = 0,
              screening: str | Path | None = None, out: str | Path | None = None, resume: bool = False,
              force: bool = False, scheduler: str = "processes", workers: int | None = None,
              progress: bool = False, cutoff: float = CUTOFF, discrepancy: float = DISCREPANCY,
              loo_share: float = LOO_SHARE) -> Calibration:
    """Screen, then history-match (module docstring). `params` names the parameters to screen (default: every
    ranged one not pinned by an override); `exclude` drops observations by the start of their id; `screening`,
    an earlier run's `screening.csv`, is reused instead of screening again (`read_screening`)."""
    for name, value, least in (("--points", points, 10), ("--waves", waves, 1), ("--replicates", replicates, 2),
                               ("--trajectories", trajectories, 2), ("--keep", keep, 1)):
        if value < least:
            raise ValueError(f"{name}: got {value}; expected at least {least}")
    model, resolved, observed = calibration_model(scenario, scale, end, overrides, exclude)
    folder = Path(out) if out is not None else Path("runs") / f"calibrate-{resolved.name}-seed{seed}"
    ranged = ranged_parameters(resolved)
    fixed = dict(model.overrides)
    if params:
        unknown = [n for n in params if n not in ranged]
        if unknown:
            raise ValueError(f"--param {unknown[0]}: not a ranged parameter of {resolved.name}; expected one "
                             f"`morale show {resolved.name}` lists with a range")
        candidates = [ranged[n] for n in params]
    else:
        candidates = [p for n, p in ranged.items() if n not in fixed]
    reused = None if screening is None else Path(screening)
    table = None if reused is None else read_screening(reused, candidates)  # before any run: a bad file costs nothing
    outputs = model.measure_names
    folder.mkdir(parents=True, exist_ok=True)
    spread = stochastic_spread(model, resolved, outputs, SPREAD_RUNS, seed, folder / "spread", resume, force, scheduler,
                               workers, progress)
    if table is None:
        screened = sensitivity(method="morris", samples=trajectories, seed=seed, outcomes=list(outputs),
                               out=folder / "screening", resume=resume, force=force, scheduler=scheduler,
                               workers=workers, progress=progress, model=model, parameters=candidates, dummy=True,
                               resolved=resolved)
        table = screening_table(screened.indices, candidates, observed, spread, threshold, keep, discrepancy)
    table.to_csv(folder / "screening.csv", index=False)
    chosen = set(table.loc[table["decision"] == "calibrated", "parameter"])
    kept = [p for p in candidates if p.name in chosen]
    if not kept:
        raise RuntimeError(f"screening fixed every parameter (no effect reached {threshold} total sd); see "
                           f"{folder}/screening.csv")
    extra = {"scenario": resolved.name, "scale": model.scale, "end": model.end, "overrides": fixed,
             "excluded": list(exclude or []),
             "screening": {"threshold": threshold, "keep": keep, "trajectories": trajectories,
                           "spread_runs": SPREAD_RUNS, "reused": str(reused) if reused else None,
                           "fixed": table.loc[table["decision"] != "calibrated",
                                              ["parameter", "decision"]].to_dict("records")}}
    match = history_match(model, kept, observed, out=folder, points=points, waves=waves, replicates=replicates,
                          replicated_points=replicated_points, seed=seed, scheduler=scheduler, workers=workers,
                          resume=resume, force=force, progress=progress, cutoff=cutoff, discrepancy=discrepancy,
                          loo_share=loo_share, spec_extra=extra)
    return Calibration(folder, table, match, observed)

