"""The dashboard's Scenario page without a browser (Streamlit's AppTest), and `morale dashboard`'s flags.

Runs are small (scale 500, four months) so each takes seconds. Most go in the test's own process
(`MORALE_DASHBOARD_IN_PROCESS`); one test drives the warm worker process, including a cancel. Nothing waits
on a clock: a worker's run is awaited on its job's state, with a generous bound.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

import morale
from morale.cli import app
from morale.dashboard import session, tilemap
from morale.dashboard.request import RunRequest
from morale.dashboard.scenariofile import scenario_file
from morale.dashboard.worker import execute
from morale.engine.regions import load_regions
from morale.scenario import metadata
from morale.scenario.transfer import OTHER_WARS

DASHBOARD = Path(morale.__file__).parent / "dashboard"
PAGE = DASHBOARD / "screens" / "scenario.py"
END = dt.date(2022, 6, 30)
INTENSITY = "param|russia-2022|combat.intensity"
WAIT_SECONDS = 600  # a bound on waiting for the worker, never a synchronisation


@pytest.fixture
def in_process(monkeypatch):
    monkeypatch.setenv(session.IN_PROCESS, "1")


def opened(path: Path = PAGE) -> AppTest:
    at = AppTest.from_file(str(path), default_timeout=300)
    at.run()
    assert_clean(at)
    return at


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def small(at: AppTest, scenario: str = "russia-2022", end: dt.date = END) -> AppTest:
    at.number_input(key="scale").set_value(500.0)
    at.date_input(key=f"end|{scenario}").set_value(end)
    return at.run()


def outcome(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def shown_run(at: AppTest):
    """The run whose results the page shows (the last one kept)."""
    return next(reversed(at.session_state["results"].values())).run


def test_app_and_page_load_without_errors(in_process):
    assert opened(DASHBOARD / "app.py").title[0].value == "Scenario"  # pages whose file is missing are skipped
    at = opened()
    assert [b.label for b in at.button if b.key == "run"] == ["Run"]
    assert any("Press Run" in i.value for i in at.info)
    assert not at.metric  # nothing run, nothing shown


def test_controls_keep_to_legal_bounds_and_mark_the_range(in_process):
    at = opened()
    censorship = at.number_input(key="param|russia-2022|information.censorship")
    assert (censorship.min, censorship.max) == metadata.meta("information.censorship").bounds
    param = morale.load_scenario("russia-2022").information.censorship
    assert f"range {param.range[0]:g}..{param.range[1]:g}" in censorship.label
    assert param.source in censorship.help
    censorship.set_value(1.7).run()  # past the bound: the widget keeps its value, nothing is pinned
    assert at.number_input(key="param|russia-2022|information.censorship").value == param.value
    assert at.session_state["changes"]["russia-2022"] == {}
    assert "--set" not in at.code[0].value


def test_change_run_cache_and_never_a_stale_result(in_process):
    at = small(opened())
    at.button(key="run").click().run()
    assert_clean(at)
    first = outcome(at)
    assert first and len(at.session_state["results"]) == 1
    at.number_input(key=INTENSITY).set_value(0.2).run()  # the key changes: the old result is not shown
    assert not at.metric and any("Press Run" in i.value for i in at.info)
    assert "--set combat.intensity=0.2" in at.code[0].value
    assert any("set combat.intensity = 0.2" in c.value for c in at.caption)
    at.button(key="run").click().run()
    assert_clean(at)
    changed = outcome(at)
    assert changed["killed"] != first["killed"]
    at.button(key="undo|russia-2022|combat.intensity").click().run()  # back: the kept result, no new run
    assert outcome(at) == first and len(at.session_state["results"]) == 2
    assert at.button(key="run").disabled


def _undo_drawn_before_its_control():
    import streamlit as st

    import morale
    from morale.dashboard import controls

    control = next(c for c in controls.controls(morale.load_scenario("russia-2022"))["combat"]
                   if c.path == "combat.intensity")
    changes = st.session_state.setdefault("changes", {})
    st.button("undo", key="undo", on_click=controls.forget, args=("russia-2022", control.path, changes))
    controls.draw(control, "combat", "russia-2022", changes)


def test_an_edit_and_its_undo_in_one_rerun_leave_the_undo():
    """Found in Chromium on a loaded machine: the undo's callback ran first and the edit's then raised KeyError."""
    at = AppTest.from_function(_undo_drawn_before_its_control, default_timeout=60)
    at.run()
    at.number_input(key=INTENSITY).set_value(0.2).run()
    assert at.session_state["changes"] == {"combat.intensity": 0.2}
    at.number_input(key=INTENSITY).set_value(0.3)
    at.button(key="undo").click().run()
    assert_clean(at)
    assert at.session_state["changes"] == {}
    assert at.number_input(key=INTENSITY).value == morale.load_scenario("russia-2022").combat.intensity.value


def test_command_line_and_toml_file_reproduce_the_page_run(in_process, tmp_path):
    at = small(opened())
    at.number_input(key="param|russia-2022|pay.monthly_pay").set_value(300000.0).run()
    at.session_state["timeline|russia-2022"] = {
        "edited_rows": {0: {"on": False}}, "deleted_rows": [],
        "added_rows": [{"date": "2022-04-01", "target": "combat.intensity", "value": "0.06", "on": True}]}
    at.run()
    assert any("range" in w.value for w in at.warning)  # 300000 is outside the range: it runs, with a warning
    at.button(key="run").click().run()
    assert_clean(at)
    page_run = shown_run(at)
    command = at.code[0].value
    assert "--set pay.monthly_pay=300000" in command and "--event 2022-04-01:combat.intensity=0.06" in command
    assert "--drop-event pmc-convicts-start" in command

    words = command.split()[1:]  # no quoting needed for these values
    result = CliRunner().invoke(app, [*words, "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert_same_run(tmp_path / "cli", page_run)

    base = morale.load_scenario("russia-2022")
    toml = tmp_path / "shared.toml"
    toml.write_text(scenario_file(base, page_run.scenario, "russia-2022"), encoding="utf-8")
    assert toml.read_text().count("\n") < 80  # only the changes, extending the built-in
    result = CliRunner().invoke(app, ["run", str(toml), "--seed", "0", "--out", str(tmp_path / "toml")])
    assert result.exit_code == 0, result.output
    assert_same_run(tmp_path / "toml", page_run)


def assert_same_run(folder: Path, page_run) -> None:
    """Bit for bit: the weekly series and the breakdowns by stream and by region."""
    series = pd.read_parquet(folder / "series.parquet").set_index("date")
    pd.testing.assert_frame_equal(series, page_run.series, check_exact=True, check_freq=False,
                                  check_index_type=False, check_names=False)
    for name, frame in (("by_stream", page_run.by_stream), ("by_region", page_run.by_region)):
        pd.testing.assert_frame_equal(pd.read_parquet(folder / f"{name}.parquet"), frame, check_exact=True)
    assert morale.load_scenario(str(folder / "scenario.toml")) == page_run.scenario
    assert json.loads((folder / "manifest.json").read_text())["scale"] == 500


def test_charts_downloads_and_the_map(in_process):
    at = small(opened())
    at.button(key="run").click().run()
    assert_clean(at)
    plots = at.get("plotly_chart")
    assert len(plots) == 9  # eight charts and the map of the 85 regions
    for plot in plots:
        assert json.loads(plot.proto.config)["toImageButtonOptions"]["format"] == "png"
    assert len([d for d in at.get("download_button") if d.proto.label.endswith(".csv")]) == 9
    placed = tilemap.place(list(load_regions().codes))
    assert len(set(placed.values())) == 85 and set(placed) == set(tilemap.layout())


def test_a_one_region_scenario_shows_no_map(in_process):
    at = opened()
    at.selectbox(key="builtin").set_value("ussr-1942").run()
    small(at, "ussr-1942", dt.date(1942, 9, 30))
    at.button(key="run").click().run()
    assert_clean(at)
    assert any("one region" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 8


@pytest.mark.parametrize("war", OTHER_WARS)
def test_the_other_wars_run_from_the_page(in_process, war):
    """Issue 16: each war runs from the dashboard as from the command line (a short horizon, a coarse scale)."""
    at = opened()
    at.selectbox(key="builtin").set_value(war).run()
    start = morale.load_scenario(war).start
    at.number_input(key="scale").set_value(2000.0)
    at.date_input(key=f"end|{war}").set_value(start + dt.timedelta(days=180)).run()
    at.button(key="run").click().run()
    assert_clean(at)
    assert outcome(at) and shown_run(at).scenario.name == war


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("bad.toml", 'extends = "russia-2022"\n[combat]\nintensity = -1\n', "combat.intensity: value -1.0 lies outside"),
    ("broken.toml", "extends = \n", "not valid TOML"),
    ("huge.toml", "# " + "x" * 300_000 + "\n", "expected a scenario file of at most 256 KB"),
])
def test_an_invalid_upload_shows_the_schema_error(in_process, tmp_path, name, text, expected):
    at = opened()
    at.radio(key="origin").set_value("upload a TOML file").run()
    at.file_uploader(key="upload").set_value((name, text.encode(), "application/toml")).run()
    assert not at.exception
    assert len(at.error) == 1 and "\n" not in at.error[0].value
    assert at.error[0].value.startswith(f"error: {name}: ") and expected in at.error[0].value
    if name != "huge.toml":  # the command line says the same of the same file
        (tmp_path / name).write_text(text, encoding="utf-8")
        said = CliRunner().invoke(app, ["show", str(tmp_path / name)]).output.strip()
        assert said == at.error[0].value.replace(f"error: {name}", f"error: {tmp_path / name}", 1)


def test_the_worker_process_runs_and_cancels(monkeypatch):
    monkeypatch.delenv(session.IN_PROCESS, raising=False)
    at = opened()
    at.number_input(key="scale").set_value(20.0)
    at.date_input(key="end|russia-2022").set_value(dt.date(2032, 12, 31))
    at.run()
    at.button(key="run").click().run()
    key, long_job = at.session_state["job"]
    assert [b.label for b in at.button if b.key == "cancel"] == ["Cancel"]
    at.button(key="cancel").click().run()  # terminates the worker and starts a fresh one
    assert long_job.state == "cancelled" and "job" not in at.session_state and not at.metric

    small(at).button(key="run").click().run()
    if "job" in at.session_state:  # a small run may already be done and collected by the rerun's end
        _, job = at.session_state["job"]
        session.runner().wait(job, WAIT_SECONDS)
        assert job.state == "done", job.error
        at.run()
    assert "run_error" not in at.session_state, at.session_state["run_error"]
    assert_clean(at)
    assert outcome(at)
    expected = execute(RunRequest("russia-2022", "russia-2022", 0, 500.0, END.isoformat()), lambda *_: None)
    pd.testing.assert_frame_equal(shown_run(at).series, expected.series, check_exact=True)


@pytest.mark.parametrize("port", ["0", "70000"])
def test_dashboard_refuses_a_bad_port_in_one_line(port):
    result = CliRunner().invoke(app, ["dashboard", "--port", port])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: --port: got {port}; expected a port number from 1 to 65535"
