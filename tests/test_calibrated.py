"""The calibrated sample as package data: freshness hash, ensembles and validation drawing from it, CLI errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import morale
from morale.calibration import shipped
from morale.calibration.calibrate import read_screening, screening_table
from morale.calibration.history_matching import Observation
from morale.cli import app
from morale.experiments import validate
from morale.experiments.ensemble import ensemble
from morale.experiments.parameters import Uncertain
from tests.conftest import assert_conserved

SMALL = {"scale": 500, "end": "2022-09-30"}
FAKE = pd.DataFrame({"combat.intensity": [0.048, 0.054, 0.06], "opinion.success_weight": [0.6, 1.0, 1.8]})


@pytest.fixture
def fake_sample(monkeypatch):
    monkeypatch.setattr(shipped, "calibrated_sample", lambda name: FAKE)
    return FAKE


def test_every_shipped_calibration_matches_the_model():
    """A stale calibration cannot ship: the hash of the model and scenario it calibrated must be today's."""
    for name in shipped.shipped_names():
        made = shipped.check_fresh(name)
        sample = shipped.calibrated_sample(name)
        assert len(sample) == made["rows"] > 0 and list(sample.columns) == made["parameters"]


def test_a_changed_model_makes_the_shipped_sample_stale(monkeypatch, tmp_path):
    monkeypatch.setattr(shipped.resources, "files", _files_in(tmp_path))
    shipped.manifest.cache_clear()
    try:
        made = {"command": "morale calibrate russia-2022", "seed": 0}
        shipped.write_shipped(tmp_path / "data" / shipped.SHIPPED, "russia-2022", FAKE, list(FAKE.columns), made)
        assert shipped.check_fresh("russia-2022")["rows"] == 3
        monkeypatch.setattr(shipped, "model_hash", lambda name: "0" * 16)
        shipped.manifest.cache_clear()
        with pytest.raises(shipped.StaleCalibration, match="made for model hash .* the model is now 0{16}"):
            shipped.check_fresh("russia-2022")
        with pytest.raises(shipped.CalibrationMissing, match="no calibrated sample is shipped for 'spain-1936'"):
            shipped.manifest("spain-1936")
    finally:
        shipped.manifest.cache_clear()


def _files_in(root):
    """`importlib.resources.files` with morale.data redirected to root/data (the real package otherwise)."""
    real = shipped.resources.files

    def files(package):
        return root / "data" if package == "morale.data" else real(package)

    return files


def test_model_hash_reads_the_model_and_the_scenario():
    first = shipped.model_hash("russia-2022")
    assert first == shipped.model_hash("russia-2022") and len(first) == 16
    assert shipped.model_hash("ussr-1942") != first


def test_calibrated_ensemble_draws_whole_rows(fake_sample, tmp_path):
    result = ensemble("russia-2022", runs=4, seed=3, calibrated=True, out=tmp_path / "e", scheduler="inprocess",
                      **SMALL)
    rows = {tuple(r) for r in FAKE.to_numpy()}
    for i in range(4):
        drawn = (float(result.runs.loc[i, "combat.intensity"]), float(result.runs.loc[i, "opinion.success_weight"]))
        assert drawn in rows and drawn == tuple(shipped.draw_calibrated(FAKE, 3, i).values())
    assert result.spec["calibrated"] == {"parameters": list(FAKE.columns), "rows": 3}
    alone = morale.run("russia-2022", seed=3, replicate=1, base=shipped.draw_calibrated(FAKE, 3, 1), **SMALL)
    assert_conserved(alone)
    np.testing.assert_array_equal(alone.series.to_numpy(), result.series(1).to_numpy())
    assert "calibrated sample (3 sets of 2" in (tmp_path / "e" / "report.html").read_text()


def test_calibrated_validation_draws_repeat_sets_with_new_replicates(fake_sample, monkeypatch):
    """Five draws from a sample of three sets repeat sets; each draw runs its own replicates, so a repeat adds
    new runs instead of a copy of an earlier draw."""
    seen = []

    def record(ensembles, needs):
        for ens in ensembles:
            for scenario, end, scale in needs:
                tasks = ens.tasks(scenario, end, scale)
                seen.append((ens.label, tuple(ens.overrides.values()), tuple(t.replicate for t in tasks)))
                ens._measures[(scenario, end or ens.end, scale or ens.scale)] = [
                    {"status": "ok", "outcomes": {"contract_from_2022_06": 1.0, "support_from_2023": 0.0}}
                    for _ in tasks]

    monkeypatch.setattr(validate, "prefetch", record)
    _, table = validate.validate_robust(["F2"], draws=5, runs=2, calibrated=True, scheduler="inprocess")
    assert len(table) == 5 and table[list(FAKE.columns)].duplicated().any()  # 5 draws of 3 sets repeat one
    replicates = {label: reps for label, _, reps in seen}
    assert replicates == {f"d{d:03d}-": (2 * d, 2 * d + 1) for d in range(5)}
    assert all(v in {tuple(r) for r in FAKE.to_numpy()} for _, v, _ in seen)


