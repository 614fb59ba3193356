"""Property tests: any scenario, however mangled, is either refused in one line or runs and keeps its books.

Hypothesis mutates the default scenario (every parameter's value or range, set to arbitrary floats including
nan, inf, huge, negative and 0; policy switches and choices; events with random targets, values and dates) and
writes random `--set` strings. For each: `morale.load_scenario` either raises `morale.ScenarioError` with a
one-line message, or it validates, and then `morale.run` (scale 1000, four weeks) either raises ScenarioError
(say, a memory cap) or returns counts of persons that are finite and non-negative, with every status adding up
to `persons_created` (`assert_conserved`). No other exception may escape. Runs are capped (`MAX_RUNS` per
test) so the test stays quick; while a model runs, the address space is limited so that a size the loader
should have refused gives a MemoryError (a failure here) instead of exhausting the machine.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import math
import resource
import warnings
from typing import NamedTuple

import numpy as np
import pydantic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import morale
from morale.engine.recorder import SERIES
from morale.scenario.schema import Param
from tests.conftest import assert_conserved

settings.register_profile("scenarios", derandomize=True, deadline=None, max_examples=500, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile("scenarios")

SCALE = 1000
DEFAULT = morale.load_scenario("russia-2022")
START = DEFAULT.start
END = START + dt.timedelta(weeks=4)
BASE = DEFAULT.model_dump(mode="python") | {"scale": SCALE, "end": END}
# counts of persons; a difference ("demand minus front strength") may be below 0
PERSONS = [name for name, s in SERIES.items() if getattr(s, "unit", "persons") == "persons"
           and " minus " not in s[1]]
MAX_RUNS = 120  # model runs per test (each ~0.15 s); the rest of the examples only validate
HEADROOM = 3 << 30  # bytes of address space a four-week run at scale 1000 may add


def _walk(node: pydantic.BaseModel, prefix: str, params: list, switches: list, choices: dict) -> None:
    for name in type(node).model_fields:
        value, path = getattr(node, name), f"{prefix}{name}"
        if isinstance(value, Param):
            params.append(path)
        elif isinstance(value, bool):
            switches.append(path)
        elif isinstance(value, pydantic.BaseModel):
            _walk(value, f"{path}.", params, switches, choices)
        elif isinstance(value, str) and prefix.startswith(("discipline.regime", "opposition")):
            choices[path] = value


PARAMS: list[str] = []
SWITCHES: list[str] = []
CHOICES: dict[str, str] = {}
_walk(DEFAULT, "", PARAMS, SWITCHES, CHOICES)
BOGUS_PATHS = ["combat.intensty", "combat", "combat.assault_share", "", "combat.intensity.value", "pay..bonus",
               "events", "name", "scale", "end", "seed", "policy", ".combat", "combat.intensity.range"]

SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1e12, 1e300, 1e15, -1.0, -1e-9, 1.5, 50.0, 100.0, 101.0,
           1e-300, 0.999999, 2.0**53, -5.0, 1e9]
numbers = st.one_of(st.sampled_from(SPECIAL), st.floats(allow_nan=True, allow_infinity=True),
                    st.floats(-10, 10), st.floats(0, 1))
units = st.floats(0, 1)


def _holder(tree: dict, path: str) -> tuple[dict, str]:
    *parents, leaf = path.split(".")
    for part in parents:
        tree = tree[part]
    return tree, leaf


@st.composite
def param_change(draw) -> tuple[str, object]:
    """(path, new parameter): its value (kept in range, or anything), or its range."""
    path = draw(st.sampled_from(PARAMS))
    holder, leaf = _holder(BASE, path)
    param = dict(holder[leaf])
    lo, hi = param["range"] if param.get("range") else (None, None)
    mode = draw(st.sampled_from(["in-range", "in-range", "bare", "no-range", "range", "scaled"]))
    if mode == "in-range":  # valid by construction, unless the bounds say otherwise: the runs come from these
        u = draw(units)
        return path, {**param, "value": lo + u * (hi - lo) if lo is not None else param["value"] * 2 * u}
    if mode == "bare":  # a bare number in a file: the range is kept
        return path, {**param, "value": draw(numbers)}
    if mode == "no-range":  # a table without a range: only the hard bounds apply
        return path, {"value": draw(numbers), "source": "hypothesis"}
    if mode == "range":
        a, b = draw(numbers), draw(numbers)
        param["range"] = (a, b)
        if draw(st.booleans()) and all(math.isfinite(x) for x in (a, b)):
            param["value"] = min(a, b) + draw(units) * (max(a, b) - min(a, b))
        return path, param
    # a plausible but unusual size: the value times a power of ten
    return path, {**param, "value": param["value"] * 10.0 ** draw(st.integers(-3, 12)), "range": None}


dates = st.one_of(st.integers(-30, 60).map(lambda d: START + dt.timedelta(days=d)),
                  st.dates(dt.date(1900, 1, 1), dt.date(2200, 1, 1)))


@st.composite
def event(draw) -> dict:
    target = draw(st.one_of(st.sampled_from(PARAMS), st.sampled_from(SWITCHES), st.sampled_from(BOGUS_PATHS)))
    value = draw(st.one_of(numbers, st.booleans(), st.sampled_from(["high", "", "1e3", "nan"]), units))
    if target in PARAMS and draw(st.booleans()):  # a value the target's range allows
        param = _holder(BASE, target)[0][target.rsplit(".", 1)[-1]]
        lo, hi = param["range"] or (0.0, param["value"])
        value = lo + draw(units) * (hi - lo)
    result = {"date": draw(dates), "target": target, "value": value, "source": "hypothesis"}
    if draw(st.booleans()):
        result["id"] = draw(st.sampled_from(["pay-2024", "federal-bonus-2022", "x", "", "new-id"]))
    if draw(st.booleans()):
        result["enabled"] = draw(st.booleans())
    return result


class Mutation(NamedTuple):
    """What an example changes in the base scenario (printed small when an example fails)."""

    changes: list[tuple[str, object]]  # (dotted path, new value or parameter table)
    events: list[dict]
    replace_events: bool

    def apply(self) -> dict:
        tree = copy.deepcopy(BASE)
        for path, value in self.changes:
            holder, leaf = _holder(tree, path)
            holder[leaf] = value
        if self.events:
            tree["events"] = self.events if self.replace_events else tree["events"] + self.events
        return tree


@st.composite
def mutations(draw) -> Mutation:
    changes = draw(st.lists(param_change(), max_size=4))
    for path in draw(st.lists(st.sampled_from(SWITCHES), max_size=3)):
        changes.append((path, draw(st.one_of(st.booleans(), st.sampled_from([0, 1, 2, "yes", None])))))
    for path in draw(st.lists(st.sampled_from(sorted(CHOICES)), max_size=2)):
        changes.append((path, draw(st.sampled_from(["legal", "punitive", "lethal", "plain", "floor", "round",
                                                     "brutal", ""]))))
    return Mutation(changes, draw(st.lists(event(), max_size=3)), draw(st.booleans()))


set_values = st.one_of(
    st.sampled_from(["nan", "inf", "-inf", "1e400", "-1e400", "-5", "1.5", "0", "-0", "1e12", "1e300", "abc", "",
                     "[1, 2]", "{ value = 1 }", "true", "false", "'x'", "2022-03-01", "0x10", "1_000", "+inf",
                     "1e-400", "\"0.05\"", "[", "{"]),
    numbers.map(repr),
    units.map(lambda u: repr(round(u, 6))),
)


@st.composite
def set_strings(draw) -> list[str]:
    items = []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.one_of(st.sampled_from(PARAMS), st.sampled_from(SWITCHES), st.sampled_from(BOGUS_PATHS)))
        if draw(st.integers(0, 9)) == 0:
            items.append(path)  # no '='
        else:
            items.append(f"{path}={draw(set_values)}")
    return items


@contextlib.contextmanager
def limited_memory():
    """Limit the address space to what the process holds now plus HEADROOM (restored afterwards)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm", encoding="ascii") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    limit = size + HEADROOM if hard == resource.RLIM_INFINITY else min(hard, size + HEADROOM)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


