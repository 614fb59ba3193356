"""What the Explore page shows of an experiment folder, built without Streamlit: which folders under a path
are experiments, one folder read into its tables (through the package's loaders where there are some), and
the figures of each kind: bands (ensemble, compare), response surfaces (sweep), ranked indices with their
intervals (sensitivity), the identification, targets and waves of a calibration, pattern tables
(validate), and the boxes of a scenario discovery (`morale discover`: its peeling trajectory, the chosen box,
the runs over two parameters). A folder that cannot be shown raises `ExperimentFolderError` in one line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from morale.dashboard.compare_view import COLOURS, band_table, bands_figure, read_arms
from morale.dashboard.display import Chart
from morale.experiments.executors import Executor
from morale.experiments.store import ExperimentFolderError, first_line, read_manifest
from morale.results.report import EXPERIMENT_TABLES, read_table

CALIBRATION = "calibration"
VALIDATE = "validate"
ROBUST = "validate-robust"
ROBUST_TABLES = ("robust.parquet", "pattern_sobol.parquet")  # what `morale validate --robust/--sobol` writes
DISCOVER = "discover"
KINDS = (*EXPERIMENT_TABLES, CALIBRATION, VALIDATE, ROBUST, DISCOVER)


@dataclass
class Experiment:
    folder: Path
    kind: str
    spec: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # text files shown as they are (a discovery's tree.txt)


def kind_of(folder: Path) -> str | None:
    """An experiment folder's kind: a history match has calibration.json; the others name their kind in
    manifest.json's spec. None when the folder is no experiment (a run folder has no spec)."""
    if (folder / "calibration.json").is_file():
        return CALIBRATION
    try:
        spec = read_manifest(folder).get("spec")
    except ExperimentFolderError:
        return None
    return spec.get("kind") if isinstance(spec, dict) else None


def folder_stamp(folder: Path) -> tuple:
    """Names, sizes and modification times of the folder's files: a folder read again when it changes."""
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))


def find_experiments(root: Path) -> list[Path]:
    """The folder itself if it is an experiment of a kind shown here, else its sub-folders that are; each
    followed by the discoveries inside it (`morale discover` writes FOLDER/discover-<hash> by default: the
    sub-folders of an experiment folder whose kind is discover, one level down, not further)."""
    if not root.is_dir():
        return []
    found = [root] if kind_of(root) in KINDS else sorted(child for child in root.iterdir()
                                                          if child.is_dir() and kind_of(child) in KINDS)
    return [shown for folder in found for shown in (folder, *discoveries_in(folder))]


def discoveries_in(folder: Path) -> list[Path]:
    """The discovery folders directly inside an experiment folder (none inside a discovery)."""
    if kind_of(folder) == DISCOVER:
        return []
    return sorted(child for child in folder.iterdir() if child.is_dir() and kind_of(child) == DISCOVER)


def label(folder: Path, root: Path) -> str:
    """How a found folder is listed: its path under the root (sw/discover-1a2b3c4d), and its kind."""
    try:
        name = folder.relative_to(root).as_posix()
    except ValueError:
        name = folder.name
    return f"{name if name != '.' else folder.name} ({kind_of(folder)})"


def open_experiment(folder: Path) -> Experiment:
    """The folder's kind, spec and tables, or `ExperimentFolderError` in one line."""
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is a file"
        raise ExperimentFolderError(f"{folder}: {what}; expected an experiment folder written by morale")
    kind = kind_of(folder)
    if kind == CALIBRATION:
        return _calibration(folder)
    if kind is None and not (folder / "manifest.json").is_file():
        raise ExperimentFolderError(f"{folder}: no manifest.json or calibration.json, and no experiment folder in "
                                    f"it; expected an experiment folder written by morale ({', '.join(KINDS)})")
    spec = read_manifest(folder).get("spec")
    if not isinstance(spec, dict):
        raise ExperimentFolderError(f"{folder}: a single run's folder (morale run); expected an experiment folder "
                                    f"({', '.join(KINDS)})")
    if kind not in KINDS:
        raise ExperimentFolderError(f"{folder / 'manifest.json'}: kind {kind!r}; expected one of {', '.join(KINDS)}")
    if kind == VALIDATE:
        return Experiment(folder, kind, spec, {"patterns": judged_patterns(folder, spec)})
    if kind == DISCOVER:
        return _discovery(folder, spec)
    names = EXPERIMENT_TABLES.get(kind) or [n for n in ROBUST_TABLES if (folder / n).is_file()]
    if not names:
        raise ExperimentFolderError(f"{folder}: has no {' or '.join(ROBUST_TABLES)}; expected the tables "
                                    f"morale validate --robust or --sobol writes when it ends")
    return Experiment(folder, kind, spec, {name: read_table(folder / name) for name in names})


