"""Society: leaks, opinion, the Epstein rule in a neighbourhood, emigration and the exit ban."""

from __future__ import annotations

import math

import numpy as np
import pytest

import morale
from morale.engine import codes as C
from morale.kernels.epstein import RATIO_PLAIN
from morale.processes import emigration, information, opinion
from morale.processes.opposition import _local_arrest_probability, poisson
from tests.conftest import checked_run


@pytest.fixture(scope="module")
def society_run():
    return checked_run("russia-2022", scale=100, end="2024-12-31")


def test_society_series_are_alive_and_bounded(society_run):
    s = society_run.series
    for name in ("emigrants", "returnees", "arrests", "leaks_deaths", "known_deaths", "opposition_active"):
        assert s[name].sum() > 0, name
    for name in ("support_private", "support_polled", "support_continue_polled", "legitimacy_mean"):
        assert ((s[name] > 0) & (s[name] < 1)).all(), name
    assert (s["support_polled"] > s["support_private"]).all()  # the falsification gap is positive
    assert s["emigrated"].iloc[-1] > 0 and s["jailed"].max() > 0  # the new statuses are used and conserved
    assert 0 < s["known_over_true_deaths"].iloc[-1] < 1
    regions = set(society_run.by_region["variable"])
    assert {"support_private", "emigrants", "arrests", "opposition_active", "known_deaths"} <= regions


def test_poisson_inverse_cdf_has_the_right_mean():
    rng = np.random.default_rng(5)
    draws = [poisson(0.7, u) for u in rng.random(20000)]
    assert np.mean(draws) == pytest.approx(0.7, abs=0.03)
    assert poisson(0.0, 0.99) == 0


def test_local_arrest_probability_follows_police_presence():
    key = np.uint64(11)
    share = np.array([0.0])
    none = [_local_arrest_probability(p, 0, 3, key, np.array([0.0]), share, 50.0, 2.3, RATIO_PLAIN)
            for p in range(200)]
    assert max(none) == 0.0  # no police among the contacts: nobody expects arrest
    many = [_local_arrest_probability(p, 0, 3, key, np.array([0.2]), share, 50.0, 2.3, RATIO_PLAIN)
            for p in range(200)]
    assert np.mean(many) > 0.99  # ten cops on average in view of one active: P = 1 - exp(-2.3 C)
    one = 1.0 - math.exp(-2.3)
    assert np.isclose(one, 0.8997, atol=1e-4)  # Epstein's P at C = A = 1


def _sim(scale=200, end="2022-06-30", **overrides):
    return morale.Simulation("russia-2022", scale=scale, end=end, overrides=overrides or None)


def test_leaks_arrive_after_their_lag_with_their_probability():
    sim = _sim()
    sim.step()
    state, ctx = sim.state, sim.ctx
    state.reset_flows()
    state.flows[C.F_KILLED, C.CONTRACT] = 20000
    state.week = 5
    before = state.society.leak_queue[C.LEAK_DEATHS].copy()
    information.step(state, ctx)
    info = ctx.params.information
    censorship = info.censorship.value
    p = info.leak_probability.deaths.value * (1 - info.censorship_probability_effect.value * censorship)
    lag = round(info.lag_weeks.deaths.value * (1 + info.censorship_lag_effect.value * censorship))
    queue = (state.society.leak_queue[C.LEAK_DEATHS] - before) / ctx.scale
    assert queue[5 + lag] == pytest.approx(20000 * p, rel=0.05)
    assert queue[: 5 + lag].sum() == 0 and queue[5 + lag + 1 :].sum() == 0


def test_no_leaks_scenario_knows_nothing():
    run = checked_run("russia-2022-no-leaks", scale=300, end="2023-06-30")
    assert run.series["known_deaths"].max() == 0 and run.series["contract_risk_perceived"].max() == 0


def test_support_falls_with_known_deaths_and_stays_inside_0_1():
    sim = _sim()
    sim.step()
    state, ctx = sim.state, sim.ctx
    before = opinion.regional_index(state, ctx).mean()
    state.society.known_deaths = 1e9
    state.society.recent_known = 1e9
    after = opinion.regional_index(state, ctx)
    assert after.mean() < before
    support = opinion.mean_support(after, ctx.params.opinion.person_sd.value)
    assert (support > 0).all() and (support < 1).all()  # saturating stocks cannot push it to 0


def test_exit_ban_cuts_emigration_of_the_summoned_by_its_enforcement():
    """All men summoned: with the ban, the same draws let through about (1 - enforcement) of them."""
    counts = []
    for ban in (False, True):
        sim = _sim(scale=100)
        sim.step()
        state, ctx = sim.state, sim.ctx
        state.society.summoned[:] = 1
        ctx.params.policy.exit_ban = ban
        state.reset_flows()
        state.society.threat = 10.0  # a 2022-sized announcement (7.5 per 1000 men), so that many leave
        emigration.step(state, ctx)
        counts.append(state.flows[C.F_EMIGRANTS].sum())
    enforcement = sim.scenario.emigration.ban_enforcement.value
    assert counts[0] > 500
    assert counts[1] / counts[0] == pytest.approx(1 - enforcement, abs=0.03)


def test_mobilisation_makes_emigration_spike(society_run):
    s = society_run.series
    after = s.loc["2022-09-21":"2022-10-12", "emigrants"].mean()
    before = s.loc["2022-07-01":"2022-09-14", "emigrants"].mean()
    assert after > 3 * before


def test_conscripts_abroad_reversal_rule():
    run = checked_run("russia-2022-conscripts-abroad", scale=200, end="2024-06-30",
                      overrides={"opinion.reversal_drop": 0.02})
    s = run.series
    assert s["conscript_policy_reversed"].sum() == 1
    reversed_on = s.index[s["conscript_policy_reversed"] > 0][0]
    front = run.stream("soldiers_front")["conscript"]
    assert front.loc[:reversed_on].max() > 0 and front.loc[reversed_on + np.timedelta64(7, "D"):].max() == 0


def test_ussr_has_no_society():
    run = checked_run("ussr-1942", scale=200, end="1942-12-31")
    s = run.series
    assert s["emigrants"].sum() == 0 and s["arrests"].sum() == 0 and s["leaks"].sum() == 0
