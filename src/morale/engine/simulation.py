"""The simulation: state plus the weekly schedule. The engine only orders the processes (DESIGN s.4).

`Simulation` can be stepped week by week from a notebook (`step()`, `state`, `series`), in the manner of
Mesa's `Model.step()`; `morale.run` is a loop over it.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from morale.engine import codes as C
from morale.engine import willingness
from morale.engine.calendar import WEEKS_PER_YEAR, Calendar
from morale.engine.context import Context
from morale.engine.observe import record
from morale.engine.person_table import enlist_all
from morale.engine.recorder import Recorder
from morale.engine.regions import load_regions, regions_from_spec
from morale.engine.rng import process_keys, run_seed
from morale.engine.state import MEMORY_CAP_VARIABLE, estimate_bytes, memory_cap_bytes, new_state, unit_size
from morale.processes import (
    combat,
    deployment,
    discipline,
    economy,
    emigration,
    information,
    manpower,
    morale,
    opinion,
    opposition,
    recruitment,
    service,
    training,
)
from morale.scenario.loader import ScenarioError, active_events, load_scenario
from morale.scenario.schema import Param, Scenario, resolve_target

# The weekly order of DESIGN s.4; the manpower balance is read last, after every loss of the week.
SCHEDULE = (economy, recruitment, training, deployment, combat, morale, discipline, information, opinion, opposition,
            emigration, service, manpower)


COMPACT_EVERY_WEEKS = 13


class ConservationError(AssertionError):
    """Persons were created or lost: the status counts no longer add up to the persons created."""


def resolve(scenario: str | Path | Scenario | dict, seed: int | None = None, scale: float | None = None,
            end: str | dt.date | None = None, overrides: dict[str, Any] | list[str] | None = None,
            events: list | None = None, drop_events: list[str] | None = None,
            base: dict[str, Any] | None = None) -> Scenario:
    """The scenario with what-ifs (see `load_scenario`) and run options (seed, scale, end) applied, validated
    again, and its memory need checked against the cap before anything is allocated."""
    resolved = load_scenario(scenario, overrides, events, drop_events, base)
    update: dict[str, Any] = {}
    if seed is not None:
        update["seed"] = seed
    if scale is not None:
        update["scale"] = scale
    if end is not None:
        update["end"] = _date(end)
    if update:
        try:
            resolved = load_scenario({**resolved.model_dump(mode="python"), **update})
        except ScenarioError as err:
            names = ", ".join(update)
            raise ScenarioError(str(err).replace("<dict>", f"{resolved.name} with {names}", 1)) from None
    check_memory(resolved)
    return resolved


def check_memory(scenario: Scenario) -> None:
    """Refuse, with the estimate, a scenario whose person table would not fit the memory cap."""
    specs = scenario.population.regions
    regions = load_regions() if specs is None else regions_from_spec(specs)
    need = estimate_bytes(regions, scenario)
    cap = memory_cap_bytes()
    if need > cap:
        raise ScenarioError(
            f"{scenario.name}: population at scale {scenario.scale:g}: got an estimated {need / 2**30:,.1f} GiB "
            f"for the person table; expected at most the memory cap of {cap / 2**30:,.1f} GiB (a coarser "
            f"--scale, fewer men, or a higher cap in {MEMORY_CAP_VARIABLE})")


def _date(value: str | dt.date) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ScenarioError(f"end: got {value!r}; expected a date YYYY-MM-DD") from None


class Simulation:
    """A run in progress. `step()` advances one week; `series` is what has been recorded so far.

    The arguments are those of `morale.run`, which is a loop over this class.
    """

    def __init__(self, scenario: str | Path | Scenario | dict = "russia-2022", seed: int | None = None,
                 scale: float | None = None, end: str | dt.date | None = None,
                 overrides: dict[str, Any] | list[str] | None = None, replicate: int | None = None,
                 check: bool = False, events: list | None = None, drop_events: list[str] | None = None,
                 base: dict[str, Any] | None = None):
        started = time.perf_counter()
        self.scenario = resolve(scenario, seed, scale, end, overrides, events, drop_events, base)
        self.replicate = replicate
        self.check = check
        self.calendar = Calendar(self.scenario.start, self.scenario.end)
        specs = self.scenario.population.regions
        regions = load_regions() if specs is None else regions_from_spec(specs)
        self.ctx = Context(
            params=self.scenario.model_copy(deep=True),
            calendar=self.calendar,
            regions=regions,
            keys=process_keys(run_seed(self.scenario.seed, replicate)),
            unit_size=unit_size(self.scenario),
        )
        rng = np.random.default_rng(int(self.ctx.keys["initial"]))
        self.state = new_state(regions, self.scenario, self.calendar, rng)
        self._initial_army_and_prisons(rng)
        self._derive_constants()
        self.recorder = Recorder(self.calendar, regions.codes)
        self._events = {}
        for event in active_events(self.scenario):
            self._events.setdefault(self.calendar.week_of(event.date), []).append(event)
        self.setup_seconds = time.perf_counter() - started

    @property
    def week(self) -> int:
        """Weeks done so far (0 before the first step)."""
        return self.state.week

    @property
    def date(self) -> dt.date:
        """The date of the week about to be simulated."""
        return self.calendar.date(self.state.week)

    @property
    def done(self) -> bool:
        """True once the scenario's end is reached; `step()` then does nothing."""
        return self.state.week >= self.calendar.n_weeks

    @property
    def series(self) -> pd.DataFrame:
        """The weekly series recorded so far: one row per week done, one column per series."""
        return self.recorder.series()

    def persons_by_status(self) -> pd.Series:
        """Persons (agents x scale, the unit of every series) in each status now; the state holds agents
        (and rows for men not yet 18, who are no persons yet)."""
        return pd.Series(self.state.status_agents[: C.UNBORN] * self.scenario.scale, index=list(C.STATUS_NAMES),
                         name="persons")

    def step(self) -> None:
        """One week: events, then each process in order, then the record."""
        if self.done:
            raise RuntimeError(f"the run ended at {self.scenario.end}; nothing left to step")
        self.state.reset_flows()
        self.state.recorded.clear()
        for event in self._events.get(self.state.week, ()):
            self._apply(event)
        for process in SCHEDULE:
            process.step(self.state, self.ctx)
        self.state.war_dead += self.state.flows[C.F_KILLED].sum() + self.state.flows[C.F_EXECUTIONS].sum()
        self._check_conservation()
        record(self.state, self.ctx, self.recorder)
        if self.state.week % COMPACT_EVERY_WEEKS == 0:
            self.state.compact()
        self.state.week += 1

    def run(self, progress=None) -> None:
        """Step to the end; `progress(week, n_weeks)`, if given, is called after each week."""
        while not self.done:
            self.step()
            if progress is not None:
                progress(self.state.week, self.calendar.n_weeks)

    def _apply(self, event) -> None:
        node, attribute = resolve_target(self.ctx.params, event.target)
        if isinstance(getattr(node, attribute), bool):
            setattr(node, attribute, bool(event.value))
        else:
            setattr(node, attribute, Param(value=float(event.value), source=f"event {event.date}: {event.source}"))

    def _check_conservation(self) -> None:
        counts = self.state.status_agents
        if counts.min() < 0:
            raise ConservationError(f"week {self.state.week}: a status count is negative: {counts.tolist()}")
        if self.check and not np.array_equal(self.state.recount(), counts):
            raise ConservationError(
                f"week {self.state.week}: kept status counts {counts.tolist()} differ from the person table "
                f"{self.state.recount().tolist()}")
        if self.check:
            serving = np.count_nonzero(self.state.soldiers[C.S_LOCATION, : self.state.n_soldiers] >= 0)
            if serving != counts[C.SERVING]:
                raise ConservationError(f"week {self.state.week}: {serving} soldier rows for "
                                        f"{counts[C.SERVING]} serving men")

    def _derive_constants(self) -> None:
        ctx = self.ctx
        r = self.scenario.recruitment
        ctx.derived["conscription_quota"] = recruitment.expand_windows(
            r.conscription.callups, ctx, r.conscription.repeat_last)
        ctx.derived["mobilisation_quota"] = recruitment.expand_windows(r.mobilisations, ctx, False)
        ctx.derived["volunteer_quota"] = recruitment.expand_windows(r.volunteer_formations, ctx, False)
        ctx.derived["foreign_quota"] = recruitment.expand_windows(r.foreign_recruits, ctx, False)
        ctx.derived["declared_mobilisation"] = np.zeros(ctx.calendar.n_weeks)  # by the ladder (manpower)
        ctx.derived["dated_mobilisation_end"] = max((ctx.calendar.week_of(w.end) for w in r.mobilisations),
                                                    default=-1)
        civilians = self.state.status_agents[C.CIVILIAN] * self.scenario.scale
        ctx.derived["p_release"], ctx.derived["p_conviction"] = service.prison_hazards(ctx, civilians)
        ctx.derived["men_by_region"] = ctx.regions.men_18_59
        counts = self.state.status_agents * self.scenario.scale
        ctx.derived["drain_start"] = {"serving": counts[C.SERVING], "emigrated": counts[C.EMIGRATED],
                                      "men": max(counts[: C.UNBORN].sum(), 1.0)}
        # the opinion and economy of the eve of the war: what the first week's choices read
        economy.step(self.state, ctx)
        ctx.derived["hardship_start"] = self.state.society.hardship.copy()
        opinion.step(self.state, ctx)
        manpower.count_located(self.state)
        self.state.recorded.clear()

    def _initial_army_and_prisons(self, rng: np.random.Generator) -> None:
        """The standing army and prisons at the start: contract soldiers, conscripts, prisoners."""
        s, sc, ctx = self.state, self.scenario, self.ctx
        age = -s.birth_week.astype(np.float64) / WEEKS_PER_YEAR
        civilian = s.status == C.CIVILIAN

        def pick(mask: np.ndarray, persons: float) -> np.ndarray:
            candidates = np.flatnonzero(mask)
            k = min(int(round(persons / sc.scale)), len(candidates))
            return np.sort(rng.choice(candidates, size=k, replace=False))

        contract = self._most_willing(civilian & (s.prior_service == 1) & (age >= 20) & (age < 46),
                                      sc.army.initial_contract.value)
        conscripts = pick(civilian & (s.prior_service == 0) & (age < sc.recruitment.conscription.upper_age.value + 1),
                          sc.army.initial_conscripts.value)
        s.ensure_soldier_capacity(len(contract) + len(conscripts) + 1024)
        term = int(sc.service.contract_term_weeks.value)
        trained = np.full(len(contract), int(round(WEEKS_PER_YEAR)), np.int32)
        # the men at the front are a random subset, not the first rows (rows are sorted by region)
        at_front = rng.permutation(len(contract)) < int(round(sc.army.initial_front.value / sc.scale))
        location = np.where(at_front, C.FRONT, C.REAR).astype(np.int32)
        s.n_soldiers = enlist_all(s.army, s.people, s.n_soldiers, ctx.unit_size, contract, C.CONTRACT, trained,
                                  trained, location, rng.integers(0, term, len(contract)).astype(np.int32),
                                  rng.integers(0, term, len(contract)).astype(np.int32))
        conscript_weeks = int(sc.service.conscript_weeks.value)
        needed = int(round(sc.training.weeks.conscript.value))
        served = rng.integers(0, conscript_weeks, len(conscripts)).astype(np.int32)
        done = np.minimum(served, needed).astype(np.int32)
        location = np.where(done >= needed, C.REAR, C.TRAINING).astype(np.int32)
        s.n_soldiers = enlist_all(s.army, s.people, s.n_soldiers, ctx.unit_size, conscripts, C.CONSCRIPT, done,
                                  np.full(len(conscripts), needed, np.int32), location, served,
                                  np.full(len(conscripts), C.NO_END, np.int32))
        prisoners = sc.population.prison_population.value * sc.population.prison_men_18_59_share.value
        for person in pick(s.status == C.CIVILIAN, prisoners):
            s.status[person] = C.IMPRISONED
        s.status_agents[:] = s.recount()

    def _most_willing(self, mask: np.ndarray, persons: float) -> np.ndarray:
        """The pre-war contract army: the men of `mask` most willing at pre-war terms, each judged by his rank
        against his region's willing share (`engine.willingness`), so that the army was raised where and from
        whom the same terms raise it in the war."""
        s, sc, ctx = self.state, self.scenario, self.ctx
        candidates = np.flatnonzero(mask)
        k = min(int(round(persons / sc.scale)), len(candidates))
        share = recruitment.prewar_willing_share(ctx)
        ranks = willingness.scaled_ranks(candidates, s.birth_week, 0, ctx.keys["attributes"],
                                         sc.recruitment.contract.willingness_age_decline.value)
        order = ranks / share[s.region[candidates]]
        return np.sort(candidates[np.argpartition(order, k - 1)[:k]]) if k > 0 else candidates[:0]

    def result(self):
        """The `Run` of the weeks done: series, breakdowns by stream and region, events."""
        from morale.results.run import Run

        return Run(scenario=self.scenario, series=self.recorder.series(), by_stream=self.recorder.by_stream(),
                   by_region=self.recorder.by_region(), events=events_frame(self.recorder),
                   seed=self.scenario.seed, replicate=self.replicate)


def events_frame(rec: Recorder) -> pd.DataFrame:
    """Counts of the event kinds the information process leaks, per week (long form)."""
    kinds = {"deaths": "killed", "deceptions": "deceived", "captures": "captured", "executions": "executions",
             "detentions": "detentions", "unit_breakdowns": "units_broken"}
    series = rec.series()
    return pd.DataFrame({
        "date": np.repeat(series.index.values, len(kinds)),
        "kind": np.tile(np.array(list(kinds), dtype=object), len(series)),
        "count": series[list(kinds.values())].to_numpy().reshape(-1),
    })

