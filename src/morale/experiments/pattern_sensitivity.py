"""What explains each pattern: Sobol indices of the patterns' effects, computed on emulators over the prior box.

`morale validate --sobol N` (issue 13) runs the patterns on N Latin-hypercube draws of the prior box of the
parameters the shipped calibration history-matched (uniform on each parameter's range, every other parameter
at its value), each draw an ensemble of paired runs (`validate.validate_robust` with `points=`). Each
pattern's effect per draw (default minus counterfactual; for F6 and F9 the mean of their statistic) is then
emulated by a Gaussian process over the unit box (`calibration.emulator.fit_emulator`, checked by
leave-one-out), and SALib's Saltelli/Sobol' estimator (`calc_second_order=False`) is applied to the
emulator's MEAN on `base_samples * (d + 2)` points of the unit cube, with SALib's bootstrap 95% intervals.

Why the box and an emulator: Sobol indices are defined for independent inputs, which the calibrated sample
(a not-ruled-out region, correlated) is not; and the simulator is far too slow for the Saltelli design, so
the emulator stands in for it there. The indices are those of the emulator's mean function, so they carry
its error: `emulator_valid` and `loo_share` say whether to trust them, and the run-to-run noise of the
effect (the emulator's nugget) is left out, as it should be for a question about parameters.

The 80% rule: a pattern is labelled `assumed` when one parameter whose source starts with "assumption" has
ST >= 0.8, i.e. that unsourced parameter, with its interactions, explains at least 80% of the variance of
the pattern's effect over the box: the pattern then shows mostly what that assumption says.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from morale.experiments.parameters import Uncertain, from_unit, unit_latin_hypercube
from morale.experiments.sensitivity import salib_seed

ASSUMED_ST = 0.8
RESAMPLES = 200
COLUMNS = ["pattern", "parameter", "rank", "S1", "S1_conf", "ST", "ST_conf", "emulator_valid", "loo_share",
           "noise_share", "n", "unsourced", "assumed", "label", "note"]


def unsourced(source: str | None) -> bool:
    """A parameter is unsourced when its source starts with "assumption" (any case)."""
    return (source or "").strip().lower().startswith("assumption")


def calibrated_box(scenario: str = "russia-2022") -> list[Uncertain]:
    """The prior box of the parameters the shipped calibration of `scenario` history-matched, each uniform on
    its range. One-line errors: `CalibrationMissing` when none is shipped, `ParameterError` when it lists
    none or one has no range now; a stale calibration is a warning (the box does not depend on its sample)."""
    from morale.calibration import shipped
    from morale.experiments.parameters import ParameterError, ranged_parameters
    from morale.scenario.loader import load_scenario

    try:
        made = shipped.manifest(scenario)
    except shipped.CalibrationMissing:
        raise shipped.CalibrationMissing(
            f"--sobol: no calibration is shipped for {scenario}; expected one (morale calibrate {scenario}, then "
            f"python tools/ship_calibration.py FOLDER): --sobol draws the prior box of the parameters it "
            f"history-matched") from None
    try:
        shipped.check_fresh(scenario)
    except shipped.StaleCalibration as err:
        warnings.warn(f"--sobol: {str(err).removeprefix('--calibrated: ')}; its parameters are used as listed",
                      UserWarning, stacklevel=2)
    names = list(made.get("parameters") or [])
    if not names:
        raise ParameterError(f"--sobol: the shipped calibration of {scenario} lists no parameters; expected at "
                             f"least one")
    ranged = ranged_parameters(load_scenario(scenario))
    missing = [n for n in names if n not in ranged]
    if missing:
        raise ParameterError(f"--sobol: the shipped calibration of {scenario} matched {', '.join(missing)}, with no "
                             f"range in the scenario now; expected a calibration of the current scenario "
                             f"(morale calibrate {scenario})")
    return [replace(ranged[n], dist="uniform") for n in names]


def parameter_sources(scenario: str = "russia-2022") -> dict[str, str]:
    """Every parameter's source, by dotted path."""
    from morale.scenario.loader import load_scenario
    from morale.scenario.schema import parameters

    return {path: p.source or "" for path, p in parameters(load_scenario(scenario)).items()}


