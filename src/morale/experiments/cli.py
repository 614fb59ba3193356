"""`morale ensemble | compare | sweep | sensitivity`: the experiment commands (mounted on `morale.cli.app`).

Common flags: --out DIR (the experiment folder), --resume, --force, --scheduler {inprocess, processes, local,
tcp://HOST:PORT}, --workers N, --seed S. Run i uses SeedSequence(S, spawn_key=(i,)); `morale run --seed S
--replicate i` reproduces it. User errors print one line and exit 2.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from morale.cli_common import check_date, check_scale, console, fail, guarded

experiment_commands = typer.Typer(add_completion=False)

OUT = typer.Option(None, help="experiment folder (default runs/<command>-<scenario>-seed<S>)")
RESUME = typer.Option(False, help="continue the experiment in --out: finished runs are kept, the rest run")
FORCE = typer.Option(False, help="overwrite a non-empty --out")
SCHEDULER = typer.Option("processes", help="inprocess, processes (all cores), local (a Dask LocalCluster) or "
                                           "tcp://HOST:PORT (a running Dask scheduler)")
WORKERS = typer.Option(None, help="worker processes (default: all cores)")
SEED = typer.Option(0, help="experiment seed S: run i uses SeedSequence(S, spawn_key=(i,))")
SCALE = typer.Option(None, help="persons per agent (default: the scenario's)")
END = typer.Option(None, help="last date, YYYY-MM-DD (default: the scenario's)")
SET = typer.Option(None, "--set", help="override a parameter for every run: PATH=VALUE (repeatable)")
OUTCOME = typer.Option(None, "--outcome", help="X, X@DATE or sum|mean|max|min(X[, YEAR|START:END]) (repeatable)")
PARAM = typer.Option(None, "--param", help="NAME, NAME=LOW:HIGH or NAME=V1,V2,... (repeatable)")


def _guard(action):
    """Turn the experiment layer's user errors into one line and exit 2."""
    try:
        return guarded(action)
    except ValueError as err:  # option values the experiment functions reject (--runs, --design, ...)
        if "--" in str(err) or ".toml" in str(err):
            fail(str(err))
        raise


def _check(scale, end, scheduler, workers) -> None:
    from morale.experiments.executors import check_scheduler

    check_scale(scale)
    check_date(end, "--end")
    check_scheduler(scheduler, workers)


def _default_out(command: str, scenario: str, seed: int) -> Path:
    return Path("runs") / f"{command}-{Path(str(scenario)).stem}-seed{seed}"


@experiment_commands.command()
def ensemble(
    scenario: str = typer.Argument("russia-2022", help="built-in scenario name or TOML file"),
    runs: int = typer.Option(20, min=1, help="number of runs"),
    uncertainty: bool = typer.Option(False, help="draw every ranged parameter from its distribution, per run"),
    calibrated: bool = typer.Option(False, help="draw each run's parameters from the scenario's shipped "
                                                "calibrated sample (`morale calibrate`)"),
    scale: float = SCALE, end: str = END, set_: list[str] = SET, outcome: list[str] = OUTCOME,
    out: Path = OUT, resume: bool = RESUME, force: bool = FORCE, scheduler: str = SCHEDULER,
    workers: int = WORKERS, seed: int = SEED,
) -> None:
    """Run an ensemble: per-week quantile bands of every series, a per-run table, a report."""
    from morale.experiments.ensemble import ensemble as run_ensemble

    folder = out or _default_out("ensemble", scenario, seed)
    _guard(lambda: _check(scale, end, scheduler, workers))
    result = _guard(lambda: run_ensemble(scenario, runs=runs, seed=seed, uncertainty=uncertainty, scale=scale,
                                         end=end, overrides=set_ or None, outcomes=outcome or None, out=folder,
                                         resume=resume, force=force, scheduler=scheduler, workers=workers,
                                         progress=True, calibrated=calibrated))
    ok = result.runs[result.runs["status"] == "ok"]
    columns = result.outcomes or ["killed", "recruits", "soldiers_front"]
    table = Table(title=f"ensemble {result.spec['scenario']}: {len(ok)} of {len(result.runs)} runs finished")
    for column in ("outcome", "5%", "25%", "50%", "75%", "95%"):
        table.add_column(column, justify="left" if column == "outcome" else "right")
    for name in columns:
        q = ok[name].quantile([0.05, 0.25, 0.5, 0.75, 0.95]) if len(ok) else []
        table.add_row(name, *[f"{v:,.4g}" for v in q])
    console().print(table)
    console().print(f"experiment folder: [bold]{result.folder}[/] (report.html, bands.png, quantiles.parquet, "
                  f"runs.parquet)")