def _calibration(folder: Path) -> Experiment:
    from morale.calibration.history_matching import load_history_match

    try:
        found = load_history_match(folder)
    except (OSError, ValueError, KeyError) as err:
        raise ExperimentFolderError(f"{folder}: cannot be read as a history match ({first_line(err, 200)})") from None
    tables = {"identification": found.identification, "targets": found.targets, "waves": found.waves,
              "sample": found.sample}
    return Experiment(folder, CALIBRATION, {**found.manifest, "stopped": found.stopped}, tables)


# discover --------------------------------------------------------------------------------------------------------
def _discovery_tables() -> dict[str, tuple[str, ...]]:
    """The tables `morale discover` writes and the columns each must have."""
    from morale.experiments.boxes import LIMIT_COLUMNS, STABILITY_COLUMNS, TRAJECTORY_COLUMNS

    return {"marks.parquet": ("key", "marked"), "trajectory.parquet": tuple(TRAJECTORY_COLUMNS),
            "box.parquet": tuple(LIMIT_COLUMNS), "stability.parquet": tuple(STABILITY_COLUMNS),
            "leaves.parquet": ("leaf", "rule", "n", "positives", "density", "coverage")}


def _discovery(folder: Path, spec: dict[str, Any]) -> Experiment:
    """A `morale discover` folder: its tables, tree.txt, and discovery.json's summary merged into the spec
    (`chosen`: the id of the box shown, `positives`, `runs`, `notes`)."""
    import json

    tables = {}
    for name, columns in _discovery_tables().items():
        table = read_table(folder / name)
        missing = [c for c in columns if c not in table.columns]
        if missing:
            raise ExperimentFolderError(f"{folder / name}: has no column {', '.join(map(repr, missing))}; expected "
                                        f"the table morale discover writes there")
        tables[name] = table
    path = folder / "discovery.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        chosen = int(summary["box"])
        found = {"chosen": chosen, "positives": int(summary["positives"]), "runs": int(summary["runs"]),
                 "notes": [str(n) for n in summary.get("notes", [])]}
    except FileNotFoundError:
        raise ExperimentFolderError(f"{path}: missing; expected the summary morale discover writes") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise ExperimentFolderError(f"{path}: cannot be read ({type(err).__name__}: {first_line(err, 200)}); "
                                    f"expected the summary morale discover writes") from None
    if chosen not in set(tables["trajectory.parquet"]["id"]):
        raise ExperimentFolderError(f"{path}: box {chosen} is not in trajectory.parquet; expected the id of a "
                                    f"step of its peeling trajectory")
    try:
        tree = (folder / "tree.txt").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ExperimentFolderError(f"{folder / 'tree.txt'}: cannot be read ({first_line(err, 200)}); expected the "
                                    f"CART rules morale discover writes") from None
    return Experiment(folder, DISCOVER, {**spec, **found}, tables, {"tree.txt": tree})


def discovery_parameters(marks: pd.DataFrame) -> list[str]:
    """The parameters the runs of a discovery were given, in the order of marks.parquet."""
    from morale.experiments.kept_runs import parameter_names

    return [name for name in parameter_names(marks) if name != "marked"]


def restricted(box: pd.DataFrame) -> list[str]:
    """The parameters the chosen box restricts, in the order of box.parquet."""
    return [str(name) for name in box["parameter"]]