def test_a_pin_wins_over_the_calibrated_sample(fake_sample, tmp_path):
    result = ensemble("russia-2022", runs=2, seed=3, calibrated=True, overrides=["combat.intensity=0.05"],
                      out=tmp_path / "e", scheduler="inprocess", **SMALL)
    assert result.spec["calibrated"]["parameters"] == ["opinion.success_weight"]


def test_calibrated_cli_errors(tmp_path, monkeypatch):
    runner = CliRunner()
    res = runner.invoke(app, ["ensemble", "russia-2022", "--uncertainty", "--calibrated", "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "--uncertainty and --calibrated: got both" in res.output
    res = runner.invoke(app, ["ensemble", "ussr-1942", "--calibrated", "--out", str(tmp_path / "b")])
    assert res.exit_code == 2 and "no calibrated sample is shipped for 'ussr-1942'" in res.output
    res = runner.invoke(app, ["validate", "--calibrated"])
    assert res.exit_code == 2 and "--calibrated: got no --draws" in res.output
    res = runner.invoke(app, ["validate", "--calibrated", "--draws", "3", "--robust", "3"])
    assert res.exit_code == 2 and "--calibrated and --robust: got both" in res.output
    res = runner.invoke(app, ["calibrate", "russia-2022", "--end", "2022-03-15", "--out", str(tmp_path / "c")])
    assert res.exit_code == 2 and "no observation lies inside" in res.output, res.output
    bad = tmp_path / "screening.csv"
    bad.write_text("rank,parameter,decision\n1,combat.intensity,calibrated\n2,combat.no_such_knob,fixed: inert\n")
    res = runner.invoke(app, ["calibrate", "russia-2022", "--screening", str(bad), "--out", str(tmp_path / "d")])
    assert res.exit_code == 2 and len(res.output.strip().splitlines()) == 1, res.output
    assert f"--screening {bad}: line 3, field parameter: 'combat.no_such_knob'" in res.output
    assert not (tmp_path / "d").exists()  # refused before any run


def test_a_reused_screening_keeps_its_calibrated_rows(tmp_path):
    params = [Uncertain(n, 1.0, 0.0, 2.0) for n in ("a", "b", "c")]
    good = tmp_path / "good.csv"
    good.write_text("rank,parameter,decision\n1,b,calibrated\n2,a,fixed: weak (not among the kept)\n"
                    "3,c,fixed: inert\n")
    table = read_screening(good, params)
    assert list(table.loc[table["decision"] == "calibrated", "parameter"]) == ["b"]
    for text, message in (("parameter\nb\n", "no column 'decision'"),
                          ("parameter,decision\nb,kept\n", "line 2, field decision: 'kept'"),
                          ("parameter,decision\nb,fixed: inert\n", "no row has decision 'calibrated'")):
        good.write_text(text)
        with pytest.raises(ValueError, match=message):
            read_screening(good, params)
    with pytest.raises(ValueError, match="cannot be read as CSV"):
        read_screening(tmp_path / "absent.csv", params)


def test_screening_keeps_what_the_data_can_see():
    """Parameters are kept round by round over the observations, so an output that explodes in part of the prior
    does not take every place: b keeps its strongest parameter although a's second is larger in sds."""
    params = [Uncertain(n, 1.0, 0.0, 2.0) for n in ("explosive", "strong", "weak", "inert", "second")]
    obs = [Observation("a", 100.0, 25.0), Observation("b", 10.0, 1.0)]  # total sds: sqrt(25+100), sqrt(1+1)
    spread = pd.Series({"a": 0.0, "b": 0.0})
    indices = pd.DataFrame({"outcome": ["a"] * 5 + ["b"] * 5, "parameter": [p.name for p in params] * 2,
                            "mu_star": [500.0, 50.0, 3.0, 0.1, 9.0, 0.0, 0.5, 0.2, 0.1, 4.0]})
    table = screening_table(indices, params, obs, spread, threshold=0.5, keep=2).set_index("parameter")
    assert table.loc["explosive", "kept_for"] == "a" and table.loc["second", "kept_for"] == "b"
    assert table.loc["second", "decision"] == "calibrated"
    assert np.isclose(table.loc["strong", "effect"], 50 / np.sqrt(125))
    assert table.loc["strong", "decision"] == "fixed: weak (not among the kept)"  # 4.5 sd on a, but a has its one
    assert table.loc["weak", "decision"] == "fixed: inert"  # 3/sqrt(125) = 0.27 sd on a, 0.14 on b
    assert table.loc["inert", "decision"] == "fixed: inert"
    assert table.loc["explosive", "rank"] == 1 and table.loc["explosive", "moves_most"] == "a"
