"""Print `economy.labour_drain_reference` for russia-2022: the default run's own labour drain, quarterly.

The observed wage and unemployment series already contain history's drain on labour, so the model moves them
only by a run's drain minus this reference. Run it with the reference set to zero for the first pass, then
paste the points into the scenario (one pass is close to the fixed point; a second changes little).
Usage: python tools/labour_drain_reference.py [--scale 20] [--runs 4]
"""

from __future__ import annotations

import argparse

import numpy as np

import morale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=20)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()
    drains = [morale.run("russia-2022", seed=0, replicate=i, scale=args.scale).series["labour_drain"]
              for i in range(args.runs)]
    mean = sum(drains) / len(drains)
    quarterly = mean.resample("QS").first()
    points = ", ".join(f"{{ date = {d.date()}, value = {v:.4f} }}" for d, v in quarterly.items() if np.isfinite(v))
    print(f"labour_drain_reference = [{points}]")


if __name__ == "__main__":
    main()
