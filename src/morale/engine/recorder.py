"""The weekly recorder: every output series registered once as a stock, a flow or a mean.

The registration tells later code how to aggregate: a stock or mean is read at a date, a flow is summed over
a window (`X@DATE` is a flow's cumulative sum). Each series also has a unit (`UNITS`; `series_table()` lists
them all): counts are persons (agents x scale), or companies for units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from morale.engine import codes as C
from morale.engine.calendar import Calendar

STOCK, FLOW, MEAN = "stock", "flow", "mean"

# The units a series may be in (`series_table`, `morale series`). A flow is per week unless its unit says.
PERSONS, COMPANIES = "persons", "companies"
ROUBLES, ROUBLES_PER_PERSON, ROUBLES_PER_PERSON_YEAR, ROUBLES_PER_MONTH = (
    "roubles", "roubles per person", "roubles per person-year", "roubles per month")
PERCENT, SHARE, PROBABILITY, INDEX, RATIO, FLAG = "percent", "share", "probability", "index", "ratio", "flag"
PER_PERSON_YEAR, PER_1000_MEN_WEEK = "per person-year", "per 1000 men a week"
WEEKS, YEARS = "weeks", "years"
UNITS: dict[str, str] = {
    PERSONS: "men, agents x scale (a flow: men to whom it happened that week)",
    COMPANIES: "companies of `army.unit_persons` men (an agent's unit is scale/unit_persons companies)",
    ROUBLES: "RUB (a flow: spent that week)",
    ROUBLES_PER_PERSON: "RUB for one man",
    ROUBLES_PER_PERSON_YEAR: "RUB a year for one man",
    ROUBLES_PER_MONTH: "RUB a month",
    PERCENT: "per cent, 0 to 100",
    SHARE: "a count over a population, 0 to 1 (a net change, as labour_drain, can be below 0)",
    PROBABILITY: "a probability, 0 to 1",
    INDEX: "a dimensionless level or multiplier (0 to 1 where the meaning says so)",
    RATIO: "one count over another count of the same unit",
    FLAG: "1 in the week it happened, else 0",
    PER_PERSON_YEAR: "events per man and year",
    PER_1000_MEN_WEEK: "men per 1000 men of military age and week",
    WEEKS: "weeks",
    YEARS: "years",
}


@dataclass(frozen=True)
class Series:
    """A registered series: its kind (stock, flow or mean), meaning and unit.

    Indexing and unpacking give (kind, meaning), as the 2-tuples the registry held before units did:
    ``SERIES[name][0]``, ``SERIES[name][1]`` and ``for name, (kind, meaning) in SERIES.items()`` still work.
    """

    kind: str
    meaning: str
    unit: str

    def __post_init__(self) -> None:
        if self.kind not in (STOCK, FLOW, MEAN) or self.unit not in UNITS:
            raise ValueError(f"series registered as {self.kind!r} in {self.unit!r}")

    def __getitem__(self, i):
        return (self.kind, self.meaning)[i]

    def __iter__(self):
        return iter((self.kind, self.meaning))

    def __len__(self) -> int:
        return 2


def _stock(meaning: str, unit: str = PERSONS) -> Series:
    return Series(STOCK, meaning, unit)


def _flow(meaning: str, unit: str = PERSONS) -> Series:
    return Series(FLOW, meaning, unit)


def _mean(meaning: str, unit: str) -> Series:
    return Series(MEAN, meaning, unit)


SERIES: dict[str, Series] = {
    "persons_created": _stock("men ever created: the initial population plus those who turned 18"),
    **{name: _stock(f"men whose status is {name}") for name in C.STATUS_NAMES},
    **{f"soldiers_{loc}": _stock(f"serving soldiers located in {loc}") for loc in C.LOCATION_NAMES},
    "front_demand": _stock("demanded front strength"),
    "requirement": _stock("deployable soldiers required: the war zone (front demand over the front's share) "
                          "plus those kept outside it"),
    "deployable_strength": _stock("deployable soldiers at the front or in the rear, after the week's losses"),
    "shortfall": _stock("requirement minus deployable strength (negative: surplus)"),
    "shortfall_share": _mean("shortfall over the war zone's requirement, 0 when there is none", SHARE),
    "weeks_failing": _mean("consecutive weeks short by more than failure_share with the ladder at its top",
                           WEEKS),
    "requirement_failed": _mean("1 once the requirement has failed for 13 consecutive weeks, else 0", FLAG),
    "authorised_strength": _stock("military personnel the decrees allow the Armed Forces (a ceiling)"),
    "serving_armed_forces": _stock("serving men the decrees count: every stream but the private company's"),
    "units": _stock("companies with at least one soldier", COMPANIES),
    "pool_conscription": _stock("civilians of call-up age without prior service (counted every 13 weeks)"),
    "pool_reservists": _stock("civilians with prior service up to the mobilisation age limit (every 13 weeks)"),
    "pool_contract": _stock("the willing: civilians of contract age whose terms this week's contract meets (a stock "
                            "that signing uses up; engine/willingness.py)"),
    "pool_prisoners": _stock("imprisoned men (the convict pool)"),
    "recruits": _flow("men who began to serve (all streams, conversions included)"),
    **{f"recruits_{s}": _flow(f"recruits of the {s} stream") for s in C.STREAM_NAMES},
    "killed": _flow("soldiers killed in action or died of wounds"),
    "recruits_defendant": _flow("defendants who signed before trial (in recruits_convict_ministry, not from prison)"),
    "recruits_foreign": _flow("foreigners recruited (outside the modelled population)"),
    "foreign_front": _stock("foreign recruits at the front, holding part of the front demand"),
    "killed_foreign": _flow("foreign recruits killed (not in `killed`: the deaths estimates count Russians)"),
    "wounded": _flow("soldiers wounded"),
    "captured": _flow("soldiers taken prisoner"),
    "returned_captives": _flow("prisoners of war returned by exchange"),
    "invalided": _flow("wounded discharged as invalids"),
    "discharged": _flow("conscripts and contract soldiers leaving at the end of their service"),
    "pardoned": _flow("convicts pardoned and released at the end of their contract"),
    "graduated": _flow("recruits finishing training"),
    "deployed": _flow("soldiers sent from the rear to the front"),
    "deceived": _flow("conscripts deceived into contracts"),
    "natural_deaths": _flow("deaths of natural causes"),
    "entered": _flow("men turning 18"),
    "ageing_out": _flow("men turning 60"),
    "convicted": _flow("civilians sent to prison"),
    "prison_released": _flow("prisoners released at the end of their sentence"),
    "net_manpower_balance": _flow("new recruits (conversions excluded) minus losses and exits from service"),
    "quota_unfilled": _flow("places in quota streams left empty because the eligible ran out"),
    "recruits_from_response": _flow("recruits the response ladder brought: bonus-driven contracts (expected), "
                                    "its coercion, conversion, ministry convicts and declared mobilisation"),
    "mobilisation_declared": _flow("men the ladder's new mobilisation calls up, in the week it is declared"),
    "refusals": _flow("front soldiers who refused to advance (or hold)"),
    "flights": _flow("front soldiers who fled"),
    "surrenders": _flow("front soldiers who surrendered"),
    "awol": _flow("soldiers who went absent without leave (from the rear, or uncaught fleers)"),
    "returned_from_awol": _flow("absentees who came back of their own accord"),
    "desertions": _flow("absences that lasted long enough to count as desertion"),
    "detentions": _flow("soldiers detained (refusers, fleers, caught absentees and deserters)"),
    "prosecuted": _flow("detained soldiers charged (court cases)"),
    "prosecuted_awol": _flow("absentees and deserters charged (court cases of absence)"),
    "penal_transfers": _flow("soldiers sent to penal assault units"),
    "executions": _flow("soldiers executed by their own side"),
    "blocking_stops": _flow("fleers stopped by blocking detachments (lethal regime)"),
    "blocking_shot": _flow("fleers stopped by blocking detachments and shot"),
    "blocking_returned": _flow("fleers stopped by blocking detachments and returned to their units"),
    "units_broken": _flow("companies (of 100 men) that broke and were withdrawn to rest", COMPANIES),
    "lethal_adoptions": _flow("companies (of 100 men) that adopted unofficial lethal discipline", COMPANIES),
    "lethal_units": _stock("companies (of 100 men) under lethal discipline", COMPANIES),
    "soldier_morale_mean": _mean("mean morale of serving soldiers, 0 to 1", INDEX),
    "leaks": _flow("events that became public knowledge (all kinds: persons, and broken units in companies)"),
    **{f"leaks_{kind}": _flow(f"leaked {kind.replace('_', ' ')}", COMPANIES if kind == "unit_breaks" else PERSONS)
       for kind in C.LEAK_KINDS},
    "known_deaths": _stock("deaths that have leaked into public knowledge, cumulative"),
    "known_over_true_deaths": _mean("known deaths over true deaths (killed and executed) so far", RATIO),
    "support_private": _mean("private support for continuing the war, men 18-59", SHARE),
    "support_polled": _mean("support as told to pollsters (private plus the falsification gap)", SHARE),
    "support_continue_polled": _mean("polled share for continuing the war rather than negotiating", SHARE),
    "conscript_policy_reversed": _flow("1 in the week the state stopped sending conscripts abroad", FLAG),
    "opposition_active": _stock("men in peaceful active opposition"),
    "opposition_violent": _stock("men in violent opposition"),
    "activations": _flow("quiet men who turned active"),
    "violent_turns": _flow("active men who turned violent"),
    "arrests": _flow("arrests of active and violent opposition"),
    "criminal_arrests": _flow("arrests that led to a criminal case"),
    "jail_released": _flow("men released from political detention or prison"),
    "emigrants": _flow("men who emigrated"),
    "returnees": _flow("emigrants who came back"),
    "summoned": _flow("call-up papers issued"),
    "summoned_emigrants": _flow("men who emigrated after a call-up paper (of conscription or mobilisation): "
                                "evaders abroad, a part of emigrants"),
    "emigrant_departures": _flow("departures of both sexes: emigrants over emigration.men_share_of_departures"),
    "abroad_both_sexes": _stock("people of both sexes abroad: emigrated men over "
                                "emigration.men_share_of_departures (after the week's departures and returns)"),
    "emigration_threat": _mean("recruitment threat: men called per 1000 men 18-59, jumping by a mobilisation's "
                               "whole quota when it is announced and by each week's coerced intake, decaying",
                               INDEX),
    "ban_coverage": _mean("share of men who have been summoned (those the exit ban binds)", SHARE),
    "legitimacy_mean": _mean("regime legitimacy, mean over regions, 0 to 1", INDEX),
    "hardship_mean": _mean("hardship, mean over regions, 0 to 1", INDEX),
    "repression_mean": _mean("a citizen's mean arrest risk, mean over regions", PROBABILITY),
    "labour_drain": _mean("men serving beyond the pre-war army, killed or abroad, share of men 18-59", SHARE),
    "fiscal_cost": _flow("war spending: pay, sign-up bonuses, death and injury payments, RUB", ROUBLES),
    "fiscal_pay": _flow("pay of contract-type, mobilised and ministry convict soldiers: war-zone rate in the war "
                        "zone, peacetime rate elsewhere, RUB", ROUBLES),
    "fiscal_bonuses": _flow("sign-up bonuses paid, RUB", ROUBLES),
    "fiscal_compensation": _flow("death and injury payments, RUB", ROUBLES),
    "cost_per_recruit": _mean("sign-up bonus of one more contract recruit (federal plus the regions' mean), RUB",
                              ROUBLES_PER_PERSON),
    "regional_bonus_mean": _mean("regional sign-up bonus, mean over regions, RUB", ROUBLES_PER_PERSON),
    "regions_over_budget": _mean("share of regions whose bonus spending over a year passes their budget", SHARE),
    "federal_budget_binds": _mean("1 while the war's personnel bill over a year passes the federal line", FLAG),
    "cost_per_front_soldier_year": _mean("war spending a year per front soldier, RUB", ROUBLES_PER_PERSON_YEAR),
    "regional_death_inequality": _mean("deaths per 100k men so far: top decile of regions over bottom decile",
                                       RATIO),
    "shortfall_pressure": _mean("how far up the response ladder the state is, 0 (none) to 1 (every rung; "
                                "4 x this is the rung)", INDEX),
    "contract_risk_perceived": _mean("known (leaked) deaths per contract soldier a year", PER_PERSON_YEAR),
    "combat_intensity": _mean("fitted intensity x sourced shape", INDEX),
    "wage_mean": _mean("civilian wage, mean over regions, RUB/month", ROUBLES_PER_MONTH),
    "unemployment_mean": _mean("unemployment rate, mean over regions, %", PERCENT),
    "sustainment_horizon_weeks": _mean("weeks until the requirement fails at the last 26 weeks' rate of change "
                                       "of deployable strength (0 once failed, capped at 520)", WEEKS),
    **{f"years_left_{pool}": _mean(f"years the {pool} pool lasts at the last year's draw (capped at 100)", YEARS)
       for pool in ("conscription", "reservists", "prisoners")},
    "years_left_contract": _mean("years the willing (pool_contract) last at the last year's contract draw "
                                 "(capped at 100)", YEARS),
}
STREAM_SERIES = {
    "soldiers_front": STOCK, "serving": STOCK, "recruits": FLOW, "killed": FLOW, "wounded": FLOW,
    "captured": FLOW, "discharged": FLOW, "pardoned": FLOW, "refusals": FLOW, "flights": FLOW, "surrenders": FLOW,
    "awol": FLOW, "desertions": FLOW, "detentions": FLOW, "penal_transfers": FLOW, "executions": FLOW,
    "blocking_stops": FLOW, "units_broken": FLOW,
}
REGION_SERIES = {"recruits": FLOW, "killed": FLOW, "emigrants": FLOW, "arrests": FLOW, "support_private": MEAN,
                 "opposition_active": STOCK, "known_deaths": STOCK}
HORIZON_CAP_WEEKS = 520.0
YEARS_LEFT_CAP = 100.0


def kind(name: str) -> str:
    """A series' registration: stock, flow or mean."""
    return SERIES[name].kind


