"""The command line on bad input: one line, exit 2, no traceback, nothing written; and one real small run.

The real run also checks the run folder: its files, refusal to overwrite without --force, that its
scenario.toml loads back to the same scenario, and the conservation identity on its series.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import morale
from morale.cli import app

RUNNER = CliRunner()
MORALE = Path(sys.executable).with_name("morale")
STATUSES = ["civilians", "serving", "emigrated", "imprisoned", "jailed", "dead", "aged_out"]
RUN_FILES = ["manifest.json", "scenario.toml", "series.parquet", "by_stream.parquet", "by_region.parquet",
             "events.parquet", "report.html"]
SMALL_RUN = ["run", "russia-2022", "--scale", "500", "--end", "2022-06-30"]


def invoke(*args: str):
    return RUNNER.invoke(app, list(args))


def assert_user_error(result, *mentions: str) -> None:
    """Exit 2, one `error:` line naming what was wrong, no traceback."""
    output = result.output
    assert result.exit_code == 2, (result.exit_code, output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in output, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    for mention in mentions:
        assert mention in errors[0], f"{mention!r} not in: {errors[0]}"


@pytest.fixture
def bad_scenario(tmp_path) -> Path:
    path = tmp_path / "bad.toml"
    path.write_text('extends = "russia-2022"\n[combat]\nintensty = 0.05\n', encoding="utf-8")
    return path


RUN_ERRORS = {
    "bad-scenario-file": ([], ("bad.toml", "combat.intensty", "did you mean 'combat.intensity'")),
    "missing-scenario-file": (["nowhere.toml"], ("nowhere.toml", "no such scenario")),
    "set-unknown-path": (["russia-2022", "--set", "unknown.path=1"], ("--set", "unknown.path")),
    "set-without-equals": (["russia-2022", "--set", "combat.intensity"], ("--set", "PATH=VALUE")),
    "set-outside-bounds": (["russia-2022", "--set", "combat.captured_share=5.0"], ("combat.captured_share", "5",
                                                                                  "expected a share in [0, 1]")),
    "end-not-a-date": (["russia-2022", "--end", "2022-13-45"], ("--end", "2022-13-45", "YYYY-MM-DD")),
    "end-before-start": (["russia-2022", "--end", "2021-01-01"], ("end", "2021-01-01", "start")),
    "scale-zero": (["russia-2022", "--scale", "0"], ("--scale", "got 0", "between 1 and 10000")),
    "scale-negative": (["russia-2022", "--scale", "-5"], ("--scale", "-5", "between 1 and 10000")),
    "scale-too-large": (["russia-2022", "--scale", "20000"], ("--scale", "20000")),
    "seed-negative": (["russia-2022", "--seed", "-1"], ("seed", "-1")),
}


@pytest.mark.parametrize("case", list(RUN_ERRORS), ids=list(RUN_ERRORS))
def test_run_with_bad_input_exits_2_and_writes_nothing(tmp_path, bad_scenario, case):
    args, mentions = RUN_ERRORS[case]
    args = args or [str(bad_scenario)]
    out = tmp_path / "out"
    result = invoke("run", *args, "--out", str(out))
    assert_user_error(result, *mentions)
    assert not out.exists()


def test_run_with_bad_option_values_is_a_usage_error(tmp_path):
    """Values click rejects itself (not a number, negative replicate) also exit 2 without a traceback."""
    out = tmp_path / "out"
    for args in (["--scale", "abc"], ["--replicate", "-1"], ["--seed", "x"]):
        result = invoke("run", "russia-2022", *args, "--out", str(out))
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output and args[0] in result.output
    assert not out.exists()


def test_show_missing_scenario():
    assert_user_error(invoke("show", "no-such-scenario"), "no-such-scenario", "no such scenario")


def test_show_misspelt_builtin_suggests_it():
    assert_user_error(invoke("show", "russia-2021"), "russia-2021", "did you mean the built-in 'russia-2022'")


def test_show_bad_set():
    assert_user_error(invoke("show", "--set", "combat.intensty=1"), "--set", "combat.intensty", "did you mean")


def test_validate_unknown_pattern():
    assert_user_error(invoke("validate", "--only", "F99"), "--only", "F99")


def test_validate_bad_scale_and_end():
    assert_user_error(invoke("validate", "--only", "F3", "--scale", "0"), "--scale")
    assert_user_error(invoke("validate", "--only", "F3", "--end", "2022-13-45"), "--end", "2022-13-45")


def test_report_of_a_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "stuff.txt").write_text("not a run", encoding="utf-8")
    assert_user_error(invoke("report", str(tmp_path)), str(tmp_path), "expected a run or experiment folder")
    assert not (tmp_path / "report.html").exists()


def test_report_of_a_missing_folder(tmp_path):
    assert_user_error(invoke("report", str(tmp_path / "nowhere")), "nowhere", "expected a run or experiment folder")
    assert not (tmp_path / "nowhere").exists()


@pytest.mark.skipif(not MORALE.exists(), reason="the morale console script is not installed next to python")
@pytest.mark.parametrize("args, mention", [
    (["run", "russia-2022", "--set", "unknown.path=1"], "unknown.path"),
    (["run", "russia-2022", "--end", "2022-13-45"], "2022-13-45"),
])
def test_console_script_prints_one_line_to_stderr(tmp_path, args, mention):
    out = tmp_path / "out"
    proc = subprocess.run([str(MORALE), *args, "--out", str(out)], capture_output=True, text=True, timeout=60,
                          cwd=tmp_path, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and mention in lines[0], proc.stderr
    assert not out.exists()


# a real small run, shared by the tests below


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("cli-run") / "r"
    result = invoke(*SMALL_RUN, "--out", str(folder))
    assert result.exit_code == 0, (result.output, result.exception)
    assert "Traceback" not in result.output
    return folder


def test_run_writes_the_run_folder(run_folder):
    for name in RUN_FILES:
        assert (run_folder / name).is_file(), name
        assert (run_folder / name).stat().st_size > 0, name


def test_run_refuses_to_overwrite_without_force_then_overwrites_with_it(run_folder):
    before = {name: (run_folder / name).stat().st_mtime_ns for name in RUN_FILES}
    result = invoke(*SMALL_RUN, "--out", str(run_folder))
    assert_user_error(result, str(run_folder), "--force")
    assert {name: (run_folder / name).stat().st_mtime_ns for name in RUN_FILES} == before
    assert sorted(p.name for p in run_folder.iterdir()) == sorted(RUN_FILES)

    result = invoke(*SMALL_RUN, "--out", str(run_folder), "--force")
    assert result.exit_code == 0, (result.output, result.exception)
    assert (run_folder / "manifest.json").stat().st_mtime_ns >= before["manifest.json"]
    for name in RUN_FILES:
        assert (run_folder / name).is_file(), name


def test_report_rebuilds_from_the_run_folder(run_folder):
    result = invoke("report", str(run_folder))
    assert result.exit_code == 0, (result.output, result.exception)
    assert (run_folder / "report.html").stat().st_size > 0


def test_scenario_toml_in_the_run_folder_loads_back_equal(run_folder):
    saved = morale.load_scenario(run_folder / "scenario.toml")
    expected = morale.load_scenario("russia-2022").model_copy(deep=True)
    expected = morale.load_scenario({**expected.model_dump(mode="python"), "scale": 500, "end": "2022-06-30"})
    assert saved.model_dump(mode="python") == expected.model_dump(mode="python")
    again = morale.load_scenario(saved)
    assert again.model_dump(mode="python") == saved.model_dump(mode="python")


def test_run_series_conserves_persons(run_folder):
    series = pd.read_parquet(run_folder / "series.parquet")
    assert len(series) > 10
    np.testing.assert_allclose(series[STATUSES].sum(axis=1), series["persons_created"], rtol=0, atol=1e-6)
    locations = [c for c in series.columns if c.startswith("soldiers_")]
    np.testing.assert_allclose(series[locations].sum(axis=1), series["serving"], rtol=0, atol=1e-6)
