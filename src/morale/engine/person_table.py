"""The person and soldier tables' Numba kernels, shared by several processes: drawing people by hazard or by quota,
enlisting, discharging (the package `morale.kernels` holds model-independent decision kernels instead).

Two ways to pick people, both exact and both costing work in proportion to the people picked:
- by hazard: every eligible person in a slice is hit independently with probability p; the kernel jumps from
  hit to hit with geometric gaps instead of testing every row (rows that are hit but not eligible are
  skipped, which is exactly Bernoulli(p) on the eligible);
- by quota: exactly k eligible people of a slice, by rejection sampling of random rows.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from morale.engine import codes as C
from morale.engine.rng import geometric_gap, uniform


@njit(cache=True)
def set_status(people, person, new):
    status, status_agents = people[0], people[1]
    status_agents[status[person]] -= 1
    status_agents[new] += 1
    status[person] = new


@njit(cache=True)
def join_unit(army, row, stream, unit_size):
    """Put soldier `row` in the open unit of `stream`, opening a new company when it is full."""
    soldiers, unit_stream, unit_members, open_unit, n_units = army[0], army[2], army[3], army[4], army[5]
    unit = open_unit[stream]
    if unit < 0 or unit_members[unit] >= unit_size:
        unit = n_units[0]
        n_units[0] += 1
        unit_stream[unit] = stream
        unit_members[unit] = 0
        open_unit[stream] = unit
    unit_members[unit] += 1
    soldiers[C.S_UNIT, row] = unit


@njit(cache=True)
def enlist(army, people, row, unit_size, person, stream, training_needed, contract_end, deceived):
    """Make `person` serve in `stream` as soldier `row`, in training (or in the rear if none is needed)."""
    soldiers, soldier_of = army[0], army[1]
    soldiers[C.S_PERSON, row] = person
    soldiers[C.S_STREAM, row] = stream
    soldiers[C.S_LOCATION, row] = C.TRAINING if training_needed > 0 else C.REAR
    soldiers[C.S_TRAINING, row] = 0
    soldiers[C.S_TRAINING_NEEDED, row] = training_needed
    soldiers[C.S_FRONT_WEEKS, row] = 0
    soldiers[C.S_SERVED, row] = 0
    soldiers[C.S_CONTRACT_END, row] = contract_end
    soldiers[C.S_HOSPITAL_UNTIL, row] = -1
    soldiers[C.S_DECEIVED, row] = deceived
    soldiers[C.S_CHOICE, row] = C.NO_CHOICE
    soldiers[C.S_PENAL_UNTIL, row] = -1
    soldiers[C.S_AWAY_WEEKS, row] = 0
    soldiers[C.S_DETENTION_UNTIL, row] = -1
    join_unit(army, row, stream, unit_size)
    soldier_of[person] = row
    set_status(people, person, C.SERVING)


@njit(cache=True)
def leave_service(army, people, row, new_status):
    """End soldier `row`: the man becomes `new_status` (civilian, dead, aged out...)."""
    soldiers, soldier_of, unit_members = army[0], army[1], army[3]
    soldiers[C.S_LOCATION, row] = C.REMOVED
    unit_members[soldiers[C.S_UNIT, row]] -= 1
    person = soldiers[C.S_PERSON, row]
    soldier_of[person] = -1
    set_status(people, person, new_status)
    if new_status == C.CIVILIAN:
        people[2][person] = 1  # prior_service: a discharged man is a reservist


@njit(cache=True)
def enlist_by_hazard(army, people, n_soldiers, unit_size, lo, hi, p_region, eligible_status, key, week,
                     draw_stream, stream, training_needed, contract_end, flows, region_flows):
    """Each person of status `eligible_status` in rows lo[r]:hi[r] enlists with probability p_region[r]."""
    capacity = army[0].shape[1]
    status, region = people[0], people[3]
    for r in range(len(lo)):
        for i in hazard_hits(lo[r], hi[r], p_region[r], key, week, draw_stream * 4096 + r):
            if status[i] != eligible_status:
                continue
            if n_soldiers >= capacity:
                return -1
            enlist(army, people, n_soldiers, unit_size, i, stream, training_needed, contract_end, 0)
            n_soldiers += 1
            flows[C.F_RECRUITS, stream] += 1
            region_flows[C.RF_RECRUITS, region[i]] += 1
    return n_soldiers


EXEMPT_STREAM = 61  # the attributes key's draw stream of a man's legal exemption from the draft


@njit(cache=True)
def exempt(person, exempt_share, attributes_key):
    """Whether a man is legally exempt from the draft for good (deferred, a conscientious objector, unfit): a
    fixed draw per man, so the same men stay exempt from one call-up to the next."""
    return exempt_share > 0.0 and uniform(attributes_key, 0, EXEMPT_STREAM, person) < exempt_share


@njit(cache=True)
def enlist_by_quota(army, people, n_soldiers, unit_size, lo, hi, quota, prior_required, key, week, draw_stream,
                    stream, training_needed, contract_end, deceived_share, flows, region_flows, exempt_share=0.0,
                    attributes_key=0):
    """Exactly quota[r] civilians of rows lo[r]:hi[r] (with prior_service == prior_required, or any if it is -1)
    enlist; men legally exempt (`exempt`) are passed over.

    Returns the new soldier count and how many places could not be filled (the eligible ran out).
    """
    capacity = army[0].shape[1]
    status, prior, region = people[0], people[2], people[3]
    unfilled = 0
    for r in range(len(lo)):
        wanted = quota[r]
        size = hi[r] - lo[r]
        counter = 0
        tries_left = 200 * wanted + 2000
        while wanted > 0 and tries_left > 0 and size > 0:
            i = lo[r] + int(uniform(key, week, draw_stream * 4096 + r, counter) * size)
            counter += 1
            tries_left -= 1
            if status[i] != C.CIVILIAN or (prior_required >= 0 and prior[i] != prior_required):
                continue
            if exempt(i, exempt_share, attributes_key):
                continue
            if n_soldiers >= capacity:
                return -1, 0
            deceived = 1 if uniform(key, week, draw_stream * 4096 + 2048 + r, counter) < deceived_share else 0
            enlist(army, people, n_soldiers, unit_size, i, stream, training_needed, contract_end, deceived)
            n_soldiers += 1
            wanted -= 1
            if stream == C.COERCED:
                region_flows[C.RF_COERCED_RECRUITS, region[i]] += 1
            if stream == C.COERCED or stream == C.VOLUNTEER:  # they sign contracts (and are paid its bonuses)
                region_flows[C.RF_SIGNED, region[i]] += 1
            flows[C.F_RECRUITS, stream] += 1
            region_flows[C.RF_RECRUITS, region[i]] += 1
        unfilled += wanted
    return n_soldiers, unfilled


@njit(cache=True)
def hazard_hits(lo, hi, p, key, week, draw_stream):
    """Rows of [lo, hi) hit with probability p each, in order (for processes that act on people)."""
    hits = []
    if p <= 0.0 or hi <= lo:
        return hits
    log_q = math.log1p(-min(p, 0.999999))
    i = lo - 1
    counter = 0
    while True:
        i += geometric_gap(uniform(key, week, draw_stream, counter), log_q) + 1
        counter += 1
        if i >= hi:
            return hits
        hits.append(i)


@njit(cache=True)
def age_slices(birth_week, block, limit, week, min_age_weeks, max_age_weeks):
    """Per region, the rows whose age in weeks lies in [min_age_weeks, max_age_weeks).

    Blocks are sorted oldest first, so the rows of an age range are contiguous; `limit[r]` ends the rows
    searched (the first not yet created).
    """
    n = len(block) - 1
    lo = np.empty(n, np.int64)
    hi = np.empty(n, np.int64)
    for r in range(n):
        rows = birth_week[block[r] : limit[r]]
        lo[r] = block[r] + np.searchsorted(rows, week - max_age_weeks, side="right")
        hi[r] = block[r] + np.searchsorted(rows, week - min_age_weeks, side="right")
    return lo, hi


@njit(cache=True)
def enlist_all(army, people, first_row, unit_size, persons, stream, training_weeks, training_needed,
               location, weeks_served, contract_end):
    """Enlist many men at once (the standing army at the start): row-wise arrays of their service state."""
    soldiers = army[0]
    for j in range(len(persons)):
        row = first_row + j
        enlist(army, people, row, unit_size, persons[j], stream, training_needed[j], contract_end[j], 0)
        soldiers[C.S_TRAINING, row] = training_weeks[j]
        soldiers[C.S_LOCATION, row] = location[j]
        soldiers[C.S_SERVED, row] = weeks_served[j]
    return first_row + len(persons)


@njit(cache=True)
def count_civilians(status, prior, lo, hi, prior_required):
    """Civilians in rows lo[r]:hi[r] (with prior_service == prior_required, or any if it is -1)."""
    total = 0
    for r in range(len(lo)):
        for i in range(lo[r], hi[r]):
            if status[i] == C.CIVILIAN and (prior_required < 0 or prior[i] == prior_required):
                total += 1
    return total


@njit(cache=True)
def compact_soldiers(soldiers, mind, soldier_of, n_soldiers):
    """Drop the rows of men who no longer serve, keeping order; returns the new row count. Weekly kernels
    loop over rows, so a table that only grew would slow every week down."""
    kept = 0
    for row in range(n_soldiers):
        if soldiers[C.S_LOCATION, row] == C.REMOVED:
            continue
        if kept != row:
            soldiers[:, kept] = soldiers[:, row]
            mind[:, kept] = mind[:, row]
        soldier_of[soldiers[C.S_PERSON, kept]] = kept
        kept += 1
    return kept


@njit(cache=True)
def located_by_stream(soldiers, n_soldiers, n_locations, n_streams):
    """Serving soldiers counted by location and stream."""
    counts = np.zeros((n_locations, n_streams), np.int64)
    for row in range(n_soldiers):
        location = soldiers[C.S_LOCATION, row]
        if location >= 0:
            counts[location, soldiers[C.S_STREAM, row]] += 1
    return counts
