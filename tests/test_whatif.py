"""The what-if rules (README, "What-if semantics"), one test each, on the live parameters of a stepped run.

- `--set PATH=VALUE` / `overrides`: pins PATH for the whole run; events on PATH are dropped (one warning
  each); the response ladder (`processes/manpower.py`) does not move a pinned quantity;
- `--event DATE:PATH=VALUE` / `events`: a dated change, in force from the week that contains its date;
- `--drop-event ID` / `drop_events`: switches exactly that event off;
- `base`: a base value only; dated events still apply on top;
- a value outside the uncertainty range but inside the legal bounds runs with a RangeWarning; outside the
  bounds it is refused;
- the run folder's scenario.toml carries the pins and dropped events, and its report lists the changes.

Every run is at scale 500 or coarser with the engine's recount on (`check=True`), and conserved.
"""

from __future__ import annotations

import datetime as dt
import html
import warnings
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import morale
from morale.cli import app
from morale.engine.simulation import Simulation, resolve
from morale.processes import manpower, recruitment
from morale.results.run import Run
from morale.scenario.loader import RangeWarning, ScenarioError, ScenarioWarning, load_scenario
from morale.scenario.schema import Param, resolve_target
from morale.scenario.whatif import describe_changes
from tests.conftest import assert_conserved, checked_run

SCALE = 1000
END = "2025-01-31"
RUNNER = CliRunner()
FEDERAL = "pay.federal_bonus"
REGIONAL = "pay.regional_bonus"
COERCION = "recruitment.coercion.weekly_quota"
CONVERSION = "recruitment.conversion.weekly_hazard"
RAISED_BY_THE_LADDER = (COERCION, CONVERSION)  # through recruitment._response; the regional bonus by manpower


def event_date(event_id: str, scenario: str = "russia-2022") -> dt.date:
    (event,) = [e for e in load_scenario(scenario).events if e.id == event_id]
    return event.date


def live(sim: Simulation, path: str):
    """The value a process reads this week (events applied)."""
    node, attribute = resolve_target(sim.ctx.params, path)
    value = getattr(node, attribute)
    return value.value if isinstance(value, Param) else value


def trace(sim: Simulation, *paths: str) -> pd.DataFrame:
    """Step to the end; one row per week (indexed by its first day) with the live value of each path after
    that week's events; the run's series are then checked for conservation."""
    rows = {}
    while not sim.done:
        day = sim.date
        sim.step()
        rows[day] = [live(sim, p) for p in paths]
    assert_conserved(sim.result())
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(paths))


def in_force(day: dt.date, date: dt.date) -> bool:
    """An event dated `date` is in force in the week starting `day` (the week containing it, or later)."""
    return date < day + dt.timedelta(days=7)


def simulation(**what_ifs) -> Simulation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        return Simulation("russia-2022", scale=what_ifs.pop("scale", SCALE), end=what_ifs.pop("end", END),
                          check=True, **what_ifs)


@pytest.fixture(scope="module")
def default_trace() -> pd.DataFrame:
    return trace(simulation(), FEDERAL, "pay.monthly_pay", "combat.intensity")


# --set pins a path for the whole run


def test_default_run_pays_the_federal_bonus_events(default_trace):
    """The unpinned run pays 195,000 from the week of 2022-09-21 and 400,000 from that of 2024-08-01, so the
    pinned test below can fail."""
    first, second = event_date("federal-bonus-2022"), event_date("federal-bonus-2024")
    for day, paid in default_trace[FEDERAL].items():
        expected = 400_000 if in_force(day, second) else 195_000 if in_force(day, first) else 0
        assert paid == expected, (day, paid)
    assert set(default_trace[FEDERAL]) == {0, 195_000, 400_000}


def test_set_pins_the_federal_bonus_at_every_week():
    sim = simulation(overrides={FEDERAL: 0})
    assert FEDERAL in sim.scenario.pinned
    paid = trace(sim, FEDERAL)[FEDERAL]
    assert paid.index[-1] >= dt.date(2025, 1, 24)
    assert (paid == 0).all(), paid[paid != 0]


