"""Observation models (issue 13): the table, its checks, and the observed values of a run."""

from __future__ import annotations

import datetime as dt
import math
import pickle
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from morale.calibration import observations as obs
from morale.calibration.observations import (
    ROLES,
    ObservationError,
    expected_observed,
    inputs_table,
    observation_id,
    observation_table,
    observations,
    simulated_observables,
)
from morale.results.targets import CONTRACT_STREAMS, compare, national_targets

PACKAGED = Path(obs.__file__).resolve().parent.parent / "data" / "observation_models.csv"
WEEKLY = Path("/work/shared/data/calibration/deaths_weekly_estimate_release_2026-05-22.csv")


def _row(table: pd.DataFrame, target: str, start: str, end: str):
    found = table[table["id"] == observation_id(target, start, end)]
    assert len(found) == 1, (target, start, end)
    return next(found.itertuples(index=False))


def _fake_run(start: str = "2022-02-24", end: str = "2026-01-31", **columns) -> SimpleNamespace:
    """A Run-like object: weekly series from `start` (labels = first days) and a scenario with what the
    statistics read."""
    index = pd.date_range(start, end, freq="7D")
    series = pd.DataFrame({name: fn(np.arange(len(index))) for name, fn in columns.items()}, index=index,
                          dtype=float)
    scenario = SimpleNamespace(start=dt.date.fromisoformat(start), end=dt.date.fromisoformat(end),
                               emigration=SimpleNamespace(men_share_of_departures=SimpleNamespace(value=0.6)),
                               population=SimpleNamespace(prison_men_18_59_share=SimpleNamespace(value=0.85)))
    return SimpleNamespace(series=series, scenario=scenario)


def _weeks(series: pd.DataFrame, start, end) -> pd.DataFrame:
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    return series.loc[(series.index > start - pd.Timedelta(days=7)) & (series.index <= end)]


# --- the table -------------------------------------------------------------------------------------------------


def test_every_national_target_has_exactly_one_observation_model():
    table = observation_table()
    ids = table["id"].tolist()
    assert len(ids) == len(set(ids))
    for row in national_targets().itertuples(index=False):
        assert ids.count(observation_id(row.target, row.period_start, row.period_end)) == 1, row.target
    assert set(table["role"]) <= set(ROLES)
    assert (table["source_or_reason"].str.len() > 0).all()


def test_every_target_has_positive_variance_and_the_others_a_reason():
    table = observation_table()
    targets = table[table["role"] == "target"]
    assert len(targets) > 30
    assert (targets["variance"] > 0).all()
    every = observations("2022-02-24", "2027-12-31")
    assert len(every) == len(targets)  # the default horizon holds every target period
    assert all(o.variance > 0 and math.isfinite(o.variance) for o in every)
    rest = inputs_table()
    assert set(rest["role"]) <= set(ROLES) - {"target"}
    assert len(rest) + len(targets) == len(table)
    assert (rest["reason"].str.len() > 20).all()
    assert set(rest.loc[rest["target"] == "authorised_military_strength", "role"]) == {"ceiling"}
    assert set(rest.loc[rest["target"].str.startswith("conscription_callup"), "role"]) == {"input"}


def test_observation_id_is_readable_and_stable():
    assert observation_id("deaths_estimate_release_2026", "2023-01-01", pd.Timestamp("2023-12-31")) == \
        "deaths_estimate_release_2026@2023-01-01..2023-12-31"
    assert observation_id("federal_signup_bonus", dt.date(2024, 8, 1), pd.NaT) == "federal_signup_bonus@2024-08-01.."


@pytest.mark.skipif(not WEEKLY.is_file(), reason="the shared calibration folder is not on this machine")
def test_named_list_values_are_the_weekly_sums_of_the_release():
    weekly = pd.read_csv(WEEKLY, parse_dates=["week_start"]).set_index("week_start")["named_deaths"]
    named = observation_table().query("target == 'deaths_named_list'")
    assert len(named) == 5
    for row in named.itertuples(index=False):
        assert row.value == weekly.loc[row.period_start:row.period_end].sum(), row.id


