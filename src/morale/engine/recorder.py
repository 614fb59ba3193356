"""The weekly recorder: every output series registered once as a stock, a flow or a mean.

The registration tells later code how to aggregate: a stock or mean is read at a date, a flow is summed over
a window (`X@DATE` is a flow's cumulative sum). Counts are persons (agents x scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from morale.engine import codes as C
from morale.engine.calendar import Calendar

STOCK, FLOW, MEAN = "stock", "flow", "mean"

SERIES: dict[str, tuple[str, str]] = {
    "persons_created": (STOCK, "men ever created: the initial population plus those who turned 18"),
    **{name: (STOCK, f"men whose status is {name}") for name in C.STATUS_NAMES},
    **{f"soldiers_{loc}": (STOCK, f"serving soldiers located in {loc}") for loc in C.LOCATION_NAMES},
    "front_demand": (STOCK, "demanded front strength"),
    "front_shortfall": (STOCK, "demand minus front strength after deployment (negative: surplus)"),
    "units": (STOCK, "companies with at least one soldier"),
    "pool_conscription": (STOCK, "civilians of call-up age without prior service (counted every 13 weeks)"),
    "pool_reservists": (STOCK, "civilians with prior service up to the mobilisation age limit (every 13 weeks)"),
    "pool_contract": (STOCK, "civilians of contract age (every 13 weeks)"),
    "pool_prisoners": (STOCK, "imprisoned men (the convict pool)"),
    "recruits": (FLOW, "men who began to serve (all streams, conversions included)"),
    **{f"recruits_{s}": (FLOW, f"recruits of the {s} stream") for s in C.STREAM_NAMES},
    "killed": (FLOW, "soldiers killed in action or died of wounds"),
    "wounded": (FLOW, "soldiers wounded"),
    "captured": (FLOW, "soldiers taken prisoner"),
    "returned_captives": (FLOW, "prisoners of war returned by exchange"),
    "invalided": (FLOW, "wounded discharged as invalids"),
    "discharged": (FLOW, "conscripts and contract soldiers leaving at the end of their service"),
    "pardoned": (FLOW, "convicts pardoned and released at the end of their contract"),
    "graduated": (FLOW, "recruits finishing training"),
    "deployed": (FLOW, "soldiers sent from the rear to the front"),
    "deceived": (FLOW, "conscripts deceived into contracts"),
    "natural_deaths": (FLOW, "deaths of natural causes"),
    "entered": (FLOW, "men turning 18"),
    "ageing_out": (FLOW, "men turning 60"),
    "convicted": (FLOW, "civilians sent to prison"),
    "prison_released": (FLOW, "prisoners released at the end of their sentence"),
    "net_manpower_balance": (FLOW, "new recruits (conversions excluded) minus losses and exits from service"),
    "quota_unfilled": (FLOW, "places in quota streams left empty because the eligible ran out"),
    "recruits_from_response": (FLOW, "expected recruits due to the shortfall response"),
    "refusals": (FLOW, "front soldiers who refused to advance (or hold)"),
    "flights": (FLOW, "front soldiers who fled"),
    "surrenders": (FLOW, "front soldiers who surrendered"),
    "awol": (FLOW, "soldiers who went absent without leave (from the rear, or uncaught fleers)"),
    "returned_from_awol": (FLOW, "absentees who came back of their own accord"),
    "desertions": (FLOW, "absences that lasted long enough to count as desertion"),
    "detentions": (FLOW, "soldiers detained (refusers, fleers, caught absentees and deserters)"),
    "prosecuted": (FLOW, "detained soldiers charged (court cases)"),
    "prosecuted_awol": (FLOW, "absentees and deserters charged (court cases of absence)"),
    "penal_transfers": (FLOW, "soldiers sent to penal assault units"),
    "executions": (FLOW, "soldiers executed by their own side"),
    "blocking_stops": (FLOW, "fleers stopped by blocking detachments (lethal regime)"),
    "blocking_shot": (FLOW, "fleers stopped by blocking detachments and shot"),
    "blocking_returned": (FLOW, "fleers stopped by blocking detachments and returned to their units"),
    "units_broken": (FLOW, "companies (of 100 men) that broke and were withdrawn to rest"),
    "lethal_adoptions": (FLOW, "companies (of 100 men) that adopted unofficial lethal discipline"),
    "lethal_units": (STOCK, "companies (of 100 men) under lethal discipline"),
    "soldier_morale_mean": (MEAN, "mean morale of serving soldiers, 0 to 1"),
    "leaks": (FLOW, "events that became public knowledge (all kinds, persons)"),
    **{f"leaks_{kind}": (FLOW, f"leaked {kind.replace('_', ' ')}") for kind in C.LEAK_KINDS},
    "known_deaths": (STOCK, "deaths that have leaked into public knowledge, cumulative"),
    "known_over_true_deaths": (MEAN, "known deaths over true deaths (killed and executed) so far"),
    "support_private": (MEAN, "private support for continuing the war, men 18-59"),
    "support_polled": (MEAN, "support as told to pollsters (private plus the falsification gap)"),
    "support_continue_polled": (MEAN, "polled share for continuing the war rather than negotiating"),
    "conscript_policy_reversed": (FLOW, "1 in the week the state stopped sending conscripts abroad"),
    "opposition_active": (STOCK, "men in peaceful active opposition"),
    "opposition_violent": (STOCK, "men in violent opposition"),
    "activations": (FLOW, "quiet men who turned active"),
    "violent_turns": (FLOW, "active men who turned violent"),
    "arrests": (FLOW, "arrests of active and violent opposition"),
    "criminal_arrests": (FLOW, "arrests that led to a criminal case"),
    "jail_released": (FLOW, "men released from political detention or prison"),
    "emigrants": (FLOW, "men who emigrated"),
    "returnees": (FLOW, "emigrants who came back"),
    "summoned": (FLOW, "call-up papers issued"),
    "emigration_threat": (MEAN, "recruitment threat: mobilised and coerced per 1000 men a week, decaying"),
    "ban_coverage": (MEAN, "share of men who have been summoned (those the exit ban binds)"),
    "legitimacy_mean": (MEAN, "regime legitimacy, mean over regions"),
    "hardship_mean": (MEAN, "hardship, mean over regions"),
    "repression_mean": (MEAN, "a citizen's mean arrest risk, mean over regions"),
    "labour_drain": (MEAN, "men serving beyond the pre-war army, killed or abroad, share of men 18-59"),
    "fiscal_cost": (FLOW, "war spending: pay, sign-up bonuses, death and injury payments, RUB"),
    "fiscal_pay": (FLOW, "pay of serving contract-type, mobilised and ministry convict soldiers, RUB"),
    "fiscal_bonuses": (FLOW, "sign-up bonuses paid, RUB"),
    "fiscal_compensation": (FLOW, "death and injury payments, RUB"),
    "cost_per_recruit": (MEAN, "sign-up bonus of one more contract recruit, RUB"),
    "cost_per_front_soldier_year": (MEAN, "war spending a year per front soldier, RUB"),
    "regional_death_inequality": (MEAN, "deaths per 100k men so far: top decile of regions over bottom decile"),
    "shortfall_pressure": (MEAN, "the state's shortfall response, 0 to 1"),
    "contract_risk_perceived": (MEAN, "known (leaked) deaths per contract soldier a year"),
    "combat_intensity": (MEAN, "fitted intensity x sourced shape"),
    "wage_mean": (MEAN, "civilian wage, mean over regions, RUB/month"),
    "unemployment_mean": (MEAN, "unemployment rate, mean over regions, %"),
    "sustainment_horizon_weeks": (MEAN, "weeks until front strength falls below demand with no shortfall "
                                        "response, at recent losses and recruitment (capped at 520)"),
    **{f"years_left_{pool}": (MEAN, f"years the {pool} pool lasts at the last year's draw (capped at 100)")
       for pool in ("conscription", "reservists", "contract", "prisoners")},
}
STREAM_SERIES = {
    "soldiers_front": STOCK, "serving": STOCK, "recruits": FLOW, "killed": FLOW, "wounded": FLOW,
    "captured": FLOW, "discharged": FLOW, "pardoned": FLOW, "refusals": FLOW, "flights": FLOW, "surrenders": FLOW,
    "awol": FLOW, "desertions": FLOW, "detentions": FLOW, "penal_transfers": FLOW, "executions": FLOW,
    "units_broken": FLOW,
}
REGION_SERIES = {"recruits": FLOW, "killed": FLOW, "emigrants": FLOW, "arrests": FLOW, "support_private": MEAN,
                 "opposition_active": STOCK, "known_deaths": STOCK}
HORIZON_CAP_WEEKS = 520.0
YEARS_LEFT_CAP = 100.0


def kind(name: str) -> str:
    """A series' registration: stock, flow or mean."""
    return SERIES[name][0]


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