@experiment_commands.command()
def compare(
    a: str = typer.Argument(..., help="scenario A (name or TOML file)"),
    b: str = typer.Argument(..., help="scenario B"),
    runs: int = typer.Option(20, min=1, help="paired runs per scenario"),
    scale: float = SCALE, end: str = END, set_: list[str] = SET, outcome: list[str] = OUTCOME,
    out: Path = OUT, resume: bool = RESUME, force: bool = FORCE, scheduler: str = SCHEDULER,
    workers: int = WORKERS, seed: int = SEED,
    a_set: list[str] = typer.Option(None, "--a-set", help="pin a parameter in A only: PATH=VALUE (repeatable)"),
    a_event: list[str] = typer.Option(None, "--a-event", help="a dated change in A only: DATE:PATH=VALUE"),
    a_drop_event: list[str] = typer.Option(None, "--a-drop-event", help="switch off an event of A by id"),
    b_set: list[str] = typer.Option(None, "--b-set", help="pin a parameter in B only: PATH=VALUE (repeatable)"),
    b_event: list[str] = typer.Option(None, "--b-event", help="a dated change in B only: DATE:PATH=VALUE, for "
                                                              "example 2026-01-01:policy.exit_ban=false"),
    b_drop_event: list[str] = typer.Option(None, "--b-drop-event", help="switch off an event of B by id"),
) -> None:
    """Compare two scenarios with common random numbers: bands side by side, distribution of B - A.

    A scenario against itself with a change needs no file: `morale compare russia-2022 russia-2022
    --b-event 2026-01-01:policy.exit_ban=false`. --set applies to both arms; --a-* and --b-* to one."""
    from morale.experiments.compare import compare as run_compare

    folder = out or Path("runs") / f"compare-{Path(a).stem}-{Path(b).stem}-seed{seed}"
    _guard(lambda: _check(scale, end, scheduler, workers))
    first = _guard(lambda: _arm(a, "a", a_set, a_event, a_drop_event))
    second = _guard(lambda: _arm(b, "b", b_set, b_event, b_drop_event))
    result = _guard(lambda: run_compare(first, second, runs=runs, seed=seed, scale=scale, end=end,
                                        overrides=set_ or None,
                                        outcomes=outcome or None, out=folder, resume=resume, force=force,
                                        scheduler=scheduler, workers=workers, progress=True))
    table = Table(title=f"B - A over {runs} paired runs: A = {result.spec['a']['scenario']}, "
                        f"B = {result.spec['b']['scenario']}")
    for column in ("outcome", "mean A", "mean B", "mean B-A", "95% CI", "5%..95% of B-A", "share B>A"):
        table.add_column(column, justify="left" if column == "outcome" else "right")
    for row in result.effects.to_dict("records"):
        table.add_row(row["outcome"], f"{row['mean A']:,.4g}", f"{row['mean B']:,.4g}", f"{row['mean B-A']:,.4g}",
                      f"[{row['ci95 low']:,.4g}, {row['ci95 high']:,.4g}]",
                      f"{row['B-A q05']:,.4g}..{row['B-A q95']:,.4g}", f"{row['share B>A']:.0%}")
    console().print(table)
    console().print(f"experiment folder: [bold]{result.folder}[/] (bands.png, differences.png, effects.parquet)")


