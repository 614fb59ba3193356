"""The compiled step loop: random-order asynchronous activation over plain arrays.

Each period every citizen and cop is activated once, in a fresh random order, and each sees the lattice
exactly as the agents activated before it left it. Exactness at speed comes from count fields kept current
after every single move, arrest and change of state (rows of ``fields``):

- COP_SEEN[c]: cops in the citizen window of cell c;
- ACTIVE_SEEN[c]: active citizens in the citizen window of c;
- ACTIVE_HERE[c]: active citizens on c (a cop scans it to pick whom to arrest);
- BLOCKERS[c]: occupants that make c unavailable as a destination;
- FIRST[c]: first of the citizens on c, who form a list through people[:, NEXT].

A citizen's decision reads two numbers; only cops, and active citizens who move or turn, pay for a window
update. Helpers take the arrays one by one, never the ``State`` tuple (see ``_lattice``).
"""

from typing import NamedTuple

import numpy as np
from numba import njit

from morale.classic import _rng
from morale.classic._lattice import add_around, nth_in_window, random_free_cell, random_free_in_window
from morale.classic._prefetch import prefetch
from morale.kernels.epstein import arrest_probability, grievance, is_active

ACTIVE, JAILED, TERM, CELL, NEXT = range(5)
"""Columns of ``people`` (int64). CELL is -1 while off the lattice; NEXT is -1 at the end of a cell's list."""
HARDSHIP, RISK_AVERSION = range(2)
"""Columns of ``traits`` (float64)."""
COP_SEEN, ACTIVE_SEEN, ACTIVE_HERE, BLOCKERS, FIRST = range(5)
"""Rows of ``fields`` (int32, one column per cell)."""
JAIL_REMOVED, JAIL_BLOCKING, JAIL_SHARED = range(3)
"""Where the jailed are: off the lattice (paper), on their cell blocking it (Mesa), on it unseen (NetLogo)."""
CLOCK_ACTIVATION, CLOCK_TICK = range(2)
"""A jail term counts the prisoner's own activations (Mesa, paper) or ends of periods (NetLogo)."""
LIFE = 1 << 62
"""The jail term of J_max = infinity: more activations than any run will have."""
QUIET_CODE, ACTIVE_CODE, JAILED_CODE, COP_CODE = range(1, 5)
"""Codes of a lattice picture; 0 is an empty cell."""


class Rules(NamedTuple):
    """The scalar parameters of a run, in the types the compiled code expects."""

    width: int
    height: int
    k: float
    threshold: float
    ratio_mode: int
    max_jail: int
    """-1 for a life sentence."""
    jail_inclusive: bool
    jail_mode: int
    clock: int
    move_first: bool
    movement: bool
    cop_to_arrestee: bool
    own_cell: bool
    """An agent's own cell is inside its view (NetLogo), so an active citizen counts itself twice."""
    same_window: bool
    """Cops see exactly what citizens see, so ACTIVE_SEEN answers a cop's count too."""


class State(NamedTuple):
    """Every array of a run; the activation ``order`` holds citizens 0..n-1 and cops n..n+m-1."""

    people: np.ndarray
    traits: np.ndarray
    fields: np.ndarray
    cops: np.ndarray
    """Cell of each cop."""
    order: np.ndarray
    rng: np.ndarray
    tally: np.ndarray
    """[actives, jailed], kept current."""


@njit(cache=True, _nrt=False)
def _enter(people, fields, i, cell):
    people[i, NEXT] = fields[FIRST, cell]
    fields[FIRST, cell] = i
    people[i, CELL] = cell


@njit(cache=True, _nrt=False)
def _leave(people, fields, i):
    cell = people[i, CELL]
    if fields[FIRST, cell] == i:
        fields[FIRST, cell] = people[i, NEXT]
    else:
        j = fields[FIRST, cell]
        while people[j, NEXT] != i:
            j = people[j, NEXT]
        people[j, NEXT] = people[i, NEXT]
    people[i, CELL] = -1


