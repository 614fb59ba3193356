"""Benchmark and cross-check of morale's Epstein civil-violence model against Mesa 3.3.1's example.

Run with ``python benchmarks/bench_civil_violence.py`` in an environment with the ``bench`` extra
(``mesa==3.3.1``). It prints, in one run:

1. the JIT compile (or cache load) time, apart from every timed run;
2. agent-steps per second of Mesa's ``epstein_civil_violence`` example and of our ``mesa`` variant with the
   same configuration (40x40, vision 7, Mesa's defaults), and their ratio;
3. the distribution of active and jailed counts of both over an ensemble of seeds after a burn-in, at the
   values of Mesa's app sliders (L 0.82, cops 0.04, J_max 30, where the dynamics are rich), with
   two-sample Kolmogorov-Smirnov tests if scipy is installed;
4. agent-steps per second on a 1000x1000 lattice on one thread.

Agent-steps count every citizen and cop activated, jailed or not, in every step.
"""

import argparse
import importlib
import statistics
import sys
import time
import types
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numba
import numpy as np

from morale.classic import civil_violence

MESA_DYNAMIC = {"legitimacy": 0.82, "cop_density": 0.04, "max_jail_term": 30}
OURS_DYNAMIC = {"legitimacy": 0.82, "cop_density": 0.04, "max_jail": 30}


def mesa_model_class():
    """Mesa's example class. ``mesa.examples`` imports every example (networkx and more); if one of those is
    missing, the example's own two modules are loaded under empty parent packages instead."""
    try:
        from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence
    except ImportError:
        import mesa

        root = Path(mesa.__file__).parent / "examples"
        for name, path in (
            ("mesa.examples", root),
            ("mesa.examples.advanced", root / "advanced"),
            ("mesa.examples.advanced.epstein_civil_violence", root / "advanced" / "epstein_civil_violence"),
        ):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
        module = importlib.import_module("mesa.examples.advanced.epstein_civil_violence.model")
        EpsteinCivilViolence = module.EpsteinCivilViolence
    return EpsteinCivilViolence


def mesa_run(seed, steps, options):
    """Counts (active, jailed) per step, row 0 the initial state, and the number of agents."""
    model = mesa_model_class()(seed=seed, max_iters=10**9, **options)
    for _ in range(steps):
        model.step()
    frame = model.datacollector.get_model_vars_dataframe()
    return frame["active"].to_numpy(), frame["arrested"].to_numpy(), len(model.agents)


def time_mesa(steps):
    model = mesa_model_class()(seed=1, max_iters=10**9)
    agents = len(model.agents)
    start = time.perf_counter()
    for _ in range(steps):
        model.step()
    return agents * steps / (time.perf_counter() - start), agents


def time_ours(steps, variant, **options):
    start = time.perf_counter()
    series = civil_violence.simulate(steps, 1, variant, **options)
    elapsed = time.perf_counter() - start
    return int(series.iloc[0].sum()), elapsed


def agents_of(variant, **options):
    """Citizens plus cops of a run as configured (for agent-step counts)."""
    run = civil_violence.run(0, 1, variant, record_lattice=True, **options)
    return int((run.lattice[0] > 0).sum())


