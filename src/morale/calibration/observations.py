"""Observation models: how each calibration target observes the model's output (docs/observation-models.md).

`data/observation_models.csv` has one row per row of `national_targets.csv` (the key: target, period_start,
period_end) plus rows for figures that table holds only inside another row (the named-death list, computed from
`shared/data/calibration/deaths_weekly_estimate_release_2026-05-22.csv`; the 2024 budget count; the H1 2025
official claim). A row's `role` says whether it is an observation (`target`) or why it is not (`input`,
`ceiling`, `other-war`, `shape-only`, `check`). For a target, with t the model statistic of `morale.results.
targets.STATISTICS` over the period shifted back by `lag_weeks`, m the multiplier and b the bias:

    E[z] = m (1 + b) t

    Var_obs = (sd_relative z)^2 + sd_absolute^2 + (z multiplier_sd / m)^2 + (z bias_sd / (1 + b))^2
              + z (1 - z) / sample_size + house_sd^2

The multiplier's and the bias's uncertainties enter at the true value the observation implies, t = z / (m (1 + b))
(so (multiplier_sd t (1 + b))^2 = (z multiplier_sd / m)^2); the sampling term only for a poll (z a share). The
model discrepancy is the row's `discrepancy` share of |z| (empty: the calibration's default).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from morale.calibration.history_matching import Observation
from morale.results.targets import STATISTICS, departures_target_share, in_run, national_targets

ROLES = ("target", "input", "ceiling", "other-war", "shape-only", "check")
KEY = ("target", "period_start", "period_end")
COLUMNS = ("target", "period_start", "period_end", "role", "measure", "statistic", "value", "unit", "reliability",
           "multiplier", "multiplier_sd", "bias", "bias_sd", "lag_weeks", "sd_relative", "sd_absolute", "house_sd",
           "sample_size", "discrepancy", "source_or_reason")
DEFAULTS = {"multiplier": 1.0, "multiplier_sd": 0.0, "bias": 0.0, "bias_sd": 0.0, "lag_weeks": 0.0,
            "sd_relative": 0.0, "sd_absolute": 0.0, "house_sd": 0.0}  # an empty cell means this
NONNEGATIVE = ("multiplier_sd", "bias_sd", "lag_weeks", "sd_relative", "sd_absolute", "house_sd")
PRORATED = ("emigration_departures",)
FILE = "observation_models.csv"


class ObservationError(ValueError):
    """A bad observation-model file: one line naming the file, the row, the field, the value and what was
    expected."""


@dataclass(frozen=True)
class _Where:
    path: str
    line: int | None
    target: str
    start: str
    end: str

    def fail(self, field: str, value, expected: str) -> ObservationError:
        at = f"line {self.line}, " if self.line is not None else ""
        return ObservationError(f"{self.path}: {at}row {self.target} {self.start}..{self.end}: {field} = {value!r}; "
                                f"expected {expected}")


def observation_id(target: str, period_start, period_end) -> str:
    """`target@start..end` (ISO dates; an open end is empty): the observation's name and its run outcome's."""
    return f"{target}@{_iso(period_start)}..{_iso(period_end)}"


def observation_table(path: str | Path | None = None) -> pd.DataFrame:
    """The observation models joined with the targets (value, low, high, unit, reliability, source), checked.

    One row per observation model; `id` is `observation_id`; period dates are Timestamps (NaT: open end); numeric
    model fields are floats with empty cells at their defaults; `variance` is Var_obs at z = value (before any
    proration). `path` (default: the packaged file) lets a test point at a copy."""
    if path is None:
        return _packaged_table().copy()
    return _load(Path(path))


def inputs_table(path: str | Path | None = None) -> pd.DataFrame:
    """The rows that are not observations: their role and the reason (for the docs and the calibration report)."""
    table = observation_table(path)
    rest = table[table["role"] != "target"]
    return rest[["id", "target", "period_start", "period_end", "role", "measure", "value", "unit", "reliability",
                 "source_or_reason"]].rename(columns={"source_or_reason": "reason"}).reset_index(drop=True)


def observations(start, end, path: str | Path | None = None) -> list[Observation]:
    """The `target` rows whose period lies inside a run from `start` to `end` (dates), as `Observation`s:
    output = `observation_id`, value = z (prorated for a period that began before the run, as in
    `targets.compare`), variance = Var_obs (the module docstring), discrepancy = the row's share or None."""
    first, last = _run_weeks(start, end)
    out = []
    for row in _targets(observation_table(path)).itertuples(index=False):
        if not in_run(row, first, last):
            continue
        z = _observed_value(row, first)
        out.append(Observation(output=row.id, value=z, variance=_variance(row, z),
                               discrepancy=None if math.isnan(row.discrepancy) else float(row.discrepancy),
                               label=_label(row)))
    return out


