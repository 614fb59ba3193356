"""Print the tables of docs/calibration.md's history-matching section from a finished `morale calibrate` folder.

Usage: python tools/calibration_markdown.py runs/calibrate-russia-2022 [--screened 25]

Prints: the waves (runs, valid emulators, share of the prior not ruled out, why it stopped); the screening
(how many parameters were fixed as inert or weak, the kept ones and the observation each was kept for, the
strongest ones); the identification table (prior range
against the range the sample allows, pinned or not); per observation, z with its total sd, the sample's median
and range and the implausibility of the best and the median run, flagged where the median's exceeds 3; and,
over every run of every wave, the share of runs each observation alone puts above 3 (which targets rule the
runs out: the structural errors and source conflicts).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd

from morale.calibration.history_matching import load_history_match
from morale.results.report import markdown_table


def _table(frame: pd.DataFrame) -> str:
    return markdown_table(frame, _cell)


def _cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return "" if pd.isna(value) else f"{value:,.4g}"
    return str(value)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--screened", type=int, default=25, help="screening rows to show")
    args = parser.parse_args()
    match = load_history_match(args.folder)
    print(f"Stopped: {match.stopped}. Sample: {len(match.sample)} runs not ruled out.\n")
    waves = match.waves[["wave", "runs", "failed", "valid_emulators", "emulators", "volume_share", "acceptance"]]
    print(_table(waves) + "\n")
    screening = pd.read_csv(args.folder / "screening.csv")
    counts = screening["decision"].value_counts()
    print("Screening: " + ", ".join(f"{n} {d}" for d, n in counts.items()) + ".\n")
    kept = screening[screening["decision"] == "calibrated"]
    print(_table(kept[["rank", "parameter", "low", "high", "effect", "kept_for"]]) + "\n")
    print(_table(screening.head(args.screened)[["rank", "parameter", "effect", "moves_most", "decision"]]) + "\n")
    ident = match.identification.sort_values("share", kind="stable")
    print(_table(ident[["parameter", "prior_low", "prior_high", "q05", "q95", "share", "pinned"]]) + "\n")
    targets = match.targets.copy()
    targets["finding"] = targets["implausibility_median"] > 3
    print(_table(targets[["output", "z", "total_sd", "median", "sample_low", "sample_high", "implausibility_best",
                          "implausibility_median", "finding"]]) + "\n")
    print(_table(ruling_out(args.folder, match.targets)))


def ruling_out(folder: Path, targets: pd.DataFrame) -> pd.DataFrame:
    """Per observation, over every run of every wave: the share with I > 3 and the median I (Var_em = 0)."""
    outputs = []
    for summary in sorted(folder.glob("wave-*/summary.json")):
        for run in json.loads(summary.read_text(encoding="utf-8"))["runs"]:
            found = run["outputs"]
            outputs.append(found if isinstance(found, dict) else dict(zip(targets["output"], found)))
    frame = pd.DataFrame(outputs)[list(targets["output"])].astype(float)
    implausibility = (frame - targets["z"].to_numpy()).abs() / targets["total_sd"].to_numpy()
    table = pd.DataFrame({"output": targets["output"], "runs above 3": (implausibility > 3).mean().to_numpy(),
                          "median I over all runs": implausibility.median().to_numpy()})
    order = np.argsort(-table["runs above 3"].to_numpy(), kind="stable")
    return table.iloc[order].head(12)


if __name__ == "__main__":
    main()
