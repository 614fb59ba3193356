"""History matching in waves (Andrianakis et al. 2015, PLOS Comp Biol; Vernon et al. 2022).

Calibration here does not look for the best parameters: it rules out the parameters that cannot reproduce the
observations, given every uncertainty we can name, and keeps the rest. For an observation z_k of output k,

    I_k(x) = |z_k - E[f_k(x)]| / sqrt(Var_em_k(x) + Var_stoch_k + Var_obs_k + Var_disc_k)

where E[f_k(x)] and Var_em_k(x) come from a Gaussian-process emulator of the model's mean (so millions of
points can be judged from a few hundred runs), Var_stoch_k is the run-to-run noise of the stochastic model,
Var_obs_k the observation's own variance and Var_disc_k = (share |z_k|)^2 the model discrepancy (the model is
not the world; share = the observation's own `discrepancy`, else `DISCREPANCY`). A point is ruled out when
the SECOND-largest I_k over the observations exceeds `CUTOFF` (3, Pukelsheim's three-sigma rule holds for any
unimodal distribution); with one usable observation, the largest. The second-largest leaves room for one
target the model gets wrong for reasons outside its parameters.

Waves. Wave 1 runs a Latin hypercube over the whole prior (the unit cube mapped through `from_unit`). Each
wave fits one emulator per output on its own runs and checks it by leave-one-out (`emulator.py`): an output
whose emulator fails the check is left out of that wave's cut (recorded), since a cut on a wrong emulator
could rule out the truth. A point is ruled out when the cut of ANY wave so far rules it out, each wave with
its own emulators. Wave k+1 runs points drawn from what is left (rejection sampling in the bounding box of the
last wave's surviving runs and of the surviving volume candidates, topped up by small perturbations of
accepted points), where the emulators become local and sharper, so each wave rules out more. A wave's cut
judges only the box its design filled (a local emulator knows nothing far from its runs). Which share of the
prior volume is still not ruled out is estimated by pushing `candidates` uniform points of the whole cube
through every wave's cut.

Stopping. After `waves` waves; or when a wave shrinks that share by less than 10% relative to the wave before
(the emulators no longer learn enough to cut); or when the emulator variance is small against the other terms
(the median over observations of the median over surviving candidates of Var_em / (Var_stoch + Var_obs +
Var_disc) below 0.1: more runs would not make the cut sharper, the irreducible uncertainties dominate); or
when no point for the next wave survives (the model cannot match the observations within the stated
uncertainties, or the emulators are overconfident: either way, said and not crashed). The two "enough" rules
apply from wave 2 on: wave 1 spreads its runs over the whole prior and few of them land where the observations
are, and the sample is made of runs, so at least one wave designed inside the space not ruled out runs
(unless wave 1 has no valid emulator at all: a second wave of the same size over the same space would learn no
more).

The calibrated sample is made of runs, not emulator predictions: every run of every wave whose OWN outputs
(Var_em = 0; the stochastic, observation and discrepancy variances kept) pass the same second-largest rule.

Runs are `Task`s through the experiment layer (`open_store`, `run_tasks`), one experiment folder per wave
(`out/wave-k`), so schedulers, progress, checkpoints and `--resume` work as for any experiment; everything is
seeded, so a resumed calibration reproduces the same designs (each wave's design is also kept in its folder
and reused on resume, so a refit that differs in the last bit on another machine cannot change it).
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import math
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from morale.calibration.emulator import Emulator
    from morale.experiments.parameters import Uncertain
    from morale.experiments.tasks import FunctionModel, SimulatorModel

CUTOFF = 3.0  # a point is ruled out when its second-largest implausibility exceeds this
DISCREPANCY = 0.10  # model discrepancy sd, as a share of the observed value, unless a target says otherwise
LOO_SHARE = 0.95  # an emulator is used only when this share of its LOO standardised errors lie within +-2

RANK = 2  # the cut reads the second-largest implausibility
SHRINK_STOP = 0.10  # stop when the share of volume not ruled out shrinks by less than this (relative)
VARIANCE_STOP = 0.10  # stop when median Var_em / (other variances) falls below this
PINNED_SHARE = 0.5  # a parameter is pinned when its sample's 5-95% interval spans less than this share of its prior
RELATIVE_SPAN = 10.0  # pool the stochastic variance relatively when replicated means span this factor or more
RELATIVE_SLOPE = 0.5  # ... and the sd grows with the mean at least like this power (Poisson: 0.5)
STREAM_STRIDE = 1_000_000  # run streams: wave k's runs are (k - 1) * STREAM_STRIDE + their index in the wave
WIDEN = 0.10  # the bounding box of surviving runs is widened by this share of its width on each side
PERTURB = 0.05  # perturbation sd, as a share of the box width per parameter
SAMPLING_BATCHES = 10  # uniform batches drawn before topping up by perturbation
PERTURB_ROUNDS = 20
RESERVED = ("wave", "key", "point", "replicate", "stream", "implausibility")  # the sample's own columns
OWN_FILES = ("sample.parquet", "identification.csv", "targets.csv", "waves.csv", "calibration.json", "pairs.png",
             "shrinkage.png", "targets.png", "report.html")
TAG_DESIGN, TAG_VOLUME, TAG_EMULATOR = 0x4D41, 0x564F, 0x454D  # separate seed streams per purpose


@dataclass(frozen=True)
class Observation:
    """One observed figure as the calibration sees it.

    `output` names the run outcome that predicts it (already passed through the observation model, so
    E[z] = E[output]); `value` is z; `variance` is the observation's own variance (sampling, house effect,
    bias uncertainty); `discrepancy` is the model discrepancy sd as a share of |z| (None: `DISCREPANCY`)."""

    output: str
    value: float
    variance: float
    discrepancy: float | None = None
    label: str = ""

    def discrepancy_variance(self, default: float = DISCREPANCY) -> float:
        share = default if self.discrepancy is None else self.discrepancy
        return (share * abs(self.value)) ** 2


# --- implausibility ----------------------------------------------------------------------------------------


def implausibility(mean: np.ndarray, em_var: np.ndarray, stoch_var: np.ndarray, observations: list[Observation],
                   discrepancy: float = DISCREPANCY) -> np.ndarray:
    """I (m, k) for predictions `mean` and emulator variances `em_var` (m, k) of the k observations' outputs;
    `stoch_var` (k,) or (m, k). NaN in `mean` (an output left out) stays NaN. A zero denominator gives 0 when
    the prediction equals z exactly and +inf otherwise (nothing excuses the difference)."""
    mean = np.atleast_2d(np.asarray(mean, dtype=np.float64))
    em_var = np.broadcast_to(np.asarray(em_var, dtype=np.float64), mean.shape)
    z = np.array([o.value for o in observations], dtype=np.float64)
    fixed = np.array([o.variance + o.discrepancy_variance(discrepancy) for o in observations], dtype=np.float64)
    var = em_var + np.asarray(stoch_var, dtype=np.float64) + fixed
    diff = np.abs(z - mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = diff / np.sqrt(var)
    degenerate = ~(var > 0)
    out = np.where(degenerate, np.where(diff == 0, 0.0, np.inf), out)
    return np.where(np.isnan(diff) | np.isnan(var), np.nan, out)


def ranked_implausibility(I: np.ndarray, rank: int = RANK) -> np.ndarray:  # noqa: E741 - the paper's name
    """The `rank`-th largest I per row (second largest by default); a row with fewer usable values than `rank`
    gives the smallest of them (by default: a row with one usable value gives that value, its largest). NaN
    means "not used" (an output whose emulator failed) and is skipped; a row with no usable value gives NaN,
    which no cutoff rules out (`NaN > 3` is False)."""
    values = np.atleast_2d(np.asarray(I, dtype=np.float64))
    m, k = values.shape
    if k == 0:
        return np.full(m, np.nan)
    usable = (~np.isnan(values)).sum(axis=1)
    ordered = -np.sort(-np.where(np.isnan(values), -np.inf, values), axis=1)  # descending; NaN last
    pick = np.clip(np.minimum(rank, usable) - 1, 0, k - 1)
    out = ordered[np.arange(m), pick]
    return np.where(usable == 0, np.nan, out)


@dataclass
class Cut:
    """One wave's cut: its valid emulators, its stochastic variance per observation, the cutoff rule, and the
    box its design filled (`low`..`high` on the unit cube; None: the whole cube). Points outside the box are
    not judged by this cut: an emulator fitted on a small region says nothing reliable far from it (a GP
    reverts to its mean with its fitted signal variance, which can be tiny when the region was small), and
    those points were already judged by the waves whose designs covered them."""

    wave: int
    emulators: dict[str, Emulator]
    stoch_var: np.ndarray  # (k,) per observation
    observations: list[Observation]
    cutoff: float = CUTOFF
    discrepancy: float = DISCREPANCY
    rank: int = RANK
    low: np.ndarray | None = None
    high: np.ndarray | None = None

    @property
    def used(self) -> list[str]:
        return [name for name, em in self.emulators.items() if em.valid]

    def assess(self, unit: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ranked implausibility (m,) at unit points, and Var_em / (the other variances) (m, k) (NaN for
        observations whose emulator is not used, and for points outside the cut's box)."""
        unit = np.atleast_2d(np.asarray(unit, dtype=np.float64))
        m, k = unit.shape[0], len(self.observations)
        mean = np.full((m, k), np.nan)
        var = np.full((m, k), np.nan)
        used = set(self.used)
        inside = self.inside(unit)
        predicted: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for j, obs in enumerate(self.observations):
            if obs.output not in used or not inside.any():
                continue
            if obs.output not in predicted:
                predicted[obs.output] = self.emulators[obs.output].predict(unit[inside])
            mean[inside, j], var[inside, j] = predicted[obs.output]
        each = implausibility(mean, var, self.stoch_var, self.observations, self.discrepancy)
        rest = self.stoch_var + np.array([o.variance + o.discrepancy_variance(self.discrepancy)
                                          for o in self.observations])
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(rest > 0, var / rest, np.where(var > 0, np.inf, 0.0))
        return ranked_implausibility(each, self.rank), np.where(np.isnan(var), np.nan, ratio)

    def inside(self, unit: np.ndarray) -> np.ndarray:
        unit = np.atleast_2d(unit)
        if self.low is None or self.high is None:
            return np.ones(unit.shape[0], dtype=bool)
        return ((unit >= self.low) & (unit <= self.high)).all(axis=1)

    def ruled_out(self, unit: np.ndarray) -> np.ndarray:
        if not self.used:
            return np.zeros(np.atleast_2d(unit).shape[0], dtype=bool)
        return self.assess(unit)[0] > self.cutoff


