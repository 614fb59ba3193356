"""The HTML report: self-contained, every figure present, the calibration targets tabulated."""

import re

import pytest

import morale
from morale.results.report import write_report
from morale.results.targets import compare
from tests.conftest import assert_conserved


@pytest.fixture(scope="module")
def run():
    run = morale.run("russia-2022", scale=200, end="2023-06-30")
    assert_conserved(run)
    return run


def test_run_conserves_persons(run):
    s = run.series
    total = s.civilians + s.serving + s.emigrated + s.imprisoned + s.jailed + s.dead + s.aged_out
    assert (total == s.persons_created).all()


def test_report_is_self_contained_with_all_figures(run, tmp_path):
    path = write_report(run, tmp_path / "report.html")
    assert path.exists()
    text = path.read_text(encoding="utf-8")
    assert run.scenario.name in text
    assert text.count('<img src="data:image/png;base64,') == 6
    assert "http://" not in text and "https://" not in text
    assert "<script" not in text and "<link" not in text

    targets = compare(run.series, run.scenario)
    assert len(targets) > 0
    table = re.search(r'<table class="targets">(.*?)</table>', text, re.S).group(1)
    assert table.count("<tr") == len(targets) + 1  # header row + one per target
    for name in targets["target"]:
        assert f"<td>{name}</td>" in table


def test_report_escapes_scenario_text(run, tmp_path):
    scenario = run.scenario.model_copy(update={"description": "<b>A & B</b>"})
    tweaked = type(run)(scenario, run.series, run.by_stream, run.by_region, run.events, run.seed)
    text = write_report(tweaked, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in text and "<b>A" not in text


def test_report_skips_a_figure_whose_series_are_missing(run, tmp_path):
    dropped = [c for c in run.series if c.startswith("soldiers_") and c != "soldiers_front"]
    series = run.series.drop(columns=dropped + ["sustainment_horizon_weeks"])
    partial = type(run)(run.scenario, series, run.by_stream, run.by_region, run.events, run.seed)
    text = write_report(partial, tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 6  # soldiers_front alone still draws
    series = series.drop(columns=["soldiers_front", "front_demand"])
    partial = type(run)(run.scenario, series, run.by_stream, run.by_region, run.events, run.seed)
    text = write_report(partial, tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 4
    assert "Soldiers by location" not in text and "sustainment_horizon_weeks" not in text