def _arm(scenario: str, side: str, pins: list[str] | None, events: list[str] | None, drops: list[str] | None):
    """One arm of a comparison: the scenario as named, or loaded with its own what-ifs (errors name --a-/--b-)."""
    if not (pins or events or drops):
        return scenario
    from morale.scenario.loader import ScenarioError, load_scenario

    try:
        return load_scenario(scenario, pins or None, events or None, drops or None)
    except ScenarioError as err:
        text = str(err)
        for flag in ("--set", "--event", "--drop-event"):
            text = text.replace(f"{flag} ", f"--{side}-{flag[2:]} ")
        raise ScenarioError(text) from None


@experiment_commands.command()
def sweep(
    scenario: str = typer.Argument("russia-2022", help="built-in scenario name or TOML file"),
    param: list[str] = PARAM,
    spec: Path = typer.Option(None, help="a sweep TOML (scenario, design, samples/levels, runs, outcomes, "
                                         "[params]); flags given too override it"),
    design: str = typer.Option(None, help="grid (default) or lhs"),
    levels: int = typer.Option(None, min=2, help="grid values per parameter (default 3)"),
    samples: int = typer.Option(None, min=1, help="Latin-hypercube points (default 10)"),
    runs: int = typer.Option(None, min=1, help="paired runs per point (default 1)"),
    scale: float = SCALE, end: str = END, set_: list[str] = SET, outcome: list[str] = OUTCOME,
    out: Path = OUT, resume: bool = RESUME, force: bool = FORCE, scheduler: str = SCHEDULER,
    workers: int = WORKERS, seed: int = SEED,
) -> None:
    """Sweep named parameters over a grid or a Latin hypercube: a table of parameters x outcomes, plots."""
    from morale.experiments.sweep import load_sweep_file
    from morale.experiments.sweep import sweep as run_sweep

    def arguments() -> dict:
        kwargs = load_sweep_file(spec) if spec else {}
        given = {"params": param or None, "design": design, "levels": levels, "samples": samples, "runs": runs,
                 "scale": scale, "end": end, "overrides": set_ or None, "outcomes": outcome or None}
        kwargs.update({k: v for k, v in given.items() if v is not None})
        if scenario != "russia-2022" or "scenario" not in kwargs:
            kwargs["scenario"] = scenario
        kwargs.setdefault("seed", seed)
        _check(kwargs.get("scale"), kwargs.get("end"), scheduler, workers)
        return kwargs

    kwargs = _guard(arguments)
    folder = out or _default_out("sweep", kwargs["scenario"], kwargs["seed"])
    result = _guard(lambda: run_sweep(**kwargs, out=folder, resume=resume, force=force, scheduler=scheduler,
                                      workers=workers, progress=True))
    table = Table(title=f"sweep: {len(result.points)} points (mean over replicates)")
    for column in ("point", *result.parameters, *result.outcomes):
        table.add_column(column, justify="right")
    for row in result.points.head(30).to_dict("records"):
        table.add_row(str(row["point"]), *[f"{row[c]:,.4g}" for c in (*result.parameters, *result.outcomes)])
    console().print(table)
    console().print(f"experiment folder: [bold]{result.folder}[/] (sweep.parquet, points.parquet, sweep.png)")