def simulated_observables(run) -> dict[str, float]:
    """Each target observation inside `run` (a finished `Run`, or anything with `.series` and `.scenario`): its
    expected observed value m (1 + b) t, keyed by `observation_id`. The same rows as `observations(run's start,
    run's end)`. Module-level and picklable (it is sent to worker processes)."""
    first, last = _run_weeks(run.scenario.start, run.scenario.end)
    out = {}
    for row in _targets(_packaged_table()).itertuples(index=False):
        if in_run(row, first, last):
            out[row.id] = expected_observed(row, run.series, run.scenario)
    return out


def expected_observed(row, series: pd.DataFrame, scenario) -> float:
    """One observation model's expected observed value for a weekly `series`: the statistic (`statistic`, else the
    target's own, from `targets.STATISTICS`) over the period shifted back by `lag_weeks` (what is observed in
    [start, end] happened `lag_weeks` earlier), times `multiplier` times (1 + `bias`)."""
    name = row.statistic if isinstance(row.statistic, str) and row.statistic else row.target
    statistic, _ = STATISTICS[name]
    lag = pd.Timedelta(weeks=float(row.lag_weeks))
    shifted = SimpleNamespace(target=row.target, period_start=row.period_start - lag,
                              period_end=row.period_end - lag if not pd.isna(row.period_end) else row.period_end)
    return float(statistic(series, shifted, scenario)) * float(row.multiplier) * (1.0 + float(row.bias))


def observation_variance(row, z: float | None = None) -> float:
    """Var_obs of an observation-model row at z (default: the row's value)."""
    return _variance(row, float(row.value) if z is None else float(z))


# --- loading and checking ----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _packaged_table() -> pd.DataFrame:
    with resources.as_file(resources.files("morale.data").joinpath(FILE)) as path:
        return _load(Path(path), shown=f"morale/data/{FILE}")


def _load(path: Path, shown: str | None = None) -> pd.DataFrame:
    shown = shown or str(path)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise ObservationError(f"{shown}: cannot be read ({type(err).__name__}: {err}); expected a CSV with the "
                               f"columns {', '.join(COLUMNS)}") from None
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise ObservationError(f"{shown}: header: columns {missing!r} missing; expected the columns "
                               f"{', '.join(COLUMNS)}")
    raw = raw.map(str.strip)
    national = national_targets()
    known = {(r.target, _iso(r.period_start), _iso(r.period_end)): r for r in national.itertuples(index=False)}
    rows, seen = [], {}
    for i, cells in enumerate(raw.to_dict("records")):
        line = i + 2  # the header is line 1
        where = _Where(shown, line, cells["target"] or "?", cells["period_start"], cells["period_end"])
        rows.append(_check_row(cells, where, known))
        key = (rows[-1]["target"], _iso(rows[-1]["period_start"]), _iso(rows[-1]["period_end"]))
        if key in seen:
            raise where.fail("target", cells["target"], f"one observation model per key (target, period); this key "
                                                        f"is also on line {seen[key]}")
        seen[key] = line
    for key in known:
        if key not in seen:
            where = _Where(shown, None, key[0], key[1], key[2])
            raise where.fail("target", key[0], "a row for every row of national_targets.csv (this one has no "
                                               "observation model)")
    table = pd.DataFrame(rows, columns=["id", *COLUMNS, "low", "high", "source", "variance"])
    return table


