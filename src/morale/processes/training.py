"""Training (M7): recruits accrue weeks of training; when they have their stream's weeks they join the rear.

How long each stream trains is a scenario parameter (`training.weeks`); what training buys is effectiveness
in combat (see `combat.effectiveness`).
"""

from __future__ import annotations

from numba import njit

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.state import State


@njit(cache=True)
def _train(soldiers, n_soldiers, flows):
    for row in range(n_soldiers):
        if soldiers[C.S_LOCATION, row] != C.TRAINING:
            continue
        soldiers[C.S_TRAINING, row] += 1
        if soldiers[C.S_TRAINING, row] >= soldiers[C.S_TRAINING_NEEDED, row]:
            soldiers[C.S_LOCATION, row] = C.REAR
            flows[C.F_GRADUATED, soldiers[C.S_STREAM, row]] += 1


def step(state: State, ctx: Context) -> None:
    _train(state.soldiers, state.n_soldiers, state.flows)
