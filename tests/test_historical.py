"""The other wars: each runs, conserves people, gives the series russia-2022 gives, and meets its deaths.

One run per war (seed 0) at the scenario's own scale; its deaths over the war's recorded periods, summed, lie
in the summed band of the records (`morale.results.historical`). The per-year fit over an ensemble is in
docs/historical.md (tools/historical.py)."""

from __future__ import annotations

import pytest

import morale
from morale.results.historical import deaths_against_targets
from morale.scenario.transfer import OTHER_WARS
from tests.conftest import checked_run

SERIES = ("support_polled", "desertions", "emigrants", "captured", "killed")


@pytest.mark.parametrize("name", OTHER_WARS)
def test_another_war_runs_conserves_people_and_meets_its_deaths(name):
    run = checked_run(name, seed=0)
    default = checked_run("russia-2022", scale=1000, end="2022-04-30")
    assert set(default.series.columns) == set(run.series.columns)
    for series in SERIES:
        assert run.series[series].notna().all(), series
    # the front follows the demand both ways (policy.conscripts_as_needed): never a whole agent above it
    scale = morale.load_scenario(name).scale
    assert (run.series["soldiers_front"] - run.series["front_demand"]).max() <= scale
    assert (run.series["summoned_emigrants"] <= run.series["emigrants"]).all()
    fit = deaths_against_targets(run.series, name)
    assert len(fit), "no recorded period of deaths lies within the run"
    total = fit["model"].sum()
    assert fit["low"].sum() <= total <= fit["high"].sum(), fit.to_string()


def test_other_wars_are_listed_and_shown():
    assert set(OTHER_WARS) <= set(morale.builtin_names())


@pytest.mark.parametrize("name", ["usa-vietnam-1965", "ussr-afghanistan-1979"])
def test_yearly_deaths_at_a_fine_scale(name):
    """Where a yearly series exists, each year: at scale 20 (seed 0) every year lies within 0.8-1.25 of its
    record and all but one within the records' band. The one miss in each is the war's last full year, a
    drawdown the model overshoots (Vietnam 1972 by 16%, Afghanistan 1988 by 21%); at the scenarios' own scale
    (100) a year's deaths are 7-25 agents, too few to hold a year to +-15%."""
    run = checked_run(name, seed=0, scale=20)
    fit = deaths_against_targets(run.series, name)
    ratio = fit["model"] / fit["value"]
    assert ratio.between(0.8, 1.25).all(), fit.to_string()
    assert (~fit["within"]).sum() <= 1, fit.to_string()
