"""What every command line of morale shares: one-line user errors, flag checks, and tables a person can read.

`morale.cli` (the top-level commands), `morale.experiments.cli` and `morale.classic.cli` all import this module
and none imports another, so there is no import circle. Errors are printed without Rich markup so that a value
like "[low, high]" reaches the user intact; tables fold long cells at the terminal's width instead of cutting
them, and piped output is plain text (no colour, no box drawing).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.table import Table

T = TypeVar("T")
MIN_PIPED_WIDTH = 160  # wide enough that piped tables rarely fold; a terminal keeps its own width


class UserError(Exception):
    """A mistake in what the user asked for: reported in one line, exit 2."""


def _console(stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    if stream.isatty():
        return Console(stderr=stderr)
    return Console(stderr=stderr, no_color=True, highlight=False, width=MIN_PIPED_WIDTH, emoji=False)


def console() -> Console:
    """Standard output, built when used (so a test runner's captured stream is the one written)."""
    return _console()


def fail(message: str, code: int = 2) -> None:
    """Print `error: message` on one line of stderr (no markup, no wrapping) and exit with `code`."""
    sys.stderr.write(f"error: {' '.join(str(message).split())}\n")
    sys.stderr.flush()
    raise typer.Exit(code)


def warn(message: str) -> None:
    """One line on stderr that does not stop the command."""
    sys.stderr.write(f"warning: {' '.join(str(message).split())}\n")
    sys.stderr.flush()


def user_errors() -> tuple[type[Exception], ...]:
    """Every exception class that carries a one-line message meant for the user."""
    from morale.experiments.executors import SchedulerError
    from morale.experiments.outcomes import OutcomeError
    from morale.experiments.parameters import ParameterError
    from morale.experiments.store import ExperimentFolderError
    from morale.results.run import OutputExistsError
    from morale.scenario.loader import ScenarioError

    return (ScenarioError, OutputExistsError, UserError, OutcomeError, ParameterError, ExperimentFolderError,
            SchedulerError)


def guarded(action: Callable[[], T]) -> T:
    """Run `action`, turning the project's user-facing errors into one line and exit 2."""
    try:
        return action()
    except user_errors() as err:
        fail(str(err))
    raise AssertionError("unreachable")


def check_date(value: str | None, flag: str) -> str | None:
    if value is None:
        return None
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise UserError(f"{flag}: got {value!r}; expected a date YYYY-MM-DD") from None
    return value


def check_scale(value: float | None) -> float | None:
    if value is not None and not 1 <= value <= 10000:
        raise UserError(f"--scale: got {value}; expected persons per agent between 1 and 10000")
    return value


def table(title: str, columns: list[str], right: tuple[str, ...] = (), **options: Any) -> Table:
    """A table whose cells fold instead of being cut; plain ASCII when the output is not a terminal."""
    plain = not sys.stdout.isatty()
    view = Table(title=title, box=box.ASCII if plain else box.HEAVY_HEAD, **options)
    for column in columns:
        view.add_column(column, justify="right" if column in right else "left", overflow="fold")
    return view
