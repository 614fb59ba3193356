"""The dashboard's Compare, Explore and Classic pages, without a browser: each page through Streamlit's
`AppTest` (change a control, run, the shown result changes), and the pure functions behind them."""

from __future__ import annotations

import base64
import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import morale
from morale.calibration.history_matching import history_match
from morale.calibration.toy import toy_model, toy_observations
from morale.classic.variants import VARIANTS
from morale.dashboard import classic_view, compare_view, display, explore_view
from morale.experiments.design import function_model
from morale.experiments.discovery import discover
from morale.experiments.sensitivity import ishigami, sensitivity
from morale.experiments.store import ExperimentFolderError, Store
from morale.experiments.sweep import sweep
from morale.experiments.validate import validate_patterns
from morale.scenario.loader import ScenarioError

PAGES = Path(__file__).parents[1] / "src" / "morale" / "dashboard" / "screens"
TINY = {"runs": 2, "scale": 1000, "end": "2022-06-30", "scheduler": "inprocess"}
TIMEOUT = 120  # seconds for one script run of a page (a cold Numba compile on a busy machine included)


def page(name: str) -> AppTest:
    return AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)


def errors(at: AppTest) -> list[str]:
    assert not at.exception, [e.message for e in at.exception]
    return [e.value for e in at.error]


def chart_data(at: AppTest, index: int) -> list[dict]:
    """The traces of the index-th Plotly chart on the page, numbers decoded (Plotly sends arrays as base64)."""
    spec = json.loads(at.get("plotly_chart")[index].proto.spec)

    def decoded(value):
        if isinstance(value, dict) and "bdata" in value:
            return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return value

    return [{k: decoded(v) for k, v in trace.items()} for trace in spec["data"]]


# experiment folders, made by the package's own functions ------------------------------------------------------------
def ishigami_plane(x1: float, x2: float) -> float:
    """The Ishigami function at x3 = 0: a surface over two parameters for a sweep."""
    return ishigami(x1, x2, 0.0)


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("runs")
    morale.ensemble("russia-2022", outcomes=["killed", "max(soldiers_front)"], out=root / "ens", **TINY)
    morale.compare("russia-2022", "russia-2022-long-training", outcomes=["killed"], out=root / "cmp", **TINY)
    model, params = function_model(ishigami, {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)})
    plane, plane_params = function_model(ishigami_plane, {f"x{i}": (-np.pi, np.pi) for i in (1, 2)})
    sweep(model=plane, parameters=plane_params, design="grid", levels=3, outcomes=["y"], out=root / "sw",
          scheduler="inprocess")
    sensitivity(model=model, parameters=params, method="morris", samples=4, outcomes=["y"], out=root / "sa",
                scheduler="inprocess")
    toy, toy_params = toy_model()
    history_match(toy, toy_params, toy_observations(), out=root / "cal", points=20, waves=1, replicates=2,
                  replicated_points=4, seed=1, scheduler="inprocess", candidates=500)
    validate_patterns(["F3"], runs=2, scale=1000, end="2022-06-30", out=root / "val")
    return {name: root / name for name in ("ens", "cmp", "sw", "sa", "cal", "val")}


def test_find_experiments_lists_each_kind_and_skips_the_rest(folders, tmp_path):
    root = folders["ens"].parent
    (root / "not-an-experiment").mkdir(exist_ok=True)
    found = explore_view.find_experiments(root)
    assert [p.name for p in found] == ["cal", "cmp", "ens", "sa", "sw", "val"]
    assert [explore_view.kind_of(p) for p in found] == ["calibration", "compare", "ensemble", "sensitivity", "sweep",
                                                        "validate"]
    assert explore_view.find_experiments(folders["sw"]) == [folders["sw"]]
    assert explore_view.find_experiments(tmp_path / "missing") == []


