"""The model's state: structure-of-arrays tables of people, soldiers and units, and the weekly counters.

People are stored region by region, and within a region oldest first (ascending birth week). Two things
follow that keep a week's work proportional to what happens, not to the population: the men who turn 60
(or 18) in a week are a contiguous slice advanced by a pointer, and the men of an age range are a slice found
by binary search, so hazards can skip geometrically through it and quotas can sample inside it.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np

from morale.engine import codes as C
from morale.engine.calendar import WEEKS_PER_YEAR, Calendar
from morale.engine.person_table import age_slices, compact_soldiers
from morale.engine.regions import FIRST_AGE, N_AGES, Regions
from morale.scenario.schema import Scenario

ENTRY_WEEKS = int(round(FIRST_AGE * WEEKS_PER_YEAR))
EXIT_WEEKS = int(round(60 * WEEKS_PER_YEAR))


@dataclass
class Society:
    """What the society processes know and keep: national stocks, regional arrays, and lists of people."""

    n_regions: int
    n_people: int
    n_weeks: int
    opposition: np.ndarray = None  # int8 per person: codes.QUIET, ACTIVE, VIOLENT
    summoned: np.ndarray = None  # int8 per person: 1 once a call-up paper was issued to him
    activists: np.ndarray = None  # int64 (codes.ACTIVIST_FIELDS, capacity)
    activist_grievance: np.ndarray = None  # float64: grievance when he became active (or violent)
    jail: np.ndarray = None  # int64 (codes.JAIL_FIELDS, capacity)
    abroad: np.ndarray = None  # int64 (codes.ABROAD_FIELDS, capacity)
    counts: np.ndarray = None  # int64[4]: activists, jailed, abroad in the lists; men ever summoned
    leak_queue: np.ndarray = None  # float64 (leak kinds, weeks + lag room): persons leaked in a week
    local_queue: np.ndarray = None  # float64 (regions, weeks + lag room): own dead a region learns of
    known_deaths: float = 0.0  # leaked deaths, with slow memory decay
    known_deaths_total: float = 0.0  # every leaked death (for known over true)
    recent_known: float = 0.0  # Gartner-Segura: recently known deaths (decaying)
    coercion_known: float = 0.0  # known deceptions into contracts (decaying)
    executions_known: float = 0.0  # known executions (decaying)
    conscript_known: float = 0.0  # known deaths of conscripts sent abroad (decaying)
    mobilised_recent: float = 0.0  # men mobilised, persons (decaying): the political cost of mobilising
    contract_known: np.ndarray = None  # known deaths of contract-type soldiers, per week
    executions_caught: np.ndarray = None  # leaked executions x the share caught where they happened, per week
    local_known: np.ndarray = None  # per region: recently known own dead per 100k men (decaying)
    known_by_region: np.ndarray = None  # per region: cumulative known own dead
    opinion_index: np.ndarray = None  # per region: the logit-scale index of private support
    support_private: np.ndarray = None  # per region
    support_polled: np.ndarray = None  # per region
    support_start: float = -1.0  # national private support when conscripts were first sent (reversal rule)
    hardship: np.ndarray = None  # per region, 0-1
    legitimacy: np.ndarray = None  # per region, 0-1
    repression: np.ndarray = None  # per region: a citizen's mean arrest risk E[P] with no actives around
    active_share: np.ndarray = None  # per region: actives among civilians last week
    family_share: np.ndarray = None  # per region: men with a killed or coerced soldier in their close network
    tied_soldiers: np.ndarray = None  # per region: soldiers killed, coerced or deceived so far (persons)
    active_by_region: np.ndarray = None  # persons active (peaceful) at the end of the week
    violent_by_region: np.ndarray = None  # persons in violent opposition
    threat: float = 0.0  # recruitment threat (mobilised and coerced per 1000 men a week, decaying)
    success: float = 1.0  # perceived success: the front held against demand (smoothed)

    def make_room(self, table: str, extra: int) -> None:
        """Grow a list (`activists`, `jail` or `abroad`) so that `extra` more entries fit (doubling)."""
        which = {"activists": 0, "jail": 1, "abroad": 2}[table]
        array = getattr(self, table)
        need = int(self.counts[which]) + int(extra)
        if need <= array.shape[1]:
            return
        size = max(need, 2 * array.shape[1])
        grown = np.zeros((array.shape[0], size), array.dtype)
        grown[:, : array.shape[1]] = array
        setattr(self, table, grown)
        if table == "activists":
            self.activist_grievance = np.concatenate([self.activist_grievance,
                                                      np.zeros(size - len(self.activist_grievance))])

    def __post_init__(self) -> None:
        r, n, w = self.n_regions, self.n_people, self.n_weeks
        room = w + 64  # lags are at most a year
        self.opposition = np.zeros(n, np.int8)
        self.summoned = np.zeros(n, np.int8)
        self.activists = np.zeros((len(C.ACTIVIST_FIELDS), max(1024, n // 50)), np.int64)
        self.activist_grievance = np.zeros(self.activists.shape[1])
        self.jail = np.zeros((len(C.JAIL_FIELDS), max(1024, n // 50)), np.int64)
        self.abroad = np.zeros((len(C.ABROAD_FIELDS), max(1024, n // 4)), np.int64)
        self.counts = np.zeros(4, np.int64)  # activists, jailed, abroad, ever summoned
        self.leak_queue = np.zeros((len(C.LEAK_KINDS), room))
        self.local_queue = np.zeros((r, room))
        self.contract_known = np.zeros(room)
        self.executions_caught = np.zeros(room)
        for name in ("opinion_index", "local_known", "known_by_region", "support_private", "support_polled", "hardship",
                     "legitimacy", "repression", "active_share", "family_share", "tied_soldiers",
                     "active_by_region", "violent_by_region"):
            setattr(self, name, np.zeros(r))


@dataclass
class State:
    """Everything that changes during a run; process functions read and write it in place."""

    week: int
    region: np.ndarray  # int16, person -> region number
    birth_week: np.ndarray  # int16, week (relative to the start) of the 0th birthday
    status: np.ndarray  # int8, codes.CIVILIAN ...
    prior_service: np.ndarray  # int8, 1 if the man has served before (reservist)
    soldier: np.ndarray  # int32, person -> soldier row or -1
    block: np.ndarray  # int64 (regions + 1): person rows of region r are block[r]:block[r + 1]
    next_exit: np.ndarray  # int64 per region: first row not yet aged out
    next_entry: np.ndarray  # int64 per region: first row of the unborn still to enter
    status_agents: np.ndarray  # int64 per status, kept current by every change
    soldiers: np.ndarray  # int32 (fields, capacity), see codes.SOLDIER_FIELDS
    n_soldiers: int
    mind: np.ndarray  # float64 (codes.SOLDIER_MIND, capacity): morale, stress, fear, certainty, threshold
    unit_stream: np.ndarray  # int8 per unit
    unit_members: np.ndarray  # int32 per unit
    unit_state: np.ndarray  # float64 (codes.UNIT_FIELDS, capacity)
    unit_regime: np.ndarray  # int8 per unit: codes.LEGAL, PUNITIVE, LETHAL
    open_unit: np.ndarray  # int32 per stream: the unit new recruits of that stream join
    n_units: np.ndarray  # int64[1], so kernels can add units in place
    flows: np.ndarray = field(default_factory=lambda: np.zeros((C.N_FLOWS, C.N_STREAMS), np.int64))
    region_flows: np.ndarray | None = None  # int64 (region flows, regions)
    wage: np.ndarray | None = None  # float64 per region, RUB/month, this week
    unemployment: np.ndarray | None = None  # float64 per region, %, this week
    poverty: np.ndarray | None = None  # float64 per region, %, this week
    response_level: float = 0.0  # rungs of the response ladder climbed, 0..4 (processes/manpower.py)
    regional_bonus: np.ndarray | None = None  # float64 per region: the region's sign-up bonus, RUB
    bonus_spending: np.ndarray | None = None  # float64 per region: bonuses paid over about a year, RUB
    expected_signed: np.ndarray | None = None  # float64 per region: contract sign-ups its men would make this week
    signed_recent: np.ndarray | None = None  # float64 per region: expected contract sign-ups, smoothed (persons)
    personnel_spending: float = 0.0  # pay, bonuses and compensation over about a year, RUB
    foreign_front: float = 0.0  # foreign recruits at the front (persons; not men of the person table)
    losses_recent: float = 0.0  # losses of deployable strength a week, smoothed (persons)
    weeks_failing: int = 0  # consecutive weeks the requirement has failed (ladder at the top, short by more
    #                         than `failure_share`)
    last_mobilisation: int = -1_000_000  # last week with a mobilisation intake (dated or declared)
    willing_share: np.ndarray | None = None  # float64 per region: share of men aged 25 willing at today's terms
    willing_counts: np.ndarray | None = None  # float64 (region, rank bin): civilians by scaled rank at the last count
    willing_taken: np.ndarray | None = None  # float64 per region: contracts signed since the last count (agents)
    willing_counted: int = -1  # the week the willing were last counted
    located: np.ndarray | None = None  # agents by (location, stream) at the end of last week
    war_dead: float = 0.0  # agents killed in action or executed so far
    society: Society | None = None
    contract_killed: np.ndarray | None = None  # killed contract-type soldiers, per week of the run
    quota_carry: np.ndarray = field(default_factory=lambda: np.zeros(6))  # fractions of an agent owed
    recorded: dict[str, float] = field(default_factory=dict)  # this week's scalar outputs of processes
    minds_set: int = 0  # soldier rows whose mind has been drawn (rows are appended, never reused)
    units_set: int = 0  # units whose state and regime have been set
    unit_news: np.ndarray | None = None  # float32 (weeks, 4, units): punishments by unit and week (discipline)

    def ensure_soldier_capacity(self, extra: int) -> None:
        """Grow the soldier and unit tables (doubling) so that `extra` more rows fit."""
        need = self.n_soldiers + extra
        if need > self.soldiers.shape[1]:
            size = max(need, 2 * self.soldiers.shape[1])
            self.soldiers = _grown(self.soldiers, size, -1)
            self.mind = _grown(self.mind, size, 0.0)
        units_needed = int(self.n_units[0]) + extra + C.N_STREAMS
        if units_needed > len(self.unit_stream):
            size = max(units_needed, 2 * len(self.unit_stream))
            self.unit_stream = _grown(self.unit_stream, size, -1)
            self.unit_members = _grown(self.unit_members, size, 0)
            self.unit_state = _grown(self.unit_state, size, 0.0)
            self.unit_regime = _grown(self.unit_regime, size, C.LEGAL)

    @property
    def army(self) -> tuple:
        """The soldier and unit arrays as kernels take them."""
        return (self.soldiers, self.soldier, self.unit_stream, self.unit_members, self.open_unit, self.n_units,
                self.mind, self.unit_state, self.unit_regime)

    @property
    def people(self) -> tuple:
        """The person arrays as kernels take them."""
        return (self.status, self.status_agents, self.prior_service, self.region, self.birth_week)

    def age_slices(self, min_age: float, max_age: float) -> tuple[np.ndarray, np.ndarray]:
        """Per region, rows of created men aged min_age to max_age years inclusive, this week."""
        return age_slices(self.birth_week, self.block, self.next_entry, self.week,
                          int(round(min_age * WEEKS_PER_YEAR)), int(round((max_age + 1) * WEEKS_PER_YEAR)))

    def compact(self) -> None:
        """Drop soldier rows of men who left service (every kernel loops over rows)."""
        self.n_soldiers = compact_soldiers(self.soldiers, self.mind, self.soldier, self.n_soldiers)
        self.minds_set = min(self.minds_set, self.n_soldiers)

    def reset_flows(self) -> None:
        self.flows[:] = 0
        self.region_flows[:] = 0

    def recount(self) -> np.ndarray:
        """Status counts recomputed from the person table (a check on the kept counts)."""
        return np.bincount(self.status, minlength=C.N_STATUS).astype(np.int64)


def _grown(array: np.ndarray, size: int, fill) -> np.ndarray:
    """A copy of `array` whose last axis is `size` long, new entries set to `fill`."""
    grown = np.full((*array.shape[:-1], size), fill, array.dtype)
    grown[..., : array.shape[-1]] = array
    return grown


def unit_size(scenario: Scenario) -> int:
    """Agents per company: round(unit persons / scale), at least 5 (DESIGN s.3)."""
    return max(5, int(round(scenario.army.unit_persons.value / scenario.scale)))


def _counts(persons: np.ndarray, scale: float) -> np.ndarray:
    """Agent counts for cells of persons, rounded so that running totals stay exact."""
    cumulative = np.floor(np.cumsum(persons.ravel()) / scale + 1e-9)
    return np.diff(np.concatenate([[0.0], cumulative])).astype(np.int64).reshape(persons.shape)


MEMORY_CAP_VARIABLE = "MORALE_MEMORY_CAP_GIB"
DEFAULT_MEMORY_CAP_GIB = 16.0
# Person-table bytes per agent at the peak of building it (int16 region and birth week, int8 status, prior
# service, opposition and summons, int32 soldier row, float64 birth and draws while sorting), rounded up, plus
# a soldier row's share (every agent could serve).
BYTES_PER_AGENT = 64


def memory_cap_bytes() -> float:
    """The fixed cap (GiB in MORALE_MEMORY_CAP_GIB, default 16): a run never decides by how busy the machine
    is, only by this number."""
    text = os.environ.get(MEMORY_CAP_VARIABLE, "")
    try:
        gib = float(text) if text else DEFAULT_MEMORY_CAP_GIB
    except ValueError:
        gib = DEFAULT_MEMORY_CAP_GIB
    return gib * 2**30 if gib > 0 and math.isfinite(gib) else DEFAULT_MEMORY_CAP_GIB * 2**30


def estimate_bytes(regions: Regions, scenario: Scenario) -> float:
    """The person table's memory, estimated from the men at the start and the cohorts of the horizon."""
    years = scenario.end.year - scenario.start.year + 1
    persons = float(regions.men_by_age.sum()) + years * float(regions.cohort(scenario.start.year).sum())
    return persons / scenario.scale * BYTES_PER_AGENT


