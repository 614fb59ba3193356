"""The event timeline as an editable table, and the table's edits as the command line's what-ifs.

The table lists the scenario's own events. An edit becomes what `morale run` can say: an event switched off or
deleted is `--drop-event ID`; an event whose date, target or value changed is dropped and added again as
`--event DATE:PATH=VALUE`; a new row is `--event`. Values are typed as on the command line (TOML: 160000,
0.05, true), so the page and the command read them the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from morale.dashboard.request import value_text
from morale.scenario.loader import parse_value
from morale.scenario.schema import Scenario

COLUMNS = ["id", "date", "target", "value", "on", "source"]


@dataclass
class Edits:
    events: list[str] = field(default_factory=list)  # --event DATE:PATH=VALUE
    drops: list[str] = field(default_factory=list)  # --drop-event ID
    problems: list[str] = field(default_factory=list)  # edits the command line cannot say, one line each


def table(scenario: Scenario) -> pd.DataFrame:
    """The scenario's events in date order, one row each, values as command-line text."""
    rows = [{"id": e.id or "", "date": e.date, "target": e.target, "value": value_text(e.value), "on": e.enabled,
             "source": e.source} for e in sorted(scenario.events, key=lambda e: e.date)]
    return pd.DataFrame(rows, columns=COLUMNS)


def edits(original: pd.DataFrame, edited: pd.DataFrame) -> Edits:
    """What changed between the scenario's table and the edited one (rows keep their index; new rows have
    new index labels)."""
    found = Edits()
    for index, row in original.iterrows():
        after = edited.loc[index] if index in edited.index else None
        off = after is None or not bool(after["on"])
        moved = after is not None and (_date(after["date"]) != row["date"] or after["target"] != row["target"]
                                       or not _same(after["value"], row["value"]))
        if (off and not row["on"]) or (not off and not moved and row["on"]):
            continue  # unchanged
        if row["on"] and not row["id"]:
            found.problems.append(f"event {row['date']} {row['target']}: has no id, so the command line cannot "
                                  f"drop or change it; expected an event with an id (edit the scenario file)")
            continue
        if row["on"]:
            found.drops.append(row["id"])
        if not off:
            _add(found, after)
    for index in edited.index.difference(original.index):
        _add(found, edited.loc[index])
    return found


def _add(found: Edits, row: pd.Series) -> None:
    date, target, value = _date(row["date"]), row["target"], row["value"]
    if date is None or _blank(target) or _blank(value):
        found.problems.append("a new event needs a date, a target and a value; the incomplete row is left out")
        return
    found.events.append(f"{date.isoformat()}:{target}={str(value).strip()}")


def _blank(value) -> bool:
    return value is None or (not isinstance(value, str) and pd.isna(value)) or not str(value).strip()


def _date(value) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None  # a new row's empty cell
    return pd.Timestamp(value).date()


def _same(text, original_text: str) -> bool:
    """Equal as values (160000 and 160000.0 are the same number)."""
    return not _blank(text) and parse_value(str(text).strip()) == parse_value(original_text)