def box_table(box: pd.DataFrame, stability: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chosen box's limits per restricted parameter (prior range, quasi-p-values), with the share of
    bootstrap boxes restricting that parameter beside them when there is a stability table."""
    if stability is None or "share restricted" not in stability.columns:
        return box.reset_index(drop=True)
    share = stability[["parameter", "share restricted"]].drop_duplicates("parameter")
    return box.merge(share, on="parameter", how="left").reset_index(drop=True)


def trajectory_figure(trajectory: pd.DataFrame, chosen: int, threshold: float | None = None) -> go.Figure:
    """PRIM's peeling trajectory: density against coverage per step, coloured by the number of parameters
    restricted (hover: id, mass, runs), the chosen box circled, the density floor dashed."""
    dims = int(trajectory["res_dim"].max()) if len(trajectory) else 0
    fig = go.Figure(go.Scatter(
        x=trajectory["coverage"], y=trajectory["density"], mode="markers", name="peeling steps",
        customdata=trajectory[["id", "mass", "n", "res_dim"]].to_numpy(),
        hovertemplate="box %{customdata[0]}<br>coverage %{x:.3f}<br>density %{y:.3f}<br>mass %{customdata[1]:.3f}"
                      "<br>runs %{customdata[2]}<br>restricted %{customdata[3]}<extra></extra>",
        marker={"color": trajectory["res_dim"], "colorscale": "Viridis", "cmin": 0, "cmax": max(dims, 1), "size": 9,
                "showscale": True, "colorbar": {"title": {"text": "restricted<br>parameters"}, "dtick": 1}}))
    box = trajectory[trajectory["id"] == chosen]
    fig.add_trace(go.Scatter(x=box["coverage"], y=box["density"], mode="markers", name=f"box {chosen}",
                             hoverinfo="skip", marker={"size": 20, "color": "rgba(0,0,0,0)",
                                                       "line": {"color": "crimson", "width": 2.5}}))
    if threshold is not None:
        fig.add_hline(y=threshold, line={"color": "grey", "dash": "dot"}, annotation_text=f"density {threshold:g}")
    fig.update_layout(xaxis={"title": {"text": "coverage (share of the runs meeting it that are in the box)"},
                             "range": [0, 1.05]},
                      yaxis={"title": {"text": "density (share of the box's runs meeting it)"}, "range": [0, 1.05]},
                      height=460, title_text=f"PRIM peeling trajectory: box {chosen} chosen", title_font_size=13,
                      legend={"orientation": "h", "y": -0.2})
    return fig


def pairs_figure(marks: pd.DataFrame, box: pd.DataFrame, params: tuple[str, str] | list[str],
                 chosen: int | None = None) -> go.Figure:
    """The runs over two parameters, those meeting the condition coloured, and the chosen box as a rectangle
    (a parameter the box does not restrict spans its prior range; the box's rows are box.parquet's)."""
    x, y = params
    limits = box.set_index("parameter")
    marked = marks["marked"].astype(bool)
    fig = go.Figure()
    for mask, name, colour in ((~marked, "does not meet the condition", "rgba(140,140,140,0.55)"),
                               (marked, "meets the condition", COLOURS[1])):
        runs = marks[mask]
        fig.add_trace(go.Scatter(x=runs[x], y=runs[y], mode="markers", name=name, text=runs["key"].astype(str),
                                 marker={"color": colour, "size": 7},
                                 hovertemplate=f"run %{{text}}<br>{x} %{{x:.4g}}<br>{y} %{{y:.4g}}<extra></extra>"))

    def extent(name: str) -> tuple[float, float, float, float]:
        """The box's sides on this parameter and the axis range: its limits and prior range when the box
        restricts it, else the runs' range for both (box.parquet keeps no prior of an unrestricted one)."""
        if name in limits.index:
            row = limits.loc[name]
            return float(row["low"]), float(row["high"]), float(row["prior low"]), float(row["prior high"])
        low, high = float(marks[name].min()), float(marks[name].max())
        return low, high, low, high

    x0, x1, x_low, x_high = extent(x)
    y0, y1, y_low, y_high = extent(y)
    named = f"box {chosen}" if chosen is not None else "box"
    fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, line={"color": "black", "width": 2},
                  fillcolor="rgba(0,0,0,0)", name=named)
    pad_x, pad_y = 0.02 * ((x_high - x_low) or 1), 0.02 * ((y_high - y_low) or 1)
    fig.update_layout(xaxis={"title": {"text": x}, "range": [x_low - pad_x, x_high + pad_x]},
                      yaxis={"title": {"text": y}, "range": [y_low - pad_y, y_high + pad_y]}, height=460,
                      title_text=f"{named} over {x} and {y}", title_font_size=13,
                      legend={"orientation": "h", "y": -0.2})
    return fig


