"""The article's patterns (DESIGN s.2) as checks on ensembles with paired seeds.

Run i of a pattern uses `SeedSequence(seed, spawn_key=(i,))` in both the default and the counterfactual
(common random numbers). An effect is default minus counterfactual; its 95% interval is the paired-t
interval of the per-run differences. A pattern of several claims passes only if all of them hold.

Runs go through the experiment executors (`morale.experiments.executors`): a worker makes the run and
returns its per-run measures (`measure_run`), which are checkpointed in `--out` like any experiment's runs.
Robust validation (`robust=N`) checks each pattern on N Latin-hypercube draws of the default scenario's
ranged parameters (the same draw in the counterfactual, except where the counterfactual sets a parameter
itself), each draw an ensemble with the same paired seeds; a *validation* pattern passes only if it holds
in at least 90% of the draws, a *verification* pattern (a mechanism the design states) and a *direction*
pattern (a verification of direction: its sign is wired into one term of the model, `WIRED`) in all of them.
The draws can also be given (`points=`: `morale validate --sobol`, `pattern_sensitivity`); the per-draw table
holds each pattern's held flag and its effect.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

import morale
from morale.engine.recorder import SERIES, STOCK
from morale.engine.simulation import ConservationError
from morale.results.run import Run

LONG_END = "2042-12-31"
SHARE_SERIES = ("support_private", "support_polled", "support_continue_polled", "legitimacy_mean", "hardship_mean",
                "ban_coverage")
# the response ladder is bounded by design; at its top it is the state's answer to a war that uses up the willing
# (issue 12), an outcome F10 reports, not a runaway it forbids
LADDER = "shortfall_pressure"
DEFAULT = "russia-2022"
VALIDATION_SHARE = 0.9
DIRECTION = "direction"  # verification of direction: held to every draw, like verification
KIND = {"F1": DIRECTION, "F2": "validation", "F3": "verification", "F4": "validation", "F5": DIRECTION,
        "F6": "verification", "F7": "verification", "F8": "validation", "F9": "verification", "F10": "verification"}
# Issue 13: patterns whose sign is wired into one term of the model, so that passing checks the wiring, not the
# article's claim (docs/validation.md, "Issue 13: direction checks"). Magnitudes: no independent figure exists
# for either (national_targets.csv, docs/validation.md), as each reason says.
WIRED = {
    "F1": "(a)'s sign is the willing-share logit's term -c_risk * risk_perceived (recruitment.contract.risk_weight, "
          "bounds >= 0): without leaks perceived contract risk is 0, so the default's willing share is lower by "
          "construction; the support term c_s * S_r pushes the same way (every opinion weight on leaked news is "
          ">= 0 and the counterfactual leaks nothing); the room, the ladder's bonuses and the faster use of the "
          "willing without leaks only damp it. (b-d) claim no "
          "direction, only that the response volumes move, which the room shared in proportion and the ladder "
          "wire. Magnitude: no independent figure; the one figure, the fall of budget-counted contracts from "
          "92,800 (Q2 2024) to 37,900 (Q2 2025), is what c_risk was calibrated to.",
    "F5": "its sign is the opinion term -w_B * B / (B + B_half) (opinion.conscript_weight, bounds >= 0), the "
          "known deaths of conscripts abroad, which leak only while policy.conscripts_to_combat is on: it exists "
          "only in the counterfactual and saturates at w_B (0.5-1.5 on the logit scale) once a few hundred such "
          "deaths are known; the other channels (more deaths in the death terms and family ties against the "
          "success term and a lower ladder) are side effects of mixed sign. Magnitude: no independent figure (the "
          "weight's source is the article's qualitative claim that conscripts' parents did not go along and the "
          "state stopped sending them, so nothing measured the cost).",
}
# the other candidates the issue named, kept as validation, and why
NOT_WIRED = {
    "F2": "two channels of opposite sign: unemployment and relative pay raise the willing share (epsilon_u, "
          "epsilon_w), hardship lowers support and so enlistment (w_H, c_s); which dominates depends on the "
          "sanctions block (the 2026-11-26 robust run: reversed in 4 of 50 draws).",
    "F4": "(b) is wired (support: the opinion term -w_E * E / (E + E_half) of leaked executions, which the legal "
          "counterfactual has none of; opposition: lower support lowers legitimacy, raising grievance), but (a) "
          "refusals come from deterrence against morale, cohesion and peer contagion together, so the whole "
          "pattern stays validation.",
    "F8": "(a) emigration is wired (exp(beta_P * repression_r) in the emigration hazard, "
          "emigration.repression_weight >= 0), but (b) the violent share comes from the violence hazard's "
          "repression weight against the longer careers light repression allows (F8 failed in 40 of 50 draws of "
          "the 2026-11-26 robust run, mostly through (b), while (a) held), so the whole pattern stays validation.",
}
LEGAL = "russia-2022-legal-discipline"


@dataclass
class PatternResult:
    pattern: str
    passed: bool
    statistic: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


class Ensemble:
    """Runs of one scenario, shared by the patterns that need them (each run made once).

    `measures` runs through an executor and returns each run's `measure_run` dict (checkpointed in `store`
    when given); `runs` keeps the old in-process path returning whole `Run`s.
    """

    def __init__(self, runs: int, scale: float, seed: int, end: str | None, scheduler: str = "inprocess",
                 workers: int | None = None, store=None, overrides: dict | None = None, label: str = "",
                 first_replicate: int = 0):
        self.n, self.scale, self.seed, self.end = runs, scale, seed, end
        self.replicates = range(first_replicate, first_replicate + runs)
        self.scheduler, self.workers, self.store = scheduler, workers, store
        self.overrides, self.label = overrides or {}, label
        self._cache: dict[tuple[str, str | None, float], list[Run]] = {}
        self._measures: dict[tuple, list[dict]] = {}

    def runs(self, scenario: str, end: str | None = None, scale: float | None = None) -> list[Run]:
        key = (scenario, end or self.end, scale or self.scale)
        if key not in self._cache:
            self._cache[key] = [morale.run(scenario, seed=self.seed, scale=key[2], end=key[1], replicate=i,
                                           base=self.overrides_for(scenario) or None)
                                for i in self.replicates]
        return self._cache[key]

    def overrides_for(self, scenario: str) -> dict:
        return counterfactual_overrides(scenario, self.overrides) if scenario != DEFAULT else dict(self.overrides)

    def tasks(self, scenario: str, end: str | None = None, scale: float | None = None) -> list:
        from morale.experiments.tasks import FunctionModel, Task

        end, scale = end or self.end, scale or self.scale
        tag = f"{self.label}{scenario}-{end or 'end'}-s{scale:g}"
        model = FunctionModel(measure_run, MEASURES)
        return [Task(key=f"{tag}-r{i:03d}", model=model, seed=self.seed, replicate=i,
                     params={"scenario": scenario, "seed": self.seed, "replicate": i, "scale": scale, "end": end,
                             "overrides": self.overrides_for(scenario)},
                     outcomes=MEASURES, labels={"scenario": scenario, "end": end, "scale": scale})
                for i in self.replicates]

    def prefetch(self, needs: list[tuple[str, str | None, float | None]]) -> None:
        """Run every task of these (scenario, end, scale) ensembles at once (one executor pass)."""
        prefetch([self], needs)

    def measures(self, scenario: str, end: str | None = None, scale: float | None = None) -> list[dict]:
        key = (scenario, end or self.end, scale or self.scale)
        if key not in self._measures:
            self.prefetch([(scenario, end, scale)])
        found = self._measures[key]
        failed = [r for r in found if r["status"] != "ok"]
        if failed:
            raise RunFailed(f"{len(failed)} of {len(found)} runs of {scenario} failed: {failed[0]['error']} "
                            f"(seed {failed[0]['seed']}, replicate {failed[0]['replicate']})")
        return [r["outcomes"] for r in found]


class RunFailed(RuntimeError):
    pass


def prefetch(ensembles: list[Ensemble], needs: list[tuple[str, str | None, float | None]]) -> None:
    """Run the tasks of several ensembles' needs in one pass through the first ensemble's executor."""
    from morale.experiments.runner import open_store, run_tasks

    first = ensembles[0]
    todo, owners = [], []
    for ens in ensembles:
        for scenario, end, scale in needs:
            key = (scenario, end or ens.end, scale or ens.scale)
            if key not in ens._measures:
                tasks = ens.tasks(scenario, end, scale)
                todo += tasks
                owners.append((ens, key, [t.key for t in tasks]))
    if not todo:
        return
    if first.store is None:
        first.store = open_store(None, {"kind": "validate"}, False, False)
    records = run_tasks(todo, first.store, first.scheduler, first.workers, progress=False, title="validate")
    for ens, key, keys in owners:
        ens._measures[key] = [records[k] for k in keys]


def _window_sum(run: Run, name: str, start: str | None = None, end: str | None = None) -> float:
    return float(run.series[name].loc[start:end].sum())


def _window_mean(run: Run, name: str, start: str | None = None, end: str | None = None) -> float:
    return float(run.series[name].loc[start:end].mean())


def violent_share(run: Run, start: str) -> float:
    """Mean over weeks of opposition_violent / (opposition_active + opposition_violent)."""
    s = run.series.loc[start:]
    total = s["opposition_active"] + s["opposition_violent"]
    return float((s["opposition_violent"] / total.where(total > 0)).fillna(0.0).mean())


def _last_year(run: Run, name: str) -> float:
    return float(run.series[name].iloc[-52:].mean())


# What each pattern reads from a run: computed in the worker, so only these numbers travel.
RUN_MEASURES: dict[str, Callable[[Run], object]] = {
    "killed_per_front_week": lambda r: per_front_week(r, "killed"),
    "pmc_contract_ratio": lambda r: per_front_week(r, "killed", "convict_pmc")
    / max(per_front_week(r, "killed", "contract"), 1e-12),
    "pardoned": lambda r: _window_sum(r, "pardoned"),
    "pmc_executions": lambda r: float(r.stream("executions")["convict_pmc"].sum()),
    "pmc_blocking_stops": lambda r: float(r.stream("blocking_stops")["convict_pmc"].sum()),
    **{f"{flow}_per_front_week": (lambda r, f=flow: per_front_week(r, f))
       for flow in ("refusals", "flights", "surrenders", "awol")},
    "contract_from_2023": lambda r: _window_sum(r, "recruits_contract", "2023-01-01"),
    **{f"{stream}_from_2023": (lambda r, s=stream: _window_sum(r, f"recruits_{s}", "2023-01-01"))
       for stream in ("coerced", "converted", "convict_ministry")},
    "pressure_from_2023": lambda r: _window_mean(r, "shortfall_pressure", "2023-01-01"),
    "contract_from_2022_06": lambda r: _window_sum(r, "recruits_contract", "2022-06-01"),
    "support_from_2023": lambda r: _window_mean(r, "support_private", "2023-01-01"),
    "support_last_year": lambda r: _last_year(r, "support_private"),
    "active_last_year": lambda r: _last_year(r, "opposition_active"),
    "emigrants_from_2024": lambda r: _window_sum(r, "emigrants", "2024-01-01"),
    "emigrants_from_2023": lambda r: _window_sum(r, "emigrants", "2023-01-01"),
    "violent_share_from_2023": lambda r: violent_share(r, "2023-01-01"),
    "mobilisation_spike": lambda r: _window_mean(r, "emigrants", "2022-09-21", "2022-10-12")
    / max(_window_mean(r, "emigrants", "2022-07-01", "2022-09-14"), 1e-9),
    "problems": lambda r: long_run_problems(r),
    "ladder_top_last_year": lambda r: float((r.series[LADDER].iloc[-52:] >= 1.0).all()),
}
MEASURES = (*RUN_MEASURES, "conservation_error")


def measure_run(scenario: str, seed: int, replicate: int, scale: float, end: str | None,
                overrides: dict) -> dict:
    """One run's measures for the patterns (computed in the worker; only these small numbers travel). `overrides`
    are a robust-validation draw: base values, under the scenario's dated events."""
    from morale.engine import codes as C
    from morale.experiments.tasks import conservation_error

    run = morale.run(scenario, seed=seed, replicate=replicate, scale=scale, end=end, base=overrides or None)
    return {**{name: measure(run) for name, measure in RUN_MEASURES.items()},
            "conservation_error": conservation_error(run.series, C.STATUS_NAMES)}


