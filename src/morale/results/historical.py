"""Other wars' deaths: the one series each historical scenario is fitted to, read from the packaged tables.

Each scenario of another war sets its combat intensity from that war's deaths (calibration of that scenario,
allowed by the transfer rule); everything else it shows is a prediction. This module says which rows of
`morale/data/historical/*.csv` are the deaths, and compares a run's `killed` with them over the same periods.
The band a run must meet is the sources' range (`low`..`high`) joined with `TOLERANCE` either side of the value
(an assumption: how deaths are dated to a year, coverage of the records, and the noise of one run at a coarse
scale); several quantities over the same period (a war's dead by ministry) are summed.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import pandas as pd

TOLERANCE = 0.15  # assumption: see the module docstring
MIN_PERIOD_DAYS = 90


@dataclass(frozen=True)
class DeathTarget:
    table: str  # file in morale/data/historical
    quantities: tuple[str, ...]  # their rows, summed per period (per year), or over the war when `whole_war`
    note: str
    whole_war: bool = False


DEATH_TARGETS = {
    "usa-vietnam-1965": DeathTarget("usa_vietnam.csv", ("us_military_deaths_all_causes",),
                                    "NARA/DCAS casualty file, deaths of all causes per calendar year"),
    "ussr-afghanistan-1979": DeathTarget("ussr_afghanistan.csv", ("soviet_deaths_irrecoverable_per_year",),
                                         "irrecoverable losses per year, summing to the official 13,836"),
    "russia-chechnya-1994": DeathTarget("russia_chechnya_1994.csv", ("federal_irrecoverable_losses_official",),
                                        "the war's official total (MoD and MVD); no per-year series exists"),
    "russia-chechnya-1999": DeathTarget("russia_chechnya_1999.csv", ("federal_killed_dagestan_official",
                                                                     "federal_killed_official_mod",
                                                                     "federal_killed_official_mvd",
                                                                     "federal_killed_official_fsb"),
                                        "official dead in Dagestan (Aug-Sep 1999) and of three ministries in "
                                        "Chechnya (Oct 1999-Sep 2008); no per-year series exists", whole_war=True),
}


def death_targets(scenario: str) -> pd.DataFrame:
    """The scenario's deaths per period: period_start, period_end, value, low, high (see the module docstring)."""
    target = DEATH_TARGETS[scenario]
    with resources.files("morale.data").joinpath(f"historical/{target.table}").open(encoding="utf-8") as fh:
        table = pd.read_csv(fh, parse_dates=["period_start", "period_end"])
    rows = table[table["quantity"].isin(target.quantities)].copy()
    if rows.empty:
        raise ValueError(f"morale/data/historical/{target.table}: no rows of {', '.join(target.quantities)}; "
                         f"expected the deaths of {scenario}")
    rows["value"] = rows["value"].fillna((rows["low"] + rows["high"]) / 2)
    rows["low"] = rows["low"].fillna(rows["value"])
    rows["high"] = rows["high"].fillna(rows["value"])
    if target.whole_war:
        rows = rows.assign(period_start=rows["period_start"].min(), period_end=rows["period_end"].max())
    summed = rows.groupby(["period_start", "period_end"], as_index=False)[["value", "low", "high"]].sum()
    summed["low"] = summed["low"].clip(upper=summed["value"] * (1 - TOLERANCE))
    summed["high"] = summed["high"].clip(lower=summed["value"] * (1 + TOLERANCE))
    return summed


def deaths_against_targets(series: pd.DataFrame, scenario: str) -> pd.DataFrame:
    """Per death period that lies within the run and lasts at least a quarter (a week's deaths are one or two
    agents): the run's `killed` over the weeks starting in it, and whether it lies in [low, high]."""
    rows = death_targets(scenario)
    start, end = series.index[0], series.index[-1] + pd.Timedelta(days=6)
    inside = (rows["period_start"] >= start - pd.Timedelta(days=6)) & (rows["period_end"] <= end)
    rows = rows[inside & ((rows["period_end"] - rows["period_start"]).dt.days >= MIN_PERIOD_DAYS)].copy()
    killed = series["killed"]
    rows["model"] = [float(killed.loc[a:b].sum()) for a, b in zip(rows["period_start"], rows["period_end"])]
    rows["within"] = (rows["model"] >= rows["low"]) & (rows["model"] <= rows["high"])
    return rows.reset_index(drop=True)
