"""The HTML report: self-contained, every figure present, the calibration targets tabulated."""

import re

import numpy as np
import pandas as pd
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


# --- the demand - strength panel, the description, provenance (issue 10) ----------------------------------------


def _front_panel(series):
    from morale.results.report import _front_figure

    fig = _front_figure(series)
    bottom = fig.axes[1]
    fills = {c.get_label(): np.concatenate([p.vertices for p in c.get_paths()] or [np.empty((0, 2))])
             for c in bottom.collections}
    return fills["shortfall"], fills["surplus"]


def test_front_gap_panel_has_the_sign_of_the_upper_panel():
    """Deficit in the first 10 weeks, surplus in the last 10: the lower panel shades exactly those, whatever
    `front_shortfall` (computed before the week's combat losses) says."""
    import matplotlib.dates as mdates

    dates = pd.date_range("2022-03-03", periods=20, freq="7D")
    strength = np.r_[np.full(10, 90.0), np.full(10, 110.0)]
    series = pd.DataFrame({"front_demand": 100.0, "soldiers_front": strength, "front_shortfall": 0.0}, index=dates)
    shortfall, surplus = _front_panel(series)
    split = mdates.date2num(dates[9])
    assert len(shortfall) and shortfall[:, 1].max() == pytest.approx(10) and shortfall[:, 1].min() >= 0
    assert shortfall[:, 0].max() <= split + 7  # shaded where demand exceeds strength, nowhere else
    assert len(surplus) and surplus[:, 1].min() == pytest.approx(-10) and surplus[:, 1].max() <= 0
    assert surplus[:, 0].min() >= split


def test_front_gap_panel_on_a_run_agrees_with_its_lines(run):
    series = run.series
    gap = (series["front_demand"] - series["soldiers_front"]).to_numpy()
    shortfall, surplus = _front_panel(series)
    if (gap > 0).any():
        assert len(shortfall) and shortfall[:, 1].max() == pytest.approx(gap.max())
    if (gap < 0).any():
        assert len(surplus) and surplus[:, 1].min() == pytest.approx(gap.min())
    if (gap > 0).all():
        assert not len(surplus)


def test_a_huge_description_is_shown_cut(run, tmp_path):
    description = "war " * 250_000  # 1 MB
    scenario = run.scenario.model_copy(update={"description": description})
    tweaked = type(run)(scenario, run.series, run.by_stream, run.by_region, run.events, run.seed)
    text = write_report(tweaked, tmp_path / "report.html").read_text(encoding="utf-8")
    paragraph = re.search(r"<h1>.*?</h1>\n<p>(.*?)</p>", text, re.S).group(1)
    assert paragraph.endswith("\u2026") and len(paragraph) <= 2001 and paragraph.startswith("war war")
    assert len(text) < 1_000_000


def test_run_report_shows_command_version_commit_and_changes(run, tmp_path, monkeypatch):
    import morale.scenario.whatif as whatif

    manifest = {"command": "morale run russia-2022 --set combat.intensity=0.05", "morale_version": "9.9.9",
                "git_commit": "0123abcd"}
    text = write_report(run, tmp_path / "report.html", manifest=manifest).read_text(encoding="utf-8")
    assert "morale run russia-2022 --set combat.intensity=0.05" in text
    assert "9.9.9" in text and "0123abcd" in text and "What-if changes: none" in text
    monkeypatch.setattr(whatif, "describe_changes", lambda scenario: ["combat.intensity pinned at 0.05 <x>"])
    text = write_report(run, tmp_path / "report.html", manifest=manifest).read_text(encoding="utf-8")
    assert "<li>combat.intensity pinned at 0.05 &lt;x&gt;</li>" in text
    saved = run.save(tmp_path / "saved", command="morale run russia-2022 --scale 200")
    text = (saved / "report.html").read_text(encoding="utf-8")
    assert "morale run russia-2022 --scale 200" in text and "morale version" in text