@njit(cache=True, _nrt=False)
def _mark_active(fields, cell, delta, view_rows, rules):
    fields[ACTIVE_HERE, cell] += delta
    add_around(fields, ACTIVE_SEEN, cell, delta, view_rows, rules.own_cell, rules.width, rules.height)


@njit(cache=True, _nrt=False)
def _decides_active(traits, fields, i, cell, legitimacy, rules, seen_self):
    """Rule A at ``cell``; ``seen_self`` is 1 when the citizen is active, sees its own cell but is not yet
    counted in ACTIVE_SEEN there (it has just moved).

    A citizen whose grievance is at most the threshold stays quiet whatever it sees (R P >= 0), so it is
    answered without reading its cell's counts: the same decision, exactly, for less work.
    """
    g = grievance(traits[i, HARDSHIP], legitimacy)
    if g <= rules.threshold:
        return False
    actives = 1 + fields[ACTIVE_SEEN, cell] + seen_self
    p = arrest_probability(fields[COP_SEEN, cell], actives, rules.k, rules.ratio_mode)
    return is_active(g, traits[i, RISK_AVERSION], p, rules.threshold)


@njit(cache=True, _nrt=False)
def _turn_to(people, fields, tally, i, now, view_rows, rules):
    """Set citizen i's state where it stands, updating the fields if it changed."""
    if now != (people[i, ACTIVE] == 1):
        delta = 1 if now else -1
        _mark_active(fields, people[i, CELL], delta, view_rows, rules)
        people[i, ACTIVE] = 1 if now else 0
        tally[0] += delta


@njit(cache=True, _nrt=False)
def _relocate_citizen(people, fields, i, target, rules):
    fields[BLOCKERS, people[i, CELL]] -= 1
    _leave(people, fields, i)
    if rules.jail_mode == JAIL_SHARED:
        _enter(people, fields, i, target)
    else:
        # nobody at all stands on a free cell unless prisoners share cells: writing the list head without
        # reading it saves a cache miss per move
        people[i, NEXT] = -1
        fields[FIRST, target] = i
        people[i, CELL] = target
    fields[BLOCKERS, target] += 1


@njit(cache=True, _nrt=False)
def _release(people, fields, rng, tally, i, rules):
    people[i, JAILED] = 0
    tally[1] -= 1
    if rules.jail_mode == JAIL_REMOVED:
        cell = random_free_cell(rng, fields, BLOCKERS)
        _enter(people, fields, i, cell)
        fields[BLOCKERS, cell] += 1
    elif rules.jail_mode == JAIL_SHARED:
        fields[BLOCKERS, people[i, CELL]] += 1


@njit(cache=True, _nrt=False)
def _citizen_turn(people, traits, fields, rng, tally, i, legitimacy, view_rows, view_cells, rules):
    if people[i, JAILED]:
        if rules.clock == CLOCK_TICK:
            return
        if people[i, TERM] > 0:
            people[i, TERM] -= 1
            return
        _release(people, fields, rng, tally, i, rules)
    cell = people[i, CELL]
    if not rules.movement:
        _turn_to(
            people, fields, tally, i, _decides_active(traits, fields, i, cell, legitimacy, rules, 0), view_rows, rules
        )
        return
    if rules.move_first:
        target = random_free_in_window(rng, fields, BLOCKERS, cell, view_cells, rules.width, rules.height)
        if target < 0:
            _turn_to(
                people,
                fields,
                tally,
                i,
                _decides_active(traits, fields, i, cell, legitimacy, rules, 0),
                view_rows,
                rules,
            )
            return
        was = people[i, ACTIVE]
        if was:
            _mark_active(fields, cell, -1, view_rows, rules)
        _relocate_citizen(people, fields, i, target, rules)
        seen_self = 1 if was and rules.own_cell else 0
        now = 1 if _decides_active(traits, fields, i, target, legitimacy, rules, seen_self) else 0
        if now:
            _mark_active(fields, target, 1, view_rows, rules)
        people[i, ACTIVE] = now
        tally[0] += now - was
    else:
        _turn_to(
            people, fields, tally, i, _decides_active(traits, fields, i, cell, legitimacy, rules, 0), view_rows, rules
        )
        target = random_free_in_window(rng, fields, BLOCKERS, cell, view_cells, rules.width, rules.height)
        if target < 0:
            return
        if people[i, ACTIVE]:
            _mark_active(fields, cell, -1, view_rows, rules)
            _mark_active(fields, target, 1, view_rows, rules)
        _relocate_citizen(people, fields, i, target, rules)


