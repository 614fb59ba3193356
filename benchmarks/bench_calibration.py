"""Benchmark: what scale a calibration can run at, and how long a wave takes there.

Not a test. Two measurements, both through the experiment layer (worker processes, one Numba thread each):

- `--check-scale 100 200`: `--runs` replicate runs at scale 10 and at each candidate scale, to the calibration's
  end; for every observable of the calibration (`morale.calibration.observations`), the difference of the two
  means in units of its standard error (z: is it noise?) and in units of what the calibration can resolve
  (d: the difference over the observation's sd with the 10% model discrepancy). Near-deterministic national
  shares have tiny run-to-run noise, so a difference far below any error bar can still have a large z; a scale
  is usable when every observable has |z| < 3 or |d| < 0.25 (a quarter of what the calibration can see).
- `--wave 500 --scale S`: a wave of N Latin-hypercube runs over every ranged parameter at scale S (what one
  history-matching wave costs); prints runs per minute and the wall time of the wave.
- `--from FOLDER`: the wall time of each wave of a finished `morale calibrate` folder, from its logs.

Usage: python benchmarks/bench_calibration.py --check-scale 100 200 [--runs 8] [--end 2025-12-31] [--workers 2]
       python benchmarks/bench_calibration.py --wave 500 --scale 100
       python benchmarks/bench_calibration.py --from runs/calibrate-russia-2022
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from morale.calibration.calibrate import calibration_model
from morale.experiments.design import design_tasks
from morale.experiments.parameters import latin_hypercube, ranged_parameters
from morale.experiments.runner import open_store, run_tasks


def _outputs(scale: float, runs: int, end: str, workers: int, seed: int) -> tuple[pd.DataFrame, float]:
    model, _, _ = calibration_model("russia-2022", scale, end)
    tasks = design_tasks(model, [{}], runs, seed, model.measure_names)
    store = open_store(None, {"kind": "bench", "scale": scale}, False, False)  # a temporary folder
    started = time.perf_counter()
    records = run_tasks(tasks, store, "processes", workers, progress=False)
    seconds = time.perf_counter() - started
    ok = [r["outcomes"] for r in records.values() if r["status"] == "ok"]
    return pd.DataFrame(ok), seconds


def check_scale(scales: list[float], runs: int, end: str, workers: int, seed: int) -> None:
    from morale.calibration.history_matching import DISCREPANCY

    _, _, observed = calibration_model("russia-2022", 10, end)
    resolvable = pd.Series({o.output: np.sqrt(o.variance + o.discrepancy_variance(DISCREPANCY)) for o in observed})
    reference, seconds = _outputs(10, runs, end, workers, seed)
    print(f"scale 10: {runs} runs in {seconds:.1f} s ({seconds * workers / runs:.1f} s per run per worker)")
    for scale in scales:
        other, seconds = _outputs(scale, runs, end, workers, seed + 1)  # other seeds: independent noise
        se = np.sqrt(reference.var(ddof=1) / len(reference) + other.var(ddof=1) / len(other))
        z = ((other.mean() - reference.mean()) / se.replace(0.0, np.nan)).dropna()
        print(f"\nscale {scale:g}: {runs} runs in {seconds:.1f} s ({seconds * workers / runs:.1f} s per run per "
              f"worker); {len(z)} observables: |z| < 2 in {np.mean(np.abs(z) < 2):.0%}, |z| < 3 in "
              f"{np.mean(np.abs(z) < 3):.0%}, largest |z| {np.abs(z).max():.2f} ({np.abs(z).idxmax()}); "
              f"{int((z > 0).sum())} above, {int((z < 0).sum())} below")
        d = (other.mean() - reference.mean()) / resolvable.reindex(other.columns)
        beyond = [name for name in z.index if abs(z[name]) >= 3 and abs(d[name]) >= 0.25]
        print(f"  usable: {'yes' if not beyond else 'no'} ({len(beyond)} observables with |z| >= 3 and |d| >= 0.25"
              f"{': ' + ', '.join(beyond) if beyond else ''}); largest |d| {np.abs(d).max():.3f}")
        worst = z.reindex(z.abs().sort_values(ascending=False).index).head(6)
        for name, value in worst.items():
            print(f"  z {value:+.2f}  d {d[name]:+.3f}  {name}: scale 10 {reference[name].mean():,.4g}, scale "
                  f"{scale:g} {other[name].mean():,.4g}")


def wave(points: int, scale: float, end: str, workers: int, seed: int) -> None:
    model, resolved, _ = calibration_model("russia-2022", scale, end)
    design = latin_hypercube(list(ranged_parameters(resolved).values()), points, seed)
    tasks = design_tasks(model, design, 1, seed, model.measure_names)
    store = open_store(None, {"kind": "bench-wave", "scale": scale}, False, False)
    started = time.perf_counter()
    records = run_tasks(tasks, store, "processes", workers, progress=True, title=f"wave of {points}")
    seconds = time.perf_counter() - started
    failed = sum(r["status"] != "ok" for r in records.values())
    print(json.dumps({"points": points, "scale": scale, "end": end, "workers": workers, "seconds": seconds,
                      "runs_per_minute": points / seconds * 60, "failed": failed}))


def from_folder(folder: Path) -> None:
    for log in sorted(folder.glob("*/log.jsonl")):
        events = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        done = [e for e in events if e.get("event") == "done"]
        runs = sum(e["runs"] for e in done)
        seconds = sum(e["seconds"] for e in done)
        print(f"{log.parent.name}: {runs} runs in {seconds / 60:.1f} min"
              + (f" ({runs / seconds * 60:.1f} runs per minute)" if seconds else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check-scale", type=float, nargs="+")
    parser.add_argument("--wave", type=int)
    parser.add_argument("--from", dest="folder", type=Path)
    parser.add_argument("--scale", type=float, default=100)
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--end", default="2025-12-31")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.check_scale:
        check_scale(args.check_scale, args.runs, args.end, args.workers, args.seed)
    if args.wave:
        wave(args.wave, args.scale, args.end, args.workers, args.seed)
    if args.folder:
        from_folder(args.folder)


if __name__ == "__main__":
    main()
