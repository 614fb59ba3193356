"""`morale discover` on a real (small) sweep folder: the marks are the condition read from each run's own
series, PRIM finds the parameter that drives the outcome, everything is written, bad input is one line."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from morale.cli import app
from morale.experiments.discovery import discover, mark
from morale.experiments.ensemble import ensemble
from morale.experiments.store import ExperimentFolderError, read_run_series
from morale.experiments.sweep import sweep

END = "2022-12-29"
FILES = ("marks.parquet", "trajectory.parquet", "box.parquet", "stability.parquet", "leaves.parquet", "tree.txt",
         "trajectory.png", "pairs.png", "tree.png", "report.html", "discovery.json", "manifest.json")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    folder = tmp_path_factory.mktemp("discover") / "sweep"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sweep("russia-2022", params=["combat.intensity", "pay.monthly_pay"], design="lhs", samples=40, runs=1,
              scale=2000, end=END, outcomes=["killed"], out=folder, scheduler="inprocess")
    keys = mark(folder, "killed > 0")["key"]
    killed = {key: read_run_series(folder, key, ["killed"])["killed"].sum() for key in keys}
    return folder, float(np.median(list(killed.values()))), killed


def test_marks_are_the_condition_on_each_runs_own_series(swept):
    folder, median, killed = swept
    marks = mark(folder, f"killed > {median}")
    assert len(marks) == 40 and {"combat.intensity", "pay.monthly_pay", "marked"} <= set(marks.columns)
    assert list(marks["marked"]) == [killed[k] > median for k in marks["key"]]
    # a condition on a series the sweep never named as an outcome, with arithmetic inside a reducer
    shares = mark(folder, "mean(recruits_contract / recruits, 2022) > 0.3")
    expected = [(lambda s: (s["recruits_contract"] / s["recruits"]).mean())(
        read_run_series(folder, k, ["recruits_contract", "recruits"])) > 0.3 for k in shares["key"]]
    assert list(shares["marked"]) == expected


def test_prim_restricts_the_parameter_that_drives_deaths_and_writes_everything(swept, tmp_path):
    folder, median, _ = swept
    found = discover(folder, f"killed > {median}", out=tmp_path / "d", bootstrap=10)
    assert "combat.intensity" in set(found.box["parameter"])
    low = found.box.set_index("parameter").loc["combat.intensity", "low"]
    assert low > found.box.set_index("parameter").loc["combat.intensity", "prior low"]  # more deaths: higher
    stability = found.boxes.stability.set_index("parameter")["share restricted"]
    assert stability["combat.intensity"] >= 0.8
    assert found.boxes.tree_importance["combat.intensity"] > 0  # CART uses it too (pay matters as well)
    for name in FILES:
        assert (tmp_path / "d" / name).is_file(), name
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text())
    assert manifest["spec"]["kind"] == "discover" and manifest["spec"]["condition"] == f"killed > {median}"
    ranges = found.box.set_index("parameter")
    assert (ranges["prior low"] <= ranges["low"]).all() and (ranges["high"] <= ranges["prior high"]).all()
    other = discover(folder, f"killed > {median}", out=tmp_path / "d0", box=0, bootstrap=0)
    assert other.boxes.chosen == 0 and len(other.box) == 0  # the first point: the whole space
    text = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 3 and "combat.intensity" in text


def test_bad_questions_are_one_line(swept, tmp_path):
    folder, _, _ = swept
    with pytest.raises(ValueError, match="no series 'kiled'"):
        discover(folder, "kiled > 3", out=tmp_path / "x")
    with pytest.raises(ValueError, match="after the run's end"):
        discover(folder, "sum(killed, 2024) > 3", out=tmp_path / "x")
    with pytest.raises(ValueError, match="0 of 40 runs"):
        discover(folder, "killed < 0", out=tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ensemble("russia-2022", runs=2, scale=2000, end="2022-04-30", out=tmp_path / "e", scheduler="inprocess")
    with pytest.raises(ExperimentFolderError, match="share one parameter set"):
        discover(tmp_path / "e", "killed > 0")


def test_the_command_line(swept, tmp_path):
    folder, median, _ = swept
    runner = CliRunner()
    ok = runner.invoke(app, ["discover", str(folder), "--condition", f"killed > {median}", "--out",
                             str(tmp_path / "c"), "--bootstrap", "5"])
    assert ok.exit_code == 0, ok.output
    assert "combat.intensity" in ok.output and (tmp_path / "c" / "report.html").is_file()
    marks = pd.read_parquet(tmp_path / "c" / "marks.parquet")
    assert marks["marked"].sum() == int((marks["marked"]).sum()) > 0
    bad = runner.invoke(app, ["discover", str(folder), "--condition", "killed >", "--out", str(tmp_path / "b")])
    assert bad.exit_code == 2 and bad.output.count("error:") == 1 and "killed >" in bad.output
    bad_box = runner.invoke(app, ["discover", str(folder), "--condition", f"killed > {median}", "--box", "999",
                                  "--out", str(tmp_path / "b")])
    assert bad_box.exit_code == 2 and "--box" in bad_box.output
