"""What every command line of morale shares: one-line user errors, flag checks, and tables a person can read.

`morale.cli` (the top-level commands), `morale.experiments.cli` and `morale.classic.cli` all import this module
and none imports another, so there is no import circle. Errors are printed without Rich markup so that a value
like "[low, high]" reaches the user intact; tables fold long cells at the terminal's width instead of cutting
them, and piped output is plain text (no colour, no box drawing).
"""

from __future__ import annotations

import datetime as dt
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup
from typer.exceptions import TyperException

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


def _say(kind: str, message: str) -> None:
    sys.stderr.write(f"{kind}: {' '.join(str(message).split())}\n")
    sys.stderr.flush()


def fail(message: str, code: int = 2) -> None:
    """Print `error: message` on one line of stderr (no markup, no wrapping) and exit with `code`."""
    _say("error", message)
    raise typer.Exit(code)


def warn(message: str) -> None:
    """One line on stderr that does not stop the command."""
    _say("warning", message)


class OneLineErrors(TyperGroup):
    """The root command group: a bad flag or option value (click's usage errors) is one `error:` line and
    exit 2, like every other user error, and a warning (a value outside its uncertainty range, an event a pin
    dropped) is one `warning:` line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        with warnings.catch_warnings():
            warnings.simplefilter("always", UserWarning)
            warnings.showwarning = _one_line_warning
            try:
                code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            except typer.Abort:
                code = _say("error", "aborted") or 1
            except TyperException as err:  # click's usage errors: no such option, a bad value for a flag
                code = _say("error", usage_message(err)) or getattr(err, "exit_code", 2)
        if not standalone_mode:
            return code
        sys.exit(code if isinstance(code, int) else 0)


def usage_message(err: Exception) -> str:
    """A click usage error as "--flag: got VALUE; expected ..." where the value is known."""
    param = getattr(err, "param", None)
    flag = (getattr(param, "opts", None) or [getattr(param, "name", None) or ""])[0]
    cause = err.__cause__
    if flag and hasattr(cause, "errors"):
        first = cause.errors()[0]
        expected = first["msg"].removeprefix("Input should be ")
        return f"{flag}: got {first.get('input')!r}; expected {expected}"
    message = err.format_message() if hasattr(err, "format_message") else str(err)
    return message if "expected" in message else f"{message}; expected what the command's --help lists"


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    if issubclass(category, UserWarning):
        warn(str(message))


def user_errors() -> tuple[type[Exception], ...]:
    """Every exception class that carries a one-line message meant for the user."""
    from morale.calibration.shipped import CalibrationMissing, StaleCalibration
    from morale.experiments.executors import SchedulerError
    from morale.experiments.outcomes import OutcomeError
    from morale.experiments.parameters import ParameterError
    from morale.experiments.store import ExperimentFolderError
    from morale.results.run import OutputExistsError
    from morale.scenario.loader import ScenarioError

    return (ScenarioError, OutputExistsError, UserError, OutcomeError, ParameterError, ExperimentFolderError,
            SchedulerError, CalibrationMissing, StaleCalibration)


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