def sobol_box(parameters: list[Uncertain], n: int, seed: int) -> tuple[np.ndarray, list[dict[str, float]]]:
    """n points of a Latin hypercube over the prior box: `unit` (n, d) and the points, each parameter uniform
    on its range whatever its stated distribution (the parameters not given stay at their values: a point
    holds only these). Seeded as `parameters.latin_hypercube`."""
    if n < 1 or not parameters:
        raise ValueError(f"sobol_box: got {n} points over {len(parameters)} parameters; expected at least one of each")
    box = [replace(p, dist="uniform") for p in parameters]
    unit = unit_latin_hypercube(len(box), n, seed)
    points = [{p.name: float(from_unit(p, row[j])) for j, p in enumerate(box)} for row in unit]
    return unit, points


def pattern_sobol(unit: np.ndarray, effects: pd.DataFrame, names: list[str], sources: dict[str, str], seed: int,
                  base_samples: int = 4096) -> pd.DataFrame:
    """Sobol indices of each pattern's effect over the unit box, on an emulator of it.

    `unit` (n, d) are the draws' coordinates in the box (columns in the order of `names`, the parameters);
    `effects` has one column per pattern and one row per draw (NaN where a draw has none). Per pattern, an
    emulator (`fit_emulator`, seeded by `seed`) is fitted on the finite rows, and SALib's Sobol' indices
    (first order S1 and total ST, `calc_second_order=False`, bootstrap 95% intervals `*_conf`) are computed on
    its mean at `base_samples * (d + 2)` points of SALib's scrambled Sobol' sequence (a power of 2).

    ST of a parameter is the share of the variance of the pattern's effect over the box that the parameter
    explains, alone and through its interactions with the others (S1: alone). A pattern is labelled
    `assumed` (columns `assumed`, `label`) when one unsourced parameter (source starting with "assumption",
    any case) has ST >= 0.8. A pattern with too few finite draws, or whose effect is constant over the box,
    gets NaN indices and a `note`. Deterministic given `seed`.

    Per pattern, `emulator_valid` and `loo_share` are the emulator's leave-one-out check (at least 95% of
    standardised errors within +-2), and `noise_share` is its nugget over the variance of the effect across
    draws: the part it treats as run-to-run noise, which the indices leave out. The check catches an
    overconfident emulator, not one that calls a parameter's signal noise (a large `noise_share` with a
    valid emulator): read the two together.
    """
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import sobol as sobol_sample
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    from morale.calibration.emulator import fit_emulator

    unit = np.atleast_2d(np.asarray(unit, dtype=np.float64))
    d = unit.shape[1]
    if len(names) != d:
        raise ValueError(f"pattern_sobol: {d} columns of unit but {len(names)} parameter names")
    if len(effects) != unit.shape[0]:
        raise ValueError(f"pattern_sobol: {unit.shape[0]} draws but {len(effects)} rows of effects")
    problem = {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d}
    design = sobol_sample.sample(problem, base_samples, calc_second_order=False, scramble=True, seed=seed)
    flags = np.array([unsourced(sources.get(p)) for p in names])
    resample_seed = salib_seed(seed)
    frames = []
    for pattern in effects.columns:
        y = pd.to_numeric(effects[pattern], errors="coerce").to_numpy(dtype=np.float64)
        finite = np.isfinite(y)
        frame = pd.DataFrame({"pattern": pattern, "parameter": list(names), "rank": 0, "S1": np.nan,
                              "S1_conf": np.nan, "ST": np.nan, "ST_conf": np.nan, "emulator_valid": False,
                              "loo_share": np.nan, "noise_share": np.nan, "n": int(finite.sum()), "unsourced": flags,
                              "assumed": False, "label": "", "note": ""})
        with threadpool_limits(1):  # a few hundred runs: one BLAS thread is faster, and shares a busy machine
            emulator = fit_emulator(unit[finite], y[finite], output=str(pattern), seed=seed)
        frame["emulator_valid"] = bool(emulator.valid)
        frame["loo_share"] = float(emulator.loo_share_within_2)
        spread = float(np.var(y[finite])) if finite.any() else 0.0
        frame["noise_share"] = emulator.nugget / spread if spread > 0 else np.nan
        if emulator.gp is None:
            frame["note"] = "no effect in any draw" if not finite.any() else emulator.note or "no emulator"
            frames.append(frame)
            continue
        with threadpool_limits(1):
            mean, _ = emulator.predict(design)
        if not np.isfinite(mean).all() or float(np.var(mean)) <= 1e-12 * max(1.0, float(np.abs(mean).max())) ** 2:
            frame["note"] = "the emulator's mean is constant over the box: no variance to share out"
            frames.append(frame)
            continue
        res = sobol_analyze.analyze(problem, mean, calc_second_order=False, num_resamples=RESAMPLES,
                                    conf_level=0.95, seed=resample_seed)
        for key in ("S1", "S1_conf", "ST", "ST_conf"):
            frame[key] = np.asarray(res[key], dtype=np.float64)
        assumed = bool(((frame["ST"] >= ASSUMED_ST) & frame["unsourced"]).any())
        frame["assumed"] = assumed
        frame["label"] = "assumed" if assumed else ""
        frame = frame.sort_values("ST", ascending=False, kind="stable")
        frame["rank"] = np.arange(1, len(frame) + 1)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=COLUMNS)
    return pd.concat(frames, ignore_index=True)[COLUMNS]