def trajectory_chart(experiment: Experiment) -> Chart:
    """A discovery's peeling trajectory, with the table it draws."""
    steps = experiment.tables["trajectory.parquet"]
    figure = trajectory_figure(steps, experiment.spec["chosen"], experiment.spec.get("threshold"))
    return Chart("discover-trajectory", "Peeling trajectory", figure, steps)


def pairs_chart(experiment: Experiment, params: tuple[str, str]) -> Chart:
    """A discovery's runs over two parameters with the chosen box, and the runs' values it draws."""
    marks = experiment.tables["marks.parquet"]
    figure = pairs_figure(marks, experiment.tables["box.parquet"], params, experiment.spec["chosen"])
    return Chart("discover-pairs", "Runs over two parameters", figure,
                 marks[list(dict.fromkeys(["key", *params, "marked"]))])


# validate --------------------------------------------------------------------------------------------------------
class CheckpointsOnly(Executor):
    """An executor that refuses to run: the patterns of a validate folder are judged again from its
    checkpointed runs (the folder keeps no table of them), and a browser must not start the runs a folder
    lacks. `run_tasks` asks `describe` before it writes anything, so such a folder is left as it was."""

    name = "checkpoints-only"

    def __init__(self, folder: Path):
        self.folder = folder

    def describe(self) -> dict[str, Any]:
        raise ExperimentFolderError(f"{self.folder}: some runs of this validation are not finished; expected a "
                                    f"finished one (continue it with morale validate --resume --out {self.folder})")

    def map_unordered(self, fn, items):
        self.describe()


def judged_patterns(folder: Path, spec: dict[str, Any]) -> pd.DataFrame:
    """The patterns of a `morale validate --out` folder, judged from its checkpoints (one row per pattern)."""
    from morale.experiments.validate import summary_frame, validate_patterns

    try:
        results = validate_patterns(list(spec["patterns"]), runs=spec["runs"], scale=spec["scale"], seed=spec["seed"],
                                    end=spec["end"], scheduler=CheckpointsOnly(folder), out=folder, resume=True)
    except KeyError as err:
        raise ExperimentFolderError(f"{folder / 'manifest.json'}: its spec has no {err}; expected the spec "
                                    f"morale validate writes") from None
    return summary_frame(results)


def robust_summary(by_draw: pd.DataFrame, patterns: list[str]) -> pd.DataFrame:
    """Per pattern, the draws of a robust validation it held in (the CLI's table, from robust.parquet)."""
    rows = [{"pattern": p, "held": int(by_draw[p].sum()), "draws": len(by_draw), "share": float(by_draw[p].mean()),
             "failing draws": ", ".join(str(d) for d in by_draw.loc[~by_draw[p].astype(bool), "draw"])}
            for p in patterns if p in by_draw.columns]
    return pd.DataFrame(rows)


# ensemble --------------------------------------------------------------------------------------------------------
def ensemble_panels(experiment: Experiment, names: list[str]) -> list[Chart]:
    runs = experiment.tables["runs.parquet"]
    arms = read_arms(experiment.folder, runs, names, label=str(experiment.spec.get("scenario", "runs")))
    bands = band_table(arms, names)
    return [Chart("ensemble-bands", "Bands", bands_figure(bands, names), bands)]


def outcomes_over_runs(experiment: Experiment) -> pd.DataFrame:
    """The ensemble's outcomes over its finished runs: mean, sd and quantiles (as its report)."""
    runs = experiment.tables["runs.parquet"]
    ok = runs[runs["status"] == "ok"]
    columns = [c for c in experiment.spec.get("outcomes", []) if c in ok.columns]
    if not columns or not len(ok):
        return pd.DataFrame()
    return ok[columns].describe(percentiles=[0.05, 0.5, 0.95]).T.rename_axis("outcome").reset_index()


