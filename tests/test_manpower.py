"""The manpower balance and the response ladder (`morale.processes.manpower`): requirement, deployable strength,
the ladder's rungs and their speed, declared mobilisations, the failure counter, the authorised strength; and
what the default run and the built-in counterfactuals do with them."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import numpy as np
import pytest

from morale.engine import codes as C
from morale.engine.simulation import Simulation
from morale.processes import manpower
from morale.processes.deployment import front_demand
from morale.processes.manpower import COERCION, CONVICTS, MOBILISATION, MONEY, rung
from morale.scenario.loader import ScenarioWarning
from morale.scenario.schema import Point
from tests.conftest import checked_run

REPO = Path(__file__).resolve().parents[1]
PACKAGED_TARGETS = REPO / "src/morale/data/national_targets.csv"
SHARED_TARGETS = Path(__file__).resolve().parents[2] / "shared/data/calibration/national_targets.csv"
BUILTIN = REPO / "src/morale/scenario/builtin"
RUSSIA = sorted(p.stem for p in BUILTIN.glob("russia-2022*.toml"))
SCALE = 2000  # the unit tests drive `manpower.step` by hand: a coarse population is enough


# --- the calibration targets are the shared file ------------------------------------------------------------


def test_packaged_targets_are_the_shared_calibration_file_byte_for_byte():
    if not SHARED_TARGETS.parent.is_dir():
        pytest.skip(f"no shared calibration folder at {SHARED_TARGETS.parent} (the repository is not checked "
                    "out next to `shared`)")
    assert SHARED_TARGETS.is_file(), f"{SHARED_TARGETS} is missing"
    assert PACKAGED_TARGETS.read_bytes() == SHARED_TARGETS.read_bytes(), (
        f"{PACKAGED_TARGETS} differs from {SHARED_TARGETS}: copy the shared file over it")


# --- a simulation stepped a few weeks, driven by hand -------------------------------------------------------


@pytest.fixture
def sim() -> Simulation:
    """Four weeks into the default scenario (spring 2022: before the dated mobilisation, ample room under the
    authorised strength)."""
    sim = Simulation("russia-2022", scale=SCALE, end="2026-12-31", seed=0)
    for _ in range(4):
        sim.step()
    return sim


def hold(monkeypatch, need: float, strength: float) -> None:
    """Fix the war zone's requirement and the deployable strength left for it after the army outside the war
    zone (`army.home_requirement`, kept first) as `manpower.step` reads them (persons)."""
    monkeypatch.setattr(manpower, "war_zone", lambda ctx, weeks: need)  # the requirement adds the home army
    monkeypatch.setattr(manpower, "deployable_strength",
                        lambda state, ctx: strength + ctx.params.army.home_requirement.value)


def test_rung_engagement_follows_the_level():
    state = type("S", (), {})()
    expected = {  # level: (money, coercion, convicts, mobilisation)
        0.0: (0, 0, 0, 0), 0.25: (0.25, 0, 0, 0), 1.0: (1, 0, 0, 0), 1.5: (1, 0.5, 0, 0),
        2.25: (1, 1, 0.25, 0), 3.0: (1, 1, 1, 0), 3.75: (1, 1, 1, 0.75), 4.0: (1, 1, 1, 1),
    }
    for level, rungs in expected.items():
        state.response_level = level
        got = tuple(rung(state, k) for k in (MONEY, COERCION, CONVICTS, MOBILISATION))
        assert got == pytest.approx(rungs), level
    state.response_level = 9.0  # out of range: each rung still 0..1
    assert [rung(state, k) for k in range(4)] == [1.0] * 4
    state.response_level = -1.0
    assert [rung(state, k) for k in range(4)] == [0.0] * 4


def test_requirement_and_deployable_strength_from_the_scenario(sim):
    ctx, state = sim.ctx, sim.state
    p = ctx.params
    for week in (0, 10, 60, 120):
        expected = (front_demand(ctx, week) / p.deployment.front_share_of_war_zone.value
                    + p.army.home_requirement.value)
        assert manpower.requirement(ctx, week) == pytest.approx(expected)
    weeks = np.arange(0, 100, 7)
    np.testing.assert_allclose(manpower.requirement(ctx, weeks), [manpower.requirement(ctx, w) for w in weeks])
    manpower.count_located(state)
    located = state.located
    deployable = [s for s in range(C.N_STREAMS) if s != C.CONSCRIPT]
    expected = (located[C.FRONT] + located[C.REAR])[deployable].sum() * SCALE
    assert not p.policy.conscripts_to_combat
    assert manpower.deployable_strength(state, ctx) == pytest.approx(expected)
    p.policy.conscripts_to_combat = True  # conscripts count once the policy sends them
    with_conscripts = (located[C.FRONT] + located[C.REAR]).sum() * SCALE
    assert manpower.deployable_strength(state, ctx) == pytest.approx(with_conscripts)
    assert with_conscripts > expected  # conscripts serve in the rear in spring 2022
    armed = located[:, list(C.ARMED_FORCES)].sum()
    assert manpower.armed_forces(state) == armed
    assert manpower.headroom(state, ctx) == pytest.approx(manpower.authorised_strength(ctx, state.week) / SCALE
                                                          - armed)


def test_level_climbs_while_short_and_descends_otherwise_within_0_to_4(sim, monkeypatch):
    state, ctx = sim.state, sim.ctx
    sf = ctx.params.recruitment.shortfall
    tolerance, lag, descent = sf.tolerance.value, sf.lag_weeks.value, sf.descent_weeks.value

    def levels(n: int) -> np.ndarray:
        out = []
        for _ in range(n):
            manpower.step(state, ctx)
            out.append(state.response_level)
            assert state.recorded["shortfall_pressure"] == state.response_level / 4
        return np.array(out)

    hold(monkeypatch, 100_000.0, 50_000.0)  # short by half: a rung every lag_weeks
    state.response_level = 0.0
    climb = levels(int(6 * lag))
    assert state.recorded["shortfall_share"] == pytest.approx(0.5)
    assert state.recorded["shortfall"] == pytest.approx(50_000.0)
    steps = np.diff(np.r_[0.0, climb])
    full = int(4 * lag)
    np.testing.assert_allclose(steps[:full], 1.0 / lag)
    assert climb[full - 1] == pytest.approx(4.0)
    assert (climb <= 4.0).all() and climb[-1] == 4.0  # capped at the top rung

    hold(monkeypatch, 100_000.0, 100_000.0 * (1 - 1.5 * tolerance))  # just short: half speed
    state.response_level = 1.0
    levels(1)
    assert state.response_level == pytest.approx(1.0 + 0.5 / lag)

    hold(monkeypatch, 100_000.0, 100_000.0 * (1 - tolerance))  # at the tolerance: the level holds
    state.response_level = 2.0
    levels(3)
    assert state.response_level == pytest.approx(2.0)

    hold(monkeypatch, 100_000.0, 100_000.0 * (1 - 0.5 * tolerance))  # short within the tolerance: descends
    state.response_level = 2.0
    levels(1)
    assert state.response_level == pytest.approx(2.0 - 0.5 / descent)

    hold(monkeypatch, 100_000.0, 120_000.0)  # a surplus: a rung every descent_weeks, down to 0
    state.response_level = 4.0
    descend = levels(int(5 * descent))
    assert state.recorded["shortfall_share"] == 0.0 and state.recorded["shortfall"] == pytest.approx(-20_000.0)
    steps = np.diff(np.r_[4.0, descend])
    full = int(4 * descent)
    np.testing.assert_allclose(steps[: full - 1], -1.0 / descent)
    assert (descend >= 0.0).all() and descend[-1] == 0.0


def test_ladder_disabled_keeps_the_level_at_zero(sim, monkeypatch):
    """Unit: with `enabled` off, a step sets the level to 0 whatever it was and however short the army is."""
    hold(monkeypatch, 100_000.0, 10_000.0)
    sim.ctx.params.recruitment.shortfall.enabled = False
    sim.state.response_level = 2.5
    manpower.step(sim.state, sim.ctx)
    assert sim.state.response_level == 0.0
    assert (sim.state.regional_bonus == sim.ctx.params.pay.regional_bonus.value).all()


def test_ladder_disabled_by_override_stays_at_the_bottom_in_a_run():
    """A run of 2022, when the army is short, with `recruitment.shortfall.enabled=false`: the level is 0 in
    every week, so the ladder brings no recruits and the regions pay the decreed bonus."""
    sim = Simulation("russia-2022", scale=SCALE, end="2022-12-31", seed=0, check=True,
                     overrides={"recruitment.shortfall.enabled": False})
    assert sim.ctx.params.recruitment.shortfall.enabled is False
    while not sim.done:
        sim.step()
        assert sim.state.response_level == 0.0, sim.date
    s = sim.result().series
    tolerance = sim.ctx.params.recruitment.shortfall.tolerance.value
    assert (s["shortfall_share"] > tolerance).sum() >= 8  # short for weeks: an enabled ladder would climb
    assert (s["shortfall_pressure"] == 0).all()
    assert (s["mobilisation_declared"] == 0).all()
    assert s["recruits_coerced"].sum() == 0 and s["recruits_converted"].sum() == 0
    floor = [0.0 if day < dt.date(2022, 9, 15) else 100_000.0 for day in s.index.date]  # regional-bonus-2022
    np.testing.assert_array_equal(s["regional_bonus_mean"], floor)
    response = s["recruits_from_response"]
    assert (response == 0).all(), f"recruits from a disabled ladder: {response[response != 0].to_dict()}"


# --- a new mobilisation: only after the dated ones, by policy, within the headroom ---------------------------


def _declare(sim: Simulation, week: int, share: float = 0.5, short: float = 1e6, level: float = 4.0) -> float:
    """Put the state at `week` on the ladder's `level`, call the top rung, return the men it declared."""
    sim.state.week = week
    sim.state.response_level = level
    before = sim.ctx.derived["declared_mobilisation"].sum()
    sim.state.recorded.pop("mobilisation_declared", None)
    manpower._mobilise(sim.state, sim.ctx, share, short)
    return float(sim.ctx.derived["declared_mobilisation"].sum() - before)


