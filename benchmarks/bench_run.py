"""Benchmark: the default scenario to 2027-12-31 at scale 10 and at scale 1 (every man, ~40 million).

Not a test. Prints, after a warm-up run that compiles the Numba kernels (its time reported apart), the wall
time, agent-steps and person-steps per second, and peak memory, each scale measured in a fresh process so
that peak memory is that run's own. Usage: python benchmarks/bench_run.py [--scales 10 1] [--end DATE]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def measure(scale: float, end: str) -> dict:
    import morale
    from morale.engine import codes as C

    started = time.perf_counter()
    morale.run("russia-2022", scale=500, end="2022-06-30")  # warm-up: JIT compile (or load the cache)
    compile_seconds = time.perf_counter() - started
    simulation = morale.Simulation("russia-2022", scale=scale, end=end)
    setup = simulation.setup_seconds
    agent_steps = 0
    started = time.perf_counter()
    while not simulation.done:
        agent_steps += int(simulation.state.status_agents[: C.UNBORN].sum())
        simulation.step()
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # GiB (Linux reports KiB)
    return {"scale": scale, "end": end, "weeks": simulation.calendar.n_weeks, "warmup_seconds": compile_seconds,
            "setup_seconds": setup, "step_seconds": wall, "total_seconds": setup + wall, "agent_steps": agent_steps,
            "agent_steps_per_second": agent_steps / wall, "person_steps_per_second": agent_steps * scale / wall,
            "peak_memory_gib": peak, "people_rows": len(simulation.state.status)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", type=float, nargs="+", default=[10, 1])
    parser.add_argument("--end", default="2027-12-31")
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.one, args.end)))
        return
    for scale in args.scales:
        out = subprocess.run([sys.executable, __file__, "--one", str(scale), "--end", args.end],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"scale {r['scale']:g} to {r['end']} ({r['weeks']} weeks, {r['people_rows']:,} person rows): "
              f"warm-up/JIT {r['warmup_seconds']:.1f} s; setup {r['setup_seconds']:.1f} s + steps "
              f"{r['step_seconds']:.1f} s = {r['total_seconds']:.1f} s; "
              f"{r['agent_steps_per_second']:.3g} agent-steps/s, {r['person_steps_per_second']:.3g} person-steps/s; "
              f"peak memory {r['peak_memory_gib']:.2f} GiB")


if __name__ == "__main__":
    main()
