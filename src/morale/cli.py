"""The `morale` command line (typer + rich).

Every user error (a scenario file, a `--set`, a flag, an existing output folder) prints one line to stderr and
exits with status 2; nothing is written then.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from morale.classic.cli import classic_app
from morale.cli_common import OneLineErrors, UserError, check_date, check_scale, console, fail, guarded, table, warn
from morale.experiments.cli import experiment_commands

app = typer.Typer(help="Simulate how a state at war raises, keeps and loses its soldiers.", cls=OneLineErrors,
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(classic_app, name="classic", help="Canonical models reproduced exactly (Epstein 2002).")
app.registered_commands += experiment_commands.registered_commands


def _print_version(value: bool) -> None:
    if value:
        from morale.results.run import package_version

        typer.echo(f"morale {package_version()}")
        raise typer.Exit()


@app.callback()
def main(version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True,
                                      help="print the version and exit")) -> None:
    """Simulate how a state at war raises, keeps and loses its soldiers."""


SET = typer.Option(None, "--set", help="pin a parameter for the whole run: PATH=VALUE (repeatable; events that "
                                      "would change it are dropped)")
EVENT = typer.Option(None, "--event", help="a dated change: DATE:PATH=VALUE (repeatable)")
DROP_EVENT = typer.Option(None, "--drop-event", help="switch off a built-in event by id (repeatable; ids: "
                                                     "`morale show SCENARIO --events`)")


@app.command()
def run(
    scenario: str = typer.Argument("russia-2022", help="built-in scenario name or TOML file"),
    seed: int = typer.Option(0, min=0, help="random seed"),
    replicate: int = typer.Option(None, min=0, help="reproduce run i of an experiment seeded --seed"),
    scale: float = typer.Option(None, help="persons per agent (default: the scenario's, 10)"),
    end: str = typer.Option(None, help="last date, YYYY-MM-DD (default: the scenario's)"),
    set_: list[str] = SET, event: list[str] = EVENT, drop_event: list[str] = DROP_EVENT,
    out: Path = typer.Option(None, help="run folder (default runs/<scenario>-seed<S>)"),
    force: bool = typer.Option(False, help="overwrite a non-empty run folder"),
) -> None:
    """Run a scenario, print model against calibration targets, and write the run folder."""
    from morale.engine.simulation import Simulation
    from morale.results.run import check_output_folder

    def build() -> tuple[Simulation, Path]:
        if out is not None:  # a folder that cannot be written fails before the scenario is even read
            check_output_folder(out, force)
        simulation = Simulation(scenario, seed=seed, scale=check_scale(scale), end=check_date(end, "--end"),
                                overrides=set_ or None, replicate=replicate, events=event or None,
                                drop_events=drop_event or None)
        folder = out or Path("runs") / f"{simulation.scenario.name}-seed{seed}"
        check_output_folder(folder, force)
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

    targets = table(f"{result.scenario.name}: model against calibration targets",
                    ["target", "period", "model", "target value", "range", "met"], right=("model", "target value"))
    for row in compare(result.series, result.scenario).itertuples(index=False):
        period = f"{row.period_start}..{row.period_end or ''}"
        targets.add_row(row.target, period, f"{row.model:,.3g}" if row.model < 100 else f"{row.model:,.0f}",
                      f"{row.value:,.6g}", f"{row.low:,.6g}-{row.high:,.6g}",
                        "[green]yes[/]" if row.met else "[red]no[/]")
    console().print(targets)
    last = result.series.iloc[-1]
    horizon = table(f"at {result.series.index[-1].date()}", ["measure", "value", "meaning"], right=("value",))
    for name in ("sustainment_horizon_weeks", "years_left_conscription", "years_left_reservists",
                 "years_left_contract", "years_left_prisoners"):
        horizon.add_row(name, f"{last[name]:,.1f}", SERIES[name][1])
    console().print(horizon)


@app.command()
def report(folder: Path = typer.Argument(..., help="a run folder (`morale run`) or an experiment folder "
                                                   "(ensemble, compare, sweep, sensitivity)")) -> None:
    """Rebuild the report.html of a run or experiment folder."""
    from morale.results.report import rebuild_report

    def rebuild() -> Path:
        if not (folder / "manifest.json").is_file():
            raise UserError(f"{folder}: got a folder without manifest.json; expected a run or experiment folder "
                            f"written by morale")
        return rebuild_report(folder)

    console().print(f"report: [bold]{guarded(rebuild)}[/]")


@app.command()
def series() -> None:
    """List every output series: its kind (stock, flow, mean), unit and meaning."""
    from morale.engine.recorder import series_table

    frame = series_table()
    view = table(f"{len(frame)} series (stocks and means are read at a date, flows summed over a window)",
                 list(frame.columns))
    for row in frame.itertuples(index=False):
        view.add_row(*map(str, row))
    console().print(view)


@app.command()
def scenarios() -> None:
    """List the built-in scenarios."""
    from morale.scenario.loader import builtin_names, load_scenario

    view = table("built-in scenarios", ["name", "from", "to", "description"])
    for name in builtin_names():
        s = load_scenario(name)
        view.add_row(name, str(s.start), str(s.end), s.description)
    console().print(view)


@app.command()
def show(scenario: str = typer.Argument("russia-2022"),
         set_: list[str] = SET, event: list[str] = EVENT, drop_event: list[str] = DROP_EVENT,
         events: bool = typer.Option(False, "--events", help="list the events in date order with their ids"),
         grep: str = typer.Option(None, help="only parameters whose path or source contains TEXT (any case)"),
         as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table")) -> None:
    """Print a resolved scenario: every parameter with its value, range, bounds, unit and source."""
    from morale.scenario.loader import load_scenario
    from morale.scenario.whatif import describe_changes

    resolved = guarded(lambda: load_scenario(scenario, set_ or None, event or None, drop_event or None))
    if events:
        rows = [{"id": e.id or "", "date": str(e.date), "target": e.target, "value": e.value,
                 "state": "on" if e.enabled else f"dropped by {e.dropped_by or 'the file'}", "source": e.source}
                for e in sorted(resolved.events, key=lambda e: e.date)]
        _print_rows(f"{resolved.name}: {len(rows)} events", rows, as_json)
        return
    rows = scenario_rows(resolved)
    guarded(lambda: _mark_calibration(resolved.name, rows))
    if grep:
        rows = [r for r in rows if grep.lower() in f"{r['parameter']} {r['source']}".lower()]
    _print_rows(f"{resolved.name}: {resolved.description}", rows, as_json)
    if not as_json:
        for line in describe_changes(resolved):
            console().print(f"what-if: {line}", markup=False)


def _mark_calibration(name: str, rows: list[dict]) -> None:
    """A `calibration` column when a calibrated sample is shipped for the scenario (morale calibrate)."""
    from morale.calibration.shipped import StaleCalibration, calibration_marks, check_fresh

    marks = calibration_marks(name)
    if not marks:
        return
    try:
        check_fresh(name)
    except StaleCalibration as err:
        warn(f"{err}".replace("--calibrated: ", ""))
    for row in rows:
        row["calibration"] = marks.get(row["parameter"], "")


def scenario_rows(resolved) -> list[dict]:
    """Every parameter, switch and list of a scenario as rows (parameter, value, range, bounds, unit, source)."""
    from morale.scenario import metadata
    from morale.scenario.schema import Param

    rows: list[dict] = []

    def walk(node, prefix: str) -> None:
        for name in type(node).model_fields:
            value = getattr(node, name)
            path = f"{prefix}{name}"
            if isinstance(value, Param):
                meta = metadata.meta(path)
                rows.append({"parameter": path, "value": value.value,
                             "range": None if value.range is None else list(value.range), "dist": value.dist,
                             "bounds": list(meta.bounds), "unit": meta.unit,
                             "pinned": path in resolved.pinned, "source": value.source})
            elif hasattr(type(value), "model_fields"):
                walk(value, f"{path}.")
            elif name not in ("events", "pinned"):
                shown = [v.model_dump(mode="json") for v in value] if isinstance(value, list) and value and \
                    hasattr(value[0], "model_dump") else (value if isinstance(value, bool | int | float | list)
                                                          else str(value))
                rows.append({"parameter": path, "value": shown, "range": None, "dist": None, "bounds": None,
                             "unit": None, "pinned": path in resolved.pinned, "source": ""})

    walk(resolved, "")
    return rows


def _print_rows(title: str, rows: list[dict], as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    columns = list(rows[0]) if rows else ["parameter"]
    view = table(title, columns)
    for row in rows:
        view.add_row(*[_cell(row[c]) for c in columns])
    console().print(view)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int | float) for v in value):
        return f"{value[0]:g}..{value[1]:g}"
    return str(value)


@app.command()
def validate(
    only: str = typer.Option(None, help="comma-separated patterns, e.g. F3,F6"),
    runs: int = typer.Option(20, min=2, help="paired runs per scenario (per draw with --robust, --sobol)"),
    scale: float = typer.Option(20, help="persons per agent"),
    seed: int = typer.Option(0),
    end: str = typer.Option(None, help="last date of every run (default: each pattern's)"),
    robust: int = typer.Option(None, min=2, help="check each pattern on N Latin-hypercube draws of the ranged "
                                                 "parameters; report the share of draws in which it holds"),
    calibrated: bool = typer.Option(False, help="with --draws: draw from the shipped calibrated sample instead "
                                                "of the ranges"),
    draws: int = typer.Option(None, min=2, help="number of draws for --calibrated (or --robust N)"),
    sobol: int = typer.Option(None, min=5, help="run the patterns on N Latin-hypercube draws of the prior box of "
                                                "the parameters the shipped calibration history-matched (--runs "
                                                "paired runs each) and report per pattern the share of draws it "
                                                "holds in and the Sobol total index of its effect (on emulators); "
                                                "'assumed' when one unsourced parameter has ST >= 0.8. Reports, "
                                                "never fails (exit 0)"),
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
            raise UserError(f"--only: got unknown pattern {', '.join(unknown)}; expected some of {', '.join(PATTERNS)}")
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
    if sobol and (robust or calibrated or draws):
        fail("--sobol: got it with --robust, --calibrated or --draws; expected --sobol N alone (the prior box of the "
             "calibrated parameters), --robust N (every range) or --calibrated --draws N (the calibrated sample)")
    if sobol:
        from morale.experiments.pattern_sensitivity import validate_sobol

        found = guarded(lambda: folder_errors(lambda: validate_sobol(chosen, sobol, **options)))
        rows = found.table.astype(object).where(found.table.notna(), None)
        if as_json:
            sys.stdout.write(json.dumps(rows.to_dict(orient="records"), indent=2, default=str) + "\n")
            return
        view = table(f"patterns over {sobol} Latin-hypercube draws of the prior box of {len(found.parameters)} "
                     f"calibrated parameters ({runs} paired runs each, scale {scale:g}, seed {seed}); Sobol total "
                     f"index of each effect on its emulator",
                     ["pattern", "kind", "held in", "share", "top parameter", "ST", "unsourced", "assumed",
                      "emulator (LOO within 2)", "noise"], right=("share", "ST", "noise"))
        for r in rows.itertuples(index=False):
            st = "" if r.ST is None else f"{r.ST:.2f} +- {r.ST_conf:.2f}"
            emulator = "-" if not r.n or r.loo_share is None else (f"{'valid' if r.emulator_valid else 'NOT valid'} "
                                                                   f"({r.loo_share:.0%} of {r.n})")
            flag = "" if r.unsourced is None else ("yes" if r.unsourced else "no")
            view.add_row(r.pattern, r.kind, f"{r.held}/{r.draws}", f"{r.share:.0%}",
                         escape(r.top_parameter or r.note or "-"), st, flag,
                         "[bold]assumed[/]" if r.assumed else "", escape(emulator),
                         "" if r.noise_share is None else f"{r.noise_share:.0%}")
        console().print(view)
        if out is not None:
            console().print(f"indices: {out / 'pattern_sobol.parquet'}; draws: {out / 'sobol_draws.parquet'}")
        return
    if calibrated and robust:
        fail("--calibrated and --robust: got both; expected --calibrated --draws N (the calibrated sample) or "
             "--robust N (the ranges)")
    if calibrated and not draws:
        fail("--calibrated: got no --draws; expected --draws N (at least 2)")
    robust = robust or draws
    if robust:
        summary, by_draw = guarded(lambda: folder_errors(lambda: validate_robust(chosen, draws=robust,
                                                                                calibrated=calibrated, **options)))
        if out is not None:
            by_draw.to_parquet(out / "robust.parquet", index=False)
        if as_json:
            sys.stdout.write(json.dumps([r.as_dict() for r in summary], indent=2) + "\n")
        else:
            where = "calibrated draws" if calibrated else "Latin-hypercube draws"
            view = table(f"patterns over {robust} {where} ({runs} paired runs each, scale "
                         f"{scale:g}, seed {seed})", ["pattern", "kind", "held in", "share", "pass", "failing draws"])
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
        view = table(f"patterns ({runs} paired runs, scale {scale:g}, seed {seed})",
                     ["pattern", "statistic", "effect", "95% CI", "pass", "detail"])
        for r in results:
            effect = "" if r.effect is None else f"{r.effect:.4g}"
            ci = "" if r.ci_low is None else escape(f"[{r.ci_low:.4g}, {r.ci_high:.4g}]")
            view.add_row(r.pattern, escape(r.statistic), effect, ci, "[green]pass[/]" if r.passed else "[red]FAIL[/]",
                         escape(r.detail))
        console().print(view)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


@app.command()
def dashboard(port: int = typer.Option(8501, help="the port to serve the dashboard on"),
              host: str = typer.Option("127.0.0.1", help="the address to listen on (127.0.0.1: this machine only; "
                                                         "0.0.0.0 opens it to the network)")) -> None:
    """Start the interactive dashboard (a Streamlit app) and print its URL; Ctrl-C stops it."""
    import os
    import socket
    from importlib import resources

    if not 1 <= port <= 65535:
        fail(f"--port: got {port}; expected a port number from 1 to 65535")
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as err:  # create_server adds "(while attempting to bind on ...)": the flags say that
        reason = (err.strerror or str(err)).split(" (while attempting")[0]
        fail(f"--host {host} --port {port}: cannot listen there ({reason}); expected a free port on an address of "
             f"this machine")
    if host not in ("127.0.0.1", "localhost", "::1"):
        warn(f"--host {host}: the dashboard is open to other machines on the network")
    console().print(f"dashboard: http://{f'[{host}]' if ':' in host else host}:{port}  (Ctrl-C stops it)",
                    markup=False)
    sys.stdout.flush()
    app_file = str(resources.files("morale.dashboard").joinpath("app.py"))
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", app_file, "--server.port", str(port),
                              "--server.address", host, "--server.headless", "true", "--server.fileWatcherType",
                              "none", "--server.maxUploadSize", "1", "--browser.gatherUsageStats", "false"])