def test_declared_mobilisation_is_spread_over_its_weeks_after_the_dated_one(sim):
    ctx, state = sim.ctx, sim.state
    sf = ctx.params.recruitment.shortfall
    end = ctx.derived["dated_mobilisation_end"]
    assert sim.calendar.date(end) == dt.date(2022, 10, 27)  # the week of 28 Oct 2022
    manpower.count_located(state)
    week = end + int(sf.mobilisation_cooldown_weeks.value) + 8
    quota = ctx.derived["mobilisation_quota"].copy()
    state.week = week
    room = manpower.headroom(state, ctx) * SCALE
    assert room > sf.mobilisation_size.value  # spring 2022's army under a 2023 decree: the size binds
    size = _declare(sim, week)
    assert size == pytest.approx(sf.mobilisation_size.value)
    assert state.recorded["mobilisation_declared"] == pytest.approx(size)
    assert state.last_mobilisation == week
    declared = ctx.derived["declared_mobilisation"]
    spread = int(sf.mobilisation_weeks.value)
    assert list(np.flatnonzero(declared)) == list(range(week + 1, week + 1 + spread))
    np.testing.assert_allclose(declared[week + 1: week + 1 + spread], size / spread)
    np.testing.assert_allclose(ctx.derived["mobilisation_quota"] - quota, declared)
    assert _declare(sim, week + 1) == 0  # the cooldown: not again next week

    # no larger than the shortfall
    assert _declare(sim, week + 60, short=40_000.0) == pytest.approx(40_000.0)


