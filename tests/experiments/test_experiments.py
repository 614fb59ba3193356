"""The experiment layer: outcomes, executors giving identical bytes, resume after a kill, failures, SALib."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import morale
from morale.experiments.compare import compare
from morale.experiments.design import function_model
from morale.experiments.ensemble import ensemble
from morale.experiments.outcomes import OutcomeError, parse_outcome
from morale.experiments.parameters import Uncertain, draw_run, from_unit
from morale.experiments.sensitivity import ishigami, sensitivity
from morale.experiments.store import ExperimentFolderError
from morale.experiments.sweep import sweep
from tests.conftest import assert_conserved

SMALL = {"scale": 500, "end": "2022-09-30"}
OUTPUTS = ("runs.parquet", "quantiles.parquet")


def conserved(table: pd.DataFrame) -> None:
    """The identity, checked inside each worker (statuses and locations), on every finished run."""
    ok = table[table["status"] == "ok"]
    assert len(ok) and (ok["conservation_error"] <= 1e-6).all(), ok["conservation_error"].max()


# outcomes --------------------------------------------------------------------------------------------------------
def test_outcomes_follow_registration():
    dates = pd.date_range("2022-12-29", periods=60, freq="7D")
    series = pd.DataFrame({"killed": np.arange(60.0), "serving": np.arange(60.0) * 10}, index=dates)
    kinds = {"killed": "flow", "serving": "stock"}
    known = ["killed", "serving"]
    assert parse_outcome("killed@2023-01-12", known).evaluate(series, kinds) == 0 + 1 + 2
    assert parse_outcome("serving@2023-01-12", known).evaluate(series, kinds) == 20
    assert parse_outcome("killed", known).evaluate(series, kinds) == series["killed"].sum()
    assert parse_outcome("serving", known).evaluate(series, kinds) == 590
    year = series.loc["2023", "killed"]
    assert parse_outcome("sum(killed, 2023)", known).evaluate(series, kinds) == year.sum()
    assert parse_outcome("mean(serving, 2023:2023)", known).evaluate(series, kinds) == series.loc["2023",
                                                                                                   "serving"].mean()
    assert parse_outcome("max(killed)", known).evaluate(series, kinds) == 59
    assert parse_outcome("min(serving, 2023-02-01:2023-03-01)", known).evaluate(series, kinds) == 50
    with pytest.raises(OutcomeError, match="did you mean 'killed@2025-12-31'"):
        parse_outcome("kiled@2025-12-31")
    with pytest.raises(OutcomeError, match="unknown reducer 'avg'"):
        parse_outcome("avg(killed)")
    with pytest.raises(OutcomeError, match="expected a year"):
        parse_outcome("killed@soon")


def test_draws_follow_distributions():
    tri = Uncertain("t", 1.0, 0.0, 4.0, "triangular")
    normal = Uncertain("n", 2.0, 0.0, 3.0, "normal")
    u = np.linspace(0.001, 0.999, 999)
    assert np.isclose(np.median(from_unit(tri, u)), 4 - np.sqrt(6), atol=0.01)  # median of tri(0, 1, 4)
    values = from_unit(normal, u)
    assert values.min() >= 0 and values.max() <= 3 and abs(np.median(values) - 2.0) < 0.15
    params = [tri, normal]
    assert draw_run(params, 5, 3) == draw_run(params, 5, 3) != draw_run(params, 5, 4)


# executors -------------------------------------------------------------------------------------------------------
def test_executors_write_identical_bytes(tmp_path):
    """In-process, the process pool and a 2-worker Dask LocalCluster give bit-identical Parquet."""
    folders = {}
    for scheduler in ("inprocess", "processes", "local"):
        folders[scheduler] = tmp_path / scheduler
        result = ensemble("russia-2022", runs=3, seed=7, uncertainty=True, outcomes=["killed@2022-06-30"],
                          out=folders[scheduler], scheduler=scheduler, workers=2, **SMALL)
        conserved(result.runs)
    for name in OUTPUTS:
        first = (folders["inprocess"] / name).read_bytes()
        assert all((folders[s] / name).read_bytes() == first for s in ("processes", "local")), name
    # run 2 alone (`morale.run(seed=7, replicate=2, base=<its draws>)`) is the ensemble's run 2: draws are base
    # values that dated events still change, not --set pins (which drop those events)
    drawn = {k: float(result.runs.loc[2, k]) for k in result.spec["drawn"]}
    alone = morale.run("russia-2022", seed=7, replicate=2, base=drawn, **SMALL)
    assert_conserved(alone)
    np.testing.assert_array_equal(alone.series.to_numpy(), result.series(2).to_numpy())
    band = result.band("soldiers_front")
    assert list(band.columns) == [0.05, 0.25, 0.5, 0.75, 0.95] and (band[0.05] <= band[0.95]).all()
    assert (folders["local"] / "bands.png").stat().st_size > 0 and (folders["local"] / "report.html").is_file()


def _records(folder: Path) -> dict[str, tuple[int, str]]:
    return {p.stem: (p.stat().st_mtime_ns, p.read_text()) for p in (folder / "runs").glob("*.json")}


KILLED = dict(runs=4, seed=3, scale=500, end="2022-06-30", outcomes=["killed"])


def _killed_ensemble(out: Path, after: int, point: str = "log", scheduler: str = "inprocess",
                     workers: int = 1) -> subprocess.CompletedProcess:
    """An ensemble in a child process that SIGKILLs itself while saving its `after`-th run, at `point`
    (the store's test hook: no timing involved)."""
    script = (f"import morale\nif __name__ == '__main__':\n    morale.ensemble('russia-2022', out={str(out)!r}, "
              f"scheduler={scheduler!r}, workers={workers}, **{KILLED!r})\n")
    env = {**os.environ, "MORALE_TEST_KILL_AFTER_RUNS": str(after), "MORALE_TEST_KILL_POINT": point}
    # output to a file, not a pipe: orphaned workers would hold a pipe open and the wait would hang on them
    with open(out.parent / f"{out.name}.stderr", "w+") as stderr:
        child = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parents[2], env=env,
                               stdout=subprocess.DEVNULL, stderr=stderr, timeout=600)
        stderr.seek(0)
        assert child.returncode == -signal.SIGKILL, stderr.read()[-2000:]
    return child