def test_set_drops_exactly_the_events_on_the_pinned_path():
    with pytest.warns(ScenarioWarning):
        pinned = load_scenario("russia-2022", overrides=[f"{FEDERAL}=0"])
    dropped = {e.id: e.dropped_by for e in pinned.events if not e.enabled}
    assert dropped == {"federal-bonus-2022": f"--set {FEDERAL}", "federal-bonus-2024": f"--set {FEDERAL}"}
    default = {e.id for e in load_scenario("russia-2022").events if e.enabled}
    assert {e.id for e in pinned.events if e.enabled} == default - set(dropped)


@pytest.mark.parametrize("quantity", RAISED_BY_THE_LADDER)
def test_response_holds_a_pinned_quantity(quantity):
    """base + rung x response, unless the quantity is pinned: then the base alone, whatever the rung."""
    def response(pinned, intensity=0.5):
        ctx = SimpleNamespace(params=SimpleNamespace(pinned=list(pinned)))
        return recruitment._response(ctx, 3.0, 2.0, intensity, quantity)

    assert response([quantity]) == 3.0
    assert response([quantity], intensity=1.0) == 3.0
    assert response([]) == pytest.approx(4.0)
    assert response([], intensity=0.0) == 3.0
    assert response([q for q in RAISED_BY_THE_LADDER if q != quantity]) == pytest.approx(4.0)


def _ladder_run(overrides: dict, end: str = "2022-12-31"):
    """A run with a real shortfall (twice the demanded front strength, so the ladder climbs), traced each week:
    the regional bonuses contract enlistment was given (the live bonuses and the decreed floor), and at the
    week's end every region's bonus, the decreed floor (`pay.regional_bonus`) and the money rung."""
    used: list[np.ndarray] = []
    original = recruitment.willing_share

    def spy(state, ctx, regional_bonus, risk):
        used.append(np.array(regional_bonus, dtype=float, copy=True))
        return original(state, ctx, regional_bonus, risk)

    bonuses, floors, money = [], [], []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recruitment, "willing_share", spy)
        sim = simulation(overrides=overrides, base={"deployment.front_demand_scale": 2.0}, end=end)
        while not sim.done:
            sim.step()
            bonuses.append(sim.state.regional_bonus.copy())
            floors.append(live(sim, REGIONAL))
            money.append(manpower.rung(sim.state, manpower.MONEY))
    run = sim.result()
    assert_conserved(run)
    assert run.series["shortfall_pressure"].max() > 0.5  # the ladder climbed past the money rung
    return SimpleNamespace(used=used, bonuses=np.array(bonuses), floors=np.array(floors), money=np.array(money),
                           series=run.series)


@pytest.fixture(scope="module")
def regional_pinned() -> SimpleNamespace:
    return _ladder_run({FEDERAL: 0, REGIONAL: 50_000})


def test_unpinned_regional_bonus_is_raised_by_the_money_rung():
    """The control for the pinned test below: unpinned, the regions raise their bonuses above the decreed
    floor while the money rung is engaged."""
    free = _ladder_run({FEDERAL: 0})
    assert free.money.max() == 1.0
    raised = free.bonuses.max(axis=1) > 1.05 * free.floors
    assert raised.any() and (free.floors[raised] > 0).all()
    assert (free.bonuses >= free.floors[:, None] - 1e-6).all()  # never below the decreed floor


def test_pinned_regional_bonus_is_not_raised_by_the_money_rung(regional_pinned):
    """Every region's bonus is the pinned 50,000 at the end of every week, with the money rung fully
    engaged, and contract enlistment from the second week on reads exactly that."""
    assert regional_pinned.money.max() == 1.0 and (regional_pinned.money > 0.5).sum() >= 10
    assert (regional_pinned.bonuses == 50_000).all(), np.unique(regional_pinned.bonuses)
    assert (regional_pinned.floors == 50_000).all()
    later = regional_pinned.used[2:]  # two calls a week: the live bonuses, the decreed floor
    assert len(later) == 2 * (len(regional_pinned.bonuses) - 1)
    assert all((bonus == 50_000).all() for bonus in later)


