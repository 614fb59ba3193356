"""What a worker does: one task (a model, a seed, a replicate, parameter values) -> one result.

`execute` is a pure function of its task, so any executor (in-process, process pool, Dask) can run it and the
results are the same. It never raises: a run that fails comes back with status "failed", its error and
traceback, and the experiment goes on. Two models:

- `SimulatorModel`: `morale.run(scenario, seed, replicate, scale, end, base=task.params)`; the scenario is a
  built-in name or a resolved scenario dict (picklable, so remote Dask workers need no files) with the
  experiment's what-ifs (--set pins) already applied; a run's own parameter values (drawn or swept) are base
  values, so dated events still apply on top of them (README, "What-if semantics");
  With `measures` (a picklable module-level function `measures(run) -> dict[str, float]`), outcomes that name
  one of its keys are read from it (the observables of a calibration, which need more than one series);
- `FunctionModel`: any picklable Python function `fn(**params) -> float | dict[str, float]` (for tests and
  for analysing something other than the simulator, e.g. the Ishigami function). With `seeded`, it is called
  as `fn(**params, seed=S, replicate=r)`, so a stochastic toy model draws its noise from the run's seed.
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class SimulatorModel:
    scenario: str | dict
    scale: float | None = None
    end: str | None = None
    overrides: tuple[tuple[str, Any], ...] = ()  # the --set pins, already applied to `scenario` (a record)
    measures: Callable[[Any], dict[str, float]] | None = None
    measure_names: tuple[str, ...] = ()  # the keys `measures` returns, known before any run

    def known_outcomes(self) -> list[str]:
        from morale.engine.recorder import SERIES

        return [*SERIES, *self.measure_names]


@dataclass(frozen=True)
class FunctionModel:
    fn: Callable[..., Any]
    outputs: tuple[str, ...] = ("y",)
    seeded: bool = False

    def known_outcomes(self) -> list[str]:
        return list(self.outputs)


@dataclass(frozen=True)
class Task:
    """One run. `key` names its checkpoint files; `labels` (arm, point) go into the tables."""

    key: str
    model: SimulatorModel | FunctionModel
    seed: int
    replicate: int
    params: dict[str, Any] = field(default_factory=dict)  # this run's base values (drawn or swept)
    outcomes: tuple[str, ...] = ()
    keep_series: bool = False
    labels: dict[str, Any] = field(default_factory=dict)


def execute(task: Task) -> dict[str, Any]:
    """Run one task; return its outcomes, summary, series (if kept) and timing metadata. Never raises."""
    started = time.time()
    clock = time.perf_counter()
    result: dict[str, Any] = {"key": task.key, "status": "ok", "error": None, "outcomes": {}, "summary": {},
                              "series": None}
    try:
        if isinstance(task.model, FunctionModel):
            _execute_function(task, result)
        else:
            _execute_simulator(task, result)
    except Exception as err:  # a failed run is reported, never fatal
        result.update(status="failed", error=f"{type(err).__name__}: {err}", traceback=traceback.format_exc())
    result["meta"] = {"host": socket.gethostname(), "pid": os.getpid(), "started": started,
                      "seconds": time.perf_counter() - clock}
    return result


def _execute_function(task: Task, result: dict[str, Any]) -> None:
    _single_thread()
    params = {k: _plain(v) for k, v in task.params.items()}
    if task.model.seeded:
        params.update(seed=task.seed, replicate=task.replicate)
    value = task.model.fn(**params)
    values = value if isinstance(value, dict) else {task.model.outputs[0]: value}
    result["outcomes"] = {name: _plain_value(values[name]) for name in task.outcomes}


def _execute_simulator(task: Task, result: dict[str, Any]) -> None:
    import morale
    from morale.engine.recorder import SERIES
    from morale.experiments.outcomes import evaluate_all, parse_outcomes

    _single_thread()
    model = task.model
    run = morale.run(model.scenario, seed=task.seed, replicate=task.replicate, scale=model.scale, end=model.end,
                     base=dict(task.params) or None)
    series = run.series
    kinds = {name: SERIES[name][0] for name in series.columns if name in SERIES}
    measured = model.measures(run) if model.measures is not None else {}
    texts = [t for t in task.outcomes if t not in measured]
    result["outcomes"] = {**evaluate_all(parse_outcomes(texts, list(series.columns)), series, kinds),
                          **{t: _plain_value(measured[t]) for t in task.outcomes if t in measured}}
    result["summary"] = summarise(series, kinds)
    if task.keep_series:
        result["series"] = {"dates": series.index.values.astype("datetime64[ns]"), "columns": list(series.columns),
                            "values": np.ascontiguousarray(series.to_numpy(dtype=np.float64))}


def summarise(series, kinds: dict[str, str]) -> dict[str, float]:
    """A compact per-run summary: every series' value at the end (stock, mean) or total (flow), and the
    conservation identity (statuses add up to the persons created; locations add up to the serving)."""
    from morale.engine import codes as C

    summary = {"weeks": float(len(series)), "conservation_error": conservation_error(series, C.STATUS_NAMES)}
    last = series.iloc[-1]
    totals = series.sum()
    for name in series.columns:
        summary[name] = float(totals[name] if kinds.get(name) == "flow" else last[name])
    return summary


def conservation_error(series, statuses) -> float:
    """The largest weekly breach of the two identities (0 when conserved)."""
    values = series.to_numpy(dtype=np.float64)
    cols = {c: i for i, c in enumerate(series.columns)}
    persons = values[:, [cols[s] for s in statuses]].sum(axis=1) - values[:, cols["persons_created"]]
    locations = [i for c, i in cols.items() if c.startswith("soldiers_")]
    soldiers = values[:, locations].sum(axis=1) - values[:, cols["serving"]]
    worst = float(max(np.abs(persons).max(initial=0.0), np.abs(soldiers).max(initial=0.0)))
    return worst if math.isfinite(worst) else float("inf")


def _plain_value(value: Any) -> Any:
    """A number as float; anything else (a list of problems, say) as it is (it must be JSON-able)."""
    return float(value) if isinstance(value, int | float | np.number) else value


def _plain(value: Any) -> Any:
    return float(value) if isinstance(value, np.floating) else value


def _single_thread() -> None:
    """One Numba thread per worker process (workers are the parallelism); thread-local, so set per task."""
    if os.environ.get("MORALE_WORKER") != "1":
        return
    try:
        import numba

        numba.set_num_threads(1)
    except Exception:  # noqa: BLE001 - numba without a threading layer: nothing to set
        pass