def _log(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return ensemble("russia-2022", **KILLED, out=tmp_path_factory.mktemp("fresh"), scheduler="inprocess")


@pytest.mark.parametrize("point, scheduler", [("log", "processes"), ("record", "inprocess"),
                                              ("series", "inprocess")])
def test_resume_after_kill_redoes_nothing_and_loses_nothing(tmp_path, uninterrupted, point, scheduler):
    """Killed after its 2nd run's log line, between its record and its log line, or between its series and its
    record: a resume redoes exactly the runs without a record, and the log then has one `run` line per record."""
    out = tmp_path / "killed"
    _killed_ensemble(out, after=2, point=point)
    before = _records(out)
    assert len(before) == (1 if point == "series" else 2)
    logged = [e["key"] for e in _log(out) if e["event"] == "run"]
    assert len(logged) == (2 if point == "log" else 1)
    resumed = ensemble("russia-2022", **KILLED, out=out, resume=True, scheduler=scheduler, workers=2)
    after = _records(out)
    assert set(after) == {f"{i:05d}" for i in range(KILLED["runs"])}
    assert all(after[k] == before[k] for k in before), "a finished run was redone or changed"
    log = _log(out)
    runs = [e for e in log if e["event"] == "run"]
    executed = [e["key"] for e in runs]
    assert sorted(executed) == sorted(after) and len(executed) == len(set(executed)), "a run was done twice"
    reconciled = [e["key"] for e in runs if e.get("reconciled")]
    assert reconciled == (["00001"] if point == "record" else [])
    assert all(e["status"] == json.loads(after[e["key"]][1])["status"] for e in runs)
    assert not list((out / "runs").glob("*.tmp"))
    conserved(resumed.runs)
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (uninterrupted.folder / name).read_bytes(), name


def _alive(pid: int) -> bool:
    """Running (a zombie, or a pid no longer in /proc, counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def _wait_gone(pid: int, timeout: float) -> bool:
    """Block until process `pid` ends (a pidfd becomes readable when it does), at most `timeout` seconds."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    return not _alive(pid)


@pytest.mark.skipif(not hasattr(os, "pidfd_open") or not Path("/proc/self/stat").exists(),
                    reason="needs Linux (pidfd_open, /proc)")
def test_workers_exit_when_the_main_process_is_killed(tmp_path):
    out = tmp_path / "orphans"
    _killed_ensemble(out, after=1, scheduler="processes", workers=2)
    log = _log(out)
    sessions = [e for e in log if e["event"] == "session"]
    workers = set(sessions[0]["worker_pids"]) | {e["pid"] for e in log if e["event"] == "run"}
    main = sessions[0]["pid"]
    assert len(sessions[0]["worker_pids"]) == 2 and main not in workers
    # a generous bound, not a timing assertion: a worker in the middle of a run exits at its next week
    survivors = [pid for pid in sorted(workers) if not _wait_gone(pid, timeout=120)]
    assert not survivors, f"worker processes {survivors} outlived the main process {main}"


def test_folder_rules(tmp_path):
    ensemble("russia-2022", runs=1, out=tmp_path, scheduler="inprocess", **SMALL)
    with pytest.raises(ExperimentFolderError, match="--resume to continue"):
        ensemble("russia-2022", runs=1, out=tmp_path, scheduler="inprocess", **SMALL)
    with pytest.raises(ExperimentFolderError, match="differs in: runs"):
        ensemble("russia-2022", runs=2, out=tmp_path, resume=True, scheduler="inprocess", **SMALL)
    again = ensemble("russia-2022", runs=1, out=tmp_path, resume=True, scheduler="inprocess", **SMALL)
    conserved(again.runs)
    ensemble("russia-2022", runs=1, seed=1, out=tmp_path, force=True, scheduler="inprocess", **SMALL)


# failures --------------------------------------------------------------------------------------------------------
def fragile(x: float, z: float) -> float:
    if x > 0.75:
        raise RuntimeError(f"diverged at x={x:.3f}")
    return x + 2 * z


def test_a_failing_run_is_reported_and_the_experiment_completes(tmp_path, capsys):
    model, params = function_model(fragile, {"x": (0.0, 1.0), "z": (0.0, 1.0)})
    result = sweep(model=model, parameters=params, design="grid", levels=5, outcomes=["y"], out=tmp_path,
                   scheduler="processes", workers=2)
    failed = result.table[result.table["status"] == "failed"]
    assert len(result.table) == 25 and len(failed) == 5
    assert failed["error"].str.contains("RuntimeError: diverged at x=1.000").all()
    assert result.points["y"].isna().sum() == 5 and result.points["y"].notna().sum() == 20
    assert "failed" in capsys.readouterr().err
    log = (tmp_path / "log.jsonl").read_text()
    assert "Traceback" in log


# analyses --------------------------------------------------------------------------------------------------------
def test_sobol_recovers_ishigami_indices(tmp_path):
    model, params = function_model(ishigami, {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)})
    result = sensitivity(method="sobol", model=model, parameters=params, samples=1024, outcomes=["y"],
                         out=tmp_path, scheduler="inprocess")
    indices = result.indices.set_index("parameter")
    np.testing.assert_allclose(indices.loc[["x1", "x2", "x3"], "S1"], [0.3139, 0.4424, 0.0], atol=0.06)
    np.testing.assert_allclose(indices.loc[["x1", "x2", "x3"], "ST"], [0.5576, 0.4424, 0.2437], atol=0.06)
    assert list(indices.index) == ["x1", "x2", "x3"] and (indices["ST_conf"] > 0).all()
    assert (tmp_path / "sensitivity.png").stat().st_size > 0


