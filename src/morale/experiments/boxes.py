"""Scenario discovery: boxes in parameter space where runs meeting a condition are dense.

Given each run's parameters `x` and a boolean `y` (the run meets a condition, e.g. the army collapses before
2026), scenario discovery (Bryant and Lempert 2010) looks for a few simple rules, "p1 between 0.2 and 0.6 and
p3 above 0.5", that hold for most runs where `y` is true (coverage) and few where it is false (density). Such a
box is something a reader can act on, unlike a sensitivity index or a fitted surface.

Two complementary methods, run on the same table:

- PRIM (Friedman and Fisher 1999) peels thin slices off the box, one parameter side at a time, and then pastes
  back what raises density; each step is a point of the peeling trajectory, trading coverage for density. The
  box shown is the last step whose density reaches `threshold` (`choose_box`), or the one picked with `box`.
  Each restricted side has a quasi-p-value (Bryant and Lempert 2010): the one-sided binomial test of whether
  the box is denser than it would be without that restriction; large values flag restrictions that matter
  little. The PRIM used is the EMA Workbench's, kept behind `_peel` so it can be replaced.
- CART (Breiman et al. 1984): a shallow classification tree; its leaves are boxes too, found by a different
  (greedy, top-down) search, so agreement between the two is evidence and disagreement a warning.

PRIM is known to be unstable under small changes of the data, so the chosen box's restrictions are checked by
bootstrap: runs are resampled with replacement, PRIM is rerun and the box chosen by the same rule; a parameter
restricted in most resamples is part of the story, one restricted rarely is noise.

Inputs: `x` has one numeric column per parameter (cast to float; PRIM would treat integers as discrete and
strings as categories). Constant columns are dropped (a fixed parameter cannot bound a box) and listed in
`BoxResult.notes`. `ranges` gives each parameter's prior range, used to report unrestricted sides and to draw
axes; it defaults to the data's min and max. Everything is deterministic for a given `seed`.

This module takes data and returns data; reading experiment folders is the caller's job.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

DENSITY_FLOOR = 0.8
MIN_RUNS = 20
MIN_LEAF_SHARE = 0.05  # CART leaves hold at least this share of runs (as PRIM's default minimum mass)
TRAJECTORY_COLUMNS = ["id", "coverage", "density", "mass", "n", "res_dim"]
LIMIT_COLUMNS = ["parameter", "low", "high", "prior low", "prior high", "qp low", "qp high"]
STABILITY_COLUMNS = ["parameter", "share restricted", "low 5%", "low median", "low 95%",
                     "high 5%", "high median", "high 95%"]


@dataclass
class BoxResult:
    trajectory: pd.DataFrame  # per peeling step: id, coverage, density, mass, n, res_dim
    chosen: int  # id of the box shown
    limits: pd.DataFrame  # per restricted parameter of the chosen box: LIMIT_COLUMNS
    stability: pd.DataFrame  # per parameter, across bootstrap boxes: STABILITY_COLUMNS
    tree_rules: str  # sklearn export_text of the CART tree
    leaves: pd.DataFrame  # per CART leaf: leaf, rule, n, positives, density, coverage, limits of split parameters
    tree_importance: pd.Series  # CART feature importances, by parameter
    positives: int
    total: int
    threshold: float  # density floor used to choose boxes
    tree: Any = field(repr=False)  # the fitted DecisionTreeClassifier, for plot_tree
    notes: list[str] = field(default_factory=list)  # dropped constant columns, skipped resamples


def find_boxes(x: pd.DataFrame, y, ranges: dict[str, tuple[float, float]] | None = None, box: int | None = None,
               threshold: float = DENSITY_FLOOR, bootstrap: int = 30, seed: int = 0,
               max_depth: int = 3) -> BoxResult:
    """PRIM box (with quasi-p-values and bootstrap stability) and CART leaves for runs `x` with outcome `y`."""
    outcome = _as_outcome(y, len(x))
    x, notes = _as_parameters(x)
    prior = _prior_ranges(x, ranges)

    trajectory, box_limits, qps = _peel(x, outcome)
    if box is None:
        chosen = choose_box(trajectory, threshold)
    elif not 0 <= box < len(trajectory):
        raise ValueError(f"--box: got {box}; expected an id of the peeling trajectory, 0..{len(trajectory) - 1}")
    else:
        chosen = box
    limits = _limits_table(box_limits[chosen], box_limits[0], prior, qps[chosen])

    stability, skipped = _stability(x, outcome, prior, threshold, bootstrap, seed)
    if skipped:
        notes.append(f"{skipped} of {bootstrap} bootstrap resamples had no true or no false runs; skipped")

    tree, rules, leaves, importance = _cart(x, outcome, prior, max_depth, seed)
    return BoxResult(trajectory=trajectory, chosen=chosen, limits=limits, stability=stability, tree_rules=rules,
                     leaves=leaves, tree_importance=importance, positives=int(outcome.sum()), total=len(outcome),
                     threshold=threshold, tree=tree, notes=notes)


def choose_box(trajectory: pd.DataFrame, threshold: float = DENSITY_FLOOR) -> int:
    """Id of the last trajectory point with density >= threshold; if none reaches it, the densest (first if tied)."""
    dense = trajectory[trajectory["density"] >= threshold]
    if len(dense):
        return int(dense["id"].iloc[-1])
    return int(trajectory.loc[trajectory["density"].idxmax(), "id"])


# --- inputs ---------------------------------------------------------------------------------------------------

def _as_outcome(y, runs: int) -> np.ndarray:
    values = np.asarray(y)
    if values.ndim != 1:
        raise ValueError(f"y: got an array of shape {values.shape}; expected one true/false per run")
    if len(values) != runs:
        raise ValueError(f"y: got {len(values)} values for {runs} runs; expected one per run")
    if values.dtype != bool:
        if values.dtype.kind not in "iuf" or not np.isin(values, [0, 1]).all():
            raise ValueError(f"y: expected true/false (or 1/0) per run; got values like {values[:3].tolist()}")
        values = values.astype(bool)
    positives = int(values.sum())
    if positives == 0 or positives == runs:
        raise ValueError(f"y: {positives} true and {runs - positives} false runs; "
                         "scenario discovery needs both true and false runs")
    return values


def _as_parameters(x: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    if len(x) < MIN_RUNS:
        raise ValueError(f"x: got {len(x)} runs; scenario discovery needs at least {MIN_RUNS}")
    for name in x.columns:
        if not pd.api.types.is_numeric_dtype(x[name]):
            raise ValueError(f"x: parameter {name!r} is not numeric ({x[name].dtype}); expected numbers")
        if x[name].isna().any():
            raise ValueError(f"x: parameter {name!r} has {int(x[name].isna().sum())} missing values")
    constant = [name for name in x.columns if x[name].nunique() == 1]
    notes = [f"constant parameter {name} = {x[name].iloc[0]:g} dropped" for name in constant]
    x = x.drop(columns=constant).astype(float).reset_index(drop=True)
    if x.shape[1] == 0:
        raise ValueError("x: every parameter is constant; expected at least one that varies")
    return x, notes


def _prior_ranges(x: pd.DataFrame, ranges: dict[str, tuple[float, float]] | None) -> pd.DataFrame:
    """Rows low/high, one column per parameter: `ranges` where given, else the data's min and max."""
    prior = pd.DataFrame({name: [x[name].min(), x[name].max()] for name in x.columns}, index=["low", "high"])
    for name, (low, high) in (ranges or {}).items():
        if name not in x.columns:
            continue  # a constant (dropped) or unused parameter
        if not low <= x[name].min() <= x[name].max() <= high:
            raise ValueError(f"ranges: {name} has runs in [{x[name].min():g}, {x[name].max():g}], "
                             f"outside its range [{low:g}, {high:g}]")
        prior[name] = [float(low), float(high)]
    return prior


