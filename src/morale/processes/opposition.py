"""Opposition and repression (M13): Epstein's (2002) rule in a local neighbourhood, arrests, jail, violence.

A civilian's grievance is G = H (1 - L), with his hardship H (mean: his region's hardship) and the legitimacy
the regime has in his eyes, L = legitimacy_base + w (his private support - 1/2). Each week a man meets an
occasion to protest with probability `reconsider_weekly`; actives reconsider every week. He looks at about 50
contacts of his region: cops C ~ Poisson(50 x capacity per person), actives A = 1 + Poisson(50 x active share)
(himself counted), so the estimated arrest probability P = 1 - exp(-k C/A) is local and a repression lever can
matter (with a whole region's police in view P would be 1 for everybody). He is active iff G - R P > T
(kernels.epstein, the rule the classic model uses). An active man is arrested with probability efficiency x P
(less if violent: clandestine): short administrative detention, or a criminal case for a share. An active man whose
grievance persists while nothing changes ("nothing else seems to work", the source article) turns violent at a
hazard that rises with repression, and returns to quiet when his grievance falls.

The uniform behind his hardship (which follows his region's), his risk aversion R and his lean in support are
fixed draws computed from his id (no per-person arrays).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from morale.engine import codes as C
from morale.engine.context import Context
from morale.engine.person_table import set_status
from morale.engine.rng import geometric_gap, uniform
from morale.engine.state import State
from morale.kernels.choice import normal_from_uniforms
from morale.kernels.epstein import RATIO_FLOOR, RATIO_PLAIN, RATIO_ROUND, arrest_probability, grievance, is_active

RATIO = {"plain": RATIO_PLAIN, "floor": RATIO_FLOOR, "round": RATIO_ROUND}


@njit(cache=True)
def poisson(mean, u):
    """A Poisson draw by inverting its CDF at u (means here are small)."""
    k = 0
    p = math.exp(-mean)
    cdf = p
    while u > cdf and k < 10000:
        k += 1
        p *= mean / k
        cdf += p
    return k


@njit(cache=True)
def hardship_of(person, regional_hardship, attributes_key):
    """A man's hardship: uniform around his region's mean (Epstein draws H ~ U(0, 1))."""
    return min(1.0, 2.0 * regional_hardship * uniform(attributes_key, 0, 1, person))


@njit(cache=True)
def person_grievance(person, r, hardship, index, family_share, legitimacy_params, attributes_key):
    """G = H (1 - L): his hardship, and the legitimacy the regime has in his eyes, which rises with his own
    private support for the war (his region's opinion index, his fixed lean, a family tie to a killed or
    coerced soldier; the same draws as the opinion process's quadrature)."""
    sd, family_weight, base, weight = legitimacy_params
    lean = normal_from_uniforms(uniform(attributes_key, 0, 3, person), uniform(attributes_key, 0, 4, person))
    family = 1.0 if uniform(attributes_key, 0, 5, person) < family_share[r] else 0.0
    support = 1.0 / (1.0 + math.exp(-(index[r] + sd * lean - family_weight * family)))
    legitimacy = min(max(base + weight * (support - 0.5), 0.01), 0.99)
    return grievance(hardship_of(person, hardship[r], attributes_key), legitimacy)


@njit(cache=True)
def lowest_legitimacy(legitimacy_params):
    """The least legitimacy anyone can see in the regime (support near 0 in ``person_grievance``): a bound
    that lets a sampler skip men who could not act even then."""
    return max(legitimacy_params[2] - 0.5 * legitimacy_params[3], 0.01)


@njit(cache=True)
def risk_aversion_of(person, shape, attributes_key):
    return uniform(attributes_key, 0, 2, person) ** shape


@njit(cache=True)
def _local_arrest_probability(person, r, week, key, police, share, contacts, k, mode):
    cops = poisson(contacts * police[r], uniform(key, week, 3, person))
    actives = 1 + poisson(contacts * share[r], uniform(key, week, 4, person))
    return arrest_probability(cops, actives, k, mode)


@njit(cache=True)
def _remove(table, grievances, counts, which, i):
    last = counts[which] - 1
    table[:, i] = table[:, last]
    if grievances is not None:
        grievances[i] = grievances[last]
    counts[which] = last


@njit(cache=True)
def _step(people, opposition, block, limit, activists, activist_grievance, jail, counts, hardship, index,
          family_share, legitimacy_params, police, share, repression, p, mode, attributes_key, key, week, flows,
          region_flows):
    (contacts, k, threshold, shape, reconsider, efficiency, criminal, criminal_violent, violent_factor, admin_weeks,
     criminal_weeks, futility, violence, violence_repression, calm) = p
    status, region = people[0], people[3]
    # 1. actives reconsider; some are arrested, some give up, some turn violent
    i = counts[0] - 1
    while i >= 0:
        person = activists[C.A_PERSON, i]
        if status[person] != C.CIVILIAN:
            opposition[person] = C.QUIET
            _remove(activists, activist_grievance, counts, 0, i)
            i -= 1
            continue
        r = region[person]
        g = person_grievance(person, r, hardship, index, family_share, legitimacy_params, attributes_key)
        estimate = _local_arrest_probability(person, r, week, key, police, share, contacts, k, mode)
        violent = opposition[person] == C.VIOLENT
        if uniform(key, week, 5, person) < efficiency * estimate * (violent_factor if violent else 1.0):
            if counts[1] >= jail.shape[1]:
                return -1
            opposition[person] = C.QUIET
            _remove(activists, activist_grievance, counts, 0, i)
            set_status(people, person, C.JAILED)
            term = criminal_weeks if uniform(key, week, 6, person) < (criminal_violent if violent else criminal) \
                else admin_weeks
            if term == criminal_weeks:
                flows[C.F_CRIMINAL_ARRESTS, 0] += 1
            jail[C.J_PERSON, counts[1]] = person
            jail[C.J_RELEASE, counts[1]] = week + max(1, int(-term * math.log(uniform(key, week, 7, person))))
            counts[1] += 1
            flows[C.F_ARRESTS, 0] += 1
            region_flows[C.RF_ARRESTS, r] += 1
        elif not is_active(g, risk_aversion_of(person, shape, attributes_key), estimate, threshold) or (
                violent and g < activist_grievance[i] - calm):
            opposition[person] = C.QUIET
            _remove(activists, activist_grievance, counts, 0, i)
        else:
            activists[C.A_WEEKS, i] += 1
            persists = g >= activist_grievance[i] - calm
            if not violent and activists[C.A_WEEKS, i] >= futility and persists:
                hazard = violence * math.exp(violence_repression * repression[r])
                if uniform(key, week, 8, person) < 1.0 - math.exp(-hazard):
                    opposition[person] = C.VIOLENT
                    activist_grievance[i] = g
                    flows[C.F_VIOLENT_TURNS, 0] += 1
        i -= 1
    # 2. quiet civilians who meet an occasion apply the rule
    lowest = lowest_legitimacy(legitimacy_params)
    log_q = math.log1p(-reconsider)
    for r in range(len(block) - 1):
        row = block[r] - 1
        counter = 0
        while True:
            row += geometric_gap(uniform(key, week, 10000 + r, counter), log_q) + 1
            counter += 1
            if row >= limit[r]:
                break
            if status[row] != C.CIVILIAN or opposition[row] != C.QUIET:
                continue
            if hardship_of(row, hardship[r], attributes_key) * (1.0 - lowest) <= threshold:
                continue  # even the lowest legitimacy leaves him under the threshold: skip the rest
            g = person_grievance(row, r, hardship, index, family_share, legitimacy_params, attributes_key)
            if g <= threshold:
                continue  # cannot be active whatever the risk
            estimate = _local_arrest_probability(row, r, week, key, police, share, contacts, k, mode)
            if is_active(g, risk_aversion_of(row, shape, attributes_key), estimate, threshold):
                if counts[0] >= activists.shape[1]:
                    return -1
                opposition[row] = C.ACTIVE
                activists[C.A_PERSON, counts[0]] = row
                activists[C.A_WEEKS, counts[0]] = 0
                activist_grievance[counts[0]] = g
                counts[0] += 1
                flows[C.F_ACTIVATIONS, 0] += 1
    # 3. sentences end
    i = counts[1] - 1
    while i >= 0:
        person = jail[C.J_PERSON, i]
        if status[person] != C.JAILED:
            _remove(jail, None, counts, 1, i)
        elif jail[C.J_RELEASE, i] <= week:
            set_status(people, person, C.CIVILIAN)
            flows[C.F_JAIL_RELEASED, 0] += 1
            _remove(jail, None, counts, 1, i)
        i -= 1
    return 0


@njit(cache=True)
def _count(activists, n, opposition, region, n_regions):
    active = np.zeros(n_regions)
    violent = np.zeros(n_regions)
    for i in range(n):
        person = activists[C.A_PERSON, i]
        if opposition[person] == C.VIOLENT:
            violent[region[person]] += 1
        else:
            active[region[person]] += 1
    return active, violent


def legitimacy_parameters(ctx: Context) -> tuple[float, float, float, float]:
    o = ctx.params.opinion
    p = ctx.params.opposition
    return (o.person_sd.value, o.family_weight.value, p.legitimacy_base.value, p.legitimacy_support_weight.value)


def police_per_person(ctx: Context) -> np.ndarray:
    """Protest-policing capacity shared among regions by population, per person of the region."""
    o = ctx.params.opposition
    men = ctx.derived["men_by_region"]
    return np.full(len(men), o.police_capacity.value / (men.sum() * o.population_per_man.value))


def step(state: State, ctx: Context) -> None:
    o = ctx.params.opposition
    s = state.society
    if not o.enabled:
        return
    s.legitimacy = np.clip(o.legitimacy_base.value + o.legitimacy_support_weight.value * (s.support_private - 0.5),
                           0.01, 0.99)  # the regional mean, for the record
    police = police_per_person(ctx)
    # a citizen's mean arrest risk with no actives around: E[1 - exp(-k C)], C ~ Poisson(contacts x police)
    s.repression = 1.0 - np.exp(-o.contacts.value * police * (1.0 - math.exp(-o.k.value)))
    params = (o.contacts.value, o.k.value, o.threshold.value, o.risk_aversion_shape.value, o.reconsider_weekly.value,
              o.arrest_efficiency.value, o.criminal_share.value, o.criminal_share_violent.value,
              o.violent_arrest_factor.value,
              o.admin_jail_weeks.value, o.criminal_jail_weeks.value, o.futility_weeks.value,
              o.violence_weekly_hazard.value, o.violence_repression_weight.value, o.calm_grievance_drop.value)
    # room for every man who could turn active this week, and for every active man to be arrested
    reconsidering = o.reconsider_weekly.value * len(state.status)
    s.make_room("activists", int(reconsidering + 8 * math.sqrt(reconsidering) + 64))
    s.make_room("jail", int(s.counts[0]) + 64)
    full = _step(state.people, s.opposition, state.block, state.next_entry, s.activists, s.activist_grievance, s.jail,
                 s.counts, s.hardship, s.opinion_index, s.family_share, legitimacy_parameters(ctx), police,
                 s.active_share, s.repression, params, RATIO[o.ratio], ctx.keys["attributes"], ctx.keys["opposition"],
                 state.week, state.flows, state.region_flows)
    if full < 0:
        raise RuntimeError("opposition tables overflowed their bound; this is a bug")
    active, violent = _count(s.activists, s.counts[0], s.opposition, state.region, len(s.active_share))
    civilians = np.maximum(ctx.derived["men_by_region"] / ctx.scale, 1.0)
    s.active_share = (active + violent) / civilians
    s.active_by_region, s.violent_by_region = active * ctx.scale, violent * ctx.scale