def not_ruled_out(cuts: list[Cut], unit: np.ndarray) -> np.ndarray:
    """Points (m, d) that no cut rules out; each cut sees only the survivors of the ones before (cheaper)."""
    unit = np.atleast_2d(np.asarray(unit, dtype=np.float64))
    keep = np.ones(unit.shape[0], dtype=bool)
    for cut in cuts:
        index = np.flatnonzero(keep)
        if not index.size:
            break
        keep[index] = ~cut.ruled_out(unit[index])
    return keep


# --- the result --------------------------------------------------------------------------------------------


@dataclass
class HistoryMatch:
    """A finished calibration. `emulators` (by wave, then output) and `cuts` are empty when read from disk."""

    folder: Path
    sample: pd.DataFrame
    identification: pd.DataFrame
    targets: pd.DataFrame
    waves: pd.DataFrame
    emulators: dict[int, dict[str, Emulator]]
    stopped: str
    manifest: dict[str, Any] = field(default_factory=dict)
    cuts: list[Cut] = field(default_factory=list)

    def ruled_out(self, unit: np.ndarray) -> np.ndarray:
        """Whether any wave's cut rules out each unit point (needs the emulators: not after loading)."""
        if not self.cuts:
            raise ValueError("ruled_out: this history match has no emulators (read from disk); expected the "
                             "result of history_match()")
        return ~not_ruled_out(self.cuts, unit)


def load_history_match(folder: str | Path) -> HistoryMatch:
    """A finished calibration read back from its folder (sample, tables, manifest; no emulators)."""
    folder = Path(folder)
    path = folder / "calibration.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: missing; expected the folder of a finished history match")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    targets = pd.read_csv(folder / "targets.csv", converters={"label": str})  # an empty label stays ""
    waves = pd.read_csv(folder / "waves.csv", converters={"sampling": str, "stopped": str})
    return HistoryMatch(folder, pd.read_parquet(folder / "sample.parquet"), pd.read_csv(folder / "identification.csv"),
                        targets, waves, {}, manifest.get("stopped", ""), manifest)


# --- the waves ---------------------------------------------------------------------------------------------


@dataclass
class _Runs:
    """One wave's runs as arrays, in task order (point-major, replicates inside)."""

    keys: list[str]
    point: np.ndarray  # (n,) int
    replicate: np.ndarray  # (n,) int: r of the key p<point>-r<r>
    stream: np.ndarray  # (n,) int: the Task's replicate (the run's random stream; `morale run --replicate`)
    unit: np.ndarray  # (n, d) unit coordinates of each run's point
    values: np.ndarray  # (n, d) parameter values
    outputs: np.ndarray  # (n, q) one column per distinct output; NaN where missing or not a number
    ok: np.ndarray  # (n,) bool


