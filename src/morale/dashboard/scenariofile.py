"""The page's scenario as a TOML file to hand on: the smallest file that `extends` the scenario it started from.

The file holds only what the page changed, as the resolved scenario has it: each pinned parameter's table (value,
widened range, the `--set` source), `pinned`, the dropped events (by id, `enabled = false` and who dropped
them), the added events, and seed, scale and end. Loaded, it gives the page's resolved scenario exactly; this is
checked when the file is made, and if an edit cannot be said that way (an event without an id) the whole
resolved scenario is written instead, as a run folder's scenario.toml is.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import tomli_w

from morale.results.run import scenario_toml
from morale.scenario.loader import ScenarioError, load_scenario
from morale.scenario.schema import Scenario


def scenario_file(base: Scenario, resolved: Scenario, extends: str, folder: Path | None = None) -> str:
    """TOML that reproduces `resolved`; `extends` names `base` as the file's reader will find it (a built-in
    name, or a file beside it; `folder` holds that file when it is not a built-in)."""
    header = f"# made by the morale dashboard from {extends}: `morale run THIS.toml --seed {resolved.seed}`\n"
    old, new = (s.model_dump(mode="python", exclude_none=True) for s in (base, resolved))
    changes = _difference({k: v for k, v in old.items() if k != "events"},
                          {k: v for k, v in new.items() if k != "events"})
    events = _event_changes(old["events"], new["events"])
    if events is not None:
        text = header + tomli_w.dumps({"extends": extends, **changes, **({"events": events} if events else {})})
        if _loads_to(text, resolved, folder):
            return text
    return f"# made by the morale dashboard: the whole resolved scenario\n{scenario_toml(resolved)}"


def _difference(old: dict, new: dict) -> dict:
    """The keys of `new` that differ from `old`; tables of settings recurse, a parameter's table is whole."""
    changed = {}
    for key, value in new.items():
        before = old.get(key)
        if value == before:
            continue
        if isinstance(value, dict) and isinstance(before, dict) and "value" not in value:
            changed[key] = _difference(before, value)
        else:
            changed[key] = value
    return changed


def _event_changes(old: list[dict], new: list[dict]) -> list[dict] | None:
    """Events that differ, by id (a child file's event with a parent's id updates it); None if an event has no
    id or one was removed, which a child file cannot say."""
    before = {e.get("id"): e for e in old}
    if None in before or any(e.get("id") is None for e in new) or not set(before) <= {e["id"] for e in new}:
        return None
    changed = []
    for event in new:
        parent = before.get(event["id"])
        if parent is None:
            changed.append(event)
        elif event != parent:
            changed.append({"id": event["id"], **{k: v for k, v in event.items() if parent.get(k) != v}})
    return changed


def _loads_to(text: str, resolved: Scenario, folder: Path | None) -> bool:
    """Whether `text`, read as a file in `folder` (beside the file it extends), is `resolved`."""
    with tempfile.NamedTemporaryFile("w", suffix=".toml", dir=folder, encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        try:
            return load_scenario(handle.name) == resolved
        except ScenarioError:
            return False
