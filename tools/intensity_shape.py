"""Print `russia-2022`'s combat intensity shape: deaths per demanded front soldier by quarter, relative to the first.

Usage: python tools/intensity_shape.py [--deaths PATH]   (default: the shared calibration data's weekly file)

The shape is the Mediazona/Meduza weekly estimate of actual deaths (release of 2026-05-22, reliability B)
summed by quarter, over the demanded front strength of the scenario (its `deployment.front_demand` path,
averaged over the quarter's weeks), relative to the first quarter of the war. DESIGN M8 asks for one fitted
scalar times a sourced shape, not a free value per year: the scalar (`combat.intensity`) is fitted to the
release's total, so the release's time profile is an input and the yearly deaths test only the level and what
the model's front composition does to it (docs/calibration.md).
"""

from __future__ import annotations

import argparse
import datetime as dt

import numpy as np
import pandas as pd

import morale

DEFAULT = "../shared/data/calibration/deaths_weekly_estimate_release_2026-05-22.csv"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deaths", default=DEFAULT)
    args = parser.parse_args()
    scenario = morale.load_scenario("russia-2022")
    weekly = pd.read_csv(args.deaths, parse_dates=["week_start"]).set_index("week_start")["estimated_deaths"]
    weekly = weekly[weekly.index >= pd.Timestamp(scenario.start) - pd.Timedelta(days=6)]
    points = scenario.deployment.front_demand
    days = np.array([(p.date - scenario.start).days for p in points], float)
    values = np.array([p.value for p in points]) * scenario.deployment.front_demand_scale.value
    demand = pd.Series(np.interp((weekly.index - pd.Timestamp(scenario.start)).days, days, values), weekly.index)
    quarters = weekly.resample("QS").sum() / demand.resample("QS").sum()  # deaths per front soldier-week
    shape = quarters / quarters.iloc[0]
    print('intensity_shape = [')
    for start, value in shape.items():
        date = max(start.date(), scenario.start)  # the war's first quarter begins with the war
        print(f"  {{ date = {date.isoformat()}, value = {value:.2f} }},")
    print("]")
    last = weekly.index[-1].date() + dt.timedelta(days=6)
    print(f"# weeks {weekly.index[0].date()} to {last}; held after the last point")


if __name__ == "__main__":
    main()
