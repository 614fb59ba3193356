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
    series = series.drop(columns=["soldiers_front", "requirement", "deployable_strength"])
    partial = type(run)(run.scenario, series, run.by_stream, run.by_region, run.events, run.seed)
    text = write_report(partial, tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 4
    assert "Soldiers by location" not in text and "sustainment_horizon_weeks" not in text
    assert "Manpower balance" not in text


def test_balance_figure_draws_without_the_optional_series(run, tmp_path):
    """The balance figure needs the requirement and deployable strength; the authorised strength, the
    Armed Forces serving and the ladder's rung are extras it draws when present."""
    from morale.results.report import _balance_figure

    optional = ["authorised_strength", "serving_armed_forces", "shortfall_pressure"]
    fig = _balance_figure(run.series.drop(columns=optional))
    assert fig is not None and len(fig.axes) == 2  # no twin axis for the rung
    labels = {line.get_label() for line in fig.axes[0].get_lines()}
    assert labels == {"requirement", "deployable strength"}
    # the calibration table reads serving_armed_forces (the authorised-strength ceiling): keep it there
    dropped = ["authorised_strength", "shortfall_pressure"]
    partial = type(run)(run.scenario, run.series.drop(columns=dropped), run.by_stream, run.by_region,
                        run.events, run.seed)
    text = write_report(partial, tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 6
    assert "Manpower balance and the state&#x27;s response" in text or "Manpower balance" in text


# --- the manpower balance panel, the description, provenance (issue 10) ---------------------------------------


def _balance_panel(series):
    from morale.results.report import _balance_figure

    fig = _balance_figure(series)
    top, bottom = fig.axes[0], fig.axes[1]
    fills = {c.get_label(): np.concatenate([p.vertices for p in c.get_paths()] or [np.empty((0, 2))])
             for c in bottom.collections}
    return fig, top, fills["shortfall"], fills["surplus"]


def test_balance_panel_shades_the_sign_of_the_shortfall():
    """Short in the first 10 weeks, surplus in the last 10: the lower panel shades exactly those, and the
    rung of the ladder is drawn on its twin axis as 4 x shortfall_pressure."""
    import matplotlib.dates as mdates

    dates = pd.date_range("2022-03-03", periods=20, freq="7D")
    strength = np.r_[np.full(10, 90.0), np.full(10, 110.0)]
    pressure = np.linspace(0.0, 1.0, 20)
    series = pd.DataFrame({"requirement": 100.0, "deployable_strength": strength, "shortfall": 100.0 - strength,
                           "shortfall_pressure": pressure, "authorised_strength": 200.0,
                           "serving_armed_forces": 150.0}, index=dates)
    fig, top, shortfall, surplus = _balance_panel(series)
    split = mdates.date2num(dates[9])
    assert len(shortfall) and shortfall[:, 1].max() == pytest.approx(10) and shortfall[:, 1].min() >= 0
    assert shortfall[:, 0].max() <= split + 7  # shaded where the requirement exceeds strength, nowhere else
    assert len(surplus) and surplus[:, 1].min() == pytest.approx(-10) and surplus[:, 1].max() <= 0
    assert surplus[:, 0].min() >= split
    labels = {line.get_label(): line for line in top.get_lines()}
    assert {"requirement", "deployable strength", "authorised strength (decrees)",
            "Armed Forces serving"} <= set(labels)
    np.testing.assert_allclose(labels["deployable strength"].get_ydata(), strength)
    (rungs,) = [ax for ax in fig.axes[2:] if ax.get_lines()]
    np.testing.assert_allclose(rungs.get_lines()[0].get_ydata(), 4 * pressure)
    assert rungs.get_ylim() == pytest.approx((0, 4.2))


def test_balance_panel_on_a_run_agrees_with_its_lines(run):
    series = run.series
    gap = (series["requirement"] - series["deployable_strength"]).to_numpy()
    np.testing.assert_allclose(series["shortfall"].to_numpy(), gap, rtol=1e-9, atol=1e-6)
    _, _, shortfall, surplus = _balance_panel(series)
    if (gap > 0).any():
        assert len(shortfall) and shortfall[:, 1].max() == pytest.approx(gap.max())
    if (gap < 0).any():
        assert len(surplus) and surplus[:, 1].min() == pytest.approx(gap.min())
    if (gap > 0).all():
        assert not len(surplus)
    assert (gap > 0).any() and (gap < 0).any()  # the run to mid-2023 has both: short in 2022, whole after


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
