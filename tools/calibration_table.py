"""Print docs/calibration.md's table: model against calibration targets over an ensemble of seeds.

Usage: python tools/calibration_table.py [--runs 10] [--scale 10] [--scenario russia-2022]

Every target of `morale.results.targets` that falls inside the run is listed (a ceiling such as
`authorised_military_strength` is met at or below its value plus 5%), with a count of the targets met at the end.
"""

from __future__ import annotations

import argparse

import pandas as pd

import morale
from morale.results.targets import compare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--scale", type=float, default=10)
    parser.add_argument("--scenario", default="russia-2022")
    args = parser.parse_args()
    tables = []
    for i in range(args.runs):
        run = morale.run(args.scenario, seed=0, replicate=i, scale=args.scale)
        tables.append(compare(run.series, run.scenario).assign(run=i))
    all_runs = pd.concat(tables)
    keys = ["target", "period_start", "period_end", "value", "low", "high", "reliability", "statistic"]
    summary = all_runs.groupby(keys, dropna=False, sort=False).agg(
        mean=("model", "mean"), lo=("model", "min"), hi=("model", "max"), met=("met", "mean")).reset_index()
    print(f"{args.runs} runs of {args.scenario} at scale {args.scale:g} (seed 0, replicates 0..{args.runs - 1})\n")
    print("| target | period | target value (range) | rel. | model mean | model min-max | runs within range |")
    print("|---|---|---|---|---|---|---|")
    for r in summary.itertuples(index=False):
        period = f"{r.period_start}..{'' if pd.isna(r.period_end) else r.period_end}"
        fmt = (lambda x: f"{x:,.2f}") if r.value < 100 else (lambda x: f"{x:,.0f}")
        print(f"| {r.target} | {period} | {fmt(r.value)} ({fmt(r.low)}-{fmt(r.high)}) | {r.reliability} | "
              f"{fmt(r.mean)} | {fmt(r.lo)}-{fmt(r.hi)} | {r.met:.0%} |")
    print(f"\n{(summary.met == 1).sum()} of {len(summary)} targets met in every run, "
          f"{(summary.met >= 0.5).sum()} in at least half of the runs.")


if __name__ == "__main__":
    main()