def build_people(regions: Regions, scenario: Scenario, calendar: Calendar, rng: np.random.Generator):
    """Person rows for the men aged 18-59 at the start and those who turn 18 before the end."""
    scale = scenario.scale
    initial = _counts(regions.men_by_age, scale)  # (region, age)
    years = range(scenario.start.year, scenario.end.year + 1)
    future_persons = np.array(
        [[regions.cohort(y)[r] * calendar.year_share_in_horizon(y) for y in years] for r in range(len(regions))]
    )
    future = _counts(future_persons, scale)
    per_region = initial.sum(axis=1) + future.sum(axis=1)
    block = np.concatenate([[0], np.cumsum(per_region)]).astype(np.int64)
    n = int(block[-1])
    region = np.repeat(np.arange(len(regions), dtype=np.int16), per_region)
    birth = np.empty(n, np.float64)
    entering = np.zeros(n, bool)
    for r in range(len(regions)):
        at = block[r]
        ages = np.repeat(np.arange(FIRST_AGE, FIRST_AGE + N_AGES), initial[r])
        birth[at : at + len(ages)] = -(ages + rng.random(len(ages))) * WEEKS_PER_YEAR
        at += len(ages)
        for y, count in zip(years, future[r]):
            first, last = calendar.year_weeks_in_horizon(y)
            entry = first + rng.random(count) * (last - first)
            birth[at : at + count] = entry - ENTRY_WEEKS
            entering[at : at + count] = True
            at += count
        order = np.argsort(birth[block[r] : block[r + 1]], kind="stable")
        birth[block[r] : block[r + 1]] = birth[block[r] : block[r + 1]][order]
        entering[block[r] : block[r + 1]] = entering[block[r] : block[r + 1]][order]
    birth_week = np.floor(birth).astype(np.int16)
    status = np.where(entering, C.UNBORN, C.CIVILIAN).astype(np.int8)
    age_weeks = -birth_week.astype(np.int64)
    from_age = scenario.population.prior_service_from_age.value * WEEKS_PER_YEAR
    prior = (~entering) & (age_weeks >= from_age) & (rng.random(n) < scenario.population.prior_service_share.value)
    next_entry = np.array(
        [block[r] + np.searchsorted(entering[block[r] : block[r + 1]], True) if entering[block[r] : block[r + 1]].any()
         else block[r + 1] for r in range(len(regions))], np.int64)
    return region, birth_week, status, prior.astype(np.int8), block, next_entry


