"""Conditions on synthetic weekly series: each grammar form against a hand-computed answer, and the errors."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from morale.engine.recorder import SERIES
from morale.experiments.conditions import NAMED, Condition, ConditionError, mark_runs, parse_condition
from morale.experiments.outcomes import parse_outcome

WEEKS = pd.date_range("2022-01-02", "2025-12-28", freq="W-SUN")  # 52 + 53 + 52 + 52 Sundays


def run(failed_weeks: slice = slice(0, 0)) -> pd.DataFrame:
    """10 killed and 4 recruits a week; 1 of them on contract in 2022, 3 after; 1000 at the front until 2023,
    900 from 2024, against a demand of 950."""
    frame = pd.DataFrame({"killed": 10.0, "recruits": 4.0, "recruits_contract": 3.0, "soldiers_front": 1000.0,
                          "front_demand": 950.0, "requirement_failed": 0.0}, index=WEEKS)
    frame.loc["2022", "recruits_contract"] = 1.0
    frame.loc["2024":, "soldiers_front"] = 900.0
    frame.iloc[failed_weeks, frame.columns.get_loc("requirement_failed")] = 1.0
    return frame


KINDS = {name: SERIES[name][0] for name in run().columns}


def holds(text: str, frame: pd.DataFrame | None = None) -> bool:
    return parse_condition(text).evaluate(run() if frame is None else frame, KINDS)


def test_frame_layout():
    assert [len(run().loc[str(year)]) for year in range(2022, 2026)] == [52, 53, 52, 52]
    assert KINDS["killed"] == "flow" and KINDS["soldiers_front"] == "stock"


@pytest.mark.parametrize("text, expected", [
    # bare names: a flow's total (10 x 209 weeks), a stock's last value
    ("killed == 2090", True),
    ("killed > 2090", False),
    ("soldiers_front == 900", True),
    # X@DATE: a flow's cumulative sum to that week, a stock's value in it
    ("killed@2022-12-31 == 520", True),
    ("killed@2023 == 1050", True),
    ("soldiers_front@2023-12-31 == 1000", True),
    # reducers over a series, over the run, a year, a year range, ISO dates
    ("sum(killed) == 2090", True),
    ("sum(killed, 2023) == 530", True),
    ("sum(killed, 2023:2024) == 1050", True),
    ("max(soldiers_front, 2024:2025) == 900", True),
    ("min(soldiers_front, 2023-06-01:2024-03-31) == 900", True),
    ("max(soldiers_front, 2023-06-01:2024-03-31) == 1000", True),
    ("sum(killed, :2022) == 520", True),
    # arithmetic inside a reducer, week by week, then reduced over the window
    ("min(soldiers_front - front_demand, 2022:2023) == 50", True),
    ("min(soldiers_front - front_demand, 2025:2025) < 0", True),
    ("mean(recruits_contract / recruits, 2022) == 0.25", True),
    ("mean(recruits_contract / recruits, 2024) == 0.75", True),
    ("max((soldiers_front - front_demand) * 2 + -1) == 99", True),
    ("sum(-killed, 2022) == -520", True),
    # numbers with underscores and exponents, on either side, chained
    ("min(soldiers_front - front_demand) > -50_000", True),
    ("killed < 5e4", True),
    ("2000 < killed <= 2090", True),
    ("killed != 2090", False),
    # division by zero is NaN for the week; a NaN comparison is false, even !=
    ("max(killed / 0) > 0", False),
    ("max(killed / 0) != 0", False),
    ("not max(killed / (recruits - 4)) > 0", True),
    # boolean precedence: not > and > or
    ("killed > 0 or killed < 0 and killed < 0", True),
    ("(killed > 0 or killed < 0) and killed < 0", False),
    ("not killed < 0 and killed < 0", False),
    ("not (killed < 0 and killed < 0)", True),
    ("not not killed > 0", True),
])
def test_grammar_forms(text, expected):
    assert holds(text) is expected


def test_named_requirement_failed():
    assert not holds("requirement_failed")
    failed = run(slice(60, 80))  # failed for some weeks of 2023, recovered by the end
    assert holds("requirement_failed", failed)
    assert not holds("requirement_failed >= 1", failed)  # the bare series is its last week's flag
    assert holds("requirement_failed and max(killed) > 5", failed)
    assert not holds("requirement_failed and max(killed) > 1000", failed)
    assert holds("not requirement_failed or killed > 0", failed)
    assert "requirement_failed" in NAMED and all(isinstance(d, str) and d for _, d in NAMED.values())


@pytest.mark.parametrize("outcome", ["killed", "soldiers_front", "killed@2023-07-01", "soldiers_front@2024",
                                     "sum(recruits_contract, 2022)", "mean(soldiers_front, 2023:2024)",
                                     "max(killed, 2022-03-01:2022-05-31)"])
@pytest.mark.parametrize("threshold", [0, 520, 950, 1000, 2090])
def test_agrees_with_the_outcome(outcome, threshold):
    value = parse_outcome(outcome).evaluate(run(), KINDS)
    assert holds(f"{outcome} > {threshold}") is (value > threshold)
    assert holds(f"{outcome} == {threshold}") is (value == threshold)


def test_series_names_and_text():
    condition = parse_condition("  min(soldiers_front - front_demand, 2025) < 0 and killed@2024 > 1 or "
                                "requirement_failed  ")
    assert isinstance(condition, Condition)
    assert condition.text.startswith("min(") and condition.text.endswith("requirement_failed")
    assert condition.series_names() == ["soldiers_front", "front_demand", "killed", "requirement_failed"]
    assert condition.evaluate(run()[condition.series_names()], KINDS)


def test_known_names():
    frame = pd.DataFrame({"y": [1.0, 3.0]}, index=WEEKS[:2])
    assert parse_condition("max(y * 2) == 6", known=["y"]).evaluate(frame, {})
    with pytest.raises(ConditionError, match="no series 'killed'"):
        parse_condition("killed > 0", known=["y"])


def test_mark_runs():
    marks = mark_runs(parse_condition("requirement_failed"), [("a", run()), ("b", run(slice(0, 13)))], KINDS)
    assert marks.dtype == bool and marks.to_dict() == {"a": False, "b": True}


@pytest.mark.parametrize("text, part", [
    ("min(soldiers_frnt, 2025:2030) < 0", "no series 'soldiers_frnt'; expected a series `morale series` lists; "
                                          "did you mean 'soldiers_front'?"),
    ("mean(recruits_contract / recruit, 2024) > 0.5", "no series 'recruit'"),
    ("kiled@2025 > 3", "no series 'kiled'"),
    ("mx(killed) > 1", "unknown function 'mx'; expected one of sum, mean, max, min; did you mean 'max'?"),
    ("requirment_failed", "no named condition 'requirment_failed'"),
    ("max(killed)", "'max(killed)' is not a condition; expected a comparison"),
    ("killed", "'killed' is not a condition"),
    ("max(killed) > 5 and 3", "'3' is not a condition"),
    ("1 and 2", "'1' is not a condition"),
    ("sum(killed, 20x5) > 1", "got '20x5'; expected a year YYYY or a date YYYY-MM-DD"),
    ("sum(killed, 2025:2024) > 1", "window ends before it starts"),
    ("sum(killed, ) > 1", "empty window"),
    ("sum(killed, 2023, 2024) > 0", "sum(killed, 2023, 2024)"),
    ("max(killed) > 5 foo", "cannot read it from 'foo' on"),
    ("max(killed) > 5 and", "ends too early"),
    ("(max(killed) > 5", "2 '(' but 1 ')'"),
    ("killed - 1 > 0", "arithmetic outside a reducer: 'killed - 1'"),
    ("sum(max(killed)) > 0", "unexpected 'max(killed)' in a reducer"),
    ("sum(killed ** 2) > 0", "unexpected 'killed ** 2'"),
    ("killed in 3", "unexpected comparison"),
    ("True > 0", "unexpected 'True'"),
    ("'x' > 0", "unexpected \"'x'\""),
    ("   ", "empty"),
])
def test_errors(text, part):
    with pytest.raises(ConditionError) as caught:
        parse_condition(text)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"condition {text!r}:") and part in message


def test_check_dates():
    condition = parse_condition("min(soldiers_front - front_demand, 2025:2026) < 0 or killed@2024-06-30 > 0")
    condition.check_dates(dt.date(2022, 1, 1), dt.date(2026, 12, 31))
    with pytest.raises(ConditionError, match=r"window ends 2026-12-31, after the run's end") as caught:
        condition.check_dates(dt.date(2022, 1, 1), dt.date(2025, 12, 31))
    assert "min(soldiers_front - front_demand, 2025:2026)" in str(caught.value)
    with pytest.raises(ConditionError, match="after the run's end"):
        parse_condition("killed@2024-06-30 > 0").check_dates(dt.date(2022, 1, 1), dt.date(2023, 12, 31))
    parse_condition("sum(killed, 2022) > 0").check_dates(dt.date(2022, 2, 24), dt.date(2023, 12, 31))


@pytest.mark.parametrize("text", ["__import__('os').system('x') > 0", "__import__('os') > 0", "killed.real > 0",
                                  "().__class__ > 0", "max(killed).__class__ > 0", "(lambda: 1)() > 0",
                                  "[x for x in ()] > 0", "max(open('f')) > 0"])
def test_runs_no_code(text, monkeypatch):
    monkeypatch.setattr("os.system", lambda *_: pytest.fail("os.system called"))
    with pytest.raises(ConditionError):
        parse_condition(text)


def test_missing_column_is_an_error():
    with pytest.raises(ConditionError, match="the run has no series front_demand"):
        parse_condition("min(soldiers_front - front_demand) < 0").evaluate(run()[["soldiers_front"]], KINDS)
    assert np.isnan(parse_outcome("max(killed, 2022)").evaluate(run().loc["2023":], KINDS))
    assert not holds("max(killed, 2022) > 0", run().loc["2023":])  # an empty window: NaN, so false
