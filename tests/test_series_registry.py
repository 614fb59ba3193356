"""The series registry: every recorded series has a kind, a meaning and a unit from a small set (`morale series`)."""

from __future__ import annotations

import numpy as np
import pytest

import morale
from morale.engine import recorder
from morale.engine.recorder import FLOW, MEAN, SERIES, STOCK, Series, series_table

# The whole set, written out: a new unit is a decision, not a typo.
ALLOWED_UNITS = {
    "persons", "companies", "roubles", "roubles per person", "roubles per person-year", "roubles per month",
    "percent", "share", "probability", "index", "ratio", "flag", "per person-year", "per 1000 men a week",
    "weeks", "years",
}


@pytest.fixture(scope="module")
def default_run():
    return morale.run("russia-2022", scale=500, end="2022-06-30")


def test_every_recorded_series_has_a_unit(default_run):
    recorded = set(default_run.series.columns)
    recorded |= set(default_run.by_stream["variable"].unique())
    recorded |= set(default_run.by_region["variable"].unique())
    missing = sorted(recorded - set(SERIES))
    assert not missing, f"recorded but not registered: {missing}"
    for name in recorded:
        assert SERIES[name].unit, name
        assert SERIES[name].unit in ALLOWED_UNITS, (name, SERIES[name].unit)
        assert SERIES[name].meaning.strip(), name
        assert SERIES[name].kind in (STOCK, FLOW, MEAN), name


def test_units_are_the_allowed_set():
    assert set(recorder.UNITS) == ALLOWED_UNITS
    assert all(recorder.UNITS.values())
    assert {s.unit for s in SERIES.values()} <= ALLOWED_UNITS


NET = ("shortfall", "net_manpower_balance", "labour_drain")  # differences: may be below zero


def test_values_fit_their_units(default_run):
    s = default_run.series
    for name, series in SERIES.items():
        values = s[name].to_numpy()
        assert np.isfinite(values).all(), name
        if name in NET:
            continue
        if series.unit in ("share", "probability"):
            assert ((values >= 0) & (values <= 1)).all(), name
        elif series.unit == "percent":
            assert ((values >= 0) & (values <= 100)).all(), name
        elif series.unit == "flag":
            assert np.isin(values, (0.0, 1.0)).all(), name
        elif series.unit in ("persons", "companies"):
            assert (values >= 0).all(), name


def test_series_table():
    table = series_table()
    assert list(table.columns) == ["name", "kind", "unit", "meaning"]
    assert list(table["name"]) == list(SERIES)  # registry order, one row each
    assert table["unit"].str.len().gt(0).all()
    row = table.set_index("name").loc["fiscal_cost"]
    assert (row["kind"], row["unit"]) == (FLOW, "roubles")
    assert table.set_index("name").loc["units", "unit"] == "companies"


def test_old_readers_still_work():
    """SERIES[name][0] is the kind, [1] the meaning, and a (kind, meaning) pair unpacks, as before units."""
    for name, (kind, meaning) in SERIES.items():
        assert SERIES[name][0] == kind == SERIES[name].kind == recorder.kind(name)
        assert SERIES[name][1] == meaning == SERIES[name].meaning
        assert len(SERIES[name]) == 2
        assert recorder.unit(name) == SERIES[name].unit


def test_a_series_needs_a_known_kind_and_unit():
    with pytest.raises(ValueError):
        Series(STOCK, "men", "furlongs")
    with pytest.raises(ValueError):
        Series("level", "men", "persons")