@pytest.mark.parametrize("name, shown", [
    ("ens", ["Outcomes over runs", "Bands"]),
    ("cmp", ["Headline outcomes: B - A over paired runs", "Bands: russia-2022 (A) and russia-2022-long-training (B)",
             "Paired difference B - A, week by week", "Outcomes: B - A per replicate"]),
    ("sw", ["Response"]),
    ("sa", ["Ranking"]),
    ("cal", ["Identification", "Targets", "Waves", "Calibrated sample (runs not ruled out)"]),
    ("val", ["Patterns"]),
])
def test_explore_shows_each_kind(folders, name, shown):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(folders[name])).run()
    assert errors(at) == []
    assert [s.value for s in at.subheader] == shown
    assert at.get("plotly_chart") or name == "val"


def test_explore_tables_hold_the_folders_results(folders):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(folders["val"])).run()
    assert list(at.dataframe[0].value["pattern"]) == ["F3"]
    at.text_input(key="explore-root").set_value(str(folders["cmp"])).run()
    effects = pd.read_parquet(folders["cmp"] / "effects.parquet")
    assert at.dataframe[0].value["mean B-A"].tolist() == pytest.approx(effects["mean B-A"].tolist())


def test_explore_lists_the_experiments_under_a_folder_and_switches_between_them(folders):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(folders["ens"].parent)).run()
    assert at.selectbox(key="explore-folder").options[:2] == ["cal (calibration)", "cmp (compare)"]
    at.selectbox(key="explore-folder").select(folders["sa"]).run()
    assert errors(at) == [] and [s.value for s in at.subheader] == ["Ranking"]


def test_explore_sweep_surface_over_two_parameters(folders):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(folders["sw"])).run()
    at.selectbox(key="explore-sweep-y").select("x2").run()
    assert errors(at) == []
    (surface,) = chart_data(at, 0)
    assert surface["type"] == "heatmap" and np.asarray(surface["z"]).size == 9


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing", "does not exist"),
    (lambda p: p, "no manifest.json or calibration.json"),
    (lambda p: _write(p / "manifest.json", "{not json"), "cannot be read as JSON"),
    (lambda p: _write(p / "manifest.json", json.dumps({"spec": {"kind": "mystery"}})), "kind 'mystery'"),
    (lambda p: _write(p / "manifest.json", json.dumps({"seed": 0})), "a single run's folder"),
])
def test_explore_unknown_or_unreadable_folder_is_one_error_line(tmp_path, make, message):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(make(tmp_path))).run()
    (line,) = errors(at)
    assert message in line and "\n" not in line


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path.parent


def test_explore_broken_tables_are_one_error_line(folders, tmp_path):
    broken = shutil.copytree(folders["ens"], tmp_path / "ens")
    (broken / "quantiles.parquet").write_text("not parquet")
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(broken)).run()
    (line,) = errors(at)
    assert "quantiles.parquet: cannot be read as Parquet" in line
    next(broken.glob("runs/*.parquet")).unlink()
    shutil.copy(folders["ens"] / "quantiles.parquet", broken)
    at.run()
    (line,) = errors(at)
    assert str(broken) in line and "\n" not in line


def test_unfinished_validation_is_refused_and_left_untouched(folders, tmp_path):
    unfinished = shutil.copytree(folders["val"], tmp_path / "val")
    next(unfinished.glob("runs/*.json")).unlink()
    log = (unfinished / "log.jsonl").read_bytes()
    with pytest.raises(ExperimentFolderError, match="not finished"):
        explore_view.open_experiment(unfinished)
    assert (unfinished / "log.jsonl").read_bytes() == log
    assert len(list(unfinished.glob("runs/*.json"))) == 3


def test_calibration_and_sensitivity_figures(folders):
    calibration = explore_view.open_experiment(folders["cal"])
    panels = explore_view.calibration_panels(calibration)
    assert [p.name for p in panels] == ["calibration-identification", "calibration-targets", "calibration-waves"]
    assert len(panels[1].figure.data) == 2 and len(panels[1].data) == 4
    analysis = explore_view.open_experiment(folders["sa"])
    figure = explore_view.indices_figure(analysis.tables["indices.parquet"], "y", "morris")
    assert [t.name for t in figure.data] == ["mu_star", "sigma"] and figure.data[0].error_x.array is not None
    sobol = pd.DataFrame({"outcome": "y", "parameter": ["a", "b"], "S1": [0.3, 0.1], "S1_conf": [0.05, 0.02],
                          "ST": [0.5, 0.2], "ST_conf": [0.1, 0.05]})
    assert [t.name for t in explore_view.indices_figure(sobol, "y", "sobol").data] == ["ST", "S1"]


