"""Throughput of a 100-run ensemble of the default scenario (scale 50) on each executor.

    python benchmarks/bench_ensemble.py [--runs 100] [--scale 50] [--workers 2] [--rounds 4]

Baseline: one single-threaded worker process (run once). Goals: the pool with N workers near N x the
baseline, Dask within 10% of the pool. Worker start-up is included (it is part of what a user waits for).

The pool and Dask are run alternately (pool first in odd rounds, Dask first in even ones), ``--rounds``
times each, and compared on their medians: on a shared
virtual machine a single timing of the same ensemble varies by 20% from one minute to the next, more than
the difference being measured. Prints every timing, runs/s, and checks that every experiment folder holds
bit-identical Parquet.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import morale


def timed_ensemble(folder: Path, scheduler: str, workers: int, runs: int, scale: float) -> float:
    started = time.perf_counter()
    morale.ensemble("russia-2022", runs=runs, seed=0, scale=scale, out=folder, scheduler=scheduler, workers=workers)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=4, help="alternating pool and Dask timings of each")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-ensemble-"))
    folders = []

    def case(label: str, scheduler: str, workers: int, index: int) -> float:
        folder = root / f"{label.replace(' ', '_')}-{index}"
        folders.append(folder)
        seconds = timed_ensemble(folder, scheduler, workers, args.runs, args.scale)
        print(f"{label:26s} round {index}: {seconds:7.1f} s  {args.runs / seconds:6.2f} runs/s", flush=True)
        return seconds

    base = case("one process", "processes", 1, 0)
    pool, dask = [], []
    executors = [(pool, f"process pool x{args.workers}", "processes"),
                 (dask, f"Dask LocalCluster x{args.workers}", "local")]
    for index in range(1, args.rounds + 1):
        # the order alternates too, so that neither executor always runs on a machine warmed by the other
        for timings, label, scheduler in executors if index % 2 else executors[::-1]:
            timings.append(case(label, scheduler, args.workers, index))
    pool_median, dask_median = statistics.median(pool), statistics.median(dask)
    print(f"medians: pool {pool_median:.1f} s, Dask {dask_median:.1f} s")
    print(f"pool speed-up over one process: {base / pool_median:.2f}x; Dask time / pool time: "
          f"{dask_median / pool_median:.3f} (medians), {min(dask) / min(pool):.3f} (best of each)")
    for name in ("runs.parquet", "quantiles.parquet"):
        same = len({(f / name).read_bytes() for f in folders}) == 1
        print(f"{name}: {'identical' if same else 'DIFFERENT'} across executors and rounds")


if __name__ == "__main__":
    main()
