"""Malformed scenarios: every one raises ScenarioError with one line naming the file, the field and the problem.

Each case is a small TOML file that extends the default scenario and breaks one thing, or a whole-file problem
(bad TOML, an `extends` cycle, a missing parent, a missing file). No other exception type may escape.
"""

from __future__ import annotations

import re

import pytest

from morale.scenario.loader import RangeWarning, ScenarioError, load_scenario

BASE = 'extends = "russia-2022"\n'
# the default scenario is recalibrated from time to time: indices, ranges and dates are read from it
DEFAULT = load_scenario("russia-2022")
NEW = len(DEFAULT.events)  # index of an event a child adds
PAY_2024 = next(i for i, e in enumerate(DEFAULT.events) if e.id == "pay-2024")
LO, HI = DEFAULT.combat.intensity.range
START = str(DEFAULT.start)
HORIZON_END = str(DEFAULT.start.replace(year=DEFAULT.start.year + 30))


def _event(target: str = "combat.intensity", date: str = "2023-01-01", value: str = "0.05") -> str:
    return f'[[events]]\ndate = {date}\ntarget = "{target}"\nvalue = {value}\nsource = "test"\n'


# id: (body after `extends`, dotted field the message must name, further fragments it must contain)
CASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "wrong-type-string-for-param": ('[combat]\nintensity = "high"\n', "combat.intensity", ("'high'", "expected")),
    "wrong-type-string-for-number": ('scale = "big"\n', "scale", ("'big'", "valid number")),
    "wrong-type-date": ('start = "yesterday"\n', "start", ("'yesterday'", "date")),
    "wrong-type-section-is-scalar": ("combat = 5\n", "combat", ("got 5", "expected")),
    "wrong-type-bool-switch-string": ('[policy]\nstop_loss = "maybe"\n', "policy.stop_loss", ("'maybe'", "boolean")),
    "wrong-type-bool-switch-number": ("[policy]\nstop_loss = 2\n", "policy.stop_loss", ("got 2", "boolean")),
    "wrong-type-events-table": ('[events]\nid = "x"\n', "events", ("expected", "list")),
    "wrong-type-events-scalars": ("events = [1]\n", "events.0", ("got 1", "expected")),
    "unknown-top-level-key": ("sclae = 5\n", "sclae", ("unknown field", "did you mean 'scale'")),
    "unknown-nested-key": ("[combat]\nintensty = 0.05\n", "combat.intensty",
                           ("unknown field", "did you mean 'combat.intensity'")),
    "unknown-section": ("[combatt]\nintensity = 0.05\n", "combatt", ("did you mean 'combat'",)),
    "unknown-key-in-param-table": (
        '[combat]\nintensity = { value = 0.05, rnage = [0.04, 0.06], source = "x" }\n',
        "combat.intensity.rnage", ("did you mean 'combat.intensity.range'",)),
    "unknown-key-in-per-stream": ("[combat.assault_share]\nconscripts = 0.1\n", "combat.assault_share.conscripts",
                                  ("did you mean 'combat.assault_share.conscript'",)),
    "range-lo-above-hi": ('[combat]\nintensity = { value = 0.05, range = [0.06, 0.04], source = "x" }\n',
                          "combat.intensity", ("0.06", "0.04", "low <= high")),
    "range-lo-above-hi-partial-table": ("[combat.intensity]\nrange = [0.06, 0.04]\n", "combat.intensity",
                                        ("0.06", "0.04", "low <= high")),
    "value-outside-range": ('[combat]\nintensity = { value = 0.5, range = [0.04, 0.06], source = "x" }\n',
                            "combat.intensity", ("0.5", "[0.04, 0.06]")),
    "bare-value-outside-inherited-range": ("[combat]\nintensity = 5.0\n", "combat.intensity",
                                           ("5.0", f"[{LO}, {HI}]")),
    "unknown-dist": ('[combat]\nintensity = { value = 0.05, range = [0.04, 0.06], dist = "gamma", source = "x" }\n',
                     "combat.intensity.dist", ("'gamma'", "uniform")),
    "empty-source": ('[combat]\nintensity = { value = 0.05, range = [0.04, 0.06], source = "" }\n',
                     "combat.intensity.source", ("''", "at least 1 character")),
    "event-unknown-target": (_event(target="combat.intensty"), f"events[{NEW}].target",
                             ("'combat.intensty'", "did you mean 'combat.intensity'")),
    "event-override-by-id-unknown-target": ('[[events]]\nid = "pay-2024"\ntarget = "pay.monthy_pay"\n',
                                            f"events[{PAY_2024}].target", ("did you mean 'pay.monthly_pay'",)),
    "event-target-is-a-block": (_event(target="combat.assault_share"), f"events[{NEW}].target",
                                ("'combat.assault_share'", "expected the path of a number or a policy switch")),
    "event-target-is-a-section": (_event(target="pay"), f"events[{NEW}].target",
                                  ("expected the path of a number or a policy switch",)),
    "event-unknown-key": (_event() + "enabeld = false\n", f"events.{NEW}.enabeld",
                          (f"did you mean 'events.{NEW}.enabled'",)),
    "event-missing-date": ('[[events]]\ntarget = "combat.intensity"\nvalue = 1\nsource = "x"\n', f"events.{NEW}.date",
                           ("missing",)),
    "event-date-before-start": (_event(date="2021-01-01"), f"events[{NEW}].date", ("2021-01-01", START)),
    "event-date-beyond-30-years": (_event(date="2060-01-01"), f"events[{NEW}].date", ("2060-01-01", HORIZON_END)),
    "end-before-start": ("end = 2021-01-01\n", "end", ("2021-01-01", f"after start {START}")),
    "end-beyond-30-years": ("end = 2060-01-01\n", "end", ("2060-01-01", "30 years")),
    "negative-callup-size": (
        '[recruitment.conscription]\ncallups = [{ start = 2022-04-01, end = 2022-07-15, size = -5, source = "x" }]\n',
        "recruitment.conscription.callups.0.size", ("-5", "greater than or equal to 0")),
    "negative-mobilisation-size": (
        '[recruitment]\nmobilisations = [{ start = 2022-09-21, end = 2022-10-28, size = -1, source = "x" }]\n',
        "recruitment.mobilisations.0.size", ("-1", "greater than or equal to 0")),
    "window-end-before-start": (
        '[recruitment]\nmobilisations = [{ start = 2022-10-28, end = 2022-09-21, size = 5, source = "x" }]\n',
        "recruitment.mobilisations.0", ("2022-09-21", "2022-10-28", "expected")),
    "scale-zero": ("scale = 0\n", "scale", ("got 0", "greater than or equal to 1")),
    "scale-too-large": ("scale = 20000\n", "scale", ("20000", "less than or equal to 10000")),
    "negative-seed": ("seed = -1\n", "seed", ("-1", "greater than or equal to 0")),
    "front-demand-negative": ("[deployment]\nfront_demand = [{ date = 2022-02-24, value = -1 }]\n",
                              "deployment.front_demand.0.value", ("-1", "greater than or equal to 0")),
    "front-demand-empty": ("[deployment]\nfront_demand = []\n", "deployment.front_demand", ("at least 1",)),
    "extends-not-a-string": ("", "extends", ("got 3", "scenario name or file path")),
}


