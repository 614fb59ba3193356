"""Legal bounds (`morale.scenario.metadata`): every parameter of every built-in scenario has them and lies
within them; the bounds themselves are sane; `violation` refuses what is not a finite in-bounds number; and
the memory check refuses a person table above the cap (MORALE_MEMORY_CAP_GIB) with its estimate."""

from __future__ import annotations

import math

import pytest

from morale import builtin_names
from morale.engine.regions import load_regions, regions_from_spec
from morale.engine.simulation import check_memory, resolve
from morale.engine.state import MEMORY_CAP_VARIABLE, estimate_bytes
from morale.scenario import metadata
from morale.scenario.loader import RangeWarning, ScenarioError, load_scenario
from morale.scenario.schema import Param, parameters, resolve_target

BUILTINS = builtin_names()
DEFAULT_PATHS = list(parameters(load_scenario("russia-2022")))


def test_there_are_builtins_and_parameters():
    assert "russia-2022" in BUILTINS and len(BUILTINS) >= 9
    assert len(DEFAULT_PATHS) > 100


@pytest.mark.parametrize("name", BUILTINS)
def test_every_parameter_has_metadata_and_lies_within_its_bounds(name):
    scenario = load_scenario(name)
    found = parameters(scenario)
    assert found, name
    for path, param in found.items():
        m = metadata.meta(path)  # raises UnknownParameter if missing
        assert m.path == path and m.kind.name in metadata.KINDS
        low, high = m.bounds
        assert low <= param.value <= high, (name, path, param.value, m.bounds)
        assert metadata.violation(path, param.value) is None, (name, path)
        if param.range is not None:
            assert low <= param.range[0] <= param.range[1] <= high, (name, path, param.range, m.bounds)
            assert metadata.violation(path, param.range[0]) is None
            assert metadata.violation(path, param.range[1]) is None


@pytest.mark.parametrize("name", BUILTINS)
def test_every_numeric_event_lies_within_its_bounds(name):
    scenario = load_scenario(name)
    for event in scenario.events:
        node, attribute = resolve_target(scenario, event.target)
        if isinstance(getattr(node, attribute), Param):
            low, high = metadata.meta(event.target).bounds
            assert low <= event.value <= high, (name, event.id, event.value)


def test_unknown_parameter_has_no_metadata():
    with pytest.raises(metadata.UnknownParameter):
        metadata.meta("combat.no_such_parameter")


@pytest.mark.parametrize("kind", list(metadata.KINDS.values()), ids=list(metadata.KINDS))
def test_each_kind_has_finite_ordered_bounds(kind):
    assert math.isfinite(kind.low) and math.isfinite(kind.high)
    assert kind.low < kind.high
    assert kind.unit and kind.phrase
    assert f"{kind.low:g}" in kind.expectation() and f"{kind.high:g}" in kind.expectation()


def test_every_kind_is_used():
    used = {metadata.meta(path).kind.name for name in BUILTINS for path in parameters(load_scenario(name))}
    assert used <= set(metadata.KINDS)
    assert len(used) >= len(metadata.KINDS) - 2


@pytest.mark.parametrize("path", DEFAULT_PATHS)
def test_violation_refuses_non_finite_and_out_of_bounds_and_accepts_bounds(path):
    low, high = metadata.meta(path).bounds
    for bad in (math.nan, math.inf, -math.inf, math.nextafter(low, -math.inf), math.nextafter(high, math.inf),
                low - 1.0, high * 2 + 1.0, True, "0.5", None):
        problem = metadata.violation(path, bad)
        assert problem is not None and problem.startswith("got ") and "expected" in problem, (path, bad)
    for good in (low, high, (low + high) / 2, int(low) if low == int(low) else low):
        assert metadata.violation(path, good) is None, (path, good)


def test_set_on_a_bound_runs_and_past_it_is_refused():
    with pytest.warns(RangeWarning):
        load_scenario("russia-2022", overrides={"combat.captured_share": 1.0})
    with pytest.raises(ScenarioError, match="combat.captured_share"):
        load_scenario("russia-2022", overrides={"combat.captured_share": 1.000001})


# memory


def _huge(men: float = 2e9) -> dict:
    """A one-region scenario of `men` men aged 18-59 (the legal maximum by default)."""
    region = {"code": "BIG", "name": "big", "men_18_59": men, "annual_cohort": 0.0, "wage": 1.0,
              "unemployment": 1.0, "poverty": 1.0, "source": "test"}
    return {"extends": "ussr-1942", "population": {"regions": [region]}}


def test_memory_check_refuses_two_billion_men_at_scale_1_with_the_estimate(monkeypatch):
    monkeypatch.delenv(MEMORY_CAP_VARIABLE, raising=False)
    scenario = load_scenario({**_huge(), "scale": 1})
    need = estimate_bytes(regions_from_spec(scenario.population.regions), scenario)
    assert need > 16 * 2**30
    with pytest.raises(ScenarioError) as err:
        resolve(_huge(), scale=1)
    message = str(err.value)
    assert f"{need / 2**30:,.1f} GiB" in message, message
    assert "16.0 GiB" in message and MEMORY_CAP_VARIABLE in message and "--scale" in message
    assert "\n" not in message


def test_memory_check_accepts_the_default_at_scale_500(monkeypatch):
    monkeypatch.delenv(MEMORY_CAP_VARIABLE, raising=False)
    scenario = resolve("russia-2022", scale=500)
    check_memory(scenario)
    assert estimate_bytes(load_regions(), scenario) < 2**30


def test_memory_cap_variable_changes_the_decision(monkeypatch):
    monkeypatch.setenv(MEMORY_CAP_VARIABLE, "200")
    resolve(_huge(), scale=1)  # 2e9 men x 64 bytes is about 119 GiB: under a 200 GiB cap
    monkeypatch.setenv(MEMORY_CAP_VARIABLE, "0.001")
    with pytest.raises(ScenarioError, match="memory cap"):
        resolve("russia-2022", scale=500)
    monkeypatch.setenv(MEMORY_CAP_VARIABLE, "not-a-number")  # ignored: the default cap
    resolve("russia-2022", scale=500)
    with pytest.raises(ScenarioError, match="16.0 GiB"):
        resolve(_huge(), scale=1)
