"""Outcomes by name: one number from a run's weekly series, read the way the series is registered.

    X                      a stock's or a mean's last value; a flow's total over the run
    X@DATE                 a stock's or a mean's value in the week containing DATE (the last week on or
                           before it); a flow's cumulative sum up to that week
    sum|mean|max|min(X)    the reducer over the whole run
    sum(X, 2023)           ... over one calendar year
    mean(X, 2023:2024)     ... over years 2023 to 2024, or dates: max(X, 2022-09-21:2023-03-31)

A name is checked against the registered series (`morale.engine.recorder.SERIES`) before any run starts;
an unknown one is an `OutcomeError` with a did-you-mean. So are dates and windows, against the run's span
(`check_outcome_dates`): `killed@2030-01-01` on a run ending 2022-06-30 is an error, not its last value.
For plain Python models (`FunctionModel`) an outcome is the name of a value the function returns.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

REDUCERS = ("sum", "mean", "max", "min")
_CALL = re.compile(r"^(?P<fn>[a-z]+)\(\s*(?P<name>[A-Za-z0-9_]+)\s*(?:,\s*(?P<window>[^)]*?)\s*)?\)$")
_AT = re.compile(r"^(?P<name>[A-Za-z0-9_]+)@(?P<date>.+)$")
_BARE = re.compile(r"^[A-Za-z0-9_]+$")


class OutcomeError(ValueError):
    """An outcome that cannot be computed, said in one line."""


@dataclass(frozen=True)
class Outcome:
    """A parsed outcome expression; `text` is its canonical name (the column it gets in tables)."""

    text: str
    name: str
    reducer: str | None = None  # None: at a date (or the end)
    at: dt.date | None = None
    start: dt.date | None = None
    end: dt.date | None = None

    def evaluate(self, series: pd.DataFrame, kinds: dict[str, str]) -> float:
        """The outcome of one run's weekly series (DatetimeIndex); `kinds` maps series to stock|flow|mean."""
        column = series[self.name]
        if self.reducer is None:
            upto = column if self.at is None else column.loc[: pd.Timestamp(self.at)]
            if upto.empty:
                return float("nan")
            return float(upto.sum()) if kinds.get(self.name) == "flow" else float(upto.iloc[-1])
        window = column
        if self.start is not None or self.end is not None:
            lo = pd.Timestamp(self.start) if self.start else None
            hi = pd.Timestamp(self.end) if self.end else None
            window = column.loc[lo:hi]
        if window.empty:
            return float("nan")
        return float(getattr(np, self.reducer)(window.to_numpy()))


def _date(text: str, whole: str, end_of_year: bool = False) -> dt.date:
    text = text.strip()
    if re.fullmatch(r"\d{4}", text):
        return dt.date(int(text), 12, 31) if end_of_year else dt.date(int(text), 1, 1)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise OutcomeError(f"outcome {whole!r}: got {text!r}; expected a year YYYY or a date YYYY-MM-DD") from None


def _check_name(name: str, whole: str, known: list[str]) -> None:
    if name not in known:
        hint = difflib.get_close_matches(name, known, n=1)
        suggestion = f"; did you mean '{whole.replace(name, hint[0], 1)}'?" if hint else ""
        raise OutcomeError(f"outcome {whole!r}: no series '{name}'; expected a series `morale series` lists"
                           f"{suggestion}")


