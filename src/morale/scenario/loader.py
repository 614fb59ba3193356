"""Loading scenarios: TOML files, `extends`, `--set` overrides, and errors a user can act on.

Every failure raises `ScenarioError`, whose message names the file, the field (as a dotted TOML path), the
value found and what was expected, in one line, so that the CLI can print it without a traceback.
"""

from __future__ import annotations

import copy
import datetime as dt
import difflib
import math
import re
import tomllib
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic

from morale.scenario.schema import Event, Scenario, resolve_target

__all__ = ["RangeWarning", "ScenarioError", "ScenarioWarning", "active_events", "builtin_names", "load_scenario",
           "parse_event", "parse_value", "resolve_target", "split_assignment"]


EVENT_SOURCE = "--event (what-if)"


class ScenarioError(ValueError):
    """A scenario (file, override or object) that cannot be used, said in one line."""


def builtin_names() -> list[str]:
    folder = resources.files("morale.scenario").joinpath("builtin")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


def _builtin_path(name: str):
    return resources.files("morale.scenario").joinpath("builtin", f"{name}.toml")


def _read_toml(spec: str, base: Path | None, referrer: str | None = None) -> tuple[dict[str, Any], str, Path | None]:
    """Read a built-in name or a path; return (data, label for errors, folder for relative extends).

    `referrer` is the label of the file whose `extends` names `spec`, so that a missing parent names it.
    """
    if spec in builtin_names():
        text = _builtin_path(spec).read_text(encoding="utf-8")
        label, folder = f"<built-in {spec}>", None
    else:
        path = Path(spec)
        if base is not None and not path.is_absolute():
            path = base / path
        if not path.is_file():
            hint = difflib.get_close_matches(spec, builtin_names(), n=1)
            known = ", ".join(builtin_names())
            extra = f"; did you mean the built-in '{hint[0]}'?" if hint else f"; built-ins: {known}"
            if referrer is not None:
                raise ScenarioError(f"{referrer}: extends: got {spec!r}; expected an existing scenario file "
                                    f"({path} is none) or a built-in scenario{extra}")
            raise ScenarioError(f"{spec}: no such scenario file or built-in scenario; expected a TOML file or a "
                                f"built-in name{extra}")
        label, folder = str(path), path.parent
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ScenarioError(f"{label}: cannot be read as UTF-8 text ({err}); expected a TOML file") from None
    try:
        return tomllib.loads(text), label, folder
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{label}: not valid TOML: {err}{_toml_line(text, str(err))}; expected a valid TOML "
                            f"file") from None
    except RecursionError:
        raise ScenarioError(f"{label}: arrays or tables nested too deeply; expected the tables of a "
                            f"scenario") from None


def _toml_line(text: str, message: str) -> str:
    """The offending line of a TOML file, quoted, so that the error names the field the user wrote."""
    found = re.search(r"at line (\d+)", message)
    lines = text.splitlines()
    if not found or not 0 < int(found.group(1)) <= len(lines):
        return ""
    line = lines[int(found.group(1)) - 1].strip()
    return f" in {line[:80]!r}"


def _as_param_update(old: Any, new: Any, label: str) -> Any:
    """A bare number over a parameter table keeps its range and distribution and changes its value."""
    if isinstance(old, dict) and "value" in old and isinstance(new, int | float) and not isinstance(new, bool):
        updated = dict(old)
        updated["value"] = float(new)
        updated["source"] = f"set in {label} (was {old.get('value')}: {old.get('source', '')})"
        return updated
    return new


def _merge(parent: dict[str, Any], child: dict[str, Any], label: str) -> dict[str, Any]:
    merged = copy.deepcopy(parent)
    for key, value in child.items():
        if key == "events" and _is_table_list(value) and _is_table_list(merged.get("events", [])):
            merged["events"] = _merge_events(merged.get("events", []), value)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict) and "value" not in merged[key]:
            merged[key] = _merge(merged[key], value, label)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict) and "value" not in value:
            # a partial parameter table (say, only `range`) updates the parent's
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = _as_param_update(merged.get(key), value, label)
    return merged


