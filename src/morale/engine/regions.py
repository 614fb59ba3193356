"""Regional inputs: men of military age, new cohorts, wages, unemployment, poverty.

Read from the packaged copies of the shared data files (see `morale/data/SOURCES.md`). Everything is joined on
`region_code`. Series are annual; a year after the last observation takes the last observed value (and a year
before the first takes the first), so any horizon has inputs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

FIRST_AGE = 18
LAST_AGE = 59  # men turning 60 leave the modelled population as `aged_out`
N_AGES = LAST_AGE - FIRST_AGE + 1
DATA_YEAR = 2022  # the RusFMD year the population is read for
YEARS = np.arange(2000, 2026)  # the span the annual input arrays cover; later years reuse the last


@dataclass(frozen=True)
class Regions:
    """The 85 regions as arrays indexed by region number (alphabetical by code)."""

    codes: tuple[str, ...]
    names: tuple[str, ...]
    men_by_age: np.ndarray  # (region, age 18..59) persons in 2022
    cohort_by_year: np.ndarray  # (region, years after 2022) men turning 18 in that year; last held
    wage: np.ndarray  # (region, YEARS) nominal monthly wage, RUB
    unemployment: np.ndarray  # (region, YEARS) ILO rate, %
    poverty: np.ndarray  # (region, YEARS) share below subsistence, %

    @property
    def men_18_59(self) -> np.ndarray:
        return self.men_by_age.sum(axis=1)

    def __len__(self) -> int:
        return len(self.codes)

    def year_index(self, year: int) -> int:
        return int(np.clip(year - YEARS[0], 0, len(YEARS) - 1))

    def cohort(self, year: int) -> np.ndarray:
        """Men turning 18 in `year` per region (children of 2022 ageing in; last value held)."""
        j = int(np.clip(year - DATA_YEAR, 0, self.cohort_by_year.shape[1] - 1))
        return self.cohort_by_year[:, j]


def _read(name: str) -> list[dict[str, str]]:
    with resources.files("morale.data").joinpath(name).open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return np.nan


def _annual(rows: list[dict[str, str]], prefix: str, codes: tuple[str, ...]) -> dict[str, dict[int, float]]:
    """Per code, {year: value} for every column named `<prefix><year>[...]`."""
    out: dict[str, dict[int, float]] = {}
    for row in rows:
        series = {}
        for key, text in row.items():
            if key.startswith(prefix):
                year = int(key[len(prefix) : len(prefix) + 4])
                value = _number(text)
                if np.isfinite(value):
                    series[year] = value
        out.setdefault(row["region_code"], {}).update(series)
    return out


def _fill(series: dict[int, float]) -> np.ndarray:
    """An annual series on YEARS, held flat before its first and after its last observation."""
    known = sorted(series)
    values = np.empty(len(YEARS))
    for i, year in enumerate(YEARS):
        before = [y for y in known if y <= year]
        values[i] = series[before[-1]] if before else series[known[0]]
    return values


def _age_groups(row: dict[str, str]) -> np.ndarray:
    """Men by single year of age 18..59, spreading each 5-year group evenly."""
    by_age = np.empty(N_AGES)
    for i, age in enumerate(range(FIRST_AGE, LAST_AGE + 1)):
        by_age[i] = float(row[f"age_{age // 5 * 5}"]) / 5.0
    return by_age


def _cohorts(row: dict[str, str]) -> np.ndarray:
    """Men turning 18 in 2022, 2023, ...: those aged 18, 17, ... in 2022 (ages 1-4 are one group, 0 alone)."""
    sizes = []
    for age_2022 in range(18, -1, -1):
        if age_2022 == 0:
            sizes.append(float(row["age_0"]))
        elif age_2022 < 5:
            sizes.append(float(row["age_1"]) / 4.0)
        else:
            sizes.append(float(row[f"age_{age_2022 // 5 * 5}"]) / 5.0)
    return np.array(sizes)


def _population_rows() -> dict[str, dict[str, str]]:
    rows = {
        r["rusfmd_reg_code"]: r
        for r in _read("rusfmd_midyear_population_by_5yr_age_2021_2022.csv")
        if r["year"] == str(DATA_YEAR) and r["sex"] == "male"
    }
    by_code = {r["region_code"]: r for r in rows.values() if r["level"] == "region"}
    # Arkhangelsk and Tyumen oblasts without their autonomous okrugs: aggregate minus the okrugs.
    for code, aggregate, parts in (("ARK", "1111", ("111",)), ("TYU", "1171", ("171", "271"))):
        derived = dict(rows[aggregate])
        for key in derived:
            if key.startswith("age_"):
                derived[key] = str(float(rows[aggregate][key]) - sum(float(rows[p][key]) for p in parts))
        derived["region_code"] = code
        by_code[code] = derived
    return by_code


def _wages(codes: tuple[str, ...]) -> dict[str, dict[int, float]]:
    wages = _annual(_read("wage_nominal_monthly_rub_2018_2023.csv"), "wage_", codes)
    later = _annual(_read("wage_nominal_monthly_rub_2024_2025.csv"), "wage_", codes)
    for code, series in later.items():
        wages.setdefault(code, {}).update(series)
    # ARK and TYU lack 2024-25 in the source: follow the growth of their aggregates.
    for code, aggregate in (("ARK", "ARK+NEN"), ("TYU", "TYU+KHM+YAN")):
        for year in (2024, 2025):
            if year not in wages[code] and year in wages[aggregate]:
                growth = wages[aggregate][year] / wages[aggregate][2023]
                wages[code][year] = wages[code][2023] * growth
    return wages


@lru_cache(maxsize=1)
def load_regions() -> Regions:
    """The 85 regions of Russia as the model's inputs (cached: the files never change)."""
    key = sorted(_read("region_key.csv"), key=lambda r: r["region_code"])
    codes = tuple(r["region_code"] for r in key)
    names = tuple(r["region_en"] for r in key)
    population = _population_rows()
    missing = [c for c in codes if c not in population]
    if missing:
        raise ValueError(f"morale/data/rusfmd...csv: no population row for regions {missing}")
    wages = _wages(codes)
    unemployment = _annual(_read("unemployment_rate_15_72_pct_2000_2023.csv"), "unemp_", codes)
    poverty = _annual(_read("poverty_rate_pct_2011_2021.csv"), "poverty_", codes)
    return Regions(
        codes=codes,
        names=names,
        men_by_age=np.array([_age_groups(population[c]) for c in codes]),
        cohort_by_year=np.array([_cohorts(population[c]) for c in codes]),
        wage=np.array([_fill(wages[c]) for c in codes]),
        unemployment=np.array([_fill(unemployment[c]) for c in codes]),
        poverty=np.array([_fill(poverty[c]) for c in codes]),
    )


def regions_from_spec(specs) -> Regions:
    """Regions a scenario declares: men spread evenly over ages 18-59, constant cohorts and inputs."""
    flat = np.ones(len(YEARS))
    return Regions(
        codes=tuple(r.code for r in specs),
        names=tuple(r.name for r in specs),
        men_by_age=np.array([np.full(N_AGES, r.men_18_59 / N_AGES) for r in specs]),
        cohort_by_year=np.array([np.full(19, r.annual_cohort) for r in specs]),
        wage=np.array([flat * r.wage for r in specs]),
        unemployment=np.array([flat * r.unemployment for r in specs]),
        poverty=np.array([flat * r.poverty for r in specs]),
    )
