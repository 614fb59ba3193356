"""A finished run as one self-contained report.html: figures are base64 PNGs and the styling is inline, so
the file can be mailed or archived next to the run's tables and still open offline, years later.

Figures are drawn on `matplotlib.figure.Figure` objects rendered by the Agg canvas rather than via pyplot:
that keeps pyplot's global figure registry (and the caller's chosen backend) untouched, so a report written
from a notebook or a long batch of runs neither changes the backend nor leaks open figures. Every figure
function returns None when the series it needs are missing, and the report leaves that figure out.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import dates as mdates
from matplotlib import ticker
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from morale.engine import codes as C
from morale.engine.recorder import SERIES
from morale.engine.regions import load_regions
from morale.results.targets import compare

LOCATIONS = [f"soldiers_{loc}" for loc in C.LOCATION_NAMES]
HORIZONS = ["sustainment_horizon_weeks"] + [
    f"years_left_{pool}" for pool in ("conscription", "reservists", "contract", "prisoners")
]
# One colour per stream, shared by the recruits and deaths figures so a stream reads the same in both.
STREAM_COLOURS = dict(zip(C.STREAM_NAMES, [f"C{i}" for i in range(len(C.STREAM_NAMES))], strict=True))
THOUSANDS = ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
STYLE = """
body { font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.miss td { background: #fde8e8; }
img { max-width: 100%; display: block; margin: 0.5em 0 1.5em; }
"""


DESCRIPTION_CHARS = 2000  # a scenario's description is shown up to this many characters (scenario.toml has it all)


def write_report(run, path, manifest: dict | None = None) -> Path:
    """Write the run's report to `path` (overwriting it) and return the path. `manifest` (the run folder's)
    gives the command line, package version and git commit shown; without it, this process's."""
    path = Path(path)
    targets = compare(run.series, run.scenario)
    figures = [
        ("Soldiers by location", _locations_figure(run.series), ""),
        ("Recruits by stream, per month", _recruits_figure(run.series), ""),
        ("Deaths by stream, per month", _deaths_figure(run), ""),
        ("Manpower balance and the state's response", _balance_figure(run.series), ""),
        ("Model against calibration targets", _targets_figure(targets), _targets_table(targets)),
        ("Deaths per 100,000 men aged 18-59, by region", _regions_figure(run), ""),
    ]
    sections = [
        _header(run, manifest),
        _section("Summary by calendar year", _summary_table(run.series)),
        _section("Sustainment at the end of the run", _horizons_table(run.series)),
        *(_section(heading, _img(fig, heading) + extra) for heading, fig, extra in figures),
    ]
    return write_page(path, f"morale: {run.scenario.name}", sections)


def write_page(path: Path, title: str, sections: list[str]) -> Path:
    """A self-contained page of HTML sections (empty ones left out), written over `path`."""
    path = Path(path)
    body = "\n".join(s for s in sections if s)
    path.write_text(f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                    f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}\n"
                    f"</body>\n</html>\n", encoding="utf-8")
    return path


# --- HTML pieces --------------------------------------------------------------------------------


def _header(run, manifest: dict | None = None) -> str:
    from morale.results.run import provenance

    s = run.scenario
    rows = [("Seed", run.seed), ("Scale", f"1 agent = {s.scale:,.0f} men"),
            ("Start", s.start), ("End", s.end)]
    if run.replicate is not None:
        rows.append(("Replicate", run.replicate))
    if manifest is None:
        made = provenance()
    else:
        made = {"command": manifest.get("command"), "version": manifest.get("morale_version"),
                "commit": manifest.get("git_commit")}
    return (f"<h1>{html.escape(s.name)}</h1>\n<p>{html.escape(shorten(s.description or ''))}</p>\n"
            f"{key_table(rows)}\n" + provenance_html(made, changes=_changes(s)))


def shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    """At most `limit` characters of `text`, with an ellipsis when cut (the full text is in scenario.toml)."""
    return text if len(text) <= limit else text[:limit].rstrip() + "\u2026"


def key_table(rows: list[tuple[str, object]]) -> str:
    items = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{items}</table>"


def _changes(scenario) -> list[str]:
    """The what-if changes the scenario carries (pins, added and dropped events), one line each."""
    from morale.scenario.whatif import describe_changes

    return list(describe_changes(scenario))


