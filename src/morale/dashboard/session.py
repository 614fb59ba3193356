"""What the Scenario page keeps between reruns: the shared worker and this session's results by key.

Results are kept under their `result_key`, so going back to an earlier setting shows its result at once and a
setting never shows another's result. The worker is shared by the app's sessions (`st.cache_resource`): it is
started with the app and stays warm.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass

import streamlit as st

from morale.dashboard import charts, tilemap
from morale.dashboard.charts import Chart
from morale.dashboard.worker import InProcess, Worker

IN_PROCESS = "MORALE_DASHBOARD_IN_PROCESS"  # set (to 1) to run in the page's own process: tests, debugging
KEPT_RESULTS = 8  # a scale-50 run is a few MB; older results are computed again if asked for


@st.cache_resource(show_spinner=False)
def _worker() -> Worker:
    return Worker()


def runner() -> Worker | InProcess:
    return InProcess() if os.environ.get(IN_PROCESS) else _worker()


@dataclass(frozen=True)
class Kept:
    """A run with its charts, drawn once (a rerun only sends them to the browser again)."""

    run: object
    charts: list[Chart]
    death_map: Chart | None  # None for a scenario of one region


def _results() -> OrderedDict:
    return st.session_state.setdefault("results", OrderedDict())


def recall(key: str) -> Kept | None:
    """The run kept under `key`, or None."""
    results = _results()
    if key in results:
        results.move_to_end(key)
    return results.get(key)


def keep(key: str, run) -> None:
    results = _results()
    results[key] = Kept(run, charts.charts(run), tilemap.death_map(run))
    results.move_to_end(key)
    while len(results) > KEPT_RESULTS:
        results.popitem(last=False)