def _check_row(cells: dict[str, str], where: _Where, known: dict) -> dict:
    if not cells["target"]:
        raise where.fail("target", cells["target"], "a target name")
    row: dict = {"target": cells["target"]}
    for field in ("period_start", "period_end"):
        text = cells[field]
        if field == "period_end" and not text:
            row[field] = pd.NaT
            continue
        try:
            row[field] = pd.Timestamp(dt.date.fromisoformat(text))
        except ValueError:
            raise where.fail(field, text, "an ISO date (YYYY-MM-DD)" + ("" if field == "period_start" else
                                                                         " or empty (open end)")) from None
    if not pd.isna(row["period_end"]) and row["period_end"] < row["period_start"]:
        raise where.fail("period_end", cells["period_end"], f"a date on or after period_start {cells['period_start']}")
    role = cells["role"]
    if role not in ROLES:
        raise where.fail("role", role, f"one of {', '.join(ROLES)}")
    row["role"] = role
    for field in ("measure", "statistic", "unit", "reliability", "source_or_reason"):
        row[field] = cells[field]
    if not row["source_or_reason"]:
        raise where.fail("source_or_reason", "", "a source, or 'assumption: <reason>', or the reason for the role")
    for field, default in DEFAULTS.items():
        row[field] = _number(cells[field], default, field, where)
        if field in NONNEGATIVE and row[field] < 0:
            raise where.fail(field, cells[field], "a number >= 0")
    if row["multiplier"] <= 0:
        raise where.fail("multiplier", cells["multiplier"], "a number > 0")
    if row["bias"] <= -1:
        raise where.fail("bias", cells["bias"], "a number > -1 (expected claim = (1 + bias) x true)")
    row["sample_size"] = _number(cells["sample_size"], math.nan, "sample_size", where)
    if not math.isnan(row["sample_size"]) and not (row["sample_size"] >= 1):
        raise where.fail("sample_size", cells["sample_size"], "a number of respondents >= 1, or empty")
    row["discrepancy"] = _number(cells["discrepancy"], math.nan, "discrepancy", where)
    if not math.isnan(row["discrepancy"]) and row["discrepancy"] < 0:
        raise where.fail("discrepancy", cells["discrepancy"], "a share >= 0, or empty (the default)")
    national = known.get((row["target"], _iso(row["period_start"]), _iso(row["period_end"])))
    value = _number(cells["value"], math.nan, "value", where)
    if national is not None:
        if cells["value"] or cells["unit"] or cells["reliability"]:
            field = "value" if cells["value"] else "unit" if cells["unit"] else "reliability"
            raise where.fail(field, cells[field], "empty: the row is in national_targets.csv, which gives it")
        row.update(value=float(national.value), low=float(national.low), high=float(national.high),
                   unit=national.unit, reliability=national.reliability, source=national.source)
    else:
        if math.isnan(value):
            raise where.fail("value", cells["value"], "a number: the row is not in national_targets.csv (or its key "
                                                      "differs from that row's)")
        if not cells["unit"] or not cells["reliability"]:
            field = "unit" if not cells["unit"] else "reliability"
            raise where.fail(field, cells[field], "a value: the row is not in national_targets.csv")
        row.update(value=value, low=math.nan, high=math.nan, source=row["source_or_reason"])
    row["id"] = observation_id(row["target"], row["period_start"], row["period_end"])
    row["variance"] = math.nan
    if role == "target":
        name = row["statistic"] or row["target"]
        if name not in STATISTICS:
            raise where.fail("statistic" if row["statistic"] else "target", name,
                             "a statistic of morale.results.targets.STATISTICS (a target needs one)")
        if row["reliability"] == "D":
            raise where.fail("role", role, "not target for a reliability D figure (shape-only or check)")
        if not math.isnan(row["sample_size"]) and not 0.0 <= row["value"] <= 1.0:
            raise where.fail("sample_size", cells["sample_size"], "empty unless the value is a share in [0, 1]")
        row["variance"] = _variance(SimpleNamespace(**row), row["value"])
        if not row["variance"] > 0:
            raise where.fail("sd_relative", cells["sd_relative"], "a positive observation variance for a target (set "
                                                                  "sd_relative, sd_absolute, multiplier_sd, bias_sd, "
                                                                  "sample_size or house_sd)")
    return row


def _number(text: str, default: float, field: str, where: _Where) -> float:
    if text == "":
        return default
    try:
        value = float(text)
    except ValueError:
        raise where.fail(field, text, "a number, or empty") from None
    if not math.isfinite(value):
        raise where.fail(field, text, "a finite number, or empty")
    return value


# --- the observation model ---------------------------------------------------------------------------------


def _variance(row, z: float) -> float:
    var = (row.sd_relative * z) ** 2 + row.sd_absolute ** 2
    var += (z * row.multiplier_sd / row.multiplier) ** 2 + (z * row.bias_sd / (1.0 + row.bias)) ** 2
    if not math.isnan(row.sample_size):
        var += z * (1.0 - z) / row.sample_size
    return float(var + row.house_sd ** 2)


def _targets(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["role"] == "target"]


def _run_weeks(start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last week labels of a run from `start` to `end` (weeks begin on the start's weekday)."""
    first, stop = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    return first, first + pd.Timedelta(weeks=max((stop - first).days, 0) // 7)


def _observed_value(row, first: pd.Timestamp) -> float:
    if row.target in PRORATED:
        return float(row.value) * departures_target_share(row, first)
    return float(row.value)


def _label(row) -> str:
    period = f"{_iso(row.period_start)}..{_iso(row.period_end)}"
    parts = [row.measure.replace("-", " ")]
    if row.multiplier != 1.0:
        parts.append(f"x{row.multiplier:g}")
    if row.bias != 0.0:
        parts.append(f"bias {row.bias:+g}")
    if row.lag_weeks:
        parts.append(f"lag {row.lag_weeks:g} weeks")
    return f"{row.target} {period} ({', '.join(parts)})"


def _iso(value) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if not isinstance(value, str) and pd.isna(value):
        return ""
    return pd.Timestamp(value).date().isoformat()