def provenance_html(made: dict | None, overrides: dict | None = None,
                    changes: list[str] | dict[str, list[str]] | None = None, show_overrides: bool = False) -> str:
    """What made the result: command line, package version, git commit; the --set overrides (experiments)
    and the scenario's what-if changes ("none" when there are none). Everything escaped."""
    made = made or {}
    rows = [("Command", made.get("command") or "unknown"), ("morale version", made.get("version") or "unknown"),
            ("Git commit", made.get("commit") or "unknown")]
    if show_overrides:
        rows.append(("Overrides (--set)", ", ".join(f"{k}={v}" for k, v in (overrides or {}).items()) or "none"))
    parts = [key_table(rows)]
    if isinstance(changes, dict):
        for label, lines in changes.items():
            parts.append(_change_list(f"What-if changes of {label}", lines))
    else:
        parts.append(_change_list("What-if changes", changes or []))
    return "<h2>Provenance</h2>\n" + "\n".join(parts)


def _change_list(title: str, lines: list[str]) -> str:
    if not lines:
        return f"<p>{html.escape(title)}: none</p>"
    items = "".join(f"<li>{html.escape(str(line))}</li>" for line in lines)
    return f"<p>{html.escape(title)}:</p>\n<ul>{items}</ul>"


def _section(title: str, content: str) -> str:
    """A titled section, or nothing when its content was skipped (missing series)."""
    return f"<h2>{html.escape(title)}</h2>\n{content}" if content else ""


def markdown_table(frame: pd.DataFrame, cell=str) -> str:
    """A Markdown table of `frame` for the documents the tools write; `cell` formats each value ("|" is
    replaced so a value cannot break its row)."""
    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    rows = ["| " + " | ".join(cell(v).replace("|", "/") for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *rows])