def _is_table_list(value: Any) -> bool:
    """Events are merged by id only if both are arrays of tables; anything else is left to validation."""
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def _merge_events(parent: list[dict], child: list[dict]) -> list[dict]:
    """A child's event with the id of a parent's event replaces it; others are added."""
    events = [dict(e) for e in parent]
    for event in child:
        same = [i for i, e in enumerate(events) if event.get("id") and e.get("id") == event.get("id")]
        if same:
            events[same[0]] = {**events[same[0]], **event}
        else:
            events.append(dict(event))
    return events


def _resolve(spec: str, base: Path | None, seen: tuple[str, ...],
             referrer: str | None = None) -> tuple[dict[str, Any], str]:
    data, label, folder = _read_toml(spec, base, referrer)
    key = label
    if key in seen:
        chain = " -> ".join([*seen, key])
        raise ScenarioError(f"{label}: extends: cycle {chain}; expected a chain that ends in a full scenario")
    parent_spec = data.pop("extends", None)
    if parent_spec is None:
        return data, label
    if not isinstance(parent_spec, str):
        raise ScenarioError(f"{label}: extends: got {parent_spec!r}; expected a scenario name or file path")
    return _extend(parent_spec, data, folder, (*seen, key), label), label


def _extend(parent_spec: str, data: dict[str, Any], folder: Path | None, seen: tuple[str, ...],
            label: str) -> dict[str, Any]:
    """`data` merged over the scenario it extends (a file's or a dict's `extends`)."""
    parent, _ = _resolve(parent_spec, folder, seen, referrer=label)
    if data.pop("inherit_events", True) is False:  # a scenario of another time replaces the timeline
        parent = {k: v for k, v in parent.items() if k != "events"}
    return _merge(parent, data, label)


def _lookup(tree: dict[str, Any], path: str, label: str) -> tuple[dict[str, Any], str]:
    """The dict holding the last key of a dotted path, with a did-you-mean for unknown keys."""
    node = tree
    parts = path.split(".")
    for depth, part in enumerate(parts):
        if not isinstance(node, dict) or part not in node:
            options = list(node) if isinstance(node, dict) else []
            hint = difflib.get_close_matches(part, options, n=1)
            where = ".".join(parts[:depth]) or "<top level>"
            suggestion = f"; did you mean '{'.'.join([*parts[:depth], hint[0]])}'?" if hint else ""
            raise ScenarioError(f"{label}: {path}: no field '{part}' in {where}; expected the dotted path of a "
                                f"field (see `morale show --grep`){suggestion}")
        if depth == len(parts) - 1:
            return node, part
        node = node[part]
    raise AssertionError("unreachable")


def parse_value(text: str) -> Any:
    """A command-line value read as TOML (1e3, true, "text", [1, 2]); a bare word stays a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        return text


def split_assignment(item: str, flag: str = "--set") -> tuple[str, str]:
    """`PATH=VALUE` -> (path, text of value)."""
    if "=" not in item:
        raise ScenarioError(f"{flag} {item!r}: expected PATH=VALUE, for example combat.intensity=0.05")
    path, value = item.split("=", 1)
    return path.strip(), value.strip()


def parse_event(item: str | dict[str, Any]) -> dict[str, Any]:
    """`DATE:PATH=VALUE` (the --event flag) or a dict {date, target, value[, id, source]} -> an event table."""
    if isinstance(item, dict):
        event = dict(item)
    else:
        date, sep, rest = str(item).partition(":")
        if not sep or "=" not in rest:
            raise ScenarioError(f"--event {item!r}: expected DATE:PATH=VALUE, for example "
                                f"2026-01-01:policy.exit_ban=false")
        try:
            day = dt.date.fromisoformat(date.strip())
        except ValueError:
            raise ScenarioError(f"--event {item!r}: got date {date.strip()!r}; expected YYYY-MM-DD") from None
        path, value = split_assignment(rest, "--event")
        event = {"date": day, "target": path, "value": parse_value(value)}
    event.setdefault("source", EVENT_SOURCE)
    event.setdefault("id", f"what-if:{event.get('target')}@{event.get('date')}")
    return event


class ScenarioWarning(UserWarning):
    """Something a what-if did that the user should hear about in one line (an event dropped by a pin)."""


class RangeWarning(ScenarioWarning):
    """A value outside its parameter's uncertainty range but within its legal bounds: it runs."""


