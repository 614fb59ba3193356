"""Ship a finished calibration as package data: `src/morale/data/calibrated/<scenario>.parquet` and `.json`.

Usage: python tools/ship_calibration.py runs/calibrate-russia-2022

The JSON records the command that made the folder, its seed, scale and end, the package version and git commit,
the parameters calibrated (the sample's columns), what the screening fixed, the identification table and
`model_hash` (morale.calibration.shipped): `tests/test_calibrated.py` fails once the model or the scenario
changes, so a stale calibration cannot ship.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from morale.calibration.history_matching import load_history_match
from morale.calibration.shipped import SHIPPED, write_shipped
from morale.experiments.store import read_manifest

PACKAGE_DATA = Path(__file__).resolve().parent.parent / "src" / "morale" / "data" / SHIPPED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--into", type=Path, default=PACKAGE_DATA)
    args = parser.parse_args()
    match = load_history_match(args.folder)
    extra = match.manifest.get("extra") or {}
    scenario = extra["scenario"]
    if match.sample.empty:
        raise SystemExit(f"{args.folder}: the sample is empty (stopped: {match.stopped}); nothing to ship")
    made = read_manifest(args.folder / "wave-1").get("provenance") or {}
    parameters = [p["name"] for p in match.manifest["parameters"]]
    ident = match.identification
    record = {"command": made.get("command"), "version": made.get("version"), "commit": made.get("commit"),
              "seed": match.manifest["seed"], "scale": extra.get("scale"), "end": extra.get("end"),
              "waves_run": match.manifest.get("waves_run"), "stopped": match.stopped,
              "fixed": extra.get("screening", {}).get("fixed", []),
              "identification": [{"parameter": r.parameter, "low": r.allowed_low, "high": r.allowed_high,
                                  "q05": r.q05, "q95": r.q95, "share": r.share, "pinned": bool(r.pinned)}
                                 for r in ident.itertuples(index=False)]}
    path = write_shipped(args.into, scenario, match.sample, parameters, record)
    print(json.dumps({"wrote": str(path), "rows": len(match.sample), "parameters": len(parameters)}))


if __name__ == "__main__":
    main()
