"""Calibration targets (a packaged copy of shared/data/calibration/national_targets.csv) against a run.

Each target that the model measures has a statistic over the target's period. Targets without a statistic
(the Afghanistan figures, Ukrainian claims used only for the shape of combat intensity, ...) are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import pandas as pd

CONTRACT_STREAMS = ("recruits_contract", "recruits_coerced", "recruits_converted", "recruits_convict_ministry")
CEILINGS = ("authorised_military_strength",)  # upper bounds (decrees), not values to hit
CEILING_SLACK = 0.05
# a period that began before the run is still comparable for a prorated count, a share or a stock
BEFORE_RUN_OK = ("emigration_departures", "emigrants_returned_share", "emigrants_stayed_abroad")


@lru_cache(maxsize=1)
def national_targets() -> pd.DataFrame:
    with resources.files("morale.data").joinpath("national_targets.csv").open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, parse_dates=["period_start", "period_end"])
    return frame


def _window(series: pd.DataFrame, start, end) -> pd.DataFrame:
    """The weeks that overlap [start, end] (a week is labelled by its first day)."""
    end = series.index[-1] if pd.isna(end) else end
    return series.loc[(series.index > start - pd.Timedelta(days=7)) & (series.index <= end)]


def _sum(*columns: str) -> Callable[[pd.DataFrame, pd.Series, object], float]:
    return lambda s, row, scenario: float(_window(s, row.period_start, row.period_end)[list(columns)].sum().sum())


def _ratio(numerator: str, denominator: str) -> Callable[[pd.DataFrame, pd.Series, object], float]:
    def statistic(s: pd.DataFrame, row: pd.Series, scenario) -> float:
        w = _window(s, row.period_start, row.period_end)
        return float(w[numerator].sum() / max(w[denominator].sum(), 1.0))

    return statistic


def _max(name: str) -> Callable[[pd.DataFrame, pd.Series, object], float]:
    return lambda s, row, scenario: float(_window(s, row.period_start, row.period_end)[name].max())


def _mean(name: str) -> Callable[[pd.DataFrame, pd.Series, object], float]:
    return lambda s, row, scenario: float(_window(s, row.period_start, row.period_end)[name].mean())


def _men_to_departures(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    """Departures of all people: the model's emigrant men over their share of departures, over the part of
    the period inside the run (the Jan-Aug 2022 figure is prorated from 2022-02-24)."""
    inside = _window(s, row.period_start, row.period_end)
    return float(inside["emigrants"].sum() / scenario.emigration.men_share_of_departures.value)


def departures_target_share(row: pd.Series, first: pd.Timestamp) -> float:
    start = max(row.period_start, first)
    return (row.period_end - start).days / max((row.period_end - row.period_start).days, 1)


def _returned_share(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    w = s.loc[s.index <= row.period_end]
    return float(w["returnees"].sum() / max(w["emigrants"].sum(), 1.0))


def _stayed_abroad(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    """People of both sexes abroad at the period end: the emigrated men over their share of departures."""
    at = s.index[s.index <= row.period_end]
    return float(s.loc[at[-1], "emigrated"] / scenario.emigration.men_share_of_departures.value)


def _list_gap(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    w = _window(s, row.period_start, row.period_end)
    return float((w["support_polled"] - w["support_private"]).mean())


def _negotiate(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    """Levada's share for peace talks, taken as everyone not for continuing (don't-knows included)."""
    return 1.0 - float(_window(s, row.period_start, row.period_end)["support_continue_polled"].mean())


def _cumulative_killed(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    return float(s.loc[s.index <= row.period_end, "killed"].sum())


def _prisoners(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    """All prisoners: the model's men 18-59 in prison divided by their share of prisoners."""
    at = s.index[s.index <= row.period_start]
    if len(at) == 0:
        return float("nan")
    return float(s.loc[at[-1], "imprisoned"] / scenario.population.prison_men_18_59_share.value)


def _wounded_per_killed(s: pd.DataFrame, row: pd.Series, scenario) -> float:
    w = _window(s, row.period_start, row.period_end)
    return float(w["wounded"].sum() / max(w["killed"].sum(), 1.0))


