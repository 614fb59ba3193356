"""A run the Scenario page asks for, in the command line's own terms.

The page never builds a `Simulation` any other way: its run and the `morale run ...` line it shows come from
one `RunRequest`, whose fields are the flags of `morale run` (`--set` pins, `--event`, `--drop-event`, seed,
scale, end), passed to `Simulation` exactly as the command does. So the command line reproduces the page's run
bit for bit, and the resolved scenario (and so the result key) is the same both ways.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from morale.dashboard.cache import result_key
from morale.engine.simulation import Simulation, resolve
from morale.scenario.schema import Scenario


@dataclass(frozen=True)
class RunRequest:
    """`scenario` is what the worker loads (a built-in name or a file path); `shown` is how the command line
    names it (the uploaded file's own name, not the temporary copy's path)."""

    scenario: str
    shown: str
    seed: int
    scale: float
    end: str
    sets: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    drops: tuple[str, ...] = ()

    def arguments(self) -> dict:
        """`Simulation`'s arguments, as `morale run` passes them (empty lists as None)."""
        return dict(seed=self.seed, scale=self.scale, end=self.end, overrides=list(self.sets) or None,
                    events=list(self.events) or None, drop_events=list(self.drops) or None)

    def simulation(self) -> Simulation:
        return Simulation(self.scenario, **self.arguments())

    def resolve(self) -> Scenario:
        """The scenario the run will use (raises `ScenarioError` in one line, as the command would)."""
        return resolve(self.scenario, **self.arguments())

    def key(self, resolved: Scenario) -> str:
        """The result key: `resolved` (this request's scenario) and the run's arguments."""
        return result_key(resolved, kind="run", seed=self.seed, scale=self.scale, end=self.end)

    def command(self) -> str:
        """The equivalent `morale run ...` line, quoted for a POSIX shell."""
        words = ["morale", "run", self.shown, "--seed", str(self.seed), "--scale", number_text(self.scale),
                 "--end", self.end]
        for flag, values in (("--set", self.sets), ("--event", self.events), ("--drop-event", self.drops)):
            for value in values:
                words += [flag, value]
        return shlex.join(words)


def number_text(value: float) -> str:
    """A number as the command line writes it: whole numbers without ".0", others exactly (repr)."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(float(value))


def value_text(value: bool | float | str) -> str:
    """A value as `--set`/`--event` text, read back by the loader as TOML to the same value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    return str(value)
