"""Explore page: open an experiment folder the CLI wrote (`--out`) and browse its outputs: bands, response
surfaces, ranked sensitivity indices, a calibration's identification, targets and waves, pattern tables, and a
scenario discovery's box, peeling trajectory, runs over two parameters and CART leaves.

The folder is named by a path (default `runs/`, whose experiment folders are listed, each followed by the
discoveries `morale discover` wrote inside it); nothing is uploaded.
A folder that cannot be shown gives one error line. Reads are cached by the folder's path and its files'
sizes and times, so a folder that changes is read again.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from morale.dashboard.compare_view import comparison_panels, headline
from morale.dashboard.display import Chart, show_charts, show_table
from morale.dashboard.explore_view import (
    CALIBRATION,
    DISCOVER,
    ROBUST,
    VALIDATE,
    Experiment,
    box_table,
    calibration_panels,
    describe,
    discovery_parameters,
    ensemble_panels,
    find_experiments,
    folder_stamp,
    indices_figure,
    label,
    open_experiment,
    outcomes_over_runs,
    pairs_chart,
    restricted,
    robust_summary,
    sweep_figure,
    sweep_parameters,
    trajectory_chart,
)
from morale.experiments.store import ExperimentFolderError, first_line

SHOWN_SERIES = ["soldiers_front", "killed", "recruits"]


@st.cache_data(max_entries=16, show_spinner="Reading the folder...")
def load(folder: str, stamp: tuple) -> Experiment:
    """The folder read once per state of its files (`stamp` is part of the cache key)."""
    return open_experiment(Path(folder))


def chosen_series(experiment: Experiment) -> list[str]:
    columns = [c for c in experiment.tables["quantiles.parquet"].columns if c not in ("date", "q", "scenario")]
    default = [c for c in SHOWN_SERIES if c in columns] or columns[:1]
    return st.multiselect("Series in the bands", columns, default=default, key="explore-series")


def show_ensemble(experiment: Experiment) -> None:
    names = chosen_series(experiment)
    show_table("Outcomes over runs", outcomes_over_runs(experiment), "ensemble-outcomes")
    if names:
        show_charts(ensemble_panels(experiment, names))


def show_compare(experiment: Experiment) -> None:
    names = chosen_series(experiment)
    tables = experiment.tables
    show_table("Headline outcomes: B - A over paired runs", headline(tables["effects.parquet"]), "compare-effects")
    if names:
        show_charts(comparison_panels(experiment.folder, tables["runs.parquet"], tables["differences.parquet"],
                                      tables["effects.parquet"], names))


def show_sweep(experiment: Experiment) -> None:
    parameters = sweep_parameters(experiment)
    left, middle, right = st.columns(3)
    outcome = left.selectbox("Outcome", experiment.spec["outcomes"], key="explore-sweep-outcome")
    x = middle.selectbox("Against", parameters, key="explore-sweep-x")
    y = right.selectbox("and (a surface)", ["(none)", *[p for p in parameters if p != x]], key="explore-sweep-y")
    figure = sweep_figure(experiment, outcome, x, None if y == "(none)" else y)
    show_charts([Chart("sweep-points", "Response", figure, experiment.tables["points.parquet"])])


def show_sensitivity(experiment: Experiment) -> None:
    indices = experiment.tables["indices.parquet"]
    outcome = st.selectbox("Outcome", list(dict.fromkeys(indices["outcome"])), key="explore-sensitivity-outcome")
    method = experiment.spec["method"]
    show_charts([Chart("sensitivity-indices", "Ranking", indices_figure(indices, outcome, method),
                       indices[indices["outcome"] == outcome])])


def show_calibration(experiment: Experiment) -> None:
    show_charts(calibration_panels(experiment))
    show_table("Calibrated sample (runs not ruled out)", experiment.tables["sample"], "calibration-sample")


def show_validate(experiment: Experiment) -> None:
    show_table("Patterns", experiment.tables["patterns"], "validate-patterns")


def show_robust(experiment: Experiment) -> None:
    tables = experiment.tables
    if "robust.parquet" in tables:
        show_table("Patterns over the draws", robust_summary(tables["robust.parquet"], experiment.spec["patterns"]),
                   "robust-patterns")
        show_table("Draws", tables["robust.parquet"], "robust-draws")
    if "pattern_sobol.parquet" in tables:
        show_table("Sobol indices of the patterns' effects", tables["pattern_sobol.parquet"], "robust-sobol")


def pair_of_parameters(experiment: Experiment) -> tuple[str, str] | None:
    """Two parameters of the runs (default: the first two the box restricts), or None with fewer than two."""
    parameters = discovery_parameters(experiment.tables["marks.parquet"])
    if len(parameters) < 2:
        st.info("The runs vary fewer than two parameters: no chart over two of them.")
        return None
    boxed = [p for p in restricted(experiment.tables["box.parquet"]) if p in parameters]
    preferred = [*boxed, *[p for p in parameters if p not in boxed]]
    left, right = st.columns(2)
    x = left.selectbox("Parameter across", parameters, index=parameters.index(preferred[0]), key="explore-discover-x")
    others = [p for p in parameters if p != x]
    y = right.selectbox("and up", others, index=others.index(next(p for p in preferred if p != x)),
                        key="explore-discover-y")
    return x, y


def show_discovery(experiment: Experiment) -> None:
    tables, spec = experiment.tables, experiment.spec
    for note in spec.get("notes", []):
        st.caption(f"Note: {note}")
    box = box_table(tables["box.parquet"], tables["stability.parquet"])
    if len(box):
        show_table(f"Box {spec['chosen']}: limits of the restricted parameters, quasi-p-values, share of "
                   f"bootstrap boxes restricting them", box, "discover-box")
    else:
        st.subheader(f"Box {spec['chosen']}")
        st.info(f"Box {spec['chosen']} restricts no parameter.")
    show_charts([trajectory_chart(experiment)])
    params = pair_of_parameters(experiment)
    if params is not None:
        show_charts([pairs_chart(experiment, params)])
    show_table("CART leaves (boxes of a classification tree, densest first)", tables["leaves.parquet"],
               "discover-leaves")
    st.subheader("CART rules")
    st.code(experiment.texts.get("tree.txt", ""), language=None)


SHOW = {"ensemble": show_ensemble, "compare": show_compare, "sweep": show_sweep, "sensitivity": show_sensitivity,
        CALIBRATION: show_calibration, VALIDATE: show_validate, ROBUST: show_robust, DISCOVER: show_discovery}

st.title("Explore an experiment folder")
root = Path(st.text_input("Folder: an experiment folder, or one holding some", "runs", key="explore-root"))
found = find_experiments(root)
if len(found) > 1:
    folder = st.selectbox("Experiment", found, format_func=lambda p: label(p, root), key="explore-folder")
else:
    folder = found[0] if found else root
try:
    experiment = load(str(folder), folder_stamp(folder))
    st.caption(f"{folder}: {describe(experiment)}")
    SHOW[experiment.kind](experiment)
except ExperimentFolderError as err:
    st.error(str(err))
except (OSError, ValueError, KeyError) as err:  # files that do not fit the folder's manifest
    st.error(f"{folder}: cannot be shown ({type(err).__name__}: {first_line(err, 200)}); expected the files of an "
             f"experiment as morale wrote them")