def summarise(indices: pd.DataFrame) -> pd.DataFrame:
    """One row per pattern: its top parameter by ST, that ST, whether the parameter is unsourced, whether the
    pattern is `assumed`, and whether its emulator passed the leave-one-out check."""
    rows = []
    for pattern, frame in indices.groupby("pattern", sort=False):
        ranked = frame.dropna(subset=["ST"]).sort_values("ST", ascending=False, kind="stable")
        top = ranked.iloc[0] if len(ranked) else None
        first = frame.iloc[0]
        rows.append({"pattern": pattern, "top_parameter": None if top is None else top["parameter"],
                     "ST": np.nan if top is None else float(top["ST"]),
                     "ST_conf": np.nan if top is None else float(top["ST_conf"]),
                     "unsourced": None if top is None else bool(top["unsourced"]),
                     "assumed": bool(first["assumed"]), "emulator_valid": bool(first["emulator_valid"]),
                     "loo_share": float(first["loo_share"]), "noise_share": float(first["noise_share"]),
                     "n": int(first["n"]), "note": first["note"]})
    return pd.DataFrame(rows, columns=["pattern", "top_parameter", "ST", "ST_conf", "unsourced", "assumed",
                                       "emulator_valid", "loo_share", "noise_share", "n", "note"])


@dataclass
class SobolValidation:
    """`morale validate --sobol`: the robust summary, the per-draw table, the indices and one row per pattern."""

    summary: list
    by_draw: pd.DataFrame
    indices: pd.DataFrame
    table: pd.DataFrame
    parameters: list[Uncertain]


def validate_sobol(names: list[str], n: int, runs: int = 4, scale: float = 20, seed: int = 0, end: str | None = None,
                   scheduler: str = "processes", workers: int | None = None, out: Path | None = None,
                   resume: bool = False, force: bool = False, scenario: str = "russia-2022",
                   base_samples: int = 4096) -> SobolValidation:
    """The patterns on `n` Latin-hypercube draws of the prior box of the calibrated parameters (each draw an
    ensemble of `runs` paired runs, through `validate.validate_robust`), then `pattern_sobol` on their effects.
    With `out`, writes `pattern_sobol.parquet` (the indices) and `sobol_draws.parquet` (the per-draw table)
    into the experiment folder. The box is read before any run, so a missing calibration costs nothing."""
    from morale.experiments.validate import KIND, validate_robust

    box = calibrated_box(scenario)
    unit, points = sobol_box(box, n, seed)
    summary, by_draw = validate_robust(names, runs=runs, scale=scale, seed=seed, end=end, scheduler=scheduler,
                                       workers=workers, out=out, resume=resume, force=force, points=points)
    order = [r.pattern for r in summary]
    effects = pd.DataFrame({name: by_draw[f"{name} effect"].to_numpy(dtype=np.float64) for name in order})
    indices = pattern_sobol(unit, effects, [p.name for p in box], parameter_sources(scenario), seed, base_samples)
    held = pd.DataFrame([{"pattern": r.pattern, "kind": KIND.get(r.pattern, "validation"), "draws": r.draws,
                          "held": r.held, "share": r.share} for r in summary])
    table = held.merge(summarise(indices), on="pattern", how="left")
    if out is not None:
        from morale.experiments.store import write_parquet

        write_parquet(indices, Path(out) / "pattern_sobol.parquet")
        write_parquet(by_draw, Path(out) / "sobol_draws.parquet")
    return SobolValidation(summary, by_draw, indices, table, box)