def history_match(model: FunctionModel | SimulatorModel, params: list[Uncertain], observations: list[Observation],
                  *, out: str | Path | None = None, points: int = 500, waves: int = 4, replicates: int = 4,
                  replicated_points: int = 20, seed: int = 0, scheduler: str = "processes",
                  workers: int | None = None, resume: bool = False, force: bool = False, progress: bool = False,
                  cutoff: float = CUTOFF, discrepancy: float = DISCREPANCY, candidates: int = 20000,
                  spec_extra: dict | None = None, common_random_numbers: bool = False,
                  loo_share: float = LOO_SHARE) -> HistoryMatch:
    """Calibrate `model` over `params` against `observations` (see the module docstring); write the folder
    `out` (sample.parquet, identification.csv, targets.csv, waves.csv, calibration.json, pictures, report.html
    and one experiment folder per wave) and return the result.

    Every run has its own random stream (Task seed `seed`, replicate = its stream number, unique over the
    calibration), so the noise is independent from run to run, which is what the emulators' WhiteKernel
    assumes. `common_random_numbers=True` gives replicate r of every point the stream r instead (as sweeps
    do): the replicate-0 runs then share one noise draw, the emulator takes that draw for signal and the
    replicates look like outliers to the leave-one-out check (the toy's wave 1, seeds 0, 1 and 6: 10 of 12
    emulators fail the check with common random numbers, 2 of 12 with a stream per run).
    `loo_share` is the share of leave-one-out errors within +-2 an emulator needs (default `LOO_SHARE`; see
    `emulator.py` on how often a perfect emulator misses 95%). `spec_extra` (JSON-able facts that define the
    calibration, e.g. the observation models' version) goes into every wave's spec, so `resume` refuses a
    folder made with other ones, and into calibration.json. `waves` and `candidates` are not in the waves'
    specs: a finished calibration can be resumed with more waves."""
    from morale.experiments.parameters import from_unit

    _check(model, params, observations, points, waves, replicates, replicated_points, candidates, cutoff)
    folder = _prepare(out, resume, force)
    outputs = tuple(dict.fromkeys(o.output for o in observations))
    d = len(params)
    replicated_points = min(replicated_points, points) if replicates > 1 else 0
    common = {"kind": "history-matching", "model": _describe(model), "parameters": [vars(p) for p in params],
              "observations": [_observation_dict(o) for o in observations], "outcomes": list(outputs),
              "cutoff": cutoff, "rank": RANK, "discrepancy": discrepancy, "loo_share": loo_share, "points": points,
              "replicates": replicates, "replicated_points": replicated_points, "seed": seed,
              "streams": "common random numbers" if common_random_numbers else "one per run",
              "extra": spec_extra or {}}
    volume = np.random.default_rng(np.random.SeedSequence([seed, TAG_VOLUME])).random((candidates, d))
    alive = np.ones(candidates, dtype=bool)
    cuts: list[Cut] = []
    all_runs: list[_Runs] = []
    rows: list[dict[str, Any]] = []
    stochastic: list[list[dict[str, Any]]] = []
    previous_share, stopped = 1.0, ""
    for k in range(1, waves + 1):
        stored = _stored_design(folder / f"wave-{k}") if resume else None
        if k == 1:
            rng = np.random.default_rng(np.random.SeedSequence([seed, TAG_DESIGN, 1]))
            design = stored if stored is not None else _latin_hypercube(d, points, rng)
            acceptance, note = math.nan, "Latin hypercube over the whole prior"
            low = high = None
        else:
            design, acceptance, note, low, high = _next_design(cuts, all_runs[-1], points, seed, k, volume[alive])
            if stored is not None:
                design = stored
                if len(stored):
                    low, high = np.minimum(low, stored.min(axis=0)), np.maximum(high, stored.max(axis=0))
            if design is None or not len(design):
                stopped = (f"no candidate survives: no point for wave {k} passes the cuts of waves 1..{k - 1}; "
                           f"the model cannot match the observations within the stated uncertainties (or the "
                           f"emulators are overconfident)")
                break
        values = np.column_stack([np.asarray(from_unit(p, design[:, j]), dtype=np.float64).reshape(-1)
                                  for j, p in enumerate(params)])
        runs = _run_wave(model, params, outputs, k, design, values, folder, common, seed, replicates,
                         replicated_points, common_random_numbers, resume, scheduler, workers, progress)
        all_runs.append(runs)
        emulators = _fit_wave(runs, outputs, seed, k, loo_share, _fit_jobs(scheduler, workers))
        pooled = _stochastic_variance(runs, outputs, emulators)
        stochastic.append(pooled)
        cut = Cut(k, emulators, _per_observation(pooled, observations, outputs), list(observations), cutoff,
                  discrepancy, RANK, low, high)
        cuts.append(cut)
        index = np.flatnonzero(alive)
        ratio = math.nan
        if cut.used and index.size:
            ranked, ratios = cut.assess(volume[index])
            survive = ~(ranked > cutoff)
            alive[index[~survive]] = False
            used = ~np.isnan(ratios).all(axis=0)  # observations whose emulator is used
            if survive.any() and used.any():
                ratio = float(np.median(np.median(ratios[survive][:, used], axis=0)))
        share = float(alive.mean())
        failed = int((~runs.ok).sum())
        if share == 0.0 and k < waves:
            # below 1/candidates, not nothing: in many dimensions the space left is a sliver no uniform sample
            # hits; the next wave is designed from the runs the cuts keep, and stops if there are none
            note += f"; every one of the {candidates} uniform candidates is ruled out (share < {1 / candidates:.2g})"
        elif share == 0.0:
            stopped = (f"waves: ran the {waves} waves asked for; every one of the {candidates} uniform candidates "
                       f"is ruled out (share < {1 / candidates:.2g})")
        elif k == waves:
            stopped = f"waves: ran the {waves} waves asked for"
        elif k == 1 and not cut.used:
            stopped = ("no valid emulator in wave 1: nothing is ruled out, and a wave 2 of the same size over the "
                       "same space would learn no more; more points (or other outputs) are needed")
        elif k == 1:
            pass  # wave 1 explores the whole prior: few of its runs lie where the observations are
        elif np.isfinite(ratio) and ratio < VARIANCE_STOP:
            stopped = (f"emulator variance small: median Var_em / (other variances) = {ratio:.3g} < "
                       f"{VARIANCE_STOP:g} at the surviving candidates; more waves would not sharpen the cut")
        elif share > (1.0 - SHRINK_STOP) * previous_share:
            why = f" (no valid emulator in wave {k})" if not cut.used else ""
            stopped = (f"converged: the share of the prior not ruled out went from {previous_share:.4g} to "
                       f"{share:.4g}, less than {SHRINK_STOP:.0%} smaller{why}")
        rows.append({"wave": k, "points": int(len(design)), "runs": len(runs.keys), "failed": failed,
                     "valid_emulators": len(cut.used), "emulators": len(outputs), "volume_share": share,
                     "acceptance": acceptance, "variance_ratio": ratio, "sampling": note, "stopped": stopped})
        _write_summary(folder / f"wave-{k}", k, params, design, runs, outputs, emulators, pooled, cut, rows[-1])
        previous_share = share
        if stopped:
            break
    if stopped and rows and not rows[-1]["stopped"]:
        rows[-1]["stopped"] = stopped
    wave_table = pd.DataFrame(rows, columns=["wave", "points", "runs", "failed", "valid_emulators", "emulators",
                                             "volume_share", "acceptance", "variance_ratio", "sampling",
                                             "stopped"])
    final_stoch = _final_stochastic(cuts, len(observations))
    sample, best_row, every = _sample(all_runs, params, outputs, observations, final_stoch, cutoff, discrepancy)
    identification = _identification(params, sample)
    targets = _targets(observations, outputs, sample, best_row, final_stoch, discrepancy)
    manifest = _manifest(common, model, params, observations, waves, candidates, cuts, stochastic, stopped,
                         wave_table, sample, every, spec_extra)
    result = HistoryMatch(folder, sample, identification, targets, wave_table,
                          {cut.wave: dict(cut.emulators) for cut in cuts}, stopped, manifest, cuts)
    _write(result)
    return result


