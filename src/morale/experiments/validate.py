"""The article's patterns (DESIGN s.2) as checks on ensembles with paired seeds.

Run i of a pattern uses `SeedSequence(seed, spawn_key=(i,))` in both the default and the counterfactual
(common random numbers). An effect is default minus counterfactual; its 95% interval is the paired-t
interval of the per-run differences. A pattern of several claims passes only if all of them hold.
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
SHARE_SERIES = ("shortfall_pressure",)


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
    """Runs of one scenario, shared by the patterns that need them (each run made once)."""

    def __init__(self, runs: int, scale: float, seed: int, end: str | None):
        self.n, self.scale, self.seed, self.end = runs, scale, seed, end
        self._cache: dict[tuple[str, str | None, float], list[Run]] = {}

    def runs(self, scenario: str, end: str | None = None, scale: float | None = None) -> list[Run]:
        key = (scenario, end or self.end, scale or self.scale)
        if key not in self._cache:
            self._cache[key] = [morale.run(scenario, seed=self.seed, scale=key[2], end=key[1], replicate=i)
                                for i in range(self.n)]
        return self._cache[key]


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


def compare_pattern(name: str, ens: Ensemble, counterfactual: str, measure: Callable[[Run], float],
                    statistic: str, default_higher: bool) -> PatternResult:
    base = np.array([measure(r) for r in ens.runs("russia-2022")])
    other = np.array([measure(r) for r in ens.runs(counterfactual)])
    effect, low, high = paired_interval(base - other)
    passed = low > 0 if default_higher else high < 0
    direction = "higher" if default_higher else "lower"
    detail = (f"default {base.mean():.4g} vs {counterfactual} {other.mean():.4g}; "
              f"expected default {direction}")
    return PatternResult(name, bool(passed), statistic, effect, low, high, detail)


def f3(ens: Ensemble) -> PatternResult:
    return compare_pattern("F3", ens, "russia-2022-long-training", lambda r: per_front_week(r, "killed"),
                           "killed per front soldier-week, whole run", default_higher=True)


def f6(ens: Ensemble) -> PatternResult:
    runs = ens.runs("russia-2022")
    ratios = np.array([per_front_week(r, "killed", "convict_pmc") / max(per_front_week(r, "killed", "contract"),
                                                                         1e-12) for r in runs])
    pardons = np.array([r.series["pardoned"].sum() for r in runs])
    mean, low, high = paired_interval(ratios)
    passed = low >= 2.0 and bool((pardons > 0).all())
    detail = f"ratio {mean:.3g} (needs CI above 2); pardons per run min {pardons.min():,.0f}"
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
    return problems


def f10(ens: Ensemble) -> PatternResult:
    coarse = max(ens.scale, 50.0)
    problems: list[str] = []
    runs = ens.runs("russia-2022", end=LONG_END, scale=coarse)
    for i, run in enumerate(runs):
        problems += [f"run {i}: {p}" for p in long_run_problems(run)]
    detail = "; ".join(problems) if problems else f"{len(runs)} runs to {LONG_END} at scale {coarse:g}: clean"
    return PatternResult("F10", not problems, "conservation, finiteness, no stock pinned, 2022-2042",
                         None, None, None, detail)


PATTERNS: dict[str, Callable[[Ensemble], PatternResult]] = {"F3": f3, "F6": f6, "F10": f10}


def validate_patterns(names: list[str], runs: int = 20, scale: float = 20, seed: int = 0,
                      end: str | None = None) -> list[PatternResult]:
    """Check the named patterns in F order; a run that breaks conservation fails its pattern."""
    ens = Ensemble(runs, scale, seed, end)
    order = [n for n in PATTERNS if n in names]
    results = []
    for name in order:
        try:
            results.append(PATTERNS[name](ens))
        except ConservationError as err:
            results.append(PatternResult(name, False, "", None, None, None, f"conservation broken: {err}"))
    return results


def summary_frame(results: list[PatternResult]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in results])
