"""`rebuild_report`: every kind of folder gets its report back; a damaged folder gives one line, never a traceback.
And the experiment reports: compare's (bands side by side, effects, differences), provenance in every one."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import morale
from morale.experiments.compare import compare
from morale.experiments.design import function_model
from morale.experiments.ensemble import ensemble
from morale.experiments.sensitivity import ishigami, sensitivity
from morale.experiments.store import ExperimentFolderError
from morale.experiments.sweep import sweep
from morale.results.report import rebuild_report

SMALL = {"scale": 500, "end": "2022-06-30", "scheduler": "inprocess"}
KINDS = ("run", "ensemble", "compare", "sweep", "sensitivity")


def linear(x: float, z: float) -> float:
    return x + 2 * z


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("kinds")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ensemble("russia-2022", runs=2, outcomes=["killed"], overrides={"combat.intensity": 0.05},
                 out=root / "ensemble", **SMALL)
        compare("russia-2022", "russia-2022-long-training", runs=2, outcomes=["killed", "max(soldiers_front)"],
                out=root / "compare", **SMALL)
        model, params = function_model(linear, {"x": (0.0, 1.0), "z": (0.0, 1.0)})
        sweep(model=model, parameters=params, levels=2, outcomes=["y"], out=root / "sweep", scheduler="inprocess")
        model, params = function_model(ishigami, {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)})
        sensitivity(method="morris", model=model, parameters=params, samples=4, outcomes=["y"],
                    out=root / "sensitivity", scheduler="inprocess")
        morale.run("russia-2022", scale=500, end="2022-06-30").save(root / "run", command="morale run test")
    return {kind: root / kind for kind in KINDS}


@pytest.fixture
def copy(folders, tmp_path):
    def make(kind: str) -> Path:
        return Path(shutil.copytree(folders[kind], tmp_path / kind))
    return make


@pytest.mark.parametrize("kind", KINDS)
def test_rebuild_gives_back_the_same_report(copy, kind):
    folder = copy(kind)
    written = (folder / "report.html").read_text(encoding="utf-8")
    (folder / "report.html").unlink()
    assert rebuild_report(folder) == folder / "report.html"
    assert (folder / "report.html").read_text(encoding="utf-8") == written
    assert "Git commit" in written and "morale version" in written and "Command" in written


def test_compare_report_has_bands_effects_and_differences(folders):
    text = (folders["compare"] / "report.html").read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 2
    assert "Bands, side by side" in text and "Paired differences" in text
    assert "<td>max(soldiers_front)</td>" in text and "share B&gt;A" in text
    assert "russia-2022-long-training" in text


def test_compare_without_report_writes_tables_only_and_the_report_comes_later(folders, tmp_path):
    folder = tmp_path / "quiet"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = compare("russia-2022", "russia-2022-long-training", runs=2,
                         outcomes=["killed", "max(soldiers_front)"], out=folder, report=False, **SMALL)
    assert not any((folder / name).exists() for name in ("bands.png", "differences.png", "report.html"))
    for name in ("effects.parquet", "differences.parquet", "quantiles.parquet"):
        assert (folder / name).exists()
    made = pd.read_parquet(folders["compare"] / "effects.parquet")
    pd.testing.assert_frame_equal(result.effects.reset_index(drop=True), made.reset_index(drop=True))
    text = rebuild_report(folder).read_text(encoding="utf-8")
    assert text.count('<img src="data:image/png;base64,') == 2 and "Paired differences" in text


def test_experiment_manifests_keep_provenance_beside_the_spec(folders):
    from morale.experiments.store import spec_hash

    for kind in KINDS[1:]:
        manifest = json.loads((folders[kind] / "manifest.json").read_text())
        assert manifest["spec_hash"] == spec_hash(manifest["spec"])
        assert set(manifest["provenance"]) >= {"command", "version", "commit", "changes"}
        assert "provenance" not in manifest["spec"]
    text = (folders["ensemble"] / "report.html").read_text(encoding="utf-8")
    assert "Overrides (--set)</th><td>combat.intensity=0.05</td>" in text
    assert "<li>set combat.intensity = 0.05 for the whole run (pinned)</li>" in text  # describe_changes' line
    assert "What-if changes of B (russia-2022-long-training): none" in (folders["compare"] / "report.html").read_text(
        encoding="utf-8")


def test_experiment_report_lists_what_if_changes(tmp_path, monkeypatch):
    import morale.scenario.whatif as whatif

    monkeypatch.setattr(whatif, "describe_changes", lambda scenario: [f"{scenario.name}: event x dropped"])
    ensemble("russia-2022", runs=1, out=tmp_path, **SMALL)
    assert json.loads((tmp_path / "manifest.json").read_text())["provenance"]["changes"] == [
        "russia-2022: event x dropped"]
    assert "<li>russia-2022: event x dropped</li>" in (tmp_path / "report.html").read_text(encoding="utf-8")


def _one_line(err: pytest.ExceptionInfo, *parts: str) -> None:
    message = str(err.value)
    assert "\n" not in message and "Traceback" not in message, message
    for part in parts:
        assert part in message, message


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_folder_is_one_line(copy, kind):
    tables = {"run": "series.parquet", "ensemble": "quantiles.parquet", "compare": "effects.parquet",
              "sweep": "points.parquet", "sensitivity": "indices.parquet"}
    folder = copy(kind)
    table = folder / tables[kind]
    table.write_bytes(table.read_bytes()[: len(table.read_bytes()) // 2])
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(folder)
    _one_line(err, str(table), "cannot be read as Parquet", "expected")
    table.unlink()
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(folder)
    _one_line(err, str(table), "missing", "expected")
    manifest = folder / "manifest.json"
    manifest.write_text("{not json", encoding="utf-8")
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(folder)
    _one_line(err, str(manifest), "cannot be read as JSON", "expected")


def test_bad_manifest_fields_are_one_line(copy):
    folder = copy("ensemble")
    manifest = folder / "manifest.json"
    good = json.loads(manifest.read_text())
    cases = {
        json.dumps([1, 2]): "expected a JSON object",
        json.dumps({"format": 1}): "field 'spec' is None",
        json.dumps({**good, "spec": {**good["spec"], "kind": "validate"}}): "field 'spec.kind' is 'validate'",
        json.dumps({**good, "spec": {k: v for k, v in good["spec"].items() if k != "seed"}}): "no field 'seed'",
    }
    for text, expected in cases.items():
        manifest.write_text(text, encoding="utf-8")
        with pytest.raises(ExperimentFolderError) as err:
            rebuild_report(folder)
        _one_line(err, str(manifest), expected)
    run = copy("run")
    data = json.loads((run / "manifest.json").read_text())
    (run / "manifest.json").write_text(json.dumps({**data, "seed": "zero"}), encoding="utf-8")
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(run)
    _one_line(err, "field 'seed' is 'zero'; expected an integer")
    (run / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    (run / "scenario.toml").write_text("start = [", encoding="utf-8")
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(run)
    _one_line(err, "scenario.toml: cannot be loaded")


def test_tables_without_their_columns_are_one_line(copy):
    import pandas as pd

    folder = copy("sweep")
    pd.DataFrame({"other": [1]}).to_parquet(folder / "points.parquet")
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(folder)
    _one_line(err, "points.parquet: has no column 'point'")


def test_not_a_folder(tmp_path):
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(tmp_path / "nothing")
    _one_line(err, "does not exist")
    with pytest.raises(ExperimentFolderError) as err:
        rebuild_report(tmp_path)
    _one_line(err, "manifest.json: missing")