def test_robust_summary_counts_the_draws_each_pattern_held_in():
    by_draw = pd.DataFrame({"draw": [0, 1, 2], "F3": [True, False, True], "F6": [True, True, True]})
    summary = explore_view.robust_summary(by_draw, ["F3", "F6", "F9"])
    assert summary.to_dict("list") == {"pattern": ["F3", "F6"], "held": [2, 3], "draws": [3, 3],
                                       "share": [2 / 3, 1.0], "failing draws": ["1", ""]}


# discover ------------------------------------------------------------------------------------------------------------
CONDITION = "max(killed) > 5"


def planted_runs(folder: Path, runs: int = 60) -> None:
    """A sweep-like folder without the simulator: each run's parameters a, b, c uniform on 0..1 and its weekly
    `killed`, which ends above 5 exactly when a > 0.5 and b < 0.6 (the box discovery should find)."""
    store = Store(folder, {"kind": "sweep", "parameters": [{"name": n, "low": 0.0, "high": 1.0} for n in "abc"]})
    dates = pd.date_range("2024-01-04", periods=8, freq="7D")
    rng = np.random.default_rng(0)
    for i in range(runs):
        a, b, c = rng.uniform(size=3)
        killed = np.linspace(0.0, 1.0, len(dates)) * (10.0 if a > 0.5 and b < 0.6 else 1.0)
        store.save_run({"key": f"r{i:02d}", "seed": i, "replicate": 0, "labels": {},
                        "params": {"a": float(a), "b": float(b), "c": float(c)}, "status": "ok", "error": None,
                        "outcomes": {}, "summary": {}},
                       {"dates": dates.values, "columns": ["killed"], "values": killed[:, None]})


@pytest.fixture(scope="module")
def discovery(tmp_path_factory) -> Path:
    """A discovery folder as `morale discover` writes it, inside the folder it analysed (runs/sw)."""
    source = tmp_path_factory.mktemp("discover-runs") / "sw"
    planted_runs(source)
    return discover(source, CONDITION, bootstrap=5).folder


def test_find_experiments_lists_the_discoveries_inside_an_experiment_folder(discovery):
    source = discovery.parent
    assert discovery.parent == source and discovery.name.startswith("discover-")
    assert explore_view.kind_of(discovery) == "discover"
    assert explore_view.find_experiments(source.parent) == [source, discovery]
    assert explore_view.find_experiments(source) == [source, discovery]
    assert explore_view.find_experiments(discovery) == [discovery]
    assert explore_view.label(discovery, source.parent) == f"sw/{discovery.name} (discover)"
    assert explore_view.label(source, source) == "sw (sweep)"


def test_explore_shows_a_discovery(discovery):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(discovery)).run()
    assert errors(at) == []
    box = pd.read_parquet(discovery / "box.parquet")
    summary = json.loads((discovery / "discovery.json").read_text())
    (caption,) = [c.value for c in at.caption]
    assert f"condition {CONDITION}; {summary['positives']} of 60 runs of sw meet it; box {summary['box']}:" in caption
    assert [s.value for s in at.subheader] == [
        f"Box {summary['box']}: limits of the restricted parameters, quasi-p-values, share of bootstrap boxes "
        f"restricting them", "Peeling trajectory", "Runs over two parameters",
        "CART leaves (boxes of a classification tree, densest first)", "CART rules"]
    shown = at.dataframe[0].value
    assert list(shown["parameter"]) == list(box["parameter"]) and {"a", "b"} <= set(shown["parameter"])
    assert shown["share restricted"].between(0, 1).all()
    assert at.dataframe[1].value["rule"].tolist() == pd.read_parquet(discovery / "leaves.parquet")["rule"].tolist()
    assert at.code[0].value == (discovery / "tree.txt").read_text().strip()
    assert [b.proto.label for b in at.get("download_button")] == [
        "discover-box.csv", "discover-trajectory.csv", "discover-pairs.csv", "discover-leaves.csv"]
    steps, chosen = chart_data(at, 0)
    assert len(steps["x"]) == len(pd.read_parquet(discovery / "trajectory.parquet"))
    assert chosen["name"] == f"box {summary['box']}"
    not_marked, marked = chart_data(at, 1)
    assert len(marked["x"]) == summary["positives"] and len(not_marked["x"]) == 60 - summary["positives"]
    assert (at.selectbox(key="explore-discover-x").value, at.selectbox(key="explore-discover-y").value) == tuple(
        box["parameter"][:2])


