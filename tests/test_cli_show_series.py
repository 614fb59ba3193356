"""`morale series` and `morale show` (--events, --grep, --json, --set): what they list, in what order, and
that piped output (CliRunner is not a terminal) is plain text with nothing cut short."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from morale.calibration.shipped import calibration_marks
from morale.cli import app
from morale.engine.recorder import SERIES
from morale.scenario import metadata
from morale.scenario.loader import load_scenario
from morale.scenario.schema import parameters

RUNNER = CliRunner()
ANSI = "\x1b["
ELLIPSIS = "…"


def invoke(*args: str):
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result


def cells(line: str) -> list[str]:
    """The cells of one line of an ASCII table ("| a | b |")."""
    return [c.strip() for c in line.strip().strip("|").split("|")]


def table_rows(text: str) -> list[list[str]]:
    """Every line of the table body as cells (a folded cell continues on the next lines)."""
    lines = [line for line in text.splitlines() if line.startswith("|") and set(line.strip()) - set("|-+")]
    return [cells(line) for line in lines[1:]]  # lines[0] is the header


def first_column(text: str) -> str:
    """The first column's text, folded pieces joined back together."""
    return "".join(row[0] for row in table_rows(text))


def json_rows(*args: str) -> list[dict]:
    return json.loads(invoke(*args, "--json").stdout)


# morale series


def test_series_lists_every_registered_series_with_kind_and_unit():
    text = invoke("series").stdout
    assert f"{len(SERIES)} series" in text
    rows = {row[0]: row for row in table_rows(text) if row[0]}
    assert set(SERIES) <= set(rows), set(SERIES) - set(rows)
    for name, spec in SERIES.items():
        assert spec.unit, name
        assert rows[name][1] == spec.kind, name
        assert rows[name][2] == spec.unit, (name, rows[name][2], spec.unit)
    names = [row[0] for row in table_rows(text) if row[0]]
    assert names == list(SERIES)  # registry order, each once


# morale show --events


def test_show_events_lists_the_12_events_in_date_order_with_ids():
    scenario = load_scenario("russia-2022")
    rows = json_rows("show", "russia-2022", "--events")
    assert len(rows) == len(scenario.events) == 12
    dates = [row["date"] for row in rows]
    assert dates == sorted(dates)
    ids = [row["id"] for row in rows]
    assert all(ids) and len(set(ids)) == 12
    assert ids == [e.id for e in sorted(scenario.events, key=lambda e: e.date)]
    assert {row["state"] for row in rows} == {"on"}
    text = invoke("show", "russia-2022", "--events").stdout
    assert "russia-2022: 12 events" in text
    listed = [row[0] for row in table_rows(text) if row[0]]
    assert listed == ids


def test_show_set_marks_the_federal_bonus_events_dropped():
    rows = json_rows("show", "russia-2022", "--set", "pay.federal_bonus=0", "--events")
    states = {row["id"]: row["state"] for row in rows}
    dropped = {i for i, state in states.items() if state != "on"}
    assert dropped == {"federal-bonus-2022", "federal-bonus-2024"}
    assert all(states[i] == "dropped by --set pay.federal_bonus" for i in dropped)
    text = invoke("show", "russia-2022", "--set", "pay.federal_bonus=0", "--events").stdout
    marked = [row[0] for row in table_rows(text) if row[0] and "dropped" in " ".join(row)]
    assert marked == ["federal-bonus-2022", "federal-bonus-2024"]


def test_show_drop_event_marks_it_dropped():
    rows = json_rows("show", "russia-2022", "--drop-event", "exit-ban", "--events")
    assert {row["id"]: row["state"] for row in rows if row["state"] != "on"} == {"exit-ban": "dropped by --drop-event"}


# morale show --grep, --json


def test_show_grep_keeps_only_rows_containing_the_text():
    every = json_rows("show", "russia-2022")
    rows = json_rows("show", "russia-2022", "--grep", "intensity")
    assert 0 < len(rows) < len(every)
    for row in rows:
        assert "intensity" in f"{row['parameter']} {row['source']}".lower(), row
    expected = [r["parameter"] for r in every if "intensity" in f"{r['parameter']} {r['source']}".lower()]
    assert [r["parameter"] for r in rows] == expected
    assert "combat.intensity" in expected
    text = invoke("show", "russia-2022", "--grep", "INTENSITY").stdout  # any case
    assert first_column(text) == "".join(expected)  # the same rows, in the same order, as the JSON's
    assert "pay.monthly_pay" not in text


def test_show_json_round_trips_parameter_values():
    scenario = load_scenario("russia-2022")
    found = parameters(scenario)
    rows = {row["parameter"]: row for row in json_rows("show", "russia-2022")}
    assert set(found) <= set(rows)
    for path in ("combat.intensity", "pay.monthly_pay", "army.initial_front", "mind.fire_probability",
                 "recruitment.contract.wage_elasticity", "emigration.base_weekly_hazard"):
        row, param = rows[path], found[path]
        assert row["value"] == param.value, path
        assert row["range"] == (None if param.range is None else list(param.range)), path
        assert row["dist"] == param.dist and row["source"] == param.source, path
        assert row["bounds"] == list(metadata.meta(path).bounds) and row["unit"] == metadata.meta(path).unit
        assert row["pinned"] is False
    # russia-2022 ships a calibrated sample, so its rows say what the calibration made of each parameter
    assert set(rows["combat.intensity"]) == {"parameter", "value", "range", "dist", "bounds", "unit", "pinned",
                                             "source", "calibration"}
    marks = calibration_marks("russia-2022")
    assert rows["deployment.front_demand_scale"]["calibration"] == marks["deployment.front_demand_scale"]
    assert marks["deployment.front_demand_scale"].startswith("pinned ")
    assert rows["start"]["value"] == str(scenario.start)


def test_show_json_marks_a_pinned_parameter():
    result = RUNNER.invoke(app, ["show", "russia-2022", "--set", "pay.federal_bonus=0", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["parameter"]: row for row in json.loads(result.stdout)}  # warnings go to stderr only
    assert rows["pay.federal_bonus"]["pinned"] is True and rows["pay.federal_bonus"]["value"] == 0
    assert [p for p, row in rows.items() if row["pinned"]] == ["pay.federal_bonus"]
    assert len(result.stderr.splitlines()) == 2


# piped output: plain text, nothing cut


@pytest.mark.parametrize("args", [["series"], ["show", "russia-2022"], ["show", "russia-2022", "--events"],
                                  ["show", "russia-2022", "--set", "pay.federal_bonus=0", "--events"],
                                  ["scenarios"]], ids=["series", "show", "events", "events-set", "scenarios"])
def test_piped_output_is_plain_and_uncut(args):
    result = invoke(*args)
    assert ANSI not in result.output, repr(result.output[:200])
    assert ELLIPSIS not in result.output
    assert not any(ch in result.output for ch in "━┃┏┡│"), "box drawing in piped output"


def test_piped_show_keeps_every_long_parameter_name_whole():
    text = invoke("show", "russia-2022").stdout
    joined = first_column(text)
    longest = sorted(parameters(load_scenario("russia-2022")), key=len)[-10:]
    for path in longest:
        assert path in joined, path


def test_piped_series_keeps_every_name_and_meaning_whole():
    text = invoke("series").stdout
    meanings = "".join("".join(row[3].split()) for row in table_rows(text))  # folded pieces, spaces dropped
    for name, spec in SERIES.items():
        assert name in text, name
        assert "".join(spec.meaning.split()) in meanings, name
