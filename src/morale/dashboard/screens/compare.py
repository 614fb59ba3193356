"""Compare page: two scenarios (two built-ins, or one against itself with `path=value` pins), N paired runs
each through `morale.compare`, their bands, the paired difference and the headline outcomes.

Results are kept per session under `result_key` of both resolved scenarios and the run arguments, and each
comparison's folder is named by that key (resumed, so a finished one is read back, not rerun): the page
shows the result of the controls as they stand, or none, never an older one.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import morale
from morale.dashboard.cache import result_key
from morale.dashboard.compare_view import (
    DEFAULT_RUNS,
    SCALES,
    arms,
    comparison_panels,
    comparison_seconds,
    headline,
    most_runs,
    pin_lines,
    years,
)
from morale.dashboard.display import show_charts, show_table
from morale.engine.recorder import SERIES
from morale.experiments.compare import DEFAULT_OUTCOMES
from morale.scenario.schema import MAX_HORIZON_YEARS

FOLDERS = Path(tempfile.gettempdir()) / "morale-dashboard" / "compare"
SHOWN_SERIES = ["soldiers_front", "killed", "recruits"]
KEPT = 8  # comparisons kept per session


def default_end(start: dt.date, end: dt.date) -> dt.date:
    """The scenario's end, or the end of its third calendar year if sooner (a comparison in well under a
    minute)."""
    return min(end, dt.date(start.year + 2, 12, 31))


st.title("Compare two scenarios")
st.caption("Run i of A and run i of B share a seed (common random numbers), so B - A is the scenarios' effect "
           "and not the noise of two draws.")
names = morale.builtin_names()
a_name = st.selectbox("Scenario A", names, key="compare-a")
mode = st.radio("Scenario B", ["another built-in scenario", "A with changes"], horizontal=True, key="compare-mode")
if mode == "A with changes":
    b_name = None
    pins = pin_lines(st.text_area("Changes to A: `path=value`, one a line (as `morale run --set`)",
                                  placeholder="combat.intensity=0.06\npolicy.exit_ban=false", key="compare-pins"))
    if not pins:
        st.info("Give B's changes to A, one `path=value` a line (`morale show` lists the paths).")
        st.stop()
else:
    b_name = st.selectbox("Scenario B", names, index=min(1, len(names) - 1), key="compare-b")
    pins = []
try:
    scenario_a, scenario_b, said = arms(a_name, b_name, pins)
except ValueError as err:
    st.error(str(err))
    st.stop()
for line in said:
    st.warning(line)

left, middle, right = st.columns(3)
scale = left.select_slider("Scale (persons per agent)", SCALES, value=200, key="compare-scale")
start = max(scenario_a.start, scenario_b.start)
end = middle.date_input("End", value=default_end(start, min(scenario_a.end, scenario_b.end)),
                        min_value=start + dt.timedelta(weeks=4),
                        max_value=dt.date(start.year + MAX_HORIZON_YEARS, start.month, min(start.day, 28)),
                        key=f"compare-end-{a_name}-{b_name}")
span = years(start, end)
most = most_runs(scale, span)  # in the key: a new limit starts the control again, within it
runs = right.number_input(f"Runs per scenario (at most {most} here: about a minute)", min_value=2, max_value=most,
                          value=min(DEFAULT_RUNS, most), key=f"compare-runs-{most}")
outcomes = [o.strip() for o in st.text_input("Outcomes (comma-separated, as `--outcome`)",
                                             ", ".join(DEFAULT_OUTCOMES), key="compare-outcomes").split(",")
            if o.strip()]
series = st.multiselect("Series in the bands", list(SERIES), default=SHOWN_SERIES, key="compare-series")

arguments = {"runs": int(runs), "seed": 0, "scale": scale, "end": end.isoformat(), "outcomes": outcomes}
key = result_key(scenario_b, a=result_key(scenario_a), **arguments)
results = st.session_state.setdefault("compare-results", {})
seconds = comparison_seconds(runs, scale, span)
if st.button(f"Run {2 * runs} runs (about {seconds:.0f} s)", type="primary", key="compare-run"):
    with st.spinner(f"{runs} paired runs of each scenario at scale {scale} to {end}..."):
        try:
            result = morale.compare(scenario_a, scenario_b, scheduler="inprocess", out=FOLDERS / key, resume=True,
                                    report=False, **arguments)
        except ValueError as err:
            st.error(str(err))
            st.stop()
    results[key] = {"folder": result.folder, "runs": pd.concat([result.a.runs, result.b.runs], ignore_index=True),
                    "differences": result.differences, "effects": result.effects}
    while len(results) > KEPT:
        results.pop(next(iter(results)))

shown = results.get(key)
if shown is None:
    st.info("Press Run to compare these two scenarios with these settings.")
    st.stop()
failed = shown["runs"][shown["runs"]["status"] != "ok"]
if len(failed):
    st.warning(f"{len(failed)} runs failed; the first: {failed['error'].iloc[0]}")
show_table("Headline outcomes: B - A over paired runs", headline(shown["effects"]), "compare-effects")
if series:
    show_charts(comparison_panels(shown["folder"], shown["runs"], shown["differences"], shown["effects"], series))
