"""What each parameter is, in code: its kind, unit and hard legal bounds (one place; no file can loosen them).

Two kinds of limits (issue 10): a parameter's uncertainty `range`, in the scenario file, says what is
plausible and is drawn by the experiment layer; its `bounds`, here, say what is legal: outside them the
model's equations stop meaning anything (a share above 1, a negative count, a hazard above 1, an age of
-5, a half-life of 0 that divides by zero, NaN or infinity anywhere). Bounds apply to base values, ranges,
events, `--set`, sweeps and drawn values alike, and are checked before any run starts.

Paths are dotted scenario paths; a `*` stands for one segment (a stream, a leak kind, a regime).
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass

MAX_PERSONS = 2e9  # more men than any state has: a count above it is a typo, not a scenario
MAX_WEEKS = 1560.0  # 30 years, the longest horizon
MAX_ROUBLES = 1e12
MAX_WEIGHT = 1000.0
MAX_LOGIT = 50.0
SMALLEST_DIVISOR = 0.01  # half-lives, time constants and scales divide: zero is not legal


@dataclass(frozen=True)
class Kind:
    """A family of parameters that share a unit and legal bounds."""

    name: str
    unit: str
    low: float
    high: float
    phrase: str  # what the value is, in an error message

    def expectation(self) -> str:
        return f"{self.phrase} in [{_number(self.low)}, {_number(self.high)}]"


KINDS = {k.name: k for k in (
    Kind("share", "share", 0.0, 1.0, "a share"),
    Kind("probability", "probability", 0.0, 1.0, "a probability"),
    Kind("hazard", "per week", 0.0, 1.0, "a weekly hazard"),
    Kind("daily_hazard", "per day", 0.0, 1.0, "a daily hazard"),
    Kind("yearly_hazard", "per year", 0.0, 1.0, "a yearly hazard"),
    Kind("persons", "persons", 0.0, MAX_PERSONS, "a count of persons"),
    Kind("unit_persons", "persons", 1.0, 100_000.0, "persons per company"),
    Kind("age", "years of age", 0.0, 100.0, "an age"),
    Kind("recruit_age", "years of age", 18.0, 100.0, "an age limit for recruits (they are 18 or older)"),
    Kind("weeks", "weeks", 0.0, MAX_WEEKS, "a number of weeks"),
    Kind("term_weeks", "weeks", 1.0, MAX_WEEKS, "a term of at least one week"),
    Kind("time_constant", "weeks", SMALLEST_DIVISOR, MAX_WEEKS, "a positive time constant in weeks"),
    Kind("months", "months", 1.0, 360.0, "a number of months"),
    Kind("years", "years", SMALLEST_DIVISOR, 100.0, "a positive number of years"),
    Kind("roubles", "roubles", 0.0, MAX_ROUBLES, "an amount of roubles"),
    Kind("percent", "percent", SMALLEST_DIVISOR, 100.0, "a positive percentage"),
    Kind("points", "percentage points", -100.0, 100.0, "a change in percentage points"),
    Kind("relative", "relative change", -1.0, 1.0, "a relative change"),
    Kind("weight", "weight", 0.0, MAX_WEIGHT, "a non-negative weight"),
    Kind("coefficient", "coefficient", -MAX_WEIGHT, MAX_WEIGHT, "a coefficient"),
    Kind("logit", "logit", -MAX_LOGIT, MAX_LOGIT, "a logit-scale constant"),
    Kind("multiplier", "multiplier", 0.0, MAX_WEIGHT, "a non-negative multiplier"),
    Kind("severity", "severity (death = 1)", 0.0, 1.0, "a severity on the 0-1 scale"),
    Kind("half_saturation", "persons", SMALLEST_DIVISOR, MAX_PERSONS, "a positive half-saturation count"),
    Kind("companies", "companies", 1.0, 1000.0, "a number of companies (at least 1)"),
    Kind("news_lag", "weeks", 0.0, 12.0, "a lag of at most 12 weeks (the units' record of punishments)"),
    Kind("contacts", "persons", 0.0, 10_000.0, "a number of contacts"),
    Kind("ratio", "persons per man", 1.0, 100.0, "a population per man of 18-59"),
    Kind("summons", "papers per recruit", 1.0, 1000.0, "call-up papers per recruit (at least 1)"),
    Kind("departure_share", "share", SMALLEST_DIVISOR, 1.0, "a positive share"),
    Kind("shape", "shape", SMALLEST_DIVISOR, 100.0, "a positive shape parameter"),
)}


@dataclass(frozen=True)
class ParamMeta:
    path: str
    kind: Kind

    @property
    def unit(self) -> str:
        return self.kind.unit

    @property
    def bounds(self) -> tuple[float, float]:
        return self.kind.low, self.kind.high


# pattern -> kind name; exact paths win over patterns (see `meta`)
_PARAMETERS: dict[str, str] = {
    "population.prior_service_share": "share",
    "population.prior_service_from_age": "age",
    "population.mortality_at_18": "yearly_hazard",
    "population.mortality_growth": "coefficient",
    "population.prison_population": "persons",
    "population.prison_men_18_59_share": "share",
    "population.prison_sentence_years": "years",
    "army.initial_contract": "persons",
    "army.initial_conscripts": "persons",
    "army.initial_front": "persons",
    "army.unit_persons": "unit_persons",
    "army.home_requirement": "persons",
    "deployment.front_demand_scale": "multiplier",
    "deployment.front_share_of_war_zone": "departure_share",
    "deployment.tour_weeks": "weeks",
    "pay.monthly_pay": "roubles",
    "pay.home_monthly_pay": "roubles",
    "pay.federal_bonus": "roubles",
    "pay.regional_bonus": "roubles",
    "pay.bonus_amortisation_months": "months",
    "economy.reference_unemployment": "percent",
    "economy.reference_poverty": "percent",
    "economy.sanctions.unemployment_pp": "points",
    "economy.sanctions.wage_effect": "relative",
    "economy.sanctions.half_life_weeks": "time_constant",
    "economy.labour_drain_unemployment": "multiplier",
    "economy.labour_drain_wage": "multiplier",
    "economy.personnel_budget_share": "share",
    "economy.regional_bonus_budget_share": "share",
    "economy.death_compensation": "roubles",
    "economy.injury_compensation": "roubles",
    "recruitment.contract.intercept": "logit",
    "recruitment.contract.*_elasticity": "coefficient",
    "recruitment.contract.risk_weight": "weight",
    "recruitment.contract.signing_weekly_hazard": "hazard",
    "recruitment.contract.willingness_age_decline": "weight",
    "recruitment.contract.support_weight": "coefficient",
    "recruitment.contract.risk_window_weeks": "term_weeks",
    "recruitment.*.max_age": "recruit_age",
    "recruitment.mobilisation_max_age": "recruit_age",
    "recruitment.conscription.upper_age": "recruit_age",
    "recruitment.conscription.exempt_share": "share",
    "recruitment.coercion.weekly_quota": "persons",
    "recruitment.coercion.response_weekly_quota": "persons",
    "recruitment.coercion.without_prior_share": "share",
    "recruitment.conversion.weekly_hazard": "hazard",
    "recruitment.conversion.response_weekly_hazard": "hazard",
    "recruitment.conversion.deceived_share": "share",
    "recruitment.convicts.*_weekly_hazard": "hazard",
    "recruitment.convicts.contract_weeks": "term_weeks",
    "recruitment.shortfall.tolerance": "departure_share",
    "recruitment.shortfall.lag_weeks": "time_constant",
    "recruitment.shortfall.descent_weeks": "time_constant",
    "recruitment.shortfall.bonus_growth": "share",
    "recruitment.shortfall.bonus_competition": "share",
    "recruitment.shortfall.mobilisation_threshold": "share",
    "recruitment.shortfall.mobilisation_size": "persons",
    "recruitment.shortfall.mobilisation_weeks": "term_weeks",
    "recruitment.shortfall.mobilisation_cooldown_weeks": "weeks",
    "recruitment.shortfall.failure_share": "share",
    "training.weeks.*": "weeks",
    "training.effectiveness_min": "share",
    "training.tau_weeks": "time_constant",
    "training.experience_weight": "multiplier",
    "combat.intensity": "multiplier",
    "combat.*_daily_loss": "daily_hazard",
    "combat.assault_share.*": "share",
    "combat.storm_share.*": "share",
    "combat.guard_share.*": "share",
    "combat.refusal_loss_weight": "weight",
    "recruitment.volunteer_max_age": "recruit_age",
    "recruitment.convicts.defendant_share": "share",
    "combat.wounded_per_killed": "multiplier",
    "combat.captured_share": "share",
    "combat.recovery_weeks": "time_constant",
    "combat.invalidity_share": "share",
    "combat.exchange_weekly": "hazard",
    "mind.morale_initial.*": "share",
    "mind.morale_recovery": "share",
    "mind.*_per_*_share": "multiplier",
    "mind.stress_per_week_in_contact": "share",
    "mind.stress_rest_decay": "share",
    "mind.fear_decay": "share",
    "mind.fire_probability": "probability",
    "mind.threshold_mean": "share",
    "mind.threshold_sd": "multiplier",
    "mind.*_constant": "logit",
    "mind.weight_*": "weight",
    "mind.sanction_concavity": "shape",
    "mind.awol_weekly_hazard": "hazard",
    "mind.awol_stress_weight": "weight",
    "mind.awol_return_weekly": "hazard",
    "mind.awol_desertion_weeks": "weeks",
    "mind.cohesion_initial": "share",
    "mind.cohesion_recovery": "share",
    "mind.break_threshold": "share",
    "mind.break_morale_weight": "share",
    "mind.rest_weeks": "weeks",
    "discipline.*.detect_refusal": "probability",
    "discipline.*.catch_flight": "probability",
    "discipline.*.*_share": "share",
    "discipline.*.prior_certainty": "probability",
    "discipline.severity_*": "severity",
    "discipline.*_share": "share",
    "discipline.detention_weeks": "weeks",
    "discipline.penal_weeks": "weeks",
    "discipline.*_catch_weekly": "hazard",
    "discipline.certainty_learning": "share",
    "discipline.formation_companies": "companies",
    "discipline.formation_news_probability": "probability",
    "discipline.formation_news_lag_weeks": "news_lag",
    "discipline.news_learning": "share",
    "discipline.news_fear": "multiplier",
    "discipline.news_half_share": "departure_share",
    "discipline.drift_base_hazard": "hazard",
    "discipline.drift_refusal_weight": "multiplier",
    "discipline.drift_imitation_weight": "multiplier",
    "discipline.drift_impunity_weight": "multiplier",
    "discipline.drift_cap": "hazard",
    "information.censorship": "share",
    "information.censorship_probability_effect": "share",
    "information.censorship_lag_effect": "multiplier",
    "information.leak_probability.*": "probability",
    "information.lag_weeks.*": "weeks",
    "information.local_leak_probability": "probability",
    "information.local_lag_weeks": "weeks",
    "information.soldier_reach": "probability",
    "information.soldier_half_saturation": "half_saturation",
    "opinion.baseline": "logit",
    "opinion.person_sd": "multiplier",
    "opinion.mueller_scale": "half_saturation",
    "opinion.*_half_life_weeks": "time_constant",
    "opinion.*_half_saturation": "half_saturation",
    "opinion.*_weight": "weight",
    "opinion.family_ties_per_soldier": "multiplier",
    "opinion.falsification_gap": "multiplier",
    "opinion.negotiate_offset": "logit",
    "opinion.reversal_drop": "share",
    "opposition.police_capacity": "persons",
    "opposition.population_per_man": "ratio",
    "opposition.contacts": "contacts",
    "opposition.k": "multiplier",
    "opposition.threshold": "share",
    "opposition.risk_aversion_shape": "shape",
    "opposition.reconsider_weekly": "hazard",
    "opposition.hardship_base": "share",
    "opposition.*_weight": "weight",
    "opposition.legitimacy_base": "share",
    "opposition.legitimacy_support_weight": "share",
    "opposition.arrest_efficiency": "probability",
    "opposition.criminal_share": "share",
    "opposition.criminal_share_violent": "share",
    "opposition.violent_arrest_factor": "multiplier",
    "opposition.*_jail_weeks": "weeks",
    "opposition.futility_weeks": "time_constant",
    "opposition.violence_weekly_hazard": "hazard",
    "opposition.calm_grievance_drop": "share",
    "emigration.base_weekly_hazard": "hazard",
    "emigration.threat_half_life_weeks": "time_constant",
    "emigration.invasion_half_life_weeks": "time_constant",
    "emigration.invasion_shock": "weight",
    "emigration.threat_filled_half_life_weeks": "time_constant",
    "emigration.*_weight": "weight",
    "emigration.summons_per_recruit": "summons",
    "emigration.ban_enforcement": "share",
    "emigration.return_weekly_hazard": "hazard",
    "emigration.return_decay_weeks": "time_constant",
    "emigration.men_share_of_departures": "departure_share",
    "service.conscript_weeks": "term_weeks",
    "service.contract_term_weeks": "term_weeks",
}
_EXACT = {path: kind for path, kind in _PARAMETERS.items() if "*" not in path}
_PATTERNS = [(path, kind) for path, kind in _PARAMETERS.items() if "*" in path]


class UnknownParameter(KeyError):
    """A parameter path with no metadata: every parameter the schema declares must have an entry here."""


def meta(path: str) -> ParamMeta:
    """The metadata of a parameter by dotted path (exact entries first, then the first matching pattern)."""
    kind = _EXACT.get(path)
    if kind is None:
        kind = next((k for pattern, k in _PATTERNS if fnmatch.fnmatchcase(path, pattern)), None)
    if kind is None:
        raise UnknownParameter(path)
    return ParamMeta(path, KINDS[kind])


def violation(path: str, value: float) -> str | None:
    """Why `value` is not legal for the parameter at `path` ("got ...; expected ..."), or None if it is."""
    m = meta(path)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"got {value!r}; expected a number ({m.kind.expectation()}, {m.unit})"
    low, high = m.bounds
    if not math.isfinite(value) or not low <= value <= high:
        return f"got {_number(value)}; expected {m.kind.expectation()} ({m.unit})"
    return None


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