# sweep -----------------------------------------------------------------------------------------------------------
def sweep_parameters(experiment: Experiment) -> list[str]:
    return [p["name"] for p in experiment.spec["parameters"]]


def sweep_figure(experiment: Experiment, outcome: str, x: str, y: str | None = None) -> go.Figure:
    """An outcome against one swept parameter (each run, and the mean over replicates per point), or against
    two: a heat map of the point means on a grid design, points coloured by the outcome otherwise."""
    points = experiment.tables["points.parquet"]
    if y is None:
        runs = experiment.tables["sweep.parquet"]
        ok = runs[runs["status"] == "ok"]
        mean = points.sort_values(x)
        fig = go.Figure([go.Scatter(x=ok[x], y=ok[outcome], mode="markers", name="runs",
                                    marker={"color": COLOURS[0], "opacity": 0.5}),
                         go.Scatter(x=mean[x], y=mean[outcome], mode="lines+markers", name="mean over replicates",
                                    line={"color": COLOURS[1]})])
        fig.update_layout(xaxis_title=x, yaxis_title=outcome)
    elif experiment.spec.get("design") == "grid":
        surface = points.pivot_table(index=y, columns=x, values=outcome, aggfunc="mean")
        fig = go.Figure(go.Heatmap(z=surface.to_numpy(), x=surface.columns, y=surface.index,
                                   colorbar={"title": {"text": outcome}}))
        fig.update_layout(xaxis_title=x, yaxis_title=y)
    else:
        fig = go.Figure(go.Scatter(x=points[x], y=points[y], mode="markers",
                                   marker={"color": points[outcome], "size": 11, "colorscale": "Viridis",
                                           "showscale": True, "colorbar": {"title": {"text": outcome}}},
                                   text=points[outcome], hovertemplate=f"{x} %{{x}}<br>{y} %{{y}}<br>"
                                                                       f"{outcome} %{{text}}<extra></extra>"))
        fig.update_layout(xaxis_title=x, yaxis_title=y)
    fig.update_layout(height=460, title_text=f"{outcome} over the sweep", title_font_size=13)
    return fig


# sensitivity -----------------------------------------------------------------------------------------------------
def index_columns(method: str) -> list[tuple[str, str]]:
    """The indices ranked, each with its 95% interval's column: Morris mu*, Sobol S1 and ST."""
    return [("ST", "ST_conf"), ("S1", "S1_conf")] if method == "sobol" else [("mu_star", "mu_star_conf")]


def indices_figure(indices: pd.DataFrame, outcome: str, method: str) -> go.Figure:
    """The parameters ranked by their index for one outcome, with 95% bootstrap intervals (the first ranked
    on top); for Morris, sigma beside mu* says how much a parameter interacts or is nonlinear."""
    frame = indices[indices["outcome"] == outcome].iloc[::-1]
    fig = go.Figure()
    for k, (index, conf) in enumerate(index_columns(method)):
        if index in frame.columns:
            fig.add_trace(go.Bar(y=frame["parameter"], x=frame[index], orientation="h", name=index,
                                 error_x={"type": "data", "array": frame[conf]}, marker={"color": COLOURS[k]}))
    if method != "sobol" and "sigma" in frame.columns:
        fig.add_trace(go.Scatter(y=frame["parameter"], x=frame["sigma"], mode="markers", name="sigma",
                                 marker={"color": COLOURS[2], "symbol": "diamond"}))
    fig.update_layout(barmode="group", height=160 + 28 * len(frame), title_font_size=13,
                      title_text=f"{outcome}: {method} indices with 95% intervals")
    return fig