def new_state(regions: Regions, scenario: Scenario, calendar: Calendar, rng: np.random.Generator) -> State:
    region, birth_week, status, prior, block, next_entry = build_people(regions, scenario, calendar, rng)
    # Rows are oldest first and the unborn are youngest, so the first row that is unborn starts entries;
    # build_people sorted each block by birth week, so unborn rows form the tail of their block.
    capacity = 1024
    state = State(
        week=0,
        region=region,
        birth_week=birth_week,
        status=status,
        prior_service=prior,
        soldier=np.full(len(status), -1, np.int32),
        block=block,
        next_exit=block[:-1].copy(),
        next_entry=next_entry,
        status_agents=np.bincount(status, minlength=C.N_STATUS).astype(np.int64),
        soldiers=np.full((len(C.SOLDIER_FIELDS), capacity), -1, np.int32),
        n_soldiers=0,
        mind=np.zeros((len(C.SOLDIER_MIND), capacity)),
        unit_stream=np.full(capacity, -1, np.int8),
        unit_members=np.zeros(capacity, np.int32),
        unit_state=np.zeros((len(C.UNIT_FIELDS), capacity)),
        unit_regime=np.zeros(capacity, np.int8),
        open_unit=np.full(C.N_STREAMS, -1, np.int32),
        n_units=np.zeros(1, np.int64),
        region_flows=np.zeros((len(C.REGION_FLOW_NAMES), len(regions)), np.int64),
        contract_killed=np.zeros(calendar.n_weeks),
        regional_bonus=np.zeros(len(regions)),
        bonus_spending=np.zeros(len(regions)),
        expected_signed=np.zeros(len(regions)),
        signed_recent=np.zeros(len(regions)),
        willing_share=np.zeros(len(regions)),
        willing_taken=np.zeros(len(regions)),
        society=Society(len(regions), len(status), calendar.n_weeks),
    )
    return state