def test_pinned_regional_bonus_is_read_from_the_first_week(regional_pinned):
    """In the first week, before any manpower step, enlistment reads the pinned bonus too."""
    first_live, first_floor = regional_pinned.used[:2]
    assert (first_floor == 50_000).all()
    assert (first_live == 50_000).all(), f"first week's regional bonuses: {np.unique(first_live)}"


def test_pinned_regional_bonus_is_the_bonus_the_run_reports_and_pays(regional_pinned):
    """With both bonuses pinned, the sign-up bonus of one more recruit the run reports (`cost_per_recruit`,
    federal + the regions' mean) is the pinned 50,000 in every week, shortfall or not."""
    cost = regional_pinned.series["cost_per_recruit"]
    assert (cost == 50_000).all(), f"effective regional bonus moved: {cost.min():,.0f}..{cost.max():,.0f}"
    assert (regional_pinned.series["regional_bonus_mean"] == 50_000).all()


def _ladder_asks(overrides: dict, level: float) -> tuple[list[float], list[float]]:
    """Each week of spring 2022 (the authorised strength leaves ample room) with the ladder held at `level`:
    the persons coercion asked for (prior service and new) and the weekly conversion probability."""
    coerced: list[float] = []
    converted: list[float] = []
    by_quota, convert = recruitment._by_quota, recruitment.convert_conscripts

    def spy_quota(state, ctx, name, stream, persons, *args, **kwargs):
        if name == "coerced_prior":
            coerced.append(persons)
        elif name == "coerced_new":
            coerced[-1] += persons
        return by_quota(state, ctx, name, stream, persons, *args, **kwargs)

    def spy_convert(army, region, n_soldiers, p, *args):
        converted.append(p)
        return convert(army, region, n_soldiers, p, *args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recruitment, "_by_quota", spy_quota)
        patch.setattr(recruitment, "convert_conscripts", spy_convert)
        sim = simulation(overrides=overrides, end="2022-05-31")
        while not sim.done:
            sim.state.response_level = level  # the ladder's rung this week (manpower moves it at the week's end)
            sim.step()
        assert_conserved(sim.result())
    assert len(coerced) == sim.calendar.n_weeks
    return coerced, converted


def test_coercion_rung_raises_coercion_and_conversion():
    """The control: unpinned, the full coercion rung adds the response quota and hazard to the (zero) bases,
    and with the ladder at the bottom there is neither."""
    r = load_scenario("russia-2022").recruitment
    coerced, converted = _ladder_asks({}, level=2.0)
    assert coerced == pytest.approx([r.coercion.response_weekly_quota.value] * len(coerced))
    assert converted == pytest.approx([1 - np.exp(-r.conversion.response_weekly_hazard.value)] * len(coerced))
    coerced, converted = _ladder_asks({}, level=0.0)
    assert coerced == [0.0] * len(coerced) and converted == []
    coerced, _ = _ladder_asks({}, level=1.5)  # half the rung: half the response
    assert coerced == pytest.approx([0.5 * r.coercion.response_weekly_quota.value] * len(coerced))


@pytest.mark.parametrize("level", [2.0, 4.0])
def test_pinned_coercion_quota_and_conversion_hazard_are_not_raised_by_the_coercion_rung(level):
    coerced, converted = _ladder_asks({COERCION: 500, CONVERSION: 0.002}, level=level)
    assert coerced == pytest.approx([500.0] * len(coerced))
    assert converted == pytest.approx([1 - np.exp(-0.002)] * len(coerced))


# --event adds a dated change


def test_event_changes_the_live_value_from_the_week_containing_its_date():
    date = dt.date(2022, 6, 1)
    sim = simulation(events=[f"{date}:combat.intensity=0.03"], end="2022-07-31")
    default = load_scenario("russia-2022").combat.intensity.value
    assert default != 0.03
    values = trace(sim, "combat.intensity")["combat.intensity"]
    for day, value in values.items():
        assert value == (0.03 if in_force(day, date) else default), (day, value)
    week = sim.calendar.week_of(date)
    assert values.iloc[week - 1] == default and values.iloc[week] == 0.03