def _check(model, params, observations, points, waves, replicates, replicated_points, candidates, cutoff) -> None:
    from morale.experiments.tasks import FunctionModel

    if not params:
        raise ValueError("history_match: expected at least one parameter with a range")
    if len({p.name for p in params}) != len(params):
        raise ValueError("history_match: a parameter is named twice")
    if not observations:
        raise ValueError("history_match: expected at least one observation")
    for name, value, least in (("points", points, 2), ("waves", waves, 1), ("replicates", replicates, 1),
                               ("replicated_points", replicated_points, 0), ("candidates", candidates, 1)):
        if int(value) != value or value < least:
            raise ValueError(f"history_match: {name}={value!r}; expected a whole number of at least {least}")
    if not cutoff > 0:
        raise ValueError(f"history_match: cutoff={cutoff!r}; expected a positive number")
    for o in observations:
        if not (math.isfinite(o.value) and math.isfinite(o.variance) and o.variance >= 0):
            raise ValueError(f"observation {o.label or o.output}: value {o.value!r}, variance {o.variance!r}; "
                             f"expected a finite value and a finite variance >= 0")
    names, outputs = {p.name for p in params}, {o.output for o in observations}
    taken = (names & outputs) | ((names | outputs) & set(RESERVED))
    if taken:
        raise ValueError(f"history_match: {', '.join(sorted(taken))} names a parameter and an output, or one of "
                         f"the sample's own columns ({', '.join(RESERVED)}); expected distinct names")
    if isinstance(model, FunctionModel):
        unknown = sorted({o.output for o in observations} - set(model.outputs))
        if unknown:
            raise ValueError(f"history_match: observations of {', '.join(unknown)}, which the model does not "
                             f"return; expected one of {', '.join(model.outputs)}")