def _cell(value) -> str:
    """A table cell: numbers right-aligned with thousands separators (small ones keep two decimals)."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return f"<td>{html.escape('' if value is None else str(value))}</td>"
    if pd.isna(value):
        return '<td class="num"></td>'
    text = f"{value:,.0f}" if abs(value) >= 100 or float(value).is_integer() else f"{value:,.2f}"
    return f'<td class="num">{text}</td>'


def _table(frame: pd.DataFrame, row_class: list[str] | None = None, css: str = "") -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for i, values in enumerate(frame.itertuples(index=False)):
        cls = f' class="{row_class[i]}"' if row_class and row_class[i] else ""
        rows.append(f"<tr{cls}>" + "".join(_cell(v) for v in values) + "</tr>")
    return f'<table class="{css}">\n<tr>{head}</tr>\n' + "\n".join(rows) + "\n</table>"


def _summary_table(series: pd.DataFrame) -> str:
    """Flows summed, front strength averaged and serving read at year end: each by its kind. The week count
    shows which years the run covers only in part."""
    year = series.index.year
    columns = {"weeks": series.groupby(year).size()}
    for name, how, label in (("recruits", "sum", "recruits"), ("killed", "sum", "killed"),
                             ("wounded", "sum", "wounded"), ("soldiers_front", "mean", "mean front strength"),
                             ("serving", "last", "serving at year end")):
        if name in series:
            columns[label] = series[name].groupby(year).agg(how)
    frame = pd.DataFrame(columns)
    frame.insert(0, "year", frame.index.astype(str))
    return _table(frame, css="summary")


HORIZON_ASSUMPTIONS = (
    "<p>What these figures assume. The sustainment horizon extends the last 26 weeks' change of deployable "
    "strength in a straight line and finds the first week it falls short of the requirement's dated path by "
    "more than the failure share of the war zone (the requirement fails: that far short for 13 weeks with the "
    "response ladder at its top rung). The years left divide each pool by the last year's draw on it: men of "
    "call-up age who never served, reservists up to the mobilisation age, prisoners, and for contracts the "
    "willing, the civilians of contract age whose terms today's contract meets (a fixed trait of each man, so "
    "signing uses them up and only new cohorts and better terms add to them). Caps: 520 weeks, 100 years.</p>")


def _horizons_table(series: pd.DataFrame) -> str:
    """How long the state can keep this up at recent rates, read at the last week of the run, and what the
    figures assume."""
    rows = [(name, series[name].iloc[-1], SERIES[name][1]) for name in HORIZONS if name in series]
    if not rows:
        return ""
    return _table(pd.DataFrame(rows, columns=["series", "last value", "meaning"]), css="horizons") + (
        HORIZON_ASSUMPTIONS)


def _targets_table(targets: pd.DataFrame) -> str:
    if targets.empty:
        return "<p>No calibration target falls inside this run.</p>"
    return _table(targets, row_class=["" if met else "miss" for met in targets["met"]], css="targets")


# --- figures ------------------------------------------------------------------------------------


def _img(fig: Figure | None, alt: str) -> str:
    """The figure as an inline PNG (no Software tag: it would put a URL in the file)."""
    if fig is None:
        return ""
    buf = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buf, metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'


def _figure(height: float = 4.0, rows: int = 1, **kwargs):
    fig = Figure(figsize=(10, height), layout="constrained", dpi=100)
    axes = fig.subplots(rows, 1, sharex=True, **kwargs)
    for ax in np.atleast_1d(axes):
        ax.yaxis.set_major_formatter(THOUSANDS)
        ax.grid(axis="y", alpha=0.3)
    return fig, axes


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _monthly_bars(ax, monthly: pd.DataFrame) -> None:
    """Stacked monthly bars, one colour per stream: weekly flows are too spiky to read (call-up windows,
    mobilisation), and a month is the unit the sources report in."""
    bottom = np.zeros(len(monthly))
    for stream in monthly.columns:
        values = monthly[stream].to_numpy()
        if values.any():
            ax.bar(monthly.index, values, width=25, bottom=bottom, align="edge", label=stream,
                   color=STREAM_COLOURS.get(stream))
            bottom += values
    ax.set_ylim(0, max(bottom.max(), 1.0) * 1.05)  # zero-height bars on top would pin the limit to the data
    ax.figure.legend(loc="outside right upper", fontsize="small")
    _date_axis(ax)


def _locations_figure(series: pd.DataFrame) -> Figure | None:
    """Where the serving soldiers are: the front is what the war consumes, the rest is pipeline and losses."""
    columns = [c for c in LOCATIONS if c in series]
    if not columns:
        return None
    fig, ax = _figure()
    labels = [c.removeprefix("soldiers_") for c in columns]
    ax.stackplot(series.index, series[columns].T.to_numpy(), labels=labels, alpha=0.85)
    ax.set_ylabel("soldiers")
    fig.legend(loc="outside right upper", fontsize="small")
    _date_axis(ax)
    return fig


def _recruits_figure(series: pd.DataFrame) -> Figure | None:
    """Which streams fill the army, month by month (the question the model is built to answer)."""
    columns = [f"recruits_{s}" for s in C.STREAM_NAMES if f"recruits_{s}" in series]
    if not columns:
        return None
    monthly = series[columns].resample("MS").sum().rename(columns=lambda c: c.removeprefix("recruits_"))
    fig, ax = _figure()
    _monthly_bars(ax, monthly)
    ax.set_ylabel("recruits per month")
    return fig


def _deaths_figure(run) -> Figure | None:
    """Who dies, by the stream they were recruited through: the cost falls unevenly across streams."""
    if "killed" not in set(run.by_stream["variable"]):
        return None
    monthly = run.stream("killed").reindex(columns=list(C.STREAM_NAMES), fill_value=0.0).resample("MS").sum()
    fig, ax = _figure()
    _monthly_bars(ax, monthly)
    ax.set_ylabel("killed per month")
    return fig


def _balance_figure(series: pd.DataFrame) -> Figure | None:
    """Requirement against deployable strength and the Armed Forces against their authorised strength (top);
    the shortfall after the week's losses and the rung of the response ladder it drives (bottom)."""
    if not {"requirement", "deployable_strength"} <= set(series.columns):
        return None
    fig, (top, bottom) = _figure(height=5.5, rows=2, height_ratios=[2, 1])
    top.plot(series.index, series["requirement"], color="k", linestyle="--", label="requirement")
    top.plot(series.index, series["deployable_strength"], color="C3", label="deployable strength")
    if {"authorised_strength", "serving_armed_forces"} <= set(series.columns):
        top.plot(series.index, series["authorised_strength"], color="0.5", linestyle=":",
                 label="authorised strength (decrees)")
        top.plot(series.index, series["serving_armed_forces"], color="C0", label="Armed Forces serving")
    top.set_ylabel("soldiers")
    top.legend(loc="upper left", fontsize="small")
    gap = series["shortfall"]
    bottom.fill_between(series.index, gap, 0, where=gap > 0, color="C3", alpha=0.6, label="shortfall")
    bottom.fill_between(series.index, gap, 0, where=gap < 0, color="C2", alpha=0.6, label="surplus")
    bottom.axhline(0, color="k", linewidth=0.5)
    bottom.set_ylabel("requirement - strength")
    bottom.legend(loc="upper left", fontsize="small")
    if "shortfall_pressure" in series:
        rungs = bottom.twinx()
        rungs.plot(series.index, 4 * series["shortfall_pressure"], color="k", linewidth=1)
        rungs.set_ylim(0, 4.2)
        rungs.set_yticks([0.5, 1.5, 2.5, 3.5], ["money", "coercion", "convicts", "mobilisation"], fontsize="small")
        rungs.grid(False)
    _date_axis(bottom)
    return fig