def test_explore_lists_a_discovery_beside_its_source_and_opens_it(discovery):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(discovery.parents[1])).run()
    assert at.selectbox(key="explore-folder").options == ["sw (sweep)", f"sw/{discovery.name} (discover)"]
    at.selectbox(key="explore-folder").select(discovery).run()
    assert errors(at) == [] and len(at.get("plotly_chart")) == 2


def test_explore_discovery_pairs_follow_the_selectboxes(discovery):
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(discovery)).run()
    x, y = at.selectbox(key="explore-discover-x"), at.selectbox(key="explore-discover-y")
    assert x.options == ["a", "b", "c"] and y.value not in (x.value, None) and x.value not in y.options
    at.selectbox(key="explore-discover-y").select("c").run()
    assert errors(at) == [] and at.selectbox(key="explore-discover-y").value == "c"
    marks = pd.read_parquet(discovery / "marks.parquet")
    not_marked, marked = chart_data(at, 1)
    np.testing.assert_allclose(np.sort(np.concatenate([marked["y"], not_marked["y"]])), np.sort(marks["c"]))
    at.selectbox(key="explore-discover-x").select("c").run()  # y was c: it moves to another parameter
    assert errors(at) == []
    x, y = at.selectbox(key="explore-discover-x"), at.selectbox(key="explore-discover-y")
    assert x.value == "c" and y.value in ("a", "b") and "c" not in y.options
    spec = json.loads(at.get("plotly_chart")[1].proto.spec)
    assert spec["layout"]["xaxis"]["title"]["text"] == "c"


def test_discovery_figures_and_tables(discovery):
    found = explore_view.open_experiment(discovery)
    tables, chosen = found.tables, found.spec["chosen"]
    box = tables["box.parquet"]
    merged = explore_view.box_table(box, tables["stability.parquet"])
    assert list(merged.columns) == [*box.columns, "share restricted"] and len(merged) == len(box)
    figure = explore_view.trajectory_figure(tables["trajectory.parquet"], chosen, 0.8)
    assert figure.data[0].customdata.shape == (len(tables["trajectory.parquet"]), 4)
    assert figure.data[1].name == f"box {chosen}" and figure.layout.shapes[0].y0 == 0.8
    a, b = box.set_index("parameter").loc["a"], box.set_index("parameter").loc["b"]
    (rect,) = explore_view.pairs_figure(tables["marks.parquet"], box, ("a", "b"), chosen).layout.shapes
    assert (rect.type, rect.x0, rect.x1, rect.y0, rect.y1) == ("rect", a["low"], a["high"], b["low"], b["high"])
    assert a["low"] == pytest.approx(0.5, abs=0.1) and b["high"] == pytest.approx(0.6, abs=0.15)
    (rect,) = explore_view.pairs_figure(tables["marks.parquet"], box.iloc[:0], ("a", "b")).layout.shapes
    assert rect.x0 == tables["marks.parquet"]["a"].min()  # a parameter the box does not restrict: all its runs
    assert explore_view.describe(found).startswith(f"discover: condition {CONDITION}; ")


