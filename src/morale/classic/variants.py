"""Presets: the paper's rules and the two well-known ports, and the runs of the paper's Table 2.

A variant is a full set of options; ``simulate(..., variant=v, **options)`` starts from it and lets explicit
options override. Every switch below is a point where a port departs from the paper; docs/classic.md gives
each one's source and effect.
"""

import math
from dataclasses import dataclass

PAPER = {
    "width": 40,
    "height": 40,
    "citizen_density": 0.7,
    "cop_density": 0.04,
    "vision": 7.0,
    "cop_vision": None,
    "legitimacy": 0.82,
    "max_jail": 30,
    "threshold": 0.1,
    "k": 2.3,
    "movement": True,
    "neighbourhood": "von_neumann",
    "own_cell_in_view": False,
    "ratio": "plain",
    "order": "move_act",
    "jail": "removed",
    "jail_clock": "activation",
    "max_jail_inclusive": True,
    "cop_to_arrestee": False,
    "placement": "exact",
}
"""Epstein (2002) Model I as written; world and defaults of Table 2's Run 2."""

MESA = {
    **PAPER,
    "cop_density": 0.074,
    "legitimacy": 0.8,
    "max_jail": 1000,
    "ratio": "round",
    "order": "act_move",
    "jail": "blocking",
    "placement": "bernoulli",
}
"""Mesa 3.3.1's ``epstein_civil_violence`` example, with its defaults."""

NETLOGO = {
    **PAPER,
    "neighbourhood": "euclidean",
    "own_cell_in_view": True,
    "ratio": "floor",
    "jail": "shared",
    "jail_clock": "tick",
    "max_jail_inclusive": False,
    "cop_to_arrestee": True,
}
"""NetLogo's Rebellion (Wilensky 2004), with its defaults."""

VARIANTS = {"paper": PAPER, "mesa": MESA, "netlogo": NETLOGO}


@dataclass(frozen=True)
class GradualDecline:
    """Legitimacy cut "in small increments", the paper's salami tactics (Fig. 9): ``per_step`` each step."""

    start: float = 0.9
    per_step: float = 0.01
    floor: float = 0.2
    begin: int = 0
    """Last step at the starting value."""

    def __call__(self, step):
        return max(self.floor, self.start - self.per_step * max(0, step - self.begin))


@dataclass(frozen=True)
class SuddenDrop:
    """A smaller cut at once (Fig. 10): ``before`` until step ``at``, then ``after``."""

    before: float = 0.9
    after: float = 0.7
    at: int = 77

    def __call__(self, step):
        return self.before if step < self.at else self.after


TABLE2_RUNS = {
    1: {"vision": 1.7, "legitimacy": 0.89, "max_jail": 15, "cop_density": 0.04, "movement": False},
    2: {"vision": 7.0, "legitimacy": 0.82, "max_jail": 30, "cop_density": 0.04},
    3: {"vision": 7.0, "legitimacy": GradualDecline(), "max_jail": math.inf, "cop_density": 0.074},
    4: {"vision": 7.0, "legitimacy": SuddenDrop(), "max_jail": math.inf, "cop_density": 0.074},
    5: {"vision": 7.0, "legitimacy": 0.8, "max_jail": math.inf, "cop_density": 0.074},
}
"""Options of the paper's runs, to use with the paper variant (40x40, citizen density 0.7, T = 0.1, k = 2.3).

Run 1 freezes the citizens (cops still patrol); Run 5 is the cop reduction, here the starting point of a
comparison across cop densities rather than cops removed during a run.
"""
