"""What the Classic page shows of Epstein's (2002) civil-violence model, built without Streamlit: the legal
range of each slider, a run with its lattice pictures, the lattice as a Plotly heat map animated step by
step (play button and step slider, in the browser), and the counts of quiescent, active and jailed citizens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from morale.classic import civil_violence
from morale.classic.variants import VARIANTS

CELLS = ("empty", "quiescent", "active", "jailed", "cop")  # the codes 0..4 of a lattice picture
CELL_COLOURS = ("#ffffff", "#7fbf7f", "#d62728", "#404040", "#1f77b4")
COUNT_COLOURS = {"quiescent": "#2ca02c", "active": "#d62728", "jailed": "#404040"}
MOST_FRAMES = 200
MOST_FRAME_CELLS = 1_000_000  # frames x cells sent to the browser
MOST_SIDE = 100
MOST_STEPS = 1000


@dataclass(frozen=True)
class Control:
    """A slider over a parameter's legal range (`civil_violence.configure` refuses values outside it)."""

    name: str
    label: str
    low: float
    high: float
    step: float
    help: str


CONTROLS = (
    Control("legitimacy", "Legitimacy L", 0.0, 1.0, 0.01, "the regime's legitimacy, in [0, 1]"),
    Control("vision", "Citizens' vision", 0.0, 20.0, 0.1, "cells a citizen sees (and cops, unless set apart)"),
    Control("citizen_density", "Citizen density", 0.0, 0.95, 0.01, "share of cells holding a citizen"),
    Control("cop_density", "Cop density", 0.0, 0.3, 0.005, "share of cells holding a cop; with the citizens at "
            "most 1"),
    Control("max_jail", "Longest jail term J_max", 0, 1000, 1, "periods, a whole number (0: released at once)"),
    Control("threshold", "Activation threshold T", 0.0, 1.0, 0.01, "a citizen turns active when grievance - net "
            "risk exceeds T"),
    Control("k", "Arrest constant k", 0.0, 10.0, 0.1, "P = 1 - exp(-k C/A), the estimated arrest probability"),
)


def defaults(variant: str) -> dict[str, float]:
    """The variant's value of each control (its own defaults; a life term shows as the slider's top)."""
    values = VARIANTS[variant]
    return {c.name: min(c.high, values[c.name]) for c in CONTROLS}


def cop_limit(citizen_density: float) -> float:
    """The cop slider's top: cops and citizens share the cells (their densities add up to at most 1)."""
    return round(min(1.0 - citizen_density, 0.3), 3)


def simulate(steps: int, seed: int, variant: str, life: bool, **options) -> civil_violence.Run:
    """One run with its lattice pictures; `life` makes jail terms life terms (max_jail = inf). Options
    `civil_violence.configure` refuses raise ValueError in one line."""
    if life:
        options["max_jail"] = math.inf
    return civil_violence.run(steps, seed, variant, record_lattice=True, **options)


def population(lattice: np.ndarray) -> int:
    """Citizens on the first picture (nobody is jailed yet, each citizen holds its own cell)."""
    first = lattice[0]
    return int(((first == CELLS.index("quiescent")) | (first == CELLS.index("active"))).sum())


def frame_steps(steps: int, cells: int) -> list[int]:
    """The steps drawn as animation frames: every step, or every k-th so the browser gets at most
    `MOST_FRAMES` frames and `MOST_FRAME_CELLS` cells (the last step always included)."""
    stride = max(1, math.ceil((steps + 1) / MOST_FRAMES), math.ceil((steps + 1) * cells / MOST_FRAME_CELLS))
    shown = list(range(0, steps + 1, stride))
    if shown[-1] != steps:
        shown.append(steps)
    return shown


def _colourscale() -> list[list]:
    """Discrete colours for the codes 0..4 (z from 0 to 4, one band each)."""
    scale = []
    for code, colour in enumerate(CELL_COLOURS):
        scale += [[code / len(CELLS), colour], [(code + 1) / len(CELLS), colour]]
    return scale


def lattice_figure(lattice: np.ndarray) -> go.Figure:
    """The lattice at step 0 with animation frames: a play and a pause button and a step slider."""
    steps = frame_steps(len(lattice) - 1, lattice[0].size)

    def heatmap(step: int) -> go.Heatmap:
        return go.Heatmap(z=lattice[step], zmin=-0.5, zmax=len(CELLS) - 0.5, colorscale=_colourscale(),
                          colorbar={"tickvals": list(range(len(CELLS))), "ticktext": list(CELLS)},
                          hovertemplate="x %{x}, y %{y}<extra></extra>")

    frames = [go.Frame(data=[heatmap(s)], name=str(s)) for s in steps]
    play = {"label": "Play", "method": "animate",
            "args": [None, {"frame": {"duration": 80, "redraw": True}, "fromcurrent": True}]}
    pause = {"label": "Pause", "method": "animate",
             "args": [[None], {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}]}
    slider = {"currentvalue": {"prefix": "step "}, "pad": {"t": 30},
              "steps": [{"label": str(s), "method": "animate",
                         "args": [[str(s)], {"frame": {"duration": 0, "redraw": True}, "mode": "immediate"}]}
                        for s in steps]}
    fig = go.Figure(data=[heatmap(0)], frames=frames)
    fig.update_layout(updatemenus=[{"type": "buttons", "buttons": [play, pause], "direction": "left", "x": 0,
                                    "y": -0.08, "xanchor": "left", "yanchor": "top"}],
                      sliders=[slider], height=620, margin={"t": 30},
                      xaxis={"showticklabels": False, "constrain": "domain"},
                      yaxis={"showticklabels": False, "scaleanchor": "x", "autorange": "reversed"})
    return fig


def counts_figure(series: pd.DataFrame) -> go.Figure:
    """Quiescent, active and jailed citizens at each step."""
    fig = go.Figure([go.Scatter(x=series.index, y=series[column], mode="lines", name=column,
                                line={"color": COUNT_COLOURS[column]})
                     for column in civil_violence.COLUMNS])
    fig.update_layout(height=360, xaxis_title="step", yaxis_title="citizens", margin={"t": 30})
    return fig


def summary(series: pd.DataFrame) -> dict[str, int]:
    """Headline numbers: peak actives, final jailed, and outbursts (spells above 50 actives, the paper's)."""
    return {"peak active": int(series["active"].max()), "jailed at the end": int(series["jailed"].iloc[-1]),
            "outbursts (> 50 active)": civil_violence.count_outbursts(series["active"])}