def test_morris_dummy_is_never_read_and_is_a_zero_floor(tmp_path):
    """--dummy: a parameter on [0, 1] SALib samples but the model never gets (Ishigami's signature would refuse
    it); its mu* and interval are 0, and the real parameters clear it (mu* - conf > dummy mu* + conf)."""
    model, params = function_model(ishigami, {f"x{i}": (-np.pi, np.pi) for i in (1, 2, 3)})
    result = sensitivity(method="morris", model=model, parameters=params, samples=20, outcomes=["y"],
                         out=tmp_path, scheduler="inprocess", dummy=True)
    assert len(result.table) == 20 * (3 + 1 + 1) and (result.table["status"] == "ok").all()
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert records and all(set(r["params"]) == {"x1", "x2", "x3"} and "dummy" in r["labels"] for r in records)
    assert set(result.table["dummy"].round(6)) == {0.0, round(1 / 3, 6), round(2 / 3, 6), 1.0}  # 4 levels
    assert result.spec["dummy"]["name"] == "dummy" and [p["name"] for p in result.spec["parameters"]] == [
        "x1", "x2", "x3"]
    indices = result.indices.set_index("parameter")
    assert list(result.indices.columns[:3]) == ["outcome", "parameter", "rank"]
    assert indices.loc["dummy", "mu_star"] == pytest.approx(0.0, abs=1e-12)
    assert indices.loc["dummy", "mu_star_conf"] == pytest.approx(0.0, abs=1e-12)
    assert indices.loc["dummy", "rank"] == 4 and not indices.loc["dummy", "above_dummy"]
    real = indices.loc[["x1", "x2", "x3"]]
    assert (real["mu_star"] - real["mu_star_conf"] > 0).all() and real["above_dummy"].all()
    # without --dummy nothing changes: no dummy row, no above_dummy column
    plain = sensitivity(method="morris", model=model, parameters=params, samples=20, outcomes=["y"],
                        out=tmp_path / "plain", scheduler="inprocess")
    assert "dummy" not in set(plain.indices["parameter"]) and "above_dummy" not in plain.indices
    with pytest.raises(ValueError, match="already named 'dummy'"):
        sensitivity(method="morris", model=model, parameters=[*params, Uncertain("dummy", 0.5, 0.0, 1.0)],
                    samples=2, outcomes=["y"], out=tmp_path / "clash", scheduler="inprocess", dummy=True)