def test_event_on_a_pinned_path_is_refused():
    with pytest.raises(ScenarioError, match="pinned"):
        load_scenario("russia-2022", overrides={FEDERAL: 0}, events=[f"2023-01-01:{FEDERAL}=5"])


# --drop-event switches one event off by id


def test_drop_event_removes_exactly_that_event(default_trace):
    sim = simulation(drop_events=["federal-bonus-2022"], end="2024-09-30")
    dropped = [e.id for e in sim.scenario.events if not e.enabled]
    assert dropped == ["federal-bonus-2022"]
    paid = trace(sim, FEDERAL)[FEDERAL]
    second = event_date("federal-bonus-2024")
    for day, value in paid.items():
        assert value == (400_000 if in_force(day, second) else 0), (day, value)
    assert (default_trace[FEDERAL].loc[paid.index] != paid).any()


def test_drop_unknown_event_lists_the_ids():
    with pytest.raises(ScenarioError, match="federal-bonus-2022") as err:
        load_scenario("russia-2022", drop_events=["no-such-event"])
    assert "no-such-event" in str(err.value)


# base sets a base value; events still apply


def test_base_value_is_overtaken_by_later_events(default_trace):
    first, second = event_date("pay-2022"), event_date("pay-2024")
    sim = simulation(base={"pay.monthly_pay": 35_000}, end="2024-02-29")
    assert sim.scenario.pinned == []
    assert all(e.enabled for e in sim.scenario.events)
    pay = trace(sim, "pay.monthly_pay")["pay.monthly_pay"]
    for day, value in pay.items():
        expected = 204_000 if in_force(day, second) else 160_000 if in_force(day, first) else 35_000
        assert value == expected, (day, value)
    assert default_trace["pay.monthly_pay"].iloc[0] != 35_000  # the base value did change something


# warnings and refusals


def _caught(**what_ifs) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_scenario("russia-2022", **what_ifs)
    return [w for w in caught if issubclass(w.category, ScenarioWarning)]


def test_pin_warns_once_per_dropped_event():
    federal = _caught(overrides={FEDERAL: 0})
    assert [w.category for w in federal] == [ScenarioWarning, ScenarioWarning]
    assert ["federal-bonus-2022" in str(w.message) for w in federal] == [True, False]
    assert ["federal-bonus-2024" in str(w.message) for w in federal] == [False, True]
    regional = _caught(overrides={REGIONAL: 0})
    assert len(regional) == 1 and all(w.category is ScenarioWarning for w in regional)
    assert "regional-bonus-2022" in str(regional[0].message)
    assert _caught(overrides={"combat.wounded_per_killed": 3.0}) == []  # no event on it, in range


def test_set_outside_range_within_bounds_warns_and_runs():
    caught = _caught(overrides={"combat.intensity": 0.1})
    assert [w.category for w in caught] == [RangeWarning]
    assert "outside its uncertainty range" in str(caught[0].message)
    with pytest.warns(RangeWarning):
        sim = Simulation("russia-2022", scale=SCALE, end="2022-04-30", check=True,
                         overrides={"combat.intensity": 0.1})
    assert (trace(sim, "combat.intensity")["combat.intensity"] == 0.1).all()


@pytest.mark.parametrize("value", [-0.01, 1001.0, float("nan"), float("inf")])
def test_set_outside_bounds_is_refused_without_warnings(value):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ScenarioError, match="combat.intensity"):
            load_scenario("russia-2022", overrides={FEDERAL: 0, "combat.intensity": value})
    assert [w for w in caught if issubclass(w.category, ScenarioWarning)] == []


def _warning_lines(result) -> list[str]:
    assert result.exit_code == 0, (result.output, result.exception)
    lines = result.stderr.splitlines()
    assert all(line.startswith("warning: ") for line in lines), lines
    return lines


def test_cli_warnings_are_one_line_each():
    result = RUNNER.invoke(app, ["show", "russia-2022", "--set", f"{FEDERAL}=0", "--set", "combat.intensity=0.1",
                                 "--grep", "combat.intensity"])
    lines = _warning_lines(result)
    assert len(lines) == 3, lines
    assert sum("dropped" in line for line in lines) == 2
    assert sum("outside its uncertainty range" in line for line in lines) == 1
    assert sum("federal-bonus-2022" in line for line in lines) == 1
    assert sum("federal-bonus-2024" in line for line in lines) == 1