def test_no_declared_mobilisation_before_the_dated_one_ends(sim):
    ctx, state = sim.ctx, sim.state
    end = ctx.derived["dated_mobilisation_end"]
    assert end > 0 and ctx.derived["mobilisation_quota"][end] > 0
    manpower.count_located(state)
    for week in (4, 20, end - 1, end):
        assert _declare(sim, week) == 0, week
    assert state.last_mobilisation == end  # the dated intake counts for the cooldown
    cooldown = int(ctx.params.recruitment.shortfall.mobilisation_cooldown_weeks.value)
    assert _declare(sim, end + 1) == 0
    assert _declare(sim, end + cooldown - 1) == 0
    assert _declare(sim, end + cooldown) > 0
    assert (ctx.derived["declared_mobilisation"][: end + cooldown + 1] == 0).all()


def test_no_declared_mobilisation_below_the_top_or_the_threshold(sim):
    ctx = sim.ctx
    sf = ctx.params.recruitment.shortfall
    manpower.count_located(sim.state)
    week = ctx.derived["dated_mobilisation_end"] + 100
    assert _declare(sim, week, level=manpower.TOP - 0.01) == 0
    assert _declare(sim, week, share=0.99 * sf.mobilisation_threshold.value) == 0
    sf.enabled = False
    assert _declare(sim, week) == 0
    sf.enabled = True
    assert _declare(sim, week) > 0  # the control