def test_claims_bias_is_the_mean_ratio_of_the_claim_and_count_pairs():
    table = observation_table().set_index("id")
    claim_2024 = table.loc[observation_id("contracts_signed", "2024-01-01", "2024-12-31"), "value"]
    count_2024 = table.loc[observation_id("contracts_signed_budget_count", "2024-01-01", "2024-12-31"), "value"]
    claim_h1 = table.loc[observation_id("contracts_signed_official_claim", "2025-01-01", "2025-06-30"), "value"]
    count_h1 = table.loc[observation_id("contracts_signed", "2025-01-01", "2025-06-30"), "value"]
    ratios = np.array([claim_2024 / count_2024, claim_h1 / count_h1])
    claims = table[table["measure"] == "official-claim"].query("role == 'target'")
    assert len(claims) == 2
    assert np.allclose(claims["bias"], ratios.mean() - 1.0, atol=5e-4)
    assert np.allclose(claims["bias_sd"], ratios.std(ddof=1), atol=5e-4)


# --- the observation models ------------------------------------------------------------------------------------


def test_named_list_observable_is_coverage_times_lagged_deaths():
    run = _fake_run(killed=lambda i: 100.0 + 10.0 * i)
    row = _row(observation_table(), "deaths_named_list", "2022-02-21", "2025-12-28")
    assert row.role == "target" and row.multiplier == 0.55 and row.lag_weeks == 0
    killed = run.series["killed"]
    assert expected_observed(row, run.series, run.scenario) == pytest.approx(0.55 * killed.loc[:"2025-12-28"].sum())
    lagged = row._replace(lag_weeks=3.0)  # observed in [start, end]: died three weeks earlier
    shifted = _weeks(run.series, pd.Timestamp("2022-02-21") - pd.Timedelta(weeks=3),
                     pd.Timestamp("2025-12-28") - pd.Timedelta(weeks=3))["killed"].sum()
    assert expected_observed(lagged, run.series, run.scenario) == pytest.approx(0.55 * shifted)
    assert shifted < killed.loc[:"2025-12-28"].sum()  # rising deaths: the lag shows fewer
    assert row.variance == pytest.approx((row.value * 0.05 / 0.55) ** 2)  # Var = (sd_c x z / c)^2


def test_official_claim_carries_its_bias():
    run = _fake_run(**{name: (lambda i, k=k: 1000.0 + k + 0.0 * i) for k, name in enumerate(CONTRACT_STREAMS)})
    row = _row(observation_table(), "contracts_signed", "2023-01-01", "2023-12-31")
    assert row.measure == "official-claim" and row.bias > 0
    true = _weeks(run.series, "2023-01-01", "2023-12-31")[list(CONTRACT_STREAMS)].sum().sum()
    assert expected_observed(row, run.series, run.scenario) == pytest.approx((1.0 + row.bias) * true)
    budget = _row(observation_table(), "contracts_signed", "2024-01-01", "2024-06-30")
    assert budget.measure == "budget-count" and budget.bias == 0
    z = row.value
    assert row.variance == pytest.approx((0.05 * z) ** 2 + (z * row.bias_sd / (1.0 + row.bias)) ** 2)


def test_poll_variance_is_sampling_plus_house_effect():
    table = observation_table()
    polls = table[table["measure"] == "poll"].dropna(subset=["sample_size"])
    assert len(polls) == 7
    for row in polls.itertuples(index=False):
        p = row.value
        assert row.sample_size == 1600 and row.house_sd == 0.03
        assert row.variance == pytest.approx(p * (1 - p) / 1600 + 0.03 ** 2)
    found = {o.output: o for o in observations("2022-02-24", "2025-12-31")}
    levada = found[observation_id("support_armed_forces_polled", "2022-03-01", "2022-03-31")]
    assert levada.variance == pytest.approx(0.81 * 0.19 / 1600 + 0.0009)


