"""What-if changes a run carries, said in one line each: paths pinned by `--set`, events added by `--event`,
events dropped (by a pin or by `--drop-event`). Reports and `morale show` print these lines.

The changes live in the scenario itself (`Scenario.pinned`, `Event.dropped_by`, the `--event` source), so the
scenario.toml of a run folder reproduces the run and this list alike.
"""

from __future__ import annotations

from morale.scenario.loader import EVENT_SOURCE
from morale.scenario.schema import Scenario, parameters, resolve_target


def describe_changes(scenario: Scenario) -> list[str]:
    """One line per what-if change the scenario carries (pins, added and dropped events); [] if none."""
    lines = []
    values = parameters(scenario)
    for path in scenario.pinned:
        node, attribute = resolve_target(scenario, path, leaves_only=False)
        value = values[path].value if path in values else getattr(node, attribute)
        lines.append(f"set {path} = {_shown(value)} for the whole run (pinned)")
    for event in sorted(scenario.events, key=lambda e: e.date):
        if event.dropped_by:
            lines.append(f"dropped event {event.id or '(no id)'} ({event.date}: {event.target} = "
                         f"{_shown(event.value)}) by {event.dropped_by}")
        elif event.source == EVENT_SOURCE:
            lines.append(f"added event {event.date}: {event.target} = {_shown(event.value)}")
    return lines


def _shown(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"{value:g}" if isinstance(value, float) else str(value)