def _targets_figure(targets: pd.DataFrame) -> Figure | None:
    """Each target's accepted range as an error bar with the model's value on it, all divided by the target's
    value: targets run from a ratio of about 3 (wounded per killed) to hundreds of thousands (deaths), and on
    one absolute axis the ranges shrink to dots. On a log ratio axis every row is readable and a factor-two
    miss looks the same whichever the target; the table below gives the absolute numbers."""
    if targets.empty:
        return None
    n = len(targets)
    fig, ax = _figure(height=1.2 + 0.35 * n)
    y = np.arange(n)[::-1]
    value, low, high, model = (targets[c].to_numpy(float) for c in ("value", "low", "high", "model"))
    ax.errorbar(np.ones(n), y, xerr=[1 - low / value, high / value - 1], fmt="|", color="0.4", capsize=4,
                markersize=12, label="target and its accepted range")
    met = targets["met"].to_numpy(bool)
    ratio = np.clip(model / value, 0.05, 20)  # a model value of 0 would vanish from a log axis
    ax.scatter(ratio[met], y[met], color="C2", zorder=3, label="model (met)")
    ax.scatter(ratio[~met], y[~met], color="C3", marker="x", zorder=3, label="model (missed)")
    ax.set_yticks(y, [f"{t.target} ({t.period_start} to {t.period_end or ''})" for t in targets.itertuples()])
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.set_xticks([0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10])
    ax.set_xlim(min(0.5, ratio.min() * 0.8), max(2, ratio.max() * 1.25))
    ax.set_xlabel("model / target value")
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", visible=False)
    fig.legend(loc="outside upper center", ncols=3, fontsize="small")
    return fig


def _regions_figure(run) -> Figure | None:
    """Deaths relative to each region's men aged 18-59, all 85 regions sorted: a table of where the war's cost
    falls, without a map (and so without map data to ship)."""
    if "killed" not in set(run.by_region["variable"]):
        return None
    regions = load_regions()
    killed = run.region("killed").sum().reindex(list(regions.codes), fill_value=0.0).to_numpy(float)
    labels = [f"{name} ({code})" for name, code in zip(regions.names, regions.codes, strict=True)]
    rate = pd.Series(killed / regions.men_18_59 * 1e5, index=labels)
    rate = rate.sort_values()
    fig = Figure(figsize=(9, 0.17 * len(rate) + 1.2), layout="constrained", dpi=100)
    ax = fig.subplots()
    ax.barh(rate.index, rate.to_numpy(), color="C3", height=0.75)
    ax.set_ylim(-0.6, len(rate) - 0.4)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_xlabel(f"killed per 100,000 men aged 18-59, {run.series.index[0]:%Y-%m-%d} to "
                  f"{run.series.index[-1]:%Y-%m-%d}")
    ax.grid(axis="x", alpha=0.3)
    return fig


# --- rebuilding a folder's report ---------------------------------------------------------------