# --- PRIM -----------------------------------------------------------------------------------------------------

def _peel(x: pd.DataFrame, y: np.ndarray) -> tuple[pd.DataFrame, list[pd.DataFrame], list[dict[str, list[float]]]]:
    """The whole PRIM peeling and pasting trajectory; the only code that knows the EMA Workbench.

    Returns the trajectory (TRAJECTORY_COLUMNS), each step's limits (rows low/high, a column per parameter;
    step 0 is the data's min/max, so a side is restricted where it differs) and each step's quasi-p-values
    (restricted parameter -> [low, high], NaN for an unrestricted side).
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="ipyparallel not installed")  # on import, harmless here
        warnings.simplefilter("ignore", DeprecationWarning)  # pandas' Pandas4Warning on each drop(inplace=True)
        from ema_workbench.analysis import prim

        ema_logger = logging.getLogger("EMA")  # PRIM logs every box at INFO
        level = ema_logger.level
        ema_logger.setLevel(logging.WARNING)
        try:
            # With a boolean y the threshold only marks true runs (y >= threshold), but PRIM also replaces the
            # whole trajectory by a "dump box" when its last box is less dense than the threshold. A tiny one
            # keeps the trajectory; choose_box applies the density floor instead.
            found = prim.Prim(x, y, threshold=1e-9).find_box()
        finally:
            ema_logger.setLevel(level)

    trajectory = found.peeling_trajectory[TRAJECTORY_COLUMNS].astype(
        {"id": int, "n": int, "res_dim": int}).reset_index(drop=True)
    limits = [lims.set_axis(["low", "high"]) for lims in found.box_lims]
    qps = [{name: [np.nan if value == -1 else value for value in sides] for name, sides in qp.items()}
           for qp in found.qp]
    return trajectory, limits, qps


def _limits_table(limits: pd.DataFrame, data_box: pd.DataFrame, prior: pd.DataFrame,
                  qp: dict[str, list[float]]) -> pd.DataFrame:
    rows = []
    for name in limits.columns:
        low_cut = limits.at["low", name] != data_box.at["low", name]
        high_cut = limits.at["high", name] != data_box.at["high", name]
        if not (low_cut or high_cut):
            continue
        qp_low, qp_high = qp.get(name, [np.nan, np.nan])
        rows.append({"parameter": name,
                     "low": limits.at["low", name] if low_cut else prior.at["low", name],
                     "high": limits.at["high", name] if high_cut else prior.at["high", name],
                     "prior low": prior.at["low", name], "prior high": prior.at["high", name],
                     "qp low": qp_low if low_cut else np.nan, "qp high": qp_high if high_cut else np.nan})
    return pd.DataFrame(rows, columns=LIMIT_COLUMNS)


def _stability(x: pd.DataFrame, y: np.ndarray, prior: pd.DataFrame, threshold: float, bootstrap: int,
               seed: int) -> tuple[pd.DataFrame, int]:
    """Per parameter, across bootstrap PRIM boxes: share restricting it and quantiles of its limits.

    An unrestricted side counts at its prior bound, so the quantiles describe where the box edge falls.
    """
    rng = np.random.default_rng(seed)
    lows, highs, restricted = [], [], []
    skipped = 0
    for _ in range(bootstrap):
        rows = rng.integers(0, len(y), size=len(y))
        y_b = y[rows]
        if y_b.all() or not y_b.any():
            skipped += 1
            continue
        trajectory, limits, qps = _peel(x.iloc[rows].reset_index(drop=True), y_b)
        table = _limits_table(limits[choose_box(trajectory, threshold)], limits[0], prior, {})
        table = table.set_index("parameter")
        lows.append(table["low"].reindex(x.columns).fillna(prior.loc["low"]))
        highs.append(table["high"].reindex(x.columns).fillna(prior.loc["high"]))
        restricted.append(pd.Series(x.columns.isin(table.index), index=x.columns))
    if not restricted:
        return pd.DataFrame(columns=STABILITY_COLUMNS), skipped

    lows, highs = pd.DataFrame(lows), pd.DataFrame(highs)
    stability = pd.DataFrame({
        "parameter": x.columns,
        "share restricted": pd.DataFrame(restricted).mean().to_numpy(),
        "low 5%": lows.quantile(0.05).to_numpy(), "low median": lows.median().to_numpy(),
        "low 95%": lows.quantile(0.95).to_numpy(),
        "high 5%": highs.quantile(0.05).to_numpy(), "high median": highs.median().to_numpy(),
        "high 95%": highs.quantile(0.95).to_numpy()})
    stability = stability.sort_values("share restricted", ascending=False, kind="stable")
    return stability.reset_index(drop=True), skipped


# --- CART -----------------------------------------------------------------------------------------------------

def _cart(x: pd.DataFrame, y: np.ndarray, prior: pd.DataFrame, max_depth: int,
          seed: int) -> tuple[Any, str, pd.DataFrame, pd.Series]:
    from sklearn.tree import DecisionTreeClassifier, export_text

    min_leaf = max(1, round(MIN_LEAF_SHARE * len(y)))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=seed).fit(x, y)
    rules = export_text(tree, feature_names=list(x.columns), decimals=3)
    importance = pd.Series(tree.feature_importances_, index=x.columns, name="importance")
    return tree, rules, _leaves(tree, x, y, prior), importance


def _leaves(tree, x: pd.DataFrame, y: np.ndarray, prior: pd.DataFrame) -> pd.DataFrame:
    """Each leaf as a box: its path's rule, limits per split parameter, and the runs falling in it."""
    nodes = tree.tree_
    names = list(x.columns)
    split = sorted({names[f] for f in nodes.feature if f >= 0}, key=names.index)
    leaf_of_run = tree.apply(x)
    rows = []

    def walk(node: int, path: list[str], low: dict[str, float], high: dict[str, float]) -> None:
        if nodes.children_left[node] < 0:
            inside = leaf_of_run == node
            runs, positives = int(inside.sum()), int(y[inside].sum())
            row = {"leaf": node, "rule": _rule(path, low, high, prior), "n": runs, "positives": positives,
                   "density": positives / runs, "coverage": positives / int(y.sum())}
            for name in split:
                row[f"{name} low"], row[f"{name} high"] = low[name], high[name]
            rows.append(row)
            return
        name, cut = names[nodes.feature[node]], float(nodes.threshold[node])
        path = path if name in path else [*path, name]
        walk(nodes.children_left[node], path, low, {**high, name: cut})  # sklearn: left is <= threshold
        walk(nodes.children_right[node], path, {**low, name: cut}, high)

    walk(0, [], prior.loc["low"].to_dict(), prior.loc["high"].to_dict())
    leaves = pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False, kind="stable")
    return leaves.reset_index(drop=True)