@experiment_commands.command()
def sensitivity(
    scenario: str = typer.Argument("russia-2022", help="built-in scenario name or TOML file"),
    method: str = typer.Option("morris", help="morris (screening) or sobol"),
    param: list[str] = typer.Option(None, "--param", help="parameters to vary (default: every ranged one)"),
    samples: int = typer.Option(16, min=2, help="SALib N: Morris trajectories, or Sobol base samples"),
    runs: int = typer.Option(1, min=1, help="paired runs per sample (outcome averaged)"),
    dummy: bool = typer.Option(False, help="add a parameter 'dummy' on [0, 1] that the model never reads; "
                                           "above_dummy: index minus its CI above the dummy's index plus its CI"),
    scale: float = SCALE, end: str = END, set_: list[str] = SET, outcome: list[str] = OUTCOME,
    out: Path = OUT, resume: bool = RESUME, force: bool = FORCE, scheduler: str = SCHEDULER,
    workers: int = WORKERS, seed: int = SEED,
) -> None:
    """Morris screening or Sobol indices (SALib) of outcomes over the parameters' ranges, with 95% CIs."""
    import pandas as pd

    from morale.experiments.sensitivity import sensitivity as run_sensitivity

    folder = out or _default_out(f"sensitivity-{method}", scenario, seed)
    _guard(lambda: _check(scale, end, scheduler, workers))
    result = _guard(lambda: run_sensitivity(scenario, method=method, params=param or None, samples=samples,
                                            runs=runs, seed=seed, scale=scale, end=end, overrides=set_ or None,
                                            outcomes=outcome or None, out=folder, resume=resume, force=force,
                                            scheduler=scheduler, workers=workers, progress=True, dummy=dummy))
    for name, frame in result.indices.groupby("outcome", sort=False):
        table = Table(title=f"{method}: {name} (ranked)")
        columns = [c for c in frame.columns if c not in ("outcome", "note")]
        for column in columns:
            table.add_column(column, justify="left" if column == "parameter" else "right")
        shown = frame.head(15)
        if dummy and "dummy" not in set(shown["parameter"]):  # the floor is always shown
            shown = pd.concat([shown, frame[frame["parameter"] == "dummy"]])
        for row in shown.to_dict("records"):
            table.add_row(*[f"{row[c]:,.4g}" if isinstance(row[c], float) else str(row[c]) for c in columns])
        console().print(table)
    console().print(f"experiment folder: [bold]{result.folder}[/] (indices.parquet, runs.parquet, sensitivity.png)")


@experiment_commands.command()
def calibrate(
    scenario: str = typer.Argument("russia-2022", help="built-in scenario name or TOML file"),
    points: int = typer.Option(500, min=10, help="runs per wave (design points)"),
    waves: int = typer.Option(4, min=1, help="at most this many waves (fewer when the space stops shrinking)"),
    replicates: int = typer.Option(4, min=2, help="seeds at each replicated point (stochastic variance)"),
    replicated_points: int = typer.Option(25, min=2, help="points per wave run with every replicate seed"),
    trajectories: int = typer.Option(4, min=2, help="Morris trajectories of the screening"),
    keep: int = typer.Option(20, min=1, help="at most this many parameters are history-matched"),
    param: list[str] = typer.Option(None, "--param", help="screen only these ranged parameters (repeatable)"),
    exclude: list[str] = typer.Option(None, "--exclude", help="leave out observations whose id starts with this "
                                                              "(repeatable; e.g. ones a coarse scale biases)"),
    screening: Path = typer.Option(None, "--screening", help="reuse an earlier run's screening.csv (its "
                                                             "'calibrated' rows) instead of screening again"),
    cutoff: float = typer.Option(3.0, min=0.5, help="rule a point out when its second-largest implausibility "
                                                    "exceeds this"),
    discrepancy: float = typer.Option(0.1, min=0.0, help="model discrepancy sd as a share of each observed value "
                                                         "(where its observation model gives none)"),
    loo_share: float = typer.Option(0.95, min=0.5, max=1.0, help="use an emulator only when this share of its "
                                                                 "leave-one-out standardised errors lie within +-2"),
    scale: float = SCALE, end: str = END, set_: list[str] = SET,
    out: Path = OUT, resume: bool = RESUME, force: bool = FORCE, scheduler: str = SCHEDULER,
    workers: int = WORKERS, seed: int = SEED,
) -> None:
    """History matching in waves: screening, emulators, implausibility; writes the not-ruled-out sample."""
    from morale.calibration.calibrate import calibrate as run_calibrate

    folder = out or _default_out("calibrate", scenario, seed)
    _guard(lambda: _check(scale, end, scheduler, workers))
    result = _guard(lambda: run_calibrate(scenario, scale=scale, end=end, overrides=set_ or None, points=points,
                                          waves=waves, replicates=replicates, replicated_points=replicated_points,
                                          trajectories=trajectories, keep=keep, params=param or None,
                                          exclude=exclude or None, seed=seed, screening=screening,
                                          out=folder, resume=resume,
                                          force=force, scheduler=scheduler, workers=workers, progress=True,
                                          cutoff=cutoff, discrepancy=discrepancy, loo_share=loo_share))
    match = result.match
    view = Table(title=f"calibration of {scenario}: {len(match.sample)} runs not ruled out ({match.stopped})")
    for column in ("wave", "runs", "valid emulators", "volume not ruled out"):
        view.add_column(column, justify="right")
    for row in match.waves.to_dict("records"):
        view.add_row(str(row["wave"]), str(row["runs"]), f"{row['valid_emulators']} of {row['emulators']}",
                     f"{row.get('volume_share', float('nan')):.3g}")
    console().print(view)
    console().print(f"experiment folder: [bold]{result.folder}[/] (sample.parquet, identification.csv, targets.csv, "
                    f"screening.csv, report.html)")


