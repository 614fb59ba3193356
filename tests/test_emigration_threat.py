"""The mobilisation threat of emigration: a shock at a wave's announcement that decays (issue 12)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morale
from morale.engine import codes as C
from morale.processes import emigration
from tests.conftest import checked_run

START, WEEKS, WAVE = 4, 5, 300000.0  # a 2022-sized wave over five weeks, from week 4


def test_a_wave_is_announced_whole_in_its_first_week():
    quota = np.array([0, 0, 5, 5, 5, 0, 0, 7, 7, 0], dtype=float)
    announced = [emigration.announced_wave(quota, w) for w in range(len(quota))]
    assert announced == [0, 0, 15, 0, 0, 0, 0, 14, 0, 0]
    assert emigration.announced_wave(np.array([3.0, 3.0, 0.0]), 0) == 6  # a run that starts inside a wave


@pytest.fixture(scope="module")
def driven():
    """Emigration alone, week after week, with one wave in the quota and no coerced intake."""
    sim = morale.Simulation("russia-2022", scale=200, end="2022-12-31")
    sim.step()
    state, ctx = sim.state, sim.ctx
    quota = np.zeros(ctx.calendar.n_weeks)
    quota[START: START + WEEKS] = WAVE / WEEKS
    ctx.derived["mobilisation_quota"] = quota
    state.society.threat = 0.0
    threat, departures = {}, {}
    for week in range(1, START + WEEKS + 8):
        state.week = week
        state.reset_flows()
        emigration.step(state, ctx)
        threat[week] = state.society.threat
        departures[week] = state.flows[C.F_EMIGRANTS].sum()
    return ctx, threat, departures


def test_threat_jumps_by_the_whole_quota_at_the_announcement(driven):
    ctx, threat, _ = driven
    assert threat[START - 1] == 0.0
    assert threat[START] == pytest.approx(WAVE / ctx.derived["men_by_region"].sum() * 1000.0)
    assert max(threat, key=threat.get) == START


def test_threat_decays_slowly_while_filled_and_halves_within_the_half_life_after(driven):
    ctx, threat, _ = driven
    e = ctx.params.emigration
    filling = 0.5 ** (1.0 / e.threat_half_life_weeks.value)
    for week in range(START + 1, START + WEEKS):
        assert threat[week] == pytest.approx(threat[week - 1] * filling)
    filled = START + WEEKS - 1  # the last week with a quota
    half_life = e.threat_filled_half_life_weeks.value
    assert half_life < e.threat_half_life_weeks.value
    assert threat[filled + math.ceil(half_life)] <= 0.5 * threat[filled] * (1 + 1e-12)


def test_departures_of_the_first_two_weeks_exceed_those_of_weeks_3_to_6(driven):
    _, _, departures = driven
    first = departures[START] + departures[START + 1]
    later = sum(departures[w] for w in range(START + 2, START + 6))
    assert first > later > 0


@pytest.fixture(scope="module")
def autumn_2022():
    return checked_run("russia-2022", scale=200, end="2022-12-31")


def test_the_2022_wave_peaks_in_its_first_two_weeks(autumn_2022):
    s = autumn_2022.series
    first = autumn_2022.scenario.recruitment.mobilisations[0].start
    week = s.index[s.index <= str(first)][-1]
    weeks = s.loc[week:, "emigrant_departures"]
    assert weeks.iloc[:2].sum() > weeks.iloc[2:6].sum()
    assert s["emigration_threat"].idxmax() == week


def test_both_sexes_series_divide_men_by_their_share(autumn_2022):
    s = autumn_2022.series
    share = autumn_2022.scenario.emigration.men_share_of_departures.value
    np.testing.assert_allclose(s["emigrant_departures"], s["emigrants"] / share)
    # the stock is read after the week's departures and returns, before the week's ageing at 60
    agents = 5 * autumn_2022.scenario.scale / share
    np.testing.assert_allclose(s["abroad_both_sexes"], s["emigrated"] / share, rtol=0.01, atol=agents)