RUNS = {"scenarios": 0, "sets": 0}


def assert_one_line(err: morale.ScenarioError) -> None:
    message = str(err)
    assert message.strip(), "an empty ScenarioError"
    assert "\n" not in message, message


def check(spec, overrides: list[str] | None, counter: str) -> None:
    """Refused in one line, or (for the first MAX_RUNS valid examples) run with sound counts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a --set outside the range runs with a warning
        try:
            morale.load_scenario(spec, overrides)
        except morale.ScenarioError as err:
            assert_one_line(err)
            return
        if RUNS[counter] >= MAX_RUNS:
            return
        RUNS[counter] += 1
        try:
            with limited_memory():
                run = morale.run(spec, seed=0, scale=SCALE, end=END, overrides=overrides, check=True)
        except morale.ScenarioError as err:  # refused when the run is set up (a memory cap, say)
            assert_one_line(err)
            return
    bad = [c for c in PERSONS if c in run.series.columns
           and not (np.isfinite(run.series[c]).all() and (run.series[c] >= 0).all())]
    assert not bad, f"counts of persons not finite or below 0: {bad}"
    assert_conserved(run)


@PROFILE
@given(mutations())
def test_any_scenario_is_refused_in_one_line_or_runs_soundly(mutation):
    check(mutation.apply(), None, "scenarios")


@PROFILE
@given(set_strings())
def test_any_set_is_refused_in_one_line_or_runs_soundly(sets):
    check(BASE, sets, "sets")


def test_the_generators_reach_valid_scenarios():
    """The harness is sound: the unmutated base scenario validates and is what the examples start from."""
    scenario = morale.load_scenario(copy.deepcopy(BASE))
    assert scenario.scale == SCALE and scenario.end == END
    assert len(PARAMS) > 200 and SWITCHES and CHOICES
