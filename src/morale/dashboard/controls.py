"""Parameter widgets drawn from the scenario and its metadata, grouped by section.

A number's widget is limited to the parameter's legal bounds (`morale.scenario.metadata`); its label marks its
uncertainty range and its help gives bounds, unit and source. A change is kept in `changes` (path -> value),
which the page turns into `--set` pins; a value equal to the scenario's own is no change.
"""

from __future__ import annotations

import math
import typing
from dataclasses import dataclass, replace

import streamlit as st
from pydantic import BaseModel

from morale.dashboard.request import value_text
from morale.scenario import metadata
from morale.scenario.schema import Param, Scenario, parameters

# What the readers come to move first: pay, the exit ban, mobilisation, discipline, intensity.
LEVERS = ("pay.monthly_pay", "pay.federal_bonus", "pay.regional_bonus", "policy.exit_ban",
          "policy.new_mobilisation", "policy.conscripts_to_combat", "discipline.regime.contract",
          "discipline.regime.mobilised", "combat.intensity", "information.censorship", "emigration.ban_enforcement")
MAIN = "main levers"


@dataclass(frozen=True)
class Control:
    path: str
    value: float | bool | str
    options: tuple = ()  # the choices of a named setting (a discipline regime)
    bounds: tuple[float, float] | None = None
    range: tuple[float, float] | None = None
    dist: str = ""
    unit: str = ""
    source: str = ""
    events: tuple[str, ...] = ()  # the scenario's dated changes of this path, one line each

    @property
    def kind(self) -> str:
        if isinstance(self.value, bool):
            return "switch"
        return "choice" if self.options else "number"


def controls(scenario: Scenario) -> dict[str, list[Control]]:
    """Every number, switch and named setting, by top-level section, main levers first."""
    dated: dict[str, list[str]] = {}
    for event in sorted(scenario.events, key=lambda e: e.date):
        if event.enabled:
            dated.setdefault(event.target, []).append(f"{event.id or '(no id)'}: {event.date} -> "
                                                      f"{value_text(event.value)}")
    found = [replace(c, events=tuple(dated.get(c.path, ()))) for c in (*_numbers(scenario), *_settings(scenario, ""))]
    by_path = {c.path: c for c in found}
    sections: dict[str, list[Control]] = {MAIN: [by_path[p] for p in LEVERS if p in by_path]}
    for control in sorted(found, key=lambda c: c.path):
        sections.setdefault(control.path.split(".", 1)[0], []).append(control)
    return sections


def event_targets(scenario: Scenario) -> list[str]:
    """The paths an event may change: numbers and switches (`Event.value` is a number or true/false)."""
    return sorted(c.path for group in controls(scenario).values() for c in group if c.kind != "choice")


def _numbers(scenario: Scenario) -> list[Control]:
    found = []
    for path, param in parameters(scenario).items():
        meta = metadata.meta(path)
        found.append(Control(path, param.value, bounds=meta.bounds, range=param.range, dist=param.dist,
                             unit=meta.unit, source=param.source))
    return found


def _settings(node: BaseModel, prefix: str) -> list[Control]:
    """Switches (true/false) and named settings (a `Literal`, such as a regime) under `node`."""
    found = []
    for name, field in type(node).model_fields.items():
        value, path = getattr(node, name), f"{prefix}{name}"
        if isinstance(value, bool):
            found.append(Control(path, value))
        elif typing.get_origin(field.annotation) is typing.Literal:
            found.append(Control(path, value, options=typing.get_args(field.annotation)))
        elif isinstance(value, BaseModel) and not isinstance(value, Param):
            found.extend(_settings(value, f"{path}."))
    return found


def describe(control: Control) -> str:
    """The help shown on hover: source, uncertainty range and distribution, legal bounds and unit."""
    lines = [f"**{control.path}**"]
    if control.range is not None:
        lines.append(f"uncertainty range {control.range[0]:g}..{control.range[1]:g} ({control.dist})")
    if control.bounds is not None:
        lines.append(f"legal bounds {control.bounds[0]:g}..{control.bounds[1]:g} {control.unit}")
    if control.source:
        lines.append(f"source: {control.source}")
    if control.events:
        lines.append("changed by the events " + "; ".join(control.events) + ". A change here pins the value for "
                     "the whole run and switches them off; to keep them, edit the timeline instead.")
    return "\n\n".join(lines)


def label(control: Control, section: str) -> str:
    """The path within its section, with the uncertainty range marked."""
    name = control.path if section == MAIN else control.path.split(".", 1)[1]
    if control.range is not None and control.range[1] > control.range[0]:
        name += f" · range {control.range[0]:g}..{control.range[1]:g}"
    return name + (" · has events" if control.events else "")


def widget_key(scenario_id: str, path: str) -> str:
    return f"param|{scenario_id}|{path}"


def draw(control: Control, section: str, scenario_id: str, changes: dict) -> None:
    """One widget showing the pending change if any, else the scenario's value. A value outside the bounds
    (which the browser does not let through) falls back to the shown one."""
    key = widget_key(scenario_id, control.path)
    value = changes.get(control.path, control.value)
    common = dict(key=key, help=describe(control), on_change=_record, args=(control, key, changes))
    if control.kind == "switch":
        st.toggle(label(control, section), value=value, **common)
    elif control.kind == "choice":
        st.selectbox(label(control, section), control.options, index=control.options.index(value), **common)
    else:
        low, high = control.bounds
        st.number_input(label(control, section), min_value=float(low), max_value=float(high), value=float(value),
                        format="%g", step=_step(control), **common)


def _record(control: Control, key: str, changes: dict) -> None:
    if key not in st.session_state:  # an undo in the same rerun (a click while an edit was pending) wins
        return
    value = st.session_state[key]
    if value == control.value:
        changes.pop(control.path, None)
    else:
        changes[control.path] = value


def forget(scenario_id: str, path: str, changes: dict) -> None:
    """Undo one change (its widget is re-drawn with the scenario's value)."""
    changes.pop(path, None)
    st.session_state.pop(widget_key(scenario_id, path), None)


def _step(control: Control) -> float:
    """A tenth of the uncertainty range's width (or of the value) as the +/- step, rounded to a power of ten."""
    width = (control.range[1] - control.range[0]) if control.range else abs(control.value)
    if width <= 0:
        return 0.01
    return float(10.0 ** round(math.log10(width / 10)))