def test_simulator_sweep_morris_and_compare(tmp_path):
    swept = sweep(params=["combat.intensity=0.03:0.07"], levels=2, runs=2, outcomes=["killed"],
                  out=tmp_path / "sweep", scheduler="inprocess", **SMALL)
    conserved(swept.table)
    assert list(swept.points["combat.intensity"]) == [0.03, 0.07]
    assert swept.points["killed"].iloc[1] > swept.points["killed"].iloc[0]
    # paired seeds: replicate r of every point shares a seed
    assert swept.table.groupby("replicate")["seed"].nunique().eq(1).all()
    screened = sensitivity(method="morris", params=["combat.intensity", "pay.monthly_pay"], samples=2,
                           outcomes=["killed"], out=tmp_path / "morris", scheduler="inprocess", dummy=True, **SMALL)
    assert screened.indices.iloc[0]["parameter"] == "combat.intensity"
    conserved(screened.table)
    # the dummy never reaches the scenario: no override, no run parameter; runs differing only in it are equal
    assert "dummy" not in screened.spec["model"]["overrides"]
    records = [json.loads(p.read_text()) for p in (tmp_path / "morris" / "runs").glob("*.json")]
    assert len(records) == 2 * 4 and all("dummy" not in r["params"] for r in records)
    floor = screened.indices.set_index("parameter").loc["dummy"]
    assert floor["mu_star"] == 0 and floor["mu_star_conf"] == 0
    both = compare("russia-2022", "russia-2022-long-training", runs=2, outcomes=["killed", "max(soldiers_front)"],
                   out=tmp_path / "compare", scheduler="inprocess", **SMALL)
    conserved(both.a.runs)
    conserved(both.b.runs)
    assert list(both.effects["outcome"]) == ["killed", "max(soldiers_front)"]
    assert list(both.differences["replicate"]) == [0, 1]
    assert set(pd.read_parquet(tmp_path / "compare" / "quantiles.parquet")["scenario"]) == {
        "russia-2022", "russia-2022-long-training"}


# command line ----------------------------------------------------------------------------------------------------
def _app():
    import typer

    from morale.cli import app
    from morale.experiments.cli import experiment_commands

    test_app = typer.Typer()
    test_app.registered_commands += app.registered_commands
    names = {c.name or c.callback.__name__ for c in test_app.registered_commands}
    test_app.registered_commands += [c for c in experiment_commands.registered_commands
                                     if (c.name or c.callback.__name__) not in names]
    return test_app


