"""Classic page: Epstein's (2002) civil-violence model with its sliders, each over its legal range. Moving a
slider runs the model again (a 40x40 lattice for 200 steps takes well under a second once compiled, and
runs are cached by their options); the lattice plays step by step in the browser, beside the counts of
quiescent, active and jailed citizens.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from morale.classic.variants import VARIANTS
from morale.dashboard.classic_view import (
    CELLS,
    CONTROLS,
    MOST_SIDE,
    MOST_STEPS,
    cop_limit,
    counts_figure,
    defaults,
    lattice_figure,
    population,
    simulate,
    summary,
)
from morale.dashboard.display import Chart, show_charts


@st.cache_data(max_entries=32, show_spinner="Running the model...")
def cached_run(steps: int, seed: int, variant: str, life: bool, options: tuple) -> tuple[pd.DataFrame, np.ndarray]:
    """The counts and the lattice pictures of one run (cached by every option that shapes it)."""
    run = simulate(steps, seed, variant, life, **dict(options))
    return run.series, run.lattice


st.title("Classic: Epstein's civil violence (2002)")
st.caption("Citizens turn active when grievance H(1 - L) minus net risk R P exceeds T; cops jail actives they "
           "see. `morale classic civil-violence` runs the same model from the command line.")
variant = st.selectbox("Variant (rules and defaults)", list(VARIANTS), key="classic-variant")
preset, values = VARIANTS[variant], defaults(variant)
left, right = st.columns(2)
options: dict = {
    "width": left.slider("Width", 10, MOST_SIDE, preset["width"], key=f"classic-{variant}-width"),
    "height": left.slider("Height", 10, MOST_SIDE, preset["height"], key=f"classic-{variant}-height"),
}
steps = left.slider("Steps", 10, MOST_STEPS, 200, key="classic-steps")
seed = left.number_input("Seed", min_value=0, max_value=2**32 - 1, value=0, key="classic-seed")
for i, control in enumerate(CONTROLS):
    column = right if i % 2 else left
    high = cop_limit(options["citizen_density"]) if control.name == "cop_density" else control.high
    options[control.name] = column.slider(control.label, control.low, high, min(values[control.name], high),
                                          control.step, help=control.help,
                                          key=f"classic-{variant}-{control.name}-{high}")
life = right.checkbox("Life terms (never released)", value=preset["max_jail"] == math.inf,
                      key=f"classic-{variant}-life")
options["movement"] = right.checkbox("Citizens and cops move", value=preset["movement"],
                                     key=f"classic-{variant}-movement")

try:
    series, lattice = cached_run(int(steps), int(seed), variant, life, tuple(sorted(options.items())))
except ValueError as err:
    st.error(str(err))
    st.stop()
numbers = {"citizens": population(lattice), **summary(series)}
for column, (name, value) in zip(st.columns(len(numbers)), numbers.items()):
    column.metric(name, f"{value:,}")
codes = ", ".join(f"{code} {cell}" for code, cell in enumerate(CELLS))
show_charts([Chart("classic-lattice-last-step", "Lattice, step by step", lattice_figure(lattice),
                   pd.DataFrame(lattice[-1])),
             Chart("classic-counts", "Quiescent, active and jailed citizens", counts_figure(series),
                   series.reset_index())])
st.caption(f"The lattice's CSV is the last step's picture, one row per lattice row ({codes}).")
