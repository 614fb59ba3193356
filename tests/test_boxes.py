"""Scenario discovery core: PRIM and CART must recover a box planted in a toy table of runs."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc

from morale.experiments.boxes import BoxResult, choose_box, find_boxes, plot_pairs, plot_trajectory, plot_tree

NAMES = ["p1", "p2", "p3", "p4", "p5"]
UNIT = {name: (0.0, 1.0) for name in NAMES}
TOLERANCE = 0.1  # of each parameter's range, here [0, 1]


def planted(runs: int, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Five parameters uniform on [0, 1] (Latin hypercube); true exactly when 0.2 <= p1 <= 0.6 and p3 >= 0.5."""
    x = pd.DataFrame(qmc.LatinHypercube(d=5, seed=seed).random(runs), columns=NAMES)
    y = ((x["p1"] >= 0.2) & (x["p1"] <= 0.6) & (x["p3"] >= 0.5)).to_numpy()
    return x, y


@pytest.fixture(scope="module")
def toy() -> tuple[pd.DataFrame, np.ndarray, BoxResult]:
    x, y = planted(600)
    return x, y, find_boxes(x, y, ranges=UNIT, bootstrap=30, seed=0)


def test_prim_recovers_the_planted_box(toy):
    _, y, result = toy
    limits = result.limits.set_index("parameter")
    assert set(limits.index) == {"p1", "p3"}
    assert limits.at["p1", "low"] == pytest.approx(0.2, abs=TOLERANCE)
    assert limits.at["p1", "high"] == pytest.approx(0.6, abs=TOLERANCE)
    assert limits.at["p3", "low"] == pytest.approx(0.5, abs=TOLERANCE)
    # p3's upper side is not restricted: reported at its prior bound, without a quasi-p-value
    assert limits.at["p3", "high"] == 1.0 and np.isnan(limits.at["p3", "qp high"])
    assert (limits[["qp low"]].to_numpy() < 1e-6).all() and limits.at["p1", "qp high"] < 1e-6
    chosen = result.trajectory.set_index("id").loc[result.chosen]
    assert chosen["density"] >= 0.8 and chosen["coverage"] >= 0.8 and chosen["res_dim"] == 2
    assert (result.positives, result.total) == (int(y.sum()), 600)
    assert list(result.trajectory.columns) == ["id", "coverage", "density", "mass", "n", "res_dim"]


def test_cart_splits_only_on_the_planted_parameters(toy):
    _, _, result = toy
    importance = result.tree_importance
    assert importance[["p1", "p3"]].min() > 0.1
    assert importance[["p2", "p4", "p5"]].max() < 0.01
    used = {result.tree.feature_names_in_[f] for f in result.tree.tree_.feature if f >= 0}
    assert used == {"p1", "p3"}
    best = result.leaves.iloc[0]
    assert best["density"] > 0.95 and best["coverage"] > 0.9
    assert best["p1 low"] == pytest.approx(0.2, abs=TOLERANCE) and best["p1 high"] == pytest.approx(0.6, abs=TOLERANCE)
    assert best["p3 low"] == pytest.approx(0.5, abs=TOLERANCE) and best["p3 high"] == 1.0
    assert "p1" in best["rule"] and "p3" in best["rule"]
    assert result.leaves["n"].sum() == 600 and result.leaves["coverage"].sum() == pytest.approx(1.0)
    assert "p3" in result.tree_rules


def test_bootstrap_restricts_the_planted_parameters_in_most_resamples(toy):
    _, _, result = toy
    share = result.stability.set_index("parameter")["share restricted"]
    assert share[["p1", "p3"]].min() >= 0.8
    assert share[["p2", "p4", "p5"]].max() <= 0.2
    p1 = result.stability.set_index("parameter").loc["p1"]
    assert p1["low 5%"] <= p1["low median"] <= p1["low 95%"]
    assert p1["low median"] == pytest.approx(0.2, abs=TOLERANCE)


