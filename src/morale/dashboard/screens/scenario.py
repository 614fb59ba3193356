"""The Scenario page: pick a scenario, change parameters and events, run it, read and hand on the results.

Everything the page runs is a `RunRequest`, the flags of `morale run`; the run goes to the warm worker process
and the page polls it in a fragment, so it stays responsive and a run can be cancelled.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import warnings
from pathlib import Path

import streamlit as st

from morale.dashboard import charts, controls, session, sources, timeline
from morale.dashboard.display import show_chart
from morale.dashboard.request import RunRequest, value_text
from morale.dashboard.scenariofile import scenario_file
from morale.scenario.loader import ScenarioError, builtin_names
from morale.scenario.schema import MAX_HORIZON_YEARS
from morale.scenario.whatif import describe_changes

DEFAULT_SCALE = 50.0
SCALE_BOUNDS = (1.0, 10000.0)  # the schema's (`Scenario.scale`), as `--scale` checks them
SEMANTICS = """A parameter changed here is **pinned** (`--set PATH=VALUE`): it holds that value for the whole run,
and the scenario's dated events on it are switched off. To change a value from a date on, add an event to the
timeline instead (`--event`); switching an event off is `--drop-event`. The command line below says exactly this
run, and the TOML file below gives the same scenario."""


def choose_scenario() -> tuple[str, str, str]:
    """(spec the loader reads, name the command line shows, id that keys this scenario's widgets)."""
    origin = st.radio("Scenario", ["built-in", "upload a TOML file"], horizontal=True, key="origin")
    if origin == "built-in":
        names = builtin_names()
        name = st.selectbox("Built-in scenario", names, index=names.index("russia-2022"), key="builtin")
        return name, name, name
    upload = st.file_uploader(f"Scenario file (TOML, at most {sources.MAX_UPLOAD_BYTES // 1024} KB; `extends` may "
                              f"name a built-in)", type=["toml"], key="upload")
    if upload is None:
        st.info("Upload a scenario file, or pick a built-in one.")
        st.stop()
    data = upload.getvalue()
    try:
        path = sources.saved_upload(upload.name, data)
    except ScenarioError as err:
        fail(err)
    return str(path), path.name, "upload:" + hashlib.sha256(data).hexdigest()[:16]


def fail(err: Exception) -> None:
    """Show a one-line error, as the command line prints it, and stop the page there."""
    st.error(f"error: {err}")
    st.stop()


def latest_end(base) -> dt.date:
    """The last end the schema allows: MAX_HORIZON_YEARS after the start (the 28th for a 29 February)."""
    try:
        return base.start.replace(year=base.start.year + MAX_HORIZON_YEARS)
    except ValueError:
        return base.start.replace(year=base.start.year + MAX_HORIZON_YEARS, day=28)


def run_settings(base, scenario_id: str) -> tuple[int, float, str]:
    left, middle, right = st.columns(3)
    seed = left.number_input("Seed", min_value=0, value=0, step=1, key="seed")
    scale = middle.number_input("Scale (persons per agent)", min_value=SCALE_BOUNDS[0], max_value=SCALE_BOUNDS[1],
                                value=DEFAULT_SCALE, step=10.0, format="%g", key="scale",
                                help="coarser is faster: 50 runs to 2027 in seconds; 1 is every man (minutes, 2 GiB)")
    end = right.date_input("End (horizon)", value=base.end, min_value=base.start + dt.timedelta(days=7),
                           max_value=latest_end(base), key=f"end|{scenario_id}")
    return int(seed), float(scale), end.isoformat()


def parameters(base, scenario_id: str, changes: dict) -> None:
    sections = controls.controls(base)
    with st.expander(f"Parameters ({len(changes)} changed)", expanded=True):
        section = st.selectbox("Section", list(sections), key="section")
        columns = st.columns(3)
        for i, control in enumerate(sections[section]):
            with columns[i % 3]:
                controls.draw(control, section, scenario_id, changes)
        for path, value in list(changes.items()):
            st.button(f"undo {path} = {value_text(value)}", key=f"undo|{scenario_id}|{path}",
                      on_click=controls.forget, args=(scenario_id, path, changes))


def events(base, scenario_id: str) -> timeline.Edits:
    original = timeline.table(base)
    with st.expander("Event timeline (add, change, switch off)", expanded=False):
        edited = st.data_editor(original, key=f"timeline|{scenario_id}", num_rows="dynamic", hide_index=True,
                                width="stretch", column_config=timeline_columns(base))
    return timeline.edits(original, edited)


def timeline_columns(base) -> dict:
    """Dates within the horizon the schema allows, targets from the scenario's numbers and switches."""
    column = st.column_config
    return {"id": column.TextColumn(disabled=True),
            "date": column.DateColumn(min_value=base.start, max_value=latest_end(base)),
            "target": column.SelectboxColumn(options=controls.event_targets(base), width="large"),
            "value": column.TextColumn(help="as on the command line: 160000, 0.05, true"),
            "on": column.CheckboxColumn(default=True),
            "source": column.TextColumn(disabled=True)}


def resolved_scenario(request: RunRequest):
    """The resolved scenario and the loader's warning lines; a refused what-if stops the page with its error."""
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        try:
            resolved = request.resolve()
        except ScenarioError as err:
            fail(ScenarioError(sources.shown(str(err), request.scenario)))
    return resolved, [str(w.message) for w in said if issubclass(w.category, UserWarning)]


def collect() -> None:
    """Keep the result of a run that has finished since the last rerun (under the key it was asked for)."""
    pending = st.session_state.get("job")
    if pending is None:
        return
    session.runner().poll()
    key, job = pending
    if job.active:
        return
    del st.session_state["job"]
    if job.state == "done":
        session.keep(key, job.result)
        st.session_state.setdefault("seconds", {})[key] = job.seconds
    elif job.state == "failed":
        st.session_state["run_error"] = job.error


def submit(request: RunRequest, key: str) -> None:
    st.session_state.pop("run_error", None)
    st.session_state["job"] = (key, session.runner().submit(request))


def cancel() -> None:
    _, job = st.session_state.pop("job")
    session.runner().cancel(job)
    st.session_state["cancelled"] = True  # the click reran only the fragment: it reruns the page


@st.fragment(run_every=0.3)
def progress() -> None:
    """While a run is going: its progress and a Cancel button; when it ends, a rerun shows the result."""
    if st.session_state.pop("cancelled", False):
        st.rerun()  # the whole page, so the Run button is enabled again
    pending = st.session_state.get("job")
    if pending is None:
        return
    session.runner().poll()
    _, job = pending
    if not job.active:
        st.rerun()
    share = job.week / job.weeks if job.weeks else 0.0
    status = f"week {job.week} of {job.weeks} ({job.date})" if job.weeks else "starting (the worker may be warming up)"
    st.progress(share, text=f"running {job.request.shown}: {status}")
    st.button("Cancel", on_click=cancel, key="cancel")


def run_area(request: RunRequest, key: str, cached: bool) -> None:
    busy = "job" in st.session_state
    st.button("Run", type="primary", disabled=busy or cached, on_click=submit, args=(request, key), key="run",
              help="already run: the result below is this setting's" if cached else None)
    runner = session.runner()
    runner.poll()
    if not runner.ready and not busy:
        st.caption("The run process is warming up: a run started now takes a few seconds more.")
    progress()
    if "run_error" in st.session_state:
        st.error(f"error: {st.session_state['run_error']}")


def hand_on(request: RunRequest, base, resolved, scenario_id: str) -> None:
    """The equivalent command line and the scenario as a TOML file."""
    st.markdown("**The same run from the command line**")
    st.code(request.command(), language="bash")
    upload = scenario_id.startswith("upload:")
    folder = Path(request.scenario).parent if upload else None
    st.download_button("Download the scenario as TOML", key="toml", on_click="ignore", mime="application/toml",
                       data=lambda: scenario_file(base, resolved, request.shown, folder),
                       file_name=f"{resolved.name}-dashboard.toml",
                       help="only the changes, extending " + request.shown + (" (keep it beside that file)"
                                                                              if upload else ""))


def results(kept: session.Kept, key: str) -> None:
    run, seconds = kept.run, st.session_state.get("seconds", {}).get(key)
    st.subheader(f"Results: {run.scenario.name}, seed {run.seed}, scale {run.scenario.scale:g}, to "
                 f"{run.scenario.end}")
    if seconds is not None:
        st.caption(f"{seconds:.1f} s from Run to result")
    columns = st.columns(len(charts.HEADLINES))
    for column, (label, value) in zip(columns, charts.headline(run)):
        column.metric(label, value)
    for left, right in zip(kept.charts[::2], kept.charts[1::2] + [None]):
        first, second = st.columns(2)
        with first:
            show_chart(left)
        if right is not None:
            with second:
                show_chart(right)
    if kept.death_map is None:
        st.info("This scenario has one region: no map of deaths by region.")
    else:
        show_chart(kept.death_map)


def page() -> None:
    st.title("Scenario")
    st.markdown(SEMANTICS)
    spec, shown, scenario_id = choose_scenario()
    try:
        base = sources.load(spec)
    except ScenarioError as err:
        fail(err)
    st.caption(base.description)
    changes = st.session_state.setdefault("changes", {}).setdefault(scenario_id, {})
    seed, scale, end = run_settings(base, scenario_id)
    parameters(base, scenario_id, changes)
    edits = events(base, scenario_id)
    request = RunRequest(spec, shown, seed, scale, end, sets=tuple(f"{p}={value_text(v)}" for p, v in changes.items()),
                         events=tuple(edits.events), drops=tuple(edits.drops))
    for problem in edits.problems:
        st.warning(problem)
    resolved, said = resolved_scenario(request)
    for line in said:
        st.warning(f"warning: {line}")
    for line in describe_changes(resolved):
        st.caption(f"what-if: {line}")
    key = request.key(resolved)
    collect()
    kept = session.recall(key)
    run_area(request, key, cached=kept is not None)
    hand_on(request, base, resolved, scenario_id)
    if kept is None:
        st.info("Press Run to see this setting's results.")
    else:
        results(kept, key)


page()