def _rule(path: list[str], low: dict[str, float], high: dict[str, float], prior: pd.DataFrame) -> str:
    """A leaf's box as text, one interval per parameter in the order the tree split on them."""
    terms = []
    for name in path:
        low_cut, high_cut = low[name] > prior.at["low", name], high[name] < prior.at["high", name]
        if low_cut and high_cut:
            terms.append(f"{low[name]:.3g} < {name} <= {high[name]:.3g}")
        elif low_cut:
            terms.append(f"{name} > {low[name]:.3g}")
        else:
            terms.append(f"{name} <= {high[name]:.3g}")
    return " and ".join(terms) or "all runs"


# --- figures --------------------------------------------------------------------------------------------------

def _figure(**options):
    """A figure outside pyplot's state (nothing to close), drawn by Agg whatever the session's backend."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**options)
    FigureCanvasAgg(fig)
    return fig


def plot_trajectory(result: BoxResult):
    """Coverage against density along the peeling trajectory (colour: restricted parameters, size: mass), and
    coverage, density and mass per step; the chosen box is marked."""
    from matplotlib.colors import BoundaryNorm

    steps = result.trajectory
    chosen = steps[steps["id"] == result.chosen].iloc[0]
    fig = _figure(figsize=(11, 4.5), layout="constrained")
    tradeoff, per_step = fig.subplots(1, 2)

    dims = int(steps["res_dim"].max())
    norm = BoundaryNorm(np.arange(-0.5, dims + 1.5), 256)
    points = tradeoff.scatter(steps["coverage"], steps["density"], c=steps["res_dim"], cmap="viridis", norm=norm,
                              s=15 + 150 * steps["mass"], edgecolors="none")
    fig.colorbar(points, ax=tradeoff, ticks=range(dims + 1), label="restricted parameters")
    tradeoff.scatter([chosen["coverage"]], [chosen["density"]], s=250, facecolors="none", edgecolors="tab:red",
                     linewidths=2, label=f"box {result.chosen}")
    tradeoff.axhline(result.threshold, color="grey", linestyle=":", label=f"density {result.threshold:g}")
    tradeoff.set(xlabel="coverage (share of true runs in the box)", ylabel="density (share true in the box)",
                 xlim=(0, 1.05), ylim=(0, 1.05), title="PRIM trade-off (point size: mass)")
    tradeoff.legend(loc="lower left")

    for column, colour in [("coverage", "tab:blue"), ("density", "tab:orange"), ("mass", "tab:green")]:
        per_step.plot(steps["id"], steps[column], color=colour, label=column)
    per_step.axvline(result.chosen, color="tab:red", linestyle="--", label=f"box {result.chosen}")
    per_step.set(xlabel="peeling step (id)", ylim=(0, 1.05), title="peeling trajectory")
    per_step.legend(loc="center left")
    return fig


def plot_pairs(x: pd.DataFrame, y, result: BoxResult):
    """Pairs scatter of the chosen box's restricted parameters, true runs coloured, the box drawn on each pair;
    the diagonal shows each parameter's true and false runs as histograms with the box's edges."""
    from matplotlib.patches import Rectangle

    outcome = _as_outcome(y, len(x))
    limits = result.limits.set_index("parameter")
    names = list(limits.index)
    if not names:
        fig = _figure(figsize=(4, 3))
        fig.text(0.5, 0.5, f"box {result.chosen} restricts no parameter", ha="center", va="center")
        return fig

    k = len(names)
    fig = _figure(figsize=(2.6 * k + 1, 2.6 * k), layout="constrained")
    axes = fig.subplots(k, k, squeeze=False)
    groups = [(~outcome, "tab:gray", "false"), (outcome, "tab:red", "true")]
    for i, row_name in enumerate(names):
        for j, col_name in enumerate(names):
            ax = axes[i, j]
            col = limits.loc[col_name]
            ax.set_xlim(col["prior low"], col["prior high"])
            if i == j:
                for mask, colour, label in groups:
                    ax.hist(x.loc[mask, col_name], bins=20, range=(col["prior low"], col["prior high"]),
                            color=colour, alpha=0.5, label=label)
                for edge in (col["low"], col["high"]):
                    ax.axvline(edge, color="black", linewidth=1)
            else:
                row = limits.loc[row_name]
                for mask, colour, label in groups:
                    ax.scatter(x.loc[mask, col_name], x.loc[mask, row_name], s=4, color=colour, alpha=0.5,
                               label=label)
                ax.add_patch(Rectangle((col["low"], row["low"]), col["high"] - col["low"], row["high"] - row["low"],
                                       fill=False, edgecolor="black", linewidth=1.5))
                ax.set_ylim(row["prior low"], row["prior high"])
            if i == k - 1:
                ax.set_xlabel(col_name)
            if j == 0:
                ax.set_ylabel(row_name if i != j else "runs")
    axes[0, 0].legend(loc="upper right", fontsize="small")
    fig.suptitle(f"PRIM box {result.chosen}: true runs in red")
    return fig


def plot_tree(tree_or_result):
    """The CART tree (a fitted DecisionTreeClassifier, or a BoxResult's), leaves coloured by majority class."""
    from sklearn.tree import plot_tree as draw

    tree = tree_or_result.tree if isinstance(tree_or_result, BoxResult) else tree_or_result
    fig = _figure(figsize=(max(6, 2.4 * tree.get_n_leaves()), 1.8 * (tree.get_depth() + 1)), layout="constrained")
    ax = fig.subplots()
    draw(tree, ax=ax, feature_names=list(tree.feature_names_in_), class_names=["false", "true"], filled=True,
         impurity=False, proportion=False, rounded=True, fontsize=8)
    return fig