def _prepare(out: str | Path | None, resume: bool, force: bool) -> Path:
    """The calibration folder. It may hold other things (`morale calibrate` keeps its screening there): the
    history match owns only its `wave-k` folders and its result files (`OWN_FILES`). Without `resume`, finding
    any of them is refused, or (`force`) they alone are removed; with `resume` the waves continue (each wave's
    store checks that it is the same experiment)."""
    from morale.experiments.store import ExperimentFolderError
    from morale.results.run import folder_problem

    if out is None:
        return Path(tempfile.mkdtemp(prefix="morale-history-match-"))
    folder = Path(out)
    problem = folder_problem(folder)
    if problem:
        raise ExperimentFolderError(f"--out {folder}: {problem}")
    owned = [*folder.glob("wave-*"), *(folder / name for name in OWN_FILES if (folder / name).exists())] \
        if folder.is_dir() else []
    if owned and not resume:
        if not force:
            raise ExperimentFolderError(f"--out {folder}: holds a history match already ({owned[0].name}, ...); "
                                        f"use --resume to continue it or --force to overwrite it")
        for path in owned:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _latin_hypercube(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    from scipy.stats import qmc

    return qmc.LatinHypercube(d=d, rng=rng).random(n)


def _next_design(cuts: list[Cut], last: _Runs, n: int, seed: int, wave: int,
                 alive: np.ndarray) -> tuple[np.ndarray | None, float, str, np.ndarray, np.ndarray]:
    """`n` unit points no cut rules out, deterministic given (seed, wave): uniform in the bounding box of the
    last wave's surviving runs and of the surviving volume candidates (`alive`; a handful of surviving runs
    alone can span a sliver of the space left, and a wave designed in a sliver learns nothing about the
    rest), widened by `WIDEN` of its width each side; then, when too few are accepted, Gaussian perturbations
    (sd `PERTURB` of the box width, clipped to the cube) of accepted points or, if none, of the surviving
    volume candidates or, if none, of the surviving runs, always filtered by every cut. Returns (design,
    acceptance rate of the uniform stage,
    how it was made, and the box the design fills: low, high)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, TAG_DESIGN, wave]))
    d = last.unit.shape[1]
    finite = last.ok & np.isfinite(last.outputs).all(axis=1)
    survivors = last.unit[finite][not_ruled_out(cuts, last.unit[finite])] if finite.any() else last.unit[:0]
    cloud = np.concatenate([survivors, alive])
    if len(cloud) >= 2:
        lo, hi = cloud.min(axis=0), cloud.max(axis=0)
        pad = WIDEN * np.maximum(hi - lo, 1.0 / max(n, 10))
        lo, hi = np.clip(lo - pad, 0.0, 1.0), np.clip(hi + pad, 0.0, 1.0)
    else:
        lo, hi = np.zeros(d), np.ones(d)
    batch = max(4 * n, 4096)
    accepted, drawn = [], 0
    for _ in range(SAMPLING_BATCHES):
        u = lo + (hi - lo) * rng.random((batch, d))
        drawn += batch
        accepted.append(u[not_ruled_out(cuts, u)])
        if sum(len(a) for a in accepted) >= n:
            break
    pool = np.concatenate(accepted)
    acceptance = len(pool) / drawn
    note = (f"uniform in the box of {len(survivors)} surviving runs of wave {wave - 1} and {len(alive)} surviving "
            f"candidates: {len(pool)} of {drawn} accepted")
    if len(pool) < n:
        parents = pool if len(pool) else (alive if len(alive) else survivors)
        if not len(parents):
            return None, acceptance, note + "; no parent to perturb", lo, hi
        sd = PERTURB * np.maximum(hi - lo, 1e-3)
        added = []
        for _ in range(PERTURB_ROUNDS):
            need = n - len(pool) - sum(len(a) for a in added)
            if need <= 0:
                break
            base = parents[rng.integers(0, len(parents), size=4 * need)]
            u = np.clip(base + sd * rng.standard_normal(base.shape), 0.0, 1.0)
            added.append(u[not_ruled_out(cuts, u)])
        extra = np.concatenate(added) if added else pool[:0]
        note += f"; {min(len(extra), n - len(pool))} added by perturbation"
        pool = np.concatenate([pool, extra])
    pool = pool[:n]
    if len(pool):  # perturbations may step out of the box: the box is where the design is
        lo, hi = np.minimum(lo, pool.min(axis=0)), np.maximum(hi, pool.max(axis=0))
    return pool, acceptance, note, lo, hi


def _stored_design(folder: Path) -> np.ndarray | None:
    path = folder / "design.json"
    if not path.is_file():
        return None
    return np.asarray(json.loads(path.read_text(encoding="utf-8"))["unit"], dtype=np.float64)


def _run_wave(model, params, outputs, wave, design, values, folder, common, seed, replicates, replicated_points,
              crn, resume, scheduler, workers, progress) -> _Runs:
    """Run one wave as its own experiment folder: replicate 0 of every point, replicates 1.. of the first
    `replicated_points`. Run i of wave k (task order) has seed `seed` and stream (k - 1) * STREAM_STRIDE + i
    as its replicate (with `crn`: stream r for replicate r of every point)."""
    from morale.experiments.runner import open_store, run_tasks
    from morale.experiments.store import atomic_write
    from morale.experiments.tasks import Task

    design_hash = hashlib.sha256(np.ascontiguousarray(design, dtype=np.float64).tobytes()).hexdigest()[:16]
    spec = {**common, "wave": wave, "design": design_hash, "design_points": int(len(design))}
    store = open_store(folder / f"wave-{wave}", spec, resume, False)
    if not (store.folder / "design.json").is_file():
        atomic_write(store.folder / "design.json", json.dumps({"wave": wave, "design": design_hash,
                                                                "unit": design.tolist()}))
    names = [p.name for p in params]
    tasks, point, replicate = [], [], []
    for i in range(len(design)):
        run_params = {name: float(values[i, j]) for j, name in enumerate(names)}
        for r in range(replicates if i < replicated_points else 1):
            stream = r if crn else (wave - 1) * STREAM_STRIDE + len(tasks)
            tasks.append(Task(key=f"p{i:06d}-r{r:03d}", model=model, seed=seed, replicate=stream,
                              params=run_params, outcomes=outputs, labels={"wave": wave, "point": i, "replicate": r}))
            point.append(i)
            replicate.append(r)
    records = run_tasks(tasks, store, scheduler, workers, progress, title=f"wave {wave} ({len(tasks)} runs)")
    point_index = np.array(point, dtype=np.int64)
    ok = np.array([(records[t.key] or {}).get("status") == "ok" for t in tasks], dtype=bool)
    out = np.full((len(tasks), len(outputs)), np.nan)
    for i, task in enumerate(tasks):
        if ok[i]:
            found = records[task.key].get("outcomes", {})
            out[i] = [_number(found.get(name)) for name in outputs]
    return _Runs([t.key for t in tasks], point_index, np.array(replicate, dtype=np.int64),
                 np.array([t.replicate for t in tasks], dtype=np.int64), design[point_index], values[point_index],
                 out, ok)


def _fit_jobs(scheduler, workers: int | None) -> int:
    """Emulators are fitted on this machine: in parallel when the runs were (processes), else one at a time."""
    if scheduler != "processes":
        return 1
    return max(1, min(workers or os.cpu_count() or 1, os.cpu_count() or 1))


def _fit_wave(runs: _Runs, outputs: tuple[str, ...], seed: int, wave: int, threshold: float,
              jobs: int = 1) -> dict[str, Emulator]:
    """One emulator per output on the wave's finished runs (replicates as rows; the nugget absorbs the noise),
    `jobs` outputs at a time (joblib processes; each fit is seeded on its own, so the result does not depend
    on `jobs`)."""
    from joblib import Parallel, delayed

    from morale.calibration.emulator import fit_emulator

    def job(j: int, name: str):
        rows = runs.ok & np.isfinite(runs.outputs[:, j])
        em_seed = np.random.SeedSequence([seed, TAG_EMULATOR, wave, j])
        return delayed(fit_emulator)(runs.unit[rows], runs.outputs[rows, j], name, seed=em_seed,
                                     threshold=threshold)

    fitted = Parallel(n_jobs=jobs)(job(j, name) for j, name in enumerate(outputs))
    return dict(zip(outputs, fitted))


def _stochastic_variance(runs: _Runs, outputs: tuple[str, ...], emulators: dict[str, Emulator]) -> list[dict]:
    """Per output, the run-to-run variance from the replicated points of the wave.

    Absolute pooling: sum over points of the squared deviations from the point's mean over the degrees of
    freedom, sum (n_p - 1). Relative pooling, when the data say the noise grows with the level (counts
    across a wide prior): every replicated run positive, the points' means spanning a factor of
    `RELATIVE_SPAN` or more, and the slope of log sd on log mean over the points at least `RELATIVE_SLOPE`
    (Poisson noise: 0.5; multiplicative: 1). Then the squared coefficient of variation is pooled and the
    variance is CV^2 z^2: the noise at the observed level, which is where it decides anything (an absolute
    pool would be the noise of the largest runs). The slope test keeps additive noise on an output that
    merely passes near 0 from being pooled relatively (its CV is huge there). Without replicates, the
    emulator's fitted nugget stands in (pooling "nugget"), else 0 ("none")."""
    out = []
    for j, name in enumerate(outputs):
        rows = runs.ok & np.isfinite(runs.outputs[:, j])
        y, p = runs.outputs[rows, j], runs.point[rows]
        ids, inverse, counts = np.unique(p, return_inverse=True, return_counts=True)
        replicated = counts[inverse] >= 2
        y, inverse = y[replicated], inverse[replicated]
        dof = int(np.sum(counts[counts >= 2] - 1))
        info: dict[str, Any] = {"output": name, "dof": dof, "points": int(np.sum(counts >= 2)), "variance": 0.0,
                                "cv2": None, "span": None, "slope": None}
        if dof > 0:
            sums = np.bincount(inverse, weights=y, minlength=len(ids))
            n = np.bincount(inverse, minlength=len(ids))
            means = np.divide(sums, n, out=np.zeros_like(sums), where=n > 0)
            dev = y - means[inverse]
            info["variance"] = float(np.sum(dev ** 2) / dof)
            present = n > 0
            if (y > 0).all() and means[present].min() > 0:
                info["span"] = float(means[present].max() / means[present].min())
                info["cv2"] = float(np.sum((dev / means[inverse]) ** 2) / dof)
                sd = np.sqrt(np.bincount(inverse, weights=dev ** 2, minlength=len(ids))[present]
                             / np.maximum(n[present] - 1, 1))
                if (sd > 0).sum() >= 3:
                    info["slope"] = float(np.polyfit(np.log(means[present][sd > 0]), np.log(sd[sd > 0]), 1)[0])
            relative = (info["span"] is not None and info["span"] >= RELATIVE_SPAN and info["slope"] is not None
                        and info["slope"] >= RELATIVE_SLOPE)
            info["pooling"] = "relative" if relative else "absolute"
        elif emulators.get(name) is not None and emulators[name].gp is not None:
            info.update(pooling="nugget", variance=float(emulators[name].nugget))
        else:
            info["pooling"] = "none"
        out.append(info)
    return out


def _per_observation(pooled: list[dict], observations: list[Observation], outputs: tuple[str, ...]) -> np.ndarray:
    by_output = {info["output"]: info for info in pooled}
    out = []
    for o in observations:
        info = by_output[o.output]
        out.append(info["cv2"] * o.value ** 2 if info["pooling"] == "relative" else info["variance"])
    return np.array(out, dtype=np.float64)


def _final_stochastic(cuts: list[Cut], k: int) -> np.ndarray:
    """The stochastic variance for judging runs by their own outputs: the last wave's (its replicated points
    lie in the space not ruled out, where the sample is)."""
    return cuts[-1].stoch_var.copy() if cuts else np.zeros(k)


# --- the sample and its tables -----------------------------------------------------------------------------


def _sample(all_runs: list[_Runs], params, outputs, observations, stoch, cutoff, discrepancy):
    """Every run of every wave judged by its own outputs; the sample is those not ruled out. Returns (sample,
    the best run's row or None, how many runs could be judged)."""
    names = [p.name for p in params]
    column = {name: j for j, name in enumerate(outputs)}
    frames = []
    for wave, runs in enumerate(all_runs, start=1):
        frame = pd.DataFrame({"wave": np.full(len(runs.keys), wave, dtype=np.int64), "key": runs.keys,
                              "point": runs.point, "replicate": runs.replicate, "stream": runs.stream})
        for j, name in enumerate(names):
            frame[name] = runs.values[:, j]
        for j, name in enumerate(names):
            frame[f"u:{name}"] = runs.unit[:, j]
        for j, name in enumerate(outputs):
            frame[name] = runs.outputs[:, j]
        frame["_ok"] = runs.ok
        frames.append(frame)
    columns = ["wave", "key", "point", "replicate", "stream", *names, *[f"u:{n}" for n in names], *outputs,
               "implausibility"]
    if not frames:
        return _empty(columns), None, 0
    every = pd.concat(frames, ignore_index=True)
    y = every[list(outputs)].to_numpy(dtype=np.float64)
    judged = every["_ok"].to_numpy() & np.isfinite(y).all(axis=1)
    mean = y[:, [column[o.output] for o in observations]]
    ranked = ranked_implausibility(implausibility(mean, np.zeros_like(mean), stoch, observations, discrepancy))
    every["implausibility"] = np.where(judged, ranked, np.nan)
    keep = judged & (ranked <= cutoff)
    best = None
    if judged.any():
        best = every.iloc[int(np.nanargmin(np.where(judged, ranked, np.inf)))]
    sample = every.loc[keep, columns].reset_index(drop=True)
    return sample, best, int(judged.sum())


def _empty(columns) -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in columns})
    for c in ("wave", "point", "replicate", "stream"):
        frame[c] = frame[c].astype(np.int64)
    frame["key"] = frame["key"].astype(object)
    return frame