# calibration -----------------------------------------------------------------------------------------------------
def targets_figure(targets: pd.DataFrame, cutoff: float) -> go.Figure:
    """Each target's implausibility at the best run and at the sample's median, against the cutoff."""
    labels = [label or output for label, output in zip(targets["label"], targets["output"])]
    fig = go.Figure([go.Bar(y=labels, x=targets["implausibility_best"], orientation="h", name="best run",
                            marker={"color": COLOURS[0]}),
                     go.Bar(y=labels, x=targets["implausibility_median"], orientation="h", name="sample median",
                            marker={"color": COLOURS[1]})])
    fig.add_vline(x=cutoff, line={"color": "grey", "dash": "dash"}, annotation_text=f"cutoff {cutoff:g}")
    fig.update_layout(barmode="group", height=160 + 36 * len(targets), xaxis_title="implausibility",
                      title_text="targets: implausibility", title_font_size=13)
    return fig


def identification_figure(identification: pd.DataFrame) -> go.Figure:
    """Each parameter's prior range (0..1) with what the calibrated sample allows: min..max and 5-95%."""
    def share(column: str) -> pd.Series:
        return (identification[column] - identification["prior_low"]) / (identification["prior_high"]
                                                                         - identification["prior_low"])

    fig = go.Figure()
    for k, (low, high, name, size) in enumerate((("allowed_low", "allowed_high", "sample min..max", 6),
                                                 ("q05", "q95", "sample 5-95%", 14))):
        for i, parameter in enumerate(identification["parameter"]):
            fig.add_trace(go.Scatter(x=[share(low).iloc[i], share(high).iloc[i]], y=[parameter, parameter],
                                     mode="lines", line={"color": COLOURS[k], "width": size}, name=name,
                                     legendgroup=name, showlegend=i == 0))
    fig.update_layout(xaxis={"range": [0, 1], "title": {"text": "share of the prior range"}},
                      height=160 + 30 * len(identification), title_font_size=13,
                      title_text="identification: what the data allow of each prior range")
    return fig


def waves_figure(waves: pd.DataFrame) -> go.Figure:
    """The share of the prior not ruled out after each wave (log scale) and the runs each wave made."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(x=waves["wave"], y=waves["volume_share"], mode="lines+markers",
                             name="share not ruled out"), secondary_y=False)
    fig.add_trace(go.Bar(x=waves["wave"], y=waves["runs"], name="runs", opacity=0.3), secondary_y=True)
    fig.update_yaxes(type="log", title_text="share of the prior", secondary_y=False)
    fig.update_yaxes(title_text="runs", secondary_y=True)
    fig.update_layout(xaxis={"title": {"text": "wave"}, "dtick": 1}, height=360, title_text="waves",
                      title_font_size=13)
    return fig


def calibration_panels(experiment: Experiment) -> list[Chart]:
    tables = experiment.tables
    cutoff = float(experiment.spec.get("cutoff", 3.0))
    return [Chart("calibration-identification", "Identification", identification_figure(tables["identification"]),
                  tables["identification"]),
            Chart("calibration-targets", "Targets", targets_figure(tables["targets"], cutoff), tables["targets"]),
            Chart("calibration-waves", "Waves", waves_figure(tables["waves"]), tables["waves"])]


def describe(experiment: Experiment) -> str:
    """One line on what the folder holds, from its spec."""
    spec = experiment.spec
    if experiment.kind == CALIBRATION:
        return f"history match: {spec.get('waves_run', '?')} waves, {spec.get('sample_runs', '?')} runs kept; " \
               f"stopped: {spec.get('stopped', '?')}"
    if experiment.kind == DISCOVER:
        steps = experiment.tables["trajectory.parquet"].set_index("id")
        box = steps.loc[spec["chosen"]]
        source = Path(str(spec.get("source", ""))).name or "?"
        return f"discover: condition {spec.get('condition', '?')}; {spec['positives']} of {spec['runs']} runs of " \
               f"{source} meet it; box {spec['chosen']}: coverage {box['coverage']:.2f}, density " \
               f"{box['density']:.2f}, {int(box['res_dim'])} parameters restricted"
    shown = {"A": spec["a"].get("scenario"), "B": spec["b"].get("scenario")} if experiment.kind == "compare" else {}
    shown.update({k: spec[k] for k in ("scenario", "method", "design", "points", "runs", "draws", "seed", "scale",
                                       "outcomes", "patterns") if k in spec})
    return f"{experiment.kind}: " + "; ".join(f"{k} {_plain(v)}" for k, v in shown.items())


def _plain(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
