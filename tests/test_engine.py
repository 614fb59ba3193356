"""The engine: conservation, determinism, API, and the mechanics of quotas and hazards."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import morale
from morale.engine import codes as C
from morale.engine.person_table import hazard_hits
from morale.engine.regions import load_regions
from morale.processes.recruitment import allocate
from morale.results.targets import compare
from tests.conftest import assert_conserved, checked_run


def test_regions_are_the_85_with_about_40_million_men():
    regions = load_regions()
    assert len(regions) == 85
    assert 39e6 < regions.men_18_59.sum() < 41e6
    assert np.isfinite(regions.wage).all() and np.isfinite(regions.unemployment).all()
    assert (regions.cohort(2030) > 0).all()


def test_run_has_the_required_series_and_frames(small_run):
    required = """persons_created civilians serving emigrated imprisoned jailed dead aged_out front_demand
    requirement deployable_strength shortfall shortfall_share shortfall_pressure authorised_strength
    serving_armed_forces recruits_from_response net_manpower_balance soldiers_training soldiers_rear soldiers_front
    soldiers_hospital soldiers_captured recruits_conscript recruits_contract recruits_coerced recruits_converted
    recruits_mobilised recruits_convict_pmc recruits_convict_ministry killed wounded captured discharged
    pardoned""".split()
    assert set(required) <= set(small_run.series.columns)
    assert isinstance(small_run.series.index, pd.DatetimeIndex)
    for frame, key in ((small_run.by_stream, "stream"), (small_run.by_region, "region_code")):
        assert list(frame.columns) == ["date", key, "variable", "value"]
        assert isinstance(frame.index, pd.RangeIndex)
        assert frame["value"].dtype == np.float64
        assert np.issubdtype(frame["date"].dtype, np.datetime64)
    streams = set(small_run.by_stream["stream"])
    assert streams == set(C.STREAM_NAMES)
    assert {"soldiers_front", "killed", "recruits"} <= set(small_run.by_stream["variable"])
    assert {"recruits", "killed"} <= set(small_run.by_region["variable"])
    assert small_run.by_region["region_code"].nunique() == 85


def test_breakdowns_add_up_to_the_national_series(small_run):
    killed = small_run.stream("killed").sum(axis=1)
    np.testing.assert_allclose(killed.to_numpy(), small_run.series["killed"].to_numpy())
    by_region = small_run.region("recruits").sum(axis=1)
    np.testing.assert_allclose(by_region.to_numpy(), small_run.series["recruits"].to_numpy())


def test_every_stream_recruits_and_the_war_kills(small_run):
    s = small_run.series
    for stream in C.STREAM_NAMES:
        assert s[f"recruits_{stream}"].sum() > 0, stream
    assert s["killed"].sum() > 0 and s["pardoned"].sum() > 0
    assert (s["soldiers_front"] > 0).all()


def test_call_ups_match_the_decrees_within_two_percent(small_run):
    table = compare(small_run.series, small_run.scenario)
    callups = table[table["target"].str.startswith("conscription_callup")]
    assert len(callups) == 6
    np.testing.assert_allclose(callups["model"], callups["value"], rtol=0.02)
    mobilised = table[table["target"] == "mobilisation_called_up"]
    np.testing.assert_allclose(mobilised["model"], mobilised["value"], rtol=0.02)


def test_same_seed_same_series_and_other_seed_differs():
    a = checked_run("russia-2022", seed=3, scale=300, end="2023-03-31")
    b = checked_run("russia-2022", seed=3, scale=300, end="2023-03-31")
    c = checked_run("russia-2022", seed=4, scale=300, end="2023-03-31")
    pd.testing.assert_frame_equal(a.series, b.series)
    pd.testing.assert_frame_equal(a.by_region, b.by_region)
    assert not a.series["killed"].equals(c.series["killed"])


def test_replicate_seeds_differ_and_reproduce():
    a = morale.run("russia-2022", seed=1, scale=300, end="2022-12-31", replicate=0)
    b = morale.run("russia-2022", seed=1, scale=300, end="2022-12-31", replicate=1)
    assert not a.series["recruits_contract"].equals(b.series["recruits_contract"])
    assert_conserved(a)
    assert_conserved(b)


SCRIPT = """
import hashlib, morale
run = morale.run("russia-2022", seed=5, scale=300, end="2023-06-30")
print(hashlib.sha256(run.series.to_numpy().tobytes()).hexdigest())
"""


def test_results_do_not_depend_on_the_thread_count():
    digests = set()
    for threads in ("1", "2"):
        env = {**os.environ, "NUMBA_NUM_THREADS": threads, "OMP_NUM_THREADS": threads}
        out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True)
        digests.add(out.stdout.strip().splitlines()[-1])
    assert len(digests) == 1


def test_simulation_steps_week_by_week_like_run():
    sim = morale.Simulation("russia-2022", seed=2, scale=300, end="2022-09-30", check=True)
    sim.step()
    assert len(sim.series) == 1
    first_front = sim.series["soldiers_front"].iloc[0]
    while not sim.done:
        sim.step()
    with pytest.raises(RuntimeError):
        sim.step()
    whole = morale.run("russia-2022", seed=2, scale=300, end="2022-09-30")
    pd.testing.assert_frame_equal(sim.series, whole.series)
    assert first_front == whole.series["soldiers_front"].iloc[0]


def test_overrides_change_the_model():
    base = morale.run("russia-2022", scale=300, end="2023-06-30")
    # the top of the intensity's range (+15%): a smaller step is within one seed's noise at this scale
    hot = morale.run("russia-2022", scale=300, end="2023-06-30", overrides={"combat.intensity": 0.062})
    assert hot.series["killed"].sum() > 1.05 * base.series["killed"].sum()
    assert hot.scenario.combat.intensity.value == 0.062
    assert hot.scenario.combat.intensity.range == base.scenario.combat.intensity.range


def test_no_sanctions_lowers_unemployment_and_raises_wages():
    base = morale.run("russia-2022", scale=500, end="2023-06-30")
    off = morale.run("russia-2022", scale=500, end="2023-06-30", overrides={"economy.sanctions.enabled": False})
    after = base.series.index >= "2022-03-10"
    assert (off.series["unemployment_mean"][after] < base.series["unemployment_mean"][after]).all()
    assert (off.series["wage_mean"][after] > base.series["wage_mean"][after]).all()


def test_per_capita_outputs_agree_between_scales_10_and_20():
    """Killed and contract recruits per 100k men at scale 10 and 20 agree within ensemble noise."""
    def per_capita(scale, replicate):
        run = morale.run("russia-2022", scale=scale, seed=11, replicate=replicate, end="2023-12-31")
        men = run.series["persons_created"].iloc[0]
        variables = ("killed", "recruits_contract", "serving", "refusals", "flights")
        return np.array([run.series[v].sum() / men * 1e5 for v in variables])

    at10 = np.array([per_capita(10, i) for i in range(2)])
    at20 = np.array([per_capita(20, i) for i in range(4)])
    spread = np.concatenate([at10, at20]).std(axis=0, ddof=1)
    difference = np.abs(at10.mean(axis=0) - at20.mean(axis=0))
    # within 4 standard errors of a difference of means, and within 3% (relative)
    se = spread * np.sqrt(1 / 2 + 1 / 4)
    assert (difference <= np.maximum(4 * se, 0.03 * at20.mean(axis=0))).all(), (at10.mean(axis=0), at20.mean(axis=0))


def test_allocate_is_exact_and_proportional():
    out = allocate(1000, np.array([1.0, 2.0, 7.0]))
    assert out.sum() == 1000 and list(out) == [100, 200, 700]
    assert allocate(7, np.array([1.0, 1.0, 1.0])).sum() == 7
    assert allocate(0, np.array([1.0])).sum() == 0


def test_geometric_hazard_hits_are_bernoulli():
    hits = [len(hazard_hits(0, 100_000, 0.01, np.uint64(7), week, 1)) for week in range(200)]
    assert abs(np.mean(hits) - 1000) < 10  # mean of 200 binomial(1e5, 0.01) counts: sd of the mean ~2.2
    assert abs(np.var(hits) - 990) < 250



def test_persons_by_status_matches_the_series():
    """The stepping API speaks persons, as the series do (the state arrays hold agents)."""
    simulation = morale.Simulation("russia-2022", scale=500, end="2022-04-30")
    for _ in range(3):
        simulation.step()
    persons = simulation.persons_by_status()
    last = simulation.series.iloc[-1]
    assert list(persons.index) == list(C.STATUS_NAMES)
    assert all(persons[name] == last[name] for name in C.STATUS_NAMES)
    assert persons.sum() == last["persons_created"]