@pytest.mark.parametrize("breaking, message", [
    (lambda p: (p / "box.parquet").write_text("not parquet"), "box.parquet: cannot be read as Parquet"),
    (lambda p: pd.DataFrame({"parameter": ["a"]}).to_parquet(p / "box.parquet"), "box.parquet: has no column 'low'"),
    (lambda p: (p / "trajectory.parquet").unlink(), "trajectory.parquet: missing"),
    (lambda p: (p / "discovery.json").write_text("{}"), "discovery.json: cannot be read (KeyError"),
    (lambda p: (p / "tree.txt").unlink(), "tree.txt: cannot be read"),
])
def test_explore_broken_discovery_is_one_error_line(discovery, tmp_path, breaking, message):
    broken = shutil.copytree(discovery, tmp_path / "discover-broken")
    breaking(broken)
    at = page("explore").run()
    at.text_input(key="explore-root").set_value(str(broken)).run()
    (line,) = errors(at)
    assert message in line and "\n" not in line


# compare -------------------------------------------------------------------------------------------------------------
def _arm(label, replicates, values) -> compare_view.Arm:
    return compare_view.Arm(label, pd.date_range("2022-01-02", periods=values.shape[1], freq="W"),
                            np.asarray(replicates), np.asarray(values, dtype=float))


def test_bands_and_paired_differences_of_arms():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(5, 4, 2))
    a_arm = _arm("A", [0, 1, 2, 3, 4], a)
    b_arm = _arm("B", [4, 3, 2, 1, 0], (a + 2.0)[::-1])  # replicate i of B is A's plus 2, listed backwards
    bands = compare_view.band_table([a_arm, b_arm], ["x", "y"])
    first = bands[(bands["arm"] == "A") & (bands["series"] == "y")]
    np.testing.assert_allclose(first["mean"], a[:, :, 1].mean(axis=0))
    assert (first["q05"] <= first["mean"]).all() and (first["mean"] <= first["q95"]).all()
    differences = compare_view.difference_table(a_arm, b_arm, ["x", "y"])
    np.testing.assert_allclose(differences[["mean B-A", "ci95 low", "ci95 high", "q05", "q95"]], 2.0)
    assert set(differences["replicates"]) == {5}


def test_run_budget_and_pins():
    assert compare_view.pin_lines("a=1\n\n  # note\n b=2 ") == ["a=1", "b=2"]
    assert compare_view.most_runs(1000, 0.3) == compare_view.MOST_RUNS
    assert compare_view.most_runs(100, 30) == 2
    for scale in compare_view.SCALES:
        runs = compare_view.most_runs(scale, 3)
        assert runs == 2 or compare_view.comparison_seconds(runs, scale, 3) <= compare_view.BUDGET_SECONDS
    a, b, said = compare_view.arms("russia-2022", None, ["combat.intensity=0.08"])
    assert a.combat.intensity.value != b.combat.intensity.value == 0.08 and "outside its uncertainty range" in said[0]
    with pytest.raises(ScenarioError):
        compare_view.arms("russia-2022", None, ["combat.nonsense=1"])


def test_charts_download_as_png_from_the_toolbar():
    config = display.chart_config("compare-bands")
    assert config["toImageButtonOptions"] == {"format": "png", "filename": "compare-bands", "scale": 2}