@njit(cache=True, _nrt=False)
def _relocate_cop(fields, cops, j, target, view_rows, rules):
    cell = cops[j]
    add_around(fields, COP_SEEN, cell, -1, view_rows, rules.own_cell, rules.width, rules.height)
    fields[BLOCKERS, cell] -= 1
    cops[j] = target
    fields[BLOCKERS, target] += 1
    add_around(fields, COP_SEEN, target, 1, view_rows, rules.own_cell, rules.width, rules.height)


@njit(cache=True, _nrt=False)
def _jail_term(rng, rules):
    if rules.max_jail < 0:
        return LIFE
    if rules.jail_inclusive:
        return _rng.below(rng, rules.max_jail + 1)
    return _rng.below(rng, rules.max_jail) if rules.max_jail > 0 else 0


@njit(cache=True, _nrt=False)
def _enforce(people, fields, cops, rng, tally, j, view_rows, cop_rows, rules):
    """Rule C: arrest one active citizen drawn uniformly from those the cop sees."""
    cell = cops[j]
    if rules.same_window:
        in_view = fields[ACTIVE_SEEN, cell]
    else:
        in_view = nth_in_window(fields, ACTIVE_HERE, cell, -1, cop_rows, rules.own_cell, rules.width, rules.height)[1]
    if in_view == 0:
        return
    where, rank = nth_in_window(
        fields, ACTIVE_HERE, cell, _rng.below(rng, in_view), cop_rows, rules.own_cell, rules.width, rules.height
    )
    i = fields[FIRST, where]
    while not people[i, ACTIVE] or rank > 0:
        rank -= people[i, ACTIVE]
        i = people[i, NEXT]
    _turn_to(people, fields, tally, i, False, view_rows, rules)
    term = _jail_term(rng, rules)
    if term > 0 or rules.clock == CLOCK_ACTIVATION:
        people[i, JAILED] = 1
        people[i, TERM] = term
        tally[1] += 1
        if rules.jail_mode == JAIL_REMOVED:
            fields[BLOCKERS, where] -= 1
            _leave(people, fields, i)
        elif rules.jail_mode == JAIL_SHARED:
            fields[BLOCKERS, where] -= 1
    if rules.cop_to_arrestee and (rules.jail_mode == JAIL_SHARED or fields[BLOCKERS, where] == 0):
        _relocate_cop(fields, cops, j, where, view_rows, rules)


@njit(cache=True, _nrt=False)
def _cop_turn(people, fields, cops, rng, tally, j, view_rows, cop_rows, cop_cells, rules):
    """Rules M and C in the variant's order; cops patrol even when citizens are told not to move."""
    if not rules.move_first:
        _enforce(people, fields, cops, rng, tally, j, view_rows, cop_rows, rules)
    target = random_free_in_window(rng, fields, BLOCKERS, cops[j], cop_cells, rules.width, rules.height)
    if target >= 0:
        _relocate_cop(fields, cops, j, target, view_rows, rules)
    if rules.move_first:
        _enforce(people, fields, cops, rng, tally, j, view_rows, cop_rows, rules)