def compare_distributions(mesa_seeds, our_seeds, steps, burn_in, workers):
    with ProcessPoolExecutor(workers) as pool:
        mesa_runs = list(pool.map(mesa_run, range(mesa_seeds), [steps] * mesa_seeds, [MESA_DYNAMIC] * mesa_seeds))
    ours = [civil_violence.simulate(steps, 10_000 + s, "mesa", **OURS_DYNAMIC) for s in range(our_seeds)]
    samples = {
        "mesa": {"active": [a[burn_in:] for a, _, _ in mesa_runs], "jailed": [j[burn_in:] for _, j, _ in mesa_runs]},
        "ours": {
            "active": [s["active"].to_numpy()[burn_in:] for s in ours],
            "jailed": [s["jailed"].to_numpy()[burn_in:] for s in ours],
        },
    }
    print(
        f"\n== Distribution, mesa variant vs Mesa 3.3.1 (L 0.82, cops 0.04, J_max 30; steps {burn_in + 1}.."
        f"{steps}; Mesa {mesa_seeds} seeds, ours {our_seeds} seeds)"
    )
    try:
        from scipy.stats import ks_2samp
    except ImportError:
        ks_2samp = None
    for column in ("active", "jailed"):
        for label, reduce in (("per-run mean", np.mean), ("per-run peak", np.max)):
            m = [float(reduce(x)) for x in samples["mesa"][column]]
            o = [float(reduce(x)) for x in samples["ours"][column]]
            line = (
                f"{column:>6} {label}: Mesa {statistics.mean(m):7.1f} +- {statistics.stdev(m):6.1f}   "
                f"ours {statistics.mean(o):7.1f} +- {statistics.stdev(o):6.1f}"
            )
            if ks_2samp:
                line += f"   KS p = {ks_2samp(m, o).pvalue:.2f}"
            print(line)
        m_all = np.concatenate(samples["mesa"][column])
        o_all = np.concatenate(samples["ours"][column])
        quantiles = (0.1, 0.5, 0.9, 0.99)
        print(
            f"{column:>6} pooled quantiles {quantiles}: Mesa {np.quantile(m_all, quantiles).round(1)}  "
            f"ours {np.quantile(o_all, quantiles).round(1)}"
        )
    outbursts_mesa = [civil_violence.count_outbursts(a) for a in samples["mesa"]["active"]]
    outbursts_ours = [civil_violence.count_outbursts(a) for a in samples["ours"]["active"]]
    print(
        f"outbursts (> 50 actives) per run: Mesa {statistics.mean(outbursts_mesa):.1f} "
        f"+- {statistics.stdev(outbursts_mesa):.1f}, ours {statistics.mean(outbursts_ours):.1f} "
        f"+- {statistics.stdev(outbursts_ours):.1f}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mesa-steps", type=int, default=100, help="steps of the Mesa speed run")
    parser.add_argument("--steps", type=int, default=3000, help="steps of our 40x40 speed run")
    parser.add_argument("--big-steps", type=int, default=10, help="steps of the 1000x1000 run")
    parser.add_argument("--mesa-seeds", type=int, default=10)
    parser.add_argument("--our-seeds", type=int, default=100)
    parser.add_argument("--ensemble-steps", type=int, default=600)
    parser.add_argument("--burn-in", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2, help="processes running Mesa's ensemble")
    args = parser.parse_args()
    numba.set_num_threads(1)

    start = time.perf_counter()
    for variant in civil_violence.VARIANTS:
        civil_violence.simulate(2, 0, variant, width=12, height=12)
    print(f"JIT compile / cache load: {time.perf_counter() - start:.2f} s (not in any timing below)")

    print("\n== Speed, 40x40, vision 7, Mesa's defaults (L 0.8, cops 0.074, J_max 1000)")
    mesa_speed, mesa_agents = time_mesa(args.mesa_steps)
    print(f"Mesa 3.3.1 example: {mesa_speed:12,.0f} agent-steps/s ({mesa_agents} agents, {args.mesa_steps} steps)")
    agents = agents_of("mesa")
    _, elapsed = time_ours(args.steps, "mesa")
    ours_speed = agents * args.steps / elapsed
    print(f"morale, mesa variant: {ours_speed:12,.0f} agent-steps/s ({agents} agents, {args.steps} steps)")
    print(f"ratio: {ours_speed / mesa_speed:,.0f}x")

    compare_distributions(args.mesa_seeds, args.our_seeds, args.ensemble_steps, args.burn_in, args.workers)

    print("\n== Speed, 1000x1000, one thread (set-up: placing agents, drawing traits, filling the fields)")
    for variant in civil_violence.VARIANTS:
        big = {"width": 1000, "height": 1000}
        agents = agents_of(variant, **big)
        _, setup = time_ours(0, variant, **big)
        _, elapsed = time_ours(args.big_steps, variant, **big)
        print(
            f"{variant:>8} variant: {agents * args.big_steps / elapsed:12,.0f} agent-steps/s with set-up, "
            f"{agents * args.big_steps / (elapsed - setup):12,.0f} without ({agents:,} agents, "
            f"{args.big_steps} steps, set-up {setup:.2f} s, {(elapsed - setup) / args.big_steps * 1000:.0f} ms/step)"
        )


if __name__ == "__main__":
    main()