def test_no_declared_mobilisation_when_the_policy_forbids_it(sim):
    manpower.count_located(sim.state)
    week = sim.ctx.derived["dated_mobilisation_end"] + 100
    sim.ctx.params.policy.new_mobilisation = False
    assert _declare(sim, week) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        pinned = Simulation("russia-2022", scale=SCALE, end="2026-12-31", seed=0,
                            overrides={"policy.new_mobilisation": False})
    assert pinned.ctx.params.policy.new_mobilisation is False
    pinned.step()
    manpower.count_located(pinned.state)
    assert _declare(pinned, week) == 0
    pinned.ctx.params.policy.new_mobilisation = True
    assert _declare(pinned, week) > 0  # the control


def test_declared_mobilisation_fits_the_headroom(sim):
    ctx, state = sim.ctx, sim.state
    manpower.count_located(state)
    week = ctx.derived["dated_mobilisation_end"] + 100
    serving = manpower.armed_forces(state) * SCALE
    ctx.params.army.authorised_strength = [Point(date=dt.date(2018, 1, 1), value=serving + 50_000)]
    assert _declare(sim, week) == pytest.approx(50_000, abs=1e-6)
    ctx.params.army.authorised_strength = [Point(date=dt.date(2018, 1, 1), value=serving - 1_000)]
    assert _declare(sim, week + 100) == 0  # over the ceiling already: no room