@njit(cache=True, _nrt=False)
def _end_of_period(people, fields, rng, tally, rules):
    """NetLogo's clock: every sentence shortens by one at the end of a period; at zero the agent is free."""
    for i in range(people.shape[0]):
        if people[i, JAILED]:
            people[i, TERM] -= 1
            if people[i, TERM] == 0:
                _release(people, fields, rng, tally, i, rules)


@njit(cache=True)
def _paint(people, cops, picture):
    """A lattice picture; where several share a cell, a cop shows over an active over a quiet over a jailed."""
    picture[:] = 0
    for code in (JAILED_CODE, QUIET_CODE, ACTIVE_CODE):
        for i in range(people.shape[0]):
            state = JAILED_CODE if people[i, JAILED] else ACTIVE_CODE if people[i, ACTIVE] else QUIET_CODE
            if people[i, CELL] >= 0 and state == code:
                picture[people[i, CELL]] = code
    for j in range(cops.shape[0]):
        picture[cops[j]] = COP_CODE


@njit(cache=True, _nrt=False)
def _record(tally, n_citizens, counts, t):
    counts[t, 0] = n_citizens - tally[0] - tally[1]
    counts[t, 1] = tally[0]
    counts[t, 2] = tally[1]


@njit(cache=True)
def place_cops(fields, cops, view_rows, rules):
    """Fill COP_SEEN and BLOCKERS for the cops' initial cells."""
    for j in range(cops.shape[0]):
        fields[BLOCKERS, cops[j]] += 1
        add_around(fields, COP_SEEN, cops[j], 1, view_rows, rules.own_cell, rules.width, rules.height)


@njit(cache=True, _nrt=False)
def _prefetch_ahead(people, traits, fields, order, position, n_citizens):
    """Ask for the rows of the citizen 16 places ahead in the order, and for the cell of the one 8 places
    ahead (whose rows were asked for 8 activations ago): the misses of coming activations then overlap."""
    if position + 16 < order.shape[0] and order[position + 16] < n_citizens:
        prefetch(people, order[position + 16] * 5)
        prefetch(traits, order[position + 16] * 2)
    if position + 8 < order.shape[0] and order[position + 8] < n_citizens:
        cell = people[order[position + 8], CELL]
        if cell >= 0:
            for row in (COP_SEEN, ACTIVE_SEEN, BLOCKERS, FIRST):
                prefetch(fields, row * fields.shape[1] + cell)


@njit(cache=True)
def run(state, rules, view, cop_view, legitimacy, counts, pictures):
    """Advance ``len(legitimacy)`` periods; write (quiescent, active, jailed) rows 0..steps into ``counts``.

    ``legitimacy[t]`` is in force during period t + 1. ``pictures`` is (steps + 1, cells) to record the
    lattice after each period, or (0, cells) not to.
    """
    people, traits, fields, cops, order, rng, tally = state
    view_rows, view_cells = view
    cop_rows, cop_cells = cop_view
    n_citizens = people.shape[0]
    recording = pictures.shape[0] > 0
    _record(tally, n_citizens, counts, 0)
    if recording:
        _paint(people, cops, pictures[0])
    for t in range(legitimacy.shape[0]):
        _rng.shuffle(rng, order)
        for position in range(order.shape[0]):
            _prefetch_ahead(people, traits, fields, order, position, n_citizens)
            actor = order[position]
            if actor < n_citizens:
                _citizen_turn(people, traits, fields, rng, tally, actor, legitimacy[t], view_rows, view_cells, rules)
            else:
                _cop_turn(people, fields, cops, rng, tally, actor - n_citizens, view_rows, cop_rows, cop_cells, rules)
        if rules.clock == CLOCK_TICK:
            _end_of_period(people, fields, rng, tally, rules)
        _record(tally, n_citizens, counts, t + 1)
        if recording:
            _paint(people, cops, pictures[t + 1])