def unit(name: str) -> str:
    """A series' unit, one of `UNITS`."""
    return SERIES[name].unit


def series_table() -> pd.DataFrame:
    """Every registered series, in registry (and column) order: name, kind, unit, meaning."""
    return pd.DataFrame([(name, s.kind, s.unit, s.meaning) for name, s in SERIES.items()],
                        columns=["name", "kind", "unit", "meaning"])


@dataclass
class Recorder:
    """Preallocated arrays, one row per week; frames are built on demand."""

    calendar: Calendar
    region_codes: tuple[str, ...]

    def __post_init__(self) -> None:
        n = self.calendar.n_weeks
        self.names = list(SERIES)
        self.column = {name: i for i, name in enumerate(self.names)}
        self.values = np.zeros((n, len(self.names)))
        self.stream_names = list(STREAM_SERIES)
        self.by_stream_values = np.zeros((n, len(self.stream_names), C.N_STREAMS))
        self.region_names = list(REGION_SERIES)
        self.by_region_values = np.zeros((n, len(self.region_names), len(self.region_codes)))
        self.weeks_recorded = 0

    def set(self, week: int, name: str, value: float) -> None:
        self.values[week, self.column[name]] = value

    def get(self, name: str, weeks: slice | int) -> np.ndarray:
        return self.values[weeks, self.column[name]]

    def series(self) -> pd.DataFrame:
        n = self.weeks_recorded
        return pd.DataFrame(self.values[:n], index=self.calendar.dates()[:n], columns=self.names)

    def by_stream(self) -> pd.DataFrame:
        return _long(self.by_stream_values[: self.weeks_recorded], self.calendar, self.stream_names,
                     "stream", list(C.STREAM_NAMES))

    def by_region(self) -> pd.DataFrame:
        return _long(self.by_region_values[: self.weeks_recorded], self.calendar, self.region_names,
                     "region_code", list(self.region_codes))


def _long(values: np.ndarray, calendar: Calendar, variables: list[str], key: str, labels: list[str]):
    """A tidy frame (date, key, variable, value), zeros included, RangeIndex."""
    n_weeks, n_vars, n_labels = values.shape
    dates = calendar.dates()[:n_weeks]
    return pd.DataFrame({
        "date": np.repeat(dates.values, n_vars * n_labels),
        key: np.tile(np.array(labels, dtype=object), n_weeks * n_vars),
        "variable": np.tile(np.repeat(np.array(variables, dtype=object), n_labels), n_weeks),
        "value": values.reshape(-1).astype(np.float64),
    })