def _identification(params, sample: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: prior range, the range the sample allows (min..max), its 5% and 95% quantiles, the share of
    the prior range the 5-95% interval spans, and `pinned` = that share < `PINNED_SHARE` (the targets narrow
    the parameter to under half its prior range)."""
    rows = []
    for p in params:
        x = sample[p.name].to_numpy(dtype=np.float64) if len(sample) else np.array([])
        width = p.high - p.low
        if x.size:
            q05, q95 = np.quantile(x, [0.05, 0.95])
            share = (q95 - q05) / width if width > 0 else math.nan
            low, high = float(x.min()), float(x.max())
        else:
            q05 = q95 = share = low = high = math.nan
        rows.append({"parameter": p.name, "prior_low": p.low, "prior_high": p.high, "allowed_low": low,
                     "allowed_high": high, "q05": float(q05), "q95": float(q95), "share": float(share),
                     "pinned": bool(np.isfinite(share) and share < PINNED_SHARE)})
    return pd.DataFrame(rows)


def _targets(observations, outputs, sample: pd.DataFrame, best, stoch, discrepancy) -> pd.DataFrame:
    """Per observation: z, its error terms, the model at the best run (lowest second-largest I of all runs)
    and the sample's median and range, with the implausibility of the best run and of the sample median."""
    rows = []
    for j, o in enumerate(observations):
        obs_sd = math.sqrt(o.variance)
        disc_sd = math.sqrt(o.discrepancy_variance(discrepancy))
        stoch_sd = math.sqrt(max(float(stoch[j]), 0.0))
        total = math.sqrt(o.variance + o.discrepancy_variance(discrepancy) + max(float(stoch[j]), 0.0))
        x = sample[o.output].to_numpy(dtype=np.float64) if len(sample) else np.array([])
        best_value = float(best[o.output]) if best is not None else math.nan
        median = float(np.median(x)) if x.size else math.nan
        rows.append({"output": o.output, "label": o.label, "z": o.value, "observation_sd": obs_sd,
                     "discrepancy_sd": disc_sd, "stochastic_sd": stoch_sd, "total_sd": total, "best": best_value,
                     "median": median, "implausibility_best": _single(o.value, best_value, total),
                     "implausibility_median": _single(o.value, median, total),
                     "sample_low": float(x.min()) if x.size else math.nan,
                     "sample_high": float(x.max()) if x.size else math.nan})
    return pd.DataFrame(rows)


def _single(z: float, value: float, sd: float) -> float:
    if not math.isfinite(value):
        return math.nan
    if sd > 0:
        return abs(z - value) / sd
    return 0.0 if z == value else math.inf


# --- writing -----------------------------------------------------------------------------------------------


def _write_summary(folder: Path, wave, params, design, runs: _Runs, outputs, emulators, pooled, cut: Cut,
                   row: dict) -> None:
    """wave-k/summary.json: the design, every run's outputs, the emulators' diagnostics, the stochastic
    variances, the share left. Small enough to commit (the runs' own folders are not)."""
    from morale.experiments.store import atomic_write

    summary = {"wave": wave, "parameters": [p.name for p in params], "design": design.tolist(),
               "runs": [{"key": key, "point": int(runs.point[i]), "replicate": int(runs.replicate[i]),
                         "stream": int(runs.stream[i]),
                         "status": "ok" if runs.ok[i] else "failed",
                         "outputs": {name: runs.outputs[i, j] for j, name in enumerate(outputs)}}
                        for i, key in enumerate(runs.keys)],
               "emulators": [em.diagnostics() for em in emulators.values()],
               "stochastic": pooled,
               "stochastic_variance": {o.label or o.output: float(v) for o, v in zip(cut.observations, cut.stoch_var)},
               **{k: row[k] for k in ("volume_share", "acceptance", "variance_ratio", "failed", "sampling",
                                      "stopped")}}
    atomic_write(folder / "summary.json", json.dumps(_jsonable(summary), indent=1))


def _manifest(common, model, params, observations, waves, candidates, cuts, stochastic, stopped, wave_table,
              sample, judged, spec_extra) -> dict[str, Any]:
    return _jsonable({
        "method": "history matching in waves (Andrianakis et al. 2015; Vernon et al. 2022)",
        "implausibility": "I_k = |z_k - E[f_k(x)]| / sqrt(Var_em + Var_stoch + Var_obs + Var_disc), "
                          "Var_disc = (share |z_k|)^2",
        "cutoff": common["cutoff"], "rank": RANK, "discrepancy": common["discrepancy"],
        "rule": f"ruled out when the {RANK}nd-largest I over the observations exceeds the cutoff (the largest "
                f"with one usable observation); a point is ruled out when any wave's cut rules it out",
        "loo_threshold": common["loo_share"], "loo_band": 2.0,
        "loo_rule": "an emulator is used in its wave's cut only when at least loo_threshold of its leave-one-out "
                    "standardised errors lie within +-2 (closed form, hyperparameters fixed)",
        "emulator": "scikit-learn GaussianProcessRegressor, ConstantKernel * RBF(ARD) + WhiteKernel, "
                    "output standardised (emulator.standardise), 2 restarts; inputs on the unit cube; Var_em "
                    "excludes the nugget",
        "seeds": {"runs": common["seed"], "design": f"SeedSequence([seed, {TAG_DESIGN}, wave])",
                  "volume": f"SeedSequence([seed, {TAG_VOLUME}])",
                  "emulators": f"SeedSequence([seed, {TAG_EMULATOR}, wave, output])"},
        "seed": common["seed"], "streams": common["streams"], "points": common["points"], "waves": waves,
        "waves_run": len(cuts),
        "replicates": common["replicates"],
        "replicated_points": common["replicated_points"], "candidates": candidates, "model": common["model"],
        "parameters": [vars(p) for p in params],
        "observations": [_observation_dict(o) for o in observations],
        "stochastic_variance": "per wave, from its replicated points: the within-point sample variance pooled "
                               "over points (sum of squared deviations / sum of (n-1)); when every replicated "
                               f"run is positive, the points' means span a factor >= {RELATIVE_SPAN:g} and the "
                               f"slope of log sd on log mean is >= {RELATIVE_SLOPE:g}, the squared coefficient "
                               "of variation is pooled instead and Var_stoch = CV^2 z^2; "
                               "without replicates the emulator's nugget. Runs are judged with the last wave's.",
        "stochastic": stochastic,
        "stopping": f"after `waves` waves; or when the share of the prior not ruled out shrinks by less than "
                    f"{SHRINK_STOP:.0%} (relative; wave 1 against the whole prior); or when the median over "
                    f"observations of the median Var_em / (Var_stoch + Var_obs + Var_disc) at the surviving "
                    f"candidates is below {VARIANCE_STOP:g}; or when no point for the next wave survives. The two "
                    f"relative rules "
                    f"apply from wave 2 on (wave 1 stops early only without any valid emulator)",
        "sample_rule": "runs of every wave whose own outputs (Var_em = 0) are not ruled out by the cutoff rule",
        "pinned_rule": f"pinned when the sample's 5-95% interval spans less than {PINNED_SHARE:g} of the prior range",
        "volume_shares": [float(s) for s in wave_table["volume_share"]], "stopped": stopped,
        "sample_runs": int(len(sample)), "judged_runs": judged, "extra": spec_extra or {}})


def _write(result: HistoryMatch) -> None:
    from morale.experiments.ensemble import png_html
    from morale.experiments.store import atomic_write, write_parquet

    folder = result.folder
    write_parquet(result.sample, folder / "sample.parquet")
    result.identification.to_csv(folder / "identification.csv", index=False)
    result.targets.to_csv(folder / "targets.csv", index=False)
    result.waves.to_csv(folder / "waves.csv", index=False)
    atomic_write(folder / "calibration.json", json.dumps(result.manifest, indent=2, sort_keys=True))
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figures = {}
    for name, plot in (("pairs", plot_pairs), ("shrinkage", plot_shrinkage), ("targets", plot_targets)):
        fig = plot(result)
        buffer = io.BytesIO()  # drawn once, for the file and the page (as `figure_html` embeds it)
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        (folder / f"{name}.png").write_bytes(buffer.getvalue())
        figures[name] = png_html(buffer.getvalue())
    write_report(result, folder / "report.html", figures)


def plot_pairs(result: HistoryMatch, most: int = 6):
    """The sample over the most-pinned parameters (smallest 5-95% share first), axes = prior ranges."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ident = result.identification.sort_values("share", kind="stable", na_position="last").head(most)
    names = list(ident["parameter"])
    n = len(names)
    fig, axes = plt.subplots(n, n, figsize=(1.9 * n + 1, 1.9 * n + 1), squeeze=False)
    limits = {r.parameter: (r.prior_low, r.prior_high) for r in ident.itertuples()}
    sample = result.sample
    colour = sample["wave"].to_numpy() if len(sample) else None
    for i, yname in enumerate(names):
        for j, xname in enumerate(names):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                if len(sample):
                    ax.hist(sample[xname], bins=20, range=limits[xname], color="tab:blue", alpha=0.7)
                ax.set_yticks([])
            elif len(sample):
                ax.scatter(sample[xname], sample[yname], s=5, c=colour, cmap="viridis", alpha=0.7)
            ax.set_xlim(limits[xname])
            if i != j:
                ax.set_ylim(limits[yname])
            if i == n - 1:
                ax.set_xlabel(xname, fontsize=7)
            if j == 0 and i != j:
                ax.set_ylabel(yname, fontsize=7)
            ax.tick_params(labelsize=6)
    fig.suptitle(f"not ruled out: {len(sample)} runs (colour: wave); axes span the prior ranges", fontsize=9)
    fig.tight_layout()
    return fig


def plot_shrinkage(result: HistoryMatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    waves = result.waves
    floor = 1.0 / max(int(result.manifest.get("candidates", 20000)), 1)
    share = np.maximum(np.concatenate([[1.0], waves["volume_share"].to_numpy(dtype=np.float64)]), floor)
    fig, ax = plt.subplots(figsize=(5, 3.2))
    ax.semilogy(np.arange(len(share)), share, "o-", color="tab:blue")
    ax.set_xticks(np.arange(len(share)))
    ax.set_xlabel("wave (0: the prior)", fontsize=8)
    ax.set_ylabel("share of prior volume not ruled out", fontsize=8)
    ax.set_title(f"stopped: {result.stopped[:70]}", fontsize=8)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    return fig


def plot_targets(result: HistoryMatch):
    """Each observation: z with +-cutoff total sd (the band a run must fall in), the sample's range and median,
    and the best run; one panel per observation (their scales differ)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = result.targets
    cutoff = float(result.manifest.get("cutoff", CUTOFF))
    fig, axes = plt.subplots(len(t), 1, figsize=(6, 0.9 * len(t) + 0.8), squeeze=False)
    for ax, row in zip(axes[:, 0], t.itertuples()):
        ax.errorbar([row.z], [0.0], xerr=[cutoff * row.total_sd], fmt="s", color="black", capsize=4,
                    label=f"z +- {cutoff:g} total sd")
        if np.isfinite(row.sample_low):
            ax.plot([row.sample_low, row.sample_high], [0.3, 0.3], color="tab:blue", lw=4, alpha=0.6,
                    label="sample range")
            ax.plot([row.median], [0.3], "o", color="tab:blue", label="sample median")
        if np.isfinite(row.best):
            ax.plot([row.best], [-0.3], "^", color="tab:red", label="best run")
        ax.set_ylim(-0.8, 0.8)
        ax.set_yticks([])
        ax.set_ylabel(str(row.label or row.output)[:28], fontsize=7, rotation=0, ha="right", va="center")
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=6, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.9), frameon=False)
    fig.tight_layout()
    return fig