def _describe(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    path = ""
    for i, part in enumerate(err["loc"]):
        if i and err["loc"][i - 1] == "value" and part in ("float", "bool", "int"):
            continue  # the member of a union pydantic tried, not a field
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if len(err["loc"]) > 2 and err["loc"][0] == "events" and isinstance(err["loc"][1], int):
        events = data.get("events") if isinstance(data, dict) else None
        item = events[err["loc"][1]] if isinstance(events, list) and err["loc"][1] < len(events) else None
        if isinstance(item, dict) and isinstance(item.get("target"), str) and err["loc"][2] != "target":
            path += f" (target {item['target']})"
    if err["type"] == "extra_forbidden":
        model_path, key = loc[:-1], loc[-1]
        node = data
        for p in model_path:
            node = node[int(p)] if isinstance(node, list) else node.get(p, {})
        siblings = _known_fields(model_path)
        hint = difflib.get_close_matches(key, siblings, n=1)
        suggestion = f"; did you mean '{'.'.join([*model_path, hint[0]])}'?" if hint else ""
        where = ".".join(p for p in model_path if not p.isdigit()) or "the top level"
        return f"{path}: unknown field (got {_shown(err.get('input'))}); expected a field of {where}{suggestion}"
    if err["type"] == "value_error":
        # the schema's own validators say what they got and what they expected
        message = err["msg"].removeprefix("Value error, ")
        return f"{path}: {message}" if path else message
    if err["type"] == "missing":
        return f"{path}: missing; expected a value for this required field"
    return f"{path}: got {_shown(err.get('input'))}; expected {err['msg'].removeprefix('Input should be ')}"


def _shown(value: Any, limit: int = 60) -> str:
    """A value as the user wrote it, cut short if long (an error is one line)."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list) and len(repr(value)) > limit:
        return f"an array of {len(value)} items"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 20]}... ({len(text):,} characters)"


def _known_fields(model_path: list[str]) -> list[str]:
    """The field names the schema allows at a path (for did-you-mean)."""
    model: Any = Scenario
    for part in model_path:
        if part.isdigit():
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, pydantic.BaseModel)]
        if not candidates:
            return []
        model = candidates[0]
    return list(model.model_fields)


def load_scenario(
    spec: str | Path | Scenario | dict[str, Any] = "russia-2022",
    overrides: dict[str, Any] | list[str] | None = None,
    events: list[str | dict[str, Any]] | None = None,
    drop_events: list[str] | None = None,
    base: dict[str, Any] | None = None,
) -> Scenario:
    """Resolve a scenario given by built-in name, file path, raw dict or object, then apply what-ifs.

    The what-if rules (README, "What-if semantics"), in the order they apply:
    - `base` {path: value}: a new base value (drawn by --uncertainty, a sweep or a calibrated sample); dated
      events still apply on top of it;
    - `overrides` {path: value} or ["path=value"] (--set): pins the path for the whole run: events that would
      change it are dropped (a RangeWarning-free `ScenarioWarning` line each) and endogenous responses treat it
      as fixed;
    - `events` ["DATE:PATH=VALUE"] or dicts (--event): dated changes added to the timeline;
    - `drop_events` [id] (--drop-event): events switched off by id.
    A value outside its range but within its legal bounds runs with a `RangeWarning`; outside its bounds it is
    refused. Every failure raises `ScenarioError` in one line.
    """
    if isinstance(spec, Scenario):
        data, label = spec.model_dump(mode="python"), f"<scenario {spec.name}>"
    elif isinstance(spec, dict):
        data, label = copy.deepcopy(spec), "<dict>"
        if "extends" in data:
            data = _extend(data.pop("extends"), data, None, (), label)
    else:
        data, label = _resolve(str(spec), None, ())
    scenario = _validate(data, label)
    if not (overrides or events or drop_events or base):
        return scenario
    # what-ifs act on the full scenario (defaults filled in), so any field can be set
    data = scenario.model_dump(mode="python")
    flag = "--set" if isinstance(overrides, list) else "overrides"
    said: list[ScenarioWarning] = []  # warned only once the result is valid: a refused input says one line
    for path, value in (base or {}).items():
        _set_value(data, path, value, "base", label, said)
    for path, value in _assignments(overrides, flag):
        _set_value(data, path, value, flag, label, said)
        if _is_parameter_or_switch(data, path):  # a table, a list or a date has no events to drop
            _pin(data, path, flag, said)
    for item in events or []:
        _add_event(data, parse_event(item))
    for event_id in drop_events or []:
        _drop_event(data, event_id, scenario.name)
    changed = ", ".join(x for x, given in ((flag, overrides), ("--event", events), ("--drop-event", drop_events),
                                           ("base values", base)) if given)
    resolved = _validate(data, f"{label} with {changed}")
    for warning in said:
        warnings.warn(warning, stacklevel=2)
    return resolved


def _assignments(overrides: dict[str, Any] | list[str] | None, flag: str) -> list[tuple[str, Any]]:
    if not overrides:
        return []
    if isinstance(overrides, dict):
        return list(overrides.items())
    return [(path, parse_value(text)) for path, text in (split_assignment(o, flag) for o in overrides)]


def _set_value(data: dict[str, Any], path: str, value: Any, flag: str, label: str,
               said: list[ScenarioWarning]) -> None:
    """Set a value; a number outside a parameter's range widens the range, with a warning (the range says
    what is plausible, not what is legal: the bounds are checked when the scenario is validated)."""
    holder, key = _lookup(data, path, flag if flag != "base" else label)
    old = holder[key]
    if isinstance(old, dict) and "value" in old and _is_number(value):
        updated = {**old, "value": float(value), "source": f"{flag} {path}={value} (was {old.get('value')}: "
                                                           f"{old.get('source', '')})"}
        low_high = old.get("range")
        if low_high is not None and math.isfinite(value) and not low_high[0] <= value <= low_high[1]:
            updated["range"] = (min(low_high[0], value), max(low_high[1], value))
            said.append(RangeWarning(f"{flag} {path}={value}: outside its uncertainty range "
                                     f"{low_high[0]:g}..{low_high[1]:g}; it runs (the range is uncertainty, "
                                     f"not law)"))
        holder[key] = updated
    else:
        holder[key] = value


def _is_parameter_or_switch(data: dict[str, Any], path: str) -> bool:
    holder, key = _lookup(data, path, "")
    return isinstance(holder[key], bool) or (isinstance(holder[key], dict) and "value" in holder[key])


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _pin(data: dict[str, Any], path: str, flag: str, said: list[ScenarioWarning]) -> None:
    """Hold `path` for the whole run: drop every enabled event that would change it (one warning each)."""
    if path not in data["pinned"]:
        data["pinned"].append(path)
    events = data["events"] if isinstance(data.get("events"), list) else []  # a bad --set of events: refused later
    for event in (e for e in events if isinstance(e, dict) and isinstance(e.get("target"), str)):
        if event.get("enabled", True) and (event["target"] == path or event["target"].startswith(path + ".")):
            event.update(enabled=False, dropped_by=f"{flag} {path}")
            said.append(ScenarioWarning(f"{flag} {path} pins it for the whole run: event "
                                        f"{event.get('id') or '(no id)'} ({event['date']}: {event['target']} = "
                                        f"{event['value']}) dropped"))


def _add_event(data: dict[str, Any], event: dict[str, Any]) -> None:
    target = event.get("target")
    if target in data["pinned"]:
        raise ScenarioError(f"--event {event.get('date')}:{target}={event.get('value')}: {target} is pinned by "
                            f"--set for the whole run; expected either --set or --event for one path")
    data["events"].append(event)


def _drop_event(data: dict[str, Any], event_id: str, scenario: str) -> None:
    matching = [e for e in data["events"] if e.get("id") == event_id]
    if not matching:
        known = ", ".join(e["id"] for e in data["events"] if e.get("id")) or "none"
        raise ScenarioError(f"--drop-event {event_id!r}: no event with that id in {scenario}; expected one of: "
                            f"{known} (see `morale show {scenario} --events`)")
    for event in matching:
        event.update(enabled=False, dropped_by="--drop-event")


def _validate(data: dict[str, Any], label: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as err:
        # one line per field: the members of a union (a number or a switch) that all failed count once
        described = list(dict.fromkeys(_describe(e, data) for e in err.errors()))
        fields = {d.split(":", 1)[0] for d in described}
        more = f" (and {len(fields) - 1} more)" if len(fields) > 1 else ""
        raise ScenarioError(f"{label}: {described[0]}{more}") from None
    except RecursionError:
        raise ScenarioError(f"{label}: nested too deeply; expected the tables and arrays of a scenario") from None


def active_events(scenario: Scenario) -> list[Event]:
    return sorted((e for e in scenario.events if e.enabled), key=lambda e: e.date)
