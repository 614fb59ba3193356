"""morale: a simulator of how a state at war raises, keeps and loses its soldiers.

    >>> import morale
    >>> run = morale.run("russia-2022", seed=0, scale=100)       # doctest: +SKIP
    >>> run.series[["soldiers_front", "killed"]].resample("YE").agg({"soldiers_front": "mean", "killed": "sum"})

`Simulation` steps a run week by week for notebooks; `run` is a loop over it.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from morale.engine.simulation import Simulation
from morale.results.run import Run, package_version
from morale.scenario.loader import ScenarioError, builtin_names, load_scenario
from morale.scenario.schema import Scenario

__version__ = package_version()  # from the installed metadata: the version is written only in pyproject.toml

__all__ = ["Run", "Scenario", "ScenarioError", "Simulation", "builtin_names", "compare", "ensemble", "load_scenario",
           "run", "sensitivity", "sweep"]


def run(scenario: str | Path | Scenario | dict = "russia-2022", seed: int = 0, scale: float | None = None,
        end: str | dt.date | None = None, overrides: dict[str, Any] | list[str] | None = None,
        replicate: int | None = None, progress=None, check: bool = False, events: list | None = None,
        drop_events: list[str] | None = None, base: dict[str, Any] | None = None) -> Run:
    """Run a scenario to its end and return the `Run`.

    scenario: a built-in name, a TOML path, a dict or a `Scenario`; seed: the run's seed (with `replicate`
    i, the seed of run i of an experiment, `SeedSequence(seed, spawn_key=(i,))`); scale: persons per agent
    (default: the scenario's, 10 for the built-ins); end: a date that overrides the scenario's end;
    check: recount every status from the person table each week (slower; tests use it). What-ifs (README,
    "What-if semantics"): overrides `{"pay.federal_bonus": 0}` or `["pay.federal_bonus=0"]` pin a path for the
    whole run (events that would change it are dropped); events `["2026-01-01:policy.exit_ban=false"]` or
    dicts add dated changes; drop_events `["exit-ban"]` switch events off by id; base `{path: value}` sets
    base values that dated events still change (what draws and sweeps use).
    """
    started = time.perf_counter()
    simulation = Simulation(scenario, seed=seed, scale=scale, end=end, overrides=overrides, replicate=replicate,
                            check=check, events=events, drop_events=drop_events, base=base)
    stepping = time.perf_counter()
    simulation.run(progress)
    result = simulation.result()
    result.timings = {"setup": stepping - started, "steps": time.perf_counter() - stepping}
    return result


def ensemble(*args, **kwargs):
    """Runs of one scenario with spawned seeds (see `morale.experiments.ensemble.ensemble`)."""
    from morale.experiments.ensemble import ensemble as _ensemble

    return _ensemble(*args, **kwargs)


def compare(*args, **kwargs):
    """Two scenarios with paired seeds (see `morale.experiments.compare.compare`)."""
    from morale.experiments.compare import compare as _compare

    return _compare(*args, **kwargs)


def sweep(*args, **kwargs):
    """A grid or Latin-hypercube sweep (see `morale.experiments.sweep.sweep`)."""
    from morale.experiments.sweep import sweep as _sweep

    return _sweep(*args, **kwargs)


def sensitivity(*args, **kwargs):
    """Morris or Sobol sensitivity via SALib (see `morale.experiments.sensitivity.sensitivity`)."""
    from morale.experiments.sensitivity import sensitivity as _sensitivity

    return _sensitivity(*args, **kwargs)
