"""Loading scenarios: TOML files, `extends`, `--set` overrides, and errors a user can act on.

Every failure raises `ScenarioError`, whose message names the file, the field (as a dotted TOML path), the
value found and what was expected, in one line, so that the CLI can print it without a traceback.
"""

from __future__ import annotations

import copy
import difflib
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pydantic

from morale.scenario.schema import Event, Param, Scenario


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
            raise ScenarioError(f"{spec}: no such scenario file or built-in scenario{extra}")
        label, folder = str(path), path.parent
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ScenarioError(f"{label}: cannot be read as UTF-8 text ({err}); expected a TOML file") from None
    try:
        return tomllib.loads(text), label, folder
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{label}: not valid TOML: {err}") from None


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
    parent, _ = _resolve(parent_spec, folder, (*seen, key), referrer=label)
    if data.pop("inherit_events", True) is False:  # a scenario of another time replaces the timeline
        parent = {k: v for k, v in parent.items() if k != "events"}
    return _merge(parent, data, label), label


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
            raise ScenarioError(f"{label}: {path}: no field '{part}' in {where}{suggestion}")
        if depth == len(parts) - 1:
            return node, part
        node = node[part]
    raise AssertionError("unreachable")


def _parse_value(text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any] | list[str] | None, label: str) -> dict:
    """Apply `path=value` overrides (CLI strings or a dict) to raw scenario data."""
    if not overrides:
        return data
    data = copy.deepcopy(data)
    pairs = overrides.items() if isinstance(overrides, dict) else [_split(o) for o in overrides]
    for path, value in pairs:
        value = _parse_value(value) if isinstance(value, str) and not isinstance(overrides, dict) else value
        holder, key = _lookup(data, path, label)
        holder[key] = _as_param_update(holder[key], value, label)
    return data


def _split(item: str) -> tuple[str, str]:
    if "=" not in item:
        raise ScenarioError(f"--set {item!r}: expected PATH=VALUE, for example combat.intensity=1.2")
    path, value = item.split("=", 1)
    return path.strip(), value.strip()


def _describe(err: dict[str, Any], data: dict[str, Any]) -> str:
    loc = [str(p) for p in err["loc"]]
    path = ".".join(loc)
    if err["type"] == "extra_forbidden":
        model_path, key = loc[:-1], loc[-1]
        node = data
        for p in model_path:
            node = node[int(p)] if isinstance(node, list) else node.get(p, {})
        siblings = _known_fields(model_path)
        hint = difflib.get_close_matches(key, siblings, n=1)
        suggestion = f"; did you mean '{'.'.join([*model_path, hint[0]])}'?" if hint else ""
        return f"{path}: unknown field{suggestion}"
    if err["type"] == "value_error":
        # the schema's own validators say what they got and what they expected
        message = err["msg"].removeprefix("Value error, ")
        return f"{path}: {message}" if path else message
    if err["type"] == "missing":
        return f"{path}: missing; expected a value for this required field"
    value = err.get("input")
    shown = repr(value) if not isinstance(value, dict) else "a table"
    return f"{path}: got {shown}; expected {err['msg'].removeprefix('Input should be ')}"


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


def _check_event_targets(scenario: Scenario, label: str) -> None:
    for i, event in enumerate(scenario.events):
        try:
            resolve_target(scenario, event.target)
        except ScenarioError as err:
            raise ScenarioError(f"{label}: events[{i}].target: {err}") from None


def resolve_target(scenario: Scenario, target: str) -> tuple[Any, str]:
    """The object and attribute an event target names; only numeric parameters and policy switches."""
    node: Any = scenario
    parts = target.split(".")
    for depth, part in enumerate(parts):
        fields = list(type(node).model_fields) if isinstance(node, pydantic.BaseModel) else []
        if part not in fields:
            hint = difflib.get_close_matches(part, fields, n=1)
            suggestion = f"; did you mean '{'.'.join([*parts[:depth], hint[0]])}'?" if hint else ""
            raise ScenarioError(f"'{target}' names no parameter{suggestion}")
        if depth == len(parts) - 1:
            leaf = getattr(node, part)
            if not isinstance(leaf, Param | bool):
                raise ScenarioError(f"'{target}' is not a number or a policy switch")
            return node, part
        node = getattr(node, part)
    raise AssertionError("unreachable")


def load_scenario(
    spec: str | Path | Scenario | dict[str, Any] = "russia-2022",
    overrides: dict[str, Any] | list[str] | None = None,
) -> Scenario:
    """Resolve a scenario given by built-in name, file path, raw dict or object, then apply overrides."""
    if isinstance(spec, Scenario):
        data, label = spec.model_dump(mode="python"), f"<scenario {spec.name}>"
    elif isinstance(spec, dict):
        data, label = copy.deepcopy(spec), "<dict>"
        if "extends" in data:
            parent, _ = _resolve(data.pop("extends"), None, ())
            data = _merge(parent, data, label)
    else:
        data, label = _resolve(str(spec), None, ())
    scenario = _validate(data, label)
    if overrides:
        # overrides act on the full scenario (defaults filled in), so any field can be set
        where = "--set" if isinstance(overrides, list) else "overrides"
        data = apply_overrides(scenario.model_dump(mode="python"), overrides, where)
        scenario = _validate(data, f"{label} with {where}")
    _check_event_targets(scenario, label)
    return scenario


def _validate(data: dict[str, Any], label: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        raise ScenarioError(f"{label}: {_describe(first, data)}{more}") from None


def active_events(scenario: Scenario) -> list[Event]:
    return sorted((e for e in scenario.events if e.enabled), key=lambda e: e.date)