@experiment_commands.command()
def survival(
    folder: Path = typer.Argument(..., help="an ensemble, compare or sweep folder (its runs keep weekly series)"),
    out: Path = typer.Option(None, help="where to write (default FOLDER/survival)"),
) -> None:
    """When does each run first fail its requirement? Failure dates and their survival curve (Kaplan-Meier)."""
    from morale.experiments.survival import survival as run_survival

    result = _guard(lambda: run_survival(folder, out=out))
    view = Table(title=f"requirement not yet failed: {folder}")
    for column in ("arm", "runs", "failed by the horizon", "median failure", "last date"):
        view.add_column(column, justify="left" if column == "arm" else "right")
    arms = result.failures["arm"] if "arm" in result.failures.columns else None
    for arm in sorted(result.curve["arm"].unique()):
        runs = result.failures if arms is None else result.failures[arms == arm]
        median = result.median_failure(arm)
        view.add_row(arm, str(len(runs)), f"{int(runs['failed'].sum())}",
                     "not by the horizon" if median is None else f"{median.date()}",
                     f"{runs['last_date'].max().date()}")
    console().print(view)
    console().print(f"written: [bold]{result.folder}[/] (failure_dates.parquet, "
                    f"survival.parquet, survival.png)")


@experiment_commands.command()
def discover(
    folder: Path = typer.Argument(..., help="a sweep, or an ensemble run with --uncertainty or --calibrated"),
    condition: str = typer.Option(..., "--condition", help="what marks a run, e.g. requirement_failed or "
                                                           "\"min(soldiers_front - front_demand, 2025:2029) < 0\""),
    box: int = typer.Option(None, "--box", help="show this point of the peeling trajectory instead of the default"),
    threshold: float = typer.Option(0.8, min=0.0, max=1.0, help="the default box is the last point of the peeling "
                                                                "trajectory with at least this density"),
    bootstrap: int = typer.Option(30, min=0, help="bootstrap resamples for the box's stability"),
    seed: int = SEED, out: Path = typer.Option(None, help="where to write (default FOLDER/discover-<hash>)"),
    force: bool = FORCE,
) -> None:
    """Scenario discovery: mark each run by a condition, then find PRIM boxes and a CART tree of parameters."""
    from morale.experiments.discovery import discover as run_discover

    found = _guard(lambda: run_discover(folder, condition, box=box, out=out, threshold=threshold,
                                        bootstrap=bootstrap, seed=seed, force=force))
    result = found.boxes
    row = result.trajectory.set_index("id").loc[result.chosen]
    view = Table(title=f"{condition}: {result.positives} of {result.total} runs; PRIM box {result.chosen}: "
                       f"coverage {row['coverage']:.2f}, density {row['density']:.2f}")
    for column in ("parameter", "low", "high", "prior", "qp low", "qp high", "bootstrap share"):
        view.add_column(column, justify="left" if column == "parameter" else "right")
    share = result.stability.set_index("parameter")["share restricted"]
    for limit in result.limits.to_dict("records"):
        view.add_row(limit["parameter"], f"{limit['low']:.4g}", f"{limit['high']:.4g}",
                     f"{limit['prior low']:.4g}..{limit['prior high']:.4g}", f"{limit['qp low']:.2g}",
                     f"{limit['qp high']:.2g}", f"{share.get(limit['parameter'], float('nan')):.0%}")
    console().print(view)
    console().print(f"written: [bold]{found.folder}[/] (report.html, box.parquet, trajectory.png, pairs.png, "
                    f"tree.png)")