def counterfactual_overrides(scenario: str, overrides: dict) -> dict:
    """A draw applied to a counterfactual: every drawn parameter except those the counterfactual sets itself."""
    if not overrides:
        return {}
    from morale.experiments.parameters import all_parameters
    from morale.scenario.loader import load_scenario

    base, other = all_parameters(load_scenario(DEFAULT)), all_parameters(load_scenario(scenario))
    return {k: v for k, v in overrides.items() if k in other and k in base and other[k].value == base[k].value}


def per_front_week(run: Run, flow: str, stream: str | None = None) -> float:
    """A flow's sum over the sum of front strength (per front soldier-week), optionally for one stream."""
    if stream is None:
        return run.series[flow].sum() / max(run.series["soldiers_front"].sum(), 1.0)
    return run.stream(flow)[stream].sum() / max(run.stream("soldiers_front")[stream].sum(), 1.0)


def paired_interval(differences: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% paired-t interval."""
    n = len(differences)
    mean = float(np.mean(differences))
    if n < 2:
        return mean, mean, mean
    half = float(stats.t.ppf(0.975, n - 1) * np.std(differences, ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def compare_pattern(name: str, ens: Ensemble, counterfactual: str, measure: str,
                    statistic: str, default_higher: bool) -> PatternResult:
    base = np.array([m[measure] for m in ens.measures(DEFAULT)])
    other = np.array([m[measure] for m in ens.measures(counterfactual)])
    effect, low, high = paired_interval(base - other)
    passed = low > 0 if default_higher else high < 0
    direction = "higher" if default_higher else "lower"
    detail = (f"default {base.mean():.4g} vs {counterfactual} {other.mean():.4g}; "
              f"expected default {direction}")
    return PatternResult(name, bool(passed), statistic, effect, low, high, detail)


def f3(ens: Ensemble) -> PatternResult:
    return compare_pattern("F3", ens, "russia-2022-long-training", "killed_per_front_week",
                           "killed per front soldier-week, whole run", default_higher=True)


def f4(ens: Ensemble) -> PatternResult:
    """(a) Lethal discipline lowers refusals per front soldier-week (flights, surrenders and AWOL reported
    beside it, with no required direction); (b) its leaks lower support and raise active opposition."""
    refusals = compare_pattern("F4", ens, LEGAL, "refusals_per_front_week",
                               "(a) refusals per front soldier-week, whole run", default_higher=False)
    beside = []
    for measure in ("flights_per_front_week", "surrenders_per_front_week", "awol_per_front_week"):
        other = compare_pattern("F4", ens, LEGAL, measure, measure, default_higher=False)
        beside.append(f"{measure.removesuffix('_per_front_week')} {other.effect:+.3g} [{other.ci_low:.3g}, "
                      f"{other.ci_high:.3g}]")
    refusals.detail = f"{refusals.detail}; beside it: {'; '.join(beside)}"
    return all_of("F4", [refusals, *f4_society(ens)], "refusals per front soldier-week; support; opposition")


def all_of(name: str, parts: list[PatternResult], statistic: str) -> PatternResult:
    """A pattern of several claims passes only if all do; the first claim's effect is the headline."""
    first = parts[0]
    detail = "; ".join(f"({chr(97 + i)}) {'holds' if p.passed else 'FAILS'}: {p.detail}" for i, p in enumerate(parts))
    return PatternResult(name, all(p.passed for p in parts), statistic, first.effect, first.ci_low, first.ci_high,
                         detail)


def changes_pattern(name: str, ens: Ensemble, counterfactual: str, measure: str, statistic: str,
                    chain: str) -> PatternResult:
    """The counterfactual changes the measure, in either direction: the paired interval excludes zero. The
    detail states the sign the model gives and whether it is the one `chain` (what the causal chain predicts
    of default minus counterfactual: "higher" or "lower") expects."""
    base = np.array([m[measure] for m in ens.measures(DEFAULT)])
    other = np.array([m[measure] for m in ens.measures(counterfactual)])
    effect, low, high = paired_interval(base - other)
    passed = low > 0 or high < 0
    sign = "higher" if low > 0 else "lower" if high < 0 else "not distinguishable (the interval spans 0)"
    verdict = "" if not passed else ", the sign the chain predicts" if sign == chain else ", against the chain"
    detail = (f"{statistic}: default {base.mean():.4g} vs {counterfactual} {other.mean():.4g}, default {sign}"
              f"{verdict} (the chain predicts default {chain}); expected a change of either sign")
    return PatternResult(name, bool(passed), statistic, effect, low, high, detail)


F1_RESPONSE = {"coerced_from_2023": "sum of recruits_coerced from 2023-01-01",
               "converted_from_2023": "sum of recruits_converted from 2023-01-01",
               "convict_ministry_from_2023": "sum of recruits_convict_ministry from 2023-01-01"}


def f1(ens: Ensemble) -> PatternResult:
    """(a) Leaked casualty news lowers contract recruits from 2023; (b-d) the live chain: the counterfactual
    changes the volumes of coercion, conversion and ministry convict recruitment from 2023 (the chain:
    fewer contracts, a larger shortfall, a higher rung, more of each; the sign is the model's, stated)."""
    contracts = compare_pattern("F1", ens, "russia-2022-no-leaks", "contract_from_2023",
                                "sum of recruits_contract from 2023-01-01", default_higher=False)
    response = [changes_pattern("F1", ens, "russia-2022-no-leaks", measure, statistic, chain="higher")
                for measure, statistic in F1_RESPONSE.items()]
    parts = [contracts, *response]
    result = all_of("F1", parts, "recruits_contract; coerced, converted, convict_ministry, from 2023-01-01")
    result.detail += "; " + "; ".join(f"{p.statistic} {p.effect:+.4g} [{p.ci_low:.4g}, {p.ci_high:.4g}]"
                                      for p in response)
    # not a claim: whether the ladder itself moved (the response may also change through the authorised
    # strength's room, which contracts fill first)
    ladder = changes_pattern("F1", ens, "russia-2022-no-leaks", "pressure_from_2023",
                             "mean shortfall_pressure from 2023-01-01", chain="higher")
    result.detail += (f"; beside it, the ladder (mean shortfall_pressure from 2023-01-01): {ladder.effect:+.4g} "
                      f"[{ladder.ci_low:.4g}, {ladder.ci_high:.4g}]")
    return result


def f2(ens: Ensemble) -> PatternResult:
    return compare_pattern("F2", ens, "russia-2022-no-sanctions", "contract_from_2022_06",
                           "sum of recruits_contract from 2022-06-01", default_higher=True)


def f4_society(ens: Ensemble) -> list[PatternResult]:
    """(b) lethal discipline creates leaks that lower support and raise active opposition (last year)."""
    return [compare_pattern("F4", ens, LEGAL, "support_last_year", "mean support_private, last year",
                            default_higher=False),
            compare_pattern("F4", ens, LEGAL, "active_last_year", "mean opposition_active, last year",
                            default_higher=True)]


def f5(ens: Ensemble) -> PatternResult:
    return compare_pattern("F5", ens, "russia-2022-conscripts-abroad", "support_from_2023",
                           "mean support_private from 2023-01-01", default_higher=True)


def f7(ens: Ensemble) -> PatternResult:
    lower = compare_pattern("F7", ens, "russia-2022-no-exit-ban", "emigrants_from_2024",
                            "sum of emigrants from 2024-01-01", default_higher=False)
    leaving = min(m["emigrants_from_2024"] for m in ens.measures(DEFAULT))
    lower.passed = lower.passed and leaving > 0
    lower.detail += f"; under the ban the fewest emigrants in a run: {leaving:,.0f} (must be > 0)"
    return lower


def f8(ens: Ensemble) -> PatternResult:
    parts = [compare_pattern("F8", ens, "russia-2022-light-repression", "emigrants_from_2023",
                             "sum of emigrants from 2023-01-01", default_higher=True),
             compare_pattern("F8", ens, "russia-2022-light-repression", "violent_share_from_2023",
                             "mean violent share of the opposition from 2023-01-01", default_higher=True)]
    return all_of("F8", parts, "emigrants and violent share from 2023-01-01")


def f9(ens: Ensemble) -> PatternResult:
    ratios = np.array([m["mobilisation_spike"] for m in ens.measures(DEFAULT)])
    mean, low, high = paired_interval(ratios)
    return PatternResult("F9", bool(low > 3.0), "mean weekly emigrants 2022-09-21..10-12 over 07-01..09-14",
                         None, low, high, f"ratio {mean:.3g} (needs CI above 3)")


def f6(ens: Ensemble) -> PatternResult:
    """Convict units: a high death rate, pardons at six months, under the private company's lethal regime. The
    regime shows in its blocking detachments stopping fleers; its executions are rare in storm units whose men
    mostly die before they refuse, so at a coarse scale a run may have none (reported, not required)."""
    measures = ens.measures(DEFAULT)
    ratios = np.array([m["pmc_contract_ratio"] for m in measures])
    pardons = np.array([m["pardoned"] for m in measures])
    executions = np.array([m["pmc_executions"] for m in measures])
    stops = np.array([m["pmc_blocking_stops"] for m in measures])
    mean, low, high = paired_interval(ratios)
    passed = low >= 2.0 and bool((pardons > 0).all()) and stops.sum() > 0
    detail = (f"ratio {mean:.3g} (needs CI above 2); pardons per run min {pardons.min():,.0f}; "
              f"convict_pmc fleers stopped by blocking detachments per run mean {stops.mean():,.0f} and executions "
              f"{executions.mean():,.0f} (lethal regime)")
    return PatternResult("F6", bool(passed), "convict_pmc over contract killed per front soldier-week; pardons",
                         None, low, high, detail)


def long_run_problems(run: Run) -> list[str]:
    """What F10 forbids: persons not conserved, non-finite values, a stock pinned at zero or a share at 1."""
    s = run.series
    problems = []
    statuses = ["civilians", "serving", "emigrated", "imprisoned", "jailed", "dead", "aged_out"]
    if not np.allclose(s[statuses].sum(axis=1), s["persons_created"]):
        problems.append("persons not conserved")
    if not np.isfinite(s.to_numpy()).all():
        problems.append("non-finite values: " + ", ".join(s.columns[~np.isfinite(s.to_numpy()).all(axis=0)]))
    last_year = s.iloc[-52:]
    for name, (kind, _) in SERIES.items():
        if kind == STOCK and (s[name] > 0).any() and (last_year[name] == 0).all():
            problems.append(f"{name} pinned at 0")
    for name in SHARE_SERIES:
        if (last_year[name] >= 1.0).all():
            problems.append(f"{name} pinned at 1")
        if (last_year[name] <= 0.0).all():
            problems.append(f"{name} pinned at 0")
    return problems


def f10(ens: Ensemble) -> PatternResult:
    coarse = max(ens.scale, 50.0)
    problems: list[str] = []
    measures = ens.measures(DEFAULT, end=LONG_END, scale=coarse)
    for i, m in enumerate(measures):
        problems += [f"run {i}: {p}" for p in m["problems"]]
    top = sum(m["ladder_top_last_year"] for m in measures)
    detail = "; ".join(problems) if problems else f"{len(measures)} runs to {LONG_END} at scale {coarse:g}: clean"
    detail += f" (reported, not required: the ladder at its top through the last year in {top:.0f} of {len(measures)})"
    return PatternResult("F10", not problems, "conservation, finiteness, no stock pinned, 2022-2042",
                         None, None, None, detail)


PATTERNS: dict[str, Callable[[Ensemble], PatternResult]] = {
    "F1": f1, "F2": f2, "F3": f3, "F4": f4, "F5": f5, "F6": f6, "F7": f7, "F8": f8, "F9": f9, "F10": f10,
}


NEEDS: dict[str, Callable[[Ensemble], list[tuple[str, str | None, float | None]]]] = {
    "F3": lambda ens: [(DEFAULT, None, None), ("russia-2022-long-training", None, None)],
    "F1": lambda ens: [(DEFAULT, None, None), ("russia-2022-no-leaks", None, None)],
    "F2": lambda ens: [(DEFAULT, None, None), ("russia-2022-no-sanctions", None, None)],
    "F4": lambda ens: [(DEFAULT, None, None), (LEGAL, None, None)],
    "F5": lambda ens: [(DEFAULT, None, None), ("russia-2022-conscripts-abroad", None, None)],
    "F7": lambda ens: [(DEFAULT, None, None), ("russia-2022-no-exit-ban", None, None)],
    "F8": lambda ens: [(DEFAULT, None, None), ("russia-2022-light-repression", None, None)],
    "F9": lambda ens: [(DEFAULT, None, None)],
    "F6": lambda ens: [(DEFAULT, None, None)],
    "F10": lambda ens: [(DEFAULT, LONG_END, max(ens.scale, 50.0))],
}


def _judge(name: str, ens: Ensemble) -> PatternResult:
    try:
        return PATTERNS[name](ens)
    except (ConservationError, RunFailed) as err:
        return PatternResult(name, False, "", None, None, None, f"runs failed: {err}")


def _store(out, spec: dict, resume: bool, force: bool):
    if out is None:
        return None
    from morale.experiments.store import Store

    return Store(out, spec, resume=resume, force=force)


def validate_patterns(names: list[str], runs: int = 20, scale: float = 20, seed: int = 0,
                      end: str | None = None, scheduler: str = "inprocess", workers: int | None = None,
                      out=None, resume: bool = False, force: bool = False) -> list[PatternResult]:
    """Check the named patterns in F order; a run that fails or breaks conservation fails its pattern."""
    order = [n for n in PATTERNS if n in names]
    spec = {"kind": "validate", "patterns": order, "runs": runs, "scale": scale, "seed": seed, "end": end,
            "measures": list(MEASURES)}  # a folder checkpointed with other measures cannot be resumed
    ens = Ensemble(runs, scale, seed, end, scheduler, workers, _store(out, spec, resume, force))
    needs = [need for name in order if name in NEEDS for need in NEEDS[name](ens)]
    if needs:
        ens.prefetch(needs)
    return [_judge(name, ens) for name in order]


@dataclass
class RobustResult:
    pattern: str
    kind: str
    draws: int
    held: int
    share: float
    passed: bool
    failing_draws: list[int]
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def robust_draws(n: int, seed: int) -> tuple[list[str], list[dict[str, float]]]:
    """N Latin-hypercube draws of every ranged parameter of the default scenario."""
    from morale.experiments.parameters import latin_hypercube, ranged_parameters
    from morale.scenario.loader import load_scenario

    params = list(ranged_parameters(load_scenario(DEFAULT)).values())
    return [p.name for p in params], latin_hypercube(params, n, seed)


def calibrated_draws(n: int, seed: int) -> tuple[list[str], list[dict[str, float]]]:
    """N parameter sets of the default scenario's shipped calibrated sample (distinct while the sample lasts)."""
    from morale.calibration.shipped import calibrated_sample
    from morale.experiments.parameters import DESIGN_TAG

    sample = calibrated_sample(DEFAULT)
    rng = np.random.default_rng(np.random.SeedSequence([seed, DESIGN_TAG]))
    rows = rng.choice(len(sample), size=n, replace=n > len(sample))
    values = sample.to_numpy(dtype=np.float64)
    return list(sample.columns), [dict(zip(sample.columns, map(float, values[r]))) for r in rows]


def pattern_effect(result: PatternResult) -> float:
    """A pattern's effect as a number: default minus counterfactual (the first claim's, for several); for F6
    and F9, which have no counterfactual, the mean of their statistic (the centre of its interval); NaN when
    there is none (F10, failed runs)."""
    if result.effect is not None:
        return float(result.effect)
    if result.ci_low is not None and result.ci_high is not None:
        return (float(result.ci_low) + float(result.ci_high)) / 2
    return math.nan


def validate_robust(names: list[str], draws: int = 50, runs: int = 4, scale: float = 20, seed: int = 0,
                    end: str | None = None, scheduler: str = "processes", workers: int | None = None,
                    out=None, resume: bool = False, force: bool = False, calibrated: bool = False,
                    points: list[dict[str, float]] | None = None):
    """Each pattern on `draws` Latin-hypercube draws (each an ensemble of `runs` paired runs); with `calibrated`,
    on draws from the shipped calibrated sample instead (the region the data allow, not the prior box); with
    `points`, on those parameter sets (base values, one draw each; `draws` is then their number).

    Returns (per-pattern summary, per-draw table: draw, parameter values, pattern -> held, "<pattern> effect"
    -> `pattern_effect`, "<pattern> detail")."""
    order = [n for n in PATTERNS if n in names]
    given = points is not None
    if given:
        if calibrated or not points:
            raise ValueError("validate_robust: got points with calibrated, or none; expected at least one point, "
                             "without calibrated")
        points = [{k: float(v) for k, v in p.items()} for p in points]
        draws = len(points)
    else:
        _, points = calibrated_draws(draws, seed) if calibrated else robust_draws(draws, seed)
    spec = {"kind": "validate-robust", "patterns": order, "draws": draws, "runs": runs, "scale": scale,
            "seed": seed, "end": end, "measures": list(MEASURES)}
    if calibrated:  # only when set, so earlier robust folders still resume
        spec["calibrated"] = True
    if given:  # the draws themselves: a folder made on other points cannot be resumed
        spec["points"] = points
    store = _store(out, spec, resume, force)
    # Calibrated draws may repeat a parameter set (a sample smaller than `draws`): each draw then runs its own
    # replicates, so a repeat adds new stochastic evidence instead of copying a draw.
    ensembles = [Ensemble(runs, scale, seed, end, scheduler, workers, store, overrides=point, label=f"d{d:03d}-",
                          first_replicate=d * runs if calibrated else 0)
                 for d, point in enumerate(points)]
    needs = [need for name in order if name in NEEDS for need in NEEDS[name](ensembles[0])]
    if needs:
        prefetch(ensembles, needs)
    rows = []
    for d, (ens, point) in enumerate(zip(ensembles, points)):
        row = {"draw": d, **point}
        for name in order:
            result = _judge(name, ens)
            row[name] = result.passed
            row[f"{name} effect"] = pattern_effect(result)
            row[f"{name} detail"] = result.detail
        rows.append(row)
    table = pd.DataFrame(rows)
    summary = []
    for name in order:
        kind = KIND.get(name, "validation")
        held = int(table[name].sum())
        share = held / len(table)
        needed = VALIDATION_SHARE if kind == "validation" else 1.0  # verification and direction: every draw
        failing = [int(d) for d in table.loc[~table[name], "draw"]]
        summary.append(RobustResult(name, kind, len(table), held, share, share >= needed, failing,
                                    f"needs {needed:.0%} of draws ({kind})"))
    return summary, table


def summary_frame(results: list[PatternResult]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in results])