STATISTICS: dict[str, tuple[Callable, str]] = {
    "conscription_callup_spring": (_sum("recruits_conscript"), "sum of recruits_conscript"),
    "conscription_callup_autumn": (_sum("recruits_conscript"), "sum of recruits_conscript"),
    "mobilisation_called_up": (_sum("recruits_mobilised"), "sum of recruits_mobilised"),
    "contracts_signed": (_sum(*CONTRACT_STREAMS), "contract + coerced + converted + convict_ministry"),
    "deaths": (_sum("killed"), "sum of killed"),
    "deaths_cumulative": (_cumulative_killed, "killed since the start"),
    "deaths_estimate_release_2026": (_sum("killed"), "sum of killed (a check: not fitted, see calibration.md)"),
    "authorised_military_strength": (_max("serving_armed_forces"), "highest serving_armed_forces (a ceiling)"),
    "regional_signup_bonus_mean": (_mean("regional_bonus_mean"), "mean regional_bonus_mean in the period"),
    "convicts_recruited_pmc": (_sum("recruits_convict_pmc"), "sum of recruits_convict_pmc"),
    "prison_population": (_prisoners, "imprisoned / share of men 18-59 among prisoners"),
    "wounded_per_killed": (_wounded_per_killed, "wounded / killed"),
    "awol_cases_in_court": (_sum("prosecuted_awol"), "sum of prosecuted_awol"),
    "stalingrad_blocking_shot_share": (_ratio("blocking_shot", "blocking_stops"), "blocking_shot / blocking_stops"),
    "stalingrad_blocking_returned_share": (_ratio("blocking_returned", "blocking_stops"),
                                           "blocking_returned / blocking_stops"),
    "ussr_penal_units_total": (_sum("penal_transfers"), "sum of penal_transfers"),
    "emigration_departures": (_men_to_departures, "emigrants / men's share of departures, from the start"),
    "emigration_after_mobilisation": (_men_to_departures, "emigrants / men's share of departures"),
    "emigrants_returned_share": (_returned_share, "returnees / emigrants to the period end"),
    "emigrants_stayed_abroad": (_stayed_abroad, "emigrated at the period end / men's share of departures"),
    "support_armed_forces_polled": (_mean("support_polled"), "mean support_polled in the month"),
    "support_gap_direct_vs_list_experiment": (_list_gap, "support_polled - support_private"),
    "levada_negotiate_share": (_negotiate, "1 - support_continue_polled"),
    "anti_war_detentions": (_sum("arrests"), "sum of arrests"),
    "antiwar_criminal_defendants": (_sum("criminal_arrests"), "sum of criminal_arrests"),
    "military_pay_spending": (_sum("fiscal_pay"), "sum of fiscal_pay"),
    "signup_bonus_spending": (_sum("fiscal_bonuses"), "sum of fiscal_bonuses"),
    "death_injury_compensation_spending": (_sum("fiscal_compensation"), "sum of fiscal_compensation"),
    "military_cases_since_mobilisation": (_sum("prosecuted"), "sum of prosecuted"),
    "men_charged_since_mobilisation": (_sum("prosecuted"), "sum of prosecuted"),
}


def in_run(row, first: pd.Timestamp, last: pd.Timestamp) -> bool:
    """Whether a target's period can be compared with a run whose weeks are labelled first..last: it begins at
    most a week before the run (or is a prorated count, a share, a stock or a ceiling, `BEFORE_RUN_OK`) and ends
    by the end of the last week."""
    if row.period_start < first - pd.Timedelta(days=7) and row.target not in BEFORE_RUN_OK + CEILINGS:
        return False
    end = row.period_end if not pd.isna(row.period_end) else row.period_start
    return end <= last + pd.Timedelta(days=6)


def compare(series: pd.DataFrame, scenario) -> pd.DataFrame:
    """One row per measurable target inside the run: model value, target, range, and whether it is met.

    A target with a range is met inside [low, high]; a point target within 25% (DESIGN's tolerance for the
    yearly death estimates, used for every point target); a ceiling (`CEILINGS`) at or below its value plus
    `CEILING_SLACK`."""
    rows = []
    first, last = series.index[0], series.index[-1]
    for row in national_targets().itertuples(index=False):
        if row.target not in STATISTICS or not in_run(row, first, last):
            continue
        statistic, how = STATISTICS[row.target]
        model = statistic(series, row, scenario)
        value = row.value
        if row.target == "emigration_departures":  # prorate a period that began before the run
            value = row.value * departures_target_share(row, first)
        low = row.low * value / row.value if not pd.isna(row.low) else value * 0.75
        high = row.high * value / row.value if not pd.isna(row.high) else value * 1.25
        if row.target in CEILINGS:  # met at or below the ceiling, with the 5% slack of lumpy call-ups
            low, high = 0.0, value * (1.0 + CEILING_SLACK)
        rows.append({
            "target": row.target, "period_start": row.period_start.date(),
            "period_end": None if pd.isna(row.period_end) else row.period_end.date(),
            "model": model, "value": value, "low": low, "high": high,
            "met": bool(low <= model <= high), "statistic": how, "reliability": row.reliability,
        })
    return pd.DataFrame(rows)