def write_report(result: HistoryMatch, path: Path, figures: dict[str, str] | None = None) -> None:
    """report.html: the method and stop, the waves, the targets, what is identified, the sample's pairs.
    `figures` (HTML images by name: shrinkage, targets, pairs) are drawn here when not given."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from morale.experiments.ensemble import figure_html, provenance_section
    from morale.results.report import write_page

    m = result.manifest
    model = m.get("model", {})
    subject = model.get("scenario") or model.get("function") or "model"
    number = lambda v: f"{v:,.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    figures = dict(figures or {})
    for name, plot in (("shrinkage", plot_shrinkage), ("targets", plot_targets), ("pairs", plot_pairs)):
        if name not in figures:
            fig = plot(result)
            figures[name] = figure_html(fig)
            plt.close(fig)
    pinned = result.identification[result.identification["pinned"].astype(bool)]["parameter"].tolist()
    parts = [f"<h1>History matching: {html.escape(str(subject))}</h1>",
             f"<p>{len(m.get('parameters', []))} parameters, {len(m.get('observations', []))} observations; "
             f"{m.get('waves_run')} of {m.get('waves')} waves of {m.get('points')} points ({m.get('replicates')} "
             f"replicates at {m.get('replicated_points')} of them), seed {m.get('seed')}. "
             f"A point is ruled out when the second-largest implausibility exceeds {m.get('cutoff')} "
             f"(discrepancy {m.get('discrepancy')} of |z| unless a target says otherwise; emulators used when "
             f"{m.get('loo_threshold'):.0%} of leave-one-out errors lie within +-2).</p>",
             f"<p><b>Stopped:</b> {html.escape(result.stopped)}</p>",
             f"<p>{len(result.sample)} runs not ruled out by their own outputs (of {m.get('judged_runs')} judged); "
             f"pinned (5-95% of the sample spans under {PINNED_SHARE:g} of the prior): "
             f"{html.escape(', '.join(pinned) or 'none')}.</p>",
             provenance_section(result.folder / "wave-1", (model or {}).get("overrides")) if
             (result.folder / "wave-1" / "manifest.json").is_file() else "",
             "<h2>Waves</h2>", figures["shrinkage"], result.waves.to_html(index=False, float_format=number),
             "<h2>Targets</h2>", figures["targets"], result.targets.to_html(index=False, float_format=number),
             "<h2>Identification</h2>", result.identification.to_html(index=False, float_format=number),
             figures["pairs"]]
    write_page(path, f"morale history matching: {subject}", parts)


# --- small helpers -----------------------------------------------------------------------------------------


def _describe(model) -> dict[str, Any]:
    from morale.experiments.store import spec_hash
    from morale.experiments.tasks import FunctionModel

    if isinstance(model, FunctionModel):
        fn = model.fn
        return {"function": f"{fn.__module__}.{getattr(fn, '__qualname__', repr(fn))}", "outputs": list(model.outputs),
                "seeded": model.seeded}
    scenario = model.scenario
    named = scenario if isinstance(scenario, str) else scenario.get("name")
    measures = model.measures
    return {"scenario": named, "scenario_sha": spec_hash(scenario) if isinstance(scenario, dict) else None,
            "scale": model.scale, "end": model.end, "overrides": dict(model.overrides),
            "measures": None if measures is None else f"{measures.__module__}.{measures.__qualname__}",
            "measure_names": list(getattr(model, "measure_names", ()))}


def _observation_dict(o: Observation) -> dict[str, Any]:
    return {"output": o.output, "value": o.value, "variance": o.variance, "discrepancy": o.discrepancy,
            "label": o.label}


def _number(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return math.nan
    return out


def _jsonable(value):
    """NaN and infinities as null, numpy scalars as Python numbers (strict JSON)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value
