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

    @property
    def companies_per_unit(self) -> float:
        """Companies of `army.unit_persons` men that one model unit stands for (more than one above scale 20)."""
        return self.unit_size * self.scale / self.params.army.unit_persons.value
