"""What every process reads besides the state: current parameters, calendar, regions, random keys."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from morale.engine.calendar import Calendar
from morale.engine.regions import Regions
from morale.scenario.schema import Scenario


@dataclass
class Context:
    params: Scenario  # the scenario with this week's events applied (a private copy)
    calendar: Calendar
    regions: Regions
    keys: dict[str, np.uint64]
    unit_size: int
    derived: dict[str, float | np.ndarray] = field(default_factory=dict)  # constants set up once per run

    @property
    def scale(self) -> float:
        return self.params.scale