def trajectory(densities: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"id": range(len(densities)), "density": densities})


def test_choose_box_takes_the_last_dense_point_else_the_densest():
    assert choose_box(trajectory([0.2, 0.5, 0.85, 0.9, 0.82, 0.7])) == 4
    assert choose_box(trajectory([0.2, 0.5, 0.85, 0.9, 0.82, 0.7]), threshold=0.88) == 3
    assert choose_box(trajectory([0.2, 0.6, 0.7, 0.65])) == 2
    assert choose_box(trajectory([0.2, 0.7, 0.7, 0.5])) == 1  # tie: the first, larger-coverage one


def test_box_selects_another_point_of_the_trajectory(toy):
    x, y, result = toy
    other = find_boxes(x, y, ranges=UNIT, box=5, bootstrap=0)
    assert other.chosen == 5
    pd.testing.assert_frame_equal(other.trajectory, result.trajectory)
    assert len(other.limits) == other.trajectory.set_index("id").at[5, "res_dim"]
    assert other.stability.empty
    whole = find_boxes(x, y, ranges=UNIT, box=0, bootstrap=0)
    assert whole.limits.empty


def one_line_error(call) -> str:
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    assert "\n" not in message
    return message


def test_bad_inputs_raise_one_line_errors(toy):
    x, y, result = toy
    last = len(result.trajectory) - 1
    assert one_line_error(lambda: find_boxes(x, y, box=99, bootstrap=0)) == (
        f"--box: got 99; expected an id of the peeling trajectory, 0..{last}")
    assert "0 true and 600 false" in one_line_error(lambda: find_boxes(x, np.zeros(600, bool)))
    assert "needs both" in one_line_error(lambda: find_boxes(x, np.ones(600, bool)))
    assert "599 values for 600 runs" in one_line_error(lambda: find_boxes(x, y[:-1]))
    assert "true/false" in one_line_error(lambda: find_boxes(x, np.where(y, 2, 0)))
    assert "at least 20" in one_line_error(lambda: find_boxes(x.head(10), np.arange(10) < 3))
    named = x.assign(p2=["a"] * 600)
    assert "'p2' is not numeric" in one_line_error(lambda: find_boxes(named, y))
    assert "outside its range" in one_line_error(lambda: find_boxes(x, y, ranges={"p1": (0.1, 1.0)}))


def test_constant_and_integer_parameters():
    x, y = planted(200)
    x = x.assign(fixed=3.0, steps=np.arange(200) % 4)  # PRIM would otherwise treat integers as discrete
    result = find_boxes(x, y, bootstrap=2)
    assert result.notes == ["constant parameter fixed = 3 dropped"]
    assert "fixed" not in result.tree_importance.index and "steps" in result.tree_importance.index
    assert one_line_error(lambda: find_boxes(x[["fixed"]], y)).startswith("x: every parameter is constant")
    as_ints = find_boxes(x, y.astype(int), bootstrap=0)
    assert as_ints.positives == int(y.sum())


def test_same_seed_gives_identical_tables():
    x, y = planted(250, seed=3)
    first, second = (find_boxes(x, y, bootstrap=5, seed=11) for _ in range(2))
    for name in ["trajectory", "limits", "stability", "leaves"]:
        pd.testing.assert_frame_equal(getattr(first, name), getattr(second, name))
    pd.testing.assert_series_equal(first.tree_importance, second.tree_importance)
    assert (first.chosen, first.tree_rules) == (second.chosen, second.tree_rules)


def test_figures_render(toy):
    x, y, result = toy
    whole = find_boxes(x, y, box=0, bootstrap=0)
    figures = [plot_trajectory(result), plot_pairs(x, y, result), plot_pairs(x, y, whole), plot_tree(result),
               plot_tree(result.tree)]
    for fig in figures:  # Figure objects outside pyplot: nothing to close
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        assert buffer.getvalue().startswith(b"\x89PNG")
    assert len(figures[1].axes) == 4  # two restricted parameters