EXPERIMENT_TABLES = {
    "ensemble": ("runs.parquet", "quantiles.parquet"),
    "compare": ("runs.parquet", "quantiles.parquet", "differences.parquet", "effects.parquet"),
    "sweep": ("sweep.parquet", "points.parquet"),
    "sensitivity": ("runs.parquet", "indices.parquet"),
}
RUN_TABLES = ("series.parquet", "by_stream.parquet", "by_region.parquet", "events.parquet")
SPEC_FIELDS = {
    "ensemble": ("scenario", "runs", "seed", "scale", "uncertainty", "outcomes"),
    "compare": ("a", "b", "runs", "seed", "outcomes"),
    "sweep": ("model", "design", "parameters", "runs", "seed", "outcomes"),
    "sensitivity": ("model", "method", "parameters", "points", "runs", "seed", "outcomes"),
}
TABLE_COLUMNS = {
    "runs.parquet": ("key", "status"), "sweep.parquet": ("key", "status"), "quantiles.parquet": ("date", "q"),
    "points.parquet": ("point",), "differences.parquet": ("replicate",), "effects.parquet": ("outcome",),
    "indices.parquet": ("outcome", "parameter"), "series.parquet": ("date",),
}


def rebuild_report(folder: Path) -> Path:
    """Render report.html again from what a folder holds and return its path: a run folder (as `morale run`
    wrote it) or an ensemble, compare, sweep or sensitivity folder (its kind read from manifest.json). A
    missing or bad manifest.json, Parquet table or scenario.toml raises
    `morale.experiments.store.ExperimentFolderError` with one line naming the file and what was expected."""
    from morale.experiments.store import ExperimentFolderError, read_manifest

    folder = Path(folder)
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is a file"
        raise ExperimentFolderError(f"{folder}: {what}; expected a run or experiment folder written by morale")
    manifest = read_manifest(folder)
    path = folder / "manifest.json"
    spec = manifest.get("spec")
    if spec is None and "seed" in manifest:
        return _rebuild_run(folder, manifest)
    if not isinstance(spec, dict):
        raise ExperimentFolderError(f"{path}: field 'spec' is {_shown(spec)}; expected a run's manifest (with "
                                    f"'seed') or an experiment's (with 'spec', an object with 'kind')")
    kind = spec.get("kind")
    if kind not in EXPERIMENT_TABLES:
        raise ExperimentFolderError(f"{path}: field 'spec.kind' is {_shown(kind)}; expected one of "
                                    f"{', '.join(EXPERIMENT_TABLES)} (the experiments that have a report)")
    missing = [f for f in SPEC_FIELDS[kind] if f not in spec]
    if missing:
        raise ExperimentFolderError(f"{path}: 'spec' has no field {', '.join(repr(f) for f in missing)}; "
                                    f"expected the spec of a {kind} as morale wrote it")
    tables = {name: read_table(folder / name) for name in EXPERIMENT_TABLES[kind]}
    try:
        return _REBUILD[kind](folder, spec, tables)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as err:
        if isinstance(err, ExperimentFolderError):
            raise
        raise ExperimentFolderError(f"{folder}: its tables do not fit its manifest.json ({type(err).__name__}: "
                                    f"{_one_line(err)}); expected the files of a {kind} as morale wrote them"
                                    ) from None


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _one_line(err: BaseException) -> str:
    from morale.experiments.store import first_line

    return first_line(err, 200)