def parse_outcome(text: str, known: list[str] | None = None) -> Outcome:
    """Parse one expression; `known` is the list of valid names (default: the registered series)."""
    if known is None:
        from morale.engine.recorder import SERIES

        known = list(SERIES)
    whole = text.strip()
    if whole in known:  # a series, or a model's own measure named as it is (an observation id, say)
        return Outcome(whole, whole)
    if match := _CALL.match(whole):
        fn, name, window = match["fn"], match["name"], match["window"]
        if fn not in REDUCERS:
            hint = difflib.get_close_matches(fn, REDUCERS, n=1)
            suggestion = f"; did you mean '{hint[0]}'?" if hint else ""
            raise OutcomeError(f"outcome {whole!r}: unknown reducer '{fn}'{suggestion}; expected one of "
                               f"{', '.join(REDUCERS)}")
        _check_name(name, whole, known)
        start = end = None
        if window:
            if ":" in window:
                a, b = window.split(":", 1)
                start, end = (_date(a, whole) if a.strip() else None), (
                    _date(b, whole, end_of_year=True) if b.strip() else None)
            else:
                start, end = _date(window, whole), _date(window, whole, end_of_year=True)
            if start and end and end < start:
                raise OutcomeError(f"outcome {whole!r}: window ends before it starts; expected START:END with START "
                                   f"<= END")
        canonical = f"{fn}({name}" + (f", {window.strip()}" if window else "") + ")"
        return Outcome(canonical, name, fn, None, start, end)
    if match := _AT.match(whole):
        name = match["name"]
        _check_name(name, whole, known)
        at = _date(match["date"], whole, end_of_year=True)
        return Outcome(f"{name}@{match['date'].strip()}", name, None, at)
    if _BARE.match(whole):
        _check_name(name := whole, whole, known)
        return Outcome(name, name)
    raise OutcomeError(f"outcome {whole!r}: expected X, X@DATE or sum|mean|max|min(X[, YEAR|START:END]), "
                       f"for example killed@2025-12-31 or mean(support_polled, 2024)")


def parse_outcomes(texts: list[str] | tuple[str, ...] | None, known: list[str] | None = None) -> list[Outcome]:
    """Parse several, keeping order and dropping repeats."""
    parsed: dict[str, Outcome] = {}
    for text in texts or []:
        outcome = parse_outcome(text, known)
        parsed.setdefault(outcome.text, outcome)
    return list(parsed.values())


def check_outcome_dates(outcomes: list[Outcome], start: dt.date, end: dt.date) -> None:
    """Before any run: every date and window of `outcomes` must lie within the run's span start..end (a date
    past the end would silently read the last week, a window past it would be silently cut). A year window
    (`sum(X, 2022)`) counts from the later of January 1 and the run's start: a run that starts during a year
    covers that year from its start, so only the end is held to the span."""
    span = f"{start}..{end}"
    for o in outcomes:
        if o.at is not None and not start <= o.at <= end:
            side = "after the run's end" if o.at > end else "before the run's start"
            later = " (or a later --end)" if o.at > end else ""
            raise OutcomeError(f"outcome {o.text!r}: date {o.at} is {side}; expected a date within the run, "
                               f"{span}{later}")
        if o.end is not None and o.end > end:
            raise OutcomeError(f"outcome {o.text!r}: window ends {o.end}, after the run's end; expected a window "
                               f"within the run, {span} (or a later --end)")
        if o.start is not None and o.start > end:
            raise OutcomeError(f"outcome {o.text!r}: window starts {o.start}, after the run's end; expected a "
                               f"window within the run, {span}")
        if o.end is not None and o.end < start:
            raise OutcomeError(f"outcome {o.text!r}: window ends {o.end}, before the run's start; expected a "
                               f"window within the run, {span}")
        if o.start is not None and o.start < start and not _whole_year_start(o, start):
            raise OutcomeError(f"outcome {o.text!r}: window starts {o.start}, before the run's start; expected a "
                               f"window within the run, {span}")


def _whole_year_start(o: Outcome, start: dt.date) -> bool:
    """A window written with a year (`2022` or `2022:2023`) whose first year is the run's first year."""
    return o.start == dt.date(start.year, 1, 1) and bool(re.search(r"[(,]\s*\d{4}\s*(?::|\))", o.text))


def evaluate_all(outcomes: list[Outcome], series: pd.DataFrame, kinds: dict[str, str]) -> dict[str, float]:
    return {o.text: o.evaluate(series, kinds) for o in outcomes}