@pytest.fixture
def compare_page(tmp_path, monkeypatch) -> AppTest:
    """The Compare page set to A against A with a pin, 2 runs at scale 1000 to 2022-06-30 (its folders in
    tmp_path)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    at = page("compare").run()
    at.radio(key="compare-mode").set_value("A with changes").run()
    at.text_area(key="compare-pins").set_value("combat.intensity=0.08").run()
    at.select_slider(key="compare-scale").set_value(1000).run()
    at.date_input(key="compare-end-russia-2022-None").set_value(dt.date(2022, 6, 30)).run()
    at.number_input[0].set_value(2).run()
    assert errors(at) == []
    return at


def _effects(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value.set_index("outcome")


def test_compare_runs_shows_the_difference_and_never_a_stale_one(compare_page):
    at = compare_page
    assert [i.value for i in at.info] == ["Press Run to compare these two scenarios with these settings."]
    at.button(key="compare-run").click().run()
    assert errors(at) == [] and [w.value for w in at.warning][0].startswith("--set combat.intensity=0.08")
    hot = _effects(at)
    assert hot.loc["killed", "mean B-A"] > 0 and hot.loc["killed", "replicates"] == 2
    assert len(at.get("plotly_chart")) == 3
    assert [b.proto.label for b in at.get("download_button")] == [
        "compare-effects.csv", "compare-bands.csv", "compare-difference.csv", "compare-outcomes.csv"]
    assert all(json.loads(c.proto.config)["toImageButtonOptions"]["format"] == "png" for c in at.get("plotly_chart"))
    bands = chart_data(at, 0)
    assert {t["name"] for t in bands if t.get("name")} == {"A:russia-2022", "B:russia-2022"}
    at.text_area(key="compare-pins").set_value("combat.intensity=0.03").run()
    assert not at.dataframe and at.info  # the controls changed: no result until Run
    at.button(key="compare-run").click().run()
    cold = _effects(at)
    assert cold.loc["killed", "mean B-A"] < 0
    at.text_area(key="compare-pins").set_value("combat.intensity=0.08").run()  # back: kept, not rerun
    pd.testing.assert_frame_equal(_effects(at), hot)


def test_compare_runs_limit_follows_the_horizon(compare_page):
    at = compare_page
    at.select_slider(key="compare-scale").set_value(100).run()
    at.number_input[0].set_value(compare_view.most_runs(100, 0.85)).run()
    at.date_input(key="compare-end-russia-2022-None").set_value(dt.date(2027, 12, 31)).run()
    assert errors(at) == []
    (runs,) = at.number_input
    assert runs.max == compare_view.most_runs(100, compare_view.years(dt.date(2022, 2, 24), dt.date(2027, 12, 31)))
    assert 2 <= runs.value <= runs.max < compare_view.MOST_RUNS


def test_compare_bad_pin_is_one_error_line(compare_page):
    at = compare_page
    at.text_area(key="compare-pins").set_value("combat.intensity=-1").run()
    (line,) = errors(at)
    assert "combat.intensity" in line and "\n" not in line


# classic -------------------------------------------------------------------------------------------------------------
def test_classic_defaults_lie_within_the_sliders():
    for variant in VARIANTS:
        values = classic_view.defaults(variant)
        for control in classic_view.CONTROLS:
            assert control.low <= values[control.name] <= control.high
    assert classic_view.cop_limit(0.7) == 0.3 and classic_view.cop_limit(0.95) == 0.05


def test_classic_frames_population_and_figure():
    steps = classic_view.frame_steps(1000, 40 * 40)
    assert steps[0] == 0 and steps[-1] == 1000 and len(steps) <= classic_view.MOST_FRAMES + 1
    assert classic_view.frame_steps(20, 100) == list(range(21))
    run = classic_view.simulate(30, 1, "paper", False, width=20, height=20)
    assert classic_view.population(run.lattice) == round(0.7 * 400) == run.series.iloc[0].sum()
    figure = classic_view.lattice_figure(run.lattice)
    assert len(figure.frames) == 31 and figure.layout.updatemenus[0].buttons[0].label == "Play"
    life = classic_view.simulate(5, 1, "paper", True, width=20, height=20)
    assert life.config.max_jail == float("inf")


def _counts(at: AppTest) -> pd.DataFrame:
    traces = chart_data(at, 1)
    return pd.DataFrame({t["name"]: np.asarray(t["y"]) for t in traces})


def test_classic_slider_changes_the_counts_which_always_add_up_to_the_population():
    at = page("classic").run()
    assert errors(at) == []
    before = _counts(at)
    assert len(before) == 201 and (before.sum(axis=1) == 1120).all()
    assert at.metric[0].label == "citizens" and at.metric[0].value == "1,120"
    at.slider(key="classic-paper-legitimacy-1.0").set_value(0.6).run()
    after = _counts(at)
    assert not after.equals(before) and after["active"].max() > before["active"].max()
    at.slider(key="classic-paper-citizen_density-0.95").set_value(0.5).run()
    assert errors(at) == []
    half = _counts(at)
    assert (half.sum(axis=1) == 800).all() and at.metric[0].value == "800"