def _check_message(message: str, file_label: str, field: str, fragments: tuple[str, ...]) -> None:
    field = re.sub(r"\.(\d+)", r"[\1]", field)  # list items are named as in TOML: events[3].value
    assert "\n" not in message, message
    assert message.startswith(file_label), message
    assert f" {field}:" in message or f" {field} " in message, f"field {field!r} not named: {message}"
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in: {message}"


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_malformed_scenario_is_one_line_naming_file_and_field(tmp_path, case):
    body, field, fragments = CASES[case]
    text = "extends = 3\n" if case == "extends-not-a-string" else BASE + body
    path = tmp_path / f"{case}.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    _check_message(str(info.value), str(path), field, fragments)


def test_bad_toml_syntax(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text(BASE + "[combat\nintensity = 1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert "not valid TOML" in message and "line 2" in message


def test_not_utf8_text(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(b"\xff\xfe\x00not text")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "\n" not in str(info.value) and str(info.value).startswith(str(path))


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_extends_cycle(tmp_path, relative):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'extends = "{"b.toml" if relative else b}"\n', encoding="utf-8")
    b.write_text(f'extends = "{"a.toml" if relative else a}"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(a)
    message = str(info.value)
    assert "\n" not in message and str(a) in message and str(b) in message
    assert "extends" in message and "cycle" in message


def test_extends_itself(tmp_path):
    path = tmp_path / "self.toml"
    path.write_text('extends = "self.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="cycle"):
        load_scenario(path)


def test_extends_a_missing_file_names_the_child_and_the_parent(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text('extends = "nope.toml"\n[combat]\nintensity = 0.05\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path))
    assert "extends" in message and "nope.toml" in message and "built-in" in message


def test_extends_a_misspelt_builtin_suggests_it(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text('extends = "russia-2021"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="did you mean the built-in 'russia-2022'"):
        load_scenario(path)


def test_missing_scenario_file(tmp_path):
    path = tmp_path / "missing.toml"
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(path)) and "no such scenario" in message


def test_error_in_a_parent_file_names_the_parent(tmp_path):
    parent, child = tmp_path / "parent.toml", tmp_path / "child.toml"
    parent.write_text(BASE + "[combat\n", encoding="utf-8")
    child.write_text('extends = "parent.toml"\n', encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    assert str(info.value).startswith(str(parent))


# --set overrides: (overrides, fragments the message must contain)
OVERRIDES: dict[str, tuple[list[str], tuple[str, ...]]] = {
    "unknown-path": (["combat.intensty=1"], ("--set", "combat.intensty", "did you mean 'combat.intensity'")),
    "unknown-top-level": (["unknown.path=1"], ("--set", "unknown.path", "'unknown'")),
    "below-a-number": (["combat.intensity.value.x=1"], ("--set", "combat.intensity.value.x", "'x'")),
    "without-equals": (["combat.intensity"], ("--set", "'combat.intensity'", "PATH=VALUE")),
    "empty-path": (["=1"], ("--set",)),
    "outside-bounds": (["combat.captured_share=1.5"], ("--set", "combat.captured_share", "1.5",
                                                        "expected a share in [0, 1]")),
    "not-finite": (["combat.intensity=nan"], ("--set", "combat.intensity", "nan", "expected a finite number")),
    "wrong-type": (["combat.intensity=abc"], ("--set", "combat.intensity", "'abc'")),
    "bool-switch-wrong-type": (["policy.stop_loss=maybe"], ("--set", "policy.stop_loss", "'maybe'", "boolean")),
    "bad-date": (["end=2022-13-45"], ("--set", "end", "2022-13-45")),
}


@pytest.mark.parametrize("case", list(OVERRIDES), ids=list(OVERRIDES))
def test_bad_override(case):
    overrides, fragments = OVERRIDES[case]
    with pytest.raises(ScenarioError) as info:
        load_scenario("russia-2022", overrides=overrides)
    message = str(info.value)
    assert "\n" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in: {message}"


def test_a_set_outside_the_range_but_within_bounds_warns_and_widens_the_range():
    """The range is uncertainty, not law: --set beyond it runs, with one RangeWarning."""
    with pytest.warns(RangeWarning, match=r"combat.intensity=5.0: outside its uncertainty range"):
        scenario = load_scenario("russia-2022", overrides=["combat.intensity=5.0"])
    assert scenario.combat.intensity.value == 5.0 and scenario.combat.intensity.range == (LO, 5.0)


def test_a_valid_child_loads(tmp_path):
    """The harness itself is sound: the same kind of file without the mistake loads."""
    path = tmp_path / "good.toml"
    middle = (LO + HI) / 2
    path.write_text(BASE + f'name = "good"\n[combat]\nintensity = {middle!r}\n' + _event(), encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "good" and scenario.combat.intensity.value == middle
    assert scenario.combat.intensity.range == (LO, HI)
    assert scenario.events[-1].target == "combat.intensity"