def test_declared_mobilisations_in_a_run_with_a_larger_front():
    """Front demand 1.6 times the claims, to 2025-06: the ladder reaches the top and declares mobilisations,
    each after the dated one, a cooldown apart and within the room the authorised strength left that week;
    their men are called up. With the policy off, none."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        run = checked_run("russia-2022", scale=1000, end="2025-06-30", seed=0,
                          base={"deployment.front_demand_scale": 1.6})
        off = checked_run("russia-2022", scale=1000, end="2025-06-30", seed=0,
                          base={"deployment.front_demand_scale": 1.6}, overrides={"policy.new_mobilisation": False})
    s = run.series
    sf = run.scenario.recruitment.shortfall
    declared = s["mobilisation_declared"]
    weeks = np.flatnonzero(declared.to_numpy() > 0)
    assert len(weeks) >= 1
    dated_end = max(w.end for w in run.scenario.recruitment.mobilisations)
    assert (declared.index[weeks].date > dated_end).all()
    assert (np.diff(weeks) >= sf.mobilisation_cooldown_weeks.value).all()
    room = (s["authorised_strength"] - s["serving_armed_forces"]).iloc[weeks]
    assert (declared.iloc[weeks] <= room + 1e-6).all()
    assert (declared.iloc[weeks] <= sf.mobilisation_size.value + 1e-6).all()
    after = s["recruits_mobilised"][s.index.date > dated_end].sum()
    assert after == pytest.approx(declared.sum(), abs=run.scenario.scale * len(weeks) + 1e-6)
    assert (s["shortfall_pressure"].iloc[weeks] * 4 >= manpower.TOP).all()  # declared at the top rung
    o = off.series
    assert (o["mobilisation_declared"] == 0).all()
    assert o["recruits_mobilised"][o.index.date > dated_end].sum() == 0
    assert o["shortfall_pressure"].max() == 1.0  # the ladder did reach the top: only the policy stopped it


# --- failure ------------------------------------------------------------------------------------------------


def test_requirement_fails_only_after_13_consecutive_failing_weeks(sim, monkeypatch):
    state, ctx = sim.state, sim.ctx
    failure = ctx.params.recruitment.shortfall.failure_share.value
    assert manpower.FAILURE_WEEKS == 13

    def weeks(n: int) -> list[tuple[float, float]]:
        out = []
        for _ in range(n):
            manpower.step(state, ctx)
            out.append((state.recorded["weeks_failing"], state.recorded["requirement_failed"]))
        return out

    hold(monkeypatch, 100_000.0, 50_000.0)
    state.response_level = 4.0
    first = weeks(12)
    assert first == [(float(n), 0.0) for n in range(1, 13)]
    hold(monkeypatch, 100_000.0, 100_000.0)  # one whole week breaks the run
    assert weeks(1) == [(0.0, 0.0)]
    hold(monkeypatch, 100_000.0, 50_000.0)
    again = weeks(14)
    assert [f for _, f in again] == [0.0] * 12 + [1.0, 1.0]
    assert again[12] == (13.0, 1.0)

    # short by less than the failure share, or not at the top rung: not failing
    hold(monkeypatch, 100_000.0, 100_000.0 * (1 - 0.9 * failure))
    assert weeks(3) == [(0.0, 0.0)] * 3
    hold(monkeypatch, 100_000.0, 50_000.0)
    state.response_level = 0.0
    assert weeks(13) == [(0.0, 0.0)] * 13  # climbing, but 13 weeks at 1/lag a week stay below the top


# --- the authorised strength ---------------------------------------------------------------------------------


def test_dated_is_the_latest_point_on_or_before_the_date():
    points = [Point(date=dt.date(2023, 1, 1), value=1.0), Point(date=dt.date(2024, 1, 1), value=2.0)]
    assert manpower.dated(points, dt.date(2022, 6, 1)) == 1.0  # before any: the first
    assert manpower.dated(points, dt.date(2022, 12, 31)) == 1.0
    assert manpower.dated(points, dt.date(2023, 1, 1)) == 1.0
    assert manpower.dated(points, dt.date(2023, 12, 31)) == 1.0
    assert manpower.dated(points, dt.date(2024, 1, 1)) == 2.0
    assert manpower.dated(points, dt.date(2030, 1, 1)) == 2.0


def test_authorised_strength_is_a_step_function_of_the_decrees(sim):
    ctx = sim.ctx
    decrees = ctx.params.army.authorised_strength
    assert [p.value for p in decrees] == sorted(p.value for p in decrees)  # each decree raised the ceiling
    values = np.array([manpower.authorised_strength(ctx, w) for w in range(sim.calendar.n_weeks)])
    assert values.min() == decrees[0].value and values.max() == decrees[-1].value
    for week, value in enumerate(values):
        day = sim.calendar.date(week)
        latest = [p.value for p in decrees if p.date <= day]
        assert value == (latest[-1] if latest else decrees[0].value), (day, value)
    changes = np.flatnonzero(np.diff(values)) + 1
    in_run = [p for p in decrees if sim.calendar.date(0) < p.date <= sim.calendar.date(sim.calendar.n_weeks - 1)]
    assert len(changes) == len(in_run)  # one step per decree, flat in between
    for week, decree in zip(changes.tolist(), in_run):
        assert sim.calendar.date(week - 1) < decree.date <= sim.calendar.date(week)
        assert values[week] == decree.value


# --- the default run ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_run():
    return checked_run("russia-2022", scale=200, end="2025-12-31", seed=1)


def test_default_run_records_the_balance(default_run):
    s = default_run.series
    np.testing.assert_allclose(s["shortfall"], s["requirement"] - s["deployable_strength"], atol=1e-6)
    war_zone = s["requirement"] - default_run.scenario.army.home_requirement.value  # the home army is kept first
    share = np.maximum(s["shortfall"], 0) / np.maximum(war_zone, 1)
    np.testing.assert_allclose(s["shortfall_share"], share, atol=1e-12)
    assert ((s["shortfall_pressure"] >= 0) & (s["shortfall_pressure"] <= 1)).all()
    assert s["requirement_failed"].isin([0.0, 1.0]).all()
    assert ((s["requirement_failed"] == 1) == (s["weeks_failing"] >= manpower.FAILURE_WEEKS)).all()


def test_default_run_climbs_the_ladder_and_the_ladder_recruits(default_run):
    s = default_run.series.loc["2023-01-01":"2025-12-31"]
    engaged = (s["shortfall_pressure"] > 0).mean()
    assert engaged >= 0.25, f"the ladder is engaged in {engaged:.0%} of the weeks of 2023-2025"
    share = s["recruits_from_response"].sum() / s["recruits"].sum()
    assert share >= 0.10, f"the ladder brought {share:.1%} of the recruits of 2023-2025"
    assert s["regional_bonus_mean"].iloc[-1] > s["regional_bonus_mean"].iloc[0]  # the money rung raised bonuses


def test_default_run_sustainment_horizon_reads_the_failure_line(default_run):
    """The issue: the horizon read 520 (its cap) in most weeks and swung with the call-up calendar; years_left
    _contract read its cap of 100 throughout. Now the horizon is the first week the trend of deployable
    strength (which holds no conscripts) crosses the failure line: below the cap exactly when the trend
    falls toward it, capped while strength grows."""
    s = default_run.series
    horizon = s["sustainment_horizon_weeks"]
    assert (horizon < 520).mean() > 0.1, "sustainment_horizon_weeks is at its cap in nearly every week"
    # a finite horizon h is the first week the 26-week trend of strength falls short of the requirement by
    # more than failure_share of the war zone (the failure line)
    strength = s["deployable_strength"].to_numpy()
    home = default_run.scenario.army.home_requirement.value
    line = s["requirement"].to_numpy() - 0.1 * (s["requirement"].to_numpy() - home)  # failure_share of the war zone
    checked = 0
    for w in range(26, len(s)):
        h = int(horizon.iloc[w])
        if h >= 520 or s["weeks_failing"].iloc[w] >= 13 or w + h >= len(s):
            continue
        trend = (strength[w] - strength[w - 26]) / 26
        assert strength[w] + trend * h < line[w + h], f"week {w}: not below the failure line at {h}"
        assert all(strength[w] + trend * k >= line[w + k] for k in range(1, h)), f"week {w}: crossed before {h}"
        checked += 1
    assert checked > 0
    assert (s["years_left_contract"] < 100).any(), "years_left_contract is at its cap of 100 in every week"
    assert (s["years_left_contract"] < 100).mean() > 0.5


# --- the authorised strength holds in every built-in Russian scenario -----------------------------------------


def test_the_russian_scenarios_are_listed():
    assert "russia-2022" in RUSSIA and len(RUSSIA) >= 2


@pytest.mark.parametrize("scenario", RUSSIA)
def test_armed_forces_stay_under_the_authorised_strength(scenario):
    """From 2023 (the first wartime decree) the Armed Forces serving stay within 5% of the decreed ceiling in
    the default scenario and every counterfactual, with persons conserved."""
    run = checked_run(scenario, scale=400, end="2027-12-31", seed=0)
    s = run.series.loc["2023-01-01":]
    assert len(s) > 250
    ratio = s["serving_armed_forces"] / s["authorised_strength"]
    worst = ratio.idxmax()
    assert ratio.max() <= 1.05, (f"{scenario}: {s.loc[worst, 'serving_armed_forces']:,.0f} serving against "
                                 f"{s.loc[worst, 'authorised_strength']:,.0f} authorised on {worst.date()}")
    assert (s["serving_armed_forces"] > 0).all()
