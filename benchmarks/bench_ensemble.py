"""Throughput of a 100-run ensemble of the default scenario (scale 50) on each executor.

    python benchmarks/bench_ensemble.py [--runs 100] [--scale 50] [--workers 2]

Baseline: one single-threaded worker process. Goals: the pool with N workers near N x the baseline, Dask
within 10% of the pool. Worker start-up is included (it is part of what a user waits for). Prints runs/s and
checks the three experiment folders hold bit-identical Parquet.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import morale


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-ensemble-"))
    cases = [("one process", "processes", 1), (f"process pool x{args.workers}", "processes", args.workers),
             (f"Dask LocalCluster x{args.workers}", "local", args.workers)]
    timings = {}
    for label, scheduler, workers in cases:
        started = time.perf_counter()
        morale.ensemble("russia-2022", runs=args.runs, seed=0, scale=args.scale, out=root / label.replace(" ", "_"),
                        scheduler=scheduler, workers=workers)
        timings[label] = time.perf_counter() - started
        print(f"{label:26s} {timings[label]:7.1f} s  {args.runs / timings[label]:6.2f} runs/s", flush=True)
    base, pool, dask = timings.values()
    print(f"pool speed-up over one process: {base / pool:.2f}x; Dask time / pool time: {dask / pool:.3f}")
    folders = [root / label.replace(" ", "_") for label, _, _ in cases]
    for name in ("runs.parquet", "quantiles.parquet"):
        same = len({(f / name).read_bytes() for f in folders}) == 1
        print(f"{name}: {'identical' if same else 'DIFFERENT'} across executors")


if __name__ == "__main__":
    main()
