"""Print docs/calibration.md's record of structure (issue 12): quantities no parameter was fitted to, set beside
public accounts for the record, not as targets.

Usage: python tools/structural_record.py [--runs 5] [--scale 50] [--scenario russia-2022] [--end 2025-12-31]

- deaths per 100k men (18-59) by region to the end date: the poorest decile of regions (by the 2021 poverty rate)
  against Moscow and St Petersburg;
- deaths by stream and year;
- departures (both sexes) in the autumn-2022 window and the stock abroad (both sexes) at each year's end.
"""

from __future__ import annotations

import argparse

import pandas as pd

import morale
from morale.engine.regions import load_regions

CAPITALS = ["MOW", "SPE"]
MOBILISATION = "2022-09-21"  # weeks start on the run's weekday: windows begin with the week containing it


def _per_100k(killed: pd.Series, men: pd.Series, codes) -> float:
    return float(killed[codes].sum() / men[codes].sum() * 1e5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--scenario", default="russia-2022")
    parser.add_argument("--end", default="2025-12-31")
    args = parser.parse_args()
    regions = load_regions()
    men = pd.Series(regions.men_18_59, index=list(regions.codes))
    poverty = pd.Series(regions.poverty[:, regions.year_index(2021)], index=list(regions.codes))
    poorest = poverty.sort_values().index[-int(round(len(poverty) / 10)):]
    rows, streams, emigration = [], [], []
    for i in range(args.runs):
        run = morale.run(args.scenario, seed=0, replicate=i, scale=args.scale, end=args.end)
        killed = run.region("killed").sum()
        poor, capitals = _per_100k(killed, men, poorest), _per_100k(killed, men, CAPITALS)
        rows.append({"poorest decile": poor, "Moscow and St Petersburg": capitals, "ratio": poor / capitals,
                     "Tuva": _per_100k(killed, men, ["TY"]), "Buryatia": _per_100k(killed, men, ["BU"])})
        by_stream = run.stream("killed")
        streams.append(by_stream.groupby(by_stream.index.year).sum())
        s = run.series
        years = sorted(set(s.index.year))
        departures = s["emigrant_departures"]
        wave = s.index[s.index <= MOBILISATION][-1]  # the week that contains the announcement
        emigration.append({"departures 2022-09-21..10-04": departures[wave:"2022-10-04"].sum(),
                           "departures 2022-09-21..10-31": departures[wave:"2022-10-31"].sum(),
                           **{f"abroad end {y}": s.loc[:f"{y}-12-31", "abroad_both_sexes"].iloc[-1] for y in years}})
    print(f"{args.runs} runs of {args.scenario} at scale {args.scale:g} to {args.end} (seed 0, replicates)\n")
    regional = pd.DataFrame(rows)
    print(f"Poorest decile by 2021 poverty: {', '.join(poorest)}\n")
    print("| deaths per 100k men 18-59 | mean | min-max |\n|---|---|---|")
    for name in regional.columns:
        fmt = "{:.1f}" if name == "ratio" else "{:,.0f}"
        col = regional[name]
        print(f"| {name} | {fmt.format(col.mean())} | {fmt.format(col.min())}-{fmt.format(col.max())} |")
    mean_streams = sum(streams) / len(streams)
    print("\n| deaths by stream (mean) | " + " | ".join(str(y) for y in mean_streams.index) + " |")
    print("|---|" + "---|" * len(mean_streams.index))
    for stream in mean_streams.columns:
        print(f"| {stream} | " + " | ".join(f"{v:,.0f}" for v in mean_streams[stream]) + " |")
    total = mean_streams.sum(axis=1)
    print("| all | " + " | ".join(f"{v:,.0f}" for v in total) + " |")
    emigration_table = pd.DataFrame(emigration)
    print("\n| emigration, both sexes | mean | min-max |\n|---|---|---|")
    for name in emigration_table.columns:
        col = emigration_table[name]
        print(f"| {name} | {col.mean():,.0f} | {col.min():,.0f}-{col.max():,.0f} |")


if __name__ == "__main__":
    main()
