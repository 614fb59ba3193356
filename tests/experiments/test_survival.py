"""Survival of the requirement: failure dates read from each run's weekly flag, Kaplan-Meier with censoring,
per arm for a comparison; the same on a real ensemble folder, checked against its own series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from morale.experiments.ensemble import ensemble
from morale.experiments.store import ExperimentFolderError, Store
from morale.experiments.survival import kaplan_meier, survival

DATES = pd.date_range("2024-01-04", periods=10, freq="7D")


def flag_run(store: Store, key: str, fail_week: int | None, weeks: int = 10, arm: str | None = None,
             x: float = 0.0) -> None:
    flag = np.zeros(weeks)
    if fail_week is not None:
        flag[fail_week:] = 1.0
    series = {"dates": DATES[:weeks].values, "columns": ["requirement_failed", "killed"],
              "values": np.column_stack([flag, np.arange(weeks, dtype=float)])}
    store.save_run({"key": key, "seed": 0, "replicate": int(key[-1]), "labels": {"arm": arm} if arm else {},
                    "params": {"x": x}, "status": "ok", "error": None, "outcomes": {}, "summary": {}}, series)


def test_failure_dates_and_kaplan_meier_with_a_censored_run(tmp_path):
    store = Store(tmp_path / "f", {"kind": "test"})
    flag_run(store, "r0", 2)
    flag_run(store, "r1", 5)
    flag_run(store, "r2", None, weeks=4)  # stops early, never failed: censored at week 3
    flag_run(store, "r3", None)  # never failed within its horizon
    result = survival(tmp_path / "f")
    failures = result.failures.set_index("key")
    assert list(failures["failed"]) == [True, True, False, False]
    assert failures.loc["r0", "failure_date"] == DATES[2] and failures.loc["r1", "failure_date"] == DATES[5]
    assert failures.loc["r2", "last_date"] == DATES[3] and pd.isna(failures.loc["r3", "failure_date"])
    curve = result.curve.set_index("date")
    # at week 2: 4 at risk, 1 fails -> 3/4; week 3: r2 censored; week 5: 2 at risk, 1 fails -> 3/4 * 1/2
    assert curve.loc[DATES[2], "survival"] == pytest.approx(0.75)
    assert curve.loc[DATES[5], "at_risk"] == 2
    assert curve.loc[DATES[5], "survival"] == pytest.approx(0.375)
    assert result.share_failed_by(str(DATES[4].date())) == pytest.approx(0.25)
    assert result.median_failure() == DATES[5]
    for name in ("failure_dates.parquet", "survival.parquet", "survival.png"):
        assert (tmp_path / "f" / "survival" / name).is_file()


def test_without_censoring_the_curve_is_the_plain_share_not_failed():
    failures = pd.DataFrame({"failed": [True, True, False, True, False],
                             "failure_date": pd.to_datetime(["2025-01-02", "2026-01-01", None, "2026-01-01", None]),
                             "last_date": pd.to_datetime(["2027-12-30"] * 5)})
    curve = kaplan_meier(failures).set_index("date")
    for date in curve.index:
        share = ((failures["failure_date"] <= date) & failures["failed"]).mean()
        assert curve.loc[date, "survival"] == pytest.approx(1 - share)


def test_a_comparison_gets_one_curve_per_arm_and_a_folder_without_series_is_one_line(tmp_path):
    store = Store(tmp_path / "c", {"kind": "test"})
    flag_run(store, "a0", 3, arm="A")
    flag_run(store, "b0", None, arm="B")
    result = survival(tmp_path / "c", out=tmp_path / "out")
    assert set(result.curve["arm"]) == {"A", "B"}
    assert result.share_failed_by("2025-01-01", "A") == 1 and result.share_failed_by("2025-01-01", "B") == 0
    (tmp_path / "c" / "runs" / "b0.parquet").unlink()
    with pytest.raises(ExperimentFolderError, match="b0.*kept no weekly series"):
        survival(tmp_path / "c")


def test_a_real_ensemble_folder(tmp_path):
    ens = ensemble("russia-2022", runs=2, scale=500, end="2022-09-30", out=tmp_path / "e", scheduler="inprocess")
    result = survival(tmp_path / "e")
    assert len(result.failures) == 2
    for _, run in result.failures.iterrows():
        flag = ens.series(int(run["key"]))["requirement_failed"]
        assert run["failed"] == bool((flag >= 1).any())
        assert run["last_date"] == flag.index[-1]