def test_cli_compare_a_scenario_against_itself_with_a_dated_change(tmp_path):
    """No file needed: B is A with an event; the event reaches B only and changes what it should."""
    result = CliRunner().invoke(_app(), ["compare", "russia-2022", "russia-2022", "--b-event",
                                         "2022-05-01:combat.intensity=0.09", "--runs", "2", "--scale", "500", "--end",
                                         "2022-09-30", "--scheduler", "inprocess", "--outcome", "killed", "--outcome",
                                         "killed@2022-04-20", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    runs = pd.read_parquet(tmp_path / "c" / "runs.parquet")
    conserved(runs)
    effects = pd.read_parquet(tmp_path / "c" / "effects.parquet").set_index("outcome")
    assert effects.loc["killed@2022-04-20", "mean B-A"] == 0  # same seeds, nothing differs before the event
    assert effects.loc["killed", "share B>A"] == 1
    changes = json.loads((tmp_path / "c" / "manifest.json").read_text())["provenance"]["changes"]
    assert changes == {"A (A:russia-2022)": [],
                       "B (B:russia-2022)": ["added event 2022-05-01: combat.intensity = 0.09"]}


def test_cli_ensemble_and_errors(tmp_path):
    runner = CliRunner()
    app = _app()
    ok = runner.invoke(app, ["ensemble", "--runs", "2", "--scale", "500", "--end", "2022-09-30", "--out",
                             str(tmp_path / "e"), "--scheduler", "inprocess", "--outcome", "max(soldiers_front)"])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "e" / "quantiles.parquet").is_file()
    conserved(pd.read_parquet(tmp_path / "e" / "runs.parquet"))
    cases = {
        ("ensemble", "--outcome", "kiled@2025-12-31"): "did you mean 'killed@2025-12-31'",
        ("ensemble", "--scheduler", "mpi"): "--scheduler",
        ("ensemble", "--out", str(tmp_path / "e")): "--resume",
        ("sweep", "--param", "combat.intensiti", "--outcome", "killed"): "did you mean 'combat.intensity'",
        ("sensitivity", "--method", "fast", "--outcome", "killed", "--out", str(tmp_path / "s")): "--method",
        ("sensitivity", "--dummy", "--method", "fast", "--outcome", "killed", "--out", str(tmp_path / "s")):
            "--method",
    }
    for args, message in cases.items():
        result = runner.invoke(app, list(args))
        assert result.exit_code == 2 and message in result.output, (args, result.output)
    assert not (tmp_path / "s").exists() or not any((tmp_path / "s").iterdir())


def test_validate_robust_reports_share_and_kind(tmp_path):
    runner = CliRunner()
    result = runner.invoke(_app(), ["validate", "--only", "F6", "--robust", "2", "--runs", "2", "--scale", "500",
                                    "--end", "2023-06-30", "--scheduler", "inprocess", "--out", str(tmp_path),
                                    "--json"])
    summary = json.loads(result.stdout)
    assert [(s["pattern"], s["kind"], s["draws"]) for s in summary] == [("F6", "verification", 2)]
    assert summary[0]["share"] == summary[0]["held"] / 2
    table = pd.read_parquet(tmp_path / "robust.parquet")
    assert list(table["draw"]) == [0, 1] and "combat.intensity" in table.columns
    records = [json.loads(p.read_text()) for p in (tmp_path / "runs").glob("*.json")]
    assert len(records) == 4 and all(r["outcomes"]["conservation_error"] <= 1e-6 for r in records)


# outcome dates and the experiment folder, checked before any run (issue 10) --------------------------------------
def test_outcome_dates_must_lie_within_the_run():
    import datetime as dt

    from morale.experiments.outcomes import check_outcome_dates, parse_outcomes

    start, end = dt.date(2022, 2, 24), dt.date(2022, 6, 30)
    fine = ["killed", "killed@2022-06-30", "killed@2022-02-24", "sum(killed, 2022-03-01:2022-06-30)",
            "max(serving, :2022-05-01)", "mean(serving, 2022:)"]
    check_outcome_dates(parse_outcomes(fine), start, end)
    bad = {
        "killed@2030-01-01": "date 2030-01-01 is after the run's end",
        "killed@2022-01-01": "date 2022-01-01 is before the run's start",
        "sum(killed, 2022)": "window ends 2022-12-31, after the run's end",
        "mean(serving, 2022-05-01:2022-07-31)": "window ends 2022-07-31, after the run's end",
        "sum(killed, 2021)": "window ends 2021-12-31, before the run's start",
        "sum(killed, 2023:)": "window starts 2023-01-01, after the run's end",
        "min(serving, 2022-01-01:2022-03-01)": "window starts 2022-01-01, before the run's start",
    }
    for text, message in bad.items():
        with pytest.raises(OutcomeError) as err:
            check_outcome_dates(parse_outcomes([text]), start, end)
        line = str(err.value)
        assert "\n" not in line and message in line and text.split("(")[0] in line and "2022-02-24..2022-06-30" \
            in line, line


def test_outcome_past_the_end_fails_before_any_run(tmp_path):
    kwargs = dict(runs=1, scale=500, end="2022-06-30", scheduler="inprocess")
    with pytest.raises(OutcomeError, match=r"'killed@2030-01-01': date 2030-01-01 is after the run's end"):
        ensemble("russia-2022", outcomes=["killed@2030-01-01"], out=tmp_path / "e", **kwargs)
    with pytest.raises(OutcomeError, match=r"'sum\(killed, 2023\)': window ends 2023-12-31"):
        compare("russia-2022", "russia-2022-long-training", outcomes=["sum(killed, 2023)"], out=tmp_path / "c",
                **kwargs)
    with pytest.raises(OutcomeError, match="after the run's end"):
        sweep(params=["combat.intensity=0.03:0.07"], levels=2, outcomes=["killed@2023-01-01"],
              out=tmp_path / "s", **kwargs)
    assert not any(tmp_path.iterdir())  # no folder, so no run


def test_out_under_a_file_fails_in_one_line_before_any_run(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    for out, message in ((a_file, "is a file"), (a_file / "exp", f"{a_file} is a file")):
        with pytest.raises(ExperimentFolderError) as err:
            ensemble("russia-2022", runs=1, out=out, scheduler="inprocess", **SMALL)
        line = str(err.value)
        assert line.startswith(f"--out {out}: ") and message in line and "expected" in line and "\n" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# F1's live chain (validate) --------------------------------------------------------------------------------------
def test_f1_claims_the_response_volumes_change_either_way():
    """F1 holds only if contracts fall with leaks and each response volume changes (interval excluding 0, either
    sign, the sign stated); the ladder's own change is reported beside, not claimed. Fed fixed measures."""
    from morale.experiments.validate import DEFAULT, KIND, PATTERNS, Ensemble, f1

    assert list(PATTERNS) == [f"F{i}" for i in range(1, 11)] and set(KIND) == set(PATTERNS)
    rng = np.random.default_rng(0)
    ens = Ensemble(runs=6, scale=100, seed=0, end=None)

    def measures(contract, coerced, converted, ministry, noise):
        return [{"status": "ok", "outcomes": {
            "contract_from_2023": contract + rng.normal(0, 1), "coerced_from_2023": coerced + rng.normal(0, 1),
            "converted_from_2023": converted + rng.normal(0, noise), "convict_ministry_from_2023": ministry,
            "pressure_from_2023": 0.5}} for _ in range(6)]

    ens._measures[(DEFAULT, None, 100)] = measures(100.0, 50.0, 30.0, 10.0, 1.0)
    ens._measures[("russia-2022-no-leaks", None, 100)] = measures(120.0, 40.0, 20.0, 12.0, 1.0)
    held = f1(ens)
    assert held.passed and held.effect == pytest.approx(-20, abs=2)
    assert "(b) holds: sum of recruits_coerced" in held.detail and "default higher, the sign the chain" in held.detail
    assert "(d) holds" in held.detail and "default lower, against the chain" in held.detail
    assert "the ladder (mean shortfall_pressure from 2023-01-01): +0 [0, 0]" in held.detail
    ens = Ensemble(runs=6, scale=100, seed=0, end=None)
    ens._measures[(DEFAULT, None, 100)] = measures(100.0, 50.0, 30.0, 10.0, 30.0)
    ens._measures[("russia-2022-no-leaks", None, 100)] = measures(120.0, 40.0, 30.0, 12.0, 30.0)
    failed = f1(ens)
    assert not failed.passed and "(c) FAILS: sum of recruits_converted" in failed.detail
    assert "not distinguishable (the interval spans 0)" in failed.detail