def test_emigration_departures_are_prorated_like_compare():
    found = {o.output: o for o in observations("2022-02-24", "2022-12-31")}
    departures = found[observation_id("emigration_departures", "2022-01-01", "2022-08-31")]
    share = (pd.Timestamp("2022-08-31") - pd.Timestamp("2022-02-24")).days / 242
    assert departures.value == pytest.approx(419000 * share)
    assert departures.variance == pytest.approx((0.10 * departures.value) ** 2)


def test_observations_follow_the_run_span():
    short = {o.output for o in observations("2022-02-24", "2022-12-31")}
    assert observation_id("deaths_estimate_release_2026", "2022-02-21", "2022-12-31") in short  # 3 days early: ok
    assert observation_id("deaths_estimate_release_2026", "2023-01-01", "2023-12-31") not in short
    assert all(not o.startswith(("conscription", "authorised", "ukraine_")) for o in short)
    late = {o.output for o in observations("2023-01-01", "2025-12-31")}
    assert observation_id("deaths", "2022-02-24", "2022-12-31") not in late  # began before the run
    assert observation_id("emigrants_returned_share", "2022-01-01", "2023-12-31") in late  # a share of a stock


# --- a broken file -------------------------------------------------------------------------------------------


def _broken(tmp_path: Path, change) -> Path:
    lines = PACKAGED.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "observation_models.csv"
    path.write_text("".join(change(lines)), encoding="utf-8")
    return path


def _edit(lines: list[str], start: str, old: str, new: str) -> list[str]:
    """Replace `old` by `new` in the first line that starts with `start`."""
    i = next(i for i, line in enumerate(lines) if line.startswith(start))
    assert old in lines[i]
    return [*lines[:i], lines[i].replace(old, new, 1), *lines[i + 1:]]


@pytest.mark.parametrize(("change", "field", "value"), [
    (lambda ls: _edit(ls, "deaths,2022-02-24,2022-12-31,target", ",target,", ",tagret,"), "role", "tagret"),
    (lambda ls: _edit(ls, "deaths,2022-02-24,2022-12-31,target", ",0.05,", ",-0.05,"), "sd_relative", "-0.05"),
    (lambda ls: _edit(ls, "deaths,2022-02-24,2022-12-31,target", ",0.05,", ",five%,"), "sd_relative", "five%"),
    (lambda ls: _edit(ls, "support_armed_forces_polled,2022-03-01", ",1600,", ",-3,"), "sample_size", "-3"),
    (lambda ls: _edit(ls, "deaths,2022-02-24,2022-12-31,target", "2022-12-31", "2022-13-31"), "period_end",
     "2022-13-31"),
    (lambda ls: [line for line in ls if not line.startswith("prison_population,2023-10-01")], "target",
     "prison_population"),
    (lambda ls: [*ls, ls[1]], "target", "conscription_callup_spring"),
])
def test_a_broken_file_names_the_file_row_field_and_value(tmp_path, change, field, value):
    path = _broken(tmp_path, change)
    with pytest.raises(ObservationError) as err:
        observation_table(path)
    message = str(err.value)
    assert "\n" not in message
    assert str(path) in message and f"{field} = {value!r}" in message and "expected" in message


def test_the_packaged_file_loads_from_a_copy(tmp_path):
    path = _broken(tmp_path, lambda ls: ls)
    assert observation_table(path).equals(observation_table())


# --- a real run ----------------------------------------------------------------------------------------------


def test_simulated_observables_of_a_short_run():
    import morale

    run = morale.run("russia-2022", seed=0, scale=500, end="2022-12-31")
    found = observations(run.scenario.start, run.scenario.end)
    simulated = simulated_observables(run)
    assert [o.output for o in found] == list(simulated)
    assert len(simulated) >= 5 and all(math.isfinite(v) for v in simulated.values())
    model = compare(run.series, run.scenario)
    for row in model.itertuples(index=False):  # multiplier 1, no bias, no lag: the model statistic itself
        key = observation_id(row.target, row.period_start, row.period_end)
        if key in simulated:
            assert simulated[key] == pytest.approx(row.model)
    assert pickle.loads(pickle.dumps(simulated_observables)) is simulated_observables
