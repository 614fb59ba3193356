"""The `morale` command line (typer + rich).

Every user error (a scenario file, a `--set`, a flag, an existing output folder) prints one line to stderr and
exits with status 2; nothing is written then.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from morale.classic.cli import classic_app
from morale.cli_common import UserError, check_date, check_scale, console, guarded
from morale.experiments.cli import experiment_commands

app = typer.Typer(help="Simulate how a state at war raises, keeps and loses its soldiers.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(classic_app, name="classic", help="Canonical models reproduced exactly (Epstein 2002).")
app.registered_commands += experiment_commands.registered_commands


@app.command()
def run(
    scenario: str = typer.Argument("russia-2022", help="built-in scenario name or TOML file"),
    seed: int = typer.Option(0, help="random seed"),
    replicate: int = typer.Option(None, min=0, help="reproduce run i of an experiment seeded --seed"),
    scale: float = typer.Option(None, help="persons per agent (default: the scenario's, 10)"),
    end: str = typer.Option(None, help="last date, YYYY-MM-DD (default: the scenario's)"),
    set_: list[str] = typer.Option(None, "--set", help="override a parameter: PATH=VALUE (repeatable)"),
    out: Path = typer.Option(None, help="run folder (default runs/<scenario>-seed<S>)"),
    force: bool = typer.Option(False, help="overwrite a non-empty run folder"),
) -> None:
    """Run a scenario, print model against calibration targets, and write the run folder."""
    from morale.engine.simulation import Simulation
    from morale.results.run import prepare_folder

    def build() -> tuple[Simulation, Path]:
        simulation = Simulation(scenario, seed=seed, scale=check_scale(scale), end=check_date(end, "--end"),
                                overrides=set_ or None, replicate=replicate)
        folder = out or Path("runs") / f"{simulation.scenario.name}-seed{seed}"
        if folder.exists() and any(folder.iterdir()) and not force:
            prepare_folder(folder, force)  # raises the clear error
        return simulation, folder

    simulation, folder = guarded(build)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.fields[date]}"),
                  TimeRemainingColumn(), console=console(), transient=True) as bar:
        task = bar.add_task(simulation.scenario.name, total=simulation.calendar.n_weeks, date="")
        simulation.run(lambda week, total: bar.update(task, completed=week, date=str(simulation.date)))
    result = simulation.result()
    result.timings = {"setup": simulation.setup_seconds}
    print_summary(result)
    guarded(lambda: result.save(folder, command="morale " + " ".join(sys.argv[1:]), force=force))
    console().print(f"run folder: [bold]{folder}[/]  (report: {folder / 'report.html'})")


def print_summary(result) -> None:
    """Model against calibration targets, then the sustainment horizon and years left in each pool."""
    from morale.engine.recorder import SERIES
    from morale.results.targets import compare

    table = Table(title=f"{result.scenario.name}: model against calibration targets")
    for column in ("target", "period", "model", "target value", "range", "met"):
        table.add_column(column, justify="right" if column in ("model", "target value") else "left")
    for row in compare(result.series, result.scenario).itertuples(index=False):
        period = f"{row.period_start}..{row.period_end or ''}"
        table.add_row(row.target, period, f"{row.model:,.3g}" if row.model < 100 else f"{row.model:,.0f}",
                      f"{row.value:,.6g}", f"{row.low:,.6g}-{row.high:,.6g}",
                      "[green]yes[/]" if row.met else "[red]no[/]")
    console().print(table)
    last = result.series.iloc[-1]
    horizon = Table(title=f"at {result.series.index[-1].date()}")
    horizon.add_column("measure")
    horizon.add_column("value", justify="right")
    horizon.add_column("meaning")
    for name in ("sustainment_horizon_weeks", "years_left_conscription", "years_left_reservists",
                 "years_left_contract", "years_left_prisoners"):
        horizon.add_row(name, f"{last[name]:,.1f}", SERIES[name][1])
    console().print(horizon)


@app.command()
def report(run_dir: Path = typer.Argument(..., help="a run folder written by `morale run`")) -> None:
    """Rebuild report.html from a run folder."""
    from morale.results.report import write_report
    from morale.results.run import Run

    def load():
        if not (run_dir / "manifest.json").is_file():
            raise UserError(f"{run_dir}: not a run folder (no manifest.json)")
        return Run.load(run_dir)

    result = guarded(load)
    write_report(result, run_dir / "report.html")
    console().print(f"report: [bold]{run_dir / 'report.html'}[/]")


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from morale.scenario.loader import builtin_names, load_scenario

    table = Table(title="built-in scenarios")
    table.add_column("name")
    table.add_column("from")
    table.add_column("to")
    table.add_column("description")
    for name in builtin_names():
        s = load_scenario(name)
        table.add_row(name, str(s.start), str(s.end), s.description)
    console().print(table)


@app.command()
def show(scenario: str = typer.Argument("russia-2022"),
         set_: list[str] = typer.Option(None, "--set", help="override a parameter: PATH=VALUE")) -> None:
    """Print a resolved scenario: every parameter with its value, range and source."""
    from morale.scenario.loader import load_scenario
    from morale.scenario.schema import Param

    resolved = guarded(lambda: load_scenario(scenario, set_ or None))
    table = Table(title=f"{resolved.name}: {resolved.description}", show_lines=False)
    for column in ("parameter", "value", "range", "source"):
        table.add_column(column, overflow="fold")

    def walk(node, prefix: str) -> None:
        for name in type(node).model_fields:
            value = getattr(node, name)
            path = f"{prefix}{name}"
            if isinstance(value, Param):
                shown = "" if value.range is None else f"{value.range[0]:g}..{value.range[1]:g} ({value.dist})"
                table.add_row(path, f"{value.value:g}", shown, value.source)
            elif hasattr(type(value), "model_fields"):
                walk(value, f"{path}.")
            elif isinstance(value, list) and name != "events":
                for i, item in enumerate(value):
                    table.add_row(f"{path}[{i}]", str(item.model_dump(mode="json")), "", "")
            elif name != "events":
                table.add_row(path, str(value), "", "")

    walk(resolved, "")
    for event in resolved.events:
        if event.enabled:
            table.add_row(f"event {event.date}", f"{event.target} = {event.value}", "", event.source)
    console().print(table)


@app.command()
def validate(
    only: str = typer.Option(None, help="comma-separated patterns, e.g. F3,F6"),
    runs: int = typer.Option(20, min=2, help="paired runs per scenario (per draw with --robust)"),
    scale: float = typer.Option(20, help="persons per agent"),
    seed: int = typer.Option(0),
    end: str = typer.Option(None, help="last date of every run (default: each pattern's)"),
    robust: int = typer.Option(None, min=2, help="check each pattern on N Latin-hypercube draws of the ranged "
                                                 "parameters; report the share of draws in which it holds"),
    scheduler: str = typer.Option("processes", help="inprocess, processes, local (Dask) or tcp://HOST:PORT"),
    workers: int = typer.Option(None, help="worker processes (default: all cores)"),
    out: Path = typer.Option(None, help="experiment folder: checkpoint every run (resumable)"),
    resume: bool = typer.Option(False, help="continue the validation in --out"),
    force: bool = typer.Option(False, help="overwrite a non-empty --out"),
    as_json: bool = typer.Option(False, "--json", help="print only a JSON array"),
) -> None:
    """Check the article's patterns (DESIGN s.2) on paired-seed ensembles; exit 1 if any fails."""
    from morale.experiments.executors import SchedulerError, check_scheduler
    from morale.experiments.store import ExperimentFolderError
    from morale.experiments.validate import PATTERNS, validate_patterns, validate_robust

    def names() -> list[str]:
        chosen = [n.strip().upper() for n in only.split(",")] if only else list(PATTERNS)
        unknown = [n for n in chosen if n not in PATTERNS]
        if unknown:
            raise UserError(f"--only: unknown pattern {', '.join(unknown)}; known: {', '.join(PATTERNS)}")
        try:
            check_scheduler(scheduler, workers)
        except SchedulerError as err:
            raise UserError(str(err)) from None
        return chosen

    chosen = guarded(names)
    guarded(lambda: check_scale(scale))
    guarded(lambda: check_date(end, "--end"))

    def folder_errors(action):
        try:
            return action()
        except ExperimentFolderError as err:
            raise UserError(str(err)) from None

    options = dict(runs=runs, scale=scale, seed=seed, end=end, scheduler=scheduler, workers=workers, out=out,
                   resume=resume, force=force)
    if robust:
        summary, table = guarded(lambda: folder_errors(lambda: validate_robust(chosen, draws=robust, **options)))
        if out is not None:
            table.to_parquet(out / "robust.parquet", index=False)
        if as_json:
            sys.stdout.write(json.dumps([r.as_dict() for r in summary], indent=2) + "\n")
        else:
            view = Table(title=f"patterns over {robust} Latin-hypercube draws ({runs} paired runs each, "
                               f"scale {scale:g}, seed {seed})")
            for column in ("pattern", "kind", "held in", "share", "pass", "failing draws"):
                view.add_column(column, overflow="fold")
            for r in summary:
                view.add_row(r.pattern, r.kind, f"{r.held}/{r.draws}", f"{r.share:.0%}",
                             "[green]pass[/]" if r.passed else "[red]FAIL[/]",
                             ", ".join(map(str, r.failing_draws)) or "-")
            console().print(view)
        if not all(r.passed for r in summary):
            raise typer.Exit(1)
        return
    results = guarded(lambda: folder_errors(lambda: validate_patterns(chosen, **options)))
    if as_json:
        sys.stdout.write(json.dumps([r.as_dict() for r in results], indent=2) + "\n")
    else:
        table = Table(title=f"patterns ({runs} paired runs, scale {scale:g}, seed {seed})")
        for column in ("pattern", "statistic", "effect", "95% CI", "pass", "detail"):
            table.add_column(column, overflow="fold")
        for r in results:
            effect = "" if r.effect is None else f"{r.effect:.4g}"
            ci = "" if r.ci_low is None else f"[{r.ci_low:.4g}, {r.ci_high:.4g}]"
            table.add_row(r.pattern, r.statistic, effect, ci, "[green]pass[/]" if r.passed else "[red]FAIL[/]",
                          r.detail)
        console().print(table)
    if not all(r.passed for r in results):
        raise typer.Exit(1)