def read_table(path: Path) -> pd.DataFrame:
    """A Parquet table morale wrote, or one line: missing, unreadable, or without the columns it must have."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from morale.experiments.store import ExperimentFolderError

    if not path.is_file():
        raise ExperimentFolderError(f"{path}: missing; expected the Parquet table morale writes there")
    try:
        frame = pq.read_table(path).to_pandas()
    except (OSError, ValueError, pa.ArrowException) as err:
        raise ExperimentFolderError(f"{path}: cannot be read as Parquet ({_one_line(err)}); expected the table "
                                    f"morale writes there") from None
    missing = [c for c in TABLE_COLUMNS.get(path.name, ()) if c not in frame.columns]
    if missing:
        raise ExperimentFolderError(f"{path}: has no column {', '.join(repr(c) for c in missing)}; expected the "
                                    f"table morale writes there")
    return frame


def _rebuild_run(folder: Path, manifest: dict) -> Path:
    from morale.experiments.store import ExperimentFolderError
    from morale.results.run import Run
    from morale.scenario.loader import load_scenario

    if not isinstance(manifest.get("seed"), int):
        raise ExperimentFolderError(f"{folder / 'manifest.json'}: field 'seed' is {_shown(manifest.get('seed'))}; "
                                    f"expected an integer")
    replicate = manifest.get("replicate")
    if replicate is not None and not isinstance(replicate, int):
        raise ExperimentFolderError(f"{folder / 'manifest.json'}: field 'replicate' is {_shown(replicate)}; "
                                    f"expected an integer or null")
    tables = {name: read_table(folder / name) for name in RUN_TABLES}
    toml = folder / "scenario.toml"
    if not toml.is_file():
        raise ExperimentFolderError(f"{toml}: missing; expected the resolved scenario morale writes there")
    try:
        scenario = load_scenario(str(toml))
    except Exception as err:  # noqa: BLE001 - a ScenarioError (one line) or anything a damaged file raises
        raise ExperimentFolderError(f"{toml}: cannot be loaded ({_one_line(err)}); expected the resolved "
                                    f"scenario morale wrote") from None
    run = Run(scenario=scenario, series=tables["series.parquet"].set_index("date"),
              by_stream=tables["by_stream.parquet"], by_region=tables["by_region.parquet"],
              events=tables["events.parquet"], seed=manifest["seed"], replicate=replicate,
              timings=manifest.get("timings_seconds") or {})
    try:
        return write_report(run, folder / "report.html", manifest=manifest)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise ExperimentFolderError(f"{folder}: its tables do not fit a run ({type(err).__name__}: "
                                    f"{_one_line(err)}); expected the files of a run as morale wrote them") from None


def _rebuild_ensemble(folder: Path, spec: dict, tables: dict) -> Path:
    from morale.experiments.ensemble import Ensemble
    from morale.experiments.ensemble import write_report as ensemble_report

    result = Ensemble(folder, spec, tables["quantiles.parquet"], tables["runs.parquet"], list(spec["outcomes"]))
    ensemble_report(result, folder / "report.html")
    return folder / "report.html"


def _rebuild_compare(folder: Path, spec: dict, tables: dict) -> Path:
    from morale.experiments.compare import Comparison, arm_names
    from morale.experiments.compare import write_report as compare_report
    from morale.experiments.ensemble import Ensemble

    runs, quantiles = tables["runs.parquet"], tables["quantiles.parquet"]
    names = arm_names(spec["a"]["scenario"], spec["b"]["scenario"])
    arms = []
    for arm, name in zip(("A", "B"), names, strict=True):
        q = quantiles[quantiles["scenario"] == name].drop(columns="scenario").reset_index(drop=True)
        arms.append(Ensemble(folder, {**spec, "scenario": name}, q,
                             runs[runs["arm"] == arm].reset_index(drop=True), list(spec["outcomes"])))
    result = Comparison(folder, spec, arms[0], arms[1], tables["differences.parquet"], tables["effects.parquet"])
    compare_report(result, folder / "report.html")
    return folder / "report.html"


def _rebuild_sweep(folder: Path, spec: dict, tables: dict) -> Path:
    from morale.experiments.sweep import Sweep
    from morale.experiments.sweep import write_report as sweep_report

    result = Sweep(folder, spec, tables["sweep.parquet"], tables["points.parquet"],
                   [p["name"] for p in spec["parameters"]], list(spec["outcomes"]))
    sweep_report(result, folder / "report.html")
    return folder / "report.html"


def _rebuild_sensitivity(folder: Path, spec: dict, tables: dict) -> Path:
    from morale.experiments.sensitivity import Sensitivity
    from morale.experiments.sensitivity import write_report as sensitivity_report

    result = Sensitivity(folder, spec, tables["indices.parquet"], tables["runs.parquet"])
    sensitivity_report(result, folder / "report.html")
    return folder / "report.html"


_REBUILD = {"ensemble": _rebuild_ensemble, "compare": _rebuild_compare, "sweep": _rebuild_sweep,
            "sensitivity": _rebuild_sensitivity}