def test_cli_event_on_pinned_path_and_unknown_drop_are_one_line_errors():
    for args, mention in ((["--set", f"{FEDERAL}=0", "--event", f"2023-01-01:{FEDERAL}=5"], "pinned"),
                          (["--drop-event", "no-such-event"], "federal-bonus-2022")):
        result = RUNNER.invoke(app, ["show", "russia-2022", *args])
        assert result.exit_code == 2, result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and mention in errors[0], result.stderr
        assert "Traceback" not in result.output


# the run folder carries the what-ifs


CLI_WHAT_IFS = dict(overrides=[f"{FEDERAL}=0"], events=["2022-03-15:combat.intensity=0.03"],
                    drop_events=["pmc-convicts-start"])


@pytest.fixture(scope="module")
def what_if_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("whatif") / "run"
    args = ["run", "russia-2022", "--scale", "500", "--end", "2022-04-30", "--out", str(folder),
            "--set", CLI_WHAT_IFS["overrides"][0], "--event", CLI_WHAT_IFS["events"][0],
            "--drop-event", CLI_WHAT_IFS["drop_events"][0]]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, (result.output, result.exception)
    assert len(_warning_lines(result)) == 2  # the two federal-bonus events the pin dropped
    return folder


def test_run_folder_scenario_keeps_pins_and_dropped_events(what_if_folder):
    saved = load_scenario(what_if_folder / "scenario.toml")
    assert saved.pinned == [FEDERAL]
    dropped = {e.id: e.dropped_by for e in saved.events if not e.enabled}
    assert dropped == {"federal-bonus-2022": f"--set {FEDERAL}", "federal-bonus-2024": f"--set {FEDERAL}",
                       "pmc-convicts-start": "--drop-event"}
    added = [e for e in saved.events if e.id == "what-if:combat.intensity@2022-03-15"]
    assert len(added) == 1 and added[0].enabled and added[0].value == 0.03
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        expected = resolve("russia-2022", seed=0, scale=500, end="2022-04-30", **CLI_WHAT_IFS)
    assert saved.model_dump(mode="python") == expected.model_dump(mode="python")


def test_run_folder_scenario_reproduces_the_run(what_if_folder):
    stored = Run.load(what_if_folder)
    assert_conserved(stored)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        again = checked_run(what_if_folder / "scenario.toml", seed=0)
    assert [w for w in caught if issubclass(w.category, ScenarioWarning)] == []  # nothing dropped again
    pd.testing.assert_frame_equal(again.series, stored.series, check_names=False, check_freq=False,
                                  check_exact=True)


def test_report_lists_the_what_if_changes(what_if_folder):
    changes = describe_changes(load_scenario(what_if_folder / "scenario.toml"))
    assert len(changes) == 5  # the pin, three dropped events, one added event
    assert any("pinned" in line for line in changes) and any("added event" in line for line in changes)
    page = (what_if_folder / "report.html").read_text(encoding="utf-8")
    for line in changes:
        assert html.escape(line) in page, line


# determinism with what-ifs


def test_same_scenario_seed_and_what_ifs_give_identical_series():
    what_ifs = dict(overrides={FEDERAL: 0}, events=["2022-06-01:combat.intensity=0.03"],
                    drop_events=["exit-ban"], base={"pay.monthly_pay": 35_000})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ScenarioWarning)
        first = checked_run("russia-2022", seed=3, scale=SCALE, end="2022-09-30", **what_ifs)
        second = checked_run("russia-2022", seed=3, scale=SCALE, end="2022-09-30", **what_ifs)
        plain = checked_run("russia-2022", seed=3, scale=SCALE, end="2022-09-30")
    for name in ("series", "by_stream", "by_region", "events"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name), check_exact=True)
    assert not first.series.equals(plain.series)  # the what-ifs changed the run
    assert isinstance(first, morale.Run)
