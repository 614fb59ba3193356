"""Benchmark: the dashboard's Run, from pressing it to the results drawn, through its job layer.

Not a test. A `Worker` is started as the app starts it; "cold" is a run submitted at once (the process starts,
imports the model, loads the compiled kernels and warms up before the run); "warm" are runs submitted to the
same worker once it is ready, as after the page has been open a few seconds. Each adds the time to draw the
page's charts from the result. The Numba kernels must be compiled already (any earlier run does it).
Usage: python benchmarks/bench_dashboard.py [--scale 50] [--end 2027-12-31] [--warm 3]
"""

from __future__ import annotations

import argparse
import time


def to_results(worker, request) -> tuple[float, float]:
    """(seconds from submit to the `Run`, seconds to draw the page's charts from it)."""
    from morale.dashboard import charts, tilemap

    job = worker.wait(worker.submit(request), 3600)
    if job.state != "done":
        raise SystemExit(f"the run {job.state}: {job.error}")
    started = time.perf_counter()
    charts.charts(job.result), tilemap.death_map(job.result)
    return job.seconds, time.perf_counter() - started


def main() -> None:
    from morale.dashboard.request import RunRequest
    from morale.dashboard.worker import Worker

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=50)
    parser.add_argument("--end", default="2027-12-31")
    parser.add_argument("--warm", type=int, default=3, help="warm runs to time")
    args = parser.parse_args()
    request = RunRequest("russia-2022", "russia-2022", seed=0, scale=args.scale, end=args.end)
    worker = Worker()
    run, draw = to_results(worker, request)
    print(f"cold (worker started with the request): run {run:.1f} s + charts {draw:.1f} s = {run + draw:.1f} s")
    while not worker.ready:
        worker.poll(1.0)
    for i in range(args.warm):
        run, draw = to_results(worker, request)
        print(f"warm {i + 1}: run {run:.1f} s + charts {draw:.1f} s = {run + draw:.1f} s")


if __name__ == "__main__":
    main()
