"""Carry a shipped calibration over a model change that is neutral for its scenario, with the proof.

Usage: python tools/restamp_calibration.py russia-2022 --against COMMIT [--rows 3] [--scale 200]
                                           [--end 2023-12-31]

A shipped calibration records the hash of the model and scenario it calibrated, and a test fails once that
hash changes, so a stale sample cannot ship. A change meant to leave the scenario alone (a new mechanism
switched off by default, say) still changes the hash. This tool checks the claim instead of trusting it:

1. it unpacks COMMIT (`git archive`) and checks that its model hash is the one the calibration recorded (so
   COMMIT is the model that was calibrated);
2. it runs the scenario with the first `--rows` parameter sets of the sample, seed 0, under COMMIT and under
   the working tree, each in a fresh process, and compares a SHA-256 of each weekly series: every series of
   COMMIT's run must be bit-identical under the working tree; a series the change adds is allowed and listed
   (no calibrated output can depend on it);
3. only if every run is bit-identical, it writes the new hash into the JSON and appends the proof (commits,
   runs, scale, end, digests, added series) to its `restamped` list. Otherwise it says which run and which
   series differ and changes nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import hashlib, json, sys, warnings
warnings.simplefilter("ignore")
import pandas as pd
import morale
from morale.calibration import shipped
scenario, rows, scale, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
sample = pd.read_parquet(sys.argv[5])
digests = []
for i in range(min(rows, len(sample))):
    base = {k: float(v) for k, v in sample.iloc[i].items()}
    series = morale.run(scenario, seed=0, scale=scale, end=end, base=base).series
    digests.append({name: hashlib.sha256(series[name].to_numpy().tobytes()).hexdigest() for name in series.columns})
print(json.dumps({"hash": shipped.model_hash(scenario), "digests": digests}))
"""


def probe(source: Path, scenario: str, rows: int, scale: float, end: str, sample: Path) -> dict:
    """Run the probe with `source` (a src folder) first on the path, in a fresh process."""
    done = subprocess.run([sys.executable, "-c", PROBE, scenario, str(rows), str(scale), end, str(sample)],
                          env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the probe failed under {source}: {done.stderr.strip().splitlines()[-1]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def combined(digests: dict, names) -> str:
    """One SHA-256 over the given series' digests, in the calibrated model's column order."""
    return hashlib.sha256(",".join(digests[name] for name in names).encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario")
    parser.add_argument("--against", required=True, help="the commit whose model the calibration was made with")
    parser.add_argument("--rows", type=int, default=3)
    parser.add_argument("--scale", type=float, default=200)
    parser.add_argument("--end", default="2023-12-31")
    args = parser.parse_args()
    data = ROOT / "src" / "morale" / "data" / "calibrated"
    record_path, sample = data / f"{args.scenario}.json", data / f"{args.scenario}.parquet"
    record = json.loads(record_path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="restamp-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.against, "src"], capture_output=True,
                                 check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        old = probe(Path(tmp) / "src", args.scenario, args.rows, args.scale, args.end, sample)
    if old["hash"] != record["model_hash"]:
        raise SystemExit(f"{args.against}: model hash {old['hash']}, but the calibration records "
                         f"{record['model_hash']}; expected the commit whose model was calibrated")
    new = probe(ROOT / "src", args.scenario, args.rows, args.scale, args.end, sample)
    for i, (a, b) in enumerate(zip(old["digests"], new["digests"])):
        changed = sorted(name for name in a if b.get(name) != a[name])
        if changed:
            raise SystemExit(f"sample row {i}: {len(changed)} series differ between {args.against} and the working "
                             f"tree (first: {changed[0]}); the change is not neutral for {args.scenario}, so the "
                             f"calibration is stale")
    added = sorted(set(new["digests"][0]) - set(old["digests"][0])) if new["digests"] else []
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    record.setdefault("restamped", []).append(
        {"from": record["model_hash"], "to": new["hash"], "against": args.against, "working_tree_of": head,
         "rows": len(new["digests"]), "seed": 0, "scale": args.scale, "end": args.end,
         "series_sha256": [combined(d, old["digests"][0]) for d in new["digests"]], "added_series": added,
         "date": dt.date.today().isoformat()})
    record["model_hash"] = new["hash"]
    record_path.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    print(f"{record_path}: {record['restamped'][-1]['from']} -> {new['hash']}, {len(new['digests'])} runs "
          f"bit-identical")


if __name__ == "__main__":
    main()
